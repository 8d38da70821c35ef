//! `GET /v1/vaults` and `GET /v1/vaults/{vaultUuid}`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::activity::Action;
use super::extract::{Auth, Ids, Meta, QueryParams};
use super::{render, AppState};
use crate::error::{ApiError, ApiResult};
use crate::filter::{self, Filter};
use crate::model::VaultJson;

#[derive(Deserialize)]
pub struct FilterQuery {
    pub filter: Option<String>,
}

/// Parses `?filter=`; an absent or blank filter means everything.
pub fn parse_filter(raw: Option<&str>, allowed: &[&str], what: &str) -> ApiResult<Option<Filter>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let parsed = filter::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    parsed
        .check_attributes(allowed, what)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Some(parsed))
}

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
    if !access.in_scope(&ids.vault) {
        state
            .activity
            .record(&meta, &access, Action::Read, false, &ids.vault, None, None);
        return Err(ApiError::Forbidden(
            "Authorization: token does not have access to vault".into(),
        ));
    }
    let vault = state
        .store
        .get_vault(&ids.vault)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("vault {} not found", ids.vault)))?;
    state
        .activity
        .record(&meta, &access, Action::Read, true, &ids.vault, None, None);
    Ok(Json(render::vault(&vault)))
}
