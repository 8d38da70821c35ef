//! What a sync source delivers, and the trait every source implements (docs/design.md §6).
//!
//! Two shapes: file sources (seed, 1pux) stream their content through an [`ItemSink`], one vault
//! and one item at a time, telling the engine what each item's own text hashes to so that an
//! unchanged item is not even built; remote sources (connect) list vaults and item revisions first
//! and the engine fetches, a few at a time, only the items whose revision changed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;

#[cfg(doc)]
use crate::config::SourceKind;
use crate::model::{Category, ItemData, VaultType};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// The source cannot be read at all (missing file, bad zip, upstream down or 401…). Reported
    /// in `/health` and the logs; the store keeps serving the last good data.
    #[error("{0}")]
    Unavailable(String),
    /// The source was read but its content is invalid; the message says where.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceVault {
    /// Stable: from the source, or derived with [`crate::ids::derived_id`].
    pub id: String,
    pub name: String,
    pub description: String,
    pub vault_type: VaultType,
    /// A marker that changes whenever anything in the vault changes (an upstream Connect vault's
    /// `contentVersion`): when it is unchanged, the vault's items are not even listed.
    pub revision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Stable, 26 lowercase characters.
    pub id: String,
    pub name: String,
    /// The section the file belongs to, if any.
    pub section: Option<String>,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceItem {
    /// Stable, 26 lowercase characters.
    pub id: String,
    /// Any category, CUSTOM and DOCUMENT included (only the API refuses to create those).
    pub category: Category,
    /// `Some("ARCHIVED")` for archived items.
    pub state: Option<String>,
    /// Title, tags, urls, favorite, sections and fields. `data.body.files` is filled by the sync
    /// engine from `files`; sources leave it empty.
    pub data: ItemData,
    pub files: Vec<SourceFile>,
}

/// An item's identity and, where the source has one, a revision marker that changes whenever the
/// item changes (e.g. an upstream Connect `version`), so that unchanged items are not fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItemMeta {
    pub id: String,
    pub revision: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub vaults: Vec<SnapshotVault>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotVault {
    pub vault: SourceVault,
    pub items: Vec<SourceItem>,
}

/// A source of vaults and items for the sync worker.
pub trait Source: Send + Sync {
    /// The label of this source in `/health`, metrics and logs: a [`SourceKind`]'s name for the
    /// sources a credentials file can name.
    fn kind(&self) -> &'static str;

    /// Where it reads from, for logs and `/health`; never contains a secret.
    fn describe(&self) -> String;

    /// A source that reads its content as one stream (a file) returns itself: the engine then
    /// calls [`StreamingSource::read`] and never the listing methods below.
    fn streaming(&self) -> Option<&dyn StreamingSource> {
        None
    }

    /// How many [`Source::item`] fetches the engine keeps in flight at once.
    fn fetch_concurrency(&self) -> usize {
        DEFAULT_FETCH_CONCURRENCY
    }

    /// The vaults of a listing source.
    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>> {
        Box::pin(async move { Err(not_listing(self.kind())) })
    }

    /// The items of one vault of a listing source, with their revision markers.
    fn items<'a>(
        &'a self,
        _vault_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SourceItemMeta>, SourceError>> {
        Box::pin(async move { Err(not_listing(self.kind())) })
    }

    /// One item of a listing source.
    fn item<'a>(
        &'a self,
        _vault_id: &'a str,
        _item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>> {
        Box::pin(async move { Err(not_listing(self.kind())) })
    }

    /// Called once before each sync run (file sources re-read their file here).
    fn refresh(&self) -> BoxFuture<'_, Result<(), SourceError>> {
        Box::pin(async { Ok(()) })
    }

    /// A number that changes whenever the source's content may have changed (file sources bump it
    /// when they re-read the file). `None` means "unknown": every run compares every item.
    fn generation(&self) -> Option<u64> {
        None
    }

    /// Resolves when the source may have changed (a watched file), or after `interval`.
    fn changed(&self, interval: std::time::Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(interval))
    }

    /// Whether [`Source::changed`] signals changes. A source that cannot (an upstream server) is
    /// retried with a growing delay after a failure; one that can is retried when it changes.
    fn watches_changes(&self) -> bool {
        false
    }
}

/// The fetches a listing source gets in flight at once unless it says otherwise: enough to hide
/// an upstream's latency, few enough not to swamp it.
pub const DEFAULT_FETCH_CONCURRENCY: usize = 8;

fn not_listing(kind: &str) -> SourceError {
    SourceError::Unavailable(format!(
        "the {kind} source streams its content; it cannot be listed"
    ))
}

/// SHA-256 of bytes a source read: a whole file, or what one item is built from.
pub type ContentDigest = [u8; 32];

