//! Reading and writing the file: `OP_SESSION` as a path or as base64, size limits, and atomic
//! writes with private permissions.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use super::fields::decode_base64;
use super::{parse_err, Credentials, CredentialsError};

/// A credentials file is a few kilobytes; anything past this is not one.
const MAX_FILE_LEN: u64 = 1024 * 1024;
/// Shorter `OP_SESSION` values cannot hold a credentials file, so they are treated as paths.
const MIN_BASE64_SESSION_LEN: usize = 200;

impl Credentials {
    /// Writes the file atomically (a temporary file in the same directory, then a rename) with
    /// mode 0600, creating missing parent directories with mode 0700.
    ///
    /// # Errors
    /// [`CredentialsError::AlreadyExists`] if `path` exists and `overwrite` is false;
    /// [`CredentialsError::Io`] on file-system errors; as [`Credentials::to_json`].
    pub fn write_new(
        &self,
        path: &Path,
        passphrase: Option<&str>,
        overwrite: bool,
    ) -> Result<(), CredentialsError> {
        let text = Zeroizing::new(self.to_json(passphrase)?);
        let Some(file_name) = path.file_name() else {
            return Err(CredentialsError::Io(
                format!("cannot write credentials file {}", path.display()),
                io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
            ));
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        create_private_dir(dir)
            .map_err(|e| CredentialsError::Io(format!("cannot create {}", dir.display()), e))?;
        if !overwrite && fs::symlink_metadata(path).is_ok() {
            return Err(CredentialsError::AlreadyExists(path.to_path_buf()));
        }

        let mut suffix = [0u8; 6];
        OsRng.fill_bytes(&mut suffix);
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            file_name.to_string_lossy(),
            data_encoding::HEXLOWER.encode(&suffix)
        ));
        let result = write_private_file(&tmp, text.as_bytes())
            .map_err(|e| CredentialsError::Io(format!("cannot write {}", tmp.display()), e))
            .and_then(|()| publish(&tmp, path, overwrite));
        // After a successful rename this finds nothing; otherwise it removes the leftover.
        let _ = fs::remove_file(&tmp);
        result?;
        // Make the rename durable; not every platform can open a directory, so this is best
        // effort.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Loads the credentials named by `OP_SESSION`: the path of a credentials file, or the
    /// base64 (standard or URL-safe, padded or not, line breaks allowed) of its JSON. A value
    /// that names an existing file is read as a file (whose content may itself be base64);
    /// otherwise it is decoded as base64 (or, if it starts with `{`, read as the JSON itself).
    ///
    /// # Errors
    /// [`CredentialsError::Session`] if the value is neither; [`CredentialsError::Io`] if the
    /// file exists but cannot be read; as [`Credentials::from_json`].
    pub fn load(op_session: &str, passphrase: Option<&str>) -> Result<Self, CredentialsError> {
        let value = op_session.trim();
        if value.is_empty() {
            return Err(CredentialsError::Session(" (it is empty)".into()));
        }
        let path = Path::new(op_session);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Err(CredentialsError::Session(format!(
                " ({} is a directory)",
                path.display()
            ))),
            Ok(_) => {
                let text = read_limited(path)?;
                Self::from_file_text(&text, passphrase).map_err(|e| match e {
                    CredentialsError::Parse(msg) => {
                        CredentialsError::Parse(format!("{}: {msg}", path.display()))
                    }
                    other => other,
                })
            }
            Err(err) => {
                // Not in Connect's contract, but unambiguous: the JSON itself.
                if value.starts_with('{') {
                    return Self::from_json(value, passphrase);
                }
                if let Some(json) = decode_base64_json(value) {
                    return Self::from_json(&json, passphrase);
                }
                if may_show_session(value) {
                    Err(CredentialsError::Session(format!(
                        " (cannot read {}: {err})",
                        path.display()
                    )))
                } else {
                    // Possibly a damaged base64 of a credentials file: never echo it.
                    Err(CredentialsError::Session(format!(
                        " (a {}-character value that names no file and is not valid base64 \
                         of a JSON file)",
                        value.len()
                    )))
                }
            }
        }
    }

    /// A file's text: JSON, or base64 of JSON (as some Kubernetes setups store it). Public for
    /// the fuzz targets (`fuzz/`), which read file contents without touching the file system.
    ///
    /// # Errors
    /// As [`Credentials::from_json`].
    pub fn from_file_text(text: &str, passphrase: Option<&str>) -> Result<Self, CredentialsError> {
        let trimmed = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
        if !trimmed.starts_with('{') {
            if let Some(json) = decode_base64_json(trimmed) {
                return Self::from_json(&json, passphrase);
            }
        }
        Self::from_json(text, passphrase)
    }
}

/// Base64 whose decoding is UTF-8 text starting with `{`.
pub(super) fn decode_base64_json(text: &str) -> Option<Zeroizing<String>> {
    let bytes = decode_base64(text)?;
    let json = std::str::from_utf8(&bytes).ok()?;
    let trimmed = json.strip_prefix('\u{feff}').unwrap_or(json).trim_start();
    trimmed
        .starts_with('{')
        .then(|| Zeroizing::new(trimmed.to_owned()))
}

/// Whether an `OP_SESSION` value that names no file may be shown in an error message. The
/// base64 of a credentials file is far longer (its signing key alone takes 184 characters), so a
/// short value cannot hold one, while a long one might be a damaged copy and is never shown.
fn may_show_session(value: &str) -> bool {
    value.len() < MIN_BASE64_SESSION_LEN
}

pub(super) fn read_limited(path: &Path) -> Result<Zeroizing<String>, CredentialsError> {
    let io_err = |e| CredentialsError::Io(format!("cannot read {}", path.display()), e);
    let file = fs::File::open(path).map_err(io_err)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(parse_err(format!(
            "{} is larger than {} KiB, too large for a credentials file",
            path.display(),
            MAX_FILE_LEN / 1024
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| parse_err(format!("{} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Moves the finished temporary file into place.
fn publish(tmp: &Path, path: &Path, overwrite: bool) -> Result<(), CredentialsError> {
    let io_err = |e| CredentialsError::Io(format!("cannot write {}", path.display()), e);
    if overwrite {
        return fs::rename(tmp, path).map_err(io_err);
    }
    // A hard link fails if the target exists, which makes the no-clobber check atomic.
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(CredentialsError::AlreadyExists(path.to_path_buf()))
        }
        // File systems without hard links: check, then rename.
        Err(_) => {
            if fs::symlink_metadata(path).is_ok() {
                Err(CredentialsError::AlreadyExists(path.to_path_buf()))
            } else {
                fs::rename(tmp, path).map_err(io_err)
            }
        }
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

pub(super) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        // The umask may have removed bits from 0600; set the mode exactly.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}
