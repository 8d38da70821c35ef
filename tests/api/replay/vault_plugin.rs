//! 1Password/vault-plugin-secrets-onepassword (`op-connect`, mounted at `op/`), on Go SDK 1.5.2
//! through `connect.NewClient` (default agent `connect-sdk-go/1.5.2`).
//!
//! | Vault command                                  | Plugin handler      | SDK call            |
//! |------------------------------------------------|---------------------|---------------------|
//! | `vault list op/vaults`                         | path_vaults.go      | `GetVaults`         |
//! | `vault list op/vaults/<v>/items`               | `handleListItems`   | `GetItems(v)`       |
//! | `vault write op/vaults/<v>/items @item.json`   | `handleWriteItem`   | `CreateItem(item,v)`|
//! | `vault read op/vaults/<v>/items/<i>`           | `handleReadItem`    | `GetItem(i, v)`     |
//! | `vault write op/vaults/<v>/items/<i> @…`       | `handleUpdateItem`  | `UpdateItem`        |
//! | `vault delete op/vaults/<v>/items/<i>`         | `handleDeleteItem`  | `DeleteItem`        |
//!
//! `buildItem` always sends `urls: [{primary: true, href: <url param>}]` and maps the category
//! `login`/`password`/`database` to the upper-case constant; fields and sections are the user's
//! JSON passed through `onepassword.ItemField`. Update and delete put the raw path parameters in
//! `item.Vault.ID` / `item.ID`, so they only work with ids.
//!
//! Sources: the plugin's `plugin/path_items.go` and `path_vaults.go`; connect-sdk-go's
//! `connect/client.go` for the HTTP request behind each SDK call.

use serde_json::{json, Map, Value};

use super::{go_error, go_ok, is_connect_id, token_for, Tool};
use crate::helpers::TestApp;

const AGENT: &str = "connect-sdk-go/1.5.2";

/// `handleReadItem`: the item's fields as `{label: value}`.
fn field_map(item: &Value) -> Map<String, Value> {
    super::fields(item)
        .iter()
        .map(|f| {
            (
                f["label"].as_str().unwrap_or("").to_string(),
                f.get("value").cloned().unwrap_or(json!("")),
            )
        })
        .collect()
}

async fn plugin() -> (TestApp, String, Tool) {
    let app = TestApp::new().await;
    let vault = app.new_vault("plugin-vault").await.id;
    let token = token_for(&app, &[&vault]).await;
    let tool = Tool::go_sdk_as(&app, &token, AGENT);
    (app, vault, tool)
}

