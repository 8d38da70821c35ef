//! Store operations of the sync worker: source-owned vaults and items, applied in batches, each
//! batch one transaction, so that a kill at any point leaves a consistent store.

use std::collections::{HashMap, HashSet};

use sqlx::{Row, Sqlite, Transaction};

use super::vaults::VaultSecret;
use super::{decode_json, Store, StoreError, StoreResult};
use crate::crypto::{row_aad, DataKey};
use crate::model::{Category, ItemData, VaultType};
use crate::timefmt;

/// What the store knows of a source item, to decide whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownItem {
    pub from_source: bool,
    pub revision: Option<String>,
    pub digest: Option<Vec<u8>>,
    pub text: Option<Vec<u8>>,
}

/// What a streaming sync needs to know of an item: the same as [`KnownItem`], compact (a
/// 100,000-item source keeps 100,000 of these during a run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDigests {
    pub from_source: bool,
    pub digest: Option<[u8; 32]>,
    pub text: Option<[u8; 32]>,
}

/// The items of every source vault by vault id, and the ids of the vaults that are not the
/// source's.
pub type SourceKnown = (
    HashMap<String, HashMap<String, KnownDigests>>,
    HashSet<String>,
);

/// One item to write from the source.
pub struct SourceWrite<'a> {
    pub id: &'a str,
    pub category: Category,
    pub state: Option<&'a str>,
    pub data: &'a ItemData,
    pub files: &'a [(String, Vec<u8>)],
    pub digest: Vec<u8>,
    /// The keyed digest of the item's own source text, when the item depends on nothing else.
    pub text: Option<&'a [u8]>,
    pub revision: Option<&'a str>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchResult {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

/// How a source vault compares with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultChange {
    Added,
    Updated,
    Unchanged,
    /// A vault with this id exists but was not created by the source; it is left alone.
    NotOwned,
}

