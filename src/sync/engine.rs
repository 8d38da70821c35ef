//! Reconciling the store with a source (docs/design.md §6): idempotent (version + 1 only on a real change),
//! deletions propagate, items created through the API are never touched, and every batch is one
//! transaction so that a kill at any point leaves a consistent store that the next run completes.
//!
//! A listing source (connect) is listed and its changed items fetched a few at a time (this
//! file); a streaming source (a file) is read through a sink (`streamed`, `sink`).

mod first;
mod sink;
mod streamed;

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::progress::Progress;
use super::source::{Source, SourceError, SourceItem, SourceItemMeta};
use crate::model::{Category, ItemData, StoredFile};
use crate::store::{SourceWrite, Store, StoreError, VaultChange};
use crate::text::quote;

/// Items written per transaction: small enough that API writes interleave with a large import
/// (a batch holds the write lock for about a tenth of a second), large enough that an import
/// does not rewrite the same index pages over and over: 250 per batch made a first sync of
/// 100,000 items write 2.0 GB and take 16–17 s, 1,000 writes 1.5 GB in 14–15 s (peak RSS
/// 48 → 58–66 MiB).
const BATCH: usize = 1000;

/// A batch is also written once its items' files add up to this much, so that a source with
/// large files does not make the engine hold many of them at once.
const BATCH_FILE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Counts of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub vaults_added: usize,
    pub vaults_updated: usize,
    pub vaults_removed: usize,
    pub items_added: usize,
    pub items_updated: usize,
    pub items_removed: usize,
    pub items_unchanged: usize,
    pub vaults: usize,
    pub items: usize,
    /// Vaults whose items were listed (a listing source skips a vault whose revision did not
    /// change): such a run is what it takes to find and apply a change, which the worker's
    /// schedule learns from.
    pub vaults_listed: usize,
}

impl Outcome {
    pub fn changed(&self) -> bool {
        self.vaults_added
            + self.vaults_updated
            + self.vaults_removed
            + self.items_added
            + self.items_updated
            + self.items_removed
            > 0
    }
}

pub struct Engine {
    store: Store,
    source: Arc<dyn Source>,
    editor: String,
    /// The source generation of the last successful run: an unchanged file is not walked again.
    synced_generation: std::sync::Mutex<Option<u64>>,
    progress: Arc<Progress>,
}

/// An item ready to be written: its files split off and its keyed digests computed.
struct Prepared {
    id: String,
    category: Category,
    state: Option<String>,
    data: ItemData,
    files: Vec<(String, Vec<u8>)>,
    digest: Vec<u8>,
    /// The keyed digest of the item's own source text, when it depends on nothing else.
    text: Option<[u8; 32]>,
    revision: Option<String>,
}

impl Engine {
    /// `editor` is what `lastEditedBy` shows for synced changes (the server id).
    pub fn new(store: Store, source: Arc<dyn Source>, editor: String) -> Self {
        Engine {
            store,
            source,
            editor,
            synced_generation: std::sync::Mutex::new(None),
            progress: Arc::new(Progress::new()),
        }
    }

