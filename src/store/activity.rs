//! The API activity log behind `GET /v1/activity`.

use std::sync::{Arc, OnceLock};

use sqlx::Row;

use super::{Store, StoreResult};
use crate::ids::RequestId;

/// What an activity entry records a request doing (Connect's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "READ",
            Action::Create => "CREATE",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
        }
    }

    const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];

    /// The number a row is written with; [`insert_sql`] turns it back into [`Action::as_str`].
    fn code(self) -> i64 {
        match self {
            Action::Read => 0,
            Action::Create => 1,
            Action::Update => 2,
            Action::Delete => 3,
        }
    }
}

/// An entry to append. The request's facts are shared with the request, not copied: one entry
/// is made on nearly every API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub request_id: RequestId,
    pub ts: i64,
    pub action: Action,
    /// `SUCCESS` or `DENY`.
    pub allowed: bool,
    pub jti: Arc<str>,
    pub user_agent: Arc<str>,
    pub request_ip: Arc<str>,
    pub vault_id: String,
    /// The entry is about an `ITEM` when it has an item id, else about a `VAULT`.
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

/// Activity rows per INSERT statement (8 parameters each, and 3 per requester: far below
/// SQLite's limit).
const ROWS_PER_INSERT: usize = 64;

/// Distinct requesters (token, user agent and address) one INSERT names. Their texts are bound
/// once per statement, not once per row: each text parameter costs two copies and two
/// allocations (sqlx's and SQLite's), and one API request is one row.
const REQUESTERS_PER_INSERT: usize = 4;

/// The statements for chunks of 64, 32, …, 1 rows, written once: building one per batch (a query
/// builder formatting each placeholder) cost a sixteenth of a cached `GET item`'s instructions.
/// Every chunk has one of these sizes, so all seven stay prepared: a partial chunk of any other
/// length was parsed and planned again on every flush.
static INSERTS: OnceLock<[String; 7]> = OnceLock::new();

/// The statement for `rows` rows, a power of two up to [`ROWS_PER_INSERT`].
fn insert_for(rows: usize) -> &'static str {
    let all = INSERTS.get_or_init(|| std::array::from_fn(|k| insert_sql(ROWS_PER_INSERT >> k)));
    let k = (ROWS_PER_INSERT / rows.clamp(1, ROWS_PER_INSERT)).trailing_zeros() as usize;
    &all[k.min(all.len() - 1)]
}

/// Whether two entries come from the same requester (most often the very same strings).
fn same_requester(a: &ActivityRecord, b: &ActivityRecord) -> bool {
    a.jti == b.jti && a.user_agent == b.user_agent && a.request_ip == b.request_ip
}

/// Rows for one statement, and the entries whose requesters they name (one per requester).
struct Chunk<'a> {
    rows: &'a [ActivityRecord],
    requesters: Vec<&'a ActivityRecord>,
}

impl Chunk<'_> {
    /// The slot of `row`'s requester.
    fn slot(&self, row: &ActivityRecord) -> i64 {
        let slot = self.requesters.iter().position(|r| same_requester(r, row));
        // Always found: the requesters were gathered from these rows.
        i64::try_from(slot.unwrap_or(0)).unwrap_or(0)
    }
}

/// `entries` cut into chunks of at most [`REQUESTERS_PER_INSERT`] requesters, whose lengths are
/// powers of two up to [`ROWS_PER_INSERT`].
fn chunks(mut entries: &[ActivityRecord]) -> impl Iterator<Item = Chunk<'_>> {
    std::iter::from_fn(move || {
        if entries.is_empty() {
            return None;
        }
        let mut requesters: Vec<&ActivityRecord> = Vec::with_capacity(REQUESTERS_PER_INSERT);
        let mut fit: usize = 0;
        for entry in entries.iter().take(ROWS_PER_INSERT) {
            if !requesters.iter().any(|r| same_requester(r, entry)) {
                if requesters.len() == REQUESTERS_PER_INSERT {
                    break;
                }
                requesters.push(entry);
            }
            fit += 1;
        }
        let len = 1 << fit.ilog2();
        let (rows, rest) = entries.split_at(len);
        entries = rest;
        Some(Chunk { rows, requesters })
    })
}

