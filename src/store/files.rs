//! File contents, stored as chunks sealed separately (`migrations/0002_file_chunks.sql`) and read
//! back one chunk at a time, so that serving a file holds one chunk in memory, not the file.
//!
//! Each chunk's associated data names the file row, the content's size and a random content id
//! drawn at every write, then the chunk's index and whether it is the last
//! ([`crate::crypto::chunk_aad`]). A download that races with a sync replacing the file therefore
//! fails instead of splicing two versions, and chunks cannot be reordered, dropped, moved between
//! files or cut short without the read failing.

use rand::RngCore;
use sqlx::{Row, Sqlite, Transaction};
use zeroize::Zeroizing;

use super::{Store, StoreError, StoreResult};
use crate::crypto::{chunk_count, row_aad, DataKey, CHUNK_LEN};

/// Bytes of the random id of one stored content.
const CONTENT_ID_LEN: usize = 16;

/// The identity a file's chunks are sealed under.
struct ContentRef<'a> {
    vault_id: &'a str,
    item_id: &'a str,
    file_id: &'a str,
    size: u64,
    content_id: &'a [u8],
}

impl ContentRef<'_> {
    fn aad(&self) -> Vec<u8> {
        row_aad(&[
            "file-content",
            self.vault_id,
            self.item_id,
            self.file_id,
            &self.size.to_string(),
            &data_encoding::HEXLOWER.encode(self.content_id),
        ])
    }
}

/// Stores a file's content: its row, then its chunks, in the caller's transaction.
pub(super) async fn insert_file(
    tx: &mut Transaction<'static, Sqlite>,
    key: &DataKey,
    vault_id: &str,
    item_id: &str,
    file_id: &str,
    content: &[u8],
) -> StoreResult<()> {
    let content_id = new_content_id();
    sqlx::query(
        "INSERT INTO files (vault_id, item_id, id, size, content, content_id) \
         VALUES (?, ?, ?, ?, x'', ?)",
    )
    .bind(vault_id)
    .bind(item_id)
    .bind(file_id)
    .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
    .bind(&content_id[..])
    .execute(&mut **tx)
    .await?;
    let reference = ContentRef {
        vault_id,
        item_id,
        file_id,
        size: content.len() as u64,
        content_id: &content_id,
    };
    write_chunks(tx, key, &reference, content).await
}

fn new_content_id() -> [u8; CONTENT_ID_LEN] {
    let mut id = [0u8; CONTENT_ID_LEN];
    rand::rngs::OsRng.fill_bytes(&mut id);
    id
}