    /// How far the current (or last) run got.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    pub fn source(&self) -> &Arc<dyn Source> {
        &self.source
    }

    /// One run, recorded in the sync state that `/health` reports.
    pub async fn sync_once(&self) -> Result<Outcome, SyncError> {
        self.store.record_sync_attempt(self.source.kind()).await?;
        self.progress.start();
        let result = self.run().await;
        self.progress.finish();
        match result {
            Ok(outcome) => {
                self.store
                    .record_sync_result(Ok((
                        i64::try_from(outcome.vaults).unwrap_or(i64::MAX),
                        i64::try_from(outcome.items).unwrap_or(i64::MAX),
                    )))
                    .await?;
                Ok(outcome)
            }
            Err(err) => {
                let message = err.to_string();
                if let Err(record) = self.store.record_sync_result(Err(&message)).await {
                    tracing::warn!(error = %record, "could not record the sync error");
                }
                Err(err)
            }
        }
    }

    async fn run(&self) -> Result<Outcome, SyncError> {
        self.source.refresh().await?;
        let generation = self.source.generation();
        if generation.is_some()
            && *self
                .synced_generation
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                == generation
        {
            return self.unchanged(false).await;
        }
        let outcome = if self.source.streaming().is_some() {
            self.run_streamed().await?
        } else {
            self.run_listed().await?
        };
        *self
            .synced_generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = generation;
        Ok(outcome)
    }

    /// The outcome of a run that found the whole source unchanged: the counts of the last run
    /// (and, when the source was read again, every item unchanged).
    async fn unchanged(&self, read: bool) -> Result<Outcome, SyncError> {
        let state = self.store.sync_state().await?.unwrap_or_default();
        let items = usize::try_from(state.items).unwrap_or(0);
        Ok(Outcome {
            vaults: usize::try_from(state.vaults).unwrap_or(0),
            items,
            items_unchanged: if read { items } else { 0 },
            ..Outcome::default()
        })
    }

    async fn run_listed(&self) -> Result<Outcome, SyncError> {
        let vaults = self.source.vaults().await?;
        let mut outcome = Outcome::default();
        let mut seen = HashSet::new();
        let mut owned = Vec::new();
        for vault in &vaults {
            if !crate::ids::is_valid_id(&vault.id) || !seen.insert(vault.id.clone()) {
                return Err(SourceError::Invalid(format!(
                    "the source lists vault id {} twice or malformed",
                    quote(&vault.id, 40)
                ))
                .into());
            }
            if self.upsert_vault(vault, &mut outcome).await? != VaultChange::NotOwned {
                owned.push(vault.id.clone());
            }
        }
        for id in self.store.source_vault_ids().await? {
            if !seen.contains(&id) && self.store.delete_vault(&id).await? {
                outcome.vaults_removed += 1;
            }
        }
        for vault in vaults.iter().filter(|v| owned.contains(&v.id)) {
            if vault.revision.is_some()
                && self.store.vault_source_revision(&vault.id).await? == vault.revision
            {
                // Nothing in the vault changed upstream: its items are not even listed.
                let stored = self
                    .store
                    .get_vault(&vault.id)
                    .await?
                    .map_or(0, |v| v.items);
                outcome.items += usize::try_from(stored).unwrap_or(0);
                continue;
            }
            outcome.vaults_listed += 1;
            self.sync_vault(&vault.id, &mut outcome).await?;
            self.store
                .set_vault_source_revision(&vault.id, vault.revision.as_deref())
                .await?;
        }
        outcome.vaults = owned.len();
        Ok(outcome)
    }

    async fn sync_vault(&self, vault_id: &str, outcome: &mut Outcome) -> Result<(), SyncError> {
        // The store is read while the upstream writes its list: on a large vault both take a
        // while, and a run that finds one change costs the longer of the two, not their sum.
        let started = std::time::Instant::now();
        let (metas, known) = futures_util::future::join(
            self.source.items(vault_id),
            self.store.known_items(vault_id),
        )
        .await;
        let (metas, known) = (metas?, known?);
        tracing::debug!(
            vault = %vault_id,
            items = metas.len(),
            millis = started.elapsed().as_millis() as u64,
            "listed the vault's items and read what the store knows of them"
        );
        self.progress
            .add_to_total(u64::try_from(metas.len()).unwrap_or(u64::MAX));
        let mut listed = HashSet::with_capacity(metas.len());
        let mut wanted: Vec<SourceItemMeta> = Vec::new();
        for meta in metas {
            if !crate::ids::is_valid_id(&meta.id) || !listed.insert(meta.id.clone()) {
                return Err(SourceError::Invalid(format!(
                    "the source lists item id {} twice or malformed",
                    quote(&meta.id, 40)
                ))
                .into());
            }
            match known.get(&meta.id) {
                Some(existing) if !existing.from_source => {
                    tracing::warn!(vault = %vault_id, item = %meta.id, "an item created through the API has the source's id; keeping the API's");
                }
                Some(existing) if meta.revision.is_some() && existing.revision == meta.revision => {
                    outcome.items_unchanged += 1;
                }
                _ => {
                    wanted.push(meta);
                    continue;
                }
            }
            self.progress.advance(1, 0);
        }
        // Fetched a few at a time, in order, so that an upstream's latency overlaps.
        let source = &self.source;
        let mut fetched = futures_util::stream::iter(wanted)
            .map(|meta| async move {
                let item = source.item(vault_id, &meta.id).await;
                (meta, item)
            })
            .buffered(self.source.fetch_concurrency().max(1));
        let mut batch: Vec<Prepared> = Vec::with_capacity(BATCH);
        while let Some((meta, item)) = fetched.next().await {
            self.progress.advance(1, 0);
            let prepared = self.prepare(vault_id, item?, meta.revision)?;
            if known.get(&prepared.id).is_some_and(|e| {
                e.digest.as_deref() == Some(prepared.digest.as_slice())
                    && e.revision == prepared.revision
            }) {
                outcome.items_unchanged += 1;
                continue;
            }
            batch.push(prepared);
            if batch.len() >= BATCH || file_bytes(&batch) >= BATCH_FILE_BYTES {
                self.apply(vault_id, &mut batch, &[], outcome).await?;
            }
        }
        let removals: Vec<String> = known
            .iter()
            .filter(|(id, k)| k.from_source && !listed.contains(*id))
            .map(|(id, _)| id.clone())
            .collect();
        self.apply(vault_id, &mut batch, &removals, outcome).await?;
        outcome.items += listed.len();
        Ok(())
    }

    async fn apply(
        &self,
        vault_id: &str,
        batch: &mut Vec<Prepared>,
        removals: &[String],
        outcome: &mut Outcome,
    ) -> Result<(), SyncError> {
        if batch.is_empty() && removals.is_empty() {
            return Ok(());
        }
        let writes: Vec<SourceWrite<'_>> = batch
            .iter()
            .map(|p| SourceWrite {
                id: &p.id,
                category: p.category,
                state: p.state.as_deref(),
                data: &p.data,
                files: &p.files,
                digest: p.digest.clone(),
                text: p.text.as_ref().map(|t| &t[..]),
                revision: p.revision.as_deref(),
            })
            .collect();
        let result = self
            .store
            .apply_source_batch(vault_id, &writes, removals, &self.editor)
            .await?;
        outcome.items_added += result.added;
        outcome.items_updated += result.updated;
        outcome.items_removed += result.removed;
        self.progress.advance(
            0,
            u64::try_from(result.added + result.updated + result.removed).unwrap_or(0),
        );
        batch.clear();
        Ok(())
    }

    /// Stores one item the source just confirmed (a write forwarded upstream), at once.
    pub async fn ingest(
        &self,
        vault_id: &str,
        item: SourceItem,
        revision: Option<String>,
    ) -> Result<(), SyncError> {
        let prepared = self.prepare(vault_id, item, revision)?;
        let mut outcome = Outcome::default();
        self.apply(vault_id, &mut vec![prepared], &[], &mut outcome)
            .await
    }

    /// Removes one item the source just deleted.
    pub async fn forget(&self, vault_id: &str, item_id: &str) -> Result<(), SyncError> {
        let mut outcome = Outcome::default();
        self.apply(
            vault_id,
            &mut Vec::new(),
            &[item_id.to_string()],
            &mut outcome,
        )
        .await
    }

    fn prepare(
        &self,
        vault_id: &str,
        item: SourceItem,
        revision: Option<String>,
    ) -> Result<Prepared, SyncError> {
        Ok(prepare(&self.store, vault_id, item, revision)?)
    }
}

