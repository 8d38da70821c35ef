//! `GET /v1/activity`: the token's own requests and its readable vaults' entries, paged.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, QueryParams};
use crate::http::AppState;
use crate::model::{ActivityActor, ActivityResource, ApiRequestJson, IdRef};
use crate::timefmt;

#[derive(Deserialize)]
pub struct Paging {
    limit: Option<String>,
    offset: Option<String>,
}

fn non_negative(name: &str, value: Option<&str>, default: i64) -> ApiResult<i64> {
    match value {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request(format!("Invalid {name}: expected a non-negative integer"))
        }),
    }
}

pub async fn list(
    State(state): State<AppState>,
    Auth(access): Auth,
    QueryParams(paging): QueryParams<Paging>,
) -> ApiResult<Response> {
    let limit = non_negative("limit", paging.limit.as_deref(), 50)?.min(1000);
    let offset = non_negative("offset", paging.offset.as_deref(), 0)?;
    state
        .activity
        .flush(&state.store)
        .await
        .map_err(ApiError::Internal)?;
    // A token sees its own requests and those about the vaults it can read, not the whole
    // server's: a write-only token must not learn which tokens read what, from where.
    let scope = access.vault_ids().map(|ids| {
        ids.into_iter()
            .filter(|id| access.can_read(id))
            .collect::<Vec<_>>()
    });
    let (rows, total) = state
        .store
        .list_activity(limit, offset, scope.as_deref(), &access.jti)
        .await?;
    let count = i64::try_from(rows.len()).unwrap_or(0);
    let body: Vec<ApiRequestJson> = rows
        .into_iter()
        .map(|r| ApiRequestJson {
            request_id: r.request_id,
            timestamp: timefmt::rfc3339(r.ts),
            action: r.action,
            result: r.result,
            actor: ActivityActor {
                id: state.auth.server_id().to_string(),
                account: state.auth.account_id().to_string(),
                jti: r.jti,
                user_agent: r.user_agent,
                request_ip: r.request_ip,
            },
            resource: ActivityResource {
                resource_type: r.resource_type,
                vault: IdRef { id: r.vault_id },
                item: r.item_id.map(|id| IdRef { id }),
                item_version: r.item_version,
            },
        })
        .collect();
    let range = if count == 0 {
        format!("0-0/{total}")
    } else {
        format!("{}-{}/{total}", offset + 1, offset + count)
    };
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&range) {
        response.headers_mut().insert("content-range", value);
    }
    Ok(response)
}
