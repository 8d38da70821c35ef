//! Failing sources back off: a broken seed file is read again only once it changes (or a whole
//! interval has passed), a failing upstream is retried soon and then less and less often, and
//! what `/health` says about a broken file names positions, never titles or names.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use latchkey::config::{SourceKind, UpstreamLimits};
use latchkey::sync::sources::connect::ConnectSource;
use latchkey::sync::sources::file::FileSource;
use latchkey::sync::{run_until_stopped, Engine};

use crate::helpers::TestApp;
use crate::sync_processes::wait_until;

const VAULT_CANARY: &str = "CANARY-VAULT-7f3a";
const ITEM_CANARY: &str = "CANARY-ITEM-91bc";
const FIELD_CANARY: &str = "CANARY-FIELD-22de";

fn broken_seed() -> String {
    format!(
        "version: 1\nvaults:\n  - name: {VAULT_CANARY}\n    items:\n      - title: Fine\n      - title: {ITEM_CANARY}\n        fields:\n          - {{label: other, value: x}}\n          - {{label: {FIELD_CANARY}, type: DATE, value: not-a-date}}\n"
    )
}

fn fixed_seed() -> String {
    format!(
        "version: 1\nvaults:\n  - name: {VAULT_CANARY}\n    items:\n      - title: {ITEM_CANARY}\n"
    )
}

/// Written whole and renamed, as an editor does.
fn write(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A seed source over `path` that counts its parses.
fn counting_seed_source(path: PathBuf) -> (Arc<FileSource>, Arc<AtomicUsize>) {
    let parses = Arc::new(AtomicUsize::new(0));
    let counter = parses.clone();
    let source = FileSource::new(SourceKind::Seed, path, move |p| {
        counter.fetch_add(1, Ordering::SeqCst);
        latchkey::sync::sources::seed::parse_file(
            p,
            &[7; 32],
            &latchkey::config::SourceLimits::default(),
        )
    });
    (Arc::new(source), parses)
}

/// Runs the worker loop in the background until the returned sender is dropped or used.
fn run(engine: Arc<Engine>, interval: Duration) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run_until_stopped(engine, interval, async move {
        let _ = stopped.await;
    }));
    stop
}

async fn last_error(app: &TestApp) -> Option<String> {
    app.store
        .sync_state()
        .await
        .unwrap()
        .and_then(|s| s.last_error)
}

async fn vault_names(app: &TestApp) -> Vec<String> {
    let vaults = app.store.list_vaults().await.unwrap();
    vaults.into_iter().map(|v| v.name).collect()
}

/// `/health` of a seed deployment over `app`'s store, as text.
async fn health(app: &TestApp) -> String {
    crate::helpers::health_text(app, SourceKind::Seed).await
}

#[tokio::test]
async fn a_broken_seed_file_is_parsed_once_until_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    write(&path, &broken_seed());
    let app = TestApp::new().await;
    let (source, parses) = counting_seed_source(path.clone());
    let engine = Arc::new(Engine::new(app.store.clone(), source, "SYNCER".into()));
    let stop = run(engine, Duration::from_secs(120));

    wait_until("the error is recorded", Duration::from_secs(10), || async {
        last_error(&app).await.is_some()
    })
    .await;
    // The old watcher re-parsed an unchanged broken file every 200 ms.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        parses.load(Ordering::SeqCst),
        1,
        "the broken file was re-parsed"
    );

    // /health is unauthenticated: positions, not the names in the file.
    let error = last_error(&app).await.unwrap();
    assert!(error.contains("vault #1, item #2"), "{error}");
    assert!(error.contains("field #2: not a valid DATE"), "{error}");
    let health = health(&app).await;
    assert!(health.contains("vault #1, item #2"), "{health}");
    for canary in [VAULT_CANARY, ITEM_CANARY, FIELD_CANARY] {
        assert!(!health.contains(canary), "{canary} in /health: {health}");
        assert!(!error.contains(canary), "{canary} in the error: {error}");
    }

    // A fix is still picked up by the watcher, long before the interval.
    write(&path, &fixed_seed());
    wait_until(
        "the fixed file is synced",
        Duration::from_secs(10),
        || async { vault_names(&app).await.iter().any(|n| n == VAULT_CANARY) },
    )
    .await;
    assert_eq!(parses.load(Ordering::SeqCst), 2);
    let _ = stop.send(());
}

#[tokio::test]
async fn a_seed_file_naming_a_missing_value_file_is_retried_each_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    write(
        &path,
        "vaults:\n  - name: V\n    items:\n      - title: T\n        password: {file: secret.txt}\n",
    );
    let app = TestApp::new().await;
    let (source, parses) = counting_seed_source(path);
    let engine = Arc::new(Engine::new(app.store.clone(), source, "SYNCER".into()));
    let stop = run(engine, Duration::from_secs(2));
    wait_until("the error is recorded", Duration::from_secs(10), || async {
        last_error(&app).await.is_some()
    })
    .await;
    // The seed file itself does not change: the next interval's run reads it again.
    std::fs::write(dir.path().join("secret.txt"), "s3cret").unwrap();
    wait_until(
        "the value file is picked up",
        Duration::from_secs(15),
        || async { vault_names(&app).await.iter().any(|n| n == "V") },
    )
    .await;
    assert!(parses.load(Ordering::SeqCst) >= 2);
    let _ = stop.send(());
}

#[tokio::test]
async fn a_failing_upstream_is_retried_soon_then_less_often() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let router = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = TestApp::new().await;
    let source = ConnectSource::new(&host, "t", UpstreamLimits::default()).unwrap();
    let engine = Arc::new(Engine::new(
        app.store.clone(),
        Arc::new(source),
        "SYNCER".into(),
    ));
    // With a long interval, the old loop asked once and then waited the whole interval.
    let stop = run(engine, Duration::from_secs(300));
    wait_until(
        "three attempts (retries after about 1 s and 2 s)",
        Duration::from_secs(20),
        || async { requests.load(Ordering::SeqCst) >= 3 },
    )
    .await;
    let _ = stop.send(());
}
