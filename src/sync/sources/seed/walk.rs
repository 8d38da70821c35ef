//! The walk over a seed document: the context every step shares, and the [`Walker`] that hands
//! each vault and item to the engine's sink as soon as it is read (each item is built by `item`).
//! The YAML tree and the JSON stream (`stream`) both go through it, so both check ids, clashes
//! and positions alike.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

use hmac::Hmac;
use sha2::{Digest, Sha256};

use crate::config::SourceLimits;
use crate::ids;
use crate::model::{Limits, VaultType};
use crate::sync::source::{ContentDigest, ItemSink, SourceVault};

use super::checks::{check_id, parse_name};
use super::clashes::{clash, Seen};
use super::document::{get, list, mapping, non_empty_text, text, Node};
use super::keys::{ITEM_KEYS, ROOT_KEYS, VAULT_KEYS};

/// Mixed into every item's text digest: bump it when the same text would build a different item.
const TEXT_FORMAT: &[u8] = b"latchkey seed item v1\0";

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
    /// Set when building the current item read anything besides its text (a value file, an
    /// environment variable, attachments): such an item cannot be skipped by its text digest.
    pub(super) external: Cell<bool>,
}

/// Where an item sits, for ids, generation and messages.
pub(super) struct Scope<'a> {
    pub(super) vault_id: &'a str,
    pub(super) item_id: &'a str,
    /// `vault #1, item #2`: positions, never names (messages reach the unauthenticated
    /// `/health`).
    pub(super) at: &'a str,
}

/// An item as the document holds it.
pub(super) enum ItemText<'t> {
    Node(&'t Node),
    /// The item's JSON text, exactly as in the file.
    Json(&'t str),
}

/// A vault whose items are being walked: its id, position and the items seen so far (ids and
/// titles only, for the clash messages).
pub(super) struct VaultWalk {
    pub(super) id: String,
    at: String,
    items: HashMap<String, Seen>,
    next: usize,
}

/// Hands vaults and items to the sink in document order.
pub(super) struct Walker<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    sink: &'a mut dyn ItemSink,
    vaults: HashMap<String, Seen>,
    /// Nothing read so far depended on more than the document's text.
    pub(super) self_contained: bool,
}

fn sink_error(e: crate::sync::source::SourceError) -> String {
    e.to_string()
}

impl<'a> Walker<'a> {
    pub(super) fn new(ctx: &'a Ctx<'a>, sink: &'a mut dyn ItemSink) -> Self {
        Walker {
            ctx,
            sink,
            vaults: HashMap::new(),
            self_contained: true,
        }
    }

    /// The whole document as a tree (YAML, or JSON that is not streamed).
    pub(super) fn document(&mut self, root: &Node) -> Result<(), String> {
        if matches!(root, Node::Null) {
            return Err("the file is empty; expected a mapping with a `vaults` list".into());
        }
        let entries = mapping(root, ROOT_KEYS, "top level", "the document")?;
        if let Some(version) = get(entries, "version") {
            check_version(version)?;
        }
        let Some(vault_nodes) = get(entries, "vaults") else {
            return Err(VAULTS_REQUIRED.into());
        };
        let Node::List(vault_nodes) = vault_nodes else {
            return Err(vaults_not_a_list(vault_nodes.kind()));
        };
        for (index, node) in vault_nodes.iter().enumerate() {
            let (vault, explicit_id) = self.ctx.vault_header(node, index)?;
            let mut walk = VaultWalk::new(vault.id.clone(), index);
            let entries = mapping(node, VAULT_KEYS, &walk.at, "a vault")?;
            for item in list(entries, "items", &walk.at)? {
                self.item(&mut walk, ItemText::Node(item))?;
            }
            self.vault_done(vault, explicit_id, index)?;
        }
        Ok(())
    }

    /// The vault itself, once its items are walked: a clash with an earlier vault is an error.
    pub(super) fn vault_done(
        &mut self,
        vault: SourceVault,
        explicit_id: bool,
        index: usize,
    ) -> Result<(), String> {
        let this = Seen {
            position: index + 1,
            explicit_id,
        };
        if let Some(first) = self.vaults.get(&vault.id) {
            return Err(clash("vault", first, &this, &vault.id));
        }
        self.vaults.insert(vault.id.clone(), this);
        self.sink.vault(vault).map_err(sink_error)
    }