#[tokio::test]
async fn list_write_read_update_delete() {
    let (_app, vid, op) = plugin().await;

    // vault list op/vaults
    let vaults = go_ok(&op.get("/v1/vaults").await, 200);
    assert_eq!(vaults.as_array().unwrap().len(), 1);
    assert_eq!(vaults[0]["id"], vid.as_str());
    assert_eq!(vaults[0]["name"], "plugin-vault");

    // vault write op/vaults/plugin-vault/items @login.json: the vault title is resolved, and
    // the title stays in the marshalled item's `vault.id`.
    let resolved = go_ok(
        &op.get("/v1/vaults?filter=title+eq+%22plugin-vault%22")
            .await,
        200,
    );
    assert_eq!(resolved[0]["id"], vid.as_str());
    let body = r#"{"id":"","title":"example-login","urls":[{"primary":true,"href":"https://example.com/login"}],"vault":{"id":"plugin-vault"},"category":"LOGIN","sections":[{"id":"my_new_section","label":"New Section"}],"fields":[{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"my_user"},{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","generate":true},{"id":"custom_field_id","section":{"id":"my_new_section"},"type":"STRING","label":"My Custom Field","value":"my custom value"},{"id":"otp","type":"TOTP","label":"one-time password","value":"otpauth://totp/plugin?secret=JBSWY3DPEHPK3PXP"}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(
        &op.post(&format!("/v1/vaults/{vid}/items"), body).await,
        200,
    );
    // The plugin answers with ID, category and createdAt.
    let id = created["id"].as_str().unwrap().to_string();
    assert!(is_connect_id(&id));
    assert_eq!(created["category"], "LOGIN");
    assert!(super::is_z_timestamp(
        created["createdAt"].as_str().unwrap()
    ));

    // vault list op/vaults/plugin-vault/items: ids with titles.
    go_ok(
        &op.get("/v1/vaults?filter=title+eq+%22plugin-vault%22")
            .await,
        200,
    );
    let items = go_ok(&op.get(&format!("/v1/vaults/{vid}/items")).await, 200);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["title"], "example-login");

    // vault read op/vaults/plugin-vault/items/example-login: vault by title, item by title.
    go_ok(
        &op.get("/v1/vaults?filter=title+eq+%22plugin-vault%22")
            .await,
        200,
    );
    let summaries = go_ok(
        &op.get(&format!(
            "/v1/vaults/{vid}/items?filter=title+eq+%22example-login%22"
        ))
        .await,
        200,
    );
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    let item = go_ok(
        &op.get(&format!(
            "/v1/vaults/{}/items/{}",
            summaries[0]["vault"]["id"].as_str().unwrap(),
            summaries[0]["id"].as_str().unwrap()
        ))
        .await,
        200,
    );
    let map = field_map(&item);
    assert_eq!(map["username"], "my_user");
    assert_eq!(
        map["password"].as_str().unwrap().len(),
        32,
        "generate without a recipe is 32 characters"
    );
    assert_eq!(map["My Custom Field"], "my custom value");
    assert!(map["one-time password"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://"));
    assert_eq!(
        super::field_by_label(&item, "one-time password")["type"],
        "OTP",
        "the README's TOTP type is Connect's OTP"
    );

    // vault read op/vaults/<vault id>/items/<item id>: straight to the item.
    let by_id = go_ok(&op.get(&format!("/v1/vaults/{vid}/items/{id}")).await, 200);
    assert_eq!(field_map(&by_id), map);

    // vault write op/vaults/<vault id>/items/<item id> @update.json.
    let update = format!(
        r#"{{"id":"{id}","title":"example-login","urls":[{{"primary":true,"href":"https://example.com/login"}}],"vault":{{"id":"{vid}"}},"category":"LOGIN","fields":[{{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"my_user_2"}},{{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","value":"chosen-password"}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}}"#
    );
    let updated = go_ok(
        &op.put(&format!("/v1/vaults/{vid}/items/{id}"), &update)
            .await,
        200,
    );
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["category"], "LOGIN");
    let after = go_ok(&op.get(&format!("/v1/vaults/{vid}/items/{id}")).await, 200);
    let map = field_map(&after);
    assert_eq!(map["username"], "my_user_2");
    assert_eq!(map["password"], "chosen-password");
    assert!(
        !map.contains_key("My Custom Field"),
        "an update replaces the whole item"
    );

    // An update addressed by vault title reaches the server as an invalid vault id.
    go_error(
        &op.put(&format!("/v1/vaults/plugin-vault/items/{id}"), &update)
            .await,
        400,
    );

    // vault delete op/vaults/<vault id>/items/<item id>.
    let deleted = op.delete(&format!("/v1/vaults/{vid}/items/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    go_error(&op.get(&format!("/v1/vaults/{vid}/items/{id}")).await, 404);
}

/// The README's "Example Password Item" and "Example Database Item", written without a `url`:
/// `buildItem` still sends `"urls":[{"primary":true,"href":""}]`.
#[tokio::test]
async fn readme_examples_without_a_url_send_an_empty_href() {
    let (_app, vid, op) = plugin().await;
    let password_item = r#"{"id":"","title":"Example Password","urls":[{"primary":true,"href":""}],"vault":{"id":"plugin-vault"},"category":"PASSWORD","fields":[{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","generate":true}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(
        &op.post(&format!("/v1/vaults/{vid}/items"), password_item)
            .await,
        200,
    );
    assert_eq!(created["category"], "PASSWORD");
    let database_item = r#"{"id":"","title":"Example Database","urls":[{"primary":true,"href":""}],"vault":{"id":"plugin-vault"},"category":"DATABASE","fields":[{"id":"username","type":"STRING","purpose":"USERNAME","label":"username","value":"my_user"},{"id":"password","type":"CONCEALED","purpose":"PASSWORD","label":"password","generate":true},{"id":"hostname","type":"STRING","label":"hostname","value":"my_host"},{"id":"database","type":"STRING","label":"database","value":"my_database"},{"id":"port","type":"STRING","label":"port","value":"8080"}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}"#;
    let created = go_ok(
        &op.post(&format!("/v1/vaults/{vid}/items"), database_item)
            .await,
        200,
    );
    let map = field_map(&created);
    assert_eq!(map["hostname"], "my_host");
    assert_eq!(map["port"], "8080");
}