/// An INSERT of `rows` activity rows, in the order given. Its parameters: first the requester
/// slots, by text (the jti of each of the [`REQUESTERS_PER_INSERT`] slots, then their user
/// agents, then their addresses), then each row's request id, time, action, allowed, requester
/// slot, vault, item and version. The action, result and resource type are written from numbers
/// and the item id, and the requester's texts from its slot: text parameters (two copies and two
/// allocations each, sqlx's and SQLite's) were what made the activity writes a fifth of a warm
/// `GET item`. Every parameter is a plain `?` used once: sqlx looks up the name of each numbered
/// one, a scan of all of them, which made a 64-row statement cost more than the rows. The rows of
/// a `VALUES` list are visited in order; the `seq` they get shows it, and a test checks it.
fn insert_sql(rows: usize) -> String {
    const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?)";
    let mut sql = String::with_capacity(900 + rows * (ROW.len() + 2));
    sql.push_str(
        "INSERT INTO activity (request_id, ts, action, result, jti, user_agent, request_ip, \
         resource_type, vault_id, item_id, item_version) SELECT column1, column2, CASE column3",
    );
    for action in Action::ALL {
        sql.push_str(&format!(
            " WHEN {} THEN '{}'",
            action.code(),
            action.as_str()
        ));
    }
    sql.push_str(" END, CASE column4 WHEN 1 THEN 'SUCCESS' ELSE 'DENY' END");
    for _text in ["jti", "user agent", "address"] {
        sql.push_str(", CASE column5");
        for slot in 0..REQUESTERS_PER_INSERT - 1 {
            sql.push_str(&format!(" WHEN {slot} THEN ?"));
        }
        sql.push_str(" ELSE ? END");
    }
    sql.push_str(
        ", CASE WHEN column7 IS NULL THEN 'VAULT' ELSE 'ITEM' END, column6, column7, column8 \
         FROM (VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(ROW);
    }
    sql.push(')');
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
        for chunk in chunks(entries) {
            let mut insert = sqlx::query(insert_for(chunk.rows.len()));
            let slots = || (0..REQUESTERS_PER_INSERT).map(|slot| chunk.requesters.get(slot));
            for who in slots() {
                insert = insert.bind(who.map(|w| &*w.jti));
            }
            for who in slots() {
                insert = insert.bind(who.map(|w| &*w.user_agent));
            }
            for who in slots() {
                insert = insert.bind(who.map(|w| &*w.request_ip));
            }
            for e in chunk.rows {
                insert = insert
                    .bind(e.request_id.as_str())
                    .bind(e.ts)
                    .bind(e.action.code())
                    .bind(i64::from(e.allowed))
                    .bind(chunk.slot(e))
                    .bind(&e.vault_id)
                    .bind(&e.item_id)
                    .bind(e.item_version);
            }
            insert.execute(&mut *tx).await?;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::crypto::{KeyRing, RootKey};

    fn entry(n: usize) -> ActivityRecord {
        let actions = [Action::Read, Action::Create, Action::Update, Action::Delete];
        ActivityRecord {
            request_id: RequestId::new(),
            ts: 1_000 + i64::try_from(n).unwrap(),
            action: actions[n % 4],
            allowed: n % 3 != 0,
            jti: Arc::from(format!("jti-{}", n % 2)),
            // Runs of one requester, and stretches of more than a statement names.
            user_agent: Arc::from(format!("agent-{}", if n < 100 { n / 40 } else { n % 7 })),
            request_ip: Arc::from("192.0.2.1"),
            vault_id: format!("vault-{n}"),
            item_id: (n % 5 != 0).then(|| format!("item-{n}")),
            item_version: (n % 5 != 0).then_some(7),
        }
    }

    #[test]
    fn chunks_are_powers_of_two_in_order_naming_few_requesters() {
        let same: Vec<ActivityRecord> = (0..2 * ROWS_PER_INSERT + 45)
            .map(|n| ActivityRecord {
                user_agent: Arc::from("one"),
                ..entry(n)
            })
            .collect();
        let lengths: Vec<usize> = chunks(&same).map(|c| c.rows.len()).collect();
        assert_eq!(lengths, [64, 64, 32, 8, 4, 1]);
        let entries: Vec<ActivityRecord> = (0..200).map(entry).collect();
        let mut rejoined = Vec::new();
        for chunk in chunks(&entries) {
            assert!(chunk.rows.len().is_power_of_two() && chunk.rows.len() <= ROWS_PER_INSERT);
            assert!(chunk.requesters.len() <= REQUESTERS_PER_INSERT);
            for row in chunk.rows {
                let slot = usize::try_from(chunk.slot(row)).unwrap();
                assert!(same_requester(chunk.requesters[slot], row));
            }
            rejoined.extend(chunk.rows);
        }
        assert!(rejoined.iter().copied().eq(entries.iter()));
        for rows in [1, 2, 4, 8, 16, 32, 64] {
            let sql = insert_for(rows);
            let params = rows * 8 + REQUESTERS_PER_INSERT * 3;
            assert_eq!(sql.matches('?').count(), params, "{rows} rows");
        }
    }

    /// Full statements and smaller ones: every entry comes back as written, newest first.
    #[tokio::test]
    async fn entries_are_kept_in_order_with_their_texts() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(KeyRing::derive(&RootKey::generate()));
        let store = Store::open(dir.path(), keys).await.unwrap();
        let written: Vec<ActivityRecord> = (0..2 * ROWS_PER_INSERT + 23).map(entry).collect();
        store.append_activity(&written).await.unwrap();
        let (rows, total) = store.list_activity(1_000, 0, None, "").await.unwrap();
        assert_eq!(total, i64::try_from(written.len()).unwrap());
        for (row, e) in rows.iter().zip(written.iter().rev()) {
            let resource = if e.item_id.is_some() { "ITEM" } else { "VAULT" };
            let result = if e.allowed { "SUCCESS" } else { "DENY" };
            let expected = ActivityRow {
                request_id: e.request_id.as_str().to_string(),
                ts: e.ts,
                action: e.action.as_str().to_string(),
                result: result.to_string(),
                jti: e.jti.to_string(),
                user_agent: e.user_agent.to_string(),
                request_ip: e.request_ip.to_string(),
                resource_type: resource.to_string(),
                vault_id: e.vault_id.clone(),
                item_id: e.item_id.clone(),
                item_version: e.item_version,
            };
            assert_eq!(row, &expected);
        }
        assert_eq!(rows.len(), written.len());
    }
}
