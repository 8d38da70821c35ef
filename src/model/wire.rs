//! JSON shapes on the wire. Output types follow Connect's responses exactly (`openapi.yaml`); input
//! types are lenient in the ways real clients need: unknown keys ignored, `null` for anything
//! optional, `""` as absent.

use serde::{Deserialize, Serialize};

use super::fields::generator::Recipe;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdRef {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VaultJson {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub attribute_version: i64,
    pub content_version: i64,
    pub items: i64,
    #[serde(rename = "type")]
    pub vault_type: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UrlJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub primary: bool,
    pub href: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SectionJson {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A field's section: its id, and its label when it has one (doco-cd matches sections by label).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SectionRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldJson {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<SectionRef>,
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileJson {
    pub id: String,
    pub name: String,
    pub size: i64,
    /// Always absolute from the host: the Go SDK fetches `host + content_path` verbatim.
    pub content_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// An item summary (list responses) or a full item (`sections`, `fields`, `files` present).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemJson {
    pub id: String,
    pub title: String,
    pub vault: IdRef,
    pub category: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<UrlJson>,
    #[serde(default)]
    pub favorite: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_edited_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<SectionJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileJson>>,
}

// ----- input -----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IdRefInput {
    pub id: Option<String>,
    /// Terraform sends the section label inside the reference.
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UrlInput {
    pub label: Option<String>,
    pub primary: Option<bool>,
    pub href: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SectionInput {
    pub id: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FieldInput {
    pub id: Option<String>,
    pub section: Option<IdRefInput>,
    #[serde(rename = "type")]
    pub field_type: Option<String>,
    pub purpose: Option<String>,
    pub label: Option<String>,
    pub value: Option<String>,
    pub generate: Option<bool>,
    pub recipe: Option<Recipe>,
    /// Echoed back by clients that round-trip an item; kept when the value did not change.
    pub entropy: Option<f64>,
}

/// A create/replace body. Ignored on purpose: `createdAt`, `updatedAt`, `lastEditedBy`, `version`,
/// `state`, `trashed`, `files` (Go zero values, JS millisecond timestamps, SDK leftovers).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    pub id: Option<String>,
    pub title: Option<String>,
    pub vault: Option<IdRefInput>,
    pub category: Option<String>,
    pub urls: Option<Vec<UrlInput>>,
    pub favorite: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub sections: Option<Vec<Option<SectionInput>>>,
    pub fields: Option<Vec<FieldInput>>,
}

/// One JSON Patch operation (RFC 6902 subset that Connect supports).
#[derive(Debug, Clone, Deserialize)]
pub struct PatchOp {
    pub op: String,
    pub path: String,
    #[serde(default)]
    pub value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServiceDependency {
    pub service: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    pub name: String,
    pub version: String,
    pub dependencies: Vec<ServiceDependency>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActivityActor {
    pub id: String,
    pub account: String,
    pub jti: String,
    pub user_agent: String,
    pub request_ip: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActivityResource {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub vault: IdRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequestJson {
    pub request_id: String,
    pub timestamp: String,
    pub action: String,
    pub result: String,
    pub actor: ActivityActor,
    pub resource: ActivityResource,
}

/// Connect's error body. Every client parses it: Python crashes on a non-JSON error body.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub status: u16,
    pub message: String,
}