    /// One item: skipped when the sink already holds its text, else built and handed over.
    pub(super) fn item(&mut self, vault: &mut VaultWalk, text: ItemText<'_>) -> Result<(), String> {
        let index = vault.next;
        vault.next += 1;
        let digest = text_digest(&vault.id, &text);
        let mut asked = false;
        if let Some((id, explicit)) = identity(&vault.id, &text) {
            asked = true;
            if !self
                .sink
                .wants(&vault.id, &id, Some(&digest))
                .map_err(sink_error)?
            {
                return vault.seen(index, id, explicit);
            }
        }
        let parsed;
        let node = match text {
            ItemText::Node(node) => node,
            ItemText::Json(raw) => {
                parsed = super::document::json_node(raw)?;
                &parsed
            }
        };
        self.ctx.external.set(false);
        let (item, explicit) = self.ctx.item(&vault.id, &vault.at, node, index)?;
        let own = !self.ctx.external.get();
        self.self_contained &= own;
        vault.seen(index, item.id.clone(), explicit)?;
        if !asked
            && !self
                .sink
                .wants(&vault.id, &item.id, None)
                .map_err(sink_error)?
        {
            return Ok(());
        }
        let vault_id = vault.id.clone();
        self.sink
            .item(&vault_id, item, own.then_some(digest))
            .map_err(sink_error)
    }
}

impl VaultWalk {
    pub(super) fn new(id: String, index: usize) -> Self {
        VaultWalk {
            id,
            at: vault_at(index),
            items: HashMap::new(),
            next: 0,
        }
    }

    /// Records an item's id; one seen before in this vault is a clash.
    fn seen(&mut self, index: usize, id: String, explicit: bool) -> Result<(), String> {
        let this = Seen {
            position: index + 1,
            explicit_id: explicit,
        };
        if let Some(first) = self.items.get(&id) {
            return Err(format!("{}: {}", self.at, clash("item", first, &this, &id)));
        }
        self.items.insert(id, this);
        Ok(())
    }
}

pub(super) const VAULTS_REQUIRED: &str = "`vaults` is required (a list of vaults)";

pub(super) fn vaults_not_a_list(kind: &str) -> String {
    format!("`vaults` must be a list, not {kind}")
}

pub(super) fn vault_at(index: usize) -> String {
    format!("vault #{}", index + 1)
}

pub(super) fn check_version(version: &Node) -> Result<(), String> {
    if matches!(version, Node::Null | Node::Number { int: Some(1), .. }) {
        Ok(())
    } else {
        Err("unsupported `version`; this latchkey reads version 1".into())
    }
}

/// An item's id and whether it was given, read without building the item; `None` when they
/// cannot be read (building it then says why).
fn identity(vault_id: &str, text: &ItemText<'_>) -> Option<(String, bool)> {
    let (title, explicit) = match text {
        ItemText::Node(node) => {
            let entries = mapping(node, ITEM_KEYS, "", "").ok()?;
            (
                non_empty_text(entries, "title", "").ok()??,
                non_empty_text(entries, "id", "").ok()?,
            )
        }
        ItemText::Json(raw) => {
            let ident = super::head::read(raw)?;
            let scalar = |v: Option<serde_json::Value>| {
                v.map(super::document::Node::from_json)
                    .and_then(|n| n.scalar_text())
                    .filter(|s| !s.is_empty())
            };
            (scalar(ident.title)?, scalar(ident.id))
        }
    };
    let id = match &explicit {
        Some(id) => {
            check_id(id, "", "item").ok()?;
            id.clone()
        }
        None => ids::derived_id("seed-item", &format!("{vault_id}/{title}")),
    };
    Some((id, explicit.is_some()))
}

/// The SHA-256 of what an item is built from when it reads nothing else: its text and vault.
fn text_digest(vault_id: &str, text: &ItemText<'_>) -> ContentDigest {
    let mut hash = Sha256::new();
    hash.update(TEXT_FORMAT);
    hash.update(vault_id.as_bytes());
    hash.update([0]);
    match text {
        ItemText::Json(raw) => {
            hash.update(b"j");
            hash.update(raw.as_bytes());
        }
        ItemText::Node(node) => {
            hash.update(b"n");
            node.hash_into(&mut hash);
        }
    }
    hash.finalize().into()
}

impl Ctx<'_> {
    /// A vault's own attributes (its `items` are walked separately), and whether its id was
    /// given.
    pub(super) fn vault_header(
        &self,
        node: &Node,
        index: usize,
    ) -> Result<(SourceVault, bool), String> {
        let at = vault_at(index);
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
        list(entries, "items", &at)?;
        let vault = SourceVault {
            id,
            name,
            description,
            vault_type,
            revision: None,
        };
        Ok((vault, explicit.is_some()))
    }
}
