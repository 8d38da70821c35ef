//! The sync worker's run record behind `/health` and metrics: when it last ran, succeeded or
//! failed, and what the last success counted.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, StoreResult};
use crate::timefmt;

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

impl Store {
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

    /// The keyed digest of the content the source last delivered whole and self-contained.
    pub async fn source_content(&self) -> StoreResult<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT digest FROM source_content WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records (or, with `None`, forgets) that digest; forgotten before a run writes anything,
    /// so that a run interrupted halfway is not mistaken for a complete one.
    pub async fn set_source_content(&self, digest: Option<&[u8]>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        match digest {
            Some(digest) => {
                sqlx::query(
                    "INSERT INTO source_content (id, digest) VALUES (1, ?) \
                     ON CONFLICT (id) DO UPDATE SET digest = excluded.digest",
                )
                .bind(digest)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM source_content")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
