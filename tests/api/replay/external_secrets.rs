//! external-secrets (ESO) `onepassword` provider in Connect mode (`providers/v1/onepassword/
//! onepassword.go`): Go SDK 1.5.x through `NewClientWithUserAgent(host, token, "external-secrets")`.
//!
//! The store names vaults with priorities (`vaults: {eso-primary: 1, eso-secondary: 2}`); every
//! read runs `findItem` over them in priority order, then reads a field by label or a file by name.
//!
//! Sources: ESO's `onepassword.go` (`findItem`, property selection, `dataFrom.find`, PushSecret and
//! its read-back every 500 ms for up to 5 s) and `retry_client.go` (3 retries when an error holds
//! `status 403: Authorization`, added in ESO PR #5253 for Connect's intermittent 403s). ESO issue
//! #1948 shows why every error body must be JSON: a plain-text 404 broke the Go SDK's parsing.

use latchkey::model::Category;
use serde_json::{json, Value};

use super::{
    field_by_label, go_connect_version_at_least, go_error, go_field, go_item_body, go_ok,
    seed_item, token_for, Tool,
};
use crate::helpers::TestApp;

const AGENT: &str = "external-secrets";

/// `GetVault(name)` for each store vault, in priority order (literal requests).
const VAULTS_IN_ORDER: [&str; 2] = [
    "/v1/vaults?filter=title+eq+%22eso-primary%22",
    "/v1/vaults?filter=title+eq+%22eso-secondary%22",
];

struct Store {
    app: TestApp,
    primary: String,
    secondary: String,
    eso: Tool,
}

async fn store() -> Store {
    let app = TestApp::new().await;
    let primary = app.new_vault("eso-primary").await.id;
    let secondary = app.new_vault("eso-secondary").await.id;
    let token = token_for(&app, &[&primary, &secondary]).await;
    let eso = Tool::go_sdk_as(&app, &token, AGENT);
    Store {
        app,
        primary,
        secondary,
        eso,
    }
}

/// `findItem(key)`; `key_filter` is the key's escaped `filter=` value, e.g.
/// `title+eq+%22db-credentials%22`. Errors follow ESO's messages (with the filter for the key).
async fn find_item(eso: &Tool, key_filter: &str) -> Result<Value, String> {
    for vault_query in VAULTS_IN_ORDER {
        // GetVault(title) → GetVaultByTitle: exactly one vault.
        let vaults = go_ok(&eso.get(vault_query).await, 200);
        let vaults = vaults.as_array().unwrap();
        if vaults.len() != 1 {
            return Err(format!(
                "error finding 1Password Vault: Found {} vaults",
                vaults.len()
            ));
        }
        let vault_id = vaults[0]["id"].as_str().unwrap();
        // GetItemsByTitle: the filtered list, then a GET per summary.
        let summaries = go_ok(
            &eso.get(&format!("/v1/vaults/{vault_id}/items?filter={key_filter}"))
                .await,
            200,
        );
        let summaries = summaries.as_array().unwrap();
        for summary in summaries {
            go_ok(
                &eso.get(&format!(
                    "/v1/vaults/{}/items/{}",
                    summary["vault"]["id"].as_str().unwrap(),
                    summary["id"].as_str().unwrap()
                ))
                .await,
                200,
            );
        }
        match summaries.len() {
            0 => continue,
            // One match: GetItemByUUID(items[0].ID, items[0].Vault.ID), yet another GET.
            1 => {
                return Ok(go_ok(
                    &eso.get(&format!(
                        "/v1/vaults/{}/items/{}",
                        summaries[0]["vault"]["id"].as_str().unwrap(),
                        summaries[0]["id"].as_str().unwrap()
                    ))
                    .await,
                    200,
                ))
            }
            n => {
                return Err(format!(
                    "expected one 1Password Item matching: '{key_filter}', got {n}"
                ))
            }
        }
    }
    Err("key not found in 1Password Vaults".into())
}

/// `getField`: the label (default `password`) must occur exactly once.
fn get_field(item: &Value, property: &str) -> Result<String, String> {
    let label = if property.is_empty() {
        "password"
    } else {
        property
    };
    let matching: Vec<&Value> = super::fields(item)
        .iter()
        .filter(|f| f["label"] == label)
        .collect();
    if matching.len() != 1 {
        return Err(format!(
            "expected one 1Password ItemField matching: '{label}' in '{}', got {}",
            item["title"].as_str().unwrap_or(""),
            matching.len()
        ));
    }
    Ok(matching[0]["value"].as_str().unwrap_or("").to_string())
}

