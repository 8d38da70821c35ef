//! What a sync source delivers, and the trait every source implements (docs/design.md §6).
//!
//! File sources (seed, 1pux) parse their whole file into a [`Snapshot`]; remote sources (connect)
//! list vaults and item revisions first and fetch only the items whose revision changed.

use std::future::Future;
use std::pin::Pin;

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

    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>>;

    fn items<'a>(
        &'a self,
        vault_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SourceItemMeta>, SourceError>>;

    fn item<'a>(
        &'a self,
        vault_id: &'a str,
        item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>>;

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
