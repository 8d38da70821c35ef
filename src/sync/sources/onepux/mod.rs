//! Reads a 1Password 8 export (`.1pux`): a zip holding `export.attributes`, `export.data` (JSON:
//! accounts → vaults → items) and `files/<documentId>__<fileName>` for documents and attachments.
//! Format notes: `shared/reference/formats.md` §1.
//!
//! Mapping decisions (where formats.md is silent, the choice a 1Password user moving to Connect
//! would expect):
//!
//! * **Vaults.** Every account's vaults, in export order. Type `P` → PERSONAL, `E` → EVERYONE,
//!   `U` → USER_CREATED, `T` (1Password's transfer vaults) → TRANSFER, anything else →
//!   USER_CREATED. The id is the export's uuid, lowercased, when that is 26 characters of
//!   `[a-z0-9]`; otherwise `derived_id("1pux-vault", "<account uuid>/<vault uuid>")` (a vault
//!   without a uuid uses its name).
//! * **Items.** Same rule for ids, with `derived_id("1pux-item", "<vault id>/<item uuid>")`; an
//!   item without a uuid is keyed by category, title and how many such items came before it.
//!   `categoryUuid` follows formats.md §1.6; an unknown or missing code is CUSTOM (as the Go SDK
//!   does), `099` (a tombstone) is skipped. State `archived` → `ARCHIVED`; `trashed` and `deleted`
//!   items are not imported; any other state is imported as active. `favIndex > 0` is a favourite.
//! * **URLs.** `overview.urls` in order; the entry equal to `overview.url` is primary (prepended
//!   if it is not in the list), otherwise the first one.
//! * **Built-in fields.** The `username`/`password` designations of `loginFields`, category 005's
//!   `details.password` (or any item's, when no login field is designated) and `notesPlain` become
//!   the top-level `username`, `password` and `notesPlain` fields with their purposes. As in the
//!   API path, the category's built-ins come first (username, password, notesPlain for LOGIN;
//!   password, notesPlain for PASSWORD; notesPlain for the rest) and missing ones are added empty.
//!   Other login fields with a value (web-form extras) become section-less fields: `P` →
//!   CONCEALED, `E` → EMAIL, `U` → URL, `TEL` → PHONE, the rest STRING; empty ones are dropped.
//! * **Sections and fields.** A section's id is its `name`, or a derived id when the name is empty
//!   or over 128 characters; sections with neither a title nor fields (empty template sections)
//!   are dropped. Field ids are the export's, or derived from section and label when empty; ids
//!   are made unique within the item (a later duplicate gets a derived id). Value kinds follow
//!   formats.md §1.5.1, with DATE as Unix seconds (what Connect returns), MONTH_YEAR `YYYYMM`
//!   (`0` means unset), ADDRESS flattened to `street\ncity, state zip\ncountry`, SSHKEY the
//!   private key (the PKCS#8 `metadata.privateKey` when present), FILE the file name. A kind this
//!   parser does not know is kept as an UNKNOWN field with its text (objects as compact JSON)
//!   rather than failing the import. Empty values are stored as "no value".
//! * **Files.** A `file` field, or a DOCUMENT item's `documentAttributes`, becomes a
//!   [`SourceFile`] whose id is the `documentId` (or derived from it), with the bytes of
//!   `files/<documentId>__<fileName>` (or the only `files/<documentId>__*` entry, if the name was
//!   changed on the way). formats.md says nothing about exports leaving files out, so a missing
//!   file is an `Invalid` error naming the item: importing without it would silently drop data.
//! * **Errors.** An unreadable file, a bad zip or a zip without `export.data` is `Unavailable`;
//!   anything wrong inside is `Invalid`, with the path to the bad value (never the value itself).
//!   Keys may be missing or `null`; a value of the wrong JSON type is an error, except that
//!   numbers are accepted where text is expected.
//!
//! `export.data` is parsed as a stream, one item at a time, so memory stays proportional to the
//! snapshot rather than to the JSON tree of the whole export.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use zip::ZipArchive;

use crate::sync::source::{Snapshot, SnapshotVault, SourceError, SourceFile, SourceItem, SourceVault};
use crate::model::fields::values as field_values;
use crate::ids;
use crate::model::{
    Category, FieldType, ItemBodyData, ItemData, ItemSummaryData, Purpose, StoredField,
    StoredSection, StoredUrl, VaultType,
};

#[cfg(test)]
pub(crate) mod testgen;

/// The largest `export.data` or single file read from an archive (a guard against zip bombs).
const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// The most file content (documents and attachments together) one import may hold in memory.
const MAX_TOTAL_FILE_BYTES: u64 = 2 << 30;
/// `export.attributes` is a few dozen bytes.
const MAX_ATTRIBUTES_BYTES: u64 = 1 << 20;
/// The API refuses longer section and field ids, so longer ones from an export are replaced.
const MAX_ID_CHARS: usize = 128;

/// Parses a 1PUX archive (a zip: export.attributes, export.data, files/…).
pub fn parse(bytes: &[u8]) -> Result<Snapshot, SourceError> {
    parse_archive(Cursor::new(bytes), "the input")
}

/// Parses the 1PUX archive at `path`. A missing or unreadable file, or one that is not a zip,
/// is [`SourceError::Unavailable`] with the path.
pub fn parse_file(path: &Path) -> Result<Snapshot, SourceError> {
    let name = path.display().to_string();
    let unreadable =
        |e: &dyn fmt::Display| SourceError::Unavailable(format!("cannot read {name}: {e}"));
    let file = File::open(path).map_err(|e| unreadable(&e))?;
    let metadata = file.metadata().map_err(|e| unreadable(&e))?;
    if !metadata.is_file() {
        return Err(unreadable(&"not a regular file"));
    }
    parse_archive(BufReader::new(file), &name)
}

fn parse_archive<R: Read + Seek>(reader: R, name: &str) -> Result<Snapshot, SourceError> {
    let not_1pux = |why: &dyn fmt::Display| {
        SourceError::Unavailable(format!("{name} is not a 1PUX archive: {why}"))
    };
    let mut archive = ZipArchive::new(reader).map_err(|e| not_1pux(&e))?;
    let entries = Entries::index(&archive);
    let Some(data_index) = entries.export_data else {
        return Err(not_1pux(&"it has no export.data"));
    };

    if let Some(index) = entries.export_attributes {
        let bytes = read_entry(
            &mut archive,
            index,
            MAX_ATTRIBUTES_BYTES,
            "export.attributes",
            name,
        )?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(_)) => {}
            Ok(_) => {
                return Err(SourceError::Invalid(format!(
                    "{name}: export.attributes is not a JSON object"
                )))
            }
            Err(e) => {
                return Err(SourceError::Invalid(format!(
                    "{name}: export.attributes is not valid JSON: {e}"
                )))
            }
        }
    }

    let accounts = {
        let entry = archive.by_index(data_index).map_err(|e| {
            SourceError::Unavailable(format!("cannot read export.data from {name}: {e}"))
        })?;
        let mut limited = Limited::new(entry, MAX_ENTRY_BYTES);
        let result = {
            let reader = BufReader::with_capacity(64 * 1024, &mut limited);
            let mut de = serde_json::Deserializer::from_reader(reader);
            ExportSeed { entries: &entries }
                .deserialize(&mut de)
                .and_then(|accounts| de.end().map(|()| accounts))
        };
        result.map_err(|e| {
            if limited.exceeded {
                SourceError::Invalid(format!(
                    "{name}: export.data is larger than {} MiB",
                    MAX_ENTRY_BYTES >> 20
                ))
            } else {
                json_error(name, &e)
            }
        })?
    };

    let (mut snapshot, reads) = finish(accounts);
    let mut total = 0u64;
    for read in reads {
        let entry_name = entries
            .names
            .get(&read.entry)
            .map_or("a file", String::as_str);
        let content = read_entry(&mut archive, read.entry, MAX_ENTRY_BYTES, entry_name, name)?;
        total += content.len() as u64;
        if total > MAX_TOTAL_FILE_BYTES {
            return Err(SourceError::Invalid(format!(
                "{name}: the files in the export add up to more than {} MiB",
                MAX_TOTAL_FILE_BYTES >> 20
            )));
        }
        snapshot.vaults[read.vault].items[read.item].files[read.file].content = content;
    }
    Ok(snapshot)
}

fn json_error(name: &str, e: &serde_json::Error) -> SourceError {
    match e.classify() {
        serde_json::error::Category::Io => {
            SourceError::Unavailable(format!("cannot read export.data from {name}: {e}"))
        }
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            SourceError::Invalid(format!("{name}: export.data is not valid JSON: {e}"))
        }
        serde_json::error::Category::Data => {
            SourceError::Invalid(format!("{name}: export.data: {e}"))
        }
    }
}

/// Reads a whole zip entry, refusing more than `limit` bytes whatever its header claims.
fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    limit: u64,
    what: &str,
    name: &str,
) -> Result<Vec<u8>, SourceError> {
    let unreadable = |e: &dyn fmt::Display| {
        SourceError::Unavailable(format!("cannot read {what} from {name}: {e}"))
    };
    let too_big =
        || SourceError::Invalid(format!("{name}: {what} is larger than {} MiB", limit >> 20));
    let entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
    if entry.size() > limit {
        return Err(too_big());
    }
    let capacity = usize::try_from(entry.size().min(64 << 20)).unwrap_or(0);
    let mut content = Vec::with_capacity(capacity);
    entry
        .take(limit + 1)
        .read_to_end(&mut content)
        .map_err(|e| unreadable(&e))?;
    if content.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(content)
}

