//! Streams `export.data` (accounts → vaults → items) with serde, converting each item as soon as
//! it is read, so that memory follows the snapshot rather than the JSON tree of the whole export.

use std::fmt;
use std::io::{BufReader, Read, Seek};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use zip::ZipArchive;

use super::archive::{Budget, Entries, Limited};
use super::item::{convert_item, PendingItem};
use super::json::{kind_of, text};
use crate::model::VaultType;
use crate::sync::source::SourceError;

pub(super) struct PendingAccount {
    pub(super) uuid: String,
    pub(super) vaults: Vec<PendingVault>,
}

pub(super) struct PendingVault {
    pub(super) uuid: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) vault_type: VaultType,
    pub(super) items: Vec<PendingItem>,
}

/// Parses the `export.data` entry at `index`: the accounts with their vaults and converted items.
/// The entry is inflated and parsed as a stream, and refused once it inflates beyond `budget`.
pub(super) fn read_accounts<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    entries: &Entries,
    budget: &Budget,
    name: &str,
) -> Result<Vec<PendingAccount>, SourceError> {
    let entry = archive.by_index(index).map_err(|e| {
        SourceError::Unavailable(format!("cannot read export.data from {name}: {e}"))
    })?;
    let cap = budget.cap(entry.compressed_size(), budget.data());
    let mut limited = Limited::new(entry, cap.bytes);
    let result = {
        let reader = BufReader::with_capacity(64 * 1024, &mut limited);
        let mut de = serde_json::Deserializer::from_reader(reader);
        ExportSeed { entries }
            .deserialize(&mut de)
            .and_then(|accounts| de.end().map(|()| accounts))
    };
    result.map_err(|e| {
        if limited.exceeded {
            cap.exceeded("export.data", name)
        } else {
            json_error(name, &e)
        }
    })
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
                        // The position only: the message reaches the unauthenticated
                        // /health, where an item's title has no place.
                        Err(e) => {
                            return Err(de::Error::custom(format!(
                                "accounts[{account}].vaults[{vault}].items[{index}]: {e}"
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
