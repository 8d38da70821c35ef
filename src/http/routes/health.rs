//! `/heartbeat`, `/health` and `/metrics`: unauthenticated, as in Connect.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::config::SourceKind;
use crate::http::{AppState, CONNECT_VERSION};
use crate::model::{Health, ServiceDependency};
use crate::sync::status::{self, Dependency};

pub async fn heartbeat() -> Response {
    text(".".to_string(), "text/plain")
}

pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let path = state.store.path().display();
    let sqlite = match state.store.ping().await {
        Ok(()) => ServiceDependency {
            service: "sqlite".into(),
            status: "ACTIVE".into(),
            message: Some(format!("Connected to {path}")),
        },
        Err(_) => ServiceDependency {
            service: "sqlite".into(),
            status: "UNAVAILABLE".into(),
            message: Some(format!("Cannot query {path}")),
        },
    };
    let sync_state = state.store.sync_state().await.ok().flatten();
    let local_only = state.config.source_kind == SourceKind::None;
    Json(Health {
        name: state.config.service_name.into(),
        version: CONNECT_VERSION.into(),
        dependencies: vec![
            sqlite,
            dependency(status::account_data(sync_state.as_ref(), local_only)),
            dependency(status::sync(
                sync_state.as_ref(),
                local_only,
                state.metrics.sync_progress().as_ref(),
            )),
        ],
    })
}

fn dependency(d: Dependency) -> ServiceDependency {
    ServiceDependency {
        service: d.service.into(),
        status: d.status.into(),
        message: Some(d.message),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.store.counts().await.ok();
    let mut body = state.metrics.render(counts);
    crate::http::metrics::render_activity_drops(&mut body, state.activity.dropped());
    if let Ok(Some(sync)) = state.store.sync_state().await {
        crate::http::metrics::render_sync(&mut body, &sync);
    }
    if let Some(progress) = state.metrics.sync_progress() {
        crate::http::metrics::render_progress(&mut body, &progress);
    }
    text(body, "text/plain; version=0.0.4; charset=utf-8")
}

/// A plain-text response (for `/heartbeat` and `/metrics`).
fn text(body: String, content_type: &'static str) -> Response {
    let mut response = Body::from(body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}
