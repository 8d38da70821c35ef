//! 1Password/terraform-provider-onepassword in Connect mode (`internal/onepassword/connect/
//! connect_client.go`, `model/item.go`, `util/date.go`, `util/retry.go`), on Go SDK 1.5.x through
//! `NewClientWithUserAgent(host, token, providerUserAgent)`.
//!
//! `terraform apply` is create → poll GET until `version == 1`; an update is PUT → poll GET until
//! `version == PUT-response.version + 1`; a destroy is DELETE → poll GET until 404. Creates and
//! updates are retried on 409/Conflict, deletes on 500/"Something went wrong", reads on 404/"not
//! found": none of these may happen spuriously against a server with a local store.
//!
//! What the provider's source relies on: a new item has version 1; Connect's PUT response carries
//! the version from before the update (a comment in `connect_client.go` says so), so the next GET
//! shows it plus one; DATE values travel as Unix-seconds strings; a recipe's `characterSets`
//! always include `LETTERS` and the server generates the value. The retries are for Connect's
//! eventual consistency, which a server reading a local store does not have.

use latchkey::model::Category;
use serde_json::json;

use super::{field_by_label, go_error, go_ok, seed_item, token_for, Tool};
use crate::helpers::{TestApp, TestResponse};

const AGENT: &str = "terraform-provider-onepassword/2.1.2";

/// Section and field ids from `uuid.GenerateUUID()` (hashicorp/go-uuid): dashed, 36 characters.
const SECTION: &str = "0d9a8b7c-6e5f-4a3b-9c2d-1e0f9a8b7c6d";
const EXPIRES: &str = "7f1b5a3e-2c4d-4e6f-8a9b-0c1d2e3f4a5b";
const CARD: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const API_TOKEN: &str = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";

/// 2025-01-01T12:01:00Z: `YYYYMMDDToSeconds` sends a DATE as a Unix-seconds string so that
/// Connect's local-time parsing of `YYYY-MM-DD` cannot shift the day.
const EXPIRES_SECONDS: &str = "1735732860";

