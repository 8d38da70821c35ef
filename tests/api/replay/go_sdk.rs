//! connect-sdk-go 1.5.3 (`connect/client.go`, `connect/version.go`, `onepassword/*.go`): the calls
//! every Go consumer (operator, ESO, Terraform, Vault plugin, doco-cd) is built on.
//!
//! What the SDK's source shows and these tests hold the server to: `buildRequest` joins host and
//! path without normalising (a host ending in `/` sends `//v1/…`) and sets `Content-Type:
//! application/json` and B3 tracing headers on every request; titles go through `url.QueryEscape`
//! (`+` for spaces); `json.Marshal` sends Go zero values (`"id":""`, `0001-01-01T00:00:00Z`); the
//! file calls want a `1Password-Connect-Version` header of at least 1.3.0 and fetch
//! `<host><content_path>` as given; create expects 200, delete 204, and an error body is read as
//! `{status, message}`.

use latchkey::model::Category;
use serde_json::json;

use super::{
    field_by_label, go_connect_version_at_least, go_error, go_item_body, go_ok, is_connect_id,
    query_escape, seed_item, title_filter, token_for, Tool,
};
use crate::helpers::{login, TestApp};

#[test]
fn query_escape_matches_go_url_query_escape() {
    // The literal strings `url.QueryEscape(fmt.Sprintf("title eq \"%s\"", t))` produces.
    assert_eq!(
        title_filter("Test Vault"),
        "title+eq+%22Test+Vault%22".to_string()
    );
    assert_eq!(
        title_filter("db (prod) #1"),
        "title+eq+%22db+%28prod%29+%231%22".to_string()
    );
    assert_eq!(query_escape("a-b_c.d~e/f&g"), "a-b_c.d~e%2Ff%26g");
    assert_eq!(query_escape("é"), "%C3%A9");
}

/// `GetVaultsByTitle` / `GetVaultByTitle` / `GetVault(uuid)`.
#[tokio::test]
async fn vaults_by_title_use_a_plus_encoded_title_filter() {
    let app = TestApp::new().await;
    let team = app.new_vault("Go Team Vault").await;
    let other = app.new_vault("Go Team Vault Archive").await;
    let token = token_for(&app, &[&app.vault.id, &team.id, &other.id]).await;
    let go = Tool::go_sdk(&app, &token);

    // GetVaultsByTitle("Go Team Vault"); GetVaultByTitle requires exactly one.
    let vaults = go_ok(
        &go.get("/v1/vaults?filter=title+eq+%22Go+Team+Vault%22")
            .await,
        200,
    );
    let vaults = vaults.as_array().unwrap();
    assert_eq!(vaults.len(), 1, "`eq` is not `co`: {vaults:?}");
    assert_eq!(vaults[0]["id"], team.id.as_str());
    assert_eq!(vaults[0]["name"], "Go Team Vault");
    assert!(
        ["USER_CREATED", "PERSONAL", "EVERYONE", "TRANSFER"]
            .contains(&vaults[0]["type"].as_str().unwrap()),
        "Go maps other vault types to UNKNOWN"
    );

    // No match is an empty list (the SDK then says "Found 0 vaults"), not an error status.
    let none = go_ok(&go.get("/v1/vaults?filter=title+eq+%22Nope%22").await, 200);
    assert_eq!(none, json!([]));

    // GetVault(uuid) goes straight to the vault.
    let one = go_ok(&go.get(&format!("/v1/vaults/{}", team.id)).await, 200);
    assert_eq!(one["name"], "Go Team Vault");

    // GetVaults.
    let all = go_ok(&go.get("/v1/vaults").await, 200);
    assert_eq!(all.as_array().unwrap().len(), 3);
}

