//! Expensive PATCH requests are bounded (README "Configuration": `LATCHKEY_MAX_PATCH_OPS`), and
//! `-` in `/fields/-` and `/sections/-` appends, as RFC 6902 says of arrays.

use latchkey::http::HttpConfig;
use latchkey::model::Limits;
use serde_json::{json, Value};

use crate::helpers::{login, TestApp};

fn titles(count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| json!({"op": "replace", "path": "/title", "value": format!("t{i}")}))
            .collect(),
    )
}

#[tokio::test]
async fn the_operation_count_is_capped_and_configurable() {
    let app = TestApp::with_config(HttpConfig {
        limits: Limits {
            max_patch_ops: 5,
            ..Limits::default()
        },
        ..HttpConfig::default()
    })
    .await;
    let item = app.create(login("capped")).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    app.patch(&uri, &titles(6))
        .await
        .assert_error(400, "at most 5");
    assert_eq!(app.get(&uri).await.json()["title"], "capped");
    let response = app.patch(&uri, &titles(5)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["title"], "t4");
}

#[tokio::test]
async fn the_default_cap_refuses_a_flood_of_operations() {
    let app = TestApp::new().await;
    let item = app.create(login("flood")).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    // One more than the default of 1,000 operations.
    app.patch(&uri, &titles(1001))
        .await
        .assert_error(400, "Too many patch operations");
    assert_eq!(app.get(&uri).await.json()["version"], 1);
}

/// A patch as large as the cap allows, addressing fields by id: every operation lands.
#[tokio::test]
async fn a_large_patch_addressing_fields_by_id_applies_in_order() {
    let app = TestApp::new().await;
    let item = app.create(login("many")).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    let mut ops = Vec::new();
    for i in 0..300 {
        ops.push(json!({"op": "add", "path": format!("/fields/f{i}"), "value": {"label": "l", "value": "a"}}));
    }
    for i in 0..300 {
        ops.push(json!({"op": "replace", "path": format!("/fields/f{i}/value"), "value": format!("v{i}")}));
    }
    for i in (0..300).step_by(2) {
        ops.push(json!({"op": "remove", "path": format!("/fields/f{i}")}));
    }
    ops.push(json!({"op": "add", "path": "/fields/f0", "value": {"label": "again"}}));
    let response = app.patch(&uri, &Value::Array(ops)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let fields = response.json()["fields"].as_array().unwrap().clone();
    let ids: Vec<&str> = fields.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3 + 150 + 1);
    assert_eq!(&ids[3..5], ["f1", "f3"]);
    assert_eq!(ids.last(), Some(&"f0"));
    let f299 = fields.iter().find(|f| f["id"] == "f299").unwrap();
    assert_eq!(f299["value"], "v299");
}

#[tokio::test]
async fn dash_appends_a_new_field_or_section() {
    let app = TestApp::new().await;
    let item = app.create(login("dash")).await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    let before = item["fields"].as_array().unwrap().len();
    for _ in 0..2 {
        let response = app
            .patch(
                &uri,
                &json!([
                    {"op": "add", "path": "/fields/-", "value": {"label": "port", "value": "5432"}},
                    {"op": "add", "path": "/sections/-", "value": {"label": "More"}}
                ]),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let patched = app.get(&uri).await.json();
    let fields = patched["fields"].as_array().unwrap();
    assert_eq!(fields.len(), before + 2);
    let added: Vec<&Value> = fields.iter().filter(|f| f["label"] == "port").collect();
    assert_eq!(added.len(), 2);
    for field in &added {
        let id = field["id"].as_str().unwrap();
        assert!(latchkey::ids::is_valid_id(id), "{id}");
    }
    assert_ne!(added[0]["id"], added[1]["id"]);
    let sections = patched["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert!(sections.iter().all(|s| s["id"] != "-"));

    for ops in [
        json!([{"op": "replace", "path": "/fields/-", "value": {"label": "x"}}]),
        json!([{"op": "remove", "path": "/fields/-"}]),
        json!([{"op": "replace", "path": "/fields/-/value", "value": "x"}]),
        json!([{"op": "remove", "path": "/sections/-"}]),
    ] {
        app.patch(&uri, &ops).await.assert_error(400, "append");
    }
    assert_eq!(app.get(&uri).await.json(), patched);
}

/// The limit reaches the server from its command line (`--max-patch-ops`, or the environment).
#[tokio::test]
async fn the_server_takes_the_limit_from_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) =
        crate::process::start_dev(dir.path(), &["--token", "t0k3n", "--max-patch-ops", "2"]);
    let vaults: Value = crate::process::get(&server.host, "/v1/vaults", &token)
        .await
        .json()
        .await
        .unwrap();
    let vault = vaults[0]["id"].as_str().unwrap();
    let items_path = format!("/v1/vaults/{vault}/items");
    let items: Value = crate::process::get(&server.host, &items_path, &token)
        .await
        .json()
        .await
        .unwrap();
    let item = items[0]["id"].as_str().unwrap();
    let response = crate::helpers::http_client()
        .patch(format!("{}{items_path}/{item}", server.host))
        .bearer_auth(&token)
        .json(&titles(3))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 400);
    assert!(
        body["message"].as_str().unwrap().contains("at most 2"),
        "{body}"
    );
}