impl Store {
    /// Ids of the vaults the source owns.
    pub async fn source_vault_ids(&self) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM vaults WHERE origin = 'source' ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Creates or updates a source vault; its attribute version goes up only on a real change.
    pub async fn upsert_source_vault(
        &self,
        id: &str,
        name: &str,
        description: &str,
        vault_type: VaultType,
    ) -> StoreResult<VaultChange> {
        let row =
            sqlx::query("SELECT data_key, sealed, vault_type, origin FROM vaults WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            self.create_vault(Some(id), name, description, vault_type)
                .await?;
            sqlx::query("UPDATE vaults SET origin = 'source' WHERE id = ?")
                .bind(id)
                .execute(&self.pool)
                .await?;
            return Ok(VaultChange::Added);
        };
        if row.try_get::<String, _>("origin")? != "source" {
            return Ok(VaultChange::NotOwned);
        }
        let key = self.vault_key(id, row.try_get::<&[u8], _>("data_key")?)?;
        let plain = key.open(&row_aad(&["vault", id]), row.try_get::<&[u8], _>("sealed")?)?;
        let current: VaultSecret = decode_json(&plain, "vault")?;
        let current_type: String = row.try_get("vault_type")?;
        if current.name == name
            && current.description == description
            && current_type == vault_type.as_str()
        {
            return Ok(VaultChange::Unchanged);
        }
        let secret = VaultSecret::encode(name, description)?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE vaults SET sealed = ?, name_index = ?, vault_type = ?, \
             attribute_version = attribute_version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(key.seal(&row_aad(&["vault", id]), &secret))
        .bind(self.vault_name_index(name))
        .bind(vault_type.as_str())
        .bind(timefmt::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(VaultChange::Updated)
    }

    /// The source revision the vault was last fully synced at.
    pub async fn vault_source_revision(&self, id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT source_revision FROM vaults WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    pub async fn set_vault_source_revision(
        &self,
        id: &str,
        revision: Option<&str>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE vaults SET source_revision = ? WHERE id = ?")
            .bind(revision)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a vault and everything in it.
    pub async fn delete_vault(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let deleted = sqlx::query("DELETE FROM vaults WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// What the store knows about every item of a vault.
    pub async fn known_items(&self, vault_id: &str) -> StoreResult<HashMap<String, KnownItem>> {
        let rows = sqlx::query(
            "SELECT id, origin, source_revision, source_digest, source_text FROM items \
             WHERE vault_id = ?",
        )
        .bind(vault_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("id")?,
                    KnownItem {
                        from_source: row.try_get::<String, _>("origin")? == "source",
                        revision: row.try_get("source_revision")?,
                        digest: row.try_get("source_digest")?,
                        text: row.try_get("source_text")?,
                    },
                ))
            })
            .collect()
    }

    /// What a streaming sync compares with: every item of every source vault (API items in
    /// them included), and the ids of the other vaults.
    pub async fn source_known(&self) -> StoreResult<SourceKnown> {
        let local: HashSet<String> =
            sqlx::query_scalar("SELECT id FROM vaults WHERE origin != 'source'")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let mut rows = sqlx::query(
            "SELECT i.vault_id, i.id, i.origin, i.source_digest, i.source_text FROM items i \
             JOIN vaults v ON v.id = i.vault_id WHERE v.origin = 'source'",
        )
        .fetch(&self.pool);
        let mut known: HashMap<String, HashMap<String, KnownDigests>> = HashMap::new();
        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            let digest = |column: &str| -> StoreResult<Option<[u8; 32]>> {
                let bytes: Option<&[u8]> = row.try_get(column)?;
                Ok(bytes.and_then(|b| b.try_into().ok()))
            };
            let entry = KnownDigests {
                from_source: row.try_get::<&str, _>("origin")? == "source",
                digest: digest("source_digest")?,
                text: digest("source_text")?,
            };
            let vault: &str = row.try_get("vault_id")?;
            if !known.contains_key(vault) {
                known.insert(vault.to_string(), HashMap::new());
            }
            if let Some(items) = known.get_mut(vault) {
                items.insert(row.try_get("id")?, entry);
            }
        }
        Ok((known, local))
    }

    /// Records the text digests of source items whose content turned out unchanged.
    pub async fn set_source_texts(
        &self,
        vault_id: &str,
        texts: &[(String, [u8; 32])],
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for (id, text) in texts {
            sqlx::query(
                "UPDATE items SET source_text = ? WHERE vault_id = ? AND id = ? \
                 AND origin = 'source'",
            )
            .bind(&text[..])
            .bind(vault_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a batch of source items and removals in one transaction. Items whose digest is
    /// unchanged only get their revision marker refreshed; the others get version + 1.
    pub async fn apply_source_batch(
        &self,
        vault_id: &str,
        writes: &[SourceWrite<'_>],
        removals: &[String],
        editor: &str,
    ) -> StoreResult<BatchResult> {
        let wrapped: Vec<u8> = sqlx::query_scalar("SELECT data_key FROM vaults WHERE id = ?")
            .bind(vault_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(format!("vault {vault_id} vanished during sync"))
            })?;
        let batch = Batch {
            vault_id,
            key: self.vault_key(vault_id, &wrapped)?,
            editor,
            now: timefmt::now(),
        };
        let mut result = BatchResult::default();
        let mut tx = self.write_tx().await?;
        for write in writes {
            match self.apply_source_write(&mut tx, &batch, write).await? {
                WriteOutcome::Kept => {}
                WriteOutcome::Added => result.added += 1,
                WriteOutcome::Updated => result.updated += 1,
            }
        }
        for id in removals {
            let deleted = sqlx::query(
                "DELETE FROM items WHERE vault_id = ? AND id = ? AND origin = 'source'",
            )
            .bind(vault_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            result.removed += usize::try_from(deleted.rows_affected()).unwrap_or(0);
        }
        let changes = result.added + result.updated + result.removed;
        if changes > 0 {
            sqlx::query(
                "UPDATE vaults SET content_version = content_version + 1, updated_at = ?, \
                 item_count = (SELECT COUNT(*) FROM items WHERE vault_id = ?) WHERE id = ?",
            )
            .bind(batch.now)
            .bind(vault_id)
            .bind(vault_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(result)
    }

    /// Writes one source item unless the row is not the source's or its digest is unchanged.
    async fn apply_source_write(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        batch: &Batch<'_>,
        write: &SourceWrite<'_>,
    ) -> StoreResult<WriteOutcome> {
        let existing: Option<(Option<Vec<u8>>, String)> =
            sqlx::query_as("SELECT source_digest, origin FROM items WHERE vault_id = ? AND id = ?")
                .bind(batch.vault_id)
                .bind(write.id)
                .fetch_optional(&mut **tx)
                .await?;
        match existing {
            Some((_, origin)) if origin != "source" => return Ok(WriteOutcome::Kept),
            Some((Some(digest), _)) if digest == write.digest => {
                sqlx::query(
                    "UPDATE items SET source_revision = ?, source_text = ? \
                     WHERE vault_id = ? AND id = ?",
                )
                .bind(write.revision)
                .bind(write.text)
                .bind(batch.vault_id)
                .bind(write.id)
                .execute(&mut **tx)
                .await?;
                return Ok(WriteOutcome::Kept);
            }
            _ => {}
        }
        let (summary, body) = self.seal_item(&batch.key, batch.vault_id, write.id, write.data)?;
        let row = SealedRow {
            title_index: self.title_index(batch.vault_id, &write.data.summary.title),
            summary,
            body,
        };
        let outcome = if existing.is_some() {
            update_source_item(tx, batch, write, &row).await?;
            WriteOutcome::Updated
        } else {
            insert_source_item(tx, batch, write, &row).await?;
            WriteOutcome::Added
        };
        self.write_tags(tx, batch.vault_id, write.id, &write.data.summary.tags)
            .await?;
        sqlx::query("DELETE FROM files WHERE vault_id = ? AND item_id = ?")
            .bind(batch.vault_id)
            .bind(write.id)
            .execute(&mut **tx)
            .await?;
        for (file_id, content) in write.files {
            super::files::insert_file(tx, &batch.key, batch.vault_id, write.id, file_id, content)
                .await?;
        }
        Ok(outcome)
    }
}

/// The vault a batch writes to, and what every write in it shares.
struct Batch<'a> {
    vault_id: &'a str,
    key: DataKey,
    editor: &'a str,
    now: i64,
}

/// What one source write did to the item's row.
enum WriteOutcome {
    /// Left alone: the row is not the source's, or only its revision marker was refreshed.
    Kept,
    Added,
    Updated,
}

/// The sealed and blind-indexed columns of an item row.
struct SealedRow {
    title_index: Vec<u8>,
    summary: Vec<u8>,
    body: Vec<u8>,
}

async fn update_source_item(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &Batch<'_>,
    write: &SourceWrite<'_>,
    row: &SealedRow,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE items SET category = ?, state = ?, version = version + 1, title_index = ?, \
         summary = ?, body = ?, updated_at = ?, last_edited_by = ?, source_digest = ?, \
         source_revision = ?, source_text = ? WHERE vault_id = ? AND id = ?",
    )
    .bind(write.category.as_str())
    .bind(write.state)
    .bind(&row.title_index)
    .bind(&row.summary)
    .bind(&row.body)
    .bind(batch.now)
    .bind(batch.editor)
    .bind(&write.digest)
    .bind(write.revision)
    .bind(write.text)
    .bind(batch.vault_id)
    .bind(write.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_source_item(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &Batch<'_>,
    write: &SourceWrite<'_>,
    row: &SealedRow,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO items (vault_id, id, category, version, state, title_index, summary, body, \
         created_at, updated_at, last_edited_by, origin, source_digest, source_revision, \
         source_text) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 'source', ?, ?, ?)",
    )
    .bind(batch.vault_id)
    .bind(write.id)
    .bind(write.category.as_str())
    .bind(write.state)
    .bind(&row.title_index)
    .bind(&row.summary)
    .bind(&row.body)
    .bind(batch.now)
    .bind(batch.now)
    .bind(batch.editor)
    .bind(&write.digest)
    .bind(write.revision)
    .bind(write.text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