/// `GetItemsByTitle`: the filtered list, then `GetItem(summary.ID, summary.Vault.ID)` for each.
#[tokio::test]
async fn items_by_title_list_then_get_each_through_the_summary_vault() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    app.create(login("db (prod) #1")).await;
    app.create(login("db (prod) #2")).await;

    let summaries = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22db+%28prod%29+%231%22"
        ))
        .await,
        200,
    );
    let summaries = summaries.as_array().unwrap();
    assert_eq!(summaries.len(), 1, "`#` and `(` must be decoded, not cut");
    let summary = &summaries[0];
    assert_eq!(summary["title"], "db (prod) #1");
    assert!(summary.get("fields").is_none(), "summaries carry no fields");
    // The SDK addresses the follow-up GET with the summary's own vault id.
    let vault_of_summary = summary["vault"]["id"].as_str().expect("summary vault.id");
    assert_eq!(vault_of_summary, v);
    let full = go_ok(
        &go.get(&format!(
            "/v1/vaults/{vault_of_summary}/items/{}",
            summary["id"].as_str().unwrap()
        ))
        .await,
        200,
    );
    assert_eq!(
        field_by_label(&full, "username")["value"],
        "user@example.com"
    );

    // Non-ASCII titles arrive as percent-encoded UTF-8.
    app.create(login("Clé 🔑")).await;
    assert_eq!(
        title_filter("Clé 🔑"),
        "title+eq+%22Cl%C3%A9+%F0%9F%94%91%22"
    );
    let unicode = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22Cl%C3%A9+%F0%9F%94%91%22"
        ))
        .await,
        200,
    );
    assert_eq!(unicode.as_array().unwrap().len(), 1);
    assert_eq!(unicode[0]["title"], "Clé 🔑");
}

/// `GetItem(itemQuery, vaultQuery)`: vault title resolved first, then UUID-shaped item queries
/// are tried by id and fall back to the title when that fails (1.5.3).
#[tokio::test]
async fn get_item_falls_back_to_the_title_when_the_uuid_lookup_fails() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    let titled_like_an_id = app.create(login("zzzzzzzzzzzzzzzzzzzzzzzzzz")).await;

    // getVaultUUID("Test Vault"): not UUID-shaped, so GetVaultByTitle.
    let vaults = go_ok(
        &go.get("/v1/vaults?filter=title+eq+%22Test+Vault%22").await,
        200,
    );
    assert_eq!(vaults.as_array().unwrap().len(), 1);
    assert_eq!(vaults[0]["id"], v.as_str());

    // GetItemByUUID fails with a Go-parsable 404 ...
    let miss = go
        .get(&format!("/v1/vaults/{v}/items/zzzzzzzzzzzzzzzzzzzzzzzzzz"))
        .await;
    let err = go_error(&miss, 404);
    assert!(err.contains("not found"), "{err}");
    // ... so GetItemByTitle: exactly one summary, then the full item.
    let list = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22zzzzzzzzzzzzzzzzzzzzzzzzzz%22"
        ))
        .await,
        200,
    );
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], titled_like_an_id["id"]);
    let item = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items/{}",
            list[0]["id"].as_str().unwrap()
        ))
        .await,
        200,
    );
    assert_eq!(item["title"], "zzzzzzzzzzzzzzzzzzzzzzzzzz");
}

/// `CreateItem` marshals the whole `onepassword.Item`: `"id":""`, `"vault":{"id":""}` when the
/// caller set none, `"type":""` on untyped fields, and zero `time.Time`s. It accepts only 200.
#[tokio::test]
async fn create_item_with_go_zero_values_is_exactly_200() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    let body = r#"{"id":"","title":"Go Created","tags":["go","sdk"],"vault":{"id":""},"category":"LOGIN","sections":[{"id":"go-section","label":"Go Section"}],"fields":[{"id":"","type":"","purpose":"USERNAME","value":"gopher"},{"id":"","type":"CONCEALED","purpose":"PASSWORD","generate":true,"recipe":{"length":24,"characterSets":["LETTERS","DIGITS"]}},{"id":"","section":{"id":"go-section"},"type":"STRING","label":"region","value":"eu-west-1"}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(&go.post(&format!("/v1/vaults/{v}/items"), body).await, 200);

    assert!(is_connect_id(created["id"].as_str().unwrap()));
    assert_eq!(
        created["vault"]["id"],
        v.as_str(),
        "the path names the vault"
    );
    assert_eq!(created["version"], 1);
    assert_eq!(created["category"], "LOGIN");
    assert_ne!(
        created["createdAt"], "0001-01-01T00:00:00Z",
        "the zero time in the body is ignored"
    );
    let username = field_by_label(&created, "username");
    assert_eq!(username["value"], "gopher");
    assert_eq!(username["purpose"], "USERNAME");
    let password = field_by_label(&created, "password");
    let value = password["value"].as_str().unwrap();
    assert_eq!(value.len(), 24);
    assert!(value.chars().all(|c| c.is_ascii_alphanumeric()), "{value}");
    let region = field_by_label(&created, "region");
    assert!(
        !region["id"].as_str().unwrap().is_empty(),
        "server assigns ids"
    );
    assert_eq!(region["section"]["id"], "go-section");
    assert_eq!(created["sections"][0]["label"], "Go Section");
}

