//! The encrypted SQLite store. Handlers and the sync worker see plaintext records; everything that
//! reaches SQLite is sealed or blind-indexed here (docs/design.md §4).

mod activity;
mod changes;
mod files;
mod items;
mod source_batch;
mod source_known;
mod sync;
mod sync_state;
mod tokens;
mod vaults;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::crypto::{CryptoError, KeyRing};

pub use activity::{Action, ActivityRecord, ActivityRow};
pub use changes::CHANGE_POLL;
pub use files::FileReader;
pub use items::{ItemLookup, ItemPages, ItemRecord, NewFile};
pub use sync::{BatchResult, KnownDigests, KnownItem, SourceKnown, SourceWrite, VaultChange};
pub use sync_state::SyncState;
pub use tokens::TokenRecord;
pub use vaults::VaultRecord;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The file name Connect uses inside its data directory.
pub const DB_FILE: &str = "1password.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database at {0} was created with a different credentials file (key check failed); \
         use the credentials file it was created with, or a new data directory"
    )]
    KeyMismatch(PathBuf),
    #[error(
        "stored data could not be decrypted ({0}); the database is damaged or was tampered with"
    )]
    Crypto(#[from] CryptoError),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    keys: Arc<KeyRing>,
    path: PathBuf,
    changes: Arc<changes::Changes>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/1password.sqlite`, applies migrations and checks that
    /// `keys` belong to this database.
    pub async fn open(data_dir: &Path, keys: Arc<KeyRing>) -> StoreResult<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Invalid(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DB_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        // The api and sync processes of a fresh deployment start together and race to create and
        // migrate the same file: the loser sees "locked" or "already exists" and simply retries,
        // finding the work done (each migration is applied and recorded in one transaction).
        let mut attempt = 0u32;
        loop {
            match Self::open_once(options.clone(), keys.clone(), &path).await {
                Ok(store) => return Ok(store),
                Err(err) if attempt < 40 && is_startup_race(&err) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(25 * u64::from(attempt.min(8)))).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn open_once(
        options: SqliteConnectOptions,
        keys: Arc<KeyRing>,
        path: &Path,
    ) -> StoreResult<Store> {
        let changes = Arc::new(changes::Changes::default());
        let hooked = changes.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .after_connect(move |conn, _| {
                let changes = hooked.clone();
                Box::pin(async move { changes::install_hooks(conn, changes).await })
            })
            .connect_with(options)
            .await?;
        let store = Store {
            pool,
            keys,
            path: path.to_path_buf(),
            changes,
        };
        let prepared = async {
            MIGRATOR.run(&store.pool).await?;
            store.check_keys().await?;
            store.convert_legacy_files().await
        }
        .await;
        if let Err(err) = prepared {
            store.pool.close().await;
            return Err(err);
        }
        Ok(store)
    }

    async fn check_keys(&self) -> StoreResult<()> {
        let check = self.keys.key_check_value();
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('key_check', ?)")
            .bind(&check)
            .execute(&self.pool)
            .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'key_check'")
            .fetch_one(&self.pool)
            .await?;
        if self.keys.verify_key_check(&stored) {
            Ok(())
        } else {
            Err(StoreError::KeyMismatch(self.path.clone()))
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// A write transaction that takes the write lock up front, so that two writers (the api and the
    /// sync process) wait on the busy timeout instead of failing with `database is locked`.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A cheap liveness probe of the database for `/health`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Checkpoints the WAL into the main file (truncating it) and closes every connection, so a
    /// stopped process leaves one self-contained database file behind.
    pub async fn close(&self) {
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::debug!(error = %err, "WAL checkpoint at close failed");
        }
        self.pool.close().await;
    }

    fn title_index(&self, vault_id: &str, title: &str) -> Vec<u8> {
        let folded = crate::filter::fold_case(title);
        self.keys
            .blind_index("item-title", &format!("{vault_id}\0{folded}"))
            .to_vec()
    }

    fn tag_index(&self, vault_id: &str, tag: &str) -> Vec<u8> {
        let folded = crate::filter::fold_case(tag);
        self.keys
            .blind_index("item-tag", &format!("{vault_id}\0{folded}"))
            .to_vec()
    }

    fn vault_name_index(&self, name: &str) -> Vec<u8> {
        self.keys
            .blind_index("vault-name", &crate::filter::fold_case(name))
            .to_vec()
    }
}

fn is_startup_race(err: &StoreError) -> bool {
    let text = match err {
        StoreError::Db(e) => e.to_string(),
        StoreError::Migrate(e) => e.to_string(),
        _ => return false,
    };
    // A migration that adds a column loses the race as "duplicate column name".
    text.contains("locked")
        || text.contains("busy")
        || text.contains("already exists")
        || text.contains("duplicate column name")
}

fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    // The serde message could quote decrypted content, so only its position is reported.
    serde_json::from_slice(bytes).map_err(|e| {
        StoreError::Corrupt(format!(
            "{what}: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}
