//! A JSON seed file read as a stream: the root and each vault are walked key by key with the
//! shared scanner ([`crate::sync::sources::json_scan`]) and each item is cut out as its raw text,
//! so only one item is held at a time (plus one read chunk). The messages are the tree walk's
//! (`walk`).
//!
//! The scanner only finds where values end; each value is then parsed from its slice. When any
//! of that finds the text is not JSON, the message comes from serde_json's check of the whole
//! document (`locate`), so that it names the line and column as a parse of the whole file would:
//! everything before the fault was valid, so its first error is the same fault.
//!
//! A vault's `items` are streamed when its `name` or `id` comes before them (as every generated
//! file has it); otherwise they are held until the vault's mapping ends.

use std::io::Read;

use serde::de::IgnoredAny;

use super::document::{mapping, non_empty_text, Node};
use super::keys::ROOT_KEYS;
use super::walk::{
    check_version, vault_at, vaults_not_a_list, ItemText, VaultWalk, Walker, VAULTS_REQUIRED,
};
use crate::ids;
use crate::sync::sources::json_scan::{Fail, Kind, Scanner};

/// Why the walk stopped.
enum Stop {
    /// The walk's own message (a rule of the seed format).
    Walk(String),
    /// The text is not JSON; the scanner's message, used when `locate` finds nothing.
    Json(String),
    /// Reading failed.
    Io(std::io::Error),
}

impl From<Fail> for Stop {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::Io(e) => Stop::Io(e),
            Fail::Syntax(message) | Fail::Data(message) => Stop::Json(message),
            Fail::Source(e) => Stop::Walk(e.to_string()),
        }
    }
}

/// Walks the JSON document `reader` yields. `locate` checks the whole document again and returns
/// serde_json's message for its first fault, if it finds one; it only runs when the walk found
/// the text is not JSON.
pub(super) fn stream_json<R: Read>(
    reader: R,
    walker: &mut Walker<'_>,
    locate: &dyn Fn() -> Option<String>,
) -> Result<(), String> {
    let mut scan = Scanner::new(reader);
    match root(&mut scan, walker) {
        Ok(()) => Ok(()),
        Err(Stop::Walk(message)) => Err(message),
        Err(Stop::Json(message)) => Err(format!("invalid JSON: {}", locate().unwrap_or(message))),
        Err(Stop::Io(e)) => Err(format!("cannot read the file: {e}")),
    }
}

/// What a message calls a kind of value (the tree walk's words).
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Object => "a mapping",
        Kind::List => "a list",
        Kind::Text => "text",
        Kind::Number => "a number",
        Kind::Boolean => "true/false",
        Kind::Null => "null",
    }
}

/// The kind of the next value. A scalar is checked (and consumed) first, as a parser would read
/// it before seeing it is the wrong kind; an object or list is left for the caller.
fn kind_of<R: Read>(scan: &mut Scanner<R>) -> Result<Kind, Stop> {
    let kind = scan.kind()?;
    if !matches!(kind, Kind::Object | Kind::List) {
        scan.skip()?;
    }
    Ok(kind)
}

/// The next value, parsed.
fn value<R: Read>(scan: &mut Scanner<R>) -> Result<Node, Stop> {
    let raw = scan.cut()?;
    serde_json::from_slice::<serde_json::Value>(raw)
        .map(Node::from_json)
        .map_err(|e| Stop::Json(e.to_string()))
}

fn root<R: Read>(scan: &mut Scanner<R>, walker: &mut Walker<'_>) -> Result<(), Stop> {
    match kind_of(scan)? {
        Kind::Object => {}
        Kind::Null => {
            return Err(Stop::Walk(
                "the file is empty; expected a mapping with a `vaults` list".into(),
            ))
        }
        kind => {
            return Err(Stop::Walk(format!(
                "top level: the document must be a mapping, not {}",
                kind_name(kind)
            )))
        }
    }
    scan.open()?;
    let mut vaults = false;
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        match key.as_str() {
            "vaults" if vaults => {
                return Err(Stop::Walk("top level: `vaults` is given twice".into()))
            }
            "vaults" => vaults = vault_list(scan, walker)?,
            "version" => check_version(&value(scan)?).map_err(Stop::Walk)?,
            _ => {
                let probe = Node::Map(vec![(key, Node::Null)]);
                mapping(&probe, ROOT_KEYS, "top level", "the document").map_err(Stop::Walk)?;
                scan.skip()?;
            }
        }
    }
    if !vaults {
        return Err(Stop::Walk(VAULTS_REQUIRED.into()));
    }
    scan.end()?;
    Ok(())
}

