//! 1Password/ansible-onepasswordconnect-collection `onepassword.connect` 2.4.0: its own client
//! (`plugins/module_utils/api.py`), not an SDK. URLs are `<host>/v1/<quote(path)>` with
//! `urlencode`d queries (`+` for spaces); headers are Authorization, `op-connect-ansible/…`
//! User-Agent, `Content-Type` and `Accept: application/json`; bodies are Python `json.dumps`
//! output (`", "` and `": "` separators). Only 200 (JSON) and 204 count as success; anything else
//! goes to `raise_for_error`, which reads `status` and `message` from the JSON body.
//!
//! Sources: the collection's `api.py` (the calls, `raise_for_error`), `vault.py` (`assemble_item`
//! sends `section: null`, and `recipe: null` to ask for the server's default recipe, 32 characters
//! of letters, digits and symbols; it keeps the server-added `notesPlain` field on update) and the
//! `item_info` module (GET by id, then by title on a 404 or 400; on a 400 for the vault, the vault
//! by exact name from the full vault list). The server must accept those `null`s and decode `+` as
//! a space.

use serde_json::{json, Value};

use super::{create_in, field_by_label, fields, is_connect_id, token_for, Tool};
use crate::helpers::{TestApp, TestResponse};

/// A uuid4 section id, as `assemble_item` generates with `str(uuid4())`.
const SECTION: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

/// `_send_request`: 200 is parsed as JSON, 204 is `{}`; anything else is `raise_for_error`,
/// which needs an integer `status` and a `message` in a JSON body.
#[track_caller]
fn accepted(response: &TestResponse) -> Value {
    match response.status {
        200 => response.json(),
        204 => json!({}),
        other => panic!(
            "Ansible would raise for {other}: {}",
            raise_for_error(response)
        ),
    }
}

/// `raise_for_error`: the error class Ansible picks from the body's `status`.
#[track_caller]
fn raise_for_error(response: &TestResponse) -> String {
    let body = response.json();
    let status = body["status"]
        .as_u64()
        .unwrap_or_else(|| panic!("`status` must be an integer: {body}"));
    assert_eq!(status, u64::from(response.status));
    let message = body["message"].as_str().expect("message");
    let class = match status {
        500.. => "ServerError",
        404 => "NotFoundError",
        401 | 403 => "AccessDeniedError",
        400 => "BadRequestError",
        _ => "APIError",
    };
    format!("{class}: {message}")
}

#[tokio::test]
async fn generic_item_creates_with_nulls_and_the_default_recipe() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let ansible = Tool::ansible(&app, &app.token);

    // find_item(): get_item_by_name → `_get_item_id_by_name`; an empty list is NotFoundError.
    let found = accepted(
        &ansible
            .get(&format!(
                "/v1/vaults/{v}/items?filter=title+eq+%22Ansible+Login%22"
            ))
            .await,
    );
    assert_eq!(found, json!([]));

    // create_item(): assemble_item() output, fields in field_from_params + purpose order.
    let body = format!(
        r#"{{"title": "Ansible Login", "vault": {{"id": "{v}"}}, "category": "LOGIN", "urls": [{{"href": "https://ansible.example.com"}}], "tags": ["ansible"], "fields": [{{"type": "STRING", "label": "username", "section": null, "recipe": null, "generate": false, "value": "ansible-user", "purpose": "USERNAME"}}, {{"type": "CONCEALED", "label": "password", "section": null, "recipe": null, "generate": true, "value": null, "purpose": "PASSWORD"}}, {{"type": "CONCEALED", "label": "api token", "section": {{"id": "{SECTION}"}}, "recipe": {{"length": 32, "characterSets": ["DIGITS", "LETTERS", "SYMBOLS"]}}, "generate": true, "value": null, "purpose": ""}}, {{"type": "STRING", "label": "region", "section": {{"id": "{SECTION}"}}, "recipe": null, "generate": false, "value": "eu", "purpose": ""}}], "favorite": false, "sections": [{{"id": "{SECTION}", "label": "Deploy"}}]}}"#
    );
    let created = ansible.post(&format!("/v1/vaults/{v}/items"), &body).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let item = accepted(&created);
    assert!(is_connect_id(item["id"].as_str().unwrap()));

    assert_eq!(field_by_label(&item, "username")["value"], "ansible-user");
    // `generate: true` with `recipe: null` means the server's defaults: 32 characters from
    // letters, digits and symbols.
    let password = field_by_label(&item, "password")["value"].as_str().unwrap();
    assert_eq!(password.chars().count(), 32, "{password}");
    assert!(password.chars().any(|c| LETTERS.contains(c)), "{password}");
    assert!(password.chars().any(|c| DIGITS.contains(c)), "{password}");
    assert!(
        password.chars().any(|c| c.is_ascii_punctuation()),
        "{password}"
    );
    let token = field_by_label(&item, "api token");
    assert_eq!(token["value"].as_str().unwrap().chars().count(), 32);
    assert_eq!(
        token["section"]["id"], SECTION,
        "uuid4 section ids are kept"
    );
    assert_eq!(field_by_label(&item, "region")["value"], "eu");
    assert_eq!(item["sections"][0]["id"], SECTION);
    assert_eq!(item["sections"][0]["label"], "Deploy");
    assert_eq!(item["urls"][0]["href"], "https://ansible.example.com");
    assert_eq!(item["favorite"], false);

    // The server adds the Notes field the collection knows as "notesPlain" (const.py).
    let notes = field_by_label(&item, "notesPlain");
    assert_eq!(notes["purpose"], "NOTES");
    assert_eq!(notes["type"], "STRING");
}

