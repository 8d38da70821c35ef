//! The test harness: a real store in a temp dir, the real router, and requests through it.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use http_body_util::BodyExt;
use latchkey::auth::{VaultClaim, ACL_READ_WRITE};
use latchkey::credentials::Credentials;
use latchkey::crypto::KeyRing;
use latchkey::http::{self, AppState, HttpConfig};
use latchkey::model::VaultType;
use latchkey::store::{Store, VaultRecord};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub state: AppState,
    pub store: Store,
    pub credentials: Credentials,
    /// A read-write token for `vault`.
    pub token: String,
    pub vault: VaultRecord,
    pub dir: tempfile::TempDir,
}

pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Connect error: the status, the body `{"status", "message"}` and a message fragment.
    #[track_caller]
    pub fn assert_error(&self, status: u16, fragment: &str) {
        assert_eq!(self.status, status, "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["status"], status, "body: {body}");
        let message = body["message"].as_str().expect("message is a string");
        assert!(
            message.contains(fragment),
            "message {message:?} does not contain {fragment:?}"
        );
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(HttpConfig::default()).await
    }

    pub async fn with_config(config: HttpConfig) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let credentials = Credentials::generate(serde_json::json!({"kind": "none"}));
        let keys = Arc::new(KeyRing::derive(&credentials.root_key));
        let store = Store::open(&dir.path().join("data"), keys)
            .await
            .expect("open store");
        let state = latchkey::app::state(&credentials, store.clone(), config, None).expect("state");
        let vault = store
            .create_vault(None, "Test Vault", "", VaultType::UserCreated)
            .await
            .expect("vault");
        let (token, _) = state
            .auth
            .issue(
                "test",
                vec![VaultClaim {
                    u: vault.id.clone(),
                    a: ACL_READ_WRITE,
                }],
                None,
            )
            .await
            .expect("token");
        TestApp {
            state,
            store,
            credentials,
            token,
            vault,
            dir,
        }
    }

    pub async fn issue(&self, grants: &[(&str, u32)]) -> String {
        let vts = grants
            .iter()
            .map(|(u, a)| VaultClaim {
                u: (*u).to_string(),
                a: *a,
            })
            .collect();
        self.state
            .auth
            .issue("t", vts, None)
            .await
            .expect("issue")
            .0
    }

    pub async fn new_vault(&self, name: &str) -> VaultRecord {
        self.store
            .create_vault(None, name, "", VaultType::UserCreated)
            .await
            .expect("vault")
    }

    /// Sends a request through path normalisation and the router, as the server does.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = builder
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("request");
        let response = http::app(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Method::GET, uri, Some(&self.token), None).await
    }

    pub async fn get_with(&self, uri: &str, token: &str) -> TestResponse {
        self.send(Method::GET, uri, Some(token), None).await
    }

    pub async fn post(&self, uri: &str, body: &Value) -> TestResponse {
        self.send(
            Method::POST,
            uri,
            Some(&self.token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn put(&self, uri: &str, body: &Value) -> TestResponse {
        self.send(
            Method::PUT,
            uri,
            Some(&self.token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn patch(&self, uri: &str, body: &Value) -> TestResponse {
        self.send(
            Method::PATCH,
            uri,
            Some(&self.token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn delete(&self, uri: &str) -> TestResponse {
        self.send(Method::DELETE, uri, Some(&self.token), None)
            .await
    }

    pub fn items_uri(&self) -> String {
        format!("/v1/vaults/{}/items", self.vault.id)
    }

    pub fn item_uri(&self, item_id: &str) -> String {
        format!("/v1/vaults/{}/items/{item_id}", self.vault.id)
    }

    /// Creates an item through the API and returns the response body.
    pub async fn create(&self, body: Value) -> Value {
        let response = self.post(&self.items_uri(), &body).await;
        assert_eq!(response.status, 200, "create failed: {}", response.text());
        response.json()
    }
}

/// `/health` as text, served over `app`'s store by a deployment whose source is `kind`.
pub async fn health_text(app: &TestApp, kind: latchkey::config::SourceKind) -> String {
    let config = HttpConfig {
        source_kind: kind,
        ..HttpConfig::default()
    };
    let state = latchkey::app::state(&app.credentials, app.store.clone(), config, None).unwrap();
    let response = http::app(state)
        .oneshot(Request::get("/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// A login item body with a username, a password and a tag.
pub fn login(title: &str) -> Value {
    serde_json::json!({
        "title": title,
        "category": "LOGIN",
        "tags": ["test"],
        "fields": [
            {"purpose": "USERNAME", "value": "user@example.com"},
            {"purpose": "PASSWORD", "value": "hunter2"}
        ]
    })
}

/// An HTTP client for process tests (rustls needs its crypto provider chosen first).
pub fn http_client() -> reqwest::Client {
    latchkey::tls::install_crypto_provider();
    reqwest::Client::new()
}
