//! Item rows: a sealed summary (what lists need), a sealed body (fields, sections, file metadata),
//! blind indexes for title and tags, and sealed file contents.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{decode_json, Store, StoreError, StoreResult};
use crate::crypto::{row_aad, DataKey};
use crate::filter::Filter;
use crate::model::{Category, ItemBodyData, ItemData, ItemSummaryData};
use crate::timefmt;

/// An item's plain metadata plus its decrypted content. `data.body` is empty for list results.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    pub vault_id: String,
    pub id: String,
    pub category: Category,
    pub version: i64,
    pub state: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_edited_by: String,
    pub data: ItemData,
}

/// The result of looking an item up: Connect tells "vault not found" from "item not found".
#[derive(Debug)]
pub enum ItemLookup {
    NoVault,
    NoItem,
    Found(Box<ItemRecord>),
}

/// File content that arrives with an item from a source (the API has no upload route).
pub struct NewFile {
    pub id: String,
    pub content: Vec<u8>,
}

const ITEM_COLUMNS: &str = "i.id, i.category, i.version, i.state, i.created_at, i.updated_at, \
                            i.last_edited_by, i.summary";

impl Store {
    async fn vault_data_key(&self, vault_id: &str) -> StoreResult<Option<DataKey>> {
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data_key FROM vaults WHERE id = ?")
                .bind(vault_id)
                .fetch_optional(&self.pool)
                .await?;
        wrapped.map(|w| self.vault_key(vault_id, &w)).transpose()
    }

    fn item_from_row(
        &self,
        key: &DataKey,
        vault_id: &str,
        row: &SqliteRow,
        with_body: bool,
    ) -> StoreResult<ItemRecord> {
        let id: String = row.try_get("id")?;
        let summary_plain = key.open(
            &row_aad(&["item-summary", vault_id, &id]),
            row.try_get::<&[u8], _>("summary")?,
        )?;
        let summary: ItemSummaryData = decode_json(&summary_plain, "item summary")?;
        let body = if with_body {
            let body_plain = key.open(
                &row_aad(&["item-body", vault_id, &id]),
                row.try_get::<&[u8], _>("body")?,
            )?;
            decode_json(&body_plain, "item body")?
        } else {
            ItemBodyData::default()
        };
        let category_text: String = row.try_get("category")?;
        Ok(ItemRecord {
            vault_id: vault_id.to_string(),
            category: Category::parse(&category_text)
                .ok_or_else(|| StoreError::Corrupt(format!("item category {category_text}")))?,
            version: row.try_get("version")?,
            state: row.try_get("state")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            last_edited_by: row.try_get("last_edited_by")?,
            data: ItemData { summary, body },
            id,
        })
    }

    /// One item with its body, in one query that also tells whether the vault exists.
    pub async fn get_item(&self, vault_id: &str, item_id: &str) -> StoreResult<ItemLookup> {
        let row = sqlx::query(&format!(
            "SELECT v.data_key, {ITEM_COLUMNS}, i.body FROM vaults v \
             LEFT JOIN items i ON i.vault_id = v.id AND i.id = ? WHERE v.id = ?"
        ))
        .bind(item_id)
        .bind(vault_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(ItemLookup::NoVault);
        };
        if row.try_get::<Option<String>, _>("id")?.is_none() {
            return Ok(ItemLookup::NoItem);
        }
        let key = self.vault_key(vault_id, row.try_get::<&[u8], _>("data_key")?)?;
        Ok(ItemLookup::Found(Box::new(
            self.item_from_row(&key, vault_id, &row, true)?,
        )))
    }

    /// Item summaries of a vault that match `filter` (all of them without one), collected;
    /// `None` when the vault does not exist. The API streams [`Store::item_pages`] instead.
    pub async fn list_items(
        &self,
        vault_id: &str,
        filter: Option<&Filter>,
    ) -> StoreResult<Option<Vec<ItemRecord>>> {
        let Some(mut pages) = self.item_pages(vault_id, filter.cloned()).await? else {
            return Ok(None);
        };
        let mut items = Vec::new();
        while let Some(page) = pages.next_page().await? {
            items.extend(page);
        }
        Ok(Some(items))
    }

    /// The item summaries of a vault that match `filter`, read a page at a time (see
    /// [`ItemPages`]); `None` when the vault does not exist. Title and tag equality use the blind
    /// indexes; other filters decrypt the summaries of the vault and test each.
    pub async fn item_pages(
        &self,
        vault_id: &str,
        filter: Option<Filter>,
    ) -> StoreResult<Option<ItemPages>> {
        let Some(key) = self.vault_data_key(vault_id).await? else {
            return Ok(None);
        };
        let index = match filter.as_ref().and_then(Filter::as_single_eq) {
            Some(("title", title)) => Some(ListIndex::Title(self.title_index(vault_id, title))),
            Some(("tag", tag)) => Some(ListIndex::Tag {
                index: self.tag_index(vault_id, tag),
                walk: false,
            }),
            _ => None,
        };
        Ok(Some(ItemPages {
            store: self.clone(),
            key,
            vault_id: vault_id.to_string(),
            filter,
            index,
            after: (i64::MIN, String::new()),
            page_size: LIST_PAGE,
            finished: false,
        }))
    }

