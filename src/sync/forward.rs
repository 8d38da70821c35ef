//! Writes in a `connect` deployment: sent to the upstream first, stored locally only once it
//! accepted them (docs/design.md §6). Nothing is stored when the upstream is down or refuses.

use std::collections::HashMap;
use std::sync::Arc;

use super::engine::{Engine, SyncError};
use super::sources::connect::{ConnectSource, UpstreamError};
use crate::model::{to_document, Category, ItemData, ItemJson, PatchOp};
use crate::store::{ItemLookup, ItemRecord, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The upstream refused the write or could not be reached; nothing was stored.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The upstream took the write but storing its answer failed.
    #[error("storing the upstream's answer: {0}")]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The item the upstream confirmed is not in the store afterwards (deleted meanwhile).
    #[error("item {0} not found")]
    Vanished(String),
}

/// The upstream of a `connect` deployment and the engine that stores what it confirms.
pub struct Forwarder {
    server: Arc<ConnectSource>,
    engine: Engine,
    store: Store,
}

impl Forwarder {
    pub fn new(store: Store, server: Arc<ConnectSource>, editor: String) -> Self {
        let engine = Engine::new(
            store.clone(),
            server.clone() as Arc<dyn super::source::Source>,
            editor,
        );
        Forwarder {
            server,
            engine,
            store,
        }
    }

    pub async fn create(
        &self,
        vault_id: &str,
        category: Category,
        data: &ItemData,
    ) -> Result<ItemRecord, ForwardError> {
        let created = self
            .server
            .create_item(vault_id, &body(vault_id, None, category, data))
            .await?;
        let revision = Some(created.version.to_string());
        self.store_confirmed(vault_id, created, revision, None)
            .await
    }

    pub async fn replace(
        &self,
        current: &ItemRecord,
        data: &ItemData,
    ) -> Result<ItemRecord, ForwardError> {
        let vault_id = current.vault_id.as_str();
        let document = body(vault_id, Some(&current.id), current.category, data);
        let replaced = self
            .server
            .replace_item(vault_id, &current.id, &document)
            .await?;
        // Connect answers a PUT with the old version: no revision, so the next sync re-reads it.
        self.store_confirmed(vault_id, replaced, None, Some(current))
            .await
    }

    pub async fn patch(
        &self,
        current: &ItemRecord,
        ops: &[PatchOp],
    ) -> Result<ItemRecord, ForwardError> {
        let ops_json: Vec<serde_json::Value> = ops
            .iter()
            .map(|op| serde_json::json!({"op": op.op, "path": op.path, "value": op.value}))
            .collect();
        let patched = self
            .server
            .patch_item(
                &current.vault_id,
                &current.id,
                &serde_json::Value::Array(ops_json),
            )
            .await?;
        let revision = Some(patched.version.to_string());
        self.store_confirmed(&current.vault_id, patched, revision, Some(current))
            .await
    }

    /// Deletes upstream; an item the upstream no longer has is forgotten locally too.
    pub async fn delete(&self, vault_id: &str, item_id: &str) -> Result<(), ForwardError> {
        let result = self.server.delete_item(vault_id, item_id).await;
        if result.is_ok() || matches!(result, Err(UpstreamError::Rejected { status: 404, .. })) {
            self.engine.forget(vault_id, item_id).await?;
        }
        Ok(result?)
    }

    /// Stores the item the upstream returned, reusing the file contents we already hold.
    async fn store_confirmed(
        &self,
        vault_id: &str,
        confirmed: ItemJson,
        revision: Option<String>,
        current: Option<&ItemRecord>,
    ) -> Result<ItemRecord, ForwardError> {
        let mut known = HashMap::new();
        if let Some(current) = current {
            for file in &current.data.body.files {
                if let Some(reader) = self
                    .store
                    .open_file(vault_id, &current.id, &file.id)
                    .await?
                {
                    known.insert(file.id.clone(), reader.read_to_end().await?);
                }
            }
        }
        let item_id = confirmed.id.clone();
        let item = self
            .server
            .with_files(vault_id, confirmed, |id| known.get(id).cloned())
            .await?;
        self.engine.ingest(vault_id, item, revision).await?;
        match self.store.get_item(vault_id, &item_id).await? {
            ItemLookup::Found(item) => Ok(*item),
            ItemLookup::NoVault | ItemLookup::NoItem => Err(ForwardError::Vanished(item_id)),
        }
    }
}

/// The request body sent upstream: the item as Connect takes it, with its vault (and id).
fn body(
    vault_id: &str,
    item_id: Option<&str>,
    category: Category,
    data: &ItemData,
) -> serde_json::Value {
    let mut document = to_document(data, category);
    document["vault"] = serde_json::json!({ "id": vault_id });
    if let Some(id) = item_id {
        document["id"] = serde_json::json!(id);
    }
    document
}
