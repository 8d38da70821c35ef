//! The audit log behind `GET /v1/activity`: an in-memory buffer that batches activity writes so
//! that reads on the hot path never wait for a database write (Connect batches its usage reports
//! the same way).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::auth::Access;
use crate::ids::RequestId;
pub use crate::store::Action;
use crate::store::{ActivityRecord, ItemRecord, Store};
use crate::timefmt;

/// Who sent a request, as the activity log records it. Shared, not copied, by the request's
/// activity entries.
#[derive(Clone, Debug, Default)]
pub struct Requester {
    pub request_id: RequestId,
    pub user_agent: Arc<str>,
    pub ip: Arc<str>,
}

/// The most entries held while the database refuses writes, unless configured
/// (`LATCHKEY_MAX_ACTIVITY_PENDING`): about 20 MB, several seconds of the benchmark's peak rate.
pub const DEFAULT_MAX_PENDING: usize = 50_000;

/// Pending entries at which the flusher is woken before its next tick: at tens of thousands of
/// reads a second, a second's worth of entries (about 450 bytes each) was 20 MB held and freed
/// again every second, which showed as RSS swinging by several MiB under load.
pub const FLUSH_AT: usize = 2_048;

/// Entries waiting for the next flush. While writes fail the buffer keeps the newest `cap`
/// entries: an audit log that silently grows until the process is killed loses everything, so
/// the oldest are dropped instead, counted in `/metrics` and reported in a warning.
pub struct ActivityLog {
    pending: Mutex<VecDeque<ActivityRecord>>,
    cap: usize,
    /// Woken when [`FLUSH_AT`] entries are pending.
    flush_wanted: tokio::sync::Notify,
    /// Entries dropped since the process started.
    dropped: AtomicU64,
    /// The part of `dropped` already reported in a warning.
    reported: AtomicU64,
}

impl Default for ActivityLog {
    fn default() -> Self {
        ActivityLog::with_capacity(DEFAULT_MAX_PENDING)
    }
}

impl ActivityLog {
    /// A buffer that holds at most `cap` entries (at least one).
    pub fn with_capacity(cap: usize) -> Self {
        ActivityLog {
            pending: Mutex::new(VecDeque::new()),
            cap: cap.max(1),
            flush_wanted: tokio::sync::Notify::new(),
            dropped: AtomicU64::new(0),
            reported: AtomicU64::new(0),
        }
    }

    /// Entries waiting to be written.
    pub fn pending_len(&self) -> usize {
        self.lock().len()
    }

    /// Entries dropped because the buffer was full (`latchkey_activity_dropped_total`).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ActivityRecord>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops the oldest entries beyond the cap, counting them.
    fn trim(&self, pending: &mut VecDeque<ActivityRecord>) {
        let excess = pending.len().saturating_sub(self.cap);
        if excess > 0 {
            pending.drain(..excess);
            self.dropped
                .fetch_add(u64::try_from(excess).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
    }

    #[cfg(test)]
    fn pending_vaults(&self) -> Vec<String> {
        self.lock().iter().map(|e| e.vault_id.clone()).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        who: &Requester,
        access: &Access,
        action: Action,
        allowed: bool,
        vault_id: &str,
        item_id: Option<&str>,
        item_version: Option<i64>,
    ) {
        let entry = ActivityRecord {
            request_id: who.request_id,
            ts: timefmt::now(),
            action,
            allowed,
            jti: access.jti.clone(),
            user_agent: who.user_agent.clone(),
            request_ip: who.ip.clone(),
            vault_id: vault_id.to_string(),
            item_id: item_id.map(str::to_string),
            item_version,
        };
        let mut pending = self.lock();
        pending.push_back(entry);
        self.trim(&mut pending);
        if pending.len() == FLUSH_AT {
            self.flush_wanted.notify_one();
        }
    }

    /// Completes once [`FLUSH_AT`] entries were pending since the last time it completed (at
    /// once if that happened while nobody waited): the flusher's cue to write before its tick.
    pub async fn flush_wanted(&self) {
        self.flush_wanted.notified().await;
    }

    /// A successful read of an item.
    pub fn item_read(&self, who: &Requester, access: &Access, item: &ItemRecord) {
        self.record(
            who,
            access,
            Action::Read,
            true,
            &item.vault_id,
            Some(&item.id),
            Some(item.version),
        );
    }

    /// Writes buffered entries to the store. On failure the batch goes back in front of the
    /// entries recorded meanwhile (a transient failure loses nothing), trimmed to the cap.
    pub async fn flush(&self, store: &Store) -> anyhow::Result<()> {
        let mut batch = std::mem::take(&mut *self.lock());
        let result = store.append_activity(batch.make_contiguous()).await;
        if let Err(err) = result {
            let mut pending = self.lock();
            let newer = std::mem::replace(&mut *pending, batch);
            pending.extend(newer);
            self.trim(&mut pending);
            drop(pending);
            self.report_drops();
            return Err(err.into());
        }
        self.report_drops();
        Ok(())
    }

    /// One warning per flush for the entries dropped since the last one (never one per entry).
    fn report_drops(&self) {
        let dropped = self.dropped();
        let before = self.reported.swap(dropped, Ordering::Relaxed);
        if dropped > before {
            tracing::warn!(
                dropped = dropped - before,
                dropped_total = dropped,
                cap = self.cap,
                "the activity buffer is full while the database refuses writes; the oldest entries were dropped"
            );
        }
    }
}

#[cfg(test)]
mod tests;
