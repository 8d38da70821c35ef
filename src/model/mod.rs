//! Connect's data model: the wire types (what clients send and receive), the stored form of an
//! item (what is sealed in the database), and the rules that turn one into the other.

mod build;
mod enums;
pub mod fields;
mod patch;
mod wire;

pub use build::{build_item, BuildMode, Limits};
pub use enums::{Category, FieldType, Purpose, VaultType};
pub use patch::{
    apply_patch, check_op_count, patch_item, to_document, PatchError, Patched, Written, WITHHELD,
};
pub use wire::*;

use serde::{Deserialize, Serialize};

/// An item as it is sealed in the store. The summary part (title, favorite, tags, urls) and the body
/// part (sections, fields, files) are sealed separately so that listing items decrypts only the first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSummaryData {
    pub title: String,
    #[serde(default)]
    pub favorite: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub urls: Vec<StoredUrl>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemBodyData {
    #[serde(default)]
    pub sections: Vec<StoredSection>,
    #[serde(default)]
    pub fields: Vec<StoredField>,
    #[serde(default)]
    pub files: Vec<StoredFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemData {
    pub summary: ItemSummaryData,
    pub body: ItemBodyData,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub primary: bool,
    pub href: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredSection {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredField {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub purpose: Purpose,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    pub id: String,
    pub name: String,
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}