/// `UpdateItem` GETs nothing itself: the caller's item (usually from a GET) is marshalled whole
/// and PUT to `/v1/vaults/{item.Vault.ID}/items/{item.ID}`; only 200 is accepted.
#[tokio::test]
async fn update_item_puts_the_marshalled_item_to_its_own_path() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    let mut body = login("Go Update");
    body["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"label": "otp", "type": "OTP",
            "value": "otpauth://totp/go?secret=JBSWY3DPEHPK3PXP"}));
    body["fields"][1] = json!({"purpose": "PASSWORD", "generate": true});
    let created = app.create(body).await;
    let id = created["id"].as_str().unwrap().to_string();

    let mut item = go_ok(&go.get(&format!("/v1/vaults/{v}/items/{id}")).await, 200);
    let created_at = item["createdAt"].clone();
    item["title"] = json!("Go Updated");
    for field in item["fields"].as_array_mut().unwrap() {
        if field["label"] == "username" {
            field["value"] = json!("gopher2");
        }
    }
    let generated = field_by_label(&item, "password")["value"].clone();
    let body = go_item_body(&item);
    // The round trip echoes what the GET returned: timestamps, entropy, the current totp.
    assert!(body.contains("\"lastEditedBy\":"), "{body}");
    assert!(body.contains("\"entropy\":"), "{body}");
    assert!(body.contains("\"totp\":"), "{body}");
    let path = format!(
        "/v1/vaults/{}/items/{}",
        item["vault"]["id"].as_str().unwrap(),
        item["id"].as_str().unwrap()
    );
    let updated = go_ok(&go.put(&path, &body).await, 200);
    assert_eq!(updated["id"], id.as_str());

    let after = go_ok(&go.get(&format!("/v1/vaults/{v}/items/{id}")).await, 200);
    assert_eq!(after["title"], "Go Updated");
    assert_eq!(field_by_label(&after, "username")["value"], "gopher2");
    assert_eq!(
        field_by_label(&after, "password")["value"],
        generated,
        "the echoed password field survives"
    );
    let otp = field_by_label(&after, "otp");
    assert_eq!(otp["value"], "otpauth://totp/go?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(otp["totp"].as_str().unwrap().len(), 6);
    assert_eq!(after["version"], 2);
    assert_eq!(
        after["createdAt"], created_at,
        "createdAt in a body is ignored"
    );
}

/// `DeleteItem` / `DeleteItemByID` accept exactly 204.
#[tokio::test]
async fn delete_item_is_exactly_204_and_then_404() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    let id = app.create(login("Go Delete")).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let deleted = go.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    assert_eq!(deleted.status, 204, "body: {}", deleted.text());
    assert!(deleted.body.is_empty());

    let gone = go.get(&format!("/v1/vaults/{v}/items/{id}")).await;
    go_error(&gone, 404);
    let again = go.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    go_error(&again, 404);
}

/// `GetFiles`, `GetFile` and `GetFileContent` all check the version header (≥ 1.3.0) first; the
/// content is fetched at `host + file.ContentPath`, and a `content` key would be taken as cached.
#[tokio::test]
async fn files_pass_the_version_check_and_content_path_is_fetched_verbatim() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token);
    let (item, files) = seed_item(
        &app,
        &v,
        Category::Document,
        json!({"title": "Go Files"}),
        &[
            ("config.yaml", b"key: value\n"),
            ("blob.bin", &[0u8, 1, 2, 255]),
        ],
    )
    .await;

    let full = go.get(&format!("/v1/vaults/{v}/items/{item}")).await;
    let full = go_ok(&full, 200);
    for file in full["files"].as_array().unwrap() {
        assert!(
            file.get("content").is_none(),
            "Go treats any `content` as already fetched"
        );
        assert!(file["content_path"].as_str().unwrap().starts_with("/v1/"));
    }

    let listed = go.get(&format!("/v1/vaults/{v}/items/{item}/files")).await;
    go_connect_version_at_least(&listed, (1, 3, 0)).unwrap();
    let listed = go_ok(&listed, 200);
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let one = go
        .get(&format!("/v1/vaults/{v}/items/{item}/files/{}", files[1]))
        .await;
    go_connect_version_at_least(&one, (1, 3, 0)).unwrap();
    let one = go_ok(&one, 200);
    assert_eq!(one["name"], "blob.bin");
    assert_eq!(one["size"], 4);

    let content_path = one["content_path"].as_str().unwrap();
    assert_eq!(
        content_path,
        format!("/v1/vaults/{v}/items/{item}/files/{}/content", files[1])
    );
    let content = go.get(content_path).await;
    go_connect_version_at_least(&content, (1, 3, 0)).unwrap();
    assert_eq!(content.status, 200);
    assert_eq!(content.body, vec![0u8, 1, 2, 255]);

    // UpdateItem on a DOCUMENT (Connect 1.7.2): the marshalled item carries `files` back.
    let mut renamed = full.clone();
    renamed["title"] = json!("Go Files (renamed)");
    let body = go_item_body(&renamed);
    assert!(body.contains("\"content_path\":"), "{body}");
    go_ok(
        &go.put(&format!("/v1/vaults/{v}/items/{item}"), &body).await,
        200,
    );
    let after = go_ok(&go.get(&format!("/v1/vaults/{v}/items/{item}")).await, 200);
    assert_eq!(after["title"], "Go Files (renamed)");
    assert_eq!(after["category"], "DOCUMENT");
    assert_eq!(after["files"], full["files"], "files survive the update");
}

