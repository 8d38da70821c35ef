//! Chunked file contents: round trips at chunk boundaries, and files stored whole before
//! migration 0002 converted into chunks when the store opens.

use std::borrow::Cow;
use std::sync::Arc;

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;

use crate::crypto::{row_aad, DataKey, KeyRing, RootKey, CHUNK_LEN};
use crate::model::{Category, ItemData, VaultType};
use crate::store::MIGRATOR;
use crate::store::{NewFile, Store};

async fn open(dir: &std::path::Path, keys: &Arc<KeyRing>) -> Store {
    Store::open(dir, keys.clone()).await.unwrap()
}

async fn read(store: &Store, vault: &str, item: &str, file: &str) -> Vec<u8> {
    let reader = store.open_file(vault, item, file).await.unwrap().unwrap();
    reader.read_to_end().await.unwrap()
}

#[tokio::test]
async fn contents_round_trip_at_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyRing::derive(&RootKey::generate()));
    let store = open(dir.path(), &keys).await;
    let vault = store
        .create_vault(None, "V", "", VaultType::UserCreated)
        .await
        .unwrap();
    let sizes = [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN];
    let files: Vec<NewFile> = sizes
        .iter()
        .enumerate()
        .map(|(n, &size)| NewFile {
            id: format!("file{n}"),
            content: (0..size).map(|i| (i % 251) as u8).collect(),
        })
        .collect();
    store
        .create_item(
            &vault.id,
            "item",
            Category::Document,
            &ItemData::default(),
            "X",
            &files,
        )
        .await
        .unwrap();
    for file in &files {
        let mut reader = store
            .open_file(&vault.id, "item", &file.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reader.size(), file.content.len() as u64);
        let mut chunks = Vec::new();
        while let Some(chunk) = reader.next_chunk().await.unwrap() {
            assert!(chunk.len() <= CHUNK_LEN);
            chunks.extend_from_slice(&chunk);
        }
        assert_eq!(chunks, file.content, "{}", file.id);
    }
    assert!(store
        .open_file(&vault.id, "item", "nope")
        .await
        .unwrap()
        .is_none());
}

/// A database as the schema of migration 0001 left it: one vault, one item, and files sealed whole.
async fn database_before_chunks(
    dir: &std::path::Path,
    keys: &KeyRing,
    data_key: &DataKey,
    files: &[(&str, Vec<u8>)],
) {
    let options = SqliteConnectOptions::new()
        .filename(dir.join(crate::store::DB_FILE))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let first = Migrator {
        migrations: Cow::Owned(MIGRATOR.migrations[..1].to_vec()),
        ..Migrator::DEFAULT
    };
    first.run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO vaults (id, data_key, sealed, name_index, vault_type, created_at, updated_at) \
         VALUES ('vault', ?, x'00', x'00', 'USER_CREATED', 0, 0)",
    )
    .bind(keys.wrap_data_key("vault", data_key))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO items (vault_id, id, category, version, title_index, summary, body, \
         created_at, updated_at, last_edited_by) \
         VALUES ('vault', 'item', 'DOCUMENT', 1, x'00', x'00', x'00', 0, 0, 'X')",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (id, sealed) in files {
        sqlx::query(
            "INSERT INTO files (vault_id, item_id, id, size, content) VALUES ('vault', 'item', ?, 0, ?)",
        )
        .bind(id)
        .bind(sealed)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn files_stored_whole_are_converted_into_chunks_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyRing::derive(&RootKey::generate()));
    let content: Vec<u8> = (0..CHUNK_LEN * 2 + 10).map(|i| (i % 13) as u8).collect();
    let data_key = DataKey::generate();
    let sealed = data_key.seal(&row_aad(&["file", "vault", "item", "old"]), &content);
    let broken = b"not a sealed value at all, just bytes".to_vec();
    let files = [("old", sealed), ("broken", broken)];
    database_before_chunks(dir.path(), &keys, &data_key, &files).await;

    let store = open(dir.path(), &keys).await;
    let (blob, content_id, size): (Vec<u8>, Option<Vec<u8>>, i64) =
        sqlx::query_as("SELECT content, content_id, size FROM files WHERE id = 'old'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(blob.is_empty());
    assert!(content_id.is_some());
    assert_eq!(size, content.len() as i64);
    let chunks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM file_chunks WHERE file_id = 'old'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(chunks, 3);
    assert_eq!(read(&store, "vault", "item", "old").await, content);
    // The row that cannot be decrypted did not stop the store from opening; reading it fails.
    assert!(store.open_file("vault", "item", "broken").await.is_err());
    // Deleting the item deletes the chunks with the files.
    assert!(store.delete_item("vault", "item").await.unwrap());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM file_chunks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}
