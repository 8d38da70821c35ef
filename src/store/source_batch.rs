//! Writing a batch of source items in one transaction. Every statement is a round trip to the
//! connection's worker thread, so new items (nearly every item of an initial sync) go in with
//! multi-row statements and no per-item lookup; only items the store already holds are written
//! one by one.

use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, Transaction};

use super::sync::{BatchResult, SourceWrite};
use super::{Store, StoreError, StoreResult};
use crate::crypto::DataKey;
use crate::timefmt;

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters (items bind 13
/// each), and few distinct statement texts for the statement cache.
const ROWS_PER_STATEMENT: usize = 64;

/// The vault a batch writes to, and what every write in it shares.
struct Batch<'a> {
    vault_id: &'a str,
    key: DataKey,
    editor: &'a str,
    now: i64,
}

/// The sealed and blind-indexed columns of an item row, and of its tags.
struct SealedRow {
    title_index: Vec<u8>,
    summary: Vec<u8>,
    body: Vec<u8>,
    tags: Vec<Vec<u8>>,
}

/// What the store holds of an item the batch writes: its source digest and origin.
type Existing = HashMap<String, (Option<Vec<u8>>, String)>;

impl Store {
    /// Writes a batch of source items and removals in one transaction. Items whose digest is
    /// unchanged only get their revision marker refreshed; the others get version + 1. An item
    /// created through the API with a source item's id is left alone.
    pub async fn apply_source_batch(
        &self,
        vault_id: &str,
        writes: &[SourceWrite<'_>],
        removals: &[String],
        editor: &str,
    ) -> StoreResult<BatchResult> {
        let mut ids = HashSet::with_capacity(writes.len());
        if let Some(twice) = writes.iter().find(|w| !ids.insert(w.id)) {
            return Err(StoreError::Invalid(format!(
                "item {} is twice in one sync batch",
                twice.id
            )));
        }
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
        // Sealed before the write lock is taken, so that the lock covers the statements only.
        let rows = writes
            .iter()
            .map(|w| self.sealed_row(&batch, w))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut result = BatchResult::default();
        let mut tx = self.write_tx().await?;
        let existing = existing_rows(&mut tx, vault_id, writes).await?;
        let mut inserts = Vec::new();
        for (write, row) in writes.iter().zip(&rows) {
            match existing.get(write.id) {
                None => inserts.push((write, row)),
                Some((_, origin)) if origin != "source" => {}
                Some((Some(digest), _)) if *digest == write.digest => {
                    refresh_marker(&mut tx, &batch, write).await?;
                }
                Some(_) => {
                    self.update_source_item(&mut tx, &batch, write, row).await?;
                    result.updated += 1;
                }
            }
        }
        insert_items(&mut tx, &batch, &inserts).await?;
        for (write, _) in &inserts {
            for (file_id, content) in write.files {
                super::files::insert_file(
                    &mut tx, &batch.key, vault_id, write.id, file_id, content,
                )
                .await?;
            }
        }
        result.added = inserts.len();
        result.removed = remove_items(&mut tx, vault_id, removals).await?;
        if result.added + result.updated + result.removed > 0 {
            let delta = i64::try_from(result.added).unwrap_or(i64::MAX)
                - i64::try_from(result.removed).unwrap_or(i64::MAX);
            sqlx::query(
                "UPDATE vaults SET content_version = content_version + 1, updated_at = ?, \
                 item_count = item_count + ? WHERE id = ?",
            )
            .bind(batch.now)
            .bind(delta)
            .bind(vault_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(result)
    }

    fn sealed_row(&self, batch: &Batch<'_>, write: &SourceWrite<'_>) -> StoreResult<SealedRow> {
        let (summary, body) = self.seal_item(&batch.key, batch.vault_id, write.id, write.data)?;
        Ok(SealedRow {
            title_index: self.title_index(batch.vault_id, &write.data.summary.title),
            summary,
            body,
            tags: write
                .data
                .summary
                .tags
                .iter()
                .map(|tag| self.tag_index(batch.vault_id, tag))
                .collect(),
        })
    }

    /// Replaces a source item the store holds with a changed one: its row, tags and files.
    async fn update_source_item(
        &self,
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
        for table in [
            "DELETE FROM item_tags WHERE vault_id = ? AND item_id = ?",
            "DELETE FROM files WHERE vault_id = ? AND item_id = ?",
        ] {
            sqlx::query(table)
                .bind(batch.vault_id)
                .bind(write.id)
                .execute(&mut **tx)
                .await?;
        }
        insert_tags(tx, batch.vault_id, &[(write, row)]).await?;
        for (file_id, content) in write.files {
            super::files::insert_file(tx, &batch.key, batch.vault_id, write.id, file_id, content)
                .await?;
        }
        Ok(())
    }
}

/// The digest and origin of the items of the batch the store already holds.
async fn existing_rows(
    tx: &mut Transaction<'static, Sqlite>,
    vault_id: &str,
    writes: &[SourceWrite<'_>],
) -> StoreResult<Existing> {
    let mut existing = Existing::new();
    for chunk in writes.chunks(ROWS_PER_STATEMENT * 4) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT id, source_digest, origin FROM items WHERE vault_id = ",
        );
        query.push_bind(vault_id).push(" AND id IN (");
        let mut ids = query.separated(", ");
        for write in chunk {
            ids.push_bind(write.id);
        }
        query.push(")");
        let rows: Vec<(String, Option<Vec<u8>>, String)> =
            query.build_query_as().fetch_all(&mut **tx).await?;
        existing.extend(rows.into_iter().map(|(id, d, o)| (id, (d, o))));
    }
    Ok(existing)
}

/// The item's content is unchanged: only the source's markers of it are refreshed.
async fn refresh_marker(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &Batch<'_>,
    write: &SourceWrite<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE items SET source_revision = ?, source_text = ? WHERE vault_id = ? AND id = ?",
    )
    .bind(write.revision)
    .bind(write.text)
    .bind(batch.vault_id)
    .bind(write.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// New items (version 1) and their tags, a few dozen rows per statement.
async fn insert_items(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &Batch<'_>,
    items: &[(&SourceWrite<'_>, &SealedRow)],
) -> StoreResult<()> {
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO items (vault_id, id, category, version, state, title_index, summary, \
             body, created_at, updated_at, last_edited_by, origin, source_digest, \
             source_revision, source_text) ",
        );
        query.push_values(chunk, |mut values, (write, row)| {
            values
                .push_bind(batch.vault_id)
                .push_bind(write.id)
                .push_bind(write.category.as_str())
                .push("1")
                .push_bind(write.state)
                .push_bind(row.title_index.as_slice())
                .push_bind(row.summary.as_slice())
                .push_bind(row.body.as_slice())
                .push_bind(batch.now)
                .push_bind(batch.now)
                .push_bind(batch.editor)
                .push("'source'")
                .push_bind(write.digest.as_slice())
                .push_bind(write.revision)
                .push_bind(write.text);
        });
        query.build().execute(&mut **tx).await?;
    }
    insert_tags(tx, batch.vault_id, items).await
}

async fn insert_tags(
    tx: &mut Transaction<'static, Sqlite>,
    vault_id: &str,
    items: &[(&SourceWrite<'_>, &SealedRow)],
) -> StoreResult<()> {
    let tags: Vec<(&str, &[u8])> = items
        .iter()
        .flat_map(|(write, row)| row.tags.iter().map(|tag| (write.id, tag.as_slice())))
        .collect();
    for chunk in tags.chunks(ROWS_PER_STATEMENT * 4) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO item_tags (vault_id, item_id, tag_index) ",
        );
        query.push_values(chunk, |mut values, (item_id, tag)| {
            values
                .push_bind(vault_id)
                .push_bind(*item_id)
                .push_bind(*tag);
        });
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes source items (never the API's); returns how many went.
async fn remove_items(
    tx: &mut Transaction<'static, Sqlite>,
    vault_id: &str,
    ids: &[String],
) -> StoreResult<usize> {
    let mut removed = 0;
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM items WHERE vault_id = ");
        query
            .push_bind(vault_id)
            .push(" AND origin = 'source' AND id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id.as_str());
        }
        query.push(")");
        let deleted = query.build().execute(&mut **tx).await?;
        removed += usize::try_from(deleted.rows_affected()).unwrap_or(0);
    }
    Ok(removed)
}
