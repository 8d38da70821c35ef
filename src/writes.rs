//! Where item writes go: the local store, or — in a `connect` deployment — the upstream first
//! (docs/design.md §6). Handlers call one [`ItemWriter`] and never branch on the deployment.

use std::sync::Arc;

use crate::model::{Category, ItemData, PatchOp};
use crate::store::{ItemLookup, ItemRecord, Store, StoreError};
use crate::sync::forward::{ForwardError, Forwarder};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("vault {0} not found")]
    NoVault(String),
    #[error("item {0} not found")]
    NoItem(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Forward(#[from] ForwardError),
}

/// How an update reached the API; an upstream is sent the same kind of request.
pub enum Change<'a> {
    Replace,
    Patch(&'a [PatchOp]),
}

pub enum ItemWriter {
    /// The store is the source of truth (or a read-only source's deployment keeps API items).
    Local { store: Store, editor: String },
    /// A `connect` source: the upstream takes the write first.
    Upstream {
        store: Store,
        forwarder: Arc<Forwarder>,
    },
}

impl ItemWriter {
    fn store(&self) -> &Store {
        match self {
            ItemWriter::Local { store, .. } | ItemWriter::Upstream { store, .. } => store,
        }
    }

    /// Creates an item; `item_id` is used by the local store (an upstream picks its own).
    pub async fn create(
        &self,
        vault_id: &str,
        item_id: &str,
        category: Category,
        data: &ItemData,
    ) -> Result<ItemRecord, WriteError> {
        match self {
            ItemWriter::Local { store, editor } => store
                .create_item(vault_id, item_id, category, data, editor, &[])
                .await?
                .ok_or_else(|| WriteError::NoVault(vault_id.to_string())),
            ItemWriter::Upstream { store, forwarder } => {
                if store.get_vault(vault_id).await?.is_none() {
                    return Err(WriteError::NoVault(vault_id.to_string()));
                }
                Ok(forwarder.create(vault_id, category, data).await?)
            }
        }
    }

    /// Replaces `current` with `data` (already validated), by a PUT or a PATCH.
    pub async fn update(
        &self,
        current: &ItemRecord,
        data: &ItemData,
        change: Change<'_>,
    ) -> Result<ItemRecord, WriteError> {
        match (self, change) {
            (ItemWriter::Local { store, editor }, _) => {
                Ok(store.replace_item(current, data, editor).await?)
            }
            (ItemWriter::Upstream { forwarder, .. }, Change::Replace) => {
                Ok(forwarder.replace(current, data).await?)
            }
            (ItemWriter::Upstream { forwarder, .. }, Change::Patch(ops)) => {
                Ok(forwarder.patch(current, ops).await?)
            }
        }
    }

    pub async fn delete(&self, vault_id: &str, item_id: &str) -> Result<(), WriteError> {
        match self {
            ItemWriter::Local { store, .. } => {
                if store.delete_item(vault_id, item_id).await? {
                    return Ok(());
                }
                Err(self.missing(vault_id, item_id).await)
            }
            ItemWriter::Upstream { store, forwarder } => {
                match store.get_item(vault_id, item_id).await? {
                    ItemLookup::Found(_) => Ok(forwarder.delete(vault_id, item_id).await?),
                    ItemLookup::NoVault => Err(WriteError::NoVault(vault_id.to_string())),
                    ItemLookup::NoItem => Err(WriteError::NoItem(item_id.to_string())),
                }
            }
        }
    }

    /// Which of the vault or the item is missing.
    async fn missing(&self, vault_id: &str, item_id: &str) -> WriteError {
        match self.store().get_vault(vault_id).await {
            Ok(None) => WriteError::NoVault(vault_id.to_string()),
            Ok(Some(_)) => WriteError::NoItem(item_id.to_string()),
            Err(err) => WriteError::Store(err),
        }
    }
}
