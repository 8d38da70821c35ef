//! The demo vault `latchkey dev` serves when no seed file is given: a few items of different
//! categories, with sections, tags, URLs, an OTP field, a generated password and a file.

use serde_json::json;

use crate::ids;
use crate::model::{build_item, BuildMode, Category, ItemInput, Limits, StoredFile, VaultType};
use crate::store::{NewFile, Store, VaultRecord};

pub const DEMO_VAULT: &str = "Demo";

fn input(value: serde_json::Value) -> anyhow::Result<ItemInput> {
    Ok(serde_json::from_value(value)?)
}

/// The demo items the API itself could create: (title, create body).
fn items() -> [(&'static str, serde_json::Value); 4] {
    [
        (
            "Example Login",
            json!({"category": "LOGIN", "title": "Example Login", "tags": ["demo", "web"],
            "urls": [{"href": "https://example.com/login", "primary": true}],
            "fields": [
                {"purpose": "USERNAME", "value": "demo@example.com"},
                {"purpose": "PASSWORD", "generate": true, "recipe": {"length": 24}},
                {"purpose": "NOTES", "value": "Created by latchkey dev."}
            ]}),
        ),
        (
            "Database",
            json!({"category": "DATABASE", "title": "Database", "tags": ["demo", "db"],
            "sections": [{"id": "connection", "label": "Connection"}],
            "fields": [
                {"label": "server", "value": "db.internal", "section": {"id": "connection"}},
                {"label": "port", "value": "5432", "section": {"id": "connection"}},
                {"label": "username", "value": "app", "section": {"id": "connection"}},
                {"label": "password", "type": "CONCEALED", "generate": true, "section": {"id": "connection"}}
            ]}),
        ),
        (
            "API Token",
            json!({"category": "API_CREDENTIAL", "title": "API Token", "tags": ["demo"],
            "sections": [{"id": "mfa", "label": "Two-factor"}],
            "fields": [
                {"label": "credential", "type": "CONCEALED", "value": "tok_demo_0123456789"},
                {"label": "one-time password", "type": "OTP", "section": {"id": "mfa"},
                 "value": "otpauth://totp/latchkey:demo?secret=JBSWY3DPEHPK3PXP&issuer=latchkey"},
                {"label": "expires", "type": "DATE", "value": "2030-01-01"}
            ]}),
        ),
        (
            "Wi-Fi",
            json!({"category": "PASSWORD", "title": "Wi-Fi", "fields": [
                {"purpose": "PASSWORD", "generate": true,
                 "recipe": {"length": 16, "characterSets": ["LETTERS", "DIGITS"]}}]}),
        ),
    ]
}

/// Creates the demo vault and its items. Ids are derived from names, so they are the same on
/// every machine and every run (handy in tests and docs).
pub async fn seed(store: &Store, editor: &str) -> anyhow::Result<VaultRecord> {
    let vault_id = ids::derived_id("demo-vault", DEMO_VAULT);
    let vault = store
        .create_vault(
            Some(&vault_id),
            DEMO_VAULT,
            "Sample data served by latchkey dev",
            VaultType::UserCreated,
        )
        .await?;
    for (title, body) in items() {
        let (category, data) = build_item(input(body)?, &BuildMode::Create, &Limits::default())
            .map_err(|e| anyhow::anyhow!("demo item {title}: {e}"))?;
        store
            .create_item(
                &vault.id,
                &ids::derived_id("demo-item", title),
                category,
                &data,
                editor,
                &[],
            )
            .await?;
    }

    create_document(store, &vault.id, editor).await?;
    store
        .get_vault(&vault.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo vault vanished"))
}

/// A document item with its file: the API cannot create these, a source (here the demo) can.
async fn create_document(store: &Store, vault_id: &str, editor: &str) -> anyhow::Result<()> {
    let content = b"Hello from latchkey.\n".to_vec();
    let (_, mut data) = build_item(
        input(json!({"category": "SECURE_NOTE", "title": "Welcome Document", "tags": ["demo"]}))?,
        &BuildMode::Create,
        &Limits::default(),
    )
    .map_err(|e| anyhow::anyhow!("demo document: {e}"))?;
    let file_id = ids::derived_id("demo-file", "welcome.txt");
    data.body.files.push(StoredFile {
        id: file_id.clone(),
        name: "welcome.txt".into(),
        size: i64::try_from(content.len())?,
        section: None,
    });
    store
        .create_item(
            vault_id,
            &ids::derived_id("demo-item", "Welcome Document"),
            Category::Document,
            &data,
            editor,
            &[NewFile {
                id: file_id,
                content,
            }],
        )
        .await?;
    Ok(())
}
