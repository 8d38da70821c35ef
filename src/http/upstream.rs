//! Writes in a `connect` deployment: sent to the upstream first, stored locally only once it
//! accepted them (design §6). Nothing is stored when the upstream is down or refuses.

use std::collections::HashMap;

use super::items::find_item;
use super::{AppState, Upstream};
use crate::error::{ApiError, ApiResult};
use crate::model::{to_document, Category, ItemData, ItemJson, PatchOp};
use crate::store::ItemRecord;

fn internal(err: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(err.into())
}

/// Stores the item the upstream returned, reusing the file contents we already hold.
async fn store_confirmed(
    state: &AppState,
    up: &Upstream,
    vault_id: &str,
    confirmed: ItemJson,
    revision: Option<String>,
    current: Option<&ItemRecord>,
) -> ApiResult<ItemRecord> {
    let mut known = HashMap::new();
    if let Some(current) = current {
        for file in &current.data.body.files {
            if let Some(content) = state
                .store
                .file_content(vault_id, &current.id, &file.id)
                .await?
            {
                known.insert(file.id.clone(), content);
            }
        }
    }
    let item_id = confirmed.id.clone();
    let item = up
        .server
        .with_files(confirmed, |id| known.get(id).cloned())
        .await?;
    up.engine
        .ingest(vault_id, item, revision)
        .await
        .map_err(internal)?;
    find_item(state, vault_id, &item_id).await
}

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

pub async fn create(
    state: &AppState,
    up: &Upstream,
    vault_id: &str,
    category: Category,
    data: &ItemData,
) -> ApiResult<ItemRecord> {
    let created = up
        .server
        .create_item(vault_id, &body(vault_id, None, category, data))
        .await?;
    let revision = Some(created.version.to_string());
    store_confirmed(state, up, vault_id, created, revision, None).await
}

pub async fn replace(
    state: &AppState,
    up: &Upstream,
    current: &ItemRecord,
    data: &ItemData,
) -> ApiResult<ItemRecord> {
    let vault_id = current.vault_id.as_str();
    let replaced = up
        .server
        .replace_item(
            vault_id,
            &current.id,
            &body(vault_id, Some(&current.id), current.category, data),
        )
        .await?;
    // Connect answers a PUT with the old version: no revision, so the next sync re-reads it.
    store_confirmed(state, up, vault_id, replaced, None, Some(current)).await
}

pub async fn patch(
    state: &AppState,
    up: &Upstream,
    current: &ItemRecord,
    ops: &[PatchOp],
) -> ApiResult<ItemRecord> {
    let ops_json: Vec<serde_json::Value> = ops
        .iter()
        .map(|op| serde_json::json!({"op": op.op, "path": op.path, "value": op.value}))
        .collect();
    let patched = up
        .server
        .patch_item(
            &current.vault_id,
            &current.id,
            &serde_json::Value::Array(ops_json),
        )
        .await?;
    let revision = Some(patched.version.to_string());
    store_confirmed(
        state,
        up,
        &current.vault_id,
        patched,
        revision,
        Some(current),
    )
    .await
}

pub async fn delete(up: &Upstream, vault_id: &str, item_id: &str) -> ApiResult<()> {
    let result = up.server.delete_item(vault_id, item_id).await;
    if result.is_ok()
        || matches!(
            result,
            Err(crate::sync::sources::connect::UpstreamError::Rejected { status: 404, .. })
        )
    {
        up.engine
            .forget(vault_id, item_id)
            .await
            .map_err(internal)?;
    }
    result.map_err(ApiError::from)
}