/// `OP_CONNECT_HOST` with a trailing slash: `fmt.Sprintf("%s%s", host, "/v1/…")` gives `//v1/…`
/// on every call, including `host + content_path`. It must be served in place, never redirected.
#[tokio::test]
async fn a_trailing_slash_host_sends_double_slash_paths() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let go = Tool::go_sdk(&app, &app.token).with_trailing_slash_host();
    let (with_file, files) = seed_item(
        &app,
        &v,
        Category::Document,
        json!({"title": "Slash File"}),
        &[("a.txt", b"a")],
    )
    .await;

    let vaults = go_ok(
        &go.get("/v1/vaults?filter=title+eq+%22Test+Vault%22").await,
        200,
    );
    assert_eq!(vaults.as_array().unwrap().len(), 1);

    let body = r#"{"id":"","title":"Slash Item","vault":{"id":""},"category":"PASSWORD","fields":[{"id":"","type":"CONCEALED","purpose":"PASSWORD","value":"p"}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(&go.post(&format!("/v1/vaults/{v}/items"), body).await, 200);
    let id = created["id"].as_str().unwrap().to_string();

    let list = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22Slash+Item%22"
        ))
        .await,
        200,
    );
    assert_eq!(list.as_array().unwrap().len(), 1);
    let mut item = go_ok(&go.get(&format!("/v1/vaults/{v}/items/{id}")).await, 200);
    item["title"] = json!("Slash Item 2");
    go_ok(
        &go.put(&format!("/v1/vaults/{v}/items/{id}"), &go_item_body(&item))
            .await,
        200,
    );

    let file = go_ok(
        &go.get(&format!(
            "/v1/vaults/{v}/items/{with_file}/files/{}",
            files[0]
        ))
        .await,
        200,
    );
    let content = go.get(file["content_path"].as_str().unwrap()).await;
    assert_eq!(content.status, 200, "{}", content.text());
    assert_eq!(content.body, b"a");

    let deleted = go.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
}

/// Every error the SDK can provoke unmarshals into `onepassword.Error{status, message}`.
#[tokio::test]
async fn every_error_unmarshals_into_status_and_message() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let elsewhere = app.new_vault("Not Granted").await;
    let go = Tool::go_sdk(&app, &app.token);
    let stranger = Tool::go_sdk(&app, "not-a-jwt");

    go_error(&stranger.get("/v1/vaults").await, 401);
    go_error(
        &go.get(&format!("/v1/vaults/{}/items", elsewhere.id)).await,
        403,
    );
    go_error(
        &go.get(&format!("/v1/vaults/{v}/items/abcdefghijklmnopqrstuvwxyz"))
            .await,
        404,
    );
    // DeleteItem on an item whose Vault.ID is empty: `/v1/vaults//items/{id}`.
    go_error(
        &go.delete("/v1/vaults//items/abcdefghijklmnopqrstuvwxyz")
            .await,
        404,
    );
    // CreateItem of a DOCUMENT (connect-sdk-go#45): refused, as Connect 1.7.0 does.
    go_error(
        &go.post(
            &format!("/v1/vaults/{v}/items"),
            r#"{"id":"","title":"x","vault":{"id":""},"category":"DOCUMENT","createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#,
        )
        .await,
        400,
    );
    go_error(
        &go.get(&format!(
            "/v1/vaults/{v}/items/abcdefghijklmnopqrstuvwxyz/files"
        ))
        .await,
        404,
    );
}