/// The `onepassword_item` LOGIN resource as `FromModelItemToConnect` marshals it on create:
/// built-in fields with fixed ids, `generate` with a recipe that always starts with `LETTERS`,
/// and a section whose fields reference it as `{id, label}`.
fn create_body(vault: &str) -> String {
    format!(
        r#"{{"id":"","title":"tf-login","urls":[{{"primary":true,"href":"https://tf.example.com"}}],"tags":["terraform"],"vault":{{"id":"{vault}"}},"category":"LOGIN","sections":[{{"id":"{SECTION}","label":"Metadata"}}],"fields":[{{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"tf-user"}},{{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","generate":true,"recipe":{{"length":20,"characterSets":["LETTERS","DIGITS"]}}}},{{"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain","value":"managed by terraform"}},{{"id":"{EXPIRES}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"DATE","label":"expires","value":"{EXPIRES_SECONDS}"}},{{"id":"{CARD}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"MONTH_YEAR","label":"card expiry","value":"202712"}},{{"id":"{API_TOKEN}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"CONCEALED","label":"api token","generate":true,"recipe":{{"length":16,"characterSets":["LETTERS"]}}}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    )
}

/// The same resource on update: the id and version from state, the password and token values
/// from state (so `generate` is false and omitted, the recipe still sent), and changed values.
fn update_body(vault: &str, id: &str, version: i64, password: &str, token: &str) -> String {
    format!(
        r#"{{"id":"{id}","title":"tf-login","urls":[{{"primary":true,"href":"https://tf.example.com"}}],"tags":["terraform"],"version":{version},"vault":{{"id":"{vault}"}},"category":"LOGIN","sections":[{{"id":"{SECTION}","label":"Metadata"}}],"fields":[{{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"tf-user"}},{{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","value":"{password}","recipe":{{"length":20,"characterSets":["LETTERS","DIGITS"]}}}},{{"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain","value":"managed by terraform, v{version}"}},{{"id":"{EXPIRES}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"DATE","label":"expires","value":"1767268860"}},{{"id":"{CARD}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"MONTH_YEAR","label":"card expiry","value":"202712"}},{{"id":"{API_TOKEN}","section":{{"id":"{SECTION}","label":"Metadata"}},"type":"CONCEALED","label":"api token","value":"{token}","recipe":{{"length":16,"characterSets":["LETTERS"]}}}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    )
}

/// Statuses that make the provider retry; a local store never has a reason to send them.
#[track_caller]
fn no_retry_condition(response: &TestResponse, what: &str) {
    assert!(
        ![409, 500].contains(&response.status),
        "{what} would be retried (409/500): {}",
        response.text()
    );
}

/// `wait`: GET the item until `done(item)`; at most 5 polls. Returns the item and the polls used.
async fn poll_until(
    tf: &Tool,
    path: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> (serde_json::Value, usize) {
    for attempt in 1..=5 {
        let response = tf.get(path).await;
        assert_ne!(
            response.status, 404,
            "poll {attempt}: a 404 right after a write is the eventual-consistency case"
        );
        let item = go_ok(&response, 200);
        if done(&item) {
            return (item, attempt);
        }
    }
    panic!("{path} never reached the expected state within 5 polls");
}

/// `util.SecondsToYYYYMMDD`: the provider shows DATE values as a UTC day.
fn seconds_to_day(seconds: &str) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds.parse().expect("seconds"))
        .expect("in range");
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

#[tokio::test]
async fn create_then_poll_until_version_one() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);

    let response = tf
        .post(&format!("/v1/vaults/{v}/items"), &create_body(&v))
        .await;
    no_retry_condition(&response, "CreateItem");
    let created = go_ok(&response, 200);
    let id = created["id"].as_str().unwrap();
    let (item, polls) = poll_until(&tf, &format!("/v1/vaults/{v}/items/{id}"), |i| {
        i["version"] == 1
    })
    .await;
    assert_eq!(polls, 1);

    // The generated password follows the recipe: 20 characters, letters and digits only.
    let password = field_by_label(&item, "password")["value"].as_str().unwrap();
    assert_eq!(password.len(), 20);
    assert!(
        password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password}"
    );
    let token = field_by_label(&item, "api token")["value"]
        .as_str()
        .unwrap();
    assert_eq!(token.len(), 16);
    assert!(token.chars().all(|c| c.is_ascii_alphabetic()), "{token}");

    // DATE comes back as the same Unix-seconds string, which the provider turns into a UTC day.
    let expires = field_by_label(&item, "expires");
    assert_eq!(expires["type"], "DATE");
    assert_eq!(expires["value"], EXPIRES_SECONDS);
    assert_eq!(seconds_to_day(EXPIRES_SECONDS), "2025-01-01");
    assert_eq!(field_by_label(&item, "card expiry")["value"], "202712");

    // Sections and field ids round-trip, so the provider can map fields back into its blocks.
    assert_eq!(
        item["sections"],
        json!([{"id": SECTION, "label": "Metadata"}])
    );
    for (field_id, label) in [
        (EXPIRES, "expires"),
        (CARD, "card expiry"),
        (API_TOKEN, "api token"),
    ] {
        let field = field_by_label(&item, label);
        assert_eq!(field["id"], field_id);
        assert_eq!(field["section"]["id"], SECTION);
    }
    for (builtin, purpose) in [
        ("username", "USERNAME"),
        ("password", "PASSWORD"),
        ("notesPlain", "NOTES"),
    ] {
        let field = field_by_label(&item, builtin);
        assert_eq!(field["id"], builtin);
        assert_eq!(field["purpose"], purpose);
    }
    assert_eq!(
        field_by_label(&item, "notesPlain")["value"],
        "managed by terraform"
    );
    assert_eq!(item["urls"][0]["href"], "https://tf.example.com");
    assert_eq!(item["urls"][0]["primary"], true);
}

#[tokio::test]
async fn update_then_poll_until_the_put_version_plus_one() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);
    let created = go_ok(
        &tf.post(&format!("/v1/vaults/{v}/items"), &create_body(&v))
            .await,
        200,
    );
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/v1/vaults/{v}/items/{id}");
    let (state, _) = poll_until(&tf, &path, |i| i["version"] == 1).await;
    let password = field_by_label(&state, "password")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let token = field_by_label(&state, "api token")["value"]
        .as_str()
        .unwrap()
        .to_string();

    for round in 1..=3_i64 {
        // UpdateItem: PUT /v1/vaults/{item.Vault.ID}/items/{item.ID}.
        let response = tf
            .put(&path, &update_body(&v, &id, round, &password, &token))
            .await;
        no_retry_condition(&response, "UpdateItem");
        let updated = go_ok(&response, 200);
        // "UpdateItem doesn't return increased item version. Need to increase it manually."
        let expected = updated["version"].as_i64().unwrap() + 1;
        assert_eq!(expected, round + 1);
        let (item, polls) = poll_until(&tf, &path, |i| i["version"] == expected).await;
        assert_eq!(polls, 1);
        assert_eq!(
            field_by_label(&item, "notesPlain")["value"],
            format!("managed by terraform, v{round}")
        );
        // A recipe without `generate` keeps the value from state.
        assert_eq!(
            field_by_label(&item, "password")["value"],
            password.as_str()
        );
        assert_eq!(field_by_label(&item, "api token")["value"], token.as_str());
        let expires = field_by_label(&item, "expires")["value"].as_str().unwrap();
        assert_eq!(expires, "1767268860");
        assert_eq!(seconds_to_day(expires), "2026-01-01");
    }
}

