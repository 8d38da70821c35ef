//! A source backed by a file that parses into a [`Snapshot`] (seed files, 1PUX exports): the file
//! is re-read when it changes, and watched so that a change reaches the store within a second.
//!
//! A file that failed to parse is not parsed again until it changes, or until a whole sync
//! interval has passed without a change (it may name other files, such as a seed file's value
//! files, that were fixed meanwhile): re-parsing an unchanged broken export every poll costs a
//! core and fixes nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::config::SourceKind;
use crate::sync::source::{
    BoxFuture, Snapshot, Source, SourceError, SourceItem, SourceItemMeta, SourceVault,
};

type Loader = dyn Fn(&Path) -> Result<Snapshot, SourceError> + Send + Sync;

/// How often a watched file is checked for changes (a `stat`, not a read).
const WATCH_POLL: Duration = Duration::from_millis(200);

pub struct FileSource {
    kind: SourceKind,
    path: PathBuf,
    loader: Arc<Loader>,
    state: Mutex<State>,
    generation: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct State {
    /// The last good content and the file it came from.
    loaded: Option<(Fingerprint, Arc<Indexed>)>,
    /// The file as it was when reading it last failed (`None`: it did not exist), and why.
    failed: Option<(Option<Fingerprint>, SourceError)>,
    /// A whole interval passed without a change since the failure: read the file again anyway.
    retry_due: bool,
}

impl State {
    /// What the file looked like at the last read, good or not: the watcher waits for a change
    /// from this.
    fn last_read(&self) -> Option<Fingerprint> {
        match &self.failed {
            Some((fingerprint, _)) => *fingerprint,
            None => self.loaded.as_ref().map(|(f, _)| *f),
        }
    }
}

/// A parsed file with its items indexed by (vault id, item id): the engine asks for every item
/// of a large file one by one, which must not be a scan each time.
struct Indexed {
    snapshot: Snapshot,
    items: std::collections::HashMap<(String, String), (usize, usize)>,
}

impl Indexed {
    fn new(snapshot: Snapshot) -> Self {
        let mut items = std::collections::HashMap::new();
        for (v, vault) in snapshot.vaults.iter().enumerate() {
            for (i, item) in vault.items.iter().enumerate() {
                items.insert((vault.vault.id.clone(), item.id.clone()), (v, i));
            }
        }
        Indexed { snapshot, items }
    }
}

use crate::file_version::FileVersion as Fingerprint;

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    Fingerprint::of(path)
}

impl FileSource {
    pub fn new(
        kind: SourceKind,
        path: PathBuf,
        loader: impl Fn(&Path) -> Result<Snapshot, SourceError> + Send + Sync + 'static,
    ) -> Self {
        FileSource {
            kind,
            path,
            loader: Arc::new(loader),
            state: Mutex::new(State::default()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn snapshot(&self) -> Result<Arc<Indexed>, SourceError> {
        self.state()
            .loaded
            .as_ref()
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                SourceError::Unavailable(format!("{} has not been read yet", self.path.display()))
            })
    }

    /// Whether the file at `current` needs reading: `Err` repeats the last failure of an
    /// unchanged file (until a retry is due), `Ok(false)` means the loaded content is current.
    fn needs_reading(&self, current: Option<Fingerprint>) -> Result<bool, SourceError> {
        let mut state = self.state();
        if let Some((failed, error)) = &state.failed {
            if *failed == current && !state.retry_due {
                return Err(error.clone());
            }
        }
        state.retry_due = false;
        if current.is_some() && state.loaded.as_ref().map(|(f, _)| *f) == current {
            state.failed = None;
            return Ok(false);
        }
        Ok(true)
    }

    fn read(&self, current: Option<Fingerprint>) -> BoxFuture<'_, Result<(), SourceError>> {
        Box::pin(async move {
            let Some(fingerprint) = current else {
                return Err(SourceError::Unavailable(format!(
                    "cannot read {}: no such file",
                    self.path.display()
                )));
            };
            let loader = self.loader.clone();
            let path = self.path.clone();
            let snapshot = tokio::task::spawn_blocking(move || loader(&path))
                .await
                .map_err(|e| {
                    SourceError::Unavailable(format!("reading {} failed: {e}", self.path.display()))
                })??;
            let mut state = self.state();
            state.loaded = Some((fingerprint, Arc::new(Indexed::new(snapshot))));
            state.failed = None;
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
    }
}

impl Source for FileSource {
    fn kind(&self) -> &'static str {
        self.kind.as_str()
    }

    fn describe(&self) -> String {
        format!("{} file {}", self.kind.as_str(), self.path.display())
    }

    fn refresh(&self) -> BoxFuture<'_, Result<(), SourceError>> {
        Box::pin(async move {
            let current = fingerprint(&self.path);
            if !self.needs_reading(current)? {
                return Ok(());
            }
            let result = self.read(current).await;
            if let Err(error) = &result {
                self.state().failed = Some((current, error.clone()));
            }
            result
        })
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>> {
        Box::pin(async move {
            Ok(self
                .snapshot()?
                .snapshot
                .vaults
                .iter()
                .map(|v| v.vault.clone())
                .collect())
        })
    }

    fn items<'a>(
        &'a self,
        vault_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SourceItemMeta>, SourceError>> {
        Box::pin(async move {
            let indexed = self.snapshot()?;
            Ok(indexed
                .snapshot
                .vaults
                .iter()
                .filter(|v| v.vault.id == vault_id)
                .flat_map(|v| v.items.iter())
                .map(|i| SourceItemMeta {
                    id: i.id.clone(),
                    revision: None,
                })
                .collect())
        })
    }

    fn item<'a>(
        &'a self,
        vault_id: &'a str,
        item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>> {
        Box::pin(async move {
            let indexed = self.snapshot()?;
            indexed
                .items
                .get(&(vault_id.to_string(), item_id.to_string()))
                .map(|&(v, i)| indexed.snapshot.vaults[v].items[i].clone())
                .ok_or_else(|| {
                    SourceError::Invalid(format!(
                        "item {item_id} vanished from {}",
                        self.path.display()
                    ))
                })
        })
    }

    /// Polls the file's metadata until it differs from the last read (good or failed), or the
    /// interval ends; after a failure, the end of an interval makes the next refresh read again.
    fn changed(&self, interval: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let deadline = Instant::now() + interval;
            let seen = self.state().last_read();
            while Instant::now() < deadline {
                tokio::time::sleep(
                    WATCH_POLL.min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                if fingerprint(&self.path) != seen {
                    return;
                }
            }
            let mut state = self.state();
            if state.failed.is_some() {
                state.retry_due = true;
            }
        })
    }

    fn watches_changes(&self) -> bool {
        true
    }
}
