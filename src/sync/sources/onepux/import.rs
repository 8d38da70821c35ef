//! Turns the walk of `export.data` into what a sink receives: every vault and item gets its final
//! id (unique, stable), an item the sink already holds is not built, and an item's attachments
//! are read from the archive when the item is built, one item at a time.

use std::collections::HashSet;
use std::io::{Read, Seek};

use zip::ZipArchive;

use super::archive::{read_entry, Budget, Entries};
use super::export_data::{AccountInfo, ItemAt, VaultInfo, Walk};
use super::head::{self, text_digest, Head};
use super::item::convert_item;
use super::unique_ids::{source_id, unique_id};
use crate::model::Category;
use crate::sync::source::{ItemSink, SourceItem, SourceVault};
use crate::sync::sources::json_scan::Fail;

pub(super) struct Importer<'a, R> {
    entries: &'a Entries,
    /// A handle on the archive of its own: `export.data` is being read through the other one.
    files: ZipArchive<R>,
    pub(super) budget: Budget,
    name: &'a str,
    sink: &'a mut dyn ItemSink,
    vault_ids: HashSet<String>,
    vault: Option<Current>,
    vaults: usize,
}

/// The vault whose items are being read.
struct Current {
    id: String,
    item_ids: HashSet<String>,
    /// Items imported so far (for naming an attachment by position).
    imported: usize,
}

impl<'a, R: Read + Seek> Importer<'a, R> {
    pub(super) fn new(
        entries: &'a Entries,
        files: ZipArchive<R>,
        budget: Budget,
        name: &'a str,
        sink: &'a mut dyn ItemSink,
    ) -> Self {
        Importer {
            entries,
            files,
            budget,
            name,
            sink,
            vault_ids: HashSet::new(),
            vault: None,
            vaults: 0,
        }
    }

    /// The item's final id: its uuid when it has Connect's shape and is free in the vault, else
    /// one derived from where it sits.
    fn item_id(&mut self, uuid: &str, category: Category, title: &str) -> Result<String, Fail> {
        let vault = self.vault.as_mut().ok_or_else(no_vault)?;
        let vault_id = &vault.id;
        let key = || match uuid {
            "" => format!("{vault_id}/untitled/{category}/{title}"),
            uuid => format!("{vault_id}/{uuid}"),
        };
        let preferred = (!uuid.is_empty()).then(|| source_id(uuid, "1pux-item", key));
        Ok(unique_id(&mut vault.item_ids, "1pux-item", preferred, key))
    }

    /// Builds the item from its text, with its attachments' contents (its id is left empty), and
    /// says whether it has none (then it follows from its text alone). `None`: not imported.
    fn build(&mut self, raw: &[u8], at: ItemAt, ordinal: usize) -> Result<Option<Built>, Fail> {
        let value = serde_json::from_slice(raw).map_err(|e| {
            // Only the position: the message reaches the unauthenticated /health.
            Fail::Syntax(format!("{at}: {e}"))
        })?;
        let Some(pending) =
            convert_item(&value, self.entries).map_err(|e| Fail::Data(format!("{at}: {e}")))?
        else {
            return Ok(None);
        };
        let mut item = pending.item;
        for (f, entry) in pending.file_entries.iter().enumerate() {
            // Entry names carry the attachment's file name, which is user data: the attachment
            // is named by its position.
            let what = format!(
                "the attachment of vault #{}, item #{}, file #{}",
                self.vaults,
                ordinal,
                f + 1
            );
            let cap = self.budget.file();
            let content = read_entry(&mut self.files, *entry, &self.budget, cap, &what, self.name)
                .map_err(Fail::Source)?;
            self.budget.count_file(content.len() as u64);
            item.files[f].content = content;
        }
        Ok(Some(Built {
            own_text: pending.file_entries.is_empty(),
            uuid: pending.uuid,
            item,
        }))
    }
}

struct Built {
    item: SourceItem,
    uuid: String,
    own_text: bool,
}

fn no_vault() -> Fail {
    Fail::Data("an item outside a vault".into())
}

impl<R: Read + Seek> Walk for Importer<'_, R> {
    fn vault(&mut self, account: &AccountInfo, vault: VaultInfo) -> Result<(), Fail> {
        let key = || match vault.uuid.as_str() {
            "" => format!("{}/name:{}", account.uuid, vault.name),
            uuid => format!("{}/{uuid}", account.uuid),
        };
        let preferred = (!vault.uuid.is_empty()).then(|| source_id(&vault.uuid, "1pux-vault", key));
        let id = unique_id(&mut self.vault_ids, "1pux-vault", preferred, key);
        self.vaults += 1;
        self.vault = Some(Current {
            id: id.clone(),
            item_ids: HashSet::new(),
            imported: 0,
        });
        self.sink
            .vault(SourceVault {
                id,
                name: vault.name,
                description: vault.description,
                vault_type: vault.vault_type,
                revision: None,
            })
            .map_err(Fail::Source)
    }

    fn item(&mut self, raw: &[u8], at: ItemAt) -> Result<(), Fail> {
        let ordinal = self.vault.as_ref().ok_or_else(no_vault)?.imported + 1;
        let (id, mut built) = match head::read(raw) {
            Ok(None) => return Ok(()),
            Ok(Some(Head {
                uuid,
                category,
                title,
            })) => (self.item_id(&uuid, category, &title)?, None),
            // The quick read could not tell: build first, which reports what is wrong.
            Err(()) => match self.build(raw, at, ordinal)? {
                None => return Ok(()),
                Some(built) => {
                    let summary = &built.item.data.summary;
                    let id = self.item_id(&built.uuid, built.item.category, &summary.title)?;
                    (id, Some(built))
                }
            },
        };
        let vault = self.vault.as_mut().ok_or_else(no_vault)?;
        vault.imported = ordinal;
        let digest = text_digest(&vault.id, &id, raw);
        if !self
            .sink
            .wants(&vault.id, &id, Some(&digest))
            .map_err(Fail::Source)?
        {
            return Ok(());
        }
        let vault_id = vault.id.clone();
        if built.is_none() {
            built = self.build(raw, at, ordinal)?;
        }
        let Some(Built {
            mut item, own_text, ..
        }) = built
        else {
            return Ok(());
        };
        item.id = id;
        self.sink
            .item(&vault_id, item, own_text.then_some(digest))
            .map_err(Fail::Source)
    }
}
