//! Nothing a user typed reaches the SQLite file (or its WAL) in plaintext; wrong keys are refused.

use std::sync::Arc;

use latchkey::credentials::Credentials;
use latchkey::crypto::KeyRing;
use latchkey::model::{build_item, BuildMode, ItemInput, Limits, StoredFile, VaultType};
use latchkey::store::{NewFile, Store, StoreError};
use serde_json::json;

use crate::helpers::TestApp;

const CANARIES: &[&str] = &[
    "CanaryVaultName7781",
    "CanaryVaultDescription5523",
    "CanaryItemTitle4401",
    "CanaryTagValue9902",
    "canary-url-3310.example",
    "CanaryFieldLabel6620",
    "CanaryFieldValue1187",
    "CanarySectionLabel2294",
    "CanaryPasswordValue8876",
    "CanaryFileName4471.txt",
    "CanaryFileContent0093",
    "CanaryTokenName3358",
    "JBSWY3DPEHPK3PXPCANARYQQ",
];

fn files_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn assert_no_canary(files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        for canary in CANARIES {
            for form in [canary.to_string(), canary.to_lowercase()] {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                    "{form} found in plaintext in {name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn user_data_is_never_stored_in_plaintext() {
    let app = TestApp::new().await;
    let vault = app
        .store
        .create_vault(
            None,
            "CanaryVaultName7781",
            "CanaryVaultDescription5523",
            VaultType::UserCreated,
        )
        .await
        .unwrap();
    let token = app
        .issue(&[(&vault.id, latchkey::auth::ACL_READ_WRITE)])
        .await;
    let body = json!({
        "title": "CanaryItemTitle4401", "category": "LOGIN", "tags": ["CanaryTagValue9902"],
        "urls": [{"href": "https://canary-url-3310.example/login", "label": "CanaryFieldLabel6620"}],
        "sections": [{"id": "s1", "label": "CanarySectionLabel2294"}],
        "fields": [
            {"purpose": "PASSWORD", "value": "CanaryPasswordValue8876"},
            {"label": "CanaryFieldLabel6620", "value": "CanaryFieldValue1187", "section": {"id": "s1"}},
            {"type": "OTP", "label": "otp", "value": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXPCANARYQQ"}
        ]
    });
    let response = app
        .send(
            axum::http::Method::POST,
            &format!("/v1/vaults/{}/items", vault.id),
            Some(&token),
            Some(body.to_string().into_bytes()),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    // A file arrives with an item from a source.
    let input: ItemInput = serde_json::from_value(
        json!({"title": "CanaryItemTitle4401 doc", "category": "SECURE_NOTE"}),
    )
    .unwrap();
    let (_, mut data) = build_item(input, &BuildMode::Create, &Limits::default()).unwrap();
    data.body.files.push(StoredFile {
        id: latchkey::ids::new_id(),
        name: "CanaryFileName4471.txt".into(),
        size: 21,
        section: None,
    });
    let file_id = data.body.files[0].id.clone();
    let item_id = latchkey::ids::new_id();
    app.store
        .create_item(
            &vault.id,
            &item_id,
            latchkey::model::Category::Document,
            &data,
            "X",
            &[NewFile {
                id: file_id.clone(),
                content: b"CanaryFileContent0093".to_vec(),
            }],
        )
        .await
        .unwrap();
    app.state
        .auth
        .issue("CanaryTokenName3358", vec![], None)
        .await
        .unwrap();
    // The content round-trips, so the canaries really were written.
    let content = app
        .get_with(
            &format!(
                "/v1/vaults/{}/items/{item_id}/files/{file_id}/content",
                vault.id
            ),
            &token,
        )
        .await;
    assert_eq!(content.body, b"CanaryFileContent0093");
    let listed = app
        .get_with(
            &format!(
                "/v1/vaults/{}/items?filter=title%20eq%20%22canaryitemtitle4401%22",
                vault.id
            ),
            &token,
        )
        .await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);

    let data_dir = app.dir.path().join("data");
    let live = files_bytes(&data_dir);
    assert!(
        live.iter()
            .any(|(n, b)| n.ends_with("-wal") && !b.is_empty()),
        "expected a WAL file: {:?}",
        live.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_no_canary(&live);
    app.store.close().await;
    assert_no_canary(&files_bytes(&data_dir));
}

#[tokio::test]
async fn a_different_credentials_file_is_refused_clearly() {
    let app = TestApp::new().await;
    app.create(crate::helpers::login("x")).await;
    app.store.close().await;
    let other = Credentials::generate(json!({"kind": "none"}));
    let err = Store::open(
        &app.dir.path().join("data"),
        Arc::new(KeyRing::derive(&other.root_key)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::KeyMismatch(_)), "{err:?}");
    assert!(
        err.to_string().contains("different credentials file"),
        "{err}"
    );
    // The right keys still open it, with the data intact.
    let store = Store::open(
        &app.dir.path().join("data"),
        Arc::new(KeyRing::derive(&app.credentials.root_key)),
    )
    .await
    .unwrap();
    let items = store
        .list_items(&app.vault.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn a_tampered_row_is_an_error_not_garbage() {
    let app = TestApp::new().await;
    let item = app.create(crate::helpers::login("tamper")).await;
    let id = item["id"].as_str().unwrap();
    // Swap the sealed body of this item with another item's: associated data catches it.
    let other = app.create(crate::helpers::login("other")).await;
    sqlx::query("UPDATE items SET body = (SELECT body FROM items WHERE id = ?) WHERE id = ?")
        .bind(other["id"].as_str().unwrap())
        .bind(id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let response = app.get(&app.item_uri(id)).await;
    response.assert_error(500, "Something went wrong");
    assert!(!response.text().contains("hunter2"));
    assert_eq!(
        app.get(&app.item_uri(other["id"].as_str().unwrap()))
            .await
            .status,
        200
    );
}