/// A reader that fails once more than `limit` bytes were read through it.
struct Limited<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R> Limited<R> {
    fn new(inner: R, limit: u64) -> Self {
        Limited {
            inner,
            left: limit,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.exceeded = true;
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "entry too large",
                ))
            }
        }
    }
}

/// The archive's entries that matter, by name.
#[derive(Default)]
struct Entries {
    export_data: Option<usize>,
    export_attributes: Option<usize>,
    /// `files/…` entry name → index.
    files: HashMap<String, usize>,
    /// `documentId` → indexes of the `files/<documentId>__…` entries.
    by_document: HashMap<String, Vec<usize>>,
    /// Index → name, for the files that are read.
    names: HashMap<usize, String>,
}

impl Entries {
    fn index<R: Read + Seek>(archive: &ZipArchive<R>) -> Self {
        let mut entries = Entries::default();
        for (index, name) in archive.file_names().enumerate() {
            // A name that cannot be decoded cannot be one the export refers to.
            let Ok(name) = name else { continue };
            match name.as_ref() {
                "export.data" => {
                    entries.export_data.get_or_insert(index);
                }
                "export.attributes" => {
                    entries.export_attributes.get_or_insert(index);
                }
                other => {
                    let Some(rest) = other.strip_prefix("files/") else {
                        continue;
                    };
                    if rest.is_empty() || rest.ends_with('/') {
                        continue;
                    }
                    if let Some((document, _)) = rest.split_once("__") {
                        entries
                            .by_document
                            .entry(document.to_string())
                            .or_default()
                            .push(index);
                    }
                    entries.names.insert(index, other.to_string());
                    entries.files.entry(other.to_string()).or_insert(index);
                }
            }
        }
        entries
    }

    /// The entry holding a document's bytes.
    fn find(&self, document_id: &str, file_name: &str) -> Option<usize> {
        self.files
            .get(&format!("files/{document_id}__{file_name}"))
            .copied()
            .or_else(
                || match self.by_document.get(document_id).map(Vec::as_slice) {
                    Some([only]) => Some(*only),
                    _ => None,
                },
            )
            .or_else(|| self.files.get(&format!("files/{document_id}")).copied())
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming export.data: accounts → vaults → items, each item parsed and converted on its own.

struct PendingAccount {
    uuid: String,
    vaults: Vec<PendingVault>,
}

struct PendingVault {
    uuid: String,
    name: String,
    description: String,
    vault_type: VaultType,
    items: Vec<PendingItem>,
}

struct PendingItem {
    /// The export's uuid, trimmed; empty when it has none.
    uuid: String,
    /// `id` is filled in by [`finish`], once the vault id is known.
    item: SourceItem,
    /// For each of `item.files`, the archive entry holding its bytes.
    file_entries: Vec<usize>,
}

struct FileRead {
    vault: usize,
    item: usize,
    file: usize,
    entry: usize,
}

struct ExportSeed<'e> {
    entries: &'e Entries,
}

impl<'de> DeserializeSeed<'de> for ExportSeed<'_> {
    type Value = Vec<PendingAccount>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ExportSeed<'_> {
    type Value = Vec<PendingAccount>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with an \"accounts\" list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut accounts = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "accounts" && accounts.is_none() {
                accounts = map.next_value_seed(ListSeed {
                    entries: self.entries,
                    level: Level::Accounts,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match accounts {
            Some(Parsed::Accounts(accounts)) => Ok(accounts),
            _ => Err(de::Error::custom("there is no \"accounts\" list")),
        }
    }
}

#[derive(Clone, Copy)]
enum Level {
    Accounts,
    Vaults { account: usize },
    Items { account: usize, vault: usize },
}

enum Parsed {
    Accounts(Vec<PendingAccount>),
    Vaults(Vec<PendingVault>),
    Items(Vec<PendingItem>),
}

/// A list of accounts, of one account's vaults, or of one vault's items.
struct ListSeed<'e> {
    entries: &'e Entries,
    level: Level,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Option<Parsed>;

    /// `null` is the same as a missing list.
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(OrNull(self))
    }
}

struct OrNull<'e>(ListSeed<'e>);

impl<'de> Visitor<'de> for OrNull<'_> {
    type Value = Option<Parsed>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self.0).map(Some)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Accounts => f.write_str("\"accounts\" to be a list"),
            Level::Vaults { account } => write!(f, "accounts[{account}].vaults to be a list"),
            Level::Items { account, vault } => {
                write!(f, "accounts[{account}].vaults[{vault}].items to be a list")
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match self.level {
            Level::Accounts => {
                let mut accounts = Vec::new();
                while let Some(account) = seq.next_element_seed(ObjectSeed {
                    entries: self.entries,
                    level: Level::Vaults {
                        account: accounts.len(),
                    },
                })? {
                    let Pending::Account(account) = account else {
                        unreachable!("an account seed yields an account")
                    };
                    accounts.push(account);
                }
                Ok(Parsed::Accounts(accounts))
            }
            Level::Vaults { account } => {
                let mut vaults = Vec::new();
                while let Some(vault) = seq.next_element_seed(ObjectSeed {
                    entries: self.entries,
                    level: Level::Items {
                        account,
                        vault: vaults.len(),
                    },
                })? {
                    let Pending::Vault(vault) = vault else {
                        unreachable!("a vault seed yields a vault")
                    };
                    vaults.push(vault);
                }
                Ok(Parsed::Vaults(vaults))
            }
            Level::Items { account, vault } => {
                let mut items = Vec::new();
                let mut index = 0usize;
                while let Some(value) = seq.next_element::<Value>()? {
                    match convert_item(&value, self.entries) {
                        Ok(Some(item)) => items.push(item),
                        Ok(None) => {}
                        Err(e) => {
                            return Err(de::Error::custom(format!(
                                "accounts[{account}].vaults[{vault}].items[{index}]{}: {e}",
                                describe_item(&value)
                            )))
                        }
                    }
                    index += 1;
                }
                Ok(Parsed::Items(items))
            }
        }
    }
}

enum Pending {
    Account(PendingAccount),
    Vault(PendingVault),
}

