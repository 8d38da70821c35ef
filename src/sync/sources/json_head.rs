//! Reading the first few keys of a JSON mapping and no more: a file source asks the store whether
//! it holds an item before building it, and what it asks with (an id, a title…) usually comes
//! first in the item's text. The visitor stops the read with [`stop`] once it knows enough; the
//! rest of the text is then neither parsed nor checked.

use serde::de::{self, Deserializer, Visitor};

/// The message of the error a visitor stops with; never shown to anyone.
const STOP: &str = "json head known";

/// The error a head visitor returns once it has what it needs.
pub(crate) fn stop<E: de::Error>() -> E {
    E::custom(STOP)
}

/// Runs `visitor` over the mapping `de` reads. `Err(())` when the text is not JSON, not a
/// mapping, or the visitor refused it; when the visitor did not stop early, the whole text must
/// be one JSON value.
pub(crate) fn read<'de, R, V>(mut de: serde_json::Deserializer<R>, visitor: V) -> Result<(), ()>
where
    R: serde_json::de::Read<'de>,
    V: Visitor<'de, Value = ()>,
{
    match de.deserialize_map(visitor) {
        Ok(()) => de.end().map_err(|_| ()),
        Err(e) if e.is_data() && e.to_string().starts_with(STOP) => Ok(()),
        Err(_) => Err(()),
    }
}
