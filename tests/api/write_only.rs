//! A write-only token learns nothing it did not send: not through PATCH answers, PATCH errors,
//! write responses or the activity log (README "Persistent server, vaults and tokens").

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use latchkey::auth::{ACL_READ, ACL_WRITE};
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile};
use latchkey::store::NewFile;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::helpers::{TestApp, TestResponse};

/// Text stored in the item that a write-only token must never see again.
const SECRETS: &[&str] = &[
    "TitleCanary",
    "UrlUserCanary",
    "UrlPassCanary",
    "TagCanary",
    "PwCanary-2024",
    "UserCanary",
    "LabelCanary",
    "SectionCanary",
    "FileNameCanary",
];

/// An item holding every canary, stored as a source would deliver it (with a file).
async fn canary_item(app: &TestApp) -> String {
    let input: ItemInput = serde_json::from_value(json!({
        "title": "TitleCanary", "category": "LOGIN", "tags": ["TagCanary"],
        "urls": [{"href": "https://UrlUserCanary:UrlPassCanary@db.example.com/", "primary": true}],
        "sections": [{"id": "sec", "label": "SectionCanary"}],
        "fields": [
            {"purpose": "USERNAME", "value": "UserCanary"},
            {"purpose": "PASSWORD", "value": "PwCanary-2024"},
            {"id": "extra", "label": "LabelCanary", "value": "x", "section": {"id": "sec"}}
        ]
    }))
    .unwrap();
    let (_, mut data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    let file_id = latchkey::ids::new_id();
    data.body.files.push(StoredFile {
        id: file_id.clone(),
        name: "FileNameCanary.txt".into(),
        size: 2,
        section: None,
    });
    let item_id = latchkey::ids::new_id();
    let content = NewFile {
        id: file_id,
        content: b"hi".to_vec(),
    };
    app.store
        .create_item(
            &app.vault.id,
            &item_id,
            Category::Login,
            &data,
            "X",
            &[content],
        )
        .await
        .unwrap();
    item_id
}

#[track_caller]
fn assert_reveals_nothing(response: &TestResponse, what: &str) {
    let text = response.text();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} reveals {secret}: {text}");
    }
}

async fn patch_with(app: &TestApp, uri: &str, token: &str, ops: Value) -> TestResponse {
    app.send(
        Method::PATCH,
        uri,
        Some(token),
        Some(ops.to_string().into_bytes()),
    )
    .await
}

