//! What a write request itself set, so that the answer to a token that cannot read the vault
//! carries nothing else (README "Persistent server, vaults and tokens"). A POST or PUT sends the
//! whole item; a PATCH sends only its operations, and the stored title, URLs, tags, labels and
//! values they leave alone are not the client's to see.

use std::collections::HashSet;

use serde_json::Value;

use super::{parse_op, unescape, Op};
use crate::model::PatchOp;

/// The parts of an item a write request defined in full.
#[derive(Debug, Default, Clone)]
pub struct Written {
    everything: bool,
    title: bool,
    favorite: bool,
    tags: bool,
    urls: bool,
    fields: Part,
    sections: Part,
}

/// Fields or sections: the whole list, or the elements the request defined by id.
#[derive(Debug, Default, Clone)]
struct Part {
    all: bool,
    /// Elements the request sent whole (replaced by id, or appended).
    whole: HashSet<String>,
    /// Fields whose value the request set, removed or asked to generate.
    values: HashSet<String>,
    /// Fields whose type the request changed by an attribute operation.
    types: HashSet<String>,
}

impl Part {
    fn shows(&self, id: &str) -> bool {
        self.all || self.whole.contains(id)
    }
}

impl Written {
    /// A POST or PUT: the body is the whole item (files are never part of a body).
    pub fn everything() -> Written {
        Written {
            everything: true,
            ..Written::default()
        }
    }

    /// What `ops` set, read from the operations alone. Elements appended without an id get one
    /// while the patch applies ([`Written::appended`]).
    pub fn from_ops(ops: &[PatchOp]) -> Written {
        let mut written = Written::default();
        for patch in ops {
            if let Ok(op) = parse_op(&patch.op) {
                written.note(op, patch);
            }
        }
        written
    }

    fn note(&mut self, op: Op, patch: &PatchOp) {
        let path = patch.path.as_str();
        if path.is_empty() || path == "/" {
            self.everything |= op != Op::Remove;
            return;
        }
        let tokens: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(unescape)
            .collect();
        // `add` of a single element to a list appends to what is stored: the list is not the
        // client's; the element is (recorded when it is appended).
        let sets_list = op != Op::Add || patch.value.as_ref().is_some_and(Value::is_array);
        match tokens.as_slice() {
            [attr] => match attr.as_str() {
                "title" => self.title = true,
                "favorite" => self.favorite = true,
                "tags" => self.tags |= sets_list,
                "urls" => self.urls |= sets_list,
                "fields" => self.fields.all |= sets_list,
                "sections" => self.sections.all |= sets_list,
                _ => {}
            },
            [list, id, rest @ ..] if list == "fields" || list == "sections" => {
                let part = if list == "fields" {
                    &mut self.fields
                } else {
                    &mut self.sections
                };
                match (rest, op) {
                    ([], Op::Add | Op::Replace) if id != "-" => {
                        part.whole.insert(id.clone());
                        part.values.insert(id.clone());
                    }
                    ([attr], _) if matches!(attr.as_str(), "value" | "generate" | "recipe") => {
                        part.values.insert(id.clone());
                    }
                    ([attr], _) if attr == "type" => {
                        part.types.insert(id.clone());
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// An element the patch appended with this id: the client defined all of it.
    pub(super) fn appended(&mut self, list: &str, id: &str) {
        let part = if list == "fields" {
            &mut self.fields
        } else {
            &mut self.sections
        };
        part.whole.insert(id.to_string());
        part.values.insert(id.to_string());
    }

    /// A field whose type the request changes while keeping the stored value: validating that
    /// value against the new type would tell a token that cannot read it whether the value is a
    /// date, a month or an OTP secret.
    pub fn type_change_keeping_value(&self) -> Option<&str> {
        if self.everything || self.fields.all {
            return None;
        }
        self.fields
            .types
            .iter()
            .find(|id| !self.fields.values.contains(*id))
            .map(String::as_str)
    }

    pub fn title(&self) -> bool {
        self.everything || self.title
    }

    pub fn favorite(&self) -> bool {
        self.everything || self.favorite
    }

    pub fn tags(&self) -> bool {
        self.everything || self.tags
    }

    pub fn urls(&self) -> bool {
        self.everything || self.urls
    }

    pub fn field(&self, id: &str) -> bool {
        self.everything || self.fields.shows(id)
    }

    pub fn section(&self, id: &str) -> bool {
        self.everything || self.sections.shows(id)
    }
}