#[tokio::test]
async fn delete_then_poll_until_404() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);
    let created = go_ok(
        &tf.post(&format!("/v1/vaults/{v}/items"), &create_body(&v))
            .await,
        200,
    );
    let id = created["id"].as_str().unwrap();

    // DeleteItem with the item from state: the path comes from its vault and id.
    let response = tf.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    no_retry_condition(&response, "DeleteItem");
    assert_eq!(response.status, 204, "{}", response.text());
    // The wait condition: an error containing "404" or "not found" means gone.
    let err = go_error(&tf.get(&format!("/v1/vaults/{v}/items/{id}")).await, 404);
    assert!(err.contains("404") && err.contains("not found"), "{err}");
}

/// Several apply/destroy cycles back to back: no 409 on create or update, no 500 on delete, and
/// no 404 on the reads that follow a write.
#[tokio::test]
async fn back_to_back_cycles_never_hit_a_retry_condition() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);
    for _ in 0..5 {
        let response = tf
            .post(&format!("/v1/vaults/{v}/items"), &create_body(&v))
            .await;
        no_retry_condition(&response, "CreateItem");
        let id = go_ok(&response, 200)["id"].as_str().unwrap().to_string();
        let path = format!("/v1/vaults/{v}/items/{id}");
        let (state, _) = poll_until(&tf, &path, |i| i["version"] == 1).await;
        let password = field_by_label(&state, "password")["value"]
            .as_str()
            .unwrap()
            .to_string();
        let token = field_by_label(&state, "api token")["value"]
            .as_str()
            .unwrap()
            .to_string();
        let response = tf
            .put(&path, &update_body(&v, &id, 1, &password, &token))
            .await;
        no_retry_condition(&response, "UpdateItem");
        let expected = go_ok(&response, 200)["version"].as_i64().unwrap() + 1;
        poll_until(&tf, &path, |i| i["version"] == expected).await;
        let response = tf.delete(&path).await;
        no_retry_condition(&response, "DeleteItem");
        assert_eq!(response.status, 204);
        go_error(&tf.get(&path).await, 404);
    }
}

/// Data sources: the vault by name (`GetVaultsByTitle`, more than one is an error, then
/// `GetVault(id)`), the item by title (`GetItemByTitle`), and file content via `content_path`.
#[tokio::test]
async fn data_sources_read_vault_and_item_by_title_and_files() {
    let app = TestApp::new().await;
    let infra = app.new_vault("Infrastructure").await;
    app.new_vault("Infrastructure Archive").await;
    let token = token_for(&app, &[&infra.id]).await;
    let tf = Tool::go_sdk_as(&app, &token, AGENT);
    seed_item(
        &app,
        &infra.id,
        Category::Document,
        json!({"title": "ssh-config"}),
        &[("config", b"Host *\n")],
    )
    .await;

    let vaults = go_ok(
        &tf.get("/v1/vaults?filter=title+eq+%22Infrastructure%22")
            .await,
        200,
    );
    assert_eq!(vaults.as_array().unwrap().len(), 1);
    let vault = go_ok(
        &tf.get(&format!("/v1/vaults/{}", vaults[0]["id"].as_str().unwrap()))
            .await,
        200,
    );
    assert_eq!(vault["name"], "Infrastructure");

    let summaries = go_ok(
        &tf.get(&format!(
            "/v1/vaults/{}/items?filter=title+eq+%22ssh-config%22",
            infra.id
        ))
        .await,
        200,
    );
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    let item = go_ok(
        &tf.get(&format!(
            "/v1/vaults/{}/items/{}",
            infra.id,
            summaries[0]["id"].as_str().unwrap()
        ))
        .await,
        200,
    );
    let file = &item["files"][0];
    assert_eq!(file["name"], "config");
    let content = tf.get(file["content_path"].as_str().unwrap()).await;
    assert_eq!(content.status, 200);
    assert_eq!(content.body, b"Host *\n");
}

