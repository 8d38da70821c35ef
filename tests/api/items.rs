//! Item semantics: create, read, replace, patch, delete, and what clients send.

use serde_json::json;

use crate::helpers::{login, TestApp};

fn field<'a>(item: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    item["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no field {id} in {item}"))
}

#[tokio::test]
async fn create_returns_200_with_server_ids_and_built_in_fields() {
    let app = TestApp::new().await;
    let item = app
        .create(json!({
            "title": "Server", "category": "LOGIN",
            "fields": [
                {"purpose": "USERNAME", "value": "admin"},
                {"purpose": "PASSWORD", "value": "pw"},
                {"label": "extra", "value": "x", "section": {"id": "sec1"}}
            ],
            "sections": [{"id": "sec1", "label": "More"}, {"label": "no id"}]
        }))
        .await;
    let id = item["id"].as_str().unwrap();
    assert!(latchkey::ids::is_valid_id(id), "{id}");
    assert_eq!(item["version"], 1);
    assert_eq!(item["vault"]["id"], app.vault.id.as_str());
    let ids: Vec<&str> = item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[..3], ["username", "password", "notesPlain"]);
    assert_eq!(field(&item, "password")["type"], "CONCEALED");
    assert_eq!(field(&item, "password")["purpose"], "PASSWORD");
    assert_eq!(field(&item, "password")["label"], "password");
    assert_eq!(field(&item, "username")["value"], "admin");
    // Typed-in passwords carry an entropy estimate too: Connect's API reference gives `entropy` for
    // every field whose purpose is PASSWORD.
    assert!(field(&item, "password")["entropy"].as_f64().unwrap() > 0.0);
    assert!(field(&item, "username").get("entropy").is_none());
    assert!(latchkey::ids::is_valid_id(ids[3]));
    let sections = item["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert!(latchkey::ids::is_valid_id(
        sections[1]["id"].as_str().unwrap()
    ));
    assert!(item["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(item["lastEditedBy"].as_str().unwrap().len(), 26);

    let fetched = app.get(&app.item_uri(id)).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), item);
}

#[tokio::test]
async fn password_category_has_password_and_notes() {
    let app = TestApp::new().await;
    let item = app
        .create(json!({"title": "p", "category": "PASSWORD", "fields": [{"purpose": "PASSWORD", "value": "s3cret"}]}))
        .await;
    let ids: Vec<&str> = item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["password", "notesPlain"]);
}

#[tokio::test]
async fn tolerates_go_zero_values_js_timestamps_ansible_nulls_and_unknown_keys() {
    let app = TestApp::new().await;
    let go = json!({
        "id": "", "title": "go", "vault": {"id": ""}, "category": "LOGIN", "urls": [], "favorite": false,
        "tags": ["x"], "version": 0, "createdAt": "0001-01-01T00:00:00Z", "updatedAt": "0001-01-01T00:00:00Z",
        "lastEditedBy": "", "sections": [], "fields": [{"id": "", "type": "", "purpose": "USERNAME", "label": "", "value": "u"}],
        "files": [], "trashed": false
    });
    let item = app.create(go).await;
    assert_eq!(item["title"], "go");
    assert_ne!(item["createdAt"], "0001-01-01T00:00:00Z");

    let js = json!({"title": "js", "category": "SECURE_NOTE", "vault": {"id": app.vault.id},
        "createdAt": "2020-09-25T17:58:18.170Z", "updatedAt": "2020-09-25T17:58:18.170Z", "files": [], "trashed": false});
    assert_eq!(app.create(js).await["title"], "js");

    let ansible = json!({"title": "ans", "category": "PASSWORD", "urls": null, "tags": null, "favorite": null,
        "sections": [{"id": "6f1d1c2a-7b3e-4a5b-9c8d-0e1f2a3b4c5d", "label": "Extra"}],
        "fields": [{"label": "password", "purpose": "PASSWORD", "type": "CONCEALED", "value": null,
                    "generate": true, "recipe": null, "section": null},
                   {"label": "n", "value": "v", "section": {"id": "6f1d1c2a-7b3e-4a5b-9c8d-0e1f2a3b4c5d"}}],
        "password_details": {"strength": "FANTASTIC"}});
    let item = app.create(ansible).await;
    assert_eq!(
        field(&item, "password")["value"].as_str().unwrap().len(),
        32
    );
}

