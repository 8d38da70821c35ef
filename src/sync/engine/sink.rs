//! The engine's side of a streamed read: for each item, whether the store already holds it (by
//! the keyed digest of its text, then of its content), and what a run must write. The first
//! pass only checks and holds the changes while they are few; the second, when they were too many
//! to hold, sends them to be written batch by batch. A first sync, with nothing stored to compare
//! with, does both in one pass.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{prepare, Prepared, BATCH, BATCH_FILE_BYTES};
use crate::store::{KnownDigests, Store};
use crate::sync::progress::Progress;
use crate::sync::source::{ContentDigest, ItemSink, SourceError, SourceItem, SourceVault};
use crate::text::quote;

/// Changed items a check pass holds for writing; beyond this (or [`HOLD_FILE_BYTES`]), the
/// source is read a second time to write them.
const HOLD_ITEMS: usize = 2_000;
const HOLD_FILE_BYTES: usize = 32 * 1024 * 1024;

/// What a writing pass sends the engine, in source order.
pub(super) enum Sent {
    /// A batch of one vault's items.
    Items(String, Vec<Prepared>),
    /// A vault's attributes (only on a first sync, which writes vaults as they come).
    Vault(SourceVault),
}

/// What the store holds of an item, and whether the source listed it in this run (a flag on the
/// entry rather than a set of listed ids: a set cost an id copy and an insert per item).
pub(super) struct Known {
    pub(super) digests: KnownDigests,
    pub(super) listed: bool,
}

impl From<KnownDigests> for Known {
    fn from(digests: KnownDigests) -> Self {
        Known {
            digests,
            listed: false,
        }
    }
}

/// What a run found for one vault.
pub(super) struct Plan {
    pub(super) id: String,
    pub(super) vault: Option<SourceVault>,
    /// Not a vault created through the API with the source's id.
    pub(super) owned: bool,
    pub(super) known: HashMap<String, Known>,
    /// The items listed in this run that the store does not hold.
    pub(super) new: HashSet<String>,
    /// Items listed in this run.
    pub(super) listed: usize,
    /// Changed items held from the check pass.
    pub(super) pending: Vec<Prepared>,
    /// Items whose content is unchanged but whose text digest is new.
    pub(super) touches: Vec<(String, [u8; 32])>,
}

impl Plan {
    /// The source items of the store the source no longer lists.
    pub(super) fn removals(&self) -> Vec<String> {
        self.known
            .iter()
            .filter(|(_, k)| k.digests.from_source && !k.listed)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Marks an item listed; `false` when it was listed before in this run.
    fn list(&mut self, item_id: &str) -> bool {
        let first = match self.known.get_mut(item_id) {
            Some(known) => !std::mem::replace(&mut known.listed, true),
            None => self.new.insert(item_id.to_string()),
        };
        self.listed += usize::from(first);
        first
    }
}

pub(super) enum Mode {
    Check,
    Write(mpsc::Sender<Sent>),
    /// A first sync (the store holds nothing of the source): one pass that checks like
    /// [`Mode::Check`] and sends everything to be written as it comes, vaults included.
    First(mpsc::Sender<Sent>),
}

impl Mode {
    /// This pass checks the source (and counts what it finds).
    fn checks(&self) -> bool {
        !matches!(self, Mode::Write(_))
    }

    fn sender(&self) -> Option<&mpsc::Sender<Sent>> {
        match self {
            Mode::Check => None,
            Mode::Write(sender) | Mode::First(sender) => Some(sender),
        }
    }
}

pub(super) struct Sink {
    store: Store,
    progress: Arc<Progress>,
    pub(super) mode: Mode,
    pub(super) plans: Vec<Plan>,
    index: HashMap<String, usize>,
    /// The store's items of the source vaults no plan has claimed yet.
    known: HashMap<String, HashMap<String, Known>>,
    local: HashSet<String>,
    stored_content: Option<Vec<u8>>,
    /// The keyed digest of the content read.
    pub(super) content: Option<[u8; 32]>,
    pub(super) items: u64,
    pub(super) unchanged: usize,
    held: (usize, usize),
    /// The check pass found more changes than it holds.
    pub(super) overflow: bool,
    batch: Option<(String, Vec<Prepared>)>,
}

impl Sink {
    pub(super) fn new(
        store: Store,
        progress: Arc<Progress>,
        (known, local): crate::store::SourceKnown<Known>,
        stored_content: Option<Vec<u8>>,
    ) -> Self {
        Sink {
            store,
            progress,
            mode: Mode::Check,
            plans: Vec::new(),
            index: HashMap::new(),
            known,
            local,
            stored_content,
            content: None,
            items: 0,
            unchanged: 0,
            held: (0, 0),
            overflow: false,
            batch: None,
        }
    }

    fn keyed(&self, domain: &str, digest: &ContentDigest) -> [u8; 32] {
        // Hex on the stack: this runs for every item a run reads.
        let mut hex = [0u8; 64];
        data_encoding::HEXLOWER.encode_mut(digest, &mut hex);
        let hex = std::str::from_utf8(&hex).expect("hex digits are ASCII");
        self.store.keys().blind_index(domain, hex)
    }

    fn plan(&mut self, vault_id: &str) -> Result<&mut Plan, SourceError> {
        if let Some(&i) = self.index.get(vault_id) {
            return Ok(&mut self.plans[i]);
        }
        if !crate::ids::is_valid_id(vault_id) {
            return Err(SourceError::Invalid(format!(
                "the source lists vault id {} twice or malformed",
                quote(vault_id, 40)
            )));
        }
        self.index.insert(vault_id.to_string(), self.plans.len());
        self.plans.push(Plan {
            id: vault_id.to_string(),
            vault: None,
            owned: !self.local.contains(vault_id),
            known: self.known.remove(vault_id).unwrap_or_default(),
            new: HashSet::new(),
            listed: 0,
            pending: Vec::new(),
            touches: Vec::new(),
        });
        Ok(self.plans.last_mut().expect("just pushed"))
    }