/// A source whose content is read as one stream (a file), vault by vault and item by item, so
/// that neither the source nor the engine holds all of it.
pub trait StreamingSource: Send + Sync {
    /// Hands the vaults and items to `sink` in source order. Blocking: the engine calls it on a
    /// blocking thread, and may call it twice in one run (a pass that checks everything before
    /// anything is written, then one that writes, when the changes are too many to hold).
    fn read(&self, sink: &mut dyn ItemSink) -> Result<ReadEnd, SourceError>;

    /// How many items a read would hand over, counted by reading the source once without
    /// building anything; `None` when it cannot tell, or once `stop` is set. A first sync reads
    /// and writes in one pass and learns its total only at the end, so it runs this beside that
    /// pass to show a progress total early.
    fn count(&self, _stop: &AtomicBool) -> Option<u64> {
        None
    }
}

/// How a [`StreamingSource::read`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnd {
    /// [`ItemSink::content`] said the store holds this content already: nothing was parsed.
    Unchanged,
    /// Everything was handed over. `self_contained`: the content depended on the file's bytes
    /// alone (no value file, environment variable or attachment read from elsewhere), so the
    /// same bytes next time mean the same content.
    Complete { self_contained: bool },
}

/// Where a [`StreamingSource`] delivers: the engine's side of a read.
pub trait ItemSink {
    /// The SHA-256 of the whole file, before parsing. `true`: the store holds exactly this
    /// content already, so the source returns [`ReadEnd::Unchanged`] without parsing. A source
    /// that knows the content changed may parse first and give the digest after a complete
    /// parse instead (the answer is then moot), so that the engine records it.
    fn content(&mut self, digest: &ContentDigest) -> bool;

    /// The number of items, when the source knows it before the end.
    fn total(&mut self, items: u64);

    /// A vault's attributes, once per vault, before or after its items (a streamed file may
    /// hold them after the items).
    fn vault(&mut self, vault: SourceVault) -> Result<(), SourceError>;

    /// An item, before it is built. `text`: the SHA-256 of everything the item is built from,
    /// when that may be only its own source text (with the vault id and a format version mixed
    /// in). `Ok(false)`: the store holds it unchanged (or must keep its own), do not build it.
    fn wants(
        &mut self,
        vault_id: &str,
        item_id: &str,
        text: Option<&ContentDigest>,
    ) -> Result<bool, SourceError>;

    /// The built item. `text` as for [`ItemSink::wants`], but `None` when building it read
    /// anything besides its own text (a value file, an environment variable, an attachment).
    fn item(
        &mut self,
        vault_id: &str,
        item: SourceItem,
        text: Option<ContentDigest>,
    ) -> Result<(), SourceError>;
}

/// Hands a whole [`Snapshot`] to `sink`, for sources that parse into one (their items have no
/// text digest, so each is built and compared every time).
pub fn feed_snapshot(snapshot: Snapshot, sink: &mut dyn ItemSink) -> Result<(), SourceError> {
    let items = snapshot.vaults.iter().map(|v| v.items.len() as u64).sum();
    sink.total(items);
    for SnapshotVault { vault, items } in snapshot.vaults {
        for item in items {
            if sink.wants(&vault.id, &item.id, None)? {
                sink.item(&vault.id, item, None)?;
            }
        }
        sink.vault(vault)?;
    }
    Ok(())
}

/// The opposite of [`feed_snapshot`]: a sink that keeps everything, for the whole-[`Snapshot`]
/// form of a streaming parse. Items are matched to their vault by id, so it takes a vault either
/// before its items (1PUX) or after them (seed files).
#[derive(Default)]
pub struct SnapshotSink {
    snapshot: Snapshot,
    /// Items whose vault has not been handed over yet.
    pending: std::collections::HashMap<String, Vec<SourceItem>>,
}

impl SnapshotSink {
    /// The snapshot; an item whose vault never came is an error.
    pub fn finish(self) -> Result<Snapshot, SourceError> {
        if self.pending.values().any(|items| !items.is_empty()) {
            return Err(SourceError::Invalid("an item outside a vault".into()));
        }
        Ok(self.snapshot)
    }
}

impl ItemSink for SnapshotSink {
    fn content(&mut self, _: &ContentDigest) -> bool {
        false
    }

    fn total(&mut self, _: u64) {}

    fn vault(&mut self, vault: SourceVault) -> Result<(), SourceError> {
        let items = self.pending.remove(&vault.id).unwrap_or_default();
        self.snapshot.vaults.push(SnapshotVault { vault, items });
        Ok(())
    }

    fn wants(&mut self, _: &str, _: &str, _: Option<&ContentDigest>) -> Result<bool, SourceError> {
        Ok(true)
    }

    fn item(
        &mut self,
        vault_id: &str,
        item: SourceItem,
        _: Option<ContentDigest>,
    ) -> Result<(), SourceError> {
        match self
            .snapshot
            .vaults
            .iter_mut()
            .rev()
            .find(|v| v.vault.id == vault_id)
        {
            Some(vault) => vault.items.push(item),
            None => self
                .pending
                .entry(vault_id.to_string())
                .or_default()
                .push(item),
        }
        Ok(())
    }
}
