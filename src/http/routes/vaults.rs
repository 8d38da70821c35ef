//! `GET /v1/vaults` and `GET /v1/vaults/{vaultUuid}`.

use axum::extract::State;
use axum::Json;

use crate::activity::Action;
use crate::http::access::{no_vault_access, record};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_filter, Auth, FilterQuery, Ids, Meta, QueryParams};
use crate::http::{render, AppState};
use crate::model::VaultJson;

pub async fn list(
    State(state): State<AppState>,
    Auth(access): Auth,
    QueryParams(query): QueryParams<FilterQuery>,
) -> ApiResult<Json<Vec<VaultJson>>> {
    // Clients send `title` for vaults although Connect documents `name`: both mean the name.
    let filter = parse_filter(query.filter.as_deref(), &["name", "title"], "vaults")?;
    let vaults = state.store.list_vaults().await?;
    Ok(Json(
        vaults
            .iter()
            .filter(|v| access.in_scope(&v.id))
            .filter(|v| {
                filter.as_ref().is_none_or(|f| {
                    f.matches(|attr| match attr {
                        "name" | "title" => vec![v.name.as_str()],
                        _ => Vec::new(),
                    })
                })
            })
            .map(render::vault)
            .collect(),
    ))
}

pub async fn get_one(
    State(state): State<AppState>,
    Auth(access): Auth,
    Meta(meta): Meta,
    ids: Ids,
) -> ApiResult<Json<VaultJson>> {
    let scope = (ids.vault.as_str(), None);
    if !access.in_scope(&ids.vault) {
        record(&state, &meta, &access, Action::Read, false, scope, None);
        return Err(no_vault_access());
    }
    let vault = state
        .store
        .get_vault(&ids.vault)
        .await?
        .ok_or_else(|| ApiError::vault_not_found(&ids.vault))?;
    record(&state, &meta, &access, Action::Read, true, scope, None);
    Ok(Json(render::vault(&vault)))
}
