//! The sync engine against a scripted source: idempotence, real changes, deletions, API items
//! kept, files, failures reported while the last good data keeps being served.

use std::sync::{Arc, Mutex};

use latchkey::auth::ACL_READ_WRITE;
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, VaultType};
use latchkey::sync::source::{
    BoxFuture, Snapshot, SnapshotVault, Source, SourceError, SourceFile, SourceItem,
    SourceItemMeta, SourceVault,
};
use latchkey::sync::Engine;
use serde_json::json;

use crate::helpers::TestApp;

#[derive(Default)]
pub struct FakeSource {
    pub snapshot: Mutex<Snapshot>,
    pub fail: Mutex<Option<String>>,
    pub item_listings: std::sync::atomic::AtomicUsize,
}

impl FakeSource {
    fn current(&self) -> Result<Snapshot, SourceError> {
        if let Some(message) = self.fail.lock().unwrap().clone() {
            return Err(SourceError::Unavailable(message));
        }
        Ok(self.snapshot.lock().unwrap().clone())
    }
}

impl Source for FakeSource {
    fn kind(&self) -> &'static str {
        "fake"
    }
    fn describe(&self) -> String {
        "fake source".into()
    }
    fn vaults(&self) -> BoxFuture<'_, Result<Vec<SourceVault>, SourceError>> {
        Box::pin(async move {
            Ok(self
                .current()?
                .vaults
                .into_iter()
                .map(|v| v.vault)
                .collect())
        })
    }
    fn items<'a>(
        &'a self,
        vault_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SourceItemMeta>, SourceError>> {
        self.item_listings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            Ok(self
                .current()?
                .vaults
                .into_iter()
                .filter(|v| v.vault.id == vault_id)
                .flat_map(|v| v.items)
                .map(|i| SourceItemMeta {
                    id: i.id,
                    revision: None,
                })
                .collect())
        })
    }
    fn item<'a>(
        &'a self,
        vault_id: &'a str,
        item_id: &'a str,
    ) -> BoxFuture<'a, Result<SourceItem, SourceError>> {
        Box::pin(async move {
            self.current()?
                .vaults
                .into_iter()
                .filter(|v| v.vault.id == vault_id)
                .flat_map(|v| v.items)
                .find(|i| i.id == item_id)
                .ok_or_else(|| SourceError::Invalid("gone".into()))
        })
    }
}

