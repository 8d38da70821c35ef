//! Records to the wire JSON of Connect's API (the shapes `openapi.yaml` documents).

use crate::model::fields::totp::Totp;
use crate::model::{
    FieldJson, FieldType, FileJson, IdRef, ItemJson, SectionJson, SectionRef, UrlJson, VaultJson,
    Written,
};
use crate::store::{ItemRecord, VaultRecord};
use crate::timefmt::rfc3339;

pub fn vault(v: &VaultRecord) -> VaultJson {
    VaultJson {
        id: v.id.clone(),
        name: v.name.clone(),
        description: v.description.clone(),
        attribute_version: v.attribute_version,
        content_version: v.content_version,
        items: v.items,
        vault_type: v.vault_type.as_str().to_string(),
        created_at: rfc3339(v.created_at),
        updated_at: rfc3339(v.updated_at),
    }
}

pub fn content_path(vault_id: &str, item_id: &str, file_id: &str) -> String {
    format!("/v1/vaults/{vault_id}/items/{item_id}/files/{file_id}/content")
}

fn section_ref(id: Option<&String>) -> Option<IdRef> {
    id.map(|id| IdRef { id: id.clone() })
}

pub fn file(item: &ItemRecord, f: &crate::model::StoredFile, content: Option<String>) -> FileJson {
    FileJson {
        id: f.id.clone(),
        name: f.name.clone(),
        size: f.size,
        content_path: content_path(&item.vault_id, &item.id, &f.id),
        section: section_ref(f.section.as_ref()),
        content,
    }
}

/// A summary (list responses): no sections, fields or files.
pub fn summary(item: &ItemRecord) -> ItemJson {
    let s = &item.data.summary;
    ItemJson {
        id: item.id.clone(),
        title: s.title.clone(),
        vault: IdRef {
            id: item.vault_id.clone(),
        },
        category: item.category.as_str().to_string(),
        urls: s
            .urls
            .iter()
            .map(|u| UrlJson {
                label: u.label.clone(),
                primary: u.primary,
                href: u.href.clone(),
            })
            .collect(),
        favorite: s.favorite,
        tags: s.tags.clone(),
        version: item.version,
        state: item.state.clone(),
        created_at: rfc3339(item.created_at),
        updated_at: rfc3339(item.updated_at),
        last_edited_by: item.last_edited_by.clone(),
        sections: None,
        fields: None,
        files: None,
    }
}

/// A full item. OTP fields carry the current code in `totp`.
pub fn full(item: &ItemRecord) -> ItemJson {
    let body = &item.data.body;
    let mut json = summary(item);
    // Always present on a full item, even empty: clients that model `sections` as required
    // (the `connect-1password` crate) then parse items that have none.
    json.sections = Some(
        body.sections
            .iter()
            .map(|s| SectionJson {
                id: s.id.clone(),
                label: s.label.clone(),
            })
            .collect(),
    );
    json.fields = Some(
        body.fields
            .iter()
            .map(|f| FieldJson {
                id: f.id.clone(),
                section: f.section.as_ref().map(|id| SectionRef {
                    id: id.clone(),
                    label: body
                        .sections
                        .iter()
                        .find(|s| &s.id == id)
                        .and_then(|s| s.label.clone()),
                }),
                field_type: f.field_type.as_str().to_string(),
                purpose: f.purpose.as_str().to_string(),
                label: f.label.clone(),
                totp: match (f.field_type, f.value.as_deref()) {
                    (FieldType::Otp, Some(v)) if !v.is_empty() => {
                        Totp::parse(v).ok().map(|t| t.code_now())
                    }
                    _ => None,
                },
                value: f.value.clone(),
                entropy: f.entropy,
            })
            .collect(),
    );
    json.files =
        (!body.files.is_empty()).then(|| body.files.iter().map(|f| file(item, f, None)).collect());
    json
}

/// Whether the item's full JSON changes with the time (an OTP field shows the current code).
pub fn shows_time(item: &ItemRecord) -> bool {
    item.data
        .body
        .fields
        .iter()
        .any(|f| f.field_type == FieldType::Otp)
}

/// What a token that cannot read the vault gets back from a write: the item's ids, category,
/// version and timestamps, and of its contents only what this request set (`written`) — never a
/// value, an OTP code, an entropy, a file or a stored label (Connect 1.7.1 closed a hole where
/// PATCH let write-only tokens read items).
pub fn receipt(item: &ItemRecord, written: &Written) -> serde_json::Value {
    let mut json = full(item);
    json.state = None;
    json.files = None;
    if let Some(sections) = json.sections.as_mut() {
        sections.retain(|s| written.section(&s.id));
    }
    if let Some(fields) = json.fields.as_mut() {
        fields.retain(|f| written.field(&f.id));
        for f in fields {
            f.value = None;
            f.totp = None;
            f.entropy = None;
            if let Some(section) = f.section.as_mut() {
                section.label = None;
            }
        }
    }
    let mut value = serde_json::to_value(&json).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        for (key, shown) in [
            ("title", written.title()),
            ("favorite", written.favorite()),
            ("tags", written.tags()),
            ("urls", written.urls()),
        ] {
            if !shown {
                object.remove(key);
            }
        }
    }
    value
}
