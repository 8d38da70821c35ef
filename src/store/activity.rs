//! The API activity log behind `GET /v1/activity`.

use std::sync::{Arc, OnceLock};

use sqlx::Row;

use super::{Store, StoreResult};
use crate::ids::RequestId;

/// An entry to append. The request's facts are shared with the request, not copied: one entry
/// is made on nearly every API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub request_id: RequestId,
    pub ts: i64,
    pub action: &'static str,
    pub result: &'static str,
    pub jti: Arc<str>,
    pub user_agent: Arc<str>,
    pub request_ip: Arc<str>,
    pub resource_type: &'static str,
    pub vault_id: String,
    pub item_id: Option<String>,
    pub item_version: Option<i64>,
}

/// A stored activity entry as read back (owned strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub request_id: String,
    pub ts: i64,
    pub action: String,
    pub result: String,
    pub jti: String,
    pub user_agent: String,
    pub request_ip: String,
    pub resource_type: String,
    pub vault_id: String,
    pub item_id: Option<String>,
    pub item_version: Option<i64>,
}

/// Activity rows per INSERT statement (11 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 64;

/// The statement for a full chunk, written once: building it per batch (a query builder
/// formatting each placeholder) cost a sixteenth of a cached `GET item`'s instructions.
static FULL_INSERT: OnceLock<String> = OnceLock::new();

/// An INSERT of `rows` activity rows.
fn insert_sql(rows: usize) -> String {
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    let mut sql = String::with_capacity(160 + rows * (ROW.len() + 2));
    sql.push_str(
        "INSERT INTO activity (request_id, ts, action, result, jti, user_agent, request_ip, \
         resource_type, vault_id, item_id, item_version) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(ROW);
    }
    sql
}

impl Store {
    pub async fn append_activity(&self, entries: &[ActivityRecord]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        // Many rows per statement: one activity entry per API request made this insert a
        // tenth of a cached `GET item`'s instructions when it ran row by row.
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let full = chunk.len() == ROWS_PER_INSERT;
            let partial;
            let sql = if full {
                FULL_INSERT.get_or_init(|| insert_sql(ROWS_PER_INSERT))
            } else {
                partial = insert_sql(chunk.len());
                &partial
            };
            let mut insert = sqlx::query(sql);
            for e in chunk {
                insert = insert
                    .bind(e.request_id.as_str())
                    .bind(e.ts)
                    .bind(e.action)
                    .bind(e.result)
                    .bind(&*e.jti)
                    .bind(&*e.user_agent)
                    .bind(&*e.request_ip)
                    .bind(e.resource_type)
                    .bind(&e.vault_id)
                    .bind(&e.item_id)
                    .bind(e.item_version);
            }
            // Only the full-size statement is kept prepared: one per length would pile up in
            // every connection's statement cache.
            insert.persistent(full).execute(&mut *tx).await?;
        }
        // Keep the log bounded: Connect's is a recent-activity view, not an archive.
        sqlx::query("DELETE FROM activity WHERE seq <= (SELECT MAX(seq) FROM activity) - 100000")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Newest first; returns the page and the total number of entries.
    /// `vaults` limits the log to entries about those vaults (the ones a token can read) and the
    /// requests of token `jti`; `None` is all.
    pub async fn list_activity(
        &self,
        limit: i64,
        offset: i64,
        vaults: Option<&[String]>,
        jti: &str,
    ) -> StoreResult<(Vec<ActivityRow>, i64)> {
        let scope = match vaults {
            None => String::new(),
            Some(ids) => format!(
                " WHERE jti = ? OR vault_id IN ({})",
                std::iter::repeat_n("?", ids.len().max(1))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let ids: &[String] = vaults.unwrap_or(&[]);
        let count_sql = format!("SELECT COUNT(*) FROM activity{scope}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        if vaults.is_some() {
            count = count.bind(jti);
        }
        for id in ids {
            count = count.bind(id);
        }
        if vaults.is_some_and(<[String]>::is_empty) {
            count = count.bind("");
        }
        let total = count.fetch_one(&self.pool).await?;
        let page_sql = format!(
            "SELECT request_id, ts, action, result, jti, user_agent, request_ip, resource_type, \
             vault_id, item_id, item_version FROM activity{scope} ORDER BY seq DESC LIMIT ? OFFSET ?"
        );
        let mut page = sqlx::query(&page_sql);
        if vaults.is_some() {
            page = page.bind(jti);
        }
        for id in ids {
            page = page.bind(id);
        }
        if vaults.is_some_and(<[String]>::is_empty) {
            page = page.bind("");
        }
        let rows = page.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let page = rows
            .iter()
            .map(|r| {
                Ok(ActivityRow {
                    request_id: r.try_get("request_id")?,
                    ts: r.try_get("ts")?,
                    action: r.try_get("action")?,
                    result: r.try_get("result")?,
                    jti: r.try_get("jti")?,
                    user_agent: r.try_get("user_agent")?,
                    request_ip: r.try_get("request_ip")?,
                    resource_type: r.try_get("resource_type")?,
                    vault_id: r.try_get("vault_id")?,
                    item_id: r.try_get("item_id")?,
                    item_version: r.try_get("item_version")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((page, total))
    }
}
