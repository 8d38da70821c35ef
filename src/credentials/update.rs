//! Recording revocations in an existing credentials file: read it, merge, write it back in place.
//!
//! In place, not by renaming a new file over it: a file bind-mounted on its own (Connect's
//! compose layout mounts `./1password-credentials.json` alone) pins the inode, so a renamed file
//! would never reach the running containers, and inside a container a rename over the mount point
//! fails. Writing in place keeps the inode, owner and mode. Readers may see a half-written file;
//! they reject it (it does not parse or authenticate) and read again. Until the new content is
//! on disk, the previous one is kept in a private sibling file (when the directory is writable),
//! so an interrupted write can be undone by hand.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::file::{decode_base64_json, read_limited, write_private_file};
use super::layout::is_sealed;
use super::revocations::{merge, RevokedToken};
use super::{Credentials, CredentialsError};

/// Rounds of read, merge, compare and write before giving up on a file that keeps changing.
const ATTEMPTS: usize = 3;

impl Credentials {
    /// Adds `tokens` to the revocation list of the credentials file at `path` and drops entries
    /// that expired before `now`, keeping the file's form (plain or sealed — sealed again under
    /// `passphrase` — and JSON or base64). Returns the ids that were not listed before.
    ///
    /// # Errors
    /// As [`Credentials::load`] for reading; [`CredentialsError::Io`] if the file cannot be
    /// written (a read-only mount: revoke on the writable copy it comes from);
    /// [`CredentialsError::Parse`] for an invalid id or a list over
    /// [`super::MAX_REVOKED_TOKENS`].
    pub fn record_revocations(
        path: &Path,
        passphrase: Option<&str>,
        tokens: &[RevokedToken],
        now: i64,
    ) -> Result<Vec<String>, CredentialsError> {
        for _ in 0..ATTEMPTS {
            let before = read_limited(path)?;
            let trimmed = before.strip_prefix('\u{feff}').unwrap_or(&before).trim();
            let base64_json = (!trimmed.starts_with('{'))
                .then(|| decode_base64_json(trimmed))
                .flatten();
            let json: &str = base64_json.as_deref().map_or(&before, |j| j.as_str());
            let sealed = is_sealed(json);
            let mut credentials = Credentials::from_json(json, passphrase)?;
            let listed = credentials.revoked_tokens.clone();
            let added = merge(&mut credentials.revoked_tokens, tokens, now)?;
            if credentials.revoked_tokens == listed {
                return Ok(added);
            }
            let mut text =
                Zeroizing::new(credentials.to_json(if sealed { passphrase } else { None })?);
            if base64_json.is_some() {
                text = Zeroizing::new(format!("{}\n", STANDARD.encode(text.as_bytes())));
            }
            // Another revocation got in between: merge into its result instead.
            if *read_limited(path)? != *before {
                continue;
            }
            overwrite(path, text.as_bytes(), before.as_bytes())?;
            return Ok(added);
        }
        Err(CredentialsError::Io(
            format!("cannot update {}", path.display()),
            io::Error::other("the file kept changing while it was being updated"),
        ))
    }
}

/// Replaces the content of `path` in place, with `previous` kept beside it until the new content
/// is on disk.
fn overwrite(path: &Path, bytes: &[u8], previous: &[u8]) -> Result<(), CredentialsError> {
    let io_err = |e| {
        CredentialsError::Io(
            format!(
                "cannot write {} (on a read-only mount, revoke on the file it is mounted from)",
                path.display()
            ),
            e,
        )
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err)?;
    let backup = backup_path(path);
    // A backup left by an interrupted run is stale: the file just parsed and authenticated.
    let _ = fs::remove_file(&backup);
    let backed_up = write_private_file(&backup, previous).is_ok();
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_len(bytes.len() as u64))
        .and_then(|()| file.sync_all())
        .map_err(io_err);
    if written.is_ok() && backed_up {
        let _ = fs::remove_file(&backup);
    }
    written
}

impl Credentials {
    /// The copy of the file's previous content that an interrupted `record_revocations` left
    /// behind, if there is one: what to restore a damaged file from.
    #[must_use]
    pub fn interrupted_update_backup(path: &Path) -> Option<PathBuf> {
        Some(backup_path(path)).filter(|b| b.is_file())
    }
}

/// `.NAME.revoke-backup` in the file's directory.
pub(super) fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "credentials".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.revoke-backup"))
}
