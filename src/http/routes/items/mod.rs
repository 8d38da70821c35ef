//! Item routes: list, get, create (POST), replace (PUT), patch (PATCH), delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::activity::Action;
use crate::auth::Access;
use crate::http::access::{find_item, item_read, record, require};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, Ids, JsonBody, Meta};
use crate::http::item_cache;
use crate::http::{render, AppState, RequestMeta};
use crate::ids;
use crate::model::{build_item, BuildMode, ItemData, ItemInput, PatchOp, Written};
use crate::store::ItemRecord;
use crate::writes::Change;

mod list;
mod patching;

pub use list::list;

/// The body returned by a write: the full item, or for a token that cannot read the vault only
/// what the request itself set ([`render::receipt`]). `version` is the one to show (see PUT).
fn written(access: &Access, item: &ItemRecord, sent: &Written, version: i64) -> Response {
    if access.can_read(&item.vault_id) {
        let mut body = render::full(item);
        body.version = version;
        Json(body).into_response()
    } else {
        let mut body = render::receipt(item, sent);
        body["version"] = version.into();
        Json(body).into_response()
    }
}

/// An item body must be a JSON object (serde would also accept an array as a struct).
fn item_body(body: serde_json::Value) -> ApiResult<ItemInput> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "Invalid JSON body: expected an item object",
        ));
    }
    serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(format!(
            "Invalid JSON body: {}",
            crate::text::json_error_message(&e)
        ))
    })
}

/// One item; warm reads come from the item cache (see [`crate::http::item_cache`]), with the same
/// access checks and activity entries as a read from the store.
pub async fn get_one(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
) -> ApiResult<Response> {
    let (vault_id, item_id) = (ids.vault.as_str(), ids.item());
    require(
        &state,
        &meta,
        &access,
        Action::Read,
        vault_id,
        Some(item_id),
    )?;
    let cached = state.item_cache.enabled(&state.store);
    // Taken before the lookup: what is read is only kept if nothing changed meanwhile.
    let generation = state.store.generation();
    if cached {
        if let Some(hit) = state.item_cache.get(generation, vault_id, item_id) {
            let at = (vault_id, Some(item_id));
            record(
                &state,
                &meta,
                &access,
                Action::Read,
                true,
                at,
                Some(hit.version),
            );
            return Ok(json_body(hit.json));
        }
    }
    let item = find_item(&state, vault_id, item_id).await?;
    item_read(&state, &meta, &access, &item);
    let json = serde_json::to_vec(&render::full(&item))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("rendering an item: {e}")))?;
    let json = item_cache::zeroizing_body(json);
    if cached && !render::shows_time(&item) {
        let entry = item_cache::CachedItem {
            version: item.version,
            json: json.clone(),
        };
        state
            .item_cache
            .insert(generation, vault_id, item_id, entry);
    }
    Ok(json_body(json))
}

fn json_body(json: axum::body::Bytes) -> Response {
    let content_type = [(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    )];
    (content_type, json).into_response()
}

pub async fn create(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Response> {
    let input = item_body(body)?;
    require(&state, &meta, &access, Action::Create, &ids.vault, None)?;
    // The path names the vault; a body `vault.id` (JS forces it, Go may send "") is not consulted.
    let item_id = match input.id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) if ids::is_valid_id(id) => id.to_string(),
        Some(_) => return Err(ApiError::bad_request("Invalid Item UUID")),
        None => ids::new_id(),
    };
    let (category, data) = build_item(input, &BuildMode::Create, &state.config.limits)
        .map_err(ApiError::BadRequest)?;
    let item = state
        .writer
        .create(&ids.vault, &item_id, category, &data)
        .await?;
    record(
        &state,
        &meta,
        &access,
        Action::Create,
        true,
        (&ids.vault, Some(&item.id)),
        Some(item.version),
    );
    Ok(written(
        &access,
        &item,
        &Written::everything(),
        item.version,
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Response> {
    let input = item_body(body)?;
    require(
        &state,
        &meta,
        &access,
        Action::Update,
        &ids.vault,
        Some(ids.item()),
    )?;
    if let Some(body_vault) = input
        .vault
        .as_ref()
        .and_then(|v| v.id.as_deref())
        .filter(|v| !v.is_empty())
    {
        if body_vault != ids.vault {
            return Err(ApiError::bad_request(
                "The vault id in the body does not match the vault in the path",
            ));
        }
    }
    if let Some(body_id) = input.id.as_deref().filter(|v| !v.is_empty()) {
        if body_id != ids.item() {
            return Err(ApiError::bad_request(
                "The item id in the body does not match the item in the path",
            ));
        }
    }
    let current = find_item(&state, &ids.vault, ids.item()).await?;
    let mode = BuildMode::Replace {
        category: current.category,
        previous: &current.data,
    };
    let (_, data) = build_item(input, &mode, &state.config.limits).map_err(ApiError::BadRequest)?;
    let updated = update(&state, &meta, &access, &current, &data, Change::Replace).await?;
    // Connect answers a PUT with the version the item had before the update; the next GET shows
    // it plus one. Terraform's provider waits for exactly that, so it is reproduced on purpose.
    Ok(written(
        &access,
        &updated,
        &Written::everything(),
        current.version,
    ))
}

pub async fn patch(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
    JsonBody(ops): JsonBody<Vec<PatchOp>>,
) -> ApiResult<Response> {
    require(
        &state,
        &meta,
        &access,
        Action::Update,
        &ids.vault,
        Some(ids.item()),
    )?;
    let limits = state.config.limits;
    crate::model::check_op_count(&ops, &limits).map_err(|e| ApiError::bad_request(e.message()))?;
    let can_read = access.can_read(&ids.vault);
    let current = find_item(&state, &ids.vault, ids.item()).await?;
    if ops.is_empty() {
        return Ok(written(
            &access,
            &current,
            &Written::default(),
            current.version,
        ));
    }
    let (ops, outcome) = patching::run(&current, ops, limits, can_read).await?;
    let (data, sent) = outcome?;
    let updated = update(&state, &meta, &access, &current, &data, Change::Patch(&ops))
        .await
        .map_err(|e| patching::withhold(e, can_read))?;
    Ok(written(&access, &updated, &sent, updated.version))
}

/// Writes the validated new content of `current` (PUT body or patched item) through the writer
/// and records the activity.
async fn update(
    state: &AppState,
    meta: &RequestMeta,
    access: &Access,
    current: &ItemRecord,
    data: &ItemData,
    change: Change<'_>,
) -> ApiResult<ItemRecord> {
    let updated = state.writer.update(current, data, change).await?;
    record(
        state,
        meta,
        access,
        Action::Update,
        true,
        (&current.vault_id, Some(&updated.id)),
        Some(updated.version),
    );
    Ok(updated)
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
) -> ApiResult<Response> {
    require(
        &state,
        &meta,
        &access,
        Action::Delete,
        &ids.vault,
        Some(ids.item()),
    )?;
    state.writer.delete(&ids.vault, ids.item()).await?;
    record(
        &state,
        &meta,
        &access,
        Action::Delete,
        true,
        (&ids.vault, Some(ids.item())),
        None,
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
