//! Item files: metadata, inline content with both flag names, the 413 limit, and raw content.

use base64::Engine;
use latchkey::http::HttpConfig;
use latchkey::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile};
use latchkey::store::NewFile;
use serde_json::json;

use crate::helpers::TestApp;

/// An item with two files (small and 3 KB), as a source would deliver it.
async fn item_with_files(app: &TestApp) -> (String, String, String) {
    let input: ItemInput =
        serde_json::from_value(json!({"title": "doc", "category": "SECURE_NOTE",
        "sections": [{"id": "att", "label": "Attachments"}]}))
        .unwrap();
    let (_, mut data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    let small = latchkey::ids::new_id();
    let big = latchkey::ids::new_id();
    data.body.files.push(StoredFile {
        id: small.clone(),
        name: "notes \"v1\".txt".into(),
        size: 5,
        section: None,
    });
    data.body.files.push(StoredFile {
        id: big.clone(),
        name: "big.bin".into(),
        size: 3072,
        section: Some("att".into()),
    });
    let item_id = latchkey::ids::new_id();
    app.store
        .create_item(
            &app.vault.id,
            &item_id,
            Category::Document,
            &data,
            "X",
            &[
                NewFile {
                    id: small.clone(),
                    content: b"hello".to_vec(),
                },
                NewFile {
                    id: big.clone(),
                    content: vec![7u8; 3072],
                },
            ],
        )
        .await
        .unwrap();
    (item_id, small, big)
}

#[tokio::test]
async fn files_are_listed_with_absolute_content_paths() {
    let app = TestApp::new().await;
    let (item, small, big) = item_with_files(&app).await;
    let list = app.get(&format!("{}/files", app.item_uri(&item))).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    let files = list.as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["id"], small.as_str());
    assert_eq!(files[0]["size"], 5);
    assert_eq!(
        files[0]["content_path"],
        format!(
            "/v1/vaults/{}/items/{item}/files/{small}/content",
            app.vault.id
        )
    );
    assert!(files[0].get("content").is_none());
    assert_eq!(files[1]["section"]["id"], "att");
    let one = app
        .get(&format!("{}/files/{big}", app.item_uri(&item)))
        .await
        .json();
    assert_eq!(one["name"], "big.bin");
    // Full items list their files too.
    let full = app.get(&app.item_uri(&item)).await.json();
    assert_eq!(full["files"].as_array().unwrap().len(), 2);
    assert_eq!(full["category"], "DOCUMENT");
}

#[tokio::test]
async fn inline_content_under_either_flag_name() {
    let app = TestApp::new().await;
    let (item, small, _) = item_with_files(&app).await;
    for flag in ["inline_files=true", "inline_content=true"] {
        let one = app
            .get(&format!("{}/files/{small}?{flag}", app.item_uri(&item)))
            .await
            .json();
        let content = base64::engine::general_purpose::STANDARD
            .decode(one["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(content, b"hello");
    }
    let list = app
        .get(&format!("{}/files?inline_files=true", app.item_uri(&item)))
        .await
        .json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["content"].is_string()));
}

#[tokio::test]
async fn inline_above_the_limit_is_413() {
    let app = TestApp::with_config(HttpConfig {
        max_inline_file_kb: 2,
        ..HttpConfig::default()
    })
    .await;
    let (item, small, big) = item_with_files(&app).await;
    app.get(&format!(
        "{}/files/{big}?inline_files=true",
        app.item_uri(&item)
    ))
    .await
    .assert_error(413, "too large to inline");
    app.get(&format!(
        "{}/files?inline_content=true",
        app.item_uri(&item)
    ))
    .await
    .assert_error(413, "/content endpoint");
    assert_eq!(
        app.get(&format!(
            "{}/files/{small}?inline_files=true",
            app.item_uri(&item)
        ))
        .await
        .status,
        200
    );
    assert_eq!(
        app.get(&format!("{}/files/{big}", app.item_uri(&item)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn content_is_octet_stream_with_disposition_and_length() {
    let app = TestApp::new().await;
    let (item, small, big) = item_with_files(&app).await;
    let response = app
        .get(&format!("{}/files/{small}/content", app.item_uri(&item)))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.header("content-length"), Some("5"));
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"notes _v1_.txt\"; filename*=UTF-8''notes%20%22v1%22.txt")
    );
    let big_response = app
        .get(&format!("{}/files/{big}/content", app.item_uri(&item)))
        .await;
    assert_eq!(big_response.body, vec![7u8; 3072]);
    assert_eq!(
        big_response.header("content-disposition"),
        Some("attachment; filename=\"big.bin\"")
    );
}

#[tokio::test]
async fn unknown_and_malformed_files() {
    let app = TestApp::new().await;
    let (item, _, _) = item_with_files(&app).await;
    app.get(&format!(
        "{}/files/abcdefghijklmnopqrstuvwxyz",
        app.item_uri(&item)
    ))
    .await
    .assert_error(404, "file abcdefghijklmnopqrstuvwxyz not found");
    app.get(&format!(
        "{}/files/abcdefghijklmnopqrstuvwxyz/content",
        app.item_uri(&item)
    ))
    .await
    .assert_error(404, "not found");
    app.get(&format!("{}/files/NOT-A-FILE/content", app.item_uri(&item)))
        .await
        .assert_error(400, "Invalid File UUID");
    app.get(&format!(
        "{}/files",
        app.item_uri("abcdefghijklmnopqrstuvwxyz")
    ))
    .await
    .assert_error(404, "item");
    // An item without files lists none.
    let plain = app.create(crate::helpers::login("nofiles")).await;
    let list = app
        .get(&format!(
            "{}/files",
            app.item_uri(plain["id"].as_str().unwrap())
        ))
        .await
        .json();
    assert_eq!(list, json!([]));
}
