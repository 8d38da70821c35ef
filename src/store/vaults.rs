//! Vault rows: a wrapped data key, the sealed name and description, and a blind name index.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{decode_json, Store, StoreError, StoreResult};
use crate::crypto::{row_aad, DataKey};
use crate::model::VaultType;
use crate::{ids, timefmt};

#[derive(Debug, Clone, PartialEq)]
pub struct VaultRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub vault_type: VaultType,
    pub attribute_version: i64,
    pub content_version: i64,
    pub items: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The sealed part of a vault row (also rewritten by the sync worker's vault upsert).
#[derive(Serialize, Deserialize)]
pub(super) struct VaultSecret {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
}

impl VaultSecret {
    /// The plaintext to seal for a vault with this name and description.
    pub(super) fn encode(name: &str, description: &str) -> StoreResult<Vec<u8>> {
        serde_json::to_vec(&VaultSecret {
            name: name.to_string(),
            description: description.to_string(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

const VAULT_COLUMNS: &str =
    "id, data_key, sealed, vault_type, attribute_version, content_version, \
                             item_count, created_at, updated_at";

impl Store {
    pub(super) fn vault_key(&self, vault_id: &str, wrapped: &[u8]) -> StoreResult<DataKey> {
        Ok(self.keys.unwrap_data_key(vault_id, wrapped)?)
    }

    fn vault_from_row(&self, row: &sqlx::sqlite::SqliteRow) -> StoreResult<VaultRecord> {
        let id: String = row.try_get("id")?;
        let key = self.vault_key(&id, row.try_get::<&[u8], _>("data_key")?)?;
        let plain = key.open(
            &row_aad(&["vault", &id]),
            row.try_get::<&[u8], _>("sealed")?,
        )?;
        let secret: VaultSecret = decode_json(&plain, "vault")?;
        let type_text: String = row.try_get("vault_type")?;
        Ok(VaultRecord {
            vault_type: VaultType::parse(&type_text)
                .ok_or_else(|| StoreError::Corrupt(format!("vault type {type_text}")))?,
            name: secret.name,
            description: secret.description,
            attribute_version: row.try_get("attribute_version")?,
            content_version: row.try_get("content_version")?,
            items: row.try_get("item_count")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            id,
        })
    }

    /// Creates a vault with a fresh data key. `id` is taken from a source when it has one.
    pub async fn create_vault(
        &self,
        id: Option<&str>,
        name: &str,
        description: &str,
        vault_type: VaultType,
    ) -> StoreResult<VaultRecord> {
        let id = id.map_or_else(ids::new_id, str::to_string);
        if !ids::is_valid_id(&id) {
            return Err(StoreError::Invalid(format!("invalid vault id \"{id}\"")));
        }
        let key = DataKey::generate();
        let wrapped = self.keys.wrap_data_key(&id, &key);
        let secret = VaultSecret::encode(name, description)?;
        let sealed = key.seal(&row_aad(&["vault", &id]), &secret);
        let now = timefmt::now();
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO vaults (id, data_key, sealed, name_index, vault_type, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&wrapped)
        .bind(&sealed)
        .bind(self.vault_name_index(name))
        .bind(vault_type.as_str())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "a vault with id {id} already exists"
            )));
        }
        tx.commit().await?;
        Ok(VaultRecord {
            id,
            name: name.to_string(),
            description: description.to_string(),
            vault_type,
            attribute_version: 1,
            content_version: 1,
            items: 0,
            created_at: now,
            updated_at: now,
        })
    }

    pub async fn list_vaults(&self) -> StoreResult<Vec<VaultRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {VAULT_COLUMNS} FROM vaults ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.vault_from_row(row)).collect()
    }

    pub async fn get_vault(&self, id: &str) -> StoreResult<Option<VaultRecord>> {
        let row = sqlx::query(&format!("SELECT {VAULT_COLUMNS} FROM vaults WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| self.vault_from_row(&row)).transpose()
    }

    /// Vaults whose name equals `name` case-insensitively, through the blind index.
    pub async fn find_vaults_by_name(&self, name: &str) -> StoreResult<Vec<VaultRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {VAULT_COLUMNS} FROM vaults WHERE name_index = ? ORDER BY created_at, id"
        ))
        .bind(self.vault_name_index(name))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.vault_from_row(row)).collect()
    }

    /// Resolves a command-line vault reference: an id, or a unique name.
    pub async fn resolve_vault(&self, name_or_id: &str) -> StoreResult<VaultRecord> {
        if ids::is_valid_id(name_or_id) {
            if let Some(vault) = self.get_vault(name_or_id).await? {
                return Ok(vault);
            }
        }
        let mut found = self.find_vaults_by_name(name_or_id).await?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(StoreError::Invalid(format!(
                "no vault named \"{name_or_id}\""
            ))),
            n => Err(StoreError::Invalid(format!(
                "{n} vaults are named \"{name_or_id}\"; use the vault id instead"
            ))),
        }
    }
}

impl Store {
    /// (vaults, items) for metrics.
    pub async fn counts(&self) -> StoreResult<(i64, i64)> {
        let row =
            sqlx::query("SELECT COUNT(*) AS v, COALESCE(SUM(item_count), 0) AS i FROM vaults")
                .fetch_one(&self.pool)
                .await?;
        Ok((row.try_get("v")?, row.try_get("i")?))
    }
}
