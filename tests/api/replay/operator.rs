//! 1Password/onepassword-operator in Connect mode (Go SDK 1.5.x through `connect.NewClient`, so the
//! SDK's default agent): the poll loop that re-resolves `vaults/<vault>/items/<item>` every
//! `POLLING_INTERVAL` and rebuilds the Secret.
//!
//! Sources: the operator's `pkg/onepassword/` (the vault by title first, even for an id, keeping
//! `EqualFold` matches and the oldest `createdAt`; the item by UUID, else by title; file content
//! from a path it builds itself, retried 5 times on a 500) and
//! `pkg/kubernetessecrets/kubernetes_secrets_builder.go` (the Secret's keys). Its e2e test
//! `secret-vault-case.yaml` needs `title eq` on vault names to ignore case.

use latchkey::model::Category;
use serde_json::{json, Value};

use super::{
    backdate_item, backdate_vault, go_connect_version_at_least, go_error, go_ok, is_connect_id,
    is_z_timestamp, seed_item, title_filter, token_for, unix_of, Tool,
};
use crate::helpers::{login, TestApp};

/// What one poll of one Secret produces.
struct Resolved {
    vault_id: String,
    item: Value,
    /// File name, content, and how many attempts the 500-retry loop needed.
    files: Vec<(String, Vec<u8>, usize)>,
}

/// The oldest by `createdAt`; on a tie the first listed stays (Go's `Before` is strict).
fn oldest(candidates: &[&Value]) -> String {
    let mut best = candidates[0];
    for candidate in candidates {
        let at = candidate["createdAt"].as_str().expect("createdAt");
        assert!(is_z_timestamp(at), "createdAt {at:?}");
        if unix_of(at) < unix_of(best["createdAt"].as_str().unwrap()) {
            best = candidate;
        }
    }
    best["id"].as_str().unwrap().to_string()
}

/// `getVaultID`: the title filter first, always; `EqualFold` on the names; the oldest wins; with
/// no match, a UUID-shaped value is used as the id.
async fn vault_id(op: &Tool, vault: &str) -> Result<String, String> {
    let listed = op
        .get(&format!("/v1/vaults?filter={}", title_filter(vault)))
        .await;
    let listed = go_ok(&listed, 200);
    let matching: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["name"].as_str().unwrap().to_lowercase() == vault.to_lowercase())
        .collect();
    if !matching.is_empty() {
        return Ok(oldest(&matching));
    }
    if is_connect_id(vault) {
        return Ok(vault.to_string());
    }
    Err(format!("no vaults found with identifier {vault:?}"))
}

/// `GetOnePasswordItemByPath` followed by `loadItemFiles`.
async fn resolve(op: &Tool, item_path: &str) -> Result<Resolved, String> {
    let parts: Vec<&str> = item_path.split('/').collect();
    let [_, vault, _, item] = parts[..] else {
        return Err(format!(
            "{item_path:?} is not vaults/{{vault}}/items/{{item}}"
        ));
    };
    let vault_id = vault_id(op, vault).await?;

    let mut found = None;
    if is_connect_id(item) {
        let direct = op.get(&format!("/v1/vaults/{vault_id}/items/{item}")).await;
        if direct.status == 200 {
            found = Some(go_ok(&direct, 200));
        } else {
            go_error(&direct, direct.status);
        }
    }
    let item = match found {
        Some(item) => item,
        None => {
            // GetItemsByTitle: the filtered list, then every summary by id.
            let listed = op
                .get(&format!(
                    "/v1/vaults/{vault_id}/items?filter={}",
                    title_filter(item)
                ))
                .await;
            let summaries = go_ok(&listed, 200);
            let mut full = Vec::new();
            for summary in summaries.as_array().unwrap() {
                let one = op
                    .get(&format!(
                        "/v1/vaults/{}/items/{}",
                        summary["vault"]["id"].as_str().unwrap(),
                        summary["id"].as_str().unwrap()
                    ))
                    .await;
                full.push(go_ok(&one, 200));
            }
            if full.is_empty() {
                return Err(format!("no items found with identifier {item:?}"));
            }
            let chosen = oldest(&full.iter().collect::<Vec<_>>());
            go_ok(
                &op.get(&format!("/v1/vaults/{vault_id}/items/{chosen}"))
                    .await,
                200,
            )
        }
    };

    let mut files = Vec::new();
    for file in item["files"].as_array().cloned().unwrap_or_default() {
        let (content, attempts) = file_content(
            op,
            &vault_id,
            item["id"].as_str().unwrap(),
            file["id"].as_str().unwrap(),
        )
        .await?;
        files.push((
            file["name"].as_str().unwrap().to_string(),
            content,
            attempts,
        ));
    }
    Ok(Resolved {
        vault_id,
        item,
        files,
    })
}