#[tokio::test]
async fn custom_and_document_cannot_be_created() {
    let app = TestApp::new().await;
    for category in ["CUSTOM", "DOCUMENT"] {
        let response = app
            .post(
                &app.items_uri(),
                &json!({"title": "x", "category": category}),
            )
            .await;
        response.assert_error(400, "cannot be created");
    }
    let response = app
        .post(
            &app.items_uri(),
            &json!({"title": "x", "category": "PIZZA"}),
        )
        .await;
    response.assert_error(400, "Invalid item category");
    let response = app.post(&app.items_uri(), &json!({"title": "x"})).await;
    response.assert_error(400, "category");
}

#[tokio::test]
async fn generated_values_follow_the_recipe() {
    let app = TestApp::new().await;
    let item = app
        .create(json!({"title": "g", "category": "LOGIN", "fields": [
            {"purpose": "PASSWORD", "generate": true},
            {"id": "pin", "label": "pin", "type": "CONCEALED", "generate": true,
             "recipe": {"length": 6, "characterSets": ["DIGITS"], "excludeCharacters": "0123"}},
            {"id": "long", "label": "long", "type": "CONCEALED", "generate": true,
             "recipe": {"length": 64, "characterSets": ["LETTERS", "SYMBOLS"]}}
        ]}))
        .await;
    let password = field(&item, "password");
    let value = password["value"].as_str().unwrap();
    assert_eq!(value.chars().count(), 32);
    assert!(
        value.chars().any(|c| c.is_ascii_digit()) && value.chars().any(|c| c.is_ascii_alphabetic())
    );
    assert!(password["entropy"].as_f64().unwrap() > 150.0, "{password}");
    let pin = field(&item, "pin")["value"].as_str().unwrap();
    assert_eq!(pin.len(), 6);
    assert!(pin.chars().all(|c| ('4'..='9').contains(&c)), "{pin}");
    let long = field(&item, "long")["value"].as_str().unwrap();
    assert_eq!(long.len(), 64);
    assert!(!long.chars().any(|c| c.is_ascii_digit()));
    assert!(long.chars().any(|c| !c.is_ascii_alphanumeric()));

    for recipe in [
        json!({"length": 0}),
        json!({"length": 65}),
        json!({"characterSets": ["EMOJI"]}),
        json!({"characterSets": ["DIGITS"], "excludeCharacters": "0123456789"}),
    ] {
        let response = app
            .post(
                &app.items_uri(),
                &json!({"title": "g", "category": "LOGIN",
                "fields": [{"purpose": "PASSWORD", "generate": true, "recipe": recipe}]}),
            )
            .await;
        response.assert_error(400, "recipe");
    }
}

/// RFC 6238 computed here independently of the server's implementation.
fn totp_sha1(secret_base32: &str, unix: u64) -> String {
    use hmac::{Hmac, Mac};
    let key = data_encoding::BASE32_NOPAD
        .decode(secret_base32.as_bytes())
        .unwrap();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let code = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", code % 1_000_000)
}

#[tokio::test]
async fn otp_fields_return_the_current_code_and_bad_secrets_are_refused() {
    let app = TestApp::new().await;
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let item = app
        .create(json!({"title": "otp", "category": "LOGIN", "fields": [
            {"id": "uri", "type": "OTP", "label": "one-time password", "value": format!("otpauth://totp/x?secret={secret}&issuer=y")},
            {"id": "bare", "type": "TOTP", "label": "bare", "value": secret.to_lowercase()}
        ]}))
        .await;
    let now = latchkey::timefmt::now() as u64;
    let valid = [
        totp_sha1(secret, now - 30),
        totp_sha1(secret, now),
        totp_sha1(secret, now + 30),
    ];
    for id in ["uri", "bare"] {
        let f = field(&item, id);
        assert_eq!(f["type"], "OTP");
        let code = f["totp"].as_str().unwrap();
        assert!(valid.contains(&code.to_string()), "{code} not in {valid:?}");
    }
    let fetched = app
        .get(&app.item_uri(item["id"].as_str().unwrap()))
        .await
        .json();
    assert!(valid.contains(&field(&fetched, "uri")["totp"].as_str().unwrap().to_string()));

    let bad = app
        .post(
            &app.items_uri(),
            &json!({"title": "otp", "category": "LOGIN",
            "fields": [{"type": "OTP", "label": "x", "value": "otpauth://totp/x?issuer=y"}]}),
        )
        .await;
    bad.assert_error(400, "OTP");
}

