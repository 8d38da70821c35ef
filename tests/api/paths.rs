//! Routing: trailing and doubled slashes, id shapes, the version header, health endpoints.

use axum::http::Method;

use crate::helpers::{login, TestApp};

#[tokio::test]
async fn trailing_and_double_slashes_are_served_not_redirected() {
    let app = TestApp::new().await;
    let item = app.create(login("slashes")).await;
    let id = item["id"].as_str().unwrap();
    let v = &app.vault.id;
    for uri in [
        "/v1/vaults/".to_string(),
        "//v1/vaults".to_string(),
        "//v1//vaults/".to_string(),
        format!("/v1/vaults/{v}/"),
        format!("/v1/vaults/{v}/items/"),
        format!("/v1/vaults/{v}/items/?filter=title%20eq%20%22slashes%22"),
        format!("//v1/vaults/{v}/items/{id}"),
        format!("/v1/vaults/{v}/items/{id}/files/"),
    ] {
        let response = app.get(&uri).await;
        assert_eq!(response.status, 200, "{uri}: {}", response.text());
    }
    let filtered = app
        .get(&format!(
            "/v1/vaults/{v}/items/?filter=title%20eq%20%22slashes%22"
        ))
        .await
        .json();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let created = app
        .post(
            &format!("/v1/vaults/{v}/items/"),
            &login("posted with slash"),
        )
        .await;
    assert_eq!(created.status, 200);
}

#[tokio::test]
async fn malformed_ids_are_400_and_unknown_ids_404() {
    let app = TestApp::new().await;
    app.get("/v1/vaults/[object%20Object]")
        .await
        .assert_error(400, "Invalid Vault UUID");
    app.get("/v1/vaults/ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        .await
        .assert_error(400, "Invalid Vault UUID");
    app.get("/v1/vaults/short/items")
        .await
        .assert_error(400, "Invalid Vault UUID");
    app.get(&app.item_uri("not-an-item"))
        .await
        .assert_error(400, "Invalid Item UUID");
    app.get(&app.item_uri("abcdefghijklmnopqrstuvwxy%C3%A9"))
        .await
        .assert_error(400, "Invalid Item UUID");
    app.delete(&app.item_uri("x"))
        .await
        .assert_error(400, "Invalid Item UUID");
    app.get(&app.item_uri("abcdefghijklmnop1234567890"))
        .await
        .assert_error(404, "not found");
}

#[tokio::test]
async fn every_response_carries_the_connect_version_header() {
    let app = TestApp::new().await;
    for (method, uri, token) in [
        (Method::GET, "/heartbeat", None),
        (Method::GET, "/health", None),
        (Method::GET, "/metrics", None),
        (Method::GET, "/v1/vaults", Some(app.token.as_str())),
        (Method::GET, "/v1/vaults", None),
        (Method::GET, "/v1/nope", Some(app.token.as_str())),
        (Method::DELETE, "/v1/vaults", Some(app.token.as_str())),
    ] {
        let response = app.send(method.clone(), uri, token, None).await;
        let version = response
            .header("1password-connect-version")
            .unwrap_or_else(|| panic!("{method} {uri}"));
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[0] == 1 && parts[1] >= 8, "{version}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = TestApp::new().await;
    app.get("/v1/nope").await.assert_error(404, "Not Found");
    app.send(Method::DELETE, "/v1/vaults", Some(&app.token), None)
        .await
        .assert_error(405, "Method Not Allowed");
    app.send(Method::POST, "/heartbeat", None, None)
        .await
        .assert_error(405, "Method Not Allowed");
}

#[tokio::test]
async fn heartbeat_health_and_metrics() {
    let app = TestApp::new().await;
    let heartbeat = app.send(Method::GET, "/heartbeat", None, None).await;
    assert_eq!(heartbeat.status, 200);
    assert_eq!(heartbeat.text(), ".");
    assert!(heartbeat
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));

    let health = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, 200);
    let health = health.json();
    assert_eq!(health["name"], "1Password Connect API");
    assert_eq!(health["version"], latchkey::http::CONNECT_VERSION);
    let services: Vec<&str> = health["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["sqlite", "account_data", "sync"]);
    assert_eq!(health["dependencies"][0]["status"], "ACTIVE");

    app.create(login("m")).await;
    app.get("/v1/vaults").await;
    let metrics = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(
        text.contains(
            "latchkey_http_requests_total{method=\"GET\",route=\"/v1/vaults\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("latchkey_http_requests_total{method=\"POST\",route=\"/v1/vaults/{vaultUuid}/items\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("latchkey_items 1"), "{text}");
    assert!(text.contains("# TYPE latchkey_http_request_duration_seconds histogram"));
}

/// Labels come from closed sets: any method token outside the known ones is `OTHER`, any path
/// outside the route table is `unmatched`, so tokenless requests cannot add series.
#[tokio::test]
async fn unknown_methods_and_paths_do_not_grow_the_metrics() {
    let app = TestApp::new().await;
    let huge = "X".repeat(64 * 1024);
    let mut methods: Vec<String> = (0..200).map(|i| format!("FOO{i}")).collect();
    methods.push(huge.clone());
    for (i, name) in methods.iter().enumerate() {
        let method = Method::from_bytes(name.as_bytes()).unwrap();
        let uri = if i % 2 == 0 {
            format!("/nowhere/{i}")
        } else {
            "/v1/vaults".to_string()
        };
        let answer = app.send(method, &uri, None, None).await;
        assert!((400..500).contains(&answer.status), "{}", answer.text());
    }
    let text = app.send(Method::GET, "/metrics", None, None).await.text();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("latchkey_http_requests_total{"))
        .collect();
    assert!(series.len() <= 4, "{series:#?}");
    assert!(!text.contains("FOO") && !text.contains("XXXX"), "{text}");
    assert!(
        text.contains("method=\"OTHER\",route=\"unmatched\""),
        "{text}"
    );
    assert!(text.len() < 16 * 1024, "{} bytes of metrics", text.len());
}
