//! Store operations of the sync worker: source-owned vaults and items, applied in batches, each
//! batch one transaction, so that a kill at any point leaves a consistent store.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

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
}

/// One item to write from the source.
pub struct SourceWrite<'a> {
    pub id: &'a str,
    pub category: Category,
    pub state: Option<&'a str>,
    pub data: &'a ItemData,
    pub files: &'a [(String, Vec<u8>)],
    pub digest: Vec<u8>,
    pub revision: Option<&'a str>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchResult {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub source_kind: String,
    pub last_attempt: Option<i64>,
    pub last_success: Option<i64>,
    pub last_error: Option<String>,
    pub error_at: Option<i64>,
    pub vaults: i64,
    pub items: i64,
    pub runs: i64,
    pub failures: i64,
}

#[derive(Serialize, Deserialize)]
struct VaultSecret {
    name: String,
    #[serde(default)]
    description: String,
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
        let secret = serde_json::to_vec(&VaultSecret {
            name: name.to_string(),
            description: description.to_string(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
            "SELECT id, origin, source_revision, source_digest FROM items WHERE vault_id = ?",
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
                    },
                ))
            })
            .collect()
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
        let key = self.vault_key(vault_id, &wrapped)?;
        let now = timefmt::now();
        let mut result = BatchResult::default();
        let mut tx = self.write_tx().await?;
        for write in writes {
            let existing: Option<(Option<Vec<u8>>, String)> = sqlx::query_as(
                "SELECT source_digest, origin FROM items WHERE vault_id = ? AND id = ?",
            )
            .bind(vault_id)
            .bind(write.id)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some((_, origin)) if origin != "source" => continue,
                Some((Some(digest), _)) if digest == write.digest => {
                    sqlx::query(
                        "UPDATE items SET source_revision = ? WHERE vault_id = ? AND id = ?",
                    )
                    .bind(write.revision)
                    .bind(vault_id)
                    .bind(write.id)
                    .execute(&mut *tx)
                    .await?;
                    continue;
                }
                _ => {}
            }
            let (summary, body) = self.seal_item(&key, vault_id, write.id, write.data)?;
            let title_index = self.title_index(vault_id, &write.data.summary.title);
            if existing.is_some() {
                sqlx::query(
                    "UPDATE items SET category = ?, state = ?, version = version + 1, title_index = ?, \
                     summary = ?, body = ?, updated_at = ?, last_edited_by = ?, source_digest = ?, \
                     source_revision = ? WHERE vault_id = ? AND id = ?",
                )
                .bind(write.category.as_str())
                .bind(write.state)
                .bind(&title_index)
                .bind(&summary)
                .bind(&body)
                .bind(now)
                .bind(editor)
                .bind(&write.digest)
                .bind(write.revision)
                .bind(vault_id)
                .bind(write.id)
                .execute(&mut *tx)
                .await?;
                result.updated += 1;
            } else {
                sqlx::query(
                    "INSERT INTO items (vault_id, id, category, version, state, title_index, summary, body, \
                     created_at, updated_at, last_edited_by, origin, source_digest, source_revision) \
                     VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 'source', ?, ?)",
                )
                .bind(vault_id)
                .bind(write.id)
                .bind(write.category.as_str())
                .bind(write.state)
                .bind(&title_index)
                .bind(&summary)
                .bind(&body)
                .bind(now)
                .bind(now)
                .bind(editor)
                .bind(&write.digest)
                .bind(write.revision)
                .execute(&mut *tx)
                .await?;
                result.added += 1;
            }
            self.write_tags(&mut tx, vault_id, write.id, &write.data.summary.tags)
                .await?;
            sqlx::query("DELETE FROM files WHERE vault_id = ? AND item_id = ?")
                .bind(vault_id)
                .bind(write.id)
                .execute(&mut *tx)
                .await?;
            for (file_id, content) in write.files {
                insert_file(&mut tx, &key, vault_id, write.id, file_id, content).await?;
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
            .bind(now)
            .bind(vault_id)
            .bind(vault_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(result)
    }

    pub async fn sync_state(&self) -> StoreResult<Option<SyncState>> {
        let row = sqlx::query(
            "SELECT source_kind, last_attempt, last_success, last_error, error_at, vaults, items, runs, failures \
             FROM sync_state WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SyncState {
                source_kind: r.try_get("source_kind")?,
                last_attempt: r.try_get("last_attempt")?,
                last_success: r.try_get("last_success")?,
                last_error: r.try_get("last_error")?,
                error_at: r.try_get("error_at")?,
                vaults: r.try_get("vaults")?,
                items: r.try_get("items")?,
                runs: r.try_get("runs")?,
                failures: r.try_get("failures")?,
            })
        })
        .transpose()
    }

    /// Records the start of a run.
    pub async fn record_sync_attempt(&self, source_kind: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO sync_state (id, source_kind, last_attempt) VALUES (1, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET source_kind = excluded.source_kind, last_attempt = excluded.last_attempt",
        )
        .bind(source_kind)
        .bind(timefmt::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the end of a run: success with counts, or the error.
    pub async fn record_sync_result(&self, result: Result<(i64, i64), &str>) -> StoreResult<()> {
        let now = timefmt::now();
        let mut tx = self.write_tx().await?;
        match result {
            Ok((vaults, items)) => {
                sqlx::query(
                    "UPDATE sync_state SET last_success = ?, vaults = ?, items = ?, runs = runs + 1 WHERE id = 1",
                )
                .bind(now)
                .bind(vaults)
                .bind(items)
                .execute(&mut *tx)
                .await?;
            }
            Err(message) => {
                sqlx::query(
                    "UPDATE sync_state SET last_error = ?, error_at = ?, runs = runs + 1, failures = failures + 1 WHERE id = 1",
                )
                .bind(message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_file(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    key: &DataKey,
    vault_id: &str,
    item_id: &str,
    file_id: &str,
    content: &[u8],
) -> StoreResult<()> {
    let sealed = key.seal(&row_aad(&["file", vault_id, item_id, file_id]), content);
    sqlx::query("INSERT INTO files (vault_id, item_id, id, size, content) VALUES (?, ?, ?, ?, ?)")
        .bind(vault_id)
        .bind(item_id)
        .bind(file_id)
        .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
        .bind(&sealed)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