#[tokio::test]
async fn write_responses_carry_only_what_the_request_sent() {
    let app = TestApp::new().await;
    let token = app.issue(&[(&app.vault.id, ACL_WRITE)]).await;
    let uri = app.item_uri(&canary_item(&app).await);

    let empty = patch_with(&app, &uri, &token, json!([])).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_reveals_nothing(&empty, "PATCH []");
    let body = empty.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["category"], "LOGIN");

    let rotated = patch_with(
        &app,
        &uri,
        &token,
        json!([
            {"op": "replace", "path": "/fields/password/value", "value": "NewSecretSent"},
            {"op": "add", "path": "/fields", "value": {"label": "sentLabel", "value": "sentValue"}}
        ]),
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    assert_reveals_nothing(&rotated, "PATCH of a value");
    assert!(!rotated.text().contains("NewSecretSent"));
    assert!(!rotated.text().contains("sentValue"));
    // What the request itself set may be echoed: the label of the field it added.
    assert!(rotated.text().contains("sentLabel"), "{}", rotated.text());

    // PUT sends the whole item, but not its files.
    let put = app
        .send(
            Method::PUT,
            &uri,
            Some(&token),
            Some(
                json!({"title": "put", "category": "LOGIN"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_reveals_nothing(&put, "PUT");
    assert_eq!(put.json()["title"], "put");
    // The store still holds everything (the canary file is kept across updates).
    let full = app.get(&uri).await.text();
    assert!(full.contains("FileNameCanary"));
}

/// The answer to a type change must not depend on the stored value (nor quote it).
#[tokio::test]
async fn type_changes_neither_quote_nor_probe_stored_values() {
    let app = TestApp::new().await;
    let writer = app.issue(&[(&app.vault.id, ACL_WRITE)]).await;
    let mut answers = Vec::new();
    for stored in ["PwCanary-2024", "2024-01-15", "202401"] {
        for new_type in ["DATE", "MONTH_YEAR", "OTP"] {
            let ops =
                json!([{"op": "replace", "path": "/fields/password/type", "value": new_type}]);
            let item = json!({"title": "t", "category": "LOGIN",
                "fields": [{"purpose": "PASSWORD", "value": stored}]});
            let for_writer = app.create(item.clone()).await;
            let uri = app.item_uri(for_writer["id"].as_str().unwrap());
            let response = patch_with(&app, &uri, &writer, ops.clone()).await;
            assert!(
                !response.text().contains(stored),
                "write-only {new_type}: {}",
                response.text()
            );
            answers.push((new_type, response.status, response.text()));
            // A token that can read the item gets a precise answer, still without the value.
            let for_reader = app.create(item).await;
            let uri = app.item_uri(for_reader["id"].as_str().unwrap());
            let reader = app.patch(&uri, &ops).await;
            if reader.status != 200 {
                reader.assert_error(400, "password");
                assert!(!reader.text().contains(stored), "{}", reader.text());
            }
        }
    }
    for new_type in ["DATE", "MONTH_YEAR", "OTP"] {
        let seen: Vec<_> = answers.iter().filter(|a| a.0 == new_type).collect();
        assert!(
            seen.windows(2)
                .all(|w| w[0].1 == w[1].1 && w[0].2 == w[1].2),
            "the answer depends on the stored value: {seen:?}"
        );
        assert_eq!(seen[0].1, 400, "{seen:?}");
    }
}

#[tokio::test]
async fn patch_errors_do_not_describe_the_stored_item() {
    let app = TestApp::new().await;
    let writer = app.issue(&[(&app.vault.id, ACL_WRITE)]).await;
    let small = app
        .create(json!({"title": "a", "category": "LOGIN", "tags": ["x"]}))
        .await;
    let large = app
        .create(
            json!({"title": "b", "category": "LOGIN", "tags": ["x", "y", "z", "w"],
            "fields": [{"id": "f1", "label": "l"}, {"id": "f2", "label": "l"}]}),
        )
        .await;
    let cases = [
        json!([{"op": "remove", "path": "/tags/9"}]),
        json!([{"op": "replace", "path": "/urls/3", "value": {"href": "https://a"}}]),
        json!([{"op": "replace", "path": "/fields/f3/label", "value": "n"}]),
        json!([{"op": "remove", "path": "/sections/nope"}]),
        json!([{"op": "replace", "path": "/title", "value": "t".repeat(5000)}]),
    ];
    for ops in cases {
        let mut messages = Vec::new();
        for item in [&small, &large] {
            let uri = app.item_uri(item["id"].as_str().unwrap());
            let response = patch_with(&app, &uri, &writer, ops.clone()).await;
            assert_eq!(response.status, 400, "{ops}: {}", response.text());
            messages.push(response.json()["message"].as_str().unwrap().to_string());
        }
        assert_eq!(messages[0], messages[1], "{ops}");
        for word in ["length", "out of range", "f1", "f2"] {
            assert!(!messages[0].contains(word), "{ops}: {}", messages[0]);
        }
    }
}

fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}

async fn get_with_agent(app: &TestApp, uri: &str, token: &str, agent: &str) -> u16 {
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("user-agent", agent)
        .body(Body::empty())
        .unwrap();
    let response = latchkey::http::app(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn activity_shows_a_write_only_token_its_own_requests_only() {
    let app = TestApp::new().await;
    let writer = app.issue(&[(&app.vault.id, ACL_WRITE)]).await;
    let reader = app.issue(&[(&app.vault.id, ACL_READ)]).await;
    let item = app.create(json!({"title": "t", "category": "LOGIN"})).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    assert_eq!(
        get_with_agent(&app, &uri, &reader, "ReaderAgentCanary").await,
        200
    );
    let patched = patch_with(
        &app,
        &uri,
        &writer,
        json!([{"op": "replace", "path": "/title", "value": "t2"}]),
    )
    .await;
    assert_eq!(patched.status, 200);

    let seen = app.get_with("/v1/activity", &writer).await;
    assert_eq!(seen.status, 200);
    assert!(
        !seen.text().contains("ReaderAgentCanary"),
        "{}",
        seen.text()
    );
    let own = jti_of(&writer);
    let entries = seen.json();
    let entries = entries.as_array().unwrap();
    assert!(!entries.is_empty());
    for entry in entries {
        assert_eq!(entry["actor"]["jti"], own.as_str(), "{entry}");
    }
    // A token that can read the vault still sees the vault's entries, the reader's included.
    let vault_view = app.get_with("/v1/activity", &reader).await.text();
    assert!(vault_view.contains(&own), "{vault_view}");
    assert!(vault_view.contains("ReaderAgentCanary"), "{vault_view}");
}
