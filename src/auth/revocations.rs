//! The revocation list of the credentials file, held in memory by every process that checks
//! tokens and kept current by polling the file (docs/design.md §5).
//!
//! The file, not a replica's database, is the list's source of truth: every replica reads the same
//! file, a recreated data directory loses nothing, and write access to the SQLite file cannot take
//! a token off the list. A sealed file is re-read with its passphrase (argon2id, once per change);
//! a file that does not parse or authenticate — half written, or tampered with — is ignored and the
//! last good list stays in force. The list in memory only grows: a revocation a process has seen
//! holds until it exits, even if an older copy of the file is put back.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::credentials::{Credentials, RevokedToken};

/// How often the file is looked at (a `stat`; it is read only when that changed).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Re-reads of a version of the file that did not load, before waiting for the next change: a
/// reader can catch an in-place rewrite half done.
const RETRIES: u32 = 3;

/// The ids of the revoked tokens, shared between the token authority and the file watcher.
#[derive(Clone, Default, Debug)]
pub struct Revocations(Arc<RwLock<Arc<HashSet<String>>>>);

impl Revocations {
    pub fn new(list: &[RevokedToken]) -> Self {
        let revocations = Self::default();
        revocations.add(list);
        revocations
    }

    pub fn contains(&self, jti: &str) -> bool {
        self.current().contains(jti)
    }

    pub fn len(&self) -> usize {
        self.current().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn current(&self) -> Arc<HashSet<String>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Adds the ids of `list` (an id that left the file stays: pruned entries are expired
    /// tokens, and a removed one was not removed by `latchkey`). Returns how many were new.
    fn add(&self, list: &[RevokedToken]) -> usize {
        let mut guard = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let new: Vec<&RevokedToken> = list.iter().filter(|t| !guard.contains(&t.jti)).collect();
        if !new.is_empty() {
            let mut set = HashSet::clone(&guard);
            set.extend(new.iter().map(|t| t.jti.clone()));
            *guard = Arc::new(set);
        }
        new.len()
    }
}

pub use crate::file_version::FileVersion;

/// What to watch: the credentials file, how to open it, and whose it must stay.
pub struct Watch {
    pub path: PathBuf,
    pub passphrase: Option<Zeroizing<String>>,
    /// The file's `serverId` and `signingKeyId` when the process started: a file that now holds
    /// another identity is not this server's, and its list is not applied.
    pub server_id: String,
    pub signing_key_id: String,
    pub interval: Duration,
}

/// Polls the file until the runtime stops, adding each new version's list to `revocations`.
/// `seen` is the version the process loaded at start.
pub fn spawn_watch(
    revocations: Revocations,
    watch: Watch,
    mut seen: Option<FileVersion>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let watch = Arc::new(watch);
        let mut failures = 0u32;
        loop {
            tokio::time::sleep(watch.interval).await;
            // A missing file (a Secret being swapped) keeps the list as it is.
            let Some(current) = FileVersion::of(&watch.path) else {
                continue;
            };
            if Some(current) == seen && (failures == 0 || failures > RETRIES) {
                continue;
            }
            if Some(current) != seen {
                failures = 0;
            }
            seen = Some(current);
            match reload(watch.clone()).await {
                Ok(list) => {
                    failures = 0;
                    let added = revocations.add(&list);
                    tracing::info!(
                        revoked_tokens = list.len(),
                        newly_revoked = added,
                        "the credentials file changed; its revocation list is in force"
                    );
                }
                Err(err) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!(error = %err, "the changed credentials file could not be read; the previous revocation list stays in force");
                    }
                }
            }
        }
    })
}

/// The revocation list of the file's current content, read off the runtime threads (a sealed
/// file costs an argon2id derivation).
async fn reload(watch: Arc<Watch>) -> Result<Vec<RevokedToken>, String> {
    tokio::task::spawn_blocking(move || {
        let location = watch.path.to_string_lossy();
        let passphrase = watch.passphrase.as_ref().map(|p| p.as_str());
        let credentials = Credentials::load(&location, passphrase).map_err(|e| e.to_string())?;
        if credentials.server_id != watch.server_id
            || credentials.signing_key_id != watch.signing_key_id
        {
            return Err(
                "the file now holds another server identity or signing key; restart \
                        latchkey to use it"
                    .to_string(),
            );
        }
        Ok(credentials.revoked_tokens)
    })
    .await
    .map_err(|e| format!("the reader stopped: {e}"))?
}
