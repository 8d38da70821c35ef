//! An item's `title` and `id` read from its JSON text without parsing the rest: the walk needs
//! them to ask the store whether it holds the item's text already, and most items are unchanged.
//! The read stops as soon as both keys are seen (a generated file puts them first).
//!
//! Stopping early leaves the rest unchecked, which is sound: an item is only skipped when the
//! store holds a digest of exactly this text under this id, which it records only after building
//! the same text into that id; any other item is parsed whole and checked by the build.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::sync::sources::json_head;

#[derive(Default)]
pub(super) struct Head {
    pub(super) title: Option<Value>,
    pub(super) id: Option<Value>,
}

#[derive(serde::Deserialize)]
#[serde(field_identifier)]
enum Key {
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "id")]
    Id,
    #[serde(other)]
    Other,
}

/// Leaves the head in `.0`, also when it stops early (through `.1`).
struct HeadVisitor<'h>(&'h mut Option<Head>, &'h json_head::Stop);

impl<'de> Visitor<'de> for HeadVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Title => &mut head.title,
                Key::Id => &mut head.id,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(de::Error::duplicate_field("title or id"));
            }
            *slot = Some(map.next_value()?);
            if head.title.is_some() && head.id.is_some() {
                *self.0 = Some(head);
                return Err(self.1.now());
            }
        }
        *self.0 = Some(head);
        Ok(())
    }
}

/// The head of the item whose JSON text is `raw`; `None` when this quick read cannot tell (not a
/// mapping, a key given twice, bad JSON before both keys were seen).
pub(super) fn read(raw: &str) -> Option<Head> {
    let mut found = None;
    let de = serde_json::Deserializer::from_str(raw);
    let stop = json_head::Stop::default();
    json_head::read(de, HeadVisitor(&mut found, &stop), &stop).ok()?;
    found
}

#[cfg(test)]
mod tests {
    use super::read;

    fn text(value: Option<serde_json::Value>) -> Option<String> {
        value.map(|v| v.to_string())
    }

    #[test]
    fn reads_title_and_id_and_stops() {
        // Once both are known the rest is not read (here it is not even JSON).
        let head = read(r#"{"id": "abc", "title": "T", "x": nonsense"#).unwrap();
        assert_eq!(text(head.id).as_deref(), Some(r#""abc""#));
        assert_eq!(text(head.title).as_deref(), Some(r#""T""#));
        // Without an id the whole mapping is read, and must be JSON.
        let head = read(r#"{"title": 5, "fields": [1, {"a": null}]}"#).unwrap();
        assert_eq!(text(head.title).as_deref(), Some("5"));
        assert!(head.id.is_none());
        assert!(read(r#"{"title": "T", "fields": [1,}"#).is_none());
        assert!(read(r#"{"title": "T"} x"#).is_none());
    }

    #[test]
    fn cannot_tell_on_duplicates_or_other_kinds() {
        assert!(read(r#"{"title": "A", "title": "B"}"#).is_none());
        assert!(read(r#"{"id": "a", "x": 1, "id": "b"}"#).is_none());
        assert!(read("[1]").is_none());
        assert!(read(r#""text""#).is_none());
    }
}
