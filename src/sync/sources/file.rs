//! A source backed by a file that parses into a [`Snapshot`] (seed files, 1PUX exports): the file
//! is re-read when its size or modification time changes, and watched so that a change reaches
//! the store within a second.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::config::SourceKind;
use crate::sync::source::{
    BoxFuture, Snapshot, Source, SourceError, SourceItem, SourceItemMeta, SourceVault,
};

type Loader = dyn Fn(&Path) -> Result<Snapshot, SourceError> + Send + Sync;

/// How often a watched file is checked for changes.
const WATCH_POLL: Duration = Duration::from_millis(200);

pub struct FileSource {
    kind: SourceKind,
    path: PathBuf,
    loader: Arc<Loader>,
    loaded: Mutex<Option<(Fingerprint, Arc<Indexed>)>>,
    generation: std::sync::atomic::AtomicU64,
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Fingerprint {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
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
            loaded: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn snapshot(&self) -> Result<Arc<Indexed>, SourceError> {
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                SourceError::Unavailable(format!("{} has not been read yet", self.path.display()))
            })
    }

    fn loaded_fingerprint(&self) -> Option<Fingerprint> {
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(f, _)| *f)
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
            let Some(current) = fingerprint(&self.path) else {
                return Err(SourceError::Unavailable(format!(
                    "cannot read {}: no such file",
                    self.path.display()
                )));
            };
            if self.loaded_fingerprint() == Some(current) {
                return Ok(());
            }
            let loader = self.loader.clone();
            let path = self.path.clone();
            let snapshot = tokio::task::spawn_blocking(move || loader(&path))
                .await
                .map_err(|e| {
                    SourceError::Unavailable(format!("reading {} failed: {e}", self.path.display()))
                })??;
            *self
                .loaded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((current, Arc::new(Indexed::new(snapshot))));
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
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

    fn changed(&self, interval: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let deadline = Instant::now() + interval;
            let seen = self.loaded_fingerprint();
            while Instant::now() < deadline {
                tokio::time::sleep(
                    WATCH_POLL.min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                if fingerprint(&self.path) != seen {
                    return;
                }
            }
        })
    }
}
