//! A JSON seed file read as a stream: the root and each vault are walked key by key and each
//! item is taken as its raw text, so only one item is held at a time. The messages are the tree
//! walk's (`walk`): whatever the visitors reject is recorded as the walk's message and the JSON
//! error that stops the parser is dropped.
//!
//! A vault's `items` are streamed when its `name` or `id` comes before them (as every generated
//! file has it); otherwise they are held until the vault's mapping ends.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::document::{mapping, non_empty_text, Node};
use super::keys::ROOT_KEYS;
use super::walk::{
    check_version, vault_at, vaults_not_a_list, ItemText, VaultWalk, Walker, VAULTS_REQUIRED,
};
use crate::ids;

/// Walks the JSON document `read` yields.
pub(super) fn stream_json<'de, R: serde_json::de::Read<'de>>(
    read: R,
    walker: &mut Walker<'_>,
) -> Result<(), String> {
    let mut failure = None;
    let mut de = serde_json::Deserializer::new(read);
    let result = Root {
        walker,
        failure: &mut failure,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (failure, result) {
        (Some(message), _) => Err(message),
        (None, Err(e)) => Err(format!("invalid JSON: {e}")),
        (None, Ok(())) => Ok(()),
    }
}

/// Records the walk's message and stops the parser.
fn fail<E: de::Error, T>(failure: &mut Option<String>, message: String) -> Result<T, E> {
    *failure = Some(message);
    Err(E::custom("the seed walk stopped"))
}

/// The visitor methods for every kind of value a visitor does not stream: each reports the kind
/// it found through `self.other(kind)`.
macro_rules! other_kinds {
    ($($skip:ident)*) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.other("null")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            self.other("true/false")
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            self.other("a number")
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            self.other("a number")
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            self.other("a number")
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            self.other("text")
        }
        $(other_kinds!(@ $skip);)*
    };
    (@ seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            self.other("a list")
        }
    };
    (@ map) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            self.other("a mapping")
        }
    };
}

struct Root<'w, 'a> {
    walker: &'w mut Walker<'a>,
    failure: &'w mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Root<'_, '_> {
    fn other<E: de::Error>(self, kind: &str) -> Result<(), E> {
        let message = if kind == "null" {
            "the file is empty; expected a mapping with a `vaults` list".to_string()
        } else {
            format!("top level: the document must be a mapping, not {kind}")
        };
        fail(self.failure, message)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a seed document")
    }
    other_kinds!(seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut vaults = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "vaults" if vaults => {
                    return fail(self.failure, "top level: `vaults` is given twice".into())
                }
                "vaults" => {
                    vaults = map.next_value_seed(Vaults {
                        walker: self.walker,
                        failure: self.failure,
                    })?;
                }
                "version" => {
                    let version = Node::from_json(map.next_value()?);
                    if let Err(message) = check_version(&version) {
                        return fail(self.failure, message);
                    }
                }
                _ => {
                    let probe = Node::Map(vec![(key, Node::Null)]);
                    if let Err(message) = mapping(&probe, ROOT_KEYS, "top level", "the document") {
                        return fail(self.failure, message);
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !vaults {
            return fail(self.failure, VAULTS_REQUIRED.into());
        }
        Ok(())
    }
}

/// The `vaults` list; `true` once walked (`null` counts as absent).
struct Vaults<'w, 'a> {
    walker: &'w mut Walker<'a>,
    failure: &'w mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Vaults<'_, '_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl Vaults<'_, '_> {
    fn other<E: de::Error>(self, kind: &str) -> Result<bool, E> {
        if kind == "null" {
            return Ok(false);
        }
        fail(self.failure, vaults_not_a_list(kind))
    }
}

impl<'de> Visitor<'de> for Vaults<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of vaults")
    }
    other_kinds!(map);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Vault {
                walker: &mut *self.walker,
                failure: &mut *self.failure,
                index,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(true)
    }
}

struct Vault<'w, 'a> {
    walker: &'w mut Walker<'a>,
    failure: &'w mut Option<String>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for Vault<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Vault<'_, '_> {
    fn other<E: de::Error>(self, kind: &str) -> Result<(), E> {
        let at = vault_at(self.index);
        fail(
            self.failure,
            format!("{at}: a vault must be a mapping, not {kind}"),
        )
    }

    /// The vault's id from the keys read so far, if they settle it.
    fn early_id(&self, entries: &[(String, Node)]) -> Option<String> {
        match non_empty_text(entries, "id", "").ok()? {
            Some(id) => Some(id),
            None => non_empty_text(entries, "name", "")
                .ok()?
                .map(|name| ids::derived_id("seed-vault", &name)),
        }
    }
}

impl<'de> Visitor<'de> for Vault<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vault")
    }
    other_kinds!(seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut walked: Option<VaultWalk> = None;
        let mut held: Vec<Box<RawValue>> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key != "items" {
                let value = Node::from_json(map.next_value()?);
                entries.push((key, value));
                continue;
            }
            let at = vault_at(self.index);
            let early = self.early_id(&entries).filter(|_| walked.is_none());
            let items = Items {
                walker: &mut *self.walker,
                failure: &mut *self.failure,
                at: &at,
                walk: early.map(|id| VaultWalk::new(id, self.index)),
                held: &mut held,
            };
            // `items` is checked as a list by the visitor; the tree walk sees an empty one.
            let mut items = map.next_value_seed(items)?;
            walked = items.walk.take().or(walked);
            entries.push((key, Node::List(Vec::new())));
        }
        let header = self
            .walker
            .ctx
            .vault_header(&Node::Map(entries), self.index);
        let (vault, explicit) = match header {
            Ok(header) => header,
            Err(message) => return fail(self.failure, message),
        };
        let mut walk = match walked {
            Some(walk) if walk.id != vault.id => {
                let at = vault_at(self.index);
                return fail(
                    self.failure,
                    format!("{at}: give the vault's `id` before its `items`"),
                );
            }
            Some(walk) => walk,
            None => VaultWalk::new(vault.id.clone(), self.index),
        };
        for raw in held {
            if let Err(message) = self.walker.item(&mut walk, ItemText::Json(raw.get())) {
                return fail(self.failure, message);
            }
        }
        if let Err(message) = self.walker.vault_done(vault, explicit, self.index) {
            return fail(self.failure, message);
        }
        Ok(())
    }
}

/// A vault's `items`: walked one by one when the vault's id is known (`walk`), else held.
struct Items<'w, 'a, 'h> {
    walker: &'w mut Walker<'a>,
    failure: &'w mut Option<String>,
    at: &'h str,
    walk: Option<VaultWalk>,
    held: &'h mut Vec<Box<RawValue>>,
}

impl<'de, 'w, 'a, 'h> DeserializeSeed<'de> for Items<'w, 'a, 'h> {
    type Value = Self;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'w, 'a, 'h> Items<'w, 'a, 'h> {
    fn other<E: de::Error>(self, kind: &str) -> Result<Self, E> {
        if kind == "null" {
            return Ok(self);
        }
        let message = format!("{}: `items` must be a list, not {kind}", self.at);
        fail(self.failure, message)
    }
}

impl<'de, 'w, 'a, 'h> Visitor<'de> for Items<'w, 'a, 'h> {
    type Value = Self;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items")
    }
    other_kinds!(map);

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self, A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            match &mut self.walk {
                Some(walk) => {
                    if let Err(message) = self.walker.item(walk, ItemText::Json(raw.get())) {
                        return fail(self.failure, message);
                    }
                }
                None => self.held.push(raw),
            }
        }
        Ok(self)
    }
}
