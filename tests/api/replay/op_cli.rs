//! The 1Password CLI (`op` 2.x) in Connect mode (`OP_CONNECT_HOST`, `OP_CONNECT_TOKEN`), as used
//! by load-secrets-action and the kubernetes-secrets-injector (`op read`, `op run`, `op inject`).
//!
//! `op` is closed source: the sequence below is what a third-party Connect mock (in C#, tuned
//! against the real CLI) observed from `op` 2.39.0, unverified against 1Password's own server. The
//! vault is resolved with `filter=title eq "<vault>"` whether the reference names it or gives its
//! id; the item likewise with `filter=title eq "<item or id>"`, then GET by id. `+` encodes
//! spaces; timestamps must end in `Z`; `lastEditedBy` must be a string; fields are located by
//! `purpose` (`password`, `username`) or id (`notesPlain`).
//!
//! Sources: load-secrets-action (`src/utils.ts` reads each `op://` variable through `op`) and the
//! kubernetes-secrets-injector (`pkg/webhook/webhook.go` puts `op run --` before the container's
//! command). Also from the mock: `op` does not converge without the `1Password-Connect-Version`
//! header, and it retries forever, without backing off, when the server ignores its filter.

use serde_json::{json, Value};

use super::{create_in, is_z_timestamp, token_for, Tool};
use crate::helpers::{TestApp, TestResponse};

/// What `op` needs of every response: a JSON body and the version header (it does not converge
/// without it).
#[track_caller]
fn op_ok(response: &TestResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    let version = response
        .header("1Password-Connect-Version")
        .expect("version header");
    assert_eq!(version.split('.').count(), 3, "{version}");
    response.json()
}

#[track_caller]
fn assert_timestamps(object: &Value) {
    for key in ["createdAt", "updatedAt"] {
        let at = object[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {object}"));
        assert!(
            is_z_timestamp(at),
            "{key} {at:?} must be YYYY-MM-DDTHH:MM:SSZ"
        );
    }
}

/// The field `op read op://v/i/<name>` picks: by purpose for `username`/`password`, else by id
/// or label.
fn op_field<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    let fields = item["fields"].as_array()?;
    let by_purpose = match name {
        "username" => Some("USERNAME"),
        "password" => Some("PASSWORD"),
        _ => None,
    };
    if let Some(purpose) = by_purpose {
        if let Some(field) = fields.iter().find(|f| f["purpose"] == purpose) {
            return Some(field);
        }
    }
    fields
        .iter()
        .find(|f| f["id"] == name)
        .or_else(|| fields.iter().find(|f| f["label"] == name))
}

async fn fixture() -> (TestApp, String, String, Tool) {
    let app = TestApp::new().await;
    let vault = app.new_vault("Op Vault").await.id;
    let token = token_for(&app, &[&vault]).await;
    let created = create_in(
        &app,
        &token,
        &vault,
        &json!({"title": "Op Login", "category": "LOGIN", "fields": [
            // Labels that differ from the built-in names: `op` goes by purpose.
            {"purpose": "USERNAME", "label": "Login name", "value": "op-user"},
            {"purpose": "PASSWORD", "label": "Secret", "value": "op-password"},
            {"purpose": "NOTES", "value": "some notes"},
            {"label": "website", "type": "URL", "value": "https://op.example.com"}
        ]}),
    )
    .await;
    let item = created["id"].as_str().unwrap().to_string();
    let op = Tool::op_cli(&app, &token);
    (app, vault, item, op)
}

/// `op read "op://Op Vault/Op Login/password"` and friends.
#[tokio::test]
async fn op_read_by_vault_name_and_item_title() {
    let (_app, vault, item_id, op) = fixture().await;

    let vaults = op_ok(&op.get("/v1/vaults?filter=title+eq+%22Op+Vault%22").await);
    assert_eq!(vaults.as_array().unwrap().len(), 1);
    assert_eq!(vaults[0]["id"], vault.as_str());
    let items = op_ok(
        &op.get(&format!(
            "/v1/vaults/{vault}/items?filter=title+eq+%22Op+Login%22"
        ))
        .await,
    );
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["id"], item_id.as_str());
    let item = op_ok(&op.get(&format!("/v1/vaults/{vault}/items/{item_id}")).await);

    assert_eq!(op_field(&item, "password").unwrap()["value"], "op-password");
    assert_eq!(op_field(&item, "username").unwrap()["value"], "op-user");
    assert_eq!(
        op_field(&item, "notesPlain").unwrap()["value"],
        "some notes"
    );
    assert_eq!(
        op_field(&item, "website").unwrap()["value"],
        "https://op.example.com"
    );
    for field in item["fields"].as_array().unwrap() {
        let purpose = field.get("purpose").and_then(Value::as_str).unwrap_or("");
        assert!(["", "USERNAME", "PASSWORD", "NOTES"].contains(&purpose));
    }
}

/// `op read op://<vault id>/<item id>/password`: the same title filters, with ids as titles.
/// Nothing is titled like an id, so both lists are empty (200, not an error), and the ids then
/// address the vault and the item directly.
#[tokio::test]
async fn ids_go_through_the_title_filters_and_find_nothing() {
    let (_app, vault, item_id, op) = fixture().await;

    let by_vault_id = op_ok(
        &op.get(&format!("/v1/vaults?filter=title+eq+%22{vault}%22"))
            .await,
    );
    assert_eq!(by_vault_id, json!([]));
    let vault_json = op_ok(&op.get(&format!("/v1/vaults/{vault}")).await);
    assert_eq!(vault_json["name"], "Op Vault");

    let by_item_id = op_ok(
        &op.get(&format!(
            "/v1/vaults/{vault}/items?filter=title+eq+%22{item_id}%22"
        ))
        .await,
    );
    assert_eq!(by_item_id, json!([]));
    let item = op_ok(&op.get(&format!("/v1/vaults/{vault}/items/{item_id}")).await);
    assert_eq!(op_field(&item, "password").unwrap()["value"], "op-password");
}

/// `op`'s Go parser needs `Z` timestamps and a string `lastEditedBy`, on lists and single
/// objects alike.
#[tokio::test]
async fn timestamps_end_in_z_and_last_edited_by_is_a_string() {
    let (_app, vault, item_id, op) = fixture().await;
    let vaults = op_ok(&op.get("/v1/vaults").await);
    for v in vaults.as_array().unwrap() {
        assert_timestamps(v);
    }
    assert_timestamps(&op_ok(&op.get(&format!("/v1/vaults/{vault}")).await));
    let summaries = op_ok(&op.get(&format!("/v1/vaults/{vault}/items")).await);
    let item = op_ok(&op.get(&format!("/v1/vaults/{vault}/items/{item_id}")).await);
    for object in summaries.as_array().unwrap().iter().chain([&item]) {
        assert_timestamps(object);
        assert!(
            object["lastEditedBy"].is_string(),
            "lastEditedBy must be a string: {object}"
        );
    }
}

/// An ignored filter makes `op` loop forever: a title that matches nothing must give `[]` even
/// though the vault has items.
#[tokio::test]
async fn the_item_filter_is_never_ignored() {
    let (_app, vault, _item, op) = fixture().await;
    let all = op_ok(&op.get(&format!("/v1/vaults/{vault}/items")).await);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let none = op_ok(
        &op.get(&format!(
            "/v1/vaults/{vault}/items?filter=title+eq+%22Op+Login+2%22"
        ))
        .await,
    );
    assert_eq!(none, json!([]));
    let none = op_ok(&op.get("/v1/vaults?filter=title+eq+%22Op%22").await);
    assert_eq!(none, json!([]));
}