async fn write_chunks(
    tx: &mut Transaction<'static, Sqlite>,
    key: &DataKey,
    reference: &ContentRef<'_>,
    content: &[u8],
) -> StoreResult<()> {
    let aad = reference.aad();
    let count = chunk_count(reference.size);
    for index in 0..count {
        let start = usize::try_from(index).unwrap_or(usize::MAX) * CHUNK_LEN;
        let chunk = &content[start.min(content.len())..(start + CHUNK_LEN).min(content.len())];
        sqlx::query(
            "INSERT INTO file_chunks (vault_id, item_id, file_id, idx, content) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(reference.vault_id)
        .bind(reference.item_id)
        .bind(reference.file_id)
        .bind(i64::try_from(index).unwrap_or(i64::MAX))
        .bind(key.seal_chunk(&aad, index, index + 1 == count, chunk))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A file's content being read chunk by chunk.
pub struct FileReader {
    store: Store,
    key: DataKey,
    vault_id: String,
    item_id: String,
    file_id: String,
    aad: Vec<u8>,
    size: u64,
    chunks: u64,
    next: u64,
    read: u64,
}

impl std::fmt::Debug for FileReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileReader")
            .field("file_id", &self.file_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl FileReader {
    /// The content's length in bytes (authenticated: every chunk is sealed with it).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next chunk's plaintext; `None` after the last. A missing, moved or altered chunk is an
    /// error, never other bytes.
    pub async fn next_chunk(&mut self) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        if self.next >= self.chunks {
            return Ok(None);
        }
        let index = self.next;
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT content FROM file_chunks \
             WHERE vault_id = ? AND item_id = ? AND file_id = ? AND idx = ?",
        )
        .bind(&self.vault_id)
        .bind(&self.item_id)
        .bind(&self.file_id)
        .bind(i64::try_from(index).unwrap_or(i64::MAX))
        .fetch_optional(self.store.pool())
        .await?;
        let sealed = sealed.ok_or_else(|| self.corrupt(&format!("chunk {index} is missing")))?;
        let last = index + 1 == self.chunks;
        let plain = self.key.open_chunk(&self.aad, index, last, &sealed)?;
        self.read += plain.len() as u64;
        // Sealing binds the size, so this only fails if the writer itself was wrong.
        if (!last && plain.len() != CHUNK_LEN) || (last && self.read != self.size) {
            return Err(self.corrupt(&format!("chunk {index} has the wrong length")));
        }
        self.next += 1;
        Ok(Some(plain))
    }

    /// The whole content, for callers that need it at once (`inline_files=true`, bounded by the
    /// inline limit; re-storing an item confirmed upstream). Check [`FileReader::size`] first.
    pub async fn read_to_end(mut self) -> StoreResult<Vec<u8>> {
        let mut content = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        while let Some(chunk) = self.next_chunk().await? {
            content.extend_from_slice(&chunk);
        }
        Ok(content)
    }

    fn corrupt(&self, what: &str) -> StoreError {
        StoreError::Corrupt(format!("file {}: {what}", self.file_id))
    }
}

impl Store {
    /// Opens a file's content for reading chunk by chunk; `None` when the file (or its vault)
    /// does not exist. This is the only way to read a file's content: nothing loads it whole.
    pub async fn open_file(
        &self,
        vault_id: &str,
        item_id: &str,
        file_id: &str,
    ) -> StoreResult<Option<FileReader>> {
        let query = "SELECT v.data_key, f.size, f.content_id FROM files f \
                     JOIN vaults v ON v.id = f.vault_id \
                     WHERE f.vault_id = ? AND f.item_id = ? AND f.id = ?";
        let mut row = sqlx::query(query)
            .bind(vault_id)
            .bind(item_id)
            .bind(file_id)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(r) = &row {
            if r.try_get::<Option<Vec<u8>>, _>("content_id")?.is_none() {
                self.convert_legacy_file(vault_id, item_id, file_id).await?;
                row = sqlx::query(query)
                    .bind(vault_id)
                    .bind(item_id)
                    .bind(file_id)
                    .fetch_optional(&self.pool)
                    .await?;
            }
        }
        let Some(row) = row else {
            return Ok(None);
        };
        let content_id: Option<Vec<u8>> = row.try_get("content_id")?;
        let content_id = content_id
            .ok_or_else(|| StoreError::Corrupt(format!("file {file_id}: not converted")))?;
        let size = u64::try_from(row.try_get::<i64, _>("size")?)
            .map_err(|_| StoreError::Corrupt(format!("file {file_id}: negative size")))?;
        let reference = ContentRef {
            vault_id,
            item_id,
            file_id,
            size,
            content_id: &content_id,
        };
        Ok(Some(FileReader {
            store: self.clone(),
            key: self.vault_key(vault_id, row.try_get::<&[u8], _>("data_key")?)?,
            aad: reference.aad(),
            vault_id: vault_id.to_string(),
            item_id: item_id.to_string(),
            file_id: file_id.to_string(),
            size,
            chunks: chunk_count(size),
            next: 0,
            read: 0,
        }))
    }

    /// Converts the files stored whole before migration 0002 into chunks. A row that cannot be
    /// decrypted is left as it is (reading it stays an error) and reported by ids only.
    pub(super) async fn convert_legacy_files(&self) -> StoreResult<()> {
        let legacy: Vec<(String, String, String)> =
            sqlx::query_as("SELECT vault_id, item_id, id FROM files WHERE content_id IS NULL")
                .fetch_all(&self.pool)
                .await?;
        for (vault_id, item_id, file_id) in legacy {
            match self
                .convert_legacy_file(&vault_id, &item_id, &file_id)
                .await
            {
                Ok(()) => {}
                Err(err @ (StoreError::Crypto(_) | StoreError::Corrupt(_))) => {
                    tracing::warn!(vault_id, item_id, file_id, error = %err,
                        "a stored file could not be converted into chunks");
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Re-seals one whole-blob file as chunks, in one transaction (the api and sync processes may
    /// both try: the second finds it done).
    async fn convert_legacy_file(
        &self,
        vault_id: &str,
        item_id: &str,
        file_id: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT v.data_key, f.content FROM files f JOIN vaults v ON v.id = f.vault_id \
             WHERE f.vault_id = ? AND f.item_id = ? AND f.id = ? AND f.content_id IS NULL",
        )
        .bind(vault_id)
        .bind(item_id)
        .bind(file_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let key = self.vault_key(vault_id, row.try_get::<&[u8], _>("data_key")?)?;
        let plain = key.open(
            &row_aad(&["file", vault_id, item_id, file_id]),
            row.try_get::<&[u8], _>("content")?,
        )?;
        let content_id = new_content_id();
        sqlx::query(
            "UPDATE files SET content = x'', content_id = ?, size = ? \
             WHERE vault_id = ? AND item_id = ? AND id = ?",
        )
        .bind(&content_id[..])
        .bind(i64::try_from(plain.len()).unwrap_or(i64::MAX))
        .bind(vault_id)
        .bind(item_id)
        .bind(file_id)
        .execute(&mut *tx)
        .await?;
        let reference = ContentRef {
            vault_id,
            item_id,
            file_id,
            size: plain.len() as u64,
            content_id: &content_id,
        };
        write_chunks(&mut tx, &key, &reference, &plain).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
