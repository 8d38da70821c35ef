//! The few things about an item needed before deciding to build it: whether it is imported at
//! all, and what its id derives from. Read without building the rest, which is skipped.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::item::category;
use super::json::scalar;
use crate::model::Category;
use crate::sync::sources::json_head;

/// Changes when the conversion changes, so that items stored by an older conversion are rebuilt.
const FORMAT: &[u8] = b"latchkey 1pux item v1";

#[derive(Default)]
struct RawHead {
    uuid: Option<Value>,
    state: Option<Value>,
    category: Option<Value>,
    overview: Option<RawOverview>,
}

#[derive(Deserialize)]
struct RawOverview {
    title: Option<Value>,
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum Key {
    #[serde(rename = "uuid")]
    Uuid,
    #[serde(rename = "state")]
    State,
    #[serde(rename = "categoryUuid")]
    Category,
    #[serde(rename = "overview")]
    Overview,
    #[serde(other)]
    Other,
}

/// Leaves the head in `.0`, also when it stops early (through `.1`).
struct HeadVisitor<'h>(&'h mut Option<RawHead>, &'h json_head::Stop);

impl<'de> Visitor<'de> for HeadVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut head = RawHead::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Uuid => head.uuid = Some(map.next_value()?),
                Key::State => head.state = Some(map.next_value()?),
                Key::Category => head.category = Some(map.next_value()?),
                Key::Overview => head.overview = map.next_value()?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            // The title only matters for an item without a uuid.
            let named = matches!(&head.uuid, Some(Value::String(s)) if !s.trim().is_empty());
            // Once the head is known the rest (`details`, the bulk) is not even scanned.
            if named && head.state.is_some() && head.category.is_some() {
                *self.0 = Some(head);
                return Err(self.1.now());
            }
        }
        *self.0 = Some(head);
        Ok(())
    }
}

fn raw_head(raw: &[u8]) -> Result<RawHead, ()> {
    let mut found = None;
    let stop = json_head::Stop::default();
    json_head::read(
        serde_json::Deserializer::from_slice(raw),
        HeadVisitor(&mut found, &stop),
        &stop,
    )?;
    found.ok_or(())
}

pub(super) struct Head {
    /// Trimmed; empty when the item has none.
    pub(super) uuid: String,
    pub(super) category: Category,
    pub(super) title: String,
}

/// `Ok(None)`: the item is not imported (trashed, deleted). `Err(())`: this quick read cannot
/// tell (a value of an unexpected type, a duplicate key, bad JSON…); the full conversion then
/// decides, and says what is wrong.
pub(super) fn read(raw: &[u8]) -> Result<Option<Head>, ()> {
    let head = raw_head(raw)?;
    let state = text(head.state.as_ref())?;
    if matches!(
        state.trim().to_ascii_lowercase().as_str(),
        "trashed" | "deleted"
    ) {
        return Ok(None);
    }
    let code = match head.category {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.as_u64().map(|n| format!("{n:03}")).unwrap_or_default(),
        Some(_) => return Err(()),
    };
    let Some(category) = category(&code) else {
        return Ok(None);
    };
    let title = match &head.overview {
        Some(overview) => text(overview.title.as_ref())?,
        None => String::new(),
    };
    Ok(Some(Head {
        uuid: text(head.uuid.as_ref())?.trim().to_string(),
        category,
        title,
    }))
}

/// Text, a number, or nothing (`""`); anything else is for the full conversion to report.
fn text(value: Option<&Value>) -> Result<String, ()> {
    match value {
        None | Some(Value::Null) => Ok(String::new()),
        Some(value) => scalar(value).ok_or(()),
    }
}

/// What the item's stored form follows from when it has no attachment: its own text, where it
/// sits (vault and id) and the conversion's version.
pub(super) fn text_digest(vault_id: &str, item_id: &str, raw: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [FORMAT, vault_id.as_bytes(), item_id.as_bytes()] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hash.update(raw);
    hash.finalize().into()
}
