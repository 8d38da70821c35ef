//! The messages for two vaults, items, files or fields that would share an id, naming both sides.

use crate::text::quote;

use super::fields::{FieldSpec, IdOrigin};

/// One vault or item as first seen, to name both sides of an id clash.
pub(super) struct Seen {
    pub(super) position: usize,
    pub(super) name: String,
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
        _ => format!(
            "{at}: {a} and {b} have the same id {}",
            quote(&first.id, 60)
        ),
    }
}

pub(super) fn clash(what: &str, first: &Seen, second: &Seen, id: &str) -> String {
    if first.name == second.name && !first.explicit_id && !second.explicit_id {
        format!(
            "{what}s #{} and #{} are both named {} and would share an id; give one of them an `id`",
            first.position,
            second.position,
            quote(&first.name, 60)
        )
    } else {
        format!(
            "{what}s #{} {} and #{} {} have the same id {id}",
            first.position,
            quote(&first.name, 60),
            second.position,
            quote(&second.name, 60)
        )
    }
}
