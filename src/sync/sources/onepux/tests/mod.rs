//! Tests of the 1PUX parser, by topic, with their shared helpers.

use std::fmt;

use super::parse;
use crate::model::StoredField;
use crate::sync::source::{SourceError, SourceItem};

mod bad_archives;
mod bad_content;
mod bombs;
mod files;
mod fixture;
mod generated;
mod items;
mod stream;
pub(crate) mod testgen;
mod values;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/synthetic.1pux");

fn field<'a>(item: &'a SourceItem, id: &str) -> &'a StoredField {
    item.data
        .body
        .fields
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no field {id} in {:?}", item.data.summary.title))
}

fn value<'a>(item: &'a SourceItem, id: &str) -> Option<&'a str> {
    field(item, id).value.as_deref()
}

fn field_ids(item: &SourceItem) -> Vec<&str> {
    item.data
        .body
        .fields
        .iter()
        .map(|f| f.id.as_str())
        .collect()
}

fn one_item(item: serde_json::Value) -> Result<Vec<SourceItem>, SourceError> {
    one_item_with_files(item, &[])
}

fn one_item_with_files(
    item: serde_json::Value,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<SourceItem>, SourceError> {
    let bytes = testgen::archive(&testgen::export_with_items(vec![item]), files);
    let mut snapshot = parse(&bytes)?;
    Ok(snapshot.vaults.remove(0).items)
}

fn invalid(result: Result<impl fmt::Debug, SourceError>) -> String {
    match result {
        Err(SourceError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn unavailable(result: Result<impl fmt::Debug, SourceError>) -> String {
    match result {
        Err(SourceError::Unavailable(message)) => message,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
