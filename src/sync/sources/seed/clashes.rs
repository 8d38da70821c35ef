//! The messages for two vaults, items, files or fields that would share an id, naming both sides
//! by position (names and titles stay out of messages, which reach the unauthenticated
//! `/health`).

use crate::text::quote;

use super::fields::{FieldSpec, IdOrigin};

/// One vault, item or file as first seen, to name both sides of an id clash. Its name is not
/// kept: two derived ids of one scope are the same exactly when the names they derive from are.
#[derive(Clone, Copy)]
pub(super) struct Seen {
    pub(super) position: usize,
    pub(super) explicit_id: bool,
}

pub(super) fn field_clash(at: &str, first: &FieldSpec, second: &FieldSpec) -> String {
    let (a, b) = (&first.name, &second.name);
    match (first.origin, second.origin) {
        (IdOrigin::BuiltIn, IdOrigin::BuiltIn) => format!(
            "{at}: {a} and {b} both set the built-in {} field; use only one of them",
            quote(&first.id, 60)
        ),
        (IdOrigin::Derived, IdOrigin::Derived) => format!(
            "{at}: {a} and {b} have the same label in the same section and would share an id; give one of them an `id`"
        ),
        _ => format!("{at}: {a} and {b} have the same id"),
    }
}

/// `what` is `vault`, `item` or `file`. The id is not shown: a derived id is a hash of a name.
pub(super) fn clash(what: &str, first: &Seen, second: &Seen, _id: &str) -> String {
    let (a, b) = (first.position, second.position);
    if !first.explicit_id && !second.explicit_id {
        let called = if what == "item" { "title" } else { "name" };
        format!(
            "{what}s #{a} and #{b} have the same {called} and would share an id; give one of them an `id`"
        )
    } else {
        format!("{what}s #{a} and #{b} have the same id")
    }
}
