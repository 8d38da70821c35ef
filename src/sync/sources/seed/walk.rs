//! The walk over a seed document: the context every step shares, the root and its vaults (each
//! vault's items are built by `item`).

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

use hmac::Hmac;
use sha2::Sha256;

use crate::config::SourceLimits;
use crate::ids;
use crate::model::{Limits, VaultType};
use crate::sync::source::{Snapshot, SnapshotVault, SourceVault};

use super::checks::{check_id, parse_name};
use super::clashes::{clash, Seen};
use super::document::{get, list, mapping, non_empty_text, text, Node};
use super::keys::{ROOT_KEYS, VAULT_KEYS};

pub(super) struct Ctx<'a> {
    pub(super) base_dir: &'a Path,
    pub(super) env: &'a dyn Fn(&str) -> Option<String>,
    /// HMAC-SHA256 keyed with the generation key.
    pub(super) mac: Hmac<Sha256>,
    pub(super) limits: Limits,
    /// What files and value files may make the parser read.
    pub(super) bounds: SourceLimits,
    /// Attachment bytes read so far, against `bounds.max_files_bytes`.
    pub(super) files_read: Cell<u64>,
}

/// Where an item sits, for ids, generation and messages.
pub(super) struct Scope<'a> {
    pub(super) vault_id: &'a str,
    pub(super) item_id: &'a str,
    /// `vault #1, item #2`: positions, never names (messages reach the unauthenticated
    /// `/health`).
    pub(super) at: &'a str,
}

impl Ctx<'_> {
    pub(super) fn snapshot(&self, root: &Node) -> Result<Snapshot, String> {
        if matches!(root, Node::Null) {
            return Err("the file is empty; expected a mapping with a `vaults` list".into());
        }
        let entries = mapping(root, ROOT_KEYS, "top level", "the document")?;
        if let Some(version) = get(entries, "version") {
            if !matches!(version, Node::Number { int: Some(1), .. }) {
                return Err("unsupported `version`; this latchkey reads version 1".into());
            }
        }
        let Some(vault_nodes) = get(entries, "vaults") else {
            return Err("`vaults` is required (a list of vaults)".into());
        };
        let Node::List(vault_nodes) = vault_nodes else {
            return Err(format!(
                "`vaults` must be a list, not {}",
                vault_nodes.kind()
            ));
        };
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let mut vaults = Vec::with_capacity(vault_nodes.len());
        for (index, node) in vault_nodes.iter().enumerate() {
            let (vault, explicit_id) = self.vault(node, index)?;
            let this = Seen {
                position: index + 1,
                name: vault.vault.name.clone(),
                explicit_id,
            };
            if let Some(first) = seen.get(&vault.vault.id) {
                return Err(clash("vault", first, &this, &vault.vault.id));
            }
            seen.insert(vault.vault.id.clone(), this);
            vaults.push(vault);
        }
        Ok(Snapshot { vaults })
    }

    fn vault(&self, node: &Node, index: usize) -> Result<(SnapshotVault, bool), String> {
        let at = format!("vault #{}", index + 1);
        let entries = mapping(node, VAULT_KEYS, &at, "a vault")?;
        let name =
            non_empty_text(entries, "name", &at)?.ok_or(format!("{at}: `name` is required"))?;
        let explicit = non_empty_text(entries, "id", &at)?;
        let id = match &explicit {
            Some(id) => {
                check_id(id, &at, "vault")?;
                id.clone()
            }
            None => ids::derived_id("seed-vault", &name),
        };
        let description = text(entries, "description", &at)?.unwrap_or_default();
        let vault_type = match text(entries, "type", &at)? {
            None => VaultType::UserCreated,
            Some(t) => parse_name(&t, VaultType::ALL, VaultType::parse, "vault type", &at)?,
        };
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let item_nodes = list(entries, "items", &at)?;
        let mut items = Vec::with_capacity(item_nodes.len());
        for (index, node) in item_nodes.iter().enumerate() {
            let (item, title, explicit_id) = self.item(&id, &at, node, index)?;
            let this = Seen {
                position: index + 1,
                name: title,
                explicit_id,
            };
            if let Some(first) = seen.get(&item.id) {
                return Err(format!("{at}: {}", clash("item", first, &this, &item.id)));
            }
            seen.insert(item.id.clone(), this);
            items.push(item);
        }
        let vault = SourceVault {
            id,
            name,
            description,
            vault_type,
            revision: None,
        };
        Ok((SnapshotVault { vault, items }, explicit.is_some()))
    }
}