/// `item_info` with a vault *name* and an item *name*: by id first, then by name; a 400 at the
/// vault level makes it list every vault and match `name` exactly on the client side.
#[tokio::test]
async fn item_info_falls_back_from_ids_to_names() {
    let app = TestApp::new().await;
    let expenses = app.new_vault("Office Expenses").await;
    app.new_vault("office expenses (old)").await;
    let token = token_for(&app, &[&expenses.id]).await;
    let ansible = Tool::ansible(&app, &token);
    let card = json!({"title": "Business Visa", "category": "CREDIT_CARD",
        "fields": [{"label": "ccNumber", "type": "CONCEALED", "value": "4111111111111111"}]});
    create_in(&app, &token, &expenses.id, &card).await;

    // _get_item(op, "Business Visa", "Office Expenses"): get_item_by_id ...
    let by_id = ansible
        .get("/v1/vaults/Office%20Expenses/items/Business%20Visa")
        .await;
    assert_eq!(
        raise_for_error(&by_id),
        "BadRequestError: Invalid Vault UUID"
    );
    // ... then get_item_by_name in the same (unresolved) vault, also a 400 ...
    let by_name = ansible
        .get("/v1/vaults/Office%20Expenses/items?filter=title+eq+%22Business+Visa%22")
        .await;
    assert!(raise_for_error(&by_name).starts_with("BadRequestError: "));
    // ... so get_vault_id_by_name: every vault, exact `name` match.
    let vaults = accepted(&ansible.get("/v1/vaults").await);
    let vault_id = vaults
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "Office Expenses")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .expect("the vault is listed by its exact name");
    assert_eq!(vault_id, expenses.id);

    // With the vault id: the name as an item id is a 400, then the name lookup.
    let by_id = ansible
        .get(&format!("/v1/vaults/{vault_id}/items/Business%20Visa"))
        .await;
    assert!(raise_for_error(&by_id).starts_with("BadRequestError: "));
    let summaries = accepted(
        &ansible
            .get(&format!(
                "/v1/vaults/{vault_id}/items?filter=title+eq+%22Business+Visa%22"
            ))
            .await,
    );
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    let item = accepted(
        &ansible
            .get(&format!(
                "/v1/vaults/{vault_id}/items/{}",
                summaries[0]["id"].as_str().unwrap()
            ))
            .await,
    );
    // `field: ccNumber` → `_find_item_field` by label.
    assert_eq!(
        field_by_label(&item, "ccNumber")["value"],
        "4111111111111111"
    );

    // A well-formed id that does not exist is a 404 (NotFoundError), then the name lookup.
    let unknown = ansible
        .get(&format!(
            "/v1/vaults/{vault_id}/items/lixyh6993asdfq9njdzf221d3z"
        ))
        .await;
    assert!(raise_for_error(&unknown).starts_with("NotFoundError: "));
    let none = accepted(
        &ansible
            .get(&format!(
                "/v1/vaults/{vault_id}/items?filter=title+eq+%22lixyh6993asdfq9njdzf221d3z%22"
            ))
            .await,
    );
    assert_eq!(none, json!([]));
}