#[tokio::test]
async fn dates_are_unix_seconds_and_month_years_are_yyyymm() {
    let app = TestApp::new().await;
    let item = app
        .create(json!({"title": "d", "category": "CREDIT_CARD", "fields": [
            {"id": "d1", "type": "DATE", "label": "issued", "value": "2024-02-29"},
            {"id": "d2", "type": "DATE", "label": "tf", "value": "1709208060"},
            {"id": "m1", "type": "MONTH_YEAR", "label": "expiry", "value": "2027/12"},
            {"id": "m2", "type": "MONTH_YEAR", "label": "expiry2", "value": "202801"}
        ]}))
        .await;
    assert_eq!(field(&item, "d1")["value"], "1709164800");
    assert_eq!(field(&item, "d2")["value"], "1709208060");
    assert_eq!(field(&item, "m1")["value"], "202712");
    assert_eq!(field(&item, "m2")["value"], "202801");
    let bad = app
        .post(
            &app.items_uri(),
            &json!({"title": "d", "category": "LOGIN",
            "fields": [{"type": "DATE", "label": "x", "value": "2024-13-45"}]}),
        )
        .await;
    bad.assert_error(400, "DATE");
}

#[tokio::test]
async fn put_replaces_everything_and_reports_the_previous_version() {
    let app = TestApp::new().await;
    let item = app
        .create(
            json!({"title": "t", "category": "LOGIN", "tags": ["a"], "fields": [
            {"purpose": "USERNAME", "value": "u"}, {"id": "gone", "label": "gone", "value": "x"}]}),
        )
        .await;
    let id = item["id"].as_str().unwrap();
    let mut body = item.clone();
    body["title"] = json!("t2");
    body["tags"] = json!(["b"]);
    body["fields"] = json!([{"id": "username", "purpose": "USERNAME", "value": "u2"}]);
    let response = app.put(&app.item_uri(id), &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let put = response.json();
    // Terraform waits for GET to show the PUT response's version plus one.
    assert_eq!(put["version"], 1);
    assert_eq!(put["title"], "t2");
    let fetched = app.get(&app.item_uri(id)).await.json();
    assert_eq!(fetched["version"], 2);
    assert_eq!(fetched["tags"], json!(["b"]));
    assert!(!fetched["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "gone"));
    assert_eq!(field(&fetched, "username")["value"], "u2");

    let mismatch = app
        .put(
            &app.item_uri(id),
            &json!({"title": "x", "vault": {"id": "abcdefghijklmnopqrstuvwxyz"}}),
        )
        .await;
    mismatch.assert_error(400, "vault");
    let category = app
        .put(
            &app.item_uri(id),
            &json!({"title": "x", "category": "PASSWORD"}),
        )
        .await;
    category.assert_error(400, "category");
    assert_eq!(app.get(&app.item_uri(id)).await.json()["version"], 2);
}

#[tokio::test]
async fn patch_supports_connects_operations() {
    let app = TestApp::new().await;
    let item = app
        .create(
            json!({"title": "p", "category": "LOGIN", "tags": ["a", "b", "c"], "fields": [
            {"purpose": "USERNAME", "value": "u"}, {"id": "note", "label": "note", "value": "n"}]}),
        )
        .await;
    let uri = app.item_uri(item["id"].as_str().unwrap());
    let response = app
        .patch(&uri, &json!([
            {"op": "replace", "path": "/title", "value": "patched"},
            {"op": "replace", "path": "/favorite", "value": true},
            {"op": "remove", "path": "/tags/1"},
            {"op": "add", "path": "/fields", "value": {"label": "new", "value": "1"}},
            {"op": "replace", "path": "/fields/username", "value": {"purpose": "USERNAME", "value": "patchOne"}},
            {"op": "add", "path": "/fields/note/label", "value": "renamed"},
            {"op": "remove", "path": "/fields/note/value"},
            {"op": "add", "path": "/urls", "value": {"href": "https://example.org", "primary": true}},
            {"op": "add", "path": "/sections", "value": {"id": "s", "label": "S"}}
        ]))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let patched = response.json();
    assert_eq!(patched["title"], "patched");
    assert_eq!(patched["favorite"], true);
    assert_eq!(patched["tags"], json!(["a", "c"]));
    assert_eq!(field(&patched, "username")["value"], "patchOne");
    assert_eq!(field(&patched, "note")["label"], "renamed");
    assert!(field(&patched, "note").get("value").is_none());
    assert_eq!(
        patched["fields"].as_array().unwrap().len(),
        item["fields"].as_array().unwrap().len() + 1
    );
    assert_eq!(patched["urls"][0]["href"], "https://example.org");
    assert_eq!(patched["sections"][0]["id"], "s");
    assert_eq!(app.get(&uri).await.json(), patched);

    let whole = app
        .patch(&uri, &json!([{"op": "replace", "path": "/", "value": {"title": "whole", "category": "LOGIN"}}]))
        .await;
    assert_eq!(whole.status, 200, "{}", whole.text());
    assert_eq!(whole.json()["title"], "whole");
    assert!(whole.json().get("tags").is_none());

    let before = app.get(&uri).await.json();
    for op in ["move", "copy", "test"] {
        let response = app
            .patch(
                &uri,
                &json!([{"op": op, "path": "/title", "from": "/title", "value": "x"}]),
            )
            .await;
        response.assert_error(400, "unsupported op");
    }
    app.patch(
        &uri,
        &json!([{"op": "replace", "path": "/fields/nope", "value": {}}]),
    )
    .await
    .assert_error(400, "field");
    app.patch(&uri, &json!({"op": "replace"}))
        .await
        .assert_error(400, "Invalid JSON");
    assert_eq!(
        app.get(&uri).await.json(),
        before,
        "a failed patch changed the item"
    );

    let unchanged = app.patch(&uri, &json!([])).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json()["version"], before["version"]);
}

#[tokio::test]
async fn delete_is_204_then_404_and_vault_counters_follow() {
    let app = TestApp::new().await;
    let vault_uri = format!("/v1/vaults/{}", app.vault.id);
    let before = app.get(&vault_uri).await.json();
    assert_eq!(before["items"], 0);
    let item = app.create(login("to delete")).await;
    let after_create = app.get(&vault_uri).await.json();
    assert_eq!(after_create["items"], 1);
    assert!(after_create["contentVersion"].as_i64() > before["contentVersion"].as_i64());
    let uri = app.item_uri(item["id"].as_str().unwrap());
    let response = app.delete(&uri).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    app.get(&uri).await.assert_error(404, "not found");
    app.delete(&uri).await.assert_error(404, "item");
    let after_delete = app.get(&vault_uri).await.json();
    assert_eq!(after_delete["items"], 0);
    assert!(after_delete["contentVersion"].as_i64() > after_create["contentVersion"].as_i64());
}

#[tokio::test]
async fn summaries_have_no_fields_and_carry_the_vault() {
    let app = TestApp::new().await;
    app.create(login("one")).await;
    app.create(login("two")).await;
    let list = app.get(&app.items_uri()).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for summary in list {
        assert_eq!(summary["vault"]["id"], app.vault.id.as_str());
        assert!(summary.get("fields").is_none() && summary.get("sections").is_none());
        assert_eq!(summary["tags"], json!(["test"]));
        assert_eq!(summary["version"], 1);
    }
}

#[tokio::test]
async fn unknown_items_and_vaults_are_404() {
    let app = TestApp::new().await;
    app.get(&app.item_uri("abcdefghijklmnop1234567890"))
        .await
        .assert_error(404, "item abcdefghijklmnop1234567890 not found");
    let token = app
        .issue(&[("zzzzzzzzzzzzzzzzzzzzzzzzzz", latchkey::auth::ACL_READ_WRITE)])
        .await;
    app.get_with("/v1/vaults/zzzzzzzzzzzzzzzzzzzzzzzzzz", &token)
        .await
        .assert_error(404, "vault");
    app.get_with("/v1/vaults/zzzzzzzzzzzzzzzzzzzzzzzzzz/items", &token)
        .await
        .assert_error(404, "vault");
}