    pub(super) fn seal_item(
        &self,
        key: &DataKey,
        vault_id: &str,
        item_id: &str,
        data: &ItemData,
    ) -> StoreResult<(Vec<u8>, Vec<u8>)> {
        let summary =
            serde_json::to_vec(&data.summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let body =
            serde_json::to_vec(&data.body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((
            key.seal(&row_aad(&["item-summary", vault_id, item_id]), &summary),
            key.seal(&row_aad(&["item-body", vault_id, item_id]), &body),
        ))
    }

    pub(super) async fn write_tags(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        vault_id: &str,
        item_id: &str,
        tags: &[String],
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM item_tags WHERE vault_id = ? AND item_id = ?")
            .bind(vault_id)
            .bind(item_id)
            .execute(&mut **tx)
            .await?;
        for tag in tags {
            sqlx::query(
                "INSERT OR IGNORE INTO item_tags (vault_id, item_id, tag_index) VALUES (?, ?, ?)",
            )
            .bind(vault_id)
            .bind(item_id)
            .bind(self.tag_index(vault_id, tag))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn touch_vault(
        tx: &mut Transaction<'static, Sqlite>,
        vault_id: &str,
        item_delta: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE vaults SET content_version = content_version + 1, item_count = item_count + ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(item_delta)
        .bind(now)
        .bind(vault_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Creates an item (version 1). Returns `None` when the vault does not exist.
    pub async fn create_item(
        &self,
        vault_id: &str,
        item_id: &str,
        category: Category,
        data: &ItemData,
        editor: &str,
        files: &[NewFile],
    ) -> StoreResult<Option<ItemRecord>> {
        let Some(key) = self.vault_data_key(vault_id).await? else {
            return Ok(None);
        };
        let (summary, body) = self.seal_item(&key, vault_id, item_id, data)?;
        let now = timefmt::now();
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(
            "INSERT INTO items (vault_id, id, category, version, title_index, summary, body, \
             created_at, updated_at, last_edited_by) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (vault_id, id) DO NOTHING",
        )
        .bind(vault_id)
        .bind(item_id)
        .bind(category.as_str())
        .bind(self.title_index(vault_id, &data.summary.title))
        .bind(&summary)
        .bind(&body)
        .bind(now)
        .bind(now)
        .bind(editor)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "an item with id {item_id} already exists in this vault"
            )));
        }
        self.write_tags(&mut tx, vault_id, item_id, &data.summary.tags)
            .await?;
        for file in files {
            super::files::insert_file(&mut tx, &key, vault_id, item_id, &file.id, &file.content)
                .await?;
        }
        Self::touch_vault(&mut tx, vault_id, 1, now).await?;
        tx.commit().await?;
        Ok(Some(ItemRecord {
            vault_id: vault_id.to_string(),
            id: item_id.to_string(),
            category,
            version: 1,
            state: None,
            created_at: now,
            updated_at: now,
            last_edited_by: editor.to_string(),
            data: data.clone(),
        }))
    }

    /// Replaces an item's content if it is still at `expected_version`; the version goes up by one.
    /// A concurrent change in between is a conflict (409), which clients such as Terraform retry.
    pub async fn replace_item(
        &self,
        current: &ItemRecord,
        data: &ItemData,
        editor: &str,
    ) -> StoreResult<ItemRecord> {
        let vault_id = current.vault_id.as_str();
        let key = self.vault_data_key(vault_id).await?.ok_or_else(|| {
            StoreError::Conflict("the vault was deleted during the update".into())
        })?;
        let (summary, body) = self.seal_item(&key, vault_id, &current.id, data)?;
        let now = timefmt::now();
        let mut tx = self.write_tx().await?;
        let updated = sqlx::query(
            "UPDATE items SET version = version + 1, title_index = ?, summary = ?, body = ?, \
             updated_at = ?, last_edited_by = ? WHERE vault_id = ? AND id = ? AND version = ?",
        )
        .bind(self.title_index(vault_id, &data.summary.title))
        .bind(&summary)
        .bind(&body)
        .bind(now)
        .bind(editor)
        .bind(vault_id)
        .bind(&current.id)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the item was changed or deleted by another request; fetch it and retry".into(),
            ));
        }
        self.write_tags(&mut tx, vault_id, &current.id, &data.summary.tags)
            .await?;
        Self::touch_vault(&mut tx, vault_id, 0, now).await?;
        tx.commit().await?;
        Ok(ItemRecord {
            version: current.version + 1,
            updated_at: now,
            last_edited_by: editor.to_string(),
            data: data.clone(),
            ..current.clone()
        })
    }

    /// Deletes an item and its files permanently. Returns whether it existed.
    pub async fn delete_item(&self, vault_id: &str, item_id: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let deleted = sqlx::query("DELETE FROM items WHERE vault_id = ? AND id = ?")
            .bind(vault_id)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        Self::touch_vault(&mut tx, vault_id, -1, timefmt::now()).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Rows a listing reads per query: what a listing holds at once, whatever the vault's size.
const LIST_PAGE: i64 = 500;

/// A blind index that narrows a listing to one title or one tag.
enum ListIndex {
    Title(Vec<u8>),
    /// `walk`: later pages walk the vault in list order probing the tag (see [`ItemPages::fetch`]).
    Tag {
        index: Vec<u8>,
        walk: bool,
    },
}

/// A vault's item summaries in list order (creation time, then id), read with keyset pagination:
/// each page is its own short query that starts after the last row of the page before, so a
/// slow reader holds neither a connection nor a read transaction between pages. An item created
/// or deleted while a long listing is read may or may not appear in it; none appears twice.
pub struct ItemPages {
    store: Store,
    key: DataKey,
    vault_id: String,
    filter: Option<Filter>,
    index: Option<ListIndex>,
    /// (created_at, id) of the last row read.
    after: (i64, String),
    page_size: i64,
    finished: bool,
}

impl ItemPages {
    /// Rows per query (the default suits the API; tests make pages small).
    #[must_use]
    pub fn with_page_size(mut self, rows: usize) -> Self {
        self.page_size = i64::try_from(rows.max(1)).unwrap_or(LIST_PAGE);
        self
    }

    /// Whether every row has been read.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The matching items of the next page of rows; `None` once every row has been read. A page
    /// may be empty when the filter matched none of its rows.
    pub async fn next_page(&mut self) -> StoreResult<Option<Vec<ItemRecord>>> {
        if self.finished {
            return Ok(None);
        }
        let first = self.after.0 == i64::MIN;
        let rows = self.fetch().await?;
        self.finished = rows.len() < usize::try_from(self.page_size).unwrap_or(usize::MAX);
        if first && !self.finished {
            self.choose_tag_plan().await?;
        }
        if let Some(last) = rows.last() {
            self.after = (last.try_get("created_at")?, last.try_get("id")?);
        }
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let item = self
                .store
                .item_from_row(&self.key, &self.vault_id, row, false)?;
            if self.keeps(&item) {
                items.push(item);
            }
        }
        Ok(Some(items))
    }

    fn keeps(&self, item: &ItemRecord) -> bool {
        self.filter.as_ref().is_none_or(|f| {
            f.matches(|attr| match attr {
                "title" => vec![item.data.summary.title.as_str()],
                "tag" => item.data.summary.tags.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
        })
    }

    /// For a tag with more than a page of items: reading each page through the tag index costs
    /// all of the tag's items per page (they are sorted for each), walking the vault in list
    /// order and probing the tag costs one pass over the vault for the whole list. Walk when the
    /// tag's items, squared over the page size, outnumber the vault's.
    async fn choose_tag_plan(&mut self) -> StoreResult<()> {
        let Some(ListIndex::Tag { index, walk }) = &mut self.index else {
            return Ok(());
        };
        let (tagged, items): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM item_tags WHERE vault_id = ? AND tag_index = ?), \
             COALESCE((SELECT item_count FROM vaults WHERE id = ?), 0)",
        )
        .bind(&self.vault_id)
        .bind(&*index)
        .bind(&self.vault_id)
        .fetch_one(&self.store.pool)
        .await?;
        *walk = tagged.saturating_mul(tagged) > items.saturating_mul(self.page_size);
        Ok(())
    }

    async fn fetch(&self) -> StoreResult<Vec<SqliteRow>> {
        let (from, index) = match &self.index {
            None => ("FROM items i WHERE i.vault_id = ?", None),
            Some(ListIndex::Title(index)) => (
                "FROM items i INDEXED BY items_by_title WHERE i.vault_id = ? AND i.title_index = ?",
                Some(index),
            ),
            Some(ListIndex::Tag { index, walk: false }) => (
                "FROM item_tags t CROSS JOIN items i ON i.vault_id = t.vault_id \
                 AND i.id = t.item_id WHERE t.vault_id = ? AND t.tag_index = ?",
                Some(index),
            ),
            Some(ListIndex::Tag { index, walk: true }) => (
                "FROM items i INDEXED BY items_by_created CROSS JOIN item_tags t \
                 ON t.vault_id = i.vault_id AND t.item_id = i.id \
                 WHERE i.vault_id = ? AND t.tag_index = ?",
                Some(index),
            ),
        };
        let sql = format!(
            "SELECT {ITEM_COLUMNS} {from} AND (i.created_at, i.id) > (?, ?) \
             ORDER BY i.created_at, i.id LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(&self.vault_id);
        if let Some(index) = index {
            query = query.bind(index);
        }
        Ok(query
            .bind(self.after.0)
            .bind(&self.after.1)
            .bind(self.page_size)
            .fetch_all(&self.store.pool)
            .await?)
    }
}