/// `getObjType` + `getFile`/`getField` (GetSecret). `getFile` takes the files of the full item
/// it already has and calls `GetFileContent` on each (`GET host + content_path`); it does not
/// call `GetFiles`.
async fn get_secret(eso: &Tool, item: &Value, property: &str) -> Result<Vec<u8>, String> {
    let (kind, name) = if let Some(rest) = property.strip_prefix("field/") {
        ("field", rest)
    } else if let Some(rest) = property.strip_prefix("file/") {
        ("file", rest)
    } else if item["category"] == "DOCUMENT" {
        ("file", property)
    } else {
        ("field", property)
    };
    if kind == "field" {
        return get_field(item, name).map(String::into_bytes);
    }
    // getFile: the full item's files; the first one when the property is empty.
    let files = item["files"].as_array().cloned().unwrap_or_default();
    let file = files
        .iter()
        .find(|f| name.is_empty() || f["name"] == name)
        .ok_or_else(|| format!("error finding 1Password Document: '{name}'"))?;
    assert!(
        file.get("content").is_none(),
        "no cached content unless asked"
    );
    // GetFileContent: GET host + content_path, after the version check.
    let response = eso.get(file["content_path"].as_str().unwrap()).await;
    go_connect_version_at_least(&response, (1, 3, 0))?;
    if response.status != 200 {
        return Err(go_error(&response, response.status));
    }
    Ok(response.body)
}

#[tokio::test]
async fn find_item_searches_the_vaults_in_priority_order() {
    let s = store().await;
    let only_second = json!({"title": "db-credentials",
        "fields": [{"purpose": "PASSWORD", "value": "from-secondary"}]});
    seed_item(&s.app, &s.secondary, Category::Password, only_second, &[]).await;
    for (vault, value) in [(&s.primary, "from-primary"), (&s.secondary, "shadowed")] {
        let body = json!({"title": "shared-key",
            "fields": [{"purpose": "PASSWORD", "value": value}]});
        seed_item(&s.app, vault, Category::Password, body, &[]).await;
    }

    // Literal first pass for "db-credentials": empty in the primary vault, then found.
    let primary = go_ok(&s.eso.get(VAULTS_IN_ORDER[0]).await, 200);
    assert_eq!(primary[0]["id"], s.primary.as_str());
    let empty = go_ok(
        &s.eso
            .get(&format!(
                "/v1/vaults/{}/items?filter=title+eq+%22db-credentials%22",
                s.primary
            ))
            .await,
        200,
    );
    assert_eq!(
        empty,
        json!([]),
        "zero matches is an empty list, so ESO moves on"
    );

    let item = find_item(&s.eso, "title+eq+%22db-credentials%22")
        .await
        .unwrap();
    assert_eq!(item["vault"]["id"], s.secondary.as_str());
    assert_eq!(
        get_secret(&s.eso, &item, "").await.unwrap(),
        b"from-secondary",
        "an empty property means the field labelled password"
    );

    let item = find_item(&s.eso, "title+eq+%22shared-key%22")
        .await
        .unwrap();
    assert_eq!(get_field(&item, "password").unwrap(), "from-primary");

    let err = find_item(&s.eso, "title+eq+%22missing-key%22")
        .await
        .unwrap_err();
    assert_eq!(err, "key not found in 1Password Vaults");
}

#[tokio::test]
async fn more_than_one_match_in_a_vault_is_an_error() {
    let s = store().await;
    for value in ["one", "two"] {
        let body = json!({"title": "dup-key", "fields": [{"purpose": "PASSWORD", "value": value}]});
        seed_item(&s.app, &s.primary, Category::Password, body, &[]).await;
    }
    let err = find_item(&s.eso, "title+eq+%22dup-key%22")
        .await
        .unwrap_err();
    assert!(
        err.ends_with("got 2"),
        "both summaries must be listed: {err}"
    );
}

