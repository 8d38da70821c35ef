//! Ids for what an export names: the export's own uuid when it already has Connect's shape,
//! otherwise a stable id derived from where the thing sits in the export; unique either way.

use std::collections::HashSet;

use crate::ids;

/// The API refuses longer section and field ids, so longer ones from an export are replaced.
pub(super) const MAX_ID_CHARS: usize = 128;

/// The export's own id when it already has Connect's shape (after lowercasing), else one derived
/// from `key()`. The key is only made when needed: for most items it is not, and formatting one
/// for every item was a tenth of the cost of reading an unchanged item's head.
pub(super) fn source_id(uuid: &str, namespace: &str, key: impl Fn() -> String) -> String {
    let lower = uuid.to_ascii_lowercase();
    if ids::is_valid_id(&lower) {
        lower
    } else {
        ids::derived_id(namespace, &key())
    }
}

/// `preferred` if it is still free, else the first free id derived from `key#1`, `key#2`, …
/// (`key()` is only made then).
pub(super) fn unique_id(
    used: &mut HashSet<String>,
    namespace: &str,
    preferred: Option<String>,
    key: impl Fn() -> String,
) -> String {
    if let Some(id) = preferred {
        if used.insert(id.clone()) {
            return id;
        }
    }
    let key = key();
    (1u64..)
        .map(|n| ids::derived_id(namespace, &format!("{key}#{n}")))
        .find(|id| used.insert(id.clone()))
        .expect("derived ids do not run out")
}