/// The operator's `GetFileContent`: a path it builds itself, retried up to 5 times on a 500
/// ("Connect has a delay when synchronizing files"). Returns the content and the attempts used.
async fn file_content(
    op: &Tool,
    vault: &str,
    item: &str,
    file: &str,
) -> Result<(Vec<u8>, usize), String> {
    let path = format!("/v1/vaults/{vault}/items/{item}/files/{file}/content");
    let mut last = String::new();
    for attempt in 1..=5 {
        let response = op.get(&path).await;
        go_connect_version_at_least(&response, (1, 3, 0))?;
        match response.status {
            200 => return Ok((response.body, attempt)),
            500 => last = go_error(&response, 500),
            other => return Err(go_error(&response, other)),
        }
    }
    Err(last)
}

#[tokio::test]
async fn the_vault_title_lookup_comes_first_even_for_ids() {
    let app = TestApp::new().await;
    let payments = app.new_vault("Payments").await;
    // A vault whose title is literally another vault's id.
    let impostor = app.new_vault(&payments.id).await;
    let token = token_for(&app, &[&app.vault.id, &payments.id, &impostor.id]).await;
    let op = Tool::go_sdk(&app, &token);
    let in_payments = json!({"title": "stripe", "category": "PASSWORD",
        "fields": [{"purpose": "PASSWORD", "value": "from-payments"}]});
    let in_impostor = json!({"title": "stripe", "category": "PASSWORD",
        "fields": [{"purpose": "PASSWORD", "value": "from-the-vault-titled-like-an-id"}]});
    seed_item(&app, &payments.id, Category::Password, in_payments, &[]).await;
    seed_item(&app, &impostor.id, Category::Password, in_impostor, &[]).await;

    // Step 1 with a UUID-shaped vault: the title filter matches names only, never ids.
    let by_title = go_ok(
        &op.get(&format!("/v1/vaults?filter=title+eq+%22{}%22", payments.id))
            .await,
        200,
    );
    let ids: Vec<&str> = by_title
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [impostor.id.as_str()]);

    let resolved = resolve(&op, &format!("vaults/{}/items/stripe", payments.id))
        .await
        .unwrap();
    assert_eq!(
        resolved.vault_id, impostor.id,
        "title first, as the operator does"
    );
    assert_eq!(
        super::field_by_label(&resolved.item, "password")["value"],
        "from-the-vault-titled-like-an-id"
    );

    // No vault carries the id as a title: an empty list, and the operator uses it as the id.
    let none = go_ok(
        &op.get(&format!(
            "/v1/vaults?filter=title+eq+%22{}%22",
            app.vault.id
        ))
        .await,
        200,
    );
    assert_eq!(none, json!([]));
    app.create(login("in-test-vault")).await;
    let resolved = resolve(&op, &format!("vaults/{}/items/in-test-vault", app.vault.id))
        .await
        .unwrap();
    assert_eq!(resolved.vault_id, app.vault.id);
}

#[tokio::test]
async fn vault_names_fold_case_and_the_oldest_vault_wins() {
    let app = TestApp::new().await;
    let older = app.new_vault("operator-acceptance-tests").await;
    let newer = app.new_vault("Operator-Acceptance-Tests").await;
    backdate_vault(&app, &older.id, 86_400).await;
    let token = token_for(&app, &[&older.id, &newer.id]).await;
    let op = Tool::go_sdk(&app, &token);
    for (vault, value) in [(&older, "older"), (&newer, "newer")] {
        seed_item(
            &app,
            &vault.id,
            Category::Password,
            json!({"title": "secret-vault-case",
                "fields": [{"purpose": "PASSWORD", "value": value}]}),
            &[],
        )
        .await;
    }

    // The e2e test's path spells the vault differently from its name (secret-vault-case.yaml).
    let listed = go_ok(
        &op.get("/v1/vaults?filter=title+eq+%22Operator-Acceptance-Tests%22")
            .await,
        200,
    );
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "`eq` on vault names ignores case: {listed}"
    );
    let resolved = resolve(
        &op,
        "vaults/Operator-Acceptance-Tests/items/secret-vault-case",
    )
    .await
    .unwrap();
    assert_eq!(resolved.vault_id, older.id, "the oldest createdAt wins");
    assert_eq!(
        super::field_by_label(&resolved.item, "password")["value"],
        "older"
    );
}