    /// Holds a changed item from the check pass, unless too many are held already.
    fn hold(&mut self, vault_id: &str, prepared: Prepared) -> Result<(), SourceError> {
        if self.overflow {
            return Ok(());
        }
        let bytes: usize = prepared.files.iter().map(|(_, c)| c.len()).sum();
        self.held = (self.held.0 + 1, self.held.1 + bytes);
        if self.held.0 > HOLD_ITEMS || self.held.1 > HOLD_FILE_BYTES {
            self.overflow = true;
            self.plans.iter_mut().for_each(|p| p.pending = Vec::new());
            return Ok(());
        }
        self.plan(vault_id)?.pending.push(prepared);
        Ok(())
    }

    /// Queues a changed item of the writing pass; a full batch (or another vault's) is sent.
    fn queue(&mut self, vault_id: &str, prepared: Prepared) -> Result<(), SourceError> {
        if self.batch.as_ref().is_some_and(|(v, _)| v != vault_id) {
            self.send()?;
        }
        let (_, items) = self
            .batch
            .get_or_insert_with(|| (vault_id.to_string(), Vec::with_capacity(BATCH)));
        items.push(prepared);
        let bytes: usize = items
            .iter()
            .flat_map(|p| p.files.iter())
            .map(|(_, c)| c.len())
            .sum();
        if items.len() >= BATCH || bytes >= BATCH_FILE_BYTES {
            self.send()?;
        }
        Ok(())
    }

    /// Sends the batch being filled to the engine (waiting while it writes the previous one).
    pub(super) fn send(&mut self) -> Result<(), SourceError> {
        let Some((vault_id, items)) = self.batch.take() else {
            return Ok(());
        };
        self.deliver(Sent::Items(vault_id, items))
    }

    fn deliver(&self, sent: Sent) -> Result<(), SourceError> {
        let Some(sender) = self.mode.sender() else {
            return Ok(());
        };
        sender
            .blocking_send(sent)
            .map_err(|_| SourceError::Unavailable("the sync run stopped".into()))
    }
}

impl ItemSink for Sink {
    fn content(&mut self, digest: &ContentDigest) -> bool {
        let keyed = self.keyed("source-content", digest);
        self.content = Some(keyed);
        matches!(self.mode, Mode::Check) && self.stored_content.as_deref() == Some(&keyed[..])
    }

    fn total(&mut self, items: u64) {
        self.progress.set_total(items);
    }

    fn vault(&mut self, vault: SourceVault) -> Result<(), SourceError> {
        let check = self.mode.checks();
        let plan = self.plan(&vault.id)?;
        if plan.vault.is_some() && check {
            return Err(SourceError::Invalid(format!(
                "the source lists vault id {} twice or malformed",
                quote(&vault.id, 40)
            )));
        }
        plan.vault = Some(vault.clone());
        let owned = plan.owned;
        if matches!(self.mode, Mode::First(_)) && owned {
            // After the items sent so far, which may be this vault's.
            self.send()?;
            self.deliver(Sent::Vault(vault))?;
        }
        Ok(())
    }

    fn wants(
        &mut self,
        vault_id: &str,
        item_id: &str,
        text: Option<&ContentDigest>,
    ) -> Result<bool, SourceError> {
        let text = text.map(|t| self.keyed("source-text", t));
        let check = self.mode.checks();
        self.progress.advance(1, 0);
        if check {
            self.items += 1;
        }
        let plan = self.plan(vault_id)?;
        if check && (!crate::ids::is_valid_id(item_id) || !plan.list(item_id)) {
            return Err(SourceError::Invalid(format!(
                "the source lists item id {} twice or malformed",
                quote(item_id, 40)
            )));
        }
        if !plan.owned {
            return Ok(false);
        }
        let wanted = match plan.known.get(item_id).map(|k| &k.digests) {
            Some(known) if !known.from_source => {
                if check {
                    tracing::warn!(vault = %vault_id, item = %item_id, "an item created through the API has the source's id; keeping the API's");
                }
                return Ok(false);
            }
            Some(known) => text.is_none() || known.text != text,
            None => true,
        };
        if check && !wanted {
            self.unchanged += 1;
        }
        Ok(wanted)
    }

    fn item(
        &mut self,
        vault_id: &str,
        item: SourceItem,
        text: Option<ContentDigest>,
    ) -> Result<(), SourceError> {
        let mut prepared = prepare(&self.store, vault_id, item, None)?;
        prepared.text = text.map(|t| self.keyed("source-text", &t));
        let check = self.mode.checks();
        let plan = self.plan(vault_id)?;
        let known = plan.known.get(&prepared.id).map(|k| &k.digests);
        if known.is_some_and(|k| k.digest.as_ref().map(|d| &d[..]) == Some(&prepared.digest[..])) {
            if check {
                if let Some(text) = prepared
                    .text
                    .filter(|t| known.and_then(|k| k.text) != Some(*t))
                {
                    plan.touches.push((prepared.id, text));
                }
                self.unchanged += 1;
            }
            return Ok(());
        }
        match self.mode {
            Mode::Check => self.hold(vault_id, prepared),
            Mode::Write(_) | Mode::First(_) => self.queue(vault_id, prepared),
        }
    }
}
