//! Hostile and broken input: a clear 4xx in Connect's shape, nothing stored changes, no 500.

use axum::http::Method;
use serde_json::json;

use crate::helpers::{login, TestApp};

async fn snapshot(app: &TestApp, item_uri: &str) -> (serde_json::Value, serde_json::Value) {
    (
        app.get(&app.items_uri()).await.json(),
        app.get(item_uri).await.json(),
    )
}

#[tokio::test]
async fn broken_bodies_are_4xx_and_change_nothing() {
    let app = TestApp::new().await;
    let item = app.create(login("keep me")).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    let before = snapshot(&app, &uri).await;

    let many_fields: Vec<_> = (0..10_000)
        .map(|i| json!({"label": format!("f{i}"), "value": "v"}))
        .collect();
    let big_title = "t".repeat(1_000_000);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, "Invalid JSON"),
        (b"".to_vec(), 400, "empty"),
        (b"[]".to_vec(), 400, "Invalid JSON"),
        (b"null".to_vec(), 400, "Invalid JSON"),
        (
            json!({"title": 5, "category": "LOGIN"})
                .to_string()
                .into_bytes(),
            400,
            "Invalid JSON",
        ),
        (
            json!({"title": "x", "category": "LOGIN", "fields": "nope"})
                .to_string()
                .into_bytes(),
            400,
            "Invalid JSON",
        ),
        (
            json!({"title": "x", "category": "LOGIN", "favorite": "yes"})
                .to_string()
                .into_bytes(),
            400,
            "Invalid JSON",
        ),
        (
            json!({"title": "x", "category": "WIDGET"})
                .to_string()
                .into_bytes(),
            400,
            "category",
        ),
        (
            json!({"title": "x", "category": "LOGIN", "fields": [{"type": "HOLOGRAM"}]})
                .to_string()
                .into_bytes(),
            400,
            "field type",
        ),
        (
            json!({"title": "x", "category": "LOGIN", "fields": [{"purpose": "EMAIL"}]})
                .to_string()
                .into_bytes(),
            400,
            "purpose",
        ),
        (
            json!({"title": "x", "category": "LOGIN", "fields": many_fields})
                .to_string()
                .into_bytes(),
            400,
            "Too many fields",
        ),
        (
            json!({"title": big_title, "category": "LOGIN"})
                .to_string()
                .into_bytes(),
            400,
            "too long",
        ),
        (
            b"{\"title\": \"\xff\xfe\", \"category\": \"LOGIN\"}".to_vec(),
            400,
            "Invalid JSON",
        ),
        (vec![b' '; 2 * 1024 * 1024], 413, "too large"),
    ];
    for (body, status, fragment) in cases {
        for (method, target) in [(Method::POST, app.items_uri()), (Method::PUT, uri.clone())] {
            let response = app
                .send(
                    method.clone(),
                    &target,
                    Some(&app.token),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                response.status,
                status,
                "{method} {}: {}",
                String::from_utf8_lossy(&body[..body.len().min(80)]),
                response.text()
            );
            response.assert_error(status, fragment);
        }
    }
    for body in [
        b"{}".to_vec(),
        b"[{\"op\": 1}]".to_vec(),
        b"[{\"op\":\"replace\",\"path\":\"/title\",\"value\":{\"a\":1}}]".to_vec(),
    ] {
        let response = app
            .send(Method::PATCH, &uri, Some(&app.token), Some(body))
            .await;
        assert_eq!(response.status, 400, "{}", response.text());
    }
    assert_eq!(
        snapshot(&app, &uri).await,
        before,
        "rejected input changed the store"
    );
    assert_eq!(app.get("/heartbeat").await.status, 200);
}

#[tokio::test]
async fn error_messages_do_not_echo_secret_values() {
    let app = TestApp::new().await;
    let body =
        json!({"title": "x", "category": "LOGIN", "favorite": "SecretCanaryValue123"}).to_string();
    let response = app
        .send(
            Method::POST,
            &app.items_uri(),
            Some(&app.token),
            Some(body.into_bytes()),
        )
        .await;
    response.assert_error(400, "Invalid JSON");
    assert!(
        !response.text().contains("SecretCanaryValue123"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn odd_queries_are_handled() {
    let app = TestApp::new().await;
    for query in [
        "filter=%FF%FE",
        "filter=%",
        "filter=((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
        "filter=title+eq+%22%00%22",
    ] {
        let response = app.get(&format!("{}?{query}", app.items_uri())).await;
        assert!(
            response.status == 400 || response.status == 200,
            "{query}: {}",
            response.status
        );
        let _ = response.json();
    }
}
