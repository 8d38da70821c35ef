//! `GET /v1/activity`, and the in-memory buffer that batches activity writes so that reads on the
//! hot path never wait for a database write (Connect batches its usage reports the same way).

use std::sync::Mutex;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::{Auth, QueryParams};
use super::{AppState, RequestMeta};
use crate::auth::Access;
use crate::error::{ApiError, ApiResult};
use crate::model::{ActivityActor, ActivityResource, ApiRequestJson, IdRef};
use crate::store::{ActivityRecord, Store};
use crate::timefmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Read => "READ",
            Action::Create => "CREATE",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
        }
    }
}

#[derive(Default)]
pub struct ActivityLog {
    pending: Mutex<Vec<ActivityRecord>>,
}

impl ActivityLog {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        meta: &RequestMeta,
        access: &Access,
        action: Action,
        allowed: bool,
        vault_id: &str,
        item_id: Option<&str>,
        item_version: Option<i64>,
    ) {
        let entry = ActivityRecord {
            request_id: meta.request_id.clone(),
            ts: timefmt::now(),
            action: action.as_str(),
            result: if allowed { "SUCCESS" } else { "DENY" },
            jti: access.jti.clone(),
            user_agent: meta.user_agent.clone(),
            request_ip: meta.ip.clone(),
            resource_type: if item_id.is_some() { "ITEM" } else { "VAULT" },
            vault_id: vault_id.to_string(),
            item_id: item_id.map(str::to_string),
            item_version,
        };
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    /// A successful read of an item.
    pub fn item_read(&self, meta: &RequestMeta, access: &Access, item: &crate::store::ItemRecord) {
        self.record(
            meta,
            access,
            Action::Read,
            true,
            &item.vault_id,
            Some(&item.id),
            Some(item.version),
        );
    }

    /// Writes buffered entries to the store.
    pub async fn flush(&self, store: &Store) -> anyhow::Result<()> {
        let batch = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if let Err(err) = store.append_activity(&batch).await {
            // Put the batch back so that a transient failure loses nothing.
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let newer = std::mem::replace(&mut *pending, batch);
            pending.extend(newer);
            return Err(err.into());
        }
        Ok(())
    }
}

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
    // A token sees its own requests and those about the vaults it names, not the whole server's.
    let scope = access.vault_ids();
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
