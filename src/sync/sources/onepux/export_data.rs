//! Walks `export.data` (accounts → vaults → items) as a stream and hands each vault, then each of
//! its items as raw JSON, to a [`Walk`]: memory follows one item, not the export.
//!
//! An account's or vault's `attrs` are needed before its list (ids derive from them); exports put
//! them first, and a list that comes before its `attrs` is kept as text until the object ends.

use std::io::{Read, Seek};

use serde_json::{Map, Value};
use zip::ZipArchive;

use super::archive::Limited;
use super::import::Importer;
use super::json::{kind_of, text};
use crate::model::VaultType;
use crate::sync::source::SourceError;
use crate::sync::sources::json_scan::{Fail, Kind, Scanner};
use crate::sync::sources::read_ahead::read_ahead;

/// Reads the `export.data` entry at `index` into `importer`, inflating it as a stream and
/// refusing it once it inflates beyond its cap.
pub(super) fn read<R: Read + Seek + Send, F: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    importer: &mut Importer<'_, F>,
    name: &str,
) -> Result<(), SourceError> {
    let entry = archive.by_index(index).map_err(|e| {
        SourceError::Unavailable(format!("cannot read export.data from {name}: {e}"))
    })?;
    let cap = importer
        .budget
        .cap(entry.compressed_size(), importer.budget.data());
    // Inflated on a thread of its own while the items already inflated are walked.
    let limited = Limited::new(entry, cap.bytes);
    let (result, limited) = read_ahead(limited, |ahead| walk(&mut Scanner::new(ahead), importer));
    result.map_err(|fail| match fail {
        _ if limited.exceeded => cap.exceeded("export.data", name),
        Fail::Io(e) => {
            SourceError::Unavailable(format!("cannot read export.data from {name}: {e}"))
        }
        Fail::Syntax(e) => {
            SourceError::Invalid(format!("{name}: export.data is not valid JSON: {e}"))
        }
        Fail::Data(e) => SourceError::Invalid(format!("{name}: export.data: {e}")),
        Fail::Source(e) => e,
    })
}

/// What the ids of an account's vaults derive from.
pub(super) struct AccountInfo {
    pub(super) uuid: String,
}

pub(super) struct VaultInfo {
    pub(super) uuid: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) vault_type: VaultType,
}

/// Where an item sits in the export, for messages.
#[derive(Clone, Copy)]
pub(super) struct ItemAt {
    pub(super) account: usize,
    pub(super) vault: usize,
    pub(super) index: usize,
}

impl std::fmt::Display for ItemAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "accounts[{}].vaults[{}].items[{}]",
            self.account, self.vault, self.index
        )
    }
}

/// Receives the export in order: a vault, then its items.
pub(super) trait Walk {
    fn vault(&mut self, account: &AccountInfo, vault: VaultInfo) -> Result<(), Fail>;
    fn item(&mut self, raw: &[u8], at: ItemAt) -> Result<(), Fail>;
}

/// Walks the whole of `export.data`, which must be exactly one JSON object.
pub(super) fn walk<R: Read>(scan: &mut Scanner<R>, visit: &mut dyn Walk) -> Result<(), Fail> {
    let kind = scan.kind()?;
    if kind != Kind::Object {
        return Err(Fail::Data(format!(
            "expected an object with an \"accounts\" list, found {}",
            kind.name()
        )));
    }
    scan.open()?;
    let mut seen = false;
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        if key == "accounts" && !seen {
            seen = accounts(scan, visit)?;
        } else {
            scan.skip()?;
        }
    }
    scan.end()?;
    if seen {
        Ok(())
    } else {
        Err(Fail::Data("there is no \"accounts\" list".into()))
    }
}

/// Whether the next value is a list; `null` is skipped and is the same as no list.
fn list<R: Read>(scan: &mut Scanner<R>, what: impl Fn() -> String) -> Result<bool, Fail> {
    match scan.kind()? {
        Kind::List => {
            scan.open()?;
            Ok(true)
        }
        Kind::Null => {
            scan.skip()?;
            Ok(false)
        }
        other => Err(Fail::Data(format!(
            "expected {} to be a list, found {}",
            what(),
            other.name()
        ))),
    }
}

fn object<R: Read>(scan: &mut Scanner<R>, path: &str) -> Result<(), Fail> {
    match scan.kind()? {
        Kind::Object => scan.open(),
        other => Err(Fail::Data(format!(
            "expected {path} to be an object, found {}",
            other.name()
        ))),
    }
}

/// `false` when the list is `null`.
fn accounts<R: Read>(scan: &mut Scanner<R>, visit: &mut dyn Walk) -> Result<bool, Fail> {
    if !list(scan, || "\"accounts\"".into())? {
        return Ok(false);
    }
    let mut index = 0;
    while scan.next_element(index == 0)? {
        account(scan, visit, index)?;
        index += 1;
    }
    Ok(true)
}