/// `update_item`: the server's `notesPlain` field is carried over verbatim (Ansible never edits
/// notes), every other field comes from the playbook, and the item is PUT whole.
#[tokio::test]
async fn update_carries_the_servers_notes_field_over() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let ansible = Tool::ansible(&app, &app.token);
    let seeded = app
        .create(
            json!({"title": "Ansible Notes", "category": "LOGIN", "fields": [
                {"purpose": "USERNAME", "value": "u1"},
                {"purpose": "PASSWORD", "value": "keep-me"},
                {"purpose": "NOTES", "value": "rotate quarterly"},
                {"label": "extra", "value": "dropped by the playbook"}
            ]}),
        )
        .await;
    let id = seeded["id"].as_str().unwrap();

    // find_item → get_item_by_name: list, exactly one, then by id.
    let summaries = accepted(
        &ansible
            .get(&format!(
                "/v1/vaults/{v}/items?filter=title+eq+%22Ansible+Notes%22"
            ))
            .await,
    );
    assert_eq!(summaries.as_array().unwrap().len(), 1);
    let original = accepted(&ansible.get(&format!("/v1/vaults/{v}/items/{id}")).await);
    let notes = fields(&original)
        .iter()
        .find(|f| f["label"] == "notesPlain")
        .expect("notesPlain");
    // The field dict is re-sent as is, plus `"section": null`; a `section` object here would
    // crash `assemble_item` (it calls `.strip()` on the field's section).
    let mut keys: Vec<&String> = notes.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "label", "purpose", "type", "value"]);
    assert_eq!(notes["id"], "notesPlain");
    assert_eq!(notes["value"], "rotate quarterly");

    // generate_value: on_create for the password keeps the old value and type.
    let password_type = field_by_label(&original, "password")["type"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let body = format!(
        r#"{{"title": "Ansible Notes", "vault": {{"id": "{v}"}}, "category": "LOGIN", "urls": [], "tags": [], "fields": [{{"id": "notesPlain", "type": "STRING", "purpose": "NOTES", "label": "notesPlain", "value": "rotate quarterly", "section": null}}, {{"type": "STRING", "label": "username", "section": null, "recipe": null, "generate": false, "value": "u2", "purpose": "USERNAME"}}, {{"type": "{password_type}", "label": "password", "section": null, "recipe": null, "generate": false, "value": "keep-me", "purpose": "PASSWORD"}}], "favorite": false, "id": "{id}"}}"#
    );
    let updated = ansible
        .put(&format!("/v1/vaults/{v}/items/{id}"), &body)
        .await;
    let updated = accepted(&updated);
    assert_eq!(updated["id"], id);

    let after = accepted(&ansible.get(&format!("/v1/vaults/{v}/items/{id}")).await);
    assert_eq!(
        field_by_label(&after, "notesPlain")["value"],
        "rotate quarterly"
    );
    assert_eq!(field_by_label(&after, "notesPlain")["purpose"], "NOTES");
    assert_eq!(field_by_label(&after, "username")["value"], "u2");
    assert_eq!(field_by_label(&after, "password")["value"], "keep-me");
    assert!(
        fields(&after).iter().all(|f| f["label"] != "extra"),
        "PUT replaces the whole item"
    );
}

#[tokio::test]
async fn delete_is_204_and_a_second_delete_is_not_found() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let ansible = Tool::ansible(&app, &app.token);
    let id = app.create(crate::helpers::login("Ansible Delete")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = ansible.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(accepted(&deleted), json!({}));
    // delete_item() treats NotFoundError as "nothing to do".
    let again = ansible.delete(&format!("/v1/vaults/{v}/items/{id}")).await;
    assert!(raise_for_error(&again).starts_with("NotFoundError: "));
}

#[tokio::test]
async fn errors_carry_an_integer_status_and_a_message() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let elsewhere = app.new_vault("Elsewhere").await;
    let ansible = Tool::ansible(&app, &app.token);
    let stranger = Tool::ansible(&app, "expired-or-garbage");

    assert!(raise_for_error(&stranger.get("/v1/vaults").await).starts_with("AccessDeniedError: "));
    assert!(raise_for_error(
        &ansible
            .get(&format!("/v1/vaults/{}/items", elsewhere.id))
            .await
    )
    .starts_with("AccessDeniedError: "));
    assert!(raise_for_error(
        &ansible
            .get(&format!("/v1/vaults/{v}/items/abcdefghijklmnopqrstuvwxyz"))
            .await
    )
    .starts_with("NotFoundError: "));
    // A category the server cannot create (CUSTOM).
    let custom = format!(
        r#"{{"title": "x", "vault": {{"id": "{v}"}}, "category": "CUSTOM", "urls": [], "tags": [], "fields": [], "favorite": false}}"#
    );
    assert!(raise_for_error(
        &ansible
            .post(&format!("/v1/vaults/{v}/items"), &custom)
            .await
    )
    .starts_with("BadRequestError: "));
}