/// The `vaults` list; `true` once walked (`null` counts as absent).
fn vault_list<R: Read>(scan: &mut Scanner<R>, walker: &mut Walker<'_>) -> Result<bool, Stop> {
    match kind_of(scan)? {
        Kind::List => {}
        Kind::Null => return Ok(false),
        kind => return Err(Stop::Walk(vaults_not_a_list(kind_name(kind)))),
    }
    scan.open()?;
    let mut index = 0;
    while scan.next_element(index == 0)? {
        vault(scan, walker, index)?;
        index += 1;
    }
    Ok(true)
}

/// The vault's id from the keys read so far, if they settle it.
fn early_id(entries: &[(String, Node)]) -> Option<String> {
    match non_empty_text(entries, "id", "").ok()? {
        Some(id) => Some(id),
        None => non_empty_text(entries, "name", "")
            .ok()?
            .map(|name| ids::derived_id("seed-vault", &name)),
    }
}

fn vault<R: Read>(
    scan: &mut Scanner<R>,
    walker: &mut Walker<'_>,
    index: usize,
) -> Result<(), Stop> {
    let at = vault_at(index);
    let kind = kind_of(scan)?;
    if kind != Kind::Object {
        return Err(Stop::Walk(format!(
            "{at}: a vault must be a mapping, not {}",
            kind_name(kind)
        )));
    }
    scan.open()?;
    let mut entries: Vec<(String, Node)> = Vec::new();
    let mut walked: Option<VaultWalk> = None;
    let mut held: Vec<String> = Vec::new();
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        if key != "items" {
            entries.push((key, value(scan)?));
            continue;
        }
        let early = early_id(&entries).filter(|_| walked.is_none());
        let mut walk = early.map(|id| VaultWalk::new(id, index));
        items(scan, walker, &at, walk.as_mut(), &mut held)?;
        walked = walk.or(walked);
        // `items` is checked as a list here; the tree walk sees an empty one.
        entries.push((key, Node::List(Vec::new())));
    }
    let (vault, explicit) = walker
        .ctx
        .vault_header(&Node::Map(entries), index)
        .map_err(Stop::Walk)?;
    let mut walk = match walked {
        Some(walk) if walk.id != vault.id => {
            return Err(Stop::Walk(format!(
                "{at}: give the vault's `id` before its `items`"
            )))
        }
        Some(walk) => walk,
        None => VaultWalk::new(vault.id.clone(), index),
    };
    for raw in &held {
        item(walker, &mut walk, raw)?;
    }
    walker
        .vault_done(vault, explicit, index)
        .map_err(Stop::Walk)
}

/// A vault's `items`: walked one by one when the vault's id is known (`walk`), else held.
fn items<R: Read>(
    scan: &mut Scanner<R>,
    walker: &mut Walker<'_>,
    at: &str,
    mut walk: Option<&mut VaultWalk>,
    held: &mut Vec<String>,
) -> Result<(), Stop> {
    match kind_of(scan)? {
        Kind::List => {}
        Kind::Null => return Ok(()),
        kind => {
            return Err(Stop::Walk(format!(
                "{at}: `items` must be a list, not {}",
                kind_name(kind)
            )))
        }
    }
    scan.open()?;
    let mut first = true;
    while scan.next_element(first)? {
        first = false;
        let raw = std::str::from_utf8(scan.cut()?)
            .map_err(|_| Stop::Json("an item is not UTF-8 text".into()))?;
        match walk.as_deref_mut() {
            Some(walk) => item(walker, walk, raw)?,
            None => held.push(raw.to_string()),
        }
    }
    Ok(())
}

/// One item's raw text to the walker. Its JSON is parsed there; a failure that turns out to be
/// bad JSON (rather than a rule of the format) is reported as such.
fn item(walker: &mut Walker<'_>, walk: &mut VaultWalk, raw: &str) -> Result<(), Stop> {
    walker.item(walk, ItemText::Json(raw)).map_err(|message| {
        match serde_json::from_str::<IgnoredAny>(raw) {
            Err(e) => Stop::Json(e.to_string()),
            Ok(_) => Stop::Walk(message),
        }
    })
}
