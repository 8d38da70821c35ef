//! How far the current sync run has got: the engine advances it, the terminal progress bar, the
//! log lines, `/health` and the metrics of the sync process read it.
//!
//! Lock-free counters, so the engine's hot loop pays one atomic add per item.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shared between the engine (writer) and whoever reports progress (readers).
#[derive(Debug, Default)]
pub struct Progress {
    running: AtomicBool,
    done: AtomicU64,
    /// `u64::MAX` while the total is not known yet (a source still being read).
    total: AtomicU64,
    changed: AtomicU64,
    started: Mutex<Option<Instant>>,
    finished: Mutex<Option<Duration>>,
}

/// One reading of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressSnapshot {
    /// A run is in progress.
    pub running: bool,
    /// Source items handled in the current (or last) run, changed or not.
    pub done: u64,
    /// Source items in the run, once known.
    pub total: Option<u64>,
    /// Items added, updated or removed so far in the current (or last) run.
    pub changed: u64,
    /// Time since the current run started (or how long the last run took).
    pub elapsed: Duration,
}

impl ProgressSnapshot {
    /// Items handled per second in the current (or last) run.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            total: AtomicU64::new(u64::MAX),
            ..Progress::default()
        }
    }

    /// A run starts; the total is unknown until [`Progress::set_total`].
    pub fn start(&self) {
        self.done.store(0, Ordering::Relaxed);
        self.changed.store(0, Ordering::Relaxed);
        self.total.store(u64::MAX, Ordering::Relaxed);
        *lock(&self.started) = Some(Instant::now());
        *lock(&self.finished) = None;
        self.running.store(true, Ordering::Release);
    }

    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn add_to_total(&self, more: u64) {
        let _ = self
            .total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(if t == u64::MAX { more } else { t + more })
            });
    }

    /// `n` more source items handled, `changed` of which were written or removed.
    pub fn advance(&self, n: u64, changed: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        if changed > 0 {
            self.changed.fetch_add(changed, Ordering::Relaxed);
        }
    }

    pub fn finish(&self) {
        let elapsed = lock(&self.started).map(|s| s.elapsed());
        *lock(&self.finished) = elapsed;
        self.running.store(false, Ordering::Release);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let running = self.running.load(Ordering::Acquire);
        let total = self.total.load(Ordering::Relaxed);
        let elapsed = if running {
            lock(&self.started).map(|s| s.elapsed())
        } else {
            *lock(&self.finished)
        };
        ProgressSnapshot {
            running,
            done: self.done.load(Ordering::Relaxed),
            total: (total != u64::MAX).then_some(total),
            changed: self.changed.load(Ordering::Relaxed),
            elapsed: elapsed.unwrap_or_default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_and_knows_the_total_only_once_set() {
        let p = Progress::new();
        assert!(!p.snapshot().running);
        p.start();
        p.advance(3, 1);
        let s = p.snapshot();
        assert!(s.running);
        assert_eq!((s.done, s.total, s.changed), (3, None, 1));
        p.add_to_total(10);
        p.add_to_total(5);
        assert_eq!(p.snapshot().total, Some(15));
        p.finish();
        let s = p.snapshot();
        assert!(!s.running);
        assert_eq!(s.done, 3);
        p.start();
        assert_eq!((p.snapshot().done, p.snapshot().total), (0, None));
    }
}