/// One account (`level` = its vaults) or one vault (`level` = its items): `attrs` plus the list.
struct ObjectSeed<'e> {
    entries: &'e Entries,
    level: Level,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Pending;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Pending;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Vaults { account } => write!(f, "accounts[{account}] to be an object"),
            Level::Items { account, vault } => {
                write!(f, "accounts[{account}].vaults[{vault}] to be an object")
            }
            Level::Accounts => f.write_str("an object"),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (path, list_key) = match self.level {
            Level::Vaults { account } => (format!("accounts[{account}]"), "vaults"),
            Level::Items { account, vault } => {
                (format!("accounts[{account}].vaults[{vault}]"), "items")
            }
            Level::Accounts => unreachable!("accounts are a list"),
        };
        let mut attrs = Map::new();
        let mut list = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "attrs" {
                match map.next_value::<Value>()? {
                    Value::Object(object) => attrs = object,
                    Value::Null => {}
                    other => {
                        return Err(de::Error::custom(format!(
                            "{path}.attrs: expected an object, found {}",
                            kind_of(&other)
                        )))
                    }
                }
            } else if key == list_key && list.is_none() {
                list = map.next_value_seed(ListSeed {
                    entries: self.entries,
                    level: self.level,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let attr = |key: &str| {
            text(&attrs, key)
                .map(Option::unwrap_or_default)
                .map_err(|e| de::Error::custom(format!("{path}.attrs.{e}")))
        };
        match (self.level, list) {
            (Level::Vaults { .. }, list) => Ok(Pending::Account(PendingAccount {
                uuid: attr("uuid")?.trim().to_string(),
                vaults: match list {
                    Some(Parsed::Vaults(vaults)) => vaults,
                    _ => Vec::new(),
                },
            })),
            (Level::Items { .. }, list) => Ok(Pending::Vault(PendingVault {
                uuid: attr("uuid")?.trim().to_string(),
                name: attr("name")?,
                description: attr("desc")?,
                vault_type: vault_type(&attr("type")?),
                items: match list {
                    Some(Parsed::Items(items)) => items,
                    _ => Vec::new(),
                },
            })),
            (Level::Accounts, _) => unreachable!("accounts are a list"),
        }
    }
}

fn vault_type(code: &str) -> VaultType {
    match code.trim().to_ascii_uppercase().as_str() {
        "P" => VaultType::Personal,
        "E" => VaultType::Everyone,
        "T" => VaultType::Transfer,
        _ => VaultType::UserCreated,
    }
}

/// ` "Title"` for error messages, when the item has a readable title.
fn describe_item(value: &Value) -> String {
    match value.pointer("/overview/title") {
        Some(Value::String(title)) if !title.is_empty() => {
            let short: String = title.chars().take(60).collect();
            format!(" {short:?}")
        }
        _ => String::new(),
    }
}

/// Gives every vault and item its final id and lists the file contents still to be read.
fn finish(accounts: Vec<PendingAccount>) -> (Snapshot, Vec<FileRead>) {
    let mut snapshot = Snapshot::default();
    let mut reads = Vec::new();
    let mut vault_ids = HashSet::new();
    for account in accounts {
        for vault in account.vaults {
            let (preferred, key) = if vault.uuid.is_empty() {
                (None, format!("{}/name:{}", account.uuid, vault.name))
            } else {
                let key = format!("{}/{}", account.uuid, vault.uuid);
                (Some(source_id(&vault.uuid, "1pux-vault", &key)), key)
            };
            let vault_id = unique_id(&mut vault_ids, "1pux-vault", preferred, &key);
            let vault_index = snapshot.vaults.len();
            let mut item_ids = HashSet::new();
            let mut items = Vec::with_capacity(vault.items.len());
            for pending in vault.items {
                let mut item = pending.item;
                let (preferred, key) = if pending.uuid.is_empty() {
                    let title = &item.data.summary.title;
                    (
                        None,
                        format!("{vault_id}/untitled/{}/{title}", item.category),
                    )
                } else {
                    let key = format!("{vault_id}/{}", pending.uuid);
                    (Some(source_id(&pending.uuid, "1pux-item", &key)), key)
                };
                item.id = unique_id(&mut item_ids, "1pux-item", preferred, &key);
                for (file, entry) in pending.file_entries.into_iter().enumerate() {
                    reads.push(FileRead {
                        vault: vault_index,
                        item: items.len(),
                        file,
                        entry,
                    });
                }
                items.push(item);
            }
            snapshot.vaults.push(SnapshotVault {
                vault: SourceVault {
                    id: vault_id,
                    name: vault.name,
                    description: vault.description,
                    vault_type: vault.vault_type,
                    revision: None,
                },
                items,
            });
        }
    }
    (snapshot, reads)
}

/// The export's own id when it already has Connect's shape (after lowercasing), else one derived
/// from `key`.
fn source_id(uuid: &str, namespace: &str, key: &str) -> String {
    let lower = uuid.to_ascii_lowercase();
    if ids::is_valid_id(&lower) {
        lower
    } else {
        ids::derived_id(namespace, key)
    }
}

/// `preferred` if it is still free, else the first free id derived from `key#1`, `key#2`, …
fn unique_id(
    used: &mut HashSet<String>,
    namespace: &str,
    preferred: Option<String>,
    key: &str,
) -> String {
    if let Some(id) = preferred {
        if used.insert(id.clone()) {
            return id;
        }
    }
    (1u64..)
        .map(|n| ids::derived_id(namespace, &format!("{key}#{n}")))
        .find(|id| used.insert(id.clone()))
        .expect("derived ids do not run out")
}

// ---------------------------------------------------------------------------------------------
// One item.

/// Converts one exported item; `None` for items that are not imported (trashed, tombstones).
/// Errors are `path: problem`, relative to the item.
fn convert_item(value: &Value, entries: &Entries) -> Result<Option<PendingItem>, String> {
    let item = object(value)?;
    let state = match text(item, "state")?
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "active" => None,
        "archived" => Some("ARCHIVED".to_string()),
        "trashed" | "deleted" => return Ok(None),
        other => {
            tracing::warn!(
                state = other,
                "1PUX item with an unknown state imported as active"
            );
            None
        }
    };
    let code = match get(item, "categoryUuid") {
        None => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.as_u64().map(|n| format!("{n:03}")).unwrap_or_default(),
        Some(other) => return Err(expected("categoryUuid", "a string", other)),
    };
    let Some(category) = category(&code) else {
        return Ok(None);
    };
    let empty = Map::new();
    let overview = sub_object(item, "overview")?.unwrap_or(&empty);
    let details = sub_object(item, "details")?.unwrap_or(&empty);

    let summary = ItemSummaryData {
        title: text(overview, "title")
            .map_err(|e| format!("overview.{e}"))?
            .unwrap_or_default(),
        favorite: favorite(item)?,
        tags: tags(overview).map_err(|e| format!("overview.{e}"))?,
        urls: urls(overview).map_err(|e| format!("overview.{e}"))?,
    };

    let mut builder = ItemBuilder::new(category, entries);
    builder
        .built_ins(details)
        .map_err(|e| format!("details.{e}"))?;
    builder
        .sections(details)
        .map_err(|e| format!("details.{e}"))?;
    if let Some(document) =
        sub_object(details, "documentAttributes").map_err(|e| format!("details.{e}"))?
    {
        builder
            .file(document, None)
            .map_err(|e| format!("details.documentAttributes.{e}"))?;
    }
    let uuid = text(item, "uuid")?.unwrap_or_default().trim().to_string();
    let (body, files, file_entries) = builder.finish();
    Ok(Some(PendingItem {
        uuid,
        item: SourceItem {
            id: String::new(),
            category,
            state,
            data: ItemData { summary, body },
            files,
        },
        file_entries,
    }))
}

/// formats.md §1.6. `None` for the tombstone code, which marks a deleted item.
fn category(code: &str) -> Option<Category> {
    Some(match code {
        "001" => Category::Login,
        "002" => Category::CreditCard,
        "003" => Category::SecureNote,
        "004" => Category::Identity,
        "005" => Category::Password,
        "006" => Category::Document,
        "099" => return None,
        "100" => Category::SoftwareLicense,
        "101" => Category::BankAccount,
        "102" => Category::Database,
        "103" => Category::DriverLicense,
        "104" => Category::OutdoorLicense,
        "105" => Category::Membership,
        "106" => Category::Passport,
        "107" => Category::RewardProgram,
        "108" => Category::SocialSecurityNumber,
        "109" => Category::WirelessRouter,
        "110" => Category::Server,
        "111" => Category::EmailAccount,
        "112" => Category::ApiCredential,
        "113" => Category::MedicalRecord,
        "114" => Category::SshKey,
        _ => Category::Custom,
    })
}

fn favorite(item: &Map<String, Value>) -> Result<bool, String> {
    match get(item, "favIndex") {
        None => Ok(false),
        Some(Value::Number(n)) => Ok(n.as_f64().is_some_and(|f| f > 0.0)),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(expected("favIndex", "a number", other)),
    }
}

