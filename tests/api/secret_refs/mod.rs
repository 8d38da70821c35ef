//! Secret references (`latchkey::secret_refs`, `latchkey read | inject | run`) against a live
//! latchkey: the real router on a real store, served on 127.0.0.1, every request recorded.

mod commands;
mod library;
mod run;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey::auth::ACL_READ_WRITE;
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile};
use latchkey::store::NewFile;
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub(crate) const OTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[derive(Clone, Default)]
pub(crate) struct Recorder {
    /// Every request's path and query, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Paths answered 404 this many more times (Connect's lag after a write).
    pub fail_404: Arc<Mutex<HashMap<String, usize>>>,
    /// When set, item GETs are held this long, so that concurrent ones overlap.
    pub hold_items: Arc<Mutex<Option<std::time::Duration>>>,
    /// Requests being answered now, and the most there ever were at once.
    pub in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
}

async fn record(State(recorder): State<Recorder>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let uri = request.uri().to_string();
    recorder.requests.lock().unwrap().push(uri);
    if let Some(left) = recorder.fail_404.lock().unwrap().get_mut(&path) {
        if *left > 0 {
            *left -= 1;
            let body = json!({"status": 404, "message": "item not found"});
            return (axum::http::StatusCode::NOT_FOUND, axum::Json(body)).into_response();
        }
    }
    let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    recorder.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let hold = *recorder.hold_items.lock().unwrap();
    if let Some(hold) = hold.filter(|_| path.contains("/items/")) {
        tokio::time::sleep(hold).await;
    }
    let response = next.run(request).await;
    recorder.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

/// A served latchkey with the items the tests refer to.
pub(crate) struct Live {
    pub app: TestApp,
    pub host: String,
    /// Read-write on every vault made here.
    pub token: String,
    pub recorder: Recorder,
    /// Ids by a short name: vaults, items, fields, files.
    pub ids: HashMap<String, String>,
}

impl Live {
    pub fn id(&self, name: &str) -> &str {
        self.ids.get(name).unwrap_or_else(|| panic!("no id {name}"))
    }

    pub fn requests(&self) -> Vec<String> {
        self.recorder.requests.lock().unwrap().clone()
    }

    pub fn clear_requests(&self) {
        self.recorder.requests.lock().unwrap().clear();
    }

    pub fn resolver(&self) -> latchkey::secret_refs::Resolver {
        latchkey::secret_refs::Resolver::new(&self.host, &self.token).unwrap()
    }

    async fn create_in(&self, vault: &str, body: Value) -> Value {
        let uri = format!("/v1/vaults/{vault}/items");
        let response = self
            .app
            .send(
                axum::http::Method::POST,
                &uri,
                Some(&self.token),
                Some(serde_json::to_vec(&body).unwrap()),
            )
            .await;
        assert_eq!(response.status, 200, "create: {}", response.text());
        response.json()
    }
}

pub(crate) async fn live() -> Live {
    let app = TestApp::new().await;
    let recorder = Recorder::default();
    let router = latchkey::http::app(app.state.clone()).layer(
        axum::middleware::from_fn_with_state(recorder.clone(), record),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let state = app.state.clone();
    tokio::spawn(latchkey::app::serve_router(
        listener,
        state,
        router,
        latchkey::http::serve::ServeLimits::default(),
        std::future::pending(),
    ));
    let mut ids = HashMap::new();
    ids.insert("Test Vault".to_string(), app.vault.id.clone());
    let mut grants = vec![app.vault.id.clone()];
    for name in ["Prod Env", "Twin", "twin"] {
        let vault = app.new_vault(name).await;
        grants.push(vault.id.clone());
        ids.entry(name.to_string()).or_insert(vault.id);
    }
    let token = app
        .issue(
            &grants
                .iter()
                .map(|g| (g.as_str(), ACL_READ_WRITE))
                .collect::<Vec<_>>(),
        )
        .await;
    let mut live = Live {
        app,
        host,
        token,
        recorder,
        ids,
    };
    seed(&mut live).await;
    live
}

async fn seed(live: &mut Live) {
    let test_vault = live.id("Test Vault").to_string();
    let db = live
        .create_in(&test_vault, json!({"title": "db", "category": "LOGIN",
            "sections": [{"id": "admin", "label": "Admin"}, {"id": "s1", "label": "Extra"}, {"id": "s2", "label": "EXTRA"}],
            "fields": [
                {"id": "username", "purpose": "USERNAME", "label": "username", "value": "dbuser"},
                {"id": "password", "purpose": "PASSWORD", "label": "password", "value": "pw-db-123"},
                {"id": "email", "type": "EMAIL", "label": "email", "value": "ops@example.com", "section": {"id": "admin"}},
                {"id": "otp", "type": "OTP", "label": "one-time password", "value": format!("otpauth://totp/x?secret={OTP_SECRET}")},
                {"id": "x1", "label": "x", "value": "in-s1", "section": {"id": "s1"}},
                {"id": "x2", "label": "x", "value": "in-s2", "section": {"id": "s2"}}
            ]}))
        .await;
    live.ids
        .insert("db".into(), db["id"].as_str().unwrap().into());
    let server = live
        .create_in(&test_vault, json!({"title": "My Server", "category": "PASSWORD", "fields": [
                {"id": "apikey", "type": "CONCEALED", "label": "api key", "value": "k-777 with space"},
                {"id": "tok1", "label": "token", "value": "t-one"},
                {"id": "tok2", "label": "Token", "value": "t-two"}
            ]}))
        .await;
    live.ids
        .insert("My Server".into(), server["id"].as_str().unwrap().into());
    for n in 0..2 {
        let dup = live.create_in(&test_vault, json!({"title": "Dup", "category": "PASSWORD", "fields": [{"id": "password", "purpose": "PASSWORD", "label": "password", "value": "dup"}]})).await;
        live.ids
            .insert(format!("Dup{n}"), dup["id"].as_str().unwrap().into());
    }
    let slash = live.create_in(&test_vault, json!({"title": "a/b?c", "category": "PASSWORD", "fields": [{"id": "password", "purpose": "PASSWORD", "label": "password", "value": "slash-pw"}]})).await;
    live.ids
        .insert("a/b?c".into(), slash["id"].as_str().unwrap().into());
    let prod = live.id("Prod Env").to_string();
    live.create_in(&prod, json!({"title": "db", "category": "PASSWORD", "fields": [{"id": "password", "purpose": "PASSWORD", "label": "password", "value": "prod-pw"}]})).await;
    let twin = live.id("Twin").to_string();
    live.create_in(&twin, json!({"title": "db", "category": "PASSWORD"}))
        .await;
    documents(live).await;
}

/// An item with two file attachments (the API cannot upload files; a source would).
async fn documents(live: &mut Live) {
    let input: ItemInput =
        serde_json::from_value(json!({"title": "doc", "category": "SECURE_NOTE",
        "sections": [{"id": "att", "label": "Attachments"}]}))
        .unwrap();
    let (_, mut data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    let (cert, key) = (latchkey::ids::new_id(), latchkey::ids::new_id());
    data.body.files.push(StoredFile {
        id: cert.clone(),
        name: "cert.pem".into(),
        size: 14,
        section: None,
    });
    data.body.files.push(StoredFile {
        id: key.clone(),
        name: "blob.bin".into(),
        size: 4,
        section: Some("att".into()),
    });
    let item = latchkey::ids::new_id();
    let files = [
        NewFile {
            id: cert.clone(),
            content: b"-----CERT-----".to_vec(),
        },
        NewFile {
            id: key.clone(),
            content: vec![0, 159, 146, 150],
        },
    ];
    live.app
        .store
        .create_item(
            &live.app.vault.id,
            &item,
            Category::Document,
            &data,
            "X",
            &files,
        )
        .await
        .unwrap();
    live.ids.insert("doc".into(), item);
    live.ids.insert("cert.pem".into(), cert);
    live.ids.insert("blob.bin".into(), key);
}
