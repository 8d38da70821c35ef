//! Store operations of the sync worker: source-owned vaults and items, applied in batches, each
//! batch one transaction, so that a kill at any point leaves a consistent store.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::vaults::VaultSecret;
use super::{decode_json, Store, StoreResult};
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

/// The items of every source vault by vault id (what the store knows of each, as a `T` made from
/// its [`KnownDigests`]), and the ids of the vaults that are not the source's.
pub type SourceKnown<T = KnownDigests> = (HashMap<String, HashMap<String, T>>, HashSet<String>);

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
        self.write_source_vault_attributes(&key, id, (name, description, vault_type), 1)
            .await?;
        Ok(VaultChange::Updated)
    }

    /// Gives a source vault created ahead of its attributes (a first sync writes a vault's items
    /// as they come, and a seed file names its vault after them) its attributes, as its first
    /// version.
    pub async fn name_source_vault(
        &self,
        id: &str,
        name: &str,
        description: &str,
        vault_type: VaultType,
    ) -> StoreResult<()> {
        let Some(wrapped) = sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT data_key FROM vaults WHERE id = ? AND origin = 'source'",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(());
        };
        let key = self.vault_key(id, &wrapped)?;
        self.write_source_vault_attributes(&key, id, (name, description, vault_type), 0)
            .await
    }

    /// Seals a source vault's name and description and sets its type; `version_step` is added to
    /// its attribute version (0 when the attributes are its first).
    async fn write_source_vault_attributes(
        &self,
        key: &DataKey,
        id: &str,
        (name, description, vault_type): (&str, &str, VaultType),
        version_step: i64,
    ) -> StoreResult<()> {
        let secret = VaultSecret::encode(name, description)?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE vaults SET sealed = ?, name_index = ?, vault_type = ?, \
             attribute_version = attribute_version + ?, updated_at = ? \
             WHERE id = ? AND origin = 'source'",
        )
        .bind(key.seal(&row_aad(&["vault", id]), &secret))
        .bind(self.vault_name_index(name))
        .bind(vault_type.as_str())
        .bind(version_step)
        .bind(timefmt::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
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
}
