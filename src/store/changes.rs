//! A change counter for caches in front of the store: it moves whenever item content may have
//! changed, whichever process wrote it. Writes through this process move it as they commit (a
//! commit hook on every pooled connection, armed by an update hook when a row of an item or vault
//! table changed); writes by another process (the separate `latchkey sync`) are noticed by
//! [`Store::watch_changes`], which polls SQLite's `PRAGMA data_version` on a connection of its own
//! and, when that moved, the vaults' content versions (every item write bumps its vault's
//! `content_version`, so that this process's own activity-log flushes do not count as changes).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use std::sync::Arc;

use sqlx::{Connection as _, SqliteConnection};

use super::{Store, StoreResult};

/// How often another process's writes are looked for: well inside the 1 s within which the API
/// must serve what `latchkey sync` wrote (docs/design.md §9).
pub const CHANGE_POLL: Duration = Duration::from_millis(100);

/// The counter, shared by every clone of a [`Store`].
#[derive(Debug, Default)]
pub(super) struct Changes {
    generation: AtomicU64,
    watching: AtomicBool,
}

/// Tables whose rows make up what a cached item shows (or whether its vault exists).
const CONTENT_TABLES: [&str; 4] = ["items", "vaults", "files", "item_tags"];

/// Installs the hooks that move `changes` when `conn` commits a change to item content.
pub(super) async fn install_hooks(
    conn: &mut SqliteConnection,
    changes: Arc<Changes>,
) -> Result<(), sqlx::Error> {
    let touched = Arc::new(AtomicBool::new(false));
    let mut handle = conn.lock_handle().await?;
    let on_update = touched.clone();
    handle.set_update_hook(move |update| {
        if update.database == "main" && CONTENT_TABLES.contains(&update.table) {
            on_update.store(true, Ordering::Relaxed);
        }
    });
    let on_rollback = touched.clone();
    handle.set_rollback_hook(move || on_rollback.store(false, Ordering::Relaxed));
    // Runs as the commit is made: a lookup that started before it sees another generation when
    // it tries to cache what it read; the small window in which the commit is not yet visible is
    // closed by the watch.
    handle.set_commit_hook(move || {
        if touched.swap(false, Ordering::Relaxed) {
            changes.generation.fetch_add(1, Ordering::AcqRel);
        }
        true
    });
    Ok(())
}

/// What identifies the vaults' content at one moment.
type Fingerprint = (i64, i64, i64, i64);

impl Store {
    /// The current change generation. A value read before a lookup that is still current after
    /// it means that nothing changed in between (up to [`CHANGE_POLL`] for other processes).
    pub fn generation(&self) -> u64 {
        self.changes.generation.load(Ordering::Acquire)
    }

    /// Whether [`Store::watch_changes`] is running: only then may a cache trust [`generation`]
    /// for writes made by other processes.
    ///
    /// [`generation`]: Store::generation
    pub fn changes_watched(&self) -> bool {
        self.changes.watching.load(Ordering::Acquire)
    }

    fn note_change(&self) {
        self.changes.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Starts polling for other processes' writes (once per store; later calls do nothing). The
    /// task ends when the store is closed. Needs a Tokio runtime.
    pub fn watch_changes(&self) {
        if self.changes.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(err) = store.poll_changes().await {
                tracing::debug!(error = %err, "change watch stopped");
            }
            // Without a watch, nothing tells a cache of other processes' writes.
            store.changes.watching.store(false, Ordering::Release);
            store.note_change();
        });
    }

    async fn poll_changes(&self) -> StoreResult<()> {
        // `data_version` compares commits of *other* connections against this one: it needs a
        // connection that stays the same, outside the pool.
        let mut conn = self.pool.acquire().await?.detach();
        let mut version = data_version(&mut conn).await?;
        let mut seen = fingerprint(&mut conn).await?;
        let mut tick = tokio::time::interval(CHANGE_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.pool.is_closed() {
            tick.tick().await;
            let now = data_version(&mut conn).await?;
            if now == version {
                continue;
            }
            version = now;
            let current = fingerprint(&mut conn).await?;
            if current != seen {
                seen = current;
                self.note_change();
            }
        }
        conn.close().await?;
        Ok(())
    }
}

async fn data_version(conn: &mut SqliteConnection) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await?)
}

/// Vault count, the sum of content versions, the newest vault row and update: any item write,
/// vault creation or deletion moves at least one.
async fn fingerprint(conn: &mut SqliteConnection) -> StoreResult<Fingerprint> {
    Ok(sqlx::query_as(
        "SELECT count(*), coalesce(sum(content_version), 0), coalesce(max(rowid), 0), \
         coalesce(max(updated_at), 0) FROM vaults",
    )
    .fetch_one(&mut *conn)
    .await?)
}
