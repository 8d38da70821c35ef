//! The item as a Connect request body — the JSON a PATCH operates on and what is sent upstream —
//! and its working form while operations apply: fields and sections indexed by id.

use serde_json::{json, Map, Value};

use super::keyed::Keyed;
use crate::model::{Category, ItemData};

/// The item as a Connect request body (the shape PATCH operates on, and what is sent upstream).
pub fn to_document(item: &ItemData, category: Category) -> Value {
    Value::Object(document_object(item, category))
}

pub(super) fn document_object(item: &ItemData, category: Category) -> Map<String, Value> {
    let summary = &item.summary;
    let mut o = Map::new();
    o.insert("title".into(), json!(summary.title));
    o.insert("category".into(), json!(category.as_str()));
    o.insert("favorite".into(), json!(summary.favorite));
    o.insert("tags".into(), json!(summary.tags));
    let urls = summary.urls.iter();
    let urls: Vec<Value> = urls
        .map(|u| json!({"label": u.label, "primary": u.primary, "href": u.href}))
        .collect();
    o.insert("urls".into(), Value::Array(urls));
    let sections = item.body.sections.iter();
    let sections: Vec<Value> = sections
        .map(|s| json!({"id": s.id, "label": s.label}))
        .collect();
    o.insert("sections".into(), Value::Array(sections));
    let fields = item.body.fields.iter().map(field_document).collect();
    o.insert("fields".into(), Value::Array(fields));
    o
}

fn field_document(f: &crate::model::StoredField) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(f.id));
    if let Some(section) = &f.section {
        o.insert("section".into(), json!({"id": section}));
    }
    o.insert("type".into(), json!(f.field_type.as_str()));
    o.insert("purpose".into(), json!(f.purpose.as_str()));
    o.insert("label".into(), json!(f.label));
    if let Some(value) = &f.value {
        o.insert("value".into(), json!(value));
    }
    if let Some(entropy) = f.entropy {
        o.insert("entropy".into(), json!(entropy));
    }
    Value::Object(o)
}

/// `fields` or `sections`: a list addressed by id, or whatever non-list a client put there
/// (refused when the patched item is read as a body).
pub(super) enum Slot {
    List(Keyed),
    Other(Value),
}

impl Slot {
    pub(super) fn from_value(value: Option<Value>) -> Slot {
        match value {
            None | Some(Value::Null) => Slot::List(Keyed::default()),
            Some(Value::Array(items)) => Slot::List(Keyed::from_values(items)),
            Some(other) => Slot::Other(other),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Slot::List(list) => Value::Array(list.into_values()),
            Slot::Other(value) => value,
        }
    }
}

/// The item while a patch applies.
pub(super) struct Doc {
    /// Every attribute but `fields` and `sections`.
    pub(super) top: Map<String, Value>,
    pub(super) fields: Slot,
    pub(super) sections: Slot,
}

impl Doc {
    pub(super) fn from_object(mut top: Map<String, Value>) -> Doc {
        let fields = Slot::from_value(top.remove("fields"));
        let sections = Slot::from_value(top.remove("sections"));
        Doc {
            top,
            fields,
            sections,
        }
    }

    pub(super) fn slot_mut(&mut self, list: &str) -> &mut Slot {
        if list == "fields" {
            &mut self.fields
        } else {
            &mut self.sections
        }
    }

    pub(super) fn into_value(self) -> Value {
        let mut top = self.top;
        top.insert("fields".into(), self.fields.into_value());
        top.insert("sections".into(), self.sections.into_value());
        Value::Object(top)
    }
}