/// Fills the file metadata from the files and computes the keyed digest of the whole item.
fn prepare(
    store: &Store,
    vault_id: &str,
    item: SourceItem,
    revision: Option<String>,
) -> Result<Prepared, SourceError> {
    let SourceItem {
        id,
        category,
        state,
        mut data,
        files,
    } = item;
    if !crate::ids::is_valid_id(&id) {
        return Err(SourceError::Invalid(format!(
            "the source gave an item the malformed id {}",
            quote(&id, 40)
        )));
    }
    let mut file_ids = HashSet::new();
    data.body.files = files
        .iter()
        .map(|f| {
            if !crate::ids::is_valid_id(&f.id) || !file_ids.insert(f.id.clone()) {
                return Err(SourceError::Invalid(format!(
                    "item {id} lists file id {} twice or malformed",
                    quote(&f.id, 40)
                )));
            }
            Ok(StoredFile {
                id: f.id.clone(),
                name: f.name.clone(),
                size: i64::try_from(f.content.len()).unwrap_or(i64::MAX),
                section: f.section.clone(),
            })
        })
        .collect::<Result<_, _>>()?;
    let content_hashes: Vec<String> = files
        .iter()
        .map(|f| data_encoding::HEXLOWER.encode(&Sha256::digest(&f.content)))
        .collect();
    let canonical = serde_json::to_string(&(vault_id, category, &state, &data, content_hashes))
        .map_err(|e| SourceError::Invalid(format!("item {id}: {e}")))?;
    // Keyed, so the stored digest reveals nothing about short secret values.
    let digest = store.keys().blind_index("source-item", &canonical).to_vec();
    Ok(Prepared {
        id,
        category,
        state,
        data,
        files: files.into_iter().map(|f| (f.id, f.content)).collect(),
        digest,
        text: None,
        revision,
    })
}

/// The file content a batch holds.
fn file_bytes(batch: &[Prepared]) -> usize {
    batch
        .iter()
        .flat_map(|p| p.files.iter())
        .map(|(_, content)| content.len())
        .sum()
}