fn tags(overview: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in list(overview, "tags")?.iter().enumerate() {
        let tag = scalar(tag).ok_or_else(|| expected(&format!("tags[{i}]"), "a string", tag))?;
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

fn urls(overview: &Map<String, Value>) -> Result<Vec<StoredUrl>, String> {
    let mut urls = Vec::new();
    for (i, entry) in list(overview, "urls")?.iter().enumerate() {
        let (href, label) = match entry {
            Value::String(href) => (href.clone(), None),
            Value::Object(url) => (
                text(url, "url")
                    .map_err(|e| format!("urls[{i}].{e}"))?
                    .unwrap_or_default(),
                text(url, "label")
                    .map_err(|e| format!("urls[{i}].{e}"))?
                    .filter(|l| !l.is_empty()),
            ),
            other => return Err(expected(&format!("urls[{i}]"), "an object", other)),
        };
        if !href.trim().is_empty() {
            urls.push(StoredUrl {
                label,
                primary: false,
                href,
            });
        }
    }
    match text(overview, "url")?.filter(|u| !u.trim().is_empty()) {
        Some(primary) => match urls.iter_mut().find(|u| u.href == primary) {
            Some(url) => url.primary = true,
            None => urls.insert(
                0,
                StoredUrl {
                    label: None,
                    primary: true,
                    href: primary,
                },
            ),
        },
        None => {
            if let Some(first) = urls.first_mut() {
                first.primary = true;
            }
        }
    }
    Ok(urls)
}

/// The built-in fields: id, purpose and type, in the order they come first.
const BUILT_INS: [(&str, Purpose, FieldType); 3] = [
    ("username", Purpose::Username, FieldType::String),
    ("password", Purpose::Password, FieldType::Concealed),
    ("notesPlain", Purpose::Notes, FieldType::String),
];
const USERNAME: usize = 0;
const PASSWORD: usize = 1;
const NOTES: usize = 2;

/// Which built-ins the API path gives a category (see `arrange_fields` in `model/build.rs`).
fn required_built_ins(category: Category) -> [bool; 3] {
    match category {
        Category::Login => [true, true, true],
        Category::Password => [false, true, true],
        _ => [false, false, true],
    }
}

struct ItemBuilder<'e> {
    entries: &'e Entries,
    category: Category,
    built_ins: [Option<Option<String>>; 3],
    fields: Vec<StoredField>,
    field_ids: HashSet<String>,
    sections: Vec<StoredSection>,
    section_ids: HashSet<String>,
    files: Vec<SourceFile>,
    file_ids: HashSet<String>,
    file_entries: Vec<usize>,
}

impl<'e> ItemBuilder<'e> {
    fn new(category: Category, entries: &'e Entries) -> Self {
        ItemBuilder {
            entries,
            category,
            built_ins: [None, None, None],
            fields: Vec::new(),
            field_ids: HashSet::new(),
            sections: Vec::new(),
            section_ids: HashSet::new(),
            files: Vec::new(),
            file_ids: HashSet::new(),
            file_entries: Vec::new(),
        }
    }

    /// `loginFields`, `password` and `notesPlain`. Runs first, so that the built-in ids are
    /// taken before any section field could claim them.
    fn built_ins(&mut self, details: &Map<String, Value>) -> Result<(), String> {
        let login_fields = list(details, "loginFields")?;
        let mut extras = Vec::new();
        for (i, field) in login_fields.iter().enumerate() {
            let at = |e: String| format!("loginFields[{i}].{e}");
            let field = object(field).map_err(|e| format!("loginFields[{i}]: {e}"))?;
            let value = login_value(field).map_err(at)?;
            let designation = text(field, "designation")
                .map_err(at)?
                .unwrap_or_default()
                .to_ascii_lowercase();
            let slot = match designation.as_str() {
                "username" => Some(USERNAME),
                "password" => Some(PASSWORD),
                _ => None,
            };
            match slot {
                Some(slot) if self.built_ins[slot].is_none() => {
                    self.built_ins[slot] = Some(value);
                }
                _ if value.is_none() => {}
                _ => extras.push((field, value, i)),
            }
        }
        if self.built_ins[PASSWORD].is_none() {
            if let Some(password) = text(details, "password")? {
                self.built_ins[PASSWORD] = Some(non_empty(password));
            }
        }
        if let Some(notes) = text(details, "notesPlain")? {
            self.built_ins[NOTES] = Some(non_empty(notes));
        }
        let required = required_built_ins(self.category);
        for (slot, (id, _, _)) in BUILT_INS.iter().enumerate() {
            if required[slot] || self.built_ins[slot].is_some() {
                self.field_ids.insert((*id).to_string());
            }
        }
        for (field, value, i) in extras {
            let at = |e: String| format!("loginFields[{i}].{e}");
            let name = text(field, "name").map_err(at)?.unwrap_or_default();
            let exported_id = text(field, "id").map_err(at)?.unwrap_or_default();
            let field_type = match text(field, "fieldType").map_err(at)?.as_deref() {
                Some("P") => FieldType::Concealed,
                Some("E") => FieldType::Email,
                Some("U") => FieldType::Url,
                Some("TEL") => FieldType::Phone,
                _ => FieldType::String,
            };
            let label = if name.is_empty() {
                exported_id.clone()
            } else {
                name
            };
            let id = self.field_id(&exported_id, "", &label);
            self.fields.push(StoredField {
                id,
                section: None,
                field_type,
                purpose: Purpose::None,
                label,
                value,
                entropy: None,
            });
        }
        Ok(())
    }

    fn sections(&mut self, details: &Map<String, Value>) -> Result<(), String> {
        for (s, section) in list(details, "sections")?.iter().enumerate() {
            let at = |e: String| format!("sections[{s}].{e}");
            let section = object(section).map_err(|e| format!("sections[{s}]: {e}"))?;
            let title = text(section, "title").map_err(at)?.unwrap_or_default();
            let name = text(section, "name").map_err(at)?.unwrap_or_default();
            let fields = list(section, "fields").map_err(at)?;
            if fields.is_empty() && title.is_empty() {
                continue;
            }
            let preferred =
                (!name.is_empty() && name.chars().count() <= MAX_ID_CHARS).then(|| name.clone());
            let key = if name.is_empty() { &title } else { &name };
            let section_id = unique_id(&mut self.section_ids, "1pux-section", preferred, key);
            self.sections.push(StoredSection {
                id: section_id.clone(),
                label: non_empty(title),
            });
            for (f, field) in fields.iter().enumerate() {
                self.section_field(field, &section_id)
                    .map_err(|e| format!("sections[{s}].fields[{f}]{e}"))?;
            }
        }
        Ok(())
    }

    /// Errors start with `.key` or `:` so that the caller can prefix the field's path.
    fn section_field(&mut self, field: &Value, section_id: &str) -> Result<(), String> {
        let field = object(field).map_err(|e| format!(": {e}"))?;
        let title = text(field, "title")
            .map_err(|e| format!(".{e}"))?
            .unwrap_or_default();
        let exported_id = text(field, "id")
            .map_err(|e| format!(".{e}"))?
            .unwrap_or_default();
        let (field_type, value) = match sub_object(field, "value").map_err(|e| format!(".{e}"))? {
            None => (FieldType::String, None),
            Some(value) => {
                let Some((kind, payload)) = value_kind(value) else {
                    self.push_field(&exported_id, section_id, title, FieldType::String, None);
                    return Ok(());
                };
                let at = |e: String| format!(".value.{kind}: {e}");
                match kind.as_str() {
                    "file" => {
                        let file = object(payload).map_err(at)?;
                        let name = self
                            .file(file, Some(section_id))
                            .map_err(|e| format!(".value.file.{e}"))?;
                        (FieldType::File, non_empty(name))
                    }
                    _ => convert_value(&kind, payload).map_err(at)?,
                }
            }
        };
        self.push_field(&exported_id, section_id, title, field_type, value);
        Ok(())
    }

    fn push_field(
        &mut self,
        exported_id: &str,
        section_id: &str,
        label: String,
        field_type: FieldType,
        value: Option<String>,
    ) {
        let id = self.field_id(exported_id, section_id, &label);
        self.fields.push(StoredField {
            id,
            section: Some(section_id.to_string()),
            field_type,
            purpose: Purpose::None,
            label,
            value,
            entropy: None,
        });
    }

    /// The export's field id if usable and free, else one derived from section and label (or
    /// from section and exported id, for a duplicate).
    fn field_id(&mut self, exported: &str, section_id: &str, label: &str) -> String {
        let usable = !exported.is_empty() && exported.chars().count() <= MAX_ID_CHARS;
        let key = if exported.is_empty() {
            format!("{section_id}\u{0}label:{label}")
        } else {
            format!("{section_id}\u{0}id:{exported}")
        };
        unique_id(
            &mut self.field_ids,
            "1pux-field",
            usable.then(|| exported.to_string()),
            &key,
        )
    }

    /// Adds a file from `{fileName, documentId}`; returns its name.
    fn file(
        &mut self,
        document: &Map<String, Value>,
        section: Option<&str>,
    ) -> Result<String, String> {
        let document_id = text(document, "documentId")?
            .unwrap_or_default()
            .trim()
            .to_string();
        let name = text(document, "fileName")?.unwrap_or_default();
        if document_id.is_empty() {
            return Err("documentId: missing".into());
        }
        let Some(entry) = self.entries.find(&document_id, &name) else {
            return Err(format!(
                "fileName: files/{document_id}__{name} is missing from the archive"
            ));
        };
        let key = format!("{document_id}/{name}");
        let preferred = source_id(&document_id, "1pux-file", &key);
        let id = unique_id(&mut self.file_ids, "1pux-file", Some(preferred), &key);
        self.files.push(SourceFile {
            id,
            name: if name.is_empty() {
                document_id
            } else {
                name.clone()
            },
            section: section.map(str::to_string),
            content: Vec::new(),
        });
        self.file_entries.push(entry);
        Ok(name)
    }

    fn finish(self) -> (ItemBodyData, Vec<SourceFile>, Vec<usize>) {
        let required = required_built_ins(self.category);
        let mut fields = Vec::with_capacity(self.fields.len() + 3);
        for (slot, value) in self.built_ins.into_iter().enumerate() {
            if value.is_none() && !required[slot] {
                continue;
            }
            let (id, purpose, field_type) = BUILT_INS[slot];
            fields.push(StoredField {
                id: id.to_string(),
                section: None,
                field_type,
                purpose,
                label: id.to_string(),
                value: value.flatten(),
                entropy: None,
            });
        }
        fields.extend(self.fields);
        let body = ItemBodyData {
            sections: self.sections,
            fields,
            files: Vec::new(),
        };
        (body, self.files, self.file_entries)
    }
}

/// A login field's value: text, or the `{email_address, string}` object of linked accounts.
fn login_value(field: &Map<String, Value>) -> Result<Option<String>, String> {
    match get(field, "value") {
        None => Ok(None),
        Some(Value::Object(linked)) => {
            let email = text(linked, "email_address").map_err(|e| format!("value.{e}"))?;
            let string = text(linked, "string").map_err(|e| format!("value.{e}"))?;
            Ok(email
                .filter(|e| !e.is_empty())
                .or(string)
                .and_then(non_empty))
        }
        Some(other) => scalar(other)
            .map(non_empty)
            .ok_or_else(|| expected("value", "a string", other)),
    }
}

/// The kind key of a section field's `value` object and its payload. Exports have exactly one
/// key; should there be more, a known kind wins over an unknown one.
fn value_kind(value: &Map<String, Value>) -> Option<(String, &Value)> {
    value
        .iter()
        .find(|(kind, _)| known_kind(kind))
        .or_else(|| value.iter().next())
        .map(|(kind, payload)| (kind.clone(), payload))
}

fn known_kind(kind: &str) -> bool {
    matches!(
        kind,
        "string"
            | "concealed"
            | "email"
            | "url"
            | "phone"
            | "totp"
            | "date"
            | "monthYear"
            | "menu"
            | "address"
            | "creditCardNumber"
            | "creditCardType"
            | "gender"
            | "reference"
            | "sshKey"
            | "file"
    )
}

/// formats.md §1.5.1: the Connect type and value of every kind but `file`.
fn convert_value(kind: &str, payload: &Value) -> Result<(FieldType, Option<String>), String> {
    let plain = |field_type| -> Result<(FieldType, Option<String>), String> {
        match payload {
            Value::Null => Ok((field_type, None)),
            other => scalar(other)
                .map(|s| (field_type, non_empty(s)))
                .ok_or_else(|| format!("expected a string, found {}", kind_of(other))),
        }
    };
    match kind {
        "string" => plain(FieldType::String),
        "concealed" => plain(FieldType::Concealed),
        "url" => plain(FieldType::Url),
        "phone" => plain(FieldType::Phone),
        "totp" => plain(FieldType::Otp),
        "menu" => plain(FieldType::Menu),
        "creditCardNumber" => plain(FieldType::CreditCardNumber),
        "creditCardType" => plain(FieldType::CreditCardType),
        "gender" => plain(FieldType::Gender),
        "reference" => plain(FieldType::Reference),
        "email" => match payload {
            Value::Object(email) => Ok((
                FieldType::Email,
                text(email, "email_address")?.and_then(non_empty),
            )),
            _ => plain(FieldType::Email),
        },
        "address" => match payload {
            Value::Object(address) => Ok((FieldType::Address, non_empty(address_text(address)?))),
            _ => plain(FieldType::Address),
        },
        "sshKey" => match payload {
            Value::Object(key) => {
                let from_metadata = match sub_object(key, "metadata")? {
                    Some(metadata) => text(metadata, "privateKey")
                        .map_err(|e| format!("metadata.{e}"))?
                        .and_then(non_empty),
                    None => None,
                };
                let value = match from_metadata {
                    Some(pem) => Some(pem),
                    None => text(key, "privateKey")?.and_then(non_empty),
                };
                Ok((FieldType::SshKey, value))
            }
            _ => plain(FieldType::SshKey),
        },
        "date" => {
            let raw = match payload {
                Value::Null => return Ok((FieldType::Date, None)),
                Value::Number(n) => match n.as_i64() {
                    Some(seconds) => seconds.to_string(),
                    None => return Err(format!("{n} is not a date in Unix seconds")),
                },
                Value::String(s) => s.clone(),
                other => return Err(format!("expected a number, found {}", kind_of(other))),
            };
            let seconds = field_values::normalize_date(&raw).map_err(|e| e.0)?;
            Ok((FieldType::Date, non_empty(seconds)))
        }
        "monthYear" => {
            let raw = match payload {
                Value::Null => return Ok((FieldType::MonthYear, None)),
                Value::Number(n) => match n.as_u64() {
                    Some(0) => return Ok((FieldType::MonthYear, None)),
                    Some(n) => n.to_string(),
                    None => return Err(format!("{n} is not a month in the form YYYYMM")),
                },
                Value::String(s) => s.clone(),
                other => return Err(format!("expected a number, found {}", kind_of(other))),
            };
            let month = field_values::normalize_month_year(&raw).map_err(|e| e.0)?;
            Ok((FieldType::MonthYear, non_empty(month)))
        }
        _ => Ok((
            FieldType::Unknown,
            match payload {
                Value::Null => None,
                Value::String(s) => non_empty(s.clone()),
                other => Some(other.to_string()),
            },
        )),
    }
}

/// `street\ncity, state zip\ncountry`, leaving out empty parts.
fn address_text(address: &Map<String, Value>) -> Result<String, String> {
    let part = |key: &str| -> Result<String, String> {
        Ok(text(address, key)?.unwrap_or_default().trim().to_string())
    };
    let (street, city, state, zip, country) = (
        part("street")?,
        part("city")?,
        part("state")?,
        part("zip")?,
        part("country")?,
    );
    let region = [state, zip]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let locality = [city, region]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Ok([street, locality, country]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n"))
}

// ---------------------------------------------------------------------------------------------
// JSON helpers. Absent and `null` are the same; errors name the key, never the value.

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn expected(key: &str, what: &str, found: &Value) -> String {
    format!("{key}: expected {what}, found {}", kind_of(found))
}

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(format!("expected an object, found {}", kind_of(other))),
    }
}