/// `remoteRef.property`: `field/<label>`, `file/<name>`, a bare label, or a bare file name on a
/// DOCUMENT. Labels are matched whole (ESO avoids `GetValue`, which splits on dots).
#[tokio::test]
async fn properties_select_fields_by_label_and_files_by_name() {
    let s = store().await;
    seed_item(
        &s.app,
        &s.primary,
        Category::Login,
        json!({"title": "app-config", "fields": [
            {"purpose": "USERNAME", "value": "app"},
            {"purpose": "PASSWORD", "value": "app-pw"},
            {"label": "db.host", "value": "db.internal"},
            {"label": "api key", "type": "CONCEALED", "value": "k"},
            {"label": "dup", "value": "a"},
            {"label": "dup", "value": "b"}
        ]}),
        &[("settings.json", b"{\"a\":1}")],
    )
    .await;
    seed_item(
        &s.app,
        &s.primary,
        Category::Document,
        json!({"title": "tls-bundle"}),
        &[("tls.crt", b"CERT"), ("tls.key", b"KEY")],
    )
    .await;

    let app_config = find_item(&s.eso, "title+eq+%22app-config%22")
        .await
        .unwrap();
    assert_eq!(
        get_secret(&s.eso, &app_config, "").await.unwrap(),
        b"app-pw"
    );
    assert_eq!(
        get_secret(&s.eso, &app_config, "username").await.unwrap(),
        b"app"
    );
    assert_eq!(
        get_secret(&s.eso, &app_config, "field/db.host")
            .await
            .unwrap(),
        b"db.internal"
    );
    assert_eq!(
        get_secret(&s.eso, &app_config, "api key").await.unwrap(),
        b"k"
    );
    assert_eq!(
        get_secret(&s.eso, &app_config, "file/settings.json")
            .await
            .unwrap(),
        b"{\"a\":1}"
    );
    let err = get_secret(&s.eso, &app_config, "dup").await.unwrap_err();
    assert!(err.ends_with("got 2"), "{err}");

    let bundle = find_item(&s.eso, "title+eq+%22tls-bundle%22")
        .await
        .unwrap();
    assert_eq!(bundle["category"], "DOCUMENT");
    assert_eq!(
        get_secret(&s.eso, &bundle, "").await.unwrap(),
        b"CERT",
        "an empty property on a DOCUMENT is its first file"
    );
    assert_eq!(
        get_secret(&s.eso, &bundle, "tls.key").await.unwrap(),
        b"KEY"
    );
    assert_eq!(
        get_secret(&s.eso, &bundle, "file/tls.crt").await.unwrap(),
        b"CERT"
    );
}

