//! The progress of a sync run in the sync process's `/health` (the `sync` dependency's message)
//! and `/metrics` gauges.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use latchkey::config::SourceKind;
use latchkey::http::{self, AppState, HttpConfig, SYNC_SERVICE_NAME};
use latchkey::sync::source::Snapshot;
use latchkey::sync::{Engine, Progress};
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::TestApp;
use crate::sync::{source_item, source_vault, FakeSource};

/// The sync process's state and router over `app`'s store.
fn sync_process(app: &TestApp) -> AppState {
    let config = HttpConfig {
        source_kind: SourceKind::Seed,
        service_name: SYNC_SERVICE_NAME,
        ..HttpConfig::default()
    };
    latchkey::app::state(&app.credentials, app.store.clone(), config, None).unwrap()
}

async fn get(state: &AppState, path: &str) -> String {
    let response = http::sync_routes(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

async fn sync_dependency(state: &AppState) -> Value {
    let health: Value = serde_json::from_str(&get(state, "/health").await).unwrap();
    assert_eq!(health["dependencies"][2]["service"], "sync", "{health}");
    health["dependencies"][2].clone()
}

#[tokio::test]
async fn a_run_in_progress_is_in_health_and_metrics() {
    let app = TestApp::new().await;
    app.store.record_sync_attempt("seed").await.unwrap();
    let state = sync_process(&app);
    let progress = Arc::new(Progress::new());
    state.metrics.watch_sync(progress.clone());
    progress.start();
    progress.set_total(300);
    progress.advance(120, 3);
    let sync = sync_dependency(&state).await;
    // Connect's statuses and shape: the progress is only in the message.
    assert_eq!(sync["status"], "ACTIVE");
    let message = sync["message"].as_str().unwrap();
    assert!(
        message.starts_with("source seed; last success never; syncing: 120 of 300 items (40%), "),
        "{message}"
    );
    let metrics = get(&state, "/metrics").await;
    for line in [
        "latchkey_sync_running 1",
        "latchkey_sync_items_done 120",
        "latchkey_sync_items_total 300",
        "latchkey_sync_items_changed 3",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    assert!(metrics.contains("\nlatchkey_sync_items_per_second "));
}

#[tokio::test]
async fn a_finished_run_leaves_its_counts_in_metrics_and_no_progress_in_health() {
    let app = TestApp::new().await;
    let source = Arc::new(FakeSource::default());
    let items = (0..300)
        .map(|n| source_item(&format!("Item {n}"), "pw"))
        .collect();
    *source.snapshot.lock().unwrap() = Snapshot {
        vaults: vec![source_vault("Synced", items)],
    };
    let engine = Engine::new(app.store.clone(), source, "SYNCER".into());
    let state = sync_process(&app);
    state.metrics.watch_sync(engine.progress().clone());
    engine.sync_once().await.unwrap();
    let metrics = get(&state, "/metrics").await;
    for line in [
        "latchkey_sync_running 0",
        "latchkey_sync_items_done 300",
        "latchkey_sync_items_total 300",
        "latchkey_sync_items_changed 300",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    let sync = sync_dependency(&state).await;
    assert_eq!(sync["status"], "ACTIVE");
    assert!(
        !sync["message"].as_str().unwrap().contains("syncing"),
        "{sync}"
    );
}

#[tokio::test]
async fn an_api_process_without_a_worker_reports_no_progress() {
    let app = TestApp::new().await;
    let metrics = get(&app.state, "/metrics").await;
    assert!(!metrics.contains("latchkey_sync_items_done"), "{metrics}");
}
