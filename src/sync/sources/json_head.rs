//! Reading the first few keys of a JSON mapping and no more: a file source asks the store whether
//! it holds an item before building it, and what it asks with (an id, a title…) usually comes
//! first in the item's text. The visitor stops the read with [`Stop::now`] once it knows enough;
//! the rest of the text is then neither parsed nor checked.

use std::cell::Cell;

use serde::de::{self, Deserializer, Visitor};

/// Whether the visitor stopped the read. A flag rather than a marker in the error's message:
/// telling the two apart by the message formatted it for every item read, a tenth of the cost
/// of reading an unchanged item's head.
#[derive(Default)]
pub(crate) struct Stop(Cell<bool>);

impl Stop {
    /// The error a head visitor returns once it has what it needs.
    pub(crate) fn now<E: de::Error>(&self) -> E {
        self.0.set(true);
        E::custom("json head known")
    }
}

/// Runs `visitor` (which holds `stop`) over the mapping `de` reads. `Err(())` when the text is
/// not JSON, not a mapping, or the visitor refused it; when the visitor did not stop early, the
/// whole text must be one JSON value.
pub(crate) fn read<'de, R, V>(
    mut de: serde_json::Deserializer<R>,
    visitor: V,
    stop: &Stop,
) -> Result<(), ()>
where
    R: serde_json::de::Read<'de>,
    V: Visitor<'de, Value = ()>,
{
    match de.deserialize_map(visitor) {
        Ok(()) => de.end().map_err(|_| ()),
        Err(_) if stop.0.get() => Ok(()),
        Err(_) => Err(()),
    }
}