/// `dataFrom.find` (GetAllSecrets): `GetItems(vault)`, filter by title and by the summary's
/// `tags`, then `GetItemByUUID` per item and every field by label.
#[tokio::test]
async fn find_all_filters_summaries_by_tags_then_reads_full_items() {
    let s = store().await;
    seed_item(
        &s.app,
        &s.primary,
        Category::Login,
        json!({"title": "tagged", "tags": ["k8s", "prod"], "fields": [
            {"purpose": "USERNAME", "value": "u"}, {"label": "extra", "value": "x"}]}),
        &[],
    )
    .await;
    seed_item(
        &s.app,
        &s.primary,
        Category::Login,
        json!({"title": "untagged", "fields": [{"purpose": "USERNAME", "value": "v"}]}),
        &[],
    )
    .await;
    let vault = go_ok(&s.eso.get(VAULTS_IN_ORDER[0]).await, 200);
    let vault_id = vault[0]["id"].as_str().unwrap();
    let summaries = go_ok(
        &s.eso.get(&format!("/v1/vaults/{vault_id}/items")).await,
        200,
    );
    let wanted = ["k8s", "prod"];
    let selected: Vec<&Value> = summaries
        .as_array()
        .unwrap()
        .iter()
        .filter(|summary| {
            let tags: Vec<&str> = summary["tags"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            wanted.iter().all(|w| tags.contains(w))
        })
        .collect();
    assert_eq!(selected.len(), 1, "summaries must carry tags: {summaries}");
    let full = go_ok(
        &s.eso
            .get(&format!(
                "/v1/vaults/{}/items/{}",
                selected[0]["vault"]["id"].as_str().unwrap(),
                selected[0]["id"].as_str().unwrap()
            ))
            .await,
        200,
    );
    assert_eq!(full["title"], "tagged");
    assert_eq!(get_field(&full, "extra").unwrap(), "x");
}

/// PushSecret: create (SERVER, one CONCEALED field, the vault *name* in the body), wait for it,
/// update the field, add a second one, then DeleteSecret of one property.
#[tokio::test]
async fn push_secret_creates_updates_and_removes_fields() {
    let s = store().await;
    let eso = &s.eso;
    assert_eq!(
        find_item(eso, "title+eq+%22pushed-secret%22")
            .await
            .unwrap_err(),
        "key not found in 1Password Vaults"
    );

    // createItem: CreateItem(item, "eso-primary") resolves the vault title, then POSTs. The body
    // carries the vault *name* as `vault.id`, because that is what ESO put in the struct.
    let vault = go_ok(&eso.get(VAULTS_IN_ORDER[0]).await, 200);
    let vault_id = vault[0]["id"].as_str().unwrap();
    let body = r#"{"id":"","title":"pushed-secret","tags":["eso","team-a"],"vault":{"id":"eso-primary"},"category":"SERVER","fields":[{"id":"","type":"CONCEALED","label":"password","value":"s3cr3t"}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(
        &eso.post(&format!("/v1/vaults/{vault_id}/items"), body)
            .await,
        200,
    );
    assert_eq!(created["vault"]["id"], s.primary.as_str());
    assert_eq!(created["category"], "SERVER");

    // waitForItemToExist: polled every 500 ms for up to 5 s; a local store has it at once.
    let item = find_item(eso, "title+eq+%22pushed-secret%22")
        .await
        .unwrap();
    assert_eq!(get_field(&item, "password").unwrap(), "s3cr3t");
    assert_eq!(item["tags"], json!(["eso", "team-a"]));

    // updateFieldValue + UpdateItem(providerItem, providerItem.Vault.ID).
    let mut updated = item.clone();
    for field in updated["fields"].as_array_mut().unwrap() {
        if field["label"] == "password" {
            field["value"] = json!("rotated");
        }
    }
    let path = format!(
        "/v1/vaults/{}/items/{}",
        updated["vault"]["id"].as_str().unwrap(),
        updated["id"].as_str().unwrap()
    );
    go_ok(&eso.put(&path, &go_item_body(&updated)).await, 200);
    // waitForLabelToBeUpdated.
    let item = find_item(eso, "title+eq+%22pushed-secret%22")
        .await
        .unwrap();
    assert_eq!(get_field(&item, "password").unwrap(), "rotated");

    // A second property is appended as a new CONCEALED field without an id.
    let mut appended = item.clone();
    appended["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "", "type": "CONCEALED", "label": "token", "value": "t-1"}));
    let body = go_item_body(&appended);
    assert!(
        body.contains(&go_field(
            &json!({"id": "", "type": "CONCEALED", "label": "token", "value": "t-1"})
        )),
        "{body}"
    );
    go_ok(&eso.put(&path, &body).await, 200);
    let item = find_item(eso, "title+eq+%22pushed-secret%22")
        .await
        .unwrap();
    assert_eq!(get_field(&item, "token").unwrap(), "t-1");
    assert_eq!(get_field(&item, "password").unwrap(), "rotated");

    // DeleteSecret("token"): the field is dropped and the rest PUT back (fields remain, so no
    // DeleteItem).
    let mut removed = item.clone();
    removed["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["label"] != "token");
    go_ok(&eso.put(&path, &go_item_body(&removed)).await, 200);
    let item = find_item(eso, "title+eq+%22pushed-secret%22")
        .await
        .unwrap();
    assert!(get_field(&item, "token").is_err());
    assert_eq!(field_by_label(&item, "password")["value"], "rotated");
}

/// ESO retries any call whose error contains `status 403: Authorization` (PR #5253); a vault
/// outside the token must produce exactly that prefix, as Connect's does.
#[tokio::test]
async fn an_out_of_scope_vault_error_matches_the_retry_string() {
    let s = store().await;
    let narrow = token_for(&s.app, &[&s.primary]).await;
    let eso = Tool::go_sdk_as(&s.app, &narrow, AGENT);
    let err = go_error(
        &eso.get(&format!(
            "/v1/vaults/{}/items?filter=title+eq+%22db-credentials%22",
            s.secondary
        ))
        .await,
        403,
    );
    assert!(err.starts_with("status 403: Authorization"), "{err}");
    // GetVault by title simply does not list the vault.
    let listed = go_ok(&eso.get(VAULTS_IN_ORDER[1]).await, 200);
    assert_eq!(listed, json!([]));
}