fn account<R: Read>(scan: &mut Scanner<R>, visit: &mut dyn Walk, a: usize) -> Result<(), Fail> {
    let path = format!("accounts[{a}]");
    object(scan, &path)?;
    let mut info = None;
    let mut listed = false;
    let mut held = None;
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        if key == "attrs" {
            let attrs = attrs(scan, &path)?;
            info = Some(AccountInfo {
                uuid: attr(&attrs, &path, "uuid")?.trim().to_string(),
            });
        } else if key == "vaults" && !listed {
            match &info {
                Some(info) => listed = vaults(scan, visit, a, info)?,
                None => (listed, held) = hold(scan)?,
            }
        } else {
            scan.skip()?;
        }
    }
    if let Some(raw) = held {
        let info = info.unwrap_or(AccountInfo {
            uuid: String::new(),
        });
        vaults(&mut Scanner::new(raw.as_slice()), visit, a, &info)?;
    }
    Ok(())
}

/// Keeps a list whose `attrs` have not been read yet (`null` is skipped, as no list).
fn hold<R: Read>(scan: &mut Scanner<R>) -> Result<(bool, Option<Vec<u8>>), Fail> {
    if scan.kind()? == Kind::Null {
        scan.skip()?;
        return Ok((false, None));
    }
    Ok((true, Some(scan.cut()?.to_vec())))
}

/// `false` when the list is `null`.
fn vaults<R: Read>(
    scan: &mut Scanner<R>,
    visit: &mut dyn Walk,
    a: usize,
    account: &AccountInfo,
) -> Result<bool, Fail> {
    if !list(scan, || format!("accounts[{a}].vaults"))? {
        return Ok(false);
    }
    let mut index = 0;
    while scan.next_element(index == 0)? {
        vault(scan, visit, account, (a, index))?;
        index += 1;
    }
    Ok(true)
}

fn vault<R: Read>(
    scan: &mut Scanner<R>,
    visit: &mut dyn Walk,
    account: &AccountInfo,
    (a, v): (usize, usize),
) -> Result<(), Fail> {
    let path = format!("accounts[{a}].vaults[{v}]");
    object(scan, &path)?;
    let mut info = None;
    let mut started = false;
    let mut listed = false;
    let mut held = None;
    let mut first = true;
    while let Some(key) = scan.next_key(first)? {
        first = false;
        if key == "attrs" {
            info = Some(vault_info(&attrs(scan, &path)?, &path)?);
        } else if key == "items" && !listed {
            match info.take() {
                Some(info) if !started => {
                    started = true;
                    visit.vault(account, info)?;
                    listed = items(scan, visit, &path, (a, v))?;
                }
                _ if started => listed = items(scan, visit, &path, (a, v))?,
                _ => (listed, held) = hold(scan)?,
            }
        } else {
            scan.skip()?;
        }
    }
    if !started {
        let info = match info {
            Some(info) => info,
            None => vault_info(&Map::new(), &path)?,
        };
        visit.vault(account, info)?;
    }
    if let Some(raw) = held {
        items(&mut Scanner::new(raw.as_slice()), visit, &path, (a, v))?;
    }
    Ok(())
}

/// `false` when the list is `null`.
fn items<R: Read>(
    scan: &mut Scanner<R>,
    visit: &mut dyn Walk,
    path: &str,
    (account, vault): (usize, usize),
) -> Result<bool, Fail> {
    if !list(scan, || format!("{path}.items"))? {
        return Ok(false);
    }
    let mut index = 0;
    while scan.next_element(index == 0)? {
        let raw = scan.cut()?;
        visit.item(
            raw,
            ItemAt {
                account,
                vault,
                index,
            },
        )?;
        index += 1;
    }
    Ok(true)
}

/// An `attrs` object (`null` is an empty one).
fn attrs<R: Read>(scan: &mut Scanner<R>, path: &str) -> Result<Map<String, Value>, Fail> {
    let raw = scan.cut()?;
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(attrs)) => Ok(attrs),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Fail::Data(format!(
            "{path}.attrs: expected an object, found {}",
            kind_of(&other)
        ))),
        Err(e) => Err(Fail::Syntax(format!("{path}.attrs: {e}"))),
    }
}

fn attr(attrs: &Map<String, Value>, path: &str, key: &str) -> Result<String, Fail> {
    text(attrs, key)
        .map(Option::unwrap_or_default)
        .map_err(|e| Fail::Data(format!("{path}.attrs.{e}")))
}

fn vault_info(attrs: &Map<String, Value>, path: &str) -> Result<VaultInfo, Fail> {
    Ok(VaultInfo {
        uuid: attr(attrs, path, "uuid")?.trim().to_string(),
        name: attr(attrs, path, "name")?,
        description: attr(attrs, path, "desc")?,
        vault_type: vault_type(&attr(attrs, path, "type")?),
    })
}

fn vault_type(code: &str) -> VaultType {
    match code.trim().to_ascii_uppercase().as_str() {
        "P" => VaultType::Personal,
        "E" => VaultType::Everyone,
        "T" => VaultType::Transfer,
        _ => VaultType::UserCreated,
    }
}
