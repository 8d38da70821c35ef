//! Access decisions of the handlers: the token's grant for a vault (a denial is recorded in the
//! activity log), Connect's 403 texts, and the lookups whose misses are Connect's 404s.

use super::error::{ApiError, ApiResult};
use super::extract::Ids;
use super::{AppState, RequestMeta};
use crate::activity::Action;
use crate::auth::Access;
use crate::store::{ItemLookup, ItemRecord};

/// Connect's 403 for a vault the token does not name (also for a vault that does not exist, so
/// that a token cannot probe for vault ids).
pub fn no_vault_access() -> ApiError {
    ApiError::Forbidden("Authorization: token does not have access to vault".into())
}

fn no_read_access() -> ApiError {
    ApiError::Forbidden("Authorization: token does not have read access to vault".into())
}

fn no_write_access() -> ApiError {
    ApiError::Forbidden("Authorization: token does not have write access to vault".into())
}

/// Records one activity entry for this request.
pub fn record(
    state: &AppState,
    meta: &RequestMeta,
    access: &Access,
    action: Action,
    allowed: bool,
    (vault_id, item_id): (&str, Option<&str>),
    item_version: Option<i64>,
) {
    state.activity.record(
        &meta.requester,
        access,
        action,
        allowed,
        vault_id,
        item_id,
        item_version,
    );
}

/// Checks the token's grant for the vault, recording a denial in the activity log.
pub fn require(
    state: &AppState,
    meta: &RequestMeta,
    access: &Access,
    action: Action,
    vault_id: &str,
    item_id: Option<&str>,
) -> ApiResult<()> {
    let allowed = match action {
        Action::Read => access.can_read(vault_id),
        _ => access.can_write(vault_id),
    };
    if allowed {
        return Ok(());
    }
    record(
        state,
        meta,
        access,
        action,
        false,
        (vault_id, item_id),
        None,
    );
    Err(if !access.in_scope(vault_id) {
        no_vault_access()
    } else if action == Action::Read {
        no_read_access()
    } else {
        no_write_access()
    })
}

/// Looks an item up, mapping a missing vault or item to Connect's 404s.
pub async fn find_item(state: &AppState, vault_id: &str, item_id: &str) -> ApiResult<ItemRecord> {
    match state.store.get_item(vault_id, item_id).await? {
        ItemLookup::Found(item) => Ok(*item),
        ItemLookup::NoVault => Err(ApiError::vault_not_found(vault_id)),
        ItemLookup::NoItem => Err(ApiError::item_not_found(item_id)),
    }
}

/// An item the token may read: grant checked (and a denial recorded), then looked up.
pub async fn readable_item(
    state: &AppState,
    meta: &RequestMeta,
    access: &Access,
    ids: &Ids,
) -> ApiResult<ItemRecord> {
    require(
        state,
        meta,
        access,
        Action::Read,
        &ids.vault,
        Some(ids.item()),
    )?;
    find_item(state, &ids.vault, ids.item()).await
}

/// A successful read of an item, for the activity log.
pub fn item_read(state: &AppState, meta: &RequestMeta, access: &Access, item: &ItemRecord) {
    state.activity.item_read(&meta.requester, access, item);
}