fn get<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// Text, or a number written in decimal.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match get(object, key) {
        None => Ok(None),
        Some(value) => scalar(value)
            .map(Some)
            .ok_or_else(|| expected(key, "a string", value)),
    }
}

fn list<'v>(object: &'v Map<String, Value>, key: &str) -> Result<&'v [Value], String> {
    match get(object, key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(expected(key, "a list", other)),
    }
}

fn sub_object<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v Map<String, Value>>, String> {
    match get(object, key) {
        None => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(expected(key, "an object", other)),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testgen::{self, Spec};
    use super::*;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/synthetic.1pux"
    );

    fn field<'a>(item: &'a SourceItem, id: &str) -> &'a StoredField {
        item.data
            .body
            .fields
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("no field {id} in {:?}", item.data.summary.title))
    }

    fn value<'a>(item: &'a SourceItem, id: &str) -> Option<&'a str> {
        field(item, id).value.as_deref()
    }

    fn field_ids(item: &SourceItem) -> Vec<&str> {
        item.data
            .body
            .fields
            .iter()
            .map(|f| f.id.as_str())
            .collect()
    }

    fn one_item(item: serde_json::Value) -> Result<Vec<SourceItem>, SourceError> {
        one_item_with_files(item, &[])
    }

    fn one_item_with_files(
        item: serde_json::Value,
        files: &[(String, Vec<u8>)],
    ) -> Result<Vec<SourceItem>, SourceError> {
        let bytes = testgen::archive(&testgen::export_with_items(vec![item]), files);
        let mut snapshot = parse(&bytes)?;
        Ok(snapshot.vaults.remove(0).items)
    }

    fn invalid(result: Result<impl fmt::Debug, SourceError>) -> String {
        match result {
            Err(SourceError::Invalid(message)) => message,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn unavailable(result: Result<impl fmt::Debug, SourceError>) -> String {
        match result {
            Err(SourceError::Unavailable(message)) => message,
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_synthetic_fixture() {
        let snapshot = parse_file(Path::new(FIXTURE)).expect("fixture parses");
        assert_eq!(snapshot.vaults.len(), 1);
        let vault = &snapshot.vaults[0];
        assert_eq!(vault.vault.id, "fixturevault00000000000000");
        assert_eq!(vault.vault.name, "Private");
        assert_eq!(vault.vault.description, "");
        assert_eq!(vault.vault.vault_type, VaultType::Personal);
        assert_eq!(vault.items.len(), 3);

        let login = &vault.items[0];
        assert_eq!(login.id, "fixtureitemlogin0000000000");
        assert_eq!(login.category, Category::Login);
        assert_eq!(login.state, None);
        assert_eq!(login.data.summary.title, "Example Login");
        assert!(login.data.summary.favorite);
        assert_eq!(login.data.summary.tags, ["fixture"]);
        assert_eq!(
            login.data.summary.urls,
            [StoredUrl {
                label: Some("website".into()),
                primary: true,
                href: "https://example.test/login".into(),
            }]
        );
        assert_eq!(
            field_ids(login),
            [
                "username",
                "password",
                "notesPlain",
                "TOTP_fixture1",
                "fixturefieldconcealed00000"
            ]
        );
        let username = field(login, "username");
        assert_eq!(
            (
                username.purpose,
                username.field_type,
                username.label.as_str()
            ),
            (Purpose::Username, FieldType::String, "username")
        );
        assert_eq!(username.value.as_deref(), Some("alice"));
        let password = field(login, "password");
        assert_eq!(
            (password.purpose, password.field_type),
            (Purpose::Password, FieldType::Concealed)
        );
        assert_eq!(password.value.as_deref(), Some("s3cret-pass"));
        assert_eq!(field(login, "notesPlain").purpose, Purpose::Notes);
        assert_eq!(value(login, "notesPlain"), Some("synthetic login"));
        assert_eq!(
            login.data.body.sections,
            [StoredSection {
                id: "Section_fixture".into(),
                label: Some("Security".into()),
            }]
        );
        let otp = field(login, "TOTP_fixture1");
        assert_eq!(otp.field_type, FieldType::Otp);
        assert_eq!(otp.label, "one-time password");
        assert_eq!(otp.section.as_deref(), Some("Section_fixture"));
        assert_eq!(
            otp.value.as_deref(),
            Some("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
        );
        let recovery = field(login, "fixturefieldconcealed00000");
        assert_eq!(recovery.field_type, FieldType::Concealed);
        assert_eq!(recovery.value.as_deref(), Some("1111-2222"));
        assert!(login.files.is_empty());

        let archived = &vault.items[1];
        assert_eq!(archived.id, "fixtureitempassword0000000");
        assert_eq!(archived.category, Category::Password);
        assert_eq!(archived.state.as_deref(), Some("ARCHIVED"));
        assert!(!archived.data.summary.favorite);
        assert!(archived.data.summary.urls.is_empty());
        assert_eq!(field_ids(archived), ["password", "notesPlain"]);
        assert_eq!(value(archived, "password"), Some("just-a-password"));
        assert_eq!(value(archived, "notesPlain"), None);

        let document = &vault.items[2];
        assert_eq!(document.id, "fixtureitemdocument0000000");
        assert_eq!(document.category, Category::Document);
        assert_eq!(document.data.summary.title, "Example Document");
        assert_eq!(field_ids(document), ["notesPlain"]);
        assert!(
            document.data.body.files.is_empty(),
            "the engine fills files"
        );
        assert_eq!(
            document.files,
            [SourceFile {
                id: "q7x2fixturedoc000000000000".into(),
                name: "hello.txt".into(),
                section: None,
                content: b"hello from a synthetic attachment\n".to_vec(),
            }]
        );
    }

    #[test]
    fn parse_and_parse_file_agree_and_are_stable() {
        let bytes = std::fs::read(FIXTURE).expect("fixture");
        let from_bytes = parse(&bytes).expect("parses");
        assert_eq!(from_bytes, parse_file(Path::new(FIXTURE)).expect("parses"));
        assert_eq!(from_bytes, parse(&bytes).expect("parses again"));

        let spec = Spec {
            vaults: 2,
            archived_every: 4,
            trashed_every: 5,
            ..Spec::default()
        };
        let generated = testgen::generate(&spec);
        assert_eq!(parse(&generated).unwrap(), parse(&generated).unwrap());
    }

    #[test]
    fn every_category_and_value_kind_round_trips() {
        let spec = Spec {
            vaults: 4,
            items_per_vault: testgen::CATEGORIES.len() * 2,
            attachments: true,
            archived_every: 5,
            trashed_every: 7,
        };
        let snapshot = parse(&testgen::generate(&spec)).expect("generated export parses");
        assert_eq!(snapshot.vaults.len(), spec.vaults);
        let types = [
            VaultType::Personal,
            VaultType::Everyone,
            VaultType::UserCreated,
            VaultType::Transfer,
        ];
        let mut seen_categories = HashSet::new();
        for (v, vault) in snapshot.vaults.iter().enumerate() {
            assert_eq!(vault.vault.id, testgen::vault_uuid(v));
            assert_eq!(vault.vault.name, testgen::vault_name(v));
            assert_eq!(vault.vault.description, format!("Vault {v}"));
            assert_eq!(vault.vault.vault_type, types[v]);
            assert_eq!(vault.items.len(), spec.imported_per_vault());
            let mut items = vault.items.iter();
            for i in 0..spec.items_per_vault {
                if spec.is_trashed(i) {
                    assert!(vault
                        .items
                        .iter()
                        .all(|it| it.id != testgen::item_uuid(v, i)));
                    continue;
                }
                let item = items.next().expect("one item per non-trashed entry");
                check_generated_item(&spec, v, i, item);
                seen_categories.insert(item.category);
            }
        }
        assert_eq!(seen_categories.len(), Category::ALL.len(), "every category");
    }

    fn check_generated_item(spec: &Spec, v: usize, i: usize, item: &SourceItem) {
        let (code, category) = testgen::category_of(i);
        let what = format!("item {v}/{i} ({code})");
        assert_eq!(item.id, testgen::item_uuid(v, i), "{what}");
        assert_eq!(item.category, category, "{what}");
        let archived = spec.is_archived(i).then(|| "ARCHIVED".to_string());
        assert_eq!(item.state, archived, "{what}");
        let summary = &item.data.summary;
        assert_eq!(summary.title, testgen::title(v, i));
        assert_eq!(summary.favorite, i % 3 == 0);
        assert_eq!(summary.tags, ["generated", &format!("category-{code}")]);
        assert_eq!(
            summary.urls,
            [
                StoredUrl {
                    label: Some("backup".into()),
                    primary: false,
                    href: format!("https://backup.example.test/{i}"),
                },
                StoredUrl {
                    label: Some("website".into()),
                    primary: true,
                    href: testgen::primary_url(v, i),
                },
            ]
        );

        let fields = &item.data.body.fields;
        let built_ins: &[&str] = match category {
            Category::Login => &["username", "password", "notesPlain", "remember"],
            Category::Password => &["password", "notesPlain"],
            _ => &["notesPlain"],
        };
        assert_eq!(&field_ids(item)[..built_ins.len()], built_ins, "{what}");
        for f in fields {
            let expected_purpose = match f.id.as_str() {
                "username" => Purpose::Username,
                "password" => Purpose::Password,
                "notesPlain" => Purpose::Notes,
                _ => Purpose::None,
            };
            assert_eq!(f.purpose, expected_purpose, "{what} {}", f.id);
            assert_eq!(
                f.section.is_none(),
                built_ins.contains(&f.id.as_str()),
                "{what} {}",
                f.id
            );
        }
        assert_eq!(
            value(item, "notesPlain"),
            Some(testgen::notes(v, i).as_str())
        );
        if category == Category::Login {
            assert_eq!(
                value(item, "username"),
                Some(testgen::username(v, i).as_str())
            );
            assert_eq!(
                value(item, "password"),
                Some(testgen::password(v, i).as_str())
            );
            let remember = field(item, "remember");
            assert_eq!(remember.label, "remember me");
            assert_eq!(remember.field_type, FieldType::String);
            assert_eq!(remember.value.as_deref(), Some("✓"));
            assert!(
                fields.iter().all(|f| f.label != "submit"),
                "empty form fields are dropped"
            );
        }
        if category == Category::Password {
            assert_eq!(
                value(item, "password"),
                Some(testgen::password(v, i).as_str())
            );
        }

        let sections = &item.data.body.sections;
        assert_eq!(
            sections.len(),
            2,
            "{what}: the empty template section is dropped"
        );
        assert_eq!(sections[0].id, testgen::KINDS_SECTION);
        assert_eq!(sections[0].label.as_deref(), Some("Every kind"));
        assert!(ids::is_valid_id(&sections[1].id), "derived section id");
        assert_eq!(sections[1].label, None);
        let anonymous = fields
            .iter()
            .find(|f| f.label == "no id")
            .expect("the id-less field");
        assert!(ids::is_valid_id(&anonymous.id));
        assert_eq!(anonymous.section.as_deref(), Some(sections[1].id.as_str()));
        assert_eq!(anonymous.value.as_deref(), Some("anonymous"));

        for case in testgen::kind_cases(spec, v, i) {
            let f = field(item, case.id);
            assert_eq!(f.field_type, case.field_type, "{what} {}", case.id);
            assert_eq!(f.value, case.expected, "{what} {}", case.id);
            assert_eq!(f.label, case.title);
            assert_eq!(f.section.as_deref(), Some(testgen::KINDS_SECTION));
        }

        let mut expected_files = Vec::new();
        let attachment = testgen::attachment(v, i);
        expected_files.push(SourceFile {
            id: attachment.document_id,
            name: attachment.name,
            section: Some(testgen::KINDS_SECTION.into()),
            content: attachment.content,
        });
        if category == Category::Document {
            let document = testgen::document(v, i);
            expected_files.push(SourceFile {
                id: document.document_id,
                name: document.name,
                section: None,
                content: document.content,
            });
        }
        assert_eq!(item.files, expected_files, "{what}");
        assert!(item.data.body.files.is_empty());
    }

    #[test]
    fn large_export_parses() {
        let spec = Spec {
            vaults: 2,
            items_per_vault: 1_000,
            attachments: true,
            archived_every: 10,
            trashed_every: 10,
        };
        let bytes = testgen::generate(&spec);
        let snapshot = parse(&bytes).expect("parses");
        let items: usize = snapshot.vaults.iter().map(|v| v.items.len()).sum();
        assert_eq!(items, 2 * spec.imported_per_vault());
        let ids: HashSet<_> = snapshot.vaults[0].items.iter().map(|i| &i.id).collect();
        assert_eq!(ids.len(), spec.imported_per_vault());
    }

    #[test]
    fn trashed_deleted_and_tombstones_are_not_imported() {
        let item = |uuid: &str, state: &str, category: &str| {
            json!({"uuid": uuid, "state": state, "categoryUuid": category,
                "overview": {"title": uuid}})
        };
        let bytes = testgen::archive(
            &testgen::export_with_items(vec![
                item("aaaaaaaaaaaaaaaaaaaaaaaaa1", "active", "001"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa2", "trashed", "001"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa3", "deleted", "003"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa4", "Archived", "003"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa5", "active", "099"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa6", "someday", "003"),
                item("aaaaaaaaaaaaaaaaaaaaaaaaa7", "TRASHED", "003"),
            ]),
            &[],
        );
        let items = &parse(&bytes).unwrap().vaults[0].items;
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.id.as_str(), i.state.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("aaaaaaaaaaaaaaaaaaaaaaaaa1", None),
                ("aaaaaaaaaaaaaaaaaaaaaaaaa4", Some("ARCHIVED")),
                ("aaaaaaaaaaaaaaaaaaaaaaaaa6", None),
            ]
        );
    }

    #[test]
    fn ids_are_derived_when_the_export_has_none_of_connect_shape() {
        let export = json!({"accounts": [
            {"attrs": {"uuid": "ACCOUNTONE"}, "vaults": [
                {"attrs": {"uuid": "UPPERCASEVAULTUUID00000000", "name": "Upper"}, "items": [
                    {"uuid": "UPPERCASEITEMUUID000000000", "overview": {"title": "upper"}},
                    {"uuid": "short", "overview": {"title": "short"}},
                    {"uuid": "short", "overview": {"title": "duplicate uuid"}},
                    {"overview": {"title": "no uuid"}},
                    {"overview": {"title": "no uuid"}},
                    {"categoryUuid": "001", "details": {}, "overview": {}}
                ]},
                {"attrs": {"uuid": "not-a-connect-id", "name": "Odd"}},
                {"attrs": {"name": "Nameless uuid"}},
                {"items": []}
            ]},
            {"attrs": {"uuid": "ACCOUNTTWO"}, "vaults": [
                {"attrs": {"uuid": "not-a-connect-id", "name": "Same uuid, other account"}},
                {"attrs": {"uuid": "uppercasevaultuuid00000000", "name": "Clash"}}
            ]}
        ]});
        let bytes = testgen::archive(&export, &[]);
        let snapshot = parse(&bytes).unwrap();
        assert_eq!(snapshot, parse(&bytes).unwrap(), "stable");
        let vault_ids: Vec<_> = snapshot
            .vaults
            .iter()
            .map(|v| v.vault.id.as_str())
            .collect();
        assert_eq!(vault_ids[0], "uppercasevaultuuid00000000");
        assert_eq!(
            vault_ids[1],
            ids::derived_id("1pux-vault", "ACCOUNTONE/not-a-connect-id")
        );
        assert_eq!(
            vault_ids[4],
            ids::derived_id("1pux-vault", "ACCOUNTTWO/not-a-connect-id")
        );
        assert_eq!(
            vault_ids.iter().collect::<HashSet<_>>().len(),
            vault_ids.len()
        );
        assert!(
            vault_ids.iter().all(|id| ids::is_valid_id(id)),
            "{vault_ids:?}"
        );
        assert_eq!(snapshot.vaults[3].vault.name, "");
        assert_eq!(snapshot.vaults[3].vault.vault_type, VaultType::UserCreated);

        let items = &snapshot.vaults[0].items;
        assert_eq!(items.len(), 6);
        assert_eq!(items[0].id, "uppercaseitemuuid000000000");
        assert_eq!(
            items[1].id,
            ids::derived_id("1pux-item", "uppercasevaultuuid00000000/short")
        );
        let item_ids: HashSet<_> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(item_ids.len(), 6, "duplicates get their own ids");
        assert!(item_ids.iter().all(|id| ids::is_valid_id(id)));
        assert_eq!(items[0].category, Category::Custom, "no categoryUuid");
        assert_eq!(items[5].category, Category::Login);
        assert_eq!(items[5].data.summary.title, "");
        assert_eq!(field_ids(&items[5]), ["username", "password", "notesPlain"]);
        assert!(items[5].data.body.fields.iter().all(|f| f.value.is_none()));
    }

    #[test]
    fn login_fields_and_built_ins() {
        let items = one_item(json!({
            "uuid": "bbbbbbbbbbbbbbbbbbbbbbbbbb", "categoryUuid": "001",
            "details": {
                "loginFields": [
                    {"value": {"email_address": "linked@example.test", "string": "x"}, "designation": "username", "fieldType": "E"},
                    {"value": "second", "designation": "username", "name": "other user", "fieldType": "T"},
                    {"value": "pin", "name": "pin", "fieldType": "P"},
                    {"value": "a@b.test", "id": "mail", "name": "email", "fieldType": "E"},
                    {"value": 12345, "id": "num", "name": "number", "fieldType": "N"},
                    {"value": "", "name": "blank"}
                ],
                "password": "from details",
                "sections": [{"title": "s", "name": "S1", "fields": [
                    {"title": "clash", "id": "password", "value": {"concealed": "section pw"}},
                    {"title": "dup", "id": "mail", "value": {"string": "dup"}},
                    {"title": "same", "id": "same", "value": {"string": "1"}}
                ]}, {"title": "t", "name": "S1", "fields": [
                    {"title": "same", "id": "same", "value": {"string": "2"}}
                ]}]
            },
            "overview": {"title": "linked", "urls": [
                {"label": "", "url": "https://one.test"}, {"url": ""}, "https://two.test"]}
        }))
        .unwrap();
        let item = &items[0];
        assert_eq!(value(item, "username"), Some("linked@example.test"));
        assert_eq!(value(item, "password"), Some("from details"));
        let ids = field_ids(item);
        assert_eq!(&ids[..3], ["username", "password", "notesPlain"]);
        assert_eq!(value(item, "notesPlain"), None);
        let by_label = |label: &str| {
            item.data
                .body
                .fields
                .iter()
                .find(|f| f.label == label)
                .unwrap_or_else(|| panic!("{label}"))
        };
        assert_eq!(by_label("other user").value.as_deref(), Some("second"));
        assert_eq!(by_label("other user").purpose, Purpose::None);
        assert_eq!(by_label("pin").field_type, FieldType::Concealed);
        assert_eq!(by_label("email").field_type, FieldType::Email);
        assert_eq!(by_label("email").id, "mail");
        assert_eq!(by_label("number").value.as_deref(), Some("12345"));
        assert!(item.data.body.fields.iter().all(|f| f.label != "blank"));
        let clash = by_label("clash");
        assert_ne!(clash.id, "password");
        assert_eq!(clash.purpose, Purpose::None);
        assert_eq!(clash.value.as_deref(), Some("section pw"));
        assert_ne!(by_label("dup").id, "mail");
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "field ids are unique: {ids:?}");
        let sections: Vec<_> = item.data.body.sections.iter().map(|s| &s.id).collect();
        assert_eq!(sections[0], "S1");
        assert_ne!(sections[1], "S1");
        assert_eq!(
            item.data.summary.urls,
            [
                StoredUrl {
                    label: None,
                    primary: true,
                    href: "https://one.test".into()
                },
                StoredUrl {
                    label: None,
                    primary: false,
                    href: "https://two.test".into()
                },
            ]
        );
    }

    #[test]
    fn primary_url_missing_from_the_list_is_prepended() {
        let items = one_item(json!({"overview": {"url": "https://main.test",
            "urls": [{"label": "other", "url": "https://other.test"}]}}))
        .unwrap();
        let urls = &items[0].data.summary.urls;
        assert_eq!(urls.len(), 2);
        assert_eq!(
            (urls[0].href.as_str(), urls[0].primary),
            ("https://main.test", true)
        );
        assert_eq!(
            (urls[1].href.as_str(), urls[1].primary),
            ("https://other.test", false)
        );
    }

    #[test]
    fn value_kind_variants() {
        let items = one_item(
            json!({"categoryUuid": 3, "favIndex": 7, "details": {"sections": [
            {"title": "x", "name": "x", "fields": [
                {"id": "d1", "value": {"date": "2024-01-15"}},
                {"id": "d2", "value": {"date": -86_400}},
                {"id": "d3", "value": {"date": null}},
                {"id": "m1", "value": {"monthYear": 0}},
                {"id": "m2", "value": {"monthYear": "2027/03"}},
                {"id": "e1", "value": {"email": "plain@example.test"}},
                {"id": "s1", "value": {"sshKey": {"privateKey": "only top-level"}}},
                {"id": "s2", "value": {"sshKey": "as text"}},
                {"id": "a1", "value": {"address": {"city": "Paris", "country": "fr"}}},
                {"id": "u1", "value": {"passkey": {"rpId": "example.test"}}},
                {"id": "u2", "value": {"somethingNew": "text"}},
                {"id": "n1", "value": {}},
                {"id": "n2"},
                {"id": "n3", "value": {"string": 42}},
                {"id": "t1", "value": {"totp": "not base32 !!!"}}
            ]}]}}),
        )
        .unwrap();
        let item = &items[0];
        assert_eq!(item.category, Category::SecureNote, "numeric category code");
        assert!(item.data.summary.favorite);
        let check = |id: &str, field_type: FieldType, expected: Option<&str>| {
            let f = field(item, id);
            assert_eq!(
                (f.field_type, f.value.as_deref()),
                (field_type, expected),
                "{id}"
            );
        };
        check("d1", FieldType::Date, Some("1705276800"));
        check("d2", FieldType::Date, Some("-86400"));
        check("d3", FieldType::Date, None);
        check("m1", FieldType::MonthYear, None);
        check("m2", FieldType::MonthYear, Some("202703"));
        check("e1", FieldType::Email, Some("plain@example.test"));
        check("s1", FieldType::SshKey, Some("only top-level"));
        check("s2", FieldType::SshKey, Some("as text"));
        check("a1", FieldType::Address, Some("Paris\nfr"));
        check("u1", FieldType::Unknown, Some(r#"{"rpId":"example.test"}"#));
        check("u2", FieldType::Unknown, Some("text"));
        check("n1", FieldType::String, None);
        check("n2", FieldType::String, None);
        check("n3", FieldType::String, Some("42"));
        // An unusable OTP value is kept; the API simply computes no code for it.
        check("t1", FieldType::Otp, Some("not base32 !!!"));
    }

    #[test]
    fn unknown_categories_become_custom() {
        for code in ["115", "999", "", "abc", "1"] {
            let items = one_item(json!({"categoryUuid": code})).unwrap();
            assert_eq!(items[0].category, Category::Custom, "{code:?}");
            assert_eq!(field_ids(&items[0]), ["notesPlain"]);
        }
    }

    #[test]
    fn attachments_are_found_and_missing_ones_are_errors() {
        let doc = |id: &str, name: &str| {
            json!({"uuid": "cccccccccccccccccccccccccc", "categoryUuid": "006",
                "overview": {"title": "My document"},
                "details": {"documentAttributes": {"fileName": name, "documentId": id}}})
        };
        // Exact name.
        let items = one_item_with_files(
            doc("dddddddddddddddddddddddddd", "a.txt"),
            &[(
                "files/dddddddddddddddddddddddddd__a.txt".into(),
                b"A".to_vec(),
            )],
        )
        .unwrap();
        assert_eq!(items[0].files[0].content, b"A");
        assert_eq!(items[0].files[0].id, "dddddddddddddddddddddddddd");
        // The only entry for that document, although the name differs (e.g. normalised).
        let items = one_item_with_files(
            doc("DOC-1", "résumé.pdf"),
            &[("files/DOC-1__resume.pdf".into(), b"R".to_vec())],
        )
        .unwrap();
        let file = &items[0].files[0];
        assert_eq!(
            (file.name.as_str(), file.content.as_slice()),
            ("résumé.pdf", &b"R"[..])
        );
        assert_eq!(file.id, ids::derived_id("1pux-file", "DOC-1/résumé.pdf"));
        // Missing.
        let message = invalid(one_item(doc("eeeeeeeeeeeeeeeeeeeeeeeeee", "gone.txt")));
        assert!(message.contains("\"My document\""), "{message}");
        assert!(
            message.contains("files/eeeeeeeeeeeeeeeeeeeeeeeeee__gone.txt is missing"),
            "{message}"
        );
        // No document id.
        let message = invalid(one_item(doc("", "x.txt")));
        assert!(message.contains("documentId"), "{message}");
        // Two file fields with the same document get distinct ids, same bytes.
        let items = one_item_with_files(
            json!({"details": {"sections": [{"name": "f", "title": "files", "fields": [
                {"id": "f1", "value": {"file": {"fileName": "x", "documentId": "ffffffffffffffffffffffffff"}}},
                {"id": "f2", "value": {"file": {"fileName": "x", "documentId": "ffffffffffffffffffffffffff"}}}
            ]}]}}),
            &[("files/ffffffffffffffffffffffffff__x".into(), b"X".to_vec())],
        )
        .unwrap();
        let files = &items[0].files;
        assert_eq!(files.len(), 2);
        assert_ne!(files[0].id, files[1].id);
        assert!(files
            .iter()
            .all(|f| f.content == b"X" && f.section.as_deref() == Some("f")));
    }

    #[test]
    fn malformed_archives_are_unavailable() {
        assert!(unavailable(parse(b"")).contains("is not a 1PUX archive"));
        assert!(unavailable(parse(b"not a zip at all")).contains("is not a 1PUX archive"));
        let no_data = testgen::zip_entries(&[("export.attributes", b"{}")]);
        assert!(unavailable(parse(&no_data)).contains("no export.data"));
        let nested = testgen::zip_entries(&[("export/export.data", b"{\"accounts\":[]}")]);
        assert!(unavailable(parse(&nested)).contains("no export.data"));

        let bytes = std::fs::read(FIXTURE).expect("fixture");
        for len in (0..bytes.len()).step_by(7) {
            assert!(parse(&bytes[..len]).is_err(), "truncated to {len}");
        }
        // Flipped bytes anywhere: an error or a snapshot, never a panic.
        for at in (0..bytes.len()).step_by(3) {
            let mut corrupt = bytes.clone();
            corrupt[at] ^= 0x5a;
            let _ = parse(&corrupt);
        }
    }

    #[test]
    fn files_that_cannot_be_read_are_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.1pux");
        let message = unavailable(parse_file(&missing));
        assert!(message.contains("missing.1pux"), "{message}");
        assert!(unavailable(parse_file(dir.path())).contains("not a regular file"));
        let text = dir.path().join("notes.1pux");
        std::fs::write(&text, "plain text").unwrap();
        let message = unavailable(parse_file(&text));
        assert!(message.starts_with(&format!("{} is not a 1PUX archive: ", text.display())));
    }

    #[test]
    fn bad_export_data_is_invalid() {
        let data = |text: &str| {
            testgen::zip_entries(&[
                ("export.attributes", br#"{"version":3}"#),
                ("export.data", text.as_bytes()),
            ])
        };
        let cases: &[(&str, &str)] = &[
            ("", "not valid JSON"),
            ("{\"accounts\": [", "not valid JSON"),
            ("{\"accounts\": []} trailing", "not valid JSON"),
            ("[]", "expected an object with an \"accounts\" list"),
            ("{}", "no \"accounts\" list"),
            ("{\"accounts\": null}", "no \"accounts\" list"),
            (
                "{\"accounts\": [{\"vaults\": [{\"items\": null}]}], \"x\": {\"y\": [1]}}",
                "ok",
            ),
            ("{\"accounts\": {}}", "\"accounts\" to be a list"),
            ("{\"accounts\": [1]}", "accounts[0] to be an object"),
            (
                "{\"accounts\": [{\"vaults\": 1}]}",
                "accounts[0].vaults to be a list",
            ),
            (
                "{\"accounts\": [{\"attrs\": []}]}",
                "accounts[0].attrs: expected an object",
            ),
            (
                "{\"accounts\": [{\"attrs\": {\"uuid\": {}}}]}",
                "accounts[0].attrs.uuid: expected a string",
            ),
            (
                "{\"accounts\": [{\"vaults\": [\"v\"]}]}",
                "accounts[0].vaults[0] to be an object",
            ),
            (
                "{\"accounts\": [{\"vaults\": [{\"items\": {}}]}]}",
                "accounts[0].vaults[0].items to be a list",
            ),
            (
                "{\"accounts\": [{\"vaults\": [{\"attrs\": {\"name\": []}}]}]}",
                "accounts[0].vaults[0].attrs.name: expected a string",
            ),
            (
                "{\"accounts\": [{\"vaults\": [{\"items\": [1, 2]}]}]}",
                "items[0]: expected an object, found a number",
            ),
        ];
        for (text, expected) in cases {
            if *expected == "ok" {
                assert_eq!(parse(&data(text)).unwrap().vaults[0].items, []);
                continue;
            }
            let message = invalid(parse(&data(text)));
            assert!(message.contains(expected), "{text}: {message}");
        }
        let deep = format!(
            "{{\"accounts\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(invalid(parse(&data(&deep))).contains("accounts[0] to be an object"));
        let deep = format!(
            "{{\"accounts\": [{{\"vaults\": [{{\"items\": [{{\"details\": {}{}}}]}}]}}]}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let message = invalid(parse(&data(&deep)));
        assert!(message.contains("recursion limit"), "{message}");

        let bad_attributes = testgen::zip_entries(&[
            ("export.attributes", b"nope"),
            ("export.data", b"{\"accounts\": []}"),
        ]);
        assert!(invalid(parse(&bad_attributes)).contains("export.attributes"));
        let list_attributes = testgen::zip_entries(&[
            ("export.attributes", b"[]"),
            ("export.data", b"{\"accounts\": []}"),
        ]);
        assert!(invalid(parse(&list_attributes)).contains("export.attributes"));
        let no_attributes = testgen::zip_entries(&[("export.data", b"{\"accounts\": []}")]);
        assert_eq!(parse(&no_attributes).unwrap(), Snapshot::default());
    }

    #[test]
    fn bad_items_are_invalid_and_named() {
        let cases = [
            (
                json!("string item"),
                "items[0]: expected an object, found a string",
            ),
            (
                json!({"overview": {"title": {}}}),
                "overview.title: expected a string",
            ),
            (
                json!({"overview": {"title": "T", "tags": "x"}}),
                "\"T\": overview.tags: expected a list",
            ),
            (
                json!({"overview": {"title": "T", "tags": [[]]}}),
                "overview.tags[0]: expected a string",
            ),
            (
                json!({"overview": {"urls": [true]}}),
                "overview.urls[0]: expected an object",
            ),
            (json!({"overview": "x"}), "overview: expected an object"),
            (json!({"details": []}), "details: expected an object"),
            (
                json!({"state": 3.5, "categoryUuid": []}),
                "categoryUuid: expected a string",
            ),
            (json!({"favIndex": "yes"}), "favIndex: expected a number"),
            (
                json!({"details": {"loginFields": {}}}),
                "details.loginFields: expected a list",
            ),
            (
                json!({"details": {"loginFields": [3]}}),
                "details.loginFields[0]: expected an object",
            ),
            (
                json!({"details": {"loginFields": [{"value": []}]}}),
                "details.loginFields[0].value: expected a string",
            ),
            (
                json!({"details": {"notesPlain": {}}}),
                "details.notesPlain: expected a string",
            ),
            (
                json!({"details": {"sections": {}}}),
                "details.sections: expected a list",
            ),
            (
                json!({"details": {"sections": [{"fields": [1]}]}}),
                "details.sections[0].fields[0]: expected an object",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": 1}]}]}}),
                "details.sections[0].fields[0].value: expected an object",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"string": []}}]}]}}),
                "fields[0].value.string: expected a string, found a list",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"date": "tomorrow"}}]}]}}),
                "value.date: Invalid DATE value",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"date": 1e30}}]}]}}),
                "value.date: 1e+30 is not a date",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"date": 9_223_372_036_854_775_807_i64}}]}]}}),
                "Unix seconds must be between",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"date": u64::MAX}}]}]}}),
                "is not a date in Unix seconds",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"monthYear": 202_213}}]}]}}),
                "value.monthYear: Invalid MONTH_YEAR",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"monthYear": -1}}]}]}}),
                "is not a month",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"monthYear": 1e300}}]}]}}),
                "is not a month",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"file": "x"}}]}]}}),
                "value.file: expected an object",
            ),
            (
                json!({"details": {"sections": [{"fields": [{"value": {"email": {"email_address": 1.5e300, "provider": []}}}]}]}}),
                "ignored",
            ),
            (
                json!({"details": {"documentAttributes": "x"}}),
                "details.documentAttributes: expected an object",
            ),
        ];
        for (item, expected) in cases {
            let result = one_item(item.clone());
            if expected == "ignored" {
                assert!(result.is_ok(), "{item}: {result:?}");
                continue;
            }
            let message = invalid(result);
            assert!(message.contains(expected), "{item}: {message}");
            assert!(
                message.contains("accounts[0].vaults[0].items[0]"),
                "{message}"
            );
        }
    }

    #[test]
    fn errors_never_echo_secret_values() {
        let message = invalid(one_item(json!({"overview": {"title": "Bank"}, "details": {
        "loginFields": [{"value": "hunter2", "designation": "password"}],
        "sections": [{"fields": [
            {"value": {"concealed": "hunter2"}},
            {"value": {"concealed": ["hunter3"]}}
        ]}]}})));
        assert!(message.contains("\"Bank\""), "{message}");
        assert!(!message.contains("hunter"), "{message}");
    }

    #[test]
    fn entries_larger_than_the_limit_are_refused() {
        let entry = Cursor::new(vec![b' '; 100]);
        let mut limited = Limited::new(entry, 10);
        let mut sink = Vec::new();
        assert!(limited.read_to_end(&mut sink).is_err());
        assert!(limited.exceeded);
        let mut archive = ZipArchive::new(Cursor::new(testgen::zip_entries(&[(
            "files/big",
            &[0u8; 4096],
        )])))
        .unwrap();
        let message = invalid(read_entry(&mut archive, 0, 1024, "files/big", "x"));
        assert!(message.contains("files/big is larger than"), "{message}");
        assert_eq!(
            read_entry(&mut archive, 0, 4096, "files/big", "x")
                .unwrap()
                .len(),
            4096
        );
    }
}