pub fn source_item(title: &str, password: &str) -> SourceItem {
    let input: ItemInput = serde_json::from_value(json!({"title": title, "category": "LOGIN", "tags": ["synced"],
        "fields": [{"purpose": "USERNAME", "value": "svc"}, {"purpose": "PASSWORD", "value": password}]}))
    .unwrap();
    let (category, data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    SourceItem {
        id: latchkey::ids::derived_id("test-item", title),
        category,
        state: None,
        data,
        files: vec![],
    }
}

pub fn source_vault(name: &str, items: Vec<SourceItem>) -> SnapshotVault {
    SnapshotVault {
        vault: SourceVault {
            id: latchkey::ids::derived_id("test-vault", name),
            name: name.into(),
            description: String::new(),
            vault_type: VaultType::UserCreated,
            revision: None,
        },
        items,
    }
}

async fn setup() -> (TestApp, Arc<FakeSource>, Engine, String) {
    let app = TestApp::new().await;
    let source = Arc::new(FakeSource::default());
    let mut doc = source_item("Document", "-");
    doc.category = Category::Document;
    doc.files.push(SourceFile {
        id: latchkey::ids::derived_id("test-file", "a"),
        name: "a.txt".into(),
        section: None,
        content: b"file body".to_vec(),
    });
    *source.snapshot.lock().unwrap() = Snapshot {
        vaults: vec![source_vault(
            "Synced",
            vec![source_item("One", "p1"), source_item("Two", "p2"), doc],
        )],
    };
    let engine = Engine::new(app.store.clone(), source.clone(), "SYNCER".into());
    let vault_id = latchkey::ids::derived_id("test-vault", "Synced");
    (app, source, engine, vault_id)
}

async fn versions(app: &TestApp, token: &str, vault: &str) -> Vec<(String, i64)> {
    let list = app
        .get_with(&format!("/v1/vaults/{vault}/items"), token)
        .await
        .json();
    let mut v: Vec<(String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["version"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn sync_is_idempotent_and_versions_move_only_on_change() {
    let (app, source, engine, vault) = setup().await;
    let first = engine.sync_once().await.unwrap();
    assert_eq!(
        (first.vaults_added, first.items_added, first.items),
        (1, 3, 3)
    );
    let token = app.issue(&[(&vault, ACL_READ_WRITE)]).await;
    assert_eq!(
        versions(&app, &token, &vault).await,
        [("Document".into(), 1), ("One".into(), 1), ("Two".into(), 1)]
    );
    let vault_before = app
        .get_with(&format!("/v1/vaults/{vault}"), &token)
        .await
        .json();

    let again = engine.sync_once().await.unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.items_unchanged, 3);
    assert_eq!(
        app.get_with(&format!("/v1/vaults/{vault}"), &token)
            .await
            .json(),
        vault_before
    );

    source.snapshot.lock().unwrap().vaults[0].items[1] = source_item("Two", "rotated");
    let changed = engine.sync_once().await.unwrap();
    assert_eq!((changed.items_updated, changed.items_unchanged), (1, 2));
    assert_eq!(
        versions(&app, &token, &vault).await,
        [("Document".into(), 1), ("One".into(), 1), ("Two".into(), 2)]
    );
    let two = latchkey::ids::derived_id("test-item", "Two");
    let item = app
        .get_with(&format!("/v1/vaults/{vault}/items/{two}"), &token)
        .await
        .json();
    let password = item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "password")
        .unwrap();
    assert_eq!(password["value"], "rotated");
    assert_eq!(item["lastEditedBy"], "SYNCER");
    let vault_after = app
        .get_with(&format!("/v1/vaults/{vault}"), &token)
        .await
        .json();
    assert!(vault_after["contentVersion"].as_i64() > vault_before["contentVersion"].as_i64());
}

#[tokio::test]
async fn deletions_propagate_and_api_items_are_kept() {
    let (app, source, engine, vault) = setup().await;
    engine.sync_once().await.unwrap();
    let token = app.issue(&[(&vault, ACL_READ_WRITE)]).await;
    let created = app
        .send(
            axum::http::Method::POST,
            &format!("/v1/vaults/{vault}/items"),
            Some(&token),
            Some(
                crate::helpers::login("Made through the API")
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(created.status, 200);

    source.snapshot.lock().unwrap().vaults[0].items.remove(0);
    let outcome = engine.sync_once().await.unwrap();
    assert_eq!(outcome.items_removed, 1);
    let titles: Vec<String> = versions(&app, &token, &vault)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(titles, ["Document", "Made through the API", "Two"]);
    assert_eq!(
        app.get_with(&format!("/v1/vaults/{vault}"), &token)
            .await
            .json()["items"],
        3
    );

    source.snapshot.lock().unwrap().vaults.clear();
    let outcome = engine.sync_once().await.unwrap();
    assert_eq!(outcome.vaults_removed, 1);
    app.get_with(&format!("/v1/vaults/{vault}"), &token)
        .await
        .assert_error(404, "not found");
    // A vault that was never the source's is untouched.
    assert_eq!(
        app.get(&format!("/v1/vaults/{}", app.vault.id))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn files_are_synced_encrypted_and_served() {
    let (app, _source, engine, vault) = setup().await;
    engine.sync_once().await.unwrap();
    let token = app.issue(&[(&vault, ACL_READ_WRITE)]).await;
    let doc = latchkey::ids::derived_id("test-item", "Document");
    let files = app
        .get_with(&format!("/v1/vaults/{vault}/items/{doc}/files"), &token)
        .await
        .json();
    assert_eq!(files[0]["name"], "a.txt");
    assert_eq!(files[0]["size"], 9);
    let content = app
        .get_with(files[0]["content_path"].as_str().unwrap(), &token)
        .await;
    assert_eq!(content.body, b"file body");
}

#[tokio::test]
async fn a_failing_source_is_reported_and_the_last_good_data_served() {
    let (app, source, engine, vault) = setup().await;
    engine.sync_once().await.unwrap();
    *source.fail.lock().unwrap() = Some("cannot read /missing.yaml: no such file".into());
    let err = engine.sync_once().await.unwrap_err();
    assert!(err.to_string().contains("/missing.yaml"), "{err}");
    let state = app.store.sync_state().await.unwrap().unwrap();
    assert_eq!(
        state.last_error.as_deref(),
        Some("cannot read /missing.yaml: no such file")
    );
    assert!(state.last_success.is_some());
    let token = app.issue(&[(&vault, ACL_READ_WRITE)]).await;
    assert_eq!(versions(&app, &token, &vault).await.len(), 3);

    // /health of a deployment with a source reports the error.
    let config = latchkey::http::HttpConfig {
        source_kind: latchkey::config::SourceKind::Seed,
        ..latchkey::http::HttpConfig::default()
    };
    let state = latchkey::app::state(&app.credentials, app.store.clone(), config, None).unwrap();
    use tower::ServiceExt;
    let response = latchkey::http::app(state.clone())
        .oneshot(
            axum::http::Request::get("/health")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["dependencies"][1]["status"], "AVAILABLE");
    assert_eq!(health["dependencies"][2]["status"], "ERROR");
    assert!(health["dependencies"][2]["message"]
        .as_str()
        .unwrap()
        .contains("/missing.yaml"));
    let response = latchkey::http::app(state)
        .oneshot(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let metrics = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        metrics.contains("latchkey_sync_runs_total{source=\"fake\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("latchkey_sync_failures_total{source=\"fake\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("latchkey_sync_items 3"), "{metrics}");
}

#[tokio::test]
async fn requests_wait_for_the_first_sync_then_time_out_with_408() {
    let app = TestApp::new().await;
    let config = latchkey::http::HttpConfig {
        source_kind: latchkey::config::SourceKind::Seed,
        sync_timeout: std::time::Duration::from_millis(300),
        ..latchkey::http::HttpConfig::default()
    };
    let state = latchkey::app::state(&app.credentials, app.store.clone(), config, None).unwrap();
    use tower::ServiceExt;
    let call = |state: latchkey::http::AppState, uri: &'static str, token: String| async move {
        let response = latchkey::http::app(state)
            .oneshot(
                axum::http::Request::get(uri)
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        response.status().as_u16()
    };
    let started = std::time::Instant::now();
    assert_eq!(
        call(state.clone(), "/v1/vaults", app.token.clone()).await,
        408
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(
        call(state.clone(), "/heartbeat", String::new()).await,
        200,
        "heartbeat never waits for sync"
    );
    app.store.record_sync_attempt("seed").await.unwrap();
    app.store.record_sync_result(Ok((1, 0))).await.unwrap();
    assert_eq!(call(state, "/v1/vaults", app.token.clone()).await, 200);
}

#[tokio::test]
async fn a_vault_whose_revision_is_unchanged_is_not_listed_again() {
    let (app, source, engine, vault) = setup().await;
    source.snapshot.lock().unwrap().vaults[0].vault.revision = Some("7".into());
    let listings = || {
        source
            .item_listings
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    engine.sync_once().await.unwrap();
    assert_eq!(listings(), 1);
    let again = engine.sync_once().await.unwrap();
    assert_eq!(
        listings(),
        1,
        "an unchanged contentVersion must not list items"
    );
    assert_eq!(again.items, 3);
    // A new revision (an upstream change) lists the vault again and picks the change up.
    {
        let mut snapshot = source.snapshot.lock().unwrap();
        snapshot.vaults[0].vault.revision = Some("8".into());
        snapshot.vaults[0].items[0] = source_item("One", "changed");
    }
    let changed = engine.sync_once().await.unwrap();
    assert_eq!(listings(), 2);
    assert_eq!(changed.items_updated, 1);
    let token = app.issue(&[(&vault, ACL_READ_WRITE)]).await;
    assert_eq!(versions(&app, &token, &vault).await[1], ("One".into(), 2));
}