#[tokio::test]
async fn items_by_uuid_else_by_title_with_the_oldest_winning() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let op = Tool::go_sdk(&app, &app.token);
    let first = app.create(login("shared-creds")).await;
    let mut second_body = login("shared-creds");
    second_body["fields"][0]["value"] = json!("second@example.com");
    let second = app.create(second_body).await;
    let second_id = second["id"].as_str().unwrap();
    backdate_item(&app, &v, second_id, 3_600).await;

    let listed = go_ok(
        &op.get(&format!(
            "/v1/vaults/{v}/items?filter=title+eq+%22shared-creds%22"
        ))
        .await,
        200,
    );
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for summary in listed {
        assert!(
            is_z_timestamp(summary["createdAt"].as_str().unwrap()),
            "summaries carry createdAt for oldest-wins"
        );
    }
    let resolved = resolve(&op, &format!("vaults/{v}/items/shared-creds"))
        .await
        .unwrap();
    assert_eq!(resolved.item["id"], second_id);
    assert_eq!(
        super::field_by_label(&resolved.item, "username")["value"],
        "second@example.com"
    );

    // A UUID-shaped item goes straight to the item.
    let direct = resolve(
        &op,
        &format!("vaults/{v}/items/{}", first["id"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(direct.item["id"], first["id"]);

    // A UUID-shaped unknown item: 404, then the title lookup finds nothing.
    let err = resolve(&op, &format!("vaults/{v}/items/aaaaaaaaaaaaaaaaaaaaaaaaaa"))
        .await
        .err()
        .unwrap();
    assert!(err.contains("no items found"), "{err}");
}

/// The Secret is built from every field label (value), URL label (href) and file name (content),
/// and rewritten when `version` differs from the `item-version` annotation.
#[tokio::test]
async fn a_poll_maps_fields_urls_and_files_and_tracks_the_version() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let op = Tool::go_sdk(&app, &app.token);
    let (id, _) = seed_item(
        &app,
        &v,
        Category::Login,
        json!({"title": "payments-api",
        "tags": ["operator.1password.io:ignore-secret", "team/payments"],
        "urls": [{"label": "website", "primary": true, "href": "https://pay.example.com"}],
        "fields": [
            {"purpose": "USERNAME", "value": "svc-payments"},
            {"purpose": "PASSWORD", "value": "p@ss"},
            {"label": "api.key", "type": "CONCEALED", "value": "k-123"},
            {"label": "connection string", "value": "postgres://db"}
        ]}),
        &[("ca.pem", b"-----BEGIN CERTIFICATE-----\n")],
    )
    .await;
    let path = format!("vaults/{v}/items/payments-api");

    let first = resolve(&op, &path).await.unwrap();
    let item = &first.item;
    for field in super::fields(item) {
        assert!(
            field["label"].as_str().is_some_and(|l| !l.is_empty()),
            "every field needs a label to become a key: {field}"
        );
    }
    let mut keys: Vec<&str> = super::fields(item)
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "api.key",
            "connection string",
            "notesPlain",
            "password",
            "username"
        ]
    );
    assert_eq!(item["urls"][0]["label"], "website");
    assert_eq!(item["urls"][0]["href"], "https://pay.example.com");
    assert_eq!(
        item["tags"],
        json!(["operator.1password.io:ignore-secret", "team/payments"]),
        "the ignore-secret tag comes back verbatim"
    );
    assert_eq!(first.files.len(), 1);
    assert_eq!(first.files[0].0, "ca.pem");
    assert_eq!(first.files[0].1, b"-----BEGIN CERTIFICATE-----\n");
    let version = item["version"].as_i64().unwrap();

    // Nothing changed: the next poll sees the same version (reads never bump it).
    let second = resolve(&op, &path).await.unwrap();
    assert_eq!(second.item["version"].as_i64(), Some(version));

    // Someone edits the item; the next poll sees a new version and still gets the file.
    let mut edited = second.item.clone();
    for field in edited["fields"].as_array_mut().unwrap() {
        if field["label"] == "api.key" {
            field["value"] = json!("k-456");
        }
    }
    assert_eq!(app.put(&app.item_uri(&id), &edited).await.status, 200);
    let third = resolve(&op, &path).await.unwrap();
    assert_eq!(third.item["version"].as_i64(), Some(version + 1));
    assert_eq!(
        super::field_by_label(&third.item, "api.key")["value"],
        "k-456"
    );
    assert_eq!(third.files.len(), 1, "an update keeps the item's files");
}

/// The retry loop exists for 500s; a good file must never produce one, and a missing file must
/// be a 404 (which the operator reports instead of retrying).
#[tokio::test]
async fn file_content_is_never_a_500() {
    let app = TestApp::new().await;
    let v = app.vault.id.clone();
    let op = Tool::go_sdk(&app, &app.token);
    let (item, files) = seed_item(
        &app,
        &v,
        Category::Document,
        json!({"title": "kubeconfig"}),
        &[("config", b"apiVersion: v1\n")],
    )
    .await;
    let (other_item, _) = seed_item(
        &app,
        &v,
        Category::Document,
        json!({"title": "other"}),
        &[("x", b"x")],
    )
    .await;

    let (content, attempts) = file_content(&op, &v, &item, &files[0]).await.unwrap();
    assert_eq!(content, b"apiVersion: v1\n");
    assert_eq!(attempts, 1, "no 500 on a good file");

    let missing = file_content(&op, &v, &item, "abcdefghijklmnopqrstuvwxyz")
        .await
        .unwrap_err();
    assert!(missing.starts_with("status 404: "), "{missing}");
    // A real file id under the wrong item is not that item's file.
    let wrong_item = file_content(&op, &v, &other_item, &files[0])
        .await
        .unwrap_err();
    assert!(wrong_item.starts_with("status 404: "), "{wrong_item}");
}
