//! `/heartbeat`, `/health` and `/metrics`: unauthenticated, as in Connect.

use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::{text, AppState, CONNECT_VERSION};
use crate::model::{Health, ServiceDependency};

pub async fn heartbeat() -> Response {
    text(".".to_string(), "text/plain")
}

pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let sqlite = match state.store.ping().await {
        Ok(()) => ServiceDependency {
            service: "sqlite".into(),
            status: "ACTIVE".into(),
            message: Some(format!("Connected to {}", state.store.path().display())),
        },
        Err(_) => ServiceDependency {
            service: "sqlite".into(),
            status: "UNAVAILABLE".into(),
            message: Some(format!("Cannot query {}", state.store.path().display())),
        },
    };
    let sync_state = state.store.sync_state().await.ok().flatten();
    let local_only = state.config.source_kind == "none";
    let account_data = if local_only
        || sync_state
            .as_ref()
            .is_some_and(|s| s.last_success.is_some())
    {
        ServiceDependency {
            service: "account_data".into(),
            status: "AVAILABLE".into(),
            message: Some("Account data is available".into()),
        }
    } else {
        ServiceDependency {
            service: "account_data".into(),
            status: "NOT_SYNCED".into(),
            message: Some(if sync_state.is_some() {
                "Account data is not available because the first synchronization has not completed"
                    .into()
            } else {
                "Account data is not available because synchronization has not yet started".into()
            }),
        }
    };
    let sync = match (&sync_state, local_only) {
        (_, true) => ServiceDependency {
            service: "sync".into(),
            status: "ACTIVE".into(),
            message: Some("No upstream source: the local store is the source of truth".into()),
        },
        (None, false) => ServiceDependency {
            service: "sync".into(),
            status: "NOT_STARTED".into(),
            message: Some("The sync worker has not run yet".into()),
        },
        (Some(s), false) => {
            let failing = s
                .error_at
                .is_some_and(|e| s.last_success.is_none_or(|ok| e >= ok));
            let mut message = format!(
                "source {}; last success {}",
                s.source_kind,
                s.last_success
                    .map_or_else(|| "never".to_string(), crate::timefmt::rfc3339)
            );
            if let (Some(error), Some(at)) = (&s.last_error, s.error_at) {
                message.push_str(&format!(
                    "; last error at {}: {error}",
                    crate::timefmt::rfc3339(at)
                ));
            }
            ServiceDependency {
                service: "sync".into(),
                status: if failing {
                    "ERROR".into()
                } else {
                    "ACTIVE".into()
                },
                message: Some(message),
            }
        }
    };
    Json(Health {
        name: state.config.service_name.into(),
        version: CONNECT_VERSION.into(),
        dependencies: vec![sqlite, account_data, sync],
    })
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.store.counts().await.ok();
    let mut body = state.metrics.render(counts);
    if let Ok(Some(sync)) = state.store.sync_state().await {
        super::metrics::render_sync(&mut body, &sync);
    }
    text(body, "text/plain; version=0.0.4; charset=utf-8")
}
