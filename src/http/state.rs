//! What every handler shares: the store, the token authority, the writer, the activity buffer,
//! metrics, the settings of the HTTP layer, and the gate that holds requests until the first sync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::error::ApiError;
use super::item_cache::ItemCache;
use super::metrics::Metrics;
use crate::activity::ActivityLog;
use crate::auth::TokenAuthority;
use crate::config::SourceKind;
use crate::model::Limits;
use crate::store::Store;
use crate::writes::ItemWriter;

pub const API_SERVICE_NAME: &str = "1Password Connect API";
pub const SYNC_SERVICE_NAME: &str = "1Password Connect Sync";
/// `LATCHKEY_ITEM_CACHE_MB`'s default, in bytes.
pub const DEFAULT_ITEM_CACHE_BYTES: usize = 16 << 20;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `OP_MAX_INLINE_FILE_SIZE_KB`: files above this are not inlined (413).
    pub max_inline_file_kb: u64,
    /// Request bodies above this are refused with 413.
    pub max_body_bytes: usize,
    pub limits: Limits,
    /// `OP_SYNC_TIMEOUT`: how long an API request waits for the first sync before a 408.
    pub sync_timeout: std::time::Duration,
    /// The credentials file's source kind; with `none` the store is ready at once.
    pub source_kind: SourceKind,
    /// `name` in `/health`.
    pub service_name: &'static str,
    /// `LATCHKEY_MAX_ACTIVITY_PENDING`: activity entries held while the database refuses writes.
    pub max_activity_pending: usize,
    /// `LATCHKEY_ITEM_CACHE_MB`, in bytes: rendered items kept for warm reads (0: none).
    pub item_cache_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_inline_file_kb: 100,
            max_body_bytes: 1024 * 1024,
            limits: Limits::default(),
            sync_timeout: std::time::Duration::from_secs(10),
            source_kind: SourceKind::None,
            service_name: API_SERVICE_NAME,
            max_activity_pending: crate::activity::DEFAULT_MAX_PENDING,
            item_cache_bytes: DEFAULT_ITEM_CACHE_BYTES,
        }
    }
}

pub struct AppInner {
    pub store: Store,
    pub auth: TokenAuthority,
    pub writer: ItemWriter,
    pub config: HttpConfig,
    pub activity: ActivityLog,
    pub metrics: Metrics,
    pub item_cache: ItemCache,
    /// Set once the first sync has completed (or at once for the `none` source).
    sync_ready: AtomicBool,
}

#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, auth: TokenAuthority, writer: ItemWriter, config: HttpConfig) -> Self {
        let ready = config.source_kind == SourceKind::None;
        let activity = ActivityLog::with_capacity(config.max_activity_pending);
        let item_cache = ItemCache::new(config.item_cache_bytes);
        // The cache is only used while the store's changes are watched (that needs a runtime).
        if config.item_cache_bytes > 0 && tokio::runtime::Handle::try_current().is_ok() {
            store.watch_changes();
        }
        AppState(Arc::new(AppInner {
            store,
            auth,
            writer,
            config,
            activity,
            metrics: Metrics::default(),
            item_cache,
            sync_ready: AtomicBool::new(ready),
        }))
    }

    /// Waits (up to `OP_SYNC_TIMEOUT`) until the store holds synced account data, as Connect does
    /// before its first sync; then it is Connect's 408.
    pub async fn wait_for_sync(&self) -> Result<(), ApiError> {
        if self.sync_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let deadline = Instant::now() + self.config.sync_timeout;
        loop {
            let synced = self
                .store
                .sync_state()
                .await
                .ok()
                .flatten()
                .is_some_and(|s| s.last_success.is_some());
            if synced {
                self.sync_ready.store(true, Ordering::Release);
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ApiError::RequestTimeout(
                    "sync timeout: account data is not available yet; the sync worker has not completed its first sync".into(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
