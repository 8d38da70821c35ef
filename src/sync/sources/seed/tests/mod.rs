//! Tests of the seed source, by topic; the shared helpers parse small documents and pick out
//! items, fields and values.

mod basics;
mod errors;
mod example;
mod parse_file;
mod positions;
mod schema;
mod special_files;
mod values;

use std::path::{Path, PathBuf};

use hmac::digest::KeyInit;
use hmac::Hmac;
use serde_json::Value;
use sha2::Sha256;

use super::checks::check_env_name;
use super::generate::{Stream, CHARACTER_SETS};
use super::item::redact;
use super::keys::*;
use super::{parse, parse_file, SeedFormat};
use crate::config::SourceLimits;
use crate::ids;
use crate::model::fields::generator;
use crate::model::{Category, FieldType, Purpose, StoredField, StoredUrl, VaultType};
use crate::sync::source::{Snapshot, SourceError, SourceItem};

const KEY: [u8; 32] = [7; 32];
const SECRET: &str = "s3cr3t-Value-9f8e7d";

fn no_env(_: &str) -> Option<String> {
    None
}

fn secret_env(name: &str) -> Option<String> {
    (name == "SECRET_VAR").then(|| SECRET.to_string())
}

fn parse_in(text: &str, dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Snapshot {
    parse(text, SeedFormat::Yaml, dir, env, &KEY).unwrap_or_else(|e| panic!("{e}"))
}

fn ok(text: &str) -> Snapshot {
    parse_in(text, Path::new("/nonexistent"), &secret_env)
}

fn err_in(text: &str, dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> String {
    match parse(text, SeedFormat::Yaml, dir, env, &KEY) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(SourceError::Invalid(message)) => {
            assert!(message.starts_with("seed file: "), "{message}");
            assert!(!message.contains(SECRET), "secret in {message}");
            message
        }
        Err(other) => panic!("expected Invalid, got {other:?}"),
    }
}

fn err(text: &str) -> String {
    err_in(text, Path::new("/nonexistent"), &secret_env)
}

/// A one-vault, one-item document from the item's YAML lines (indented by 8).
fn item_doc(item: &str) -> String {
    let mut doc = String::from("vaults:\n  - name: V\n    items:\n");
    for (i, line) in item.lines().enumerate() {
        doc.push_str(if i == 0 { "      - " } else { "        " });
        doc.push_str(line);
        doc.push('\n');
    }
    doc
}

fn only_item(snapshot: &Snapshot) -> &SourceItem {
    assert_eq!(snapshot.vaults.len(), 1);
    assert_eq!(snapshot.vaults[0].items.len(), 1);
    &snapshot.vaults[0].items[0]
}

fn field<'a>(item: &'a SourceItem, label: &str) -> &'a StoredField {
    item.data
        .body
        .fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("no field {label:?} in {:?}", item.data.body.fields))
}

fn value<'a>(item: &'a SourceItem, label: &str) -> &'a str {
    field(item, label).value.as_deref().unwrap_or("")
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example_text() -> String {
    std::fs::read_to_string(example_dir().join("seed.yaml")).expect("examples/seed.yaml")
}

fn example_env(name: &str) -> Option<String> {
    (name == "LATCHKEY_EXAMPLE_DB_PASSWORD").then(|| "example-db-password".to_string())
}
