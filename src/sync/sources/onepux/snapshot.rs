//! Turns the parsed accounts into the [`Snapshot`]: every vault and item gets its final id, and
//! the file contents still to be read from the archive are listed.

use std::collections::HashSet;

use super::export_data::PendingAccount;
use super::unique_ids::{source_id, unique_id};
use crate::sync::source::{Snapshot, SnapshotVault, SourceVault};

/// Where the bytes of one file go: `snapshot.vaults[vault].items[item].files[file]` gets the
/// content of archive entry `entry`.
pub(super) struct FileRead {
    pub(super) vault: usize,
    pub(super) item: usize,
    pub(super) file: usize,
    pub(super) entry: usize,
}

/// Gives every vault and item its final id and lists the file contents still to be read.
pub(super) fn finish(accounts: Vec<PendingAccount>) -> (Snapshot, Vec<FileRead>) {
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
