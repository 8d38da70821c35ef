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
    Json(Health {
        name: "1Password Connect API".into(),
        version: CONNECT_VERSION.into(),
        dependencies: vec![
            sqlite,
            ServiceDependency {
                service: "account_data".into(),
                status: "AVAILABLE".into(),
                message: Some("Account data is available".into()),
            },
            ServiceDependency {
                service: "sync".into(),
                status: "ACTIVE".into(),
                message: None,
            },
        ],
    })
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.store.counts().await.ok();
    text(
        state.metrics.render(counts),
        "text/plain; version=0.0.4; charset=utf-8",
    )
}