/// `dataToItem` / `stateToModel` always build `URLs: [{Primary: true, URL: data.URL}]`, so a
/// resource without `url` (here a `secure_note`) sends `"urls":[{"primary":true,"href":""}]` on
/// create and on every update; the provider's own acceptance tests send the same against Connect.
#[tokio::test]
async fn an_item_without_a_url_sends_an_empty_primary_href() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);
    let create = format!(
        r#"{{"id":"","title":"tf-note","urls":[{{"primary":true,"href":""}}],"vault":{{"id":"{v}"}},"category":"SECURE_NOTE","fields":[{{"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain","value":"line one\nline two"}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    );
    let response = tf.post(&format!("/v1/vaults/{v}/items"), &create).await;
    no_retry_condition(&response, "CreateItem");
    let id = go_ok(&response, 200)["id"].as_str().unwrap().to_string();
    let path = format!("/v1/vaults/{v}/items/{id}");
    let (item, _) = poll_until(&tf, &path, |i| i["version"] == 1).await;
    assert_eq!(
        field_by_label(&item, "notesPlain")["value"],
        "line one\nline two"
    );
    for url in item["urls"].as_array().cloned().unwrap_or_default() {
        assert_eq!(url["href"], "", "no URL may be invented: {url}");
    }

    let update = format!(
        r#"{{"id":"{id}","title":"tf-note","urls":[{{"primary":true,"href":""}}],"version":1,"vault":{{"id":"{v}"}},"category":"SECURE_NOTE","fields":[{{"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain","value":"line three"}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    );
    let response = tf.put(&path, &update).await;
    no_retry_condition(&response, "UpdateItem");
    let expected = go_ok(&response, 200)["version"].as_i64().unwrap() + 1;
    let (item, _) = poll_until(&tf, &path, |i| i["version"] == expected).await;
    assert_eq!(field_by_label(&item, "notesPlain")["value"], "line three");
}

/// `buildDatabaseFields`: fixed, non-UUID field ids (`hostname`, `database_type`, …), and the
/// credentials as plain fields without a purpose; the provider reads them back by id.
#[tokio::test]
async fn a_database_item_keeps_its_fixed_field_ids() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let tf = Tool::go_sdk_as(&app, &app.token, AGENT);
    let create = format!(
        r#"{{"id":"","title":"tf-db","urls":[{{"primary":true,"href":"postgres://db.example.com"}}],"vault":{{"id":"{v}"}},"category":"DATABASE","fields":[{{"id":"username","type":"STRING","label":"username","value":"admin"}},{{"id":"password","type":"CONCEALED","label":"password","generate":true,"recipe":{{"length":30,"characterSets":["LETTERS","DIGITS","SYMBOLS"]}}}},{{"id":"hostname","type":"STRING","label":"hostname","value":"db.example.com"}},{{"id":"database","type":"STRING","label":"database","value":"app"}},{{"id":"port","type":"STRING","label":"port","value":"5432"}},{{"id":"database_type","type":"STRING","label":"type","value":"postgresql"}},{{"id":"notesPlain","type":"STRING","purpose":"NOTES","label":"notesPlain"}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    );
    let response = tf.post(&format!("/v1/vaults/{v}/items"), &create).await;
    no_retry_condition(&response, "CreateItem");
    let id = go_ok(&response, 200)["id"].as_str().unwrap().to_string();
    let (item, _) = poll_until(&tf, &format!("/v1/vaults/{v}/items/{id}"), |i| {
        i["version"] == 1
    })
    .await;
    let by_id = |wanted: &str| {
        super::fields(&item)
            .iter()
            .find(|f| f["id"] == wanted)
            .unwrap_or_else(|| panic!("no field with id {wanted}: {item}"))
            .clone()
    };
    assert_eq!(by_id("username")["value"], "admin");
    assert_eq!(by_id("hostname")["value"], "db.example.com");
    assert_eq!(by_id("database")["value"], "app");
    assert_eq!(by_id("port")["value"], "5432");
    assert_eq!(by_id("database_type")["label"], "type");
    assert_eq!(by_id("database_type")["value"], "postgresql");
    assert_eq!(by_id("password")["value"].as_str().unwrap().len(), 30);
}
