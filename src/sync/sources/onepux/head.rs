//! The few things about an item needed before deciding to build it: whether it is imported at
//! all, and what its id derives from. Read without building the rest, which is skipped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::item::category;
use crate::model::Category;
use crate::sync::sources::json_head;

/// Changes when the conversion changes, so that items stored by an older conversion are rebuilt.
const FORMAT: &[u8] = b"latchkey 1pux item v1";

/// A head value, read without copying text that has no escapes: every item of an export has its
/// head read, and copies of each value were a third of that read.
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Number(serde_json::Number),
    Null,
    /// A boolean, list or object: for the full conversion to report.
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v.into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Scalar::Other, Scalar::Number))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

#[derive(Default)]
struct RawHead<'a> {
    uuid: Option<Scalar<'a>>,
    state: Option<Scalar<'a>>,
    category: Option<Scalar<'a>>,
    overview: Option<RawOverview<'a>>,
}

#[derive(Deserialize)]
struct RawOverview<'a> {
    #[serde(borrow)]
    title: Option<Scalar<'a>>,
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
struct HeadVisitor<'h, 'a>(&'h mut Option<RawHead<'a>>, &'h json_head::Stop);

impl<'a> Visitor<'a> for HeadVisitor<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
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
            let named = matches!(&head.uuid, Some(Scalar::Text(s)) if !s.trim().is_empty());
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

fn raw_head(raw: &[u8]) -> Result<RawHead<'_>, ()> {
    let mut found = None;
    let stop = json_head::Stop::default();
    json_head::read(
        serde_json::Deserializer::from_slice(raw),
        HeadVisitor(&mut found, &stop),
        &stop,
    )?;
    found.ok_or(())
}

pub(super) struct Head<'a> {
    /// Trimmed; empty when the item has none.
    pub(super) uuid: Cow<'a, str>,
    pub(super) category: Category,
    pub(super) title: Cow<'a, str>,
}

/// `Ok(None)`: the item is not imported (trashed, deleted). `Err(())`: this quick read cannot
/// tell (a value of an unexpected type, a duplicate key, bad JSON…); the full conversion then
/// decides, and says what is wrong.
pub(super) fn read(raw: &[u8]) -> Result<Option<Head<'_>>, ()> {
    let head = raw_head(raw)?;
    let state = text(head.state)?;
    let state = state.trim();
    if state.eq_ignore_ascii_case("trashed") || state.eq_ignore_ascii_case("deleted") {
        return Ok(None);
    }
    let code = match head.category {
        None | Some(Scalar::Null) => Cow::Borrowed(""),
        Some(Scalar::Text(s)) => trimmed(s),
        Some(Scalar::Number(n)) => {
            Cow::Owned(n.as_u64().map(|n| format!("{n:03}")).unwrap_or_default())
        }
        Some(Scalar::Other) => return Err(()),
    };
    let Some(category) = category(&code) else {
        return Ok(None);
    };
    let title = match head.overview {
        Some(overview) => text(overview.title)?,
        None => Cow::Borrowed(""),
    };
    Ok(Some(Head {
        uuid: trimmed(text(head.uuid)?),
        category,
        title,
    }))
}

/// Text, a number, or nothing (`""`); anything else is for the full conversion to report.
fn text(value: Option<Scalar<'_>>) -> Result<Cow<'_, str>, ()> {
    match value {
        None | Some(Scalar::Null) => Ok(Cow::Borrowed("")),
        Some(Scalar::Text(s)) => Ok(s),
        Some(Scalar::Number(n)) => Ok(Cow::Owned(n.to_string())),
        Some(Scalar::Other) => Err(()),
    }
}

/// `text` without surrounding white space, still borrowed when it was.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
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
