//! The worker loop: sync once at start, then whenever the source may have changed or the
//! interval has passed. A source that signals its changes (a watched file) runs when it changes,
//! or an interval after its last run ended. One that cannot (an upstream server) runs on the
//! [`Schedule`] that makes the interval the longest an upstream change waits before it is
//! served. After a failure, a watched source is retried when it changes; one that cannot signal
//! is retried after a delay that starts at a second and doubles up to the interval, so a blip
//! heals quickly and an outage is not hammered.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::Engine;
use super::schedule::Schedule;

/// The first retry delay of a failing source that cannot signal changes.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// How long to wait before the next run after `failures` failed runs in a row (0: the last run
/// succeeded): the interval, or for a failing source that cannot signal changes, one second
/// doubled per further failure, never more than the interval. (A source that cannot signal
/// changes and did not fail follows its [`Schedule`] instead.)
pub fn retry_delay(failures: u32, watches_changes: bool, interval: Duration) -> Duration {
    if failures == 0 || watches_changes {
        return interval;
    }
    let doubled = FIRST_RETRY.saturating_mul(1 << (failures - 1).min(20));
    doubled.min(interval)
}

/// Runs sync until `shutdown` resolves.
pub async fn run_until_stopped(
    engine: Arc<Engine>,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut failures = 0u32;
    let mut schedule = Schedule::new(interval);
    let watched = engine.source().watches_changes();
    loop {
        let started = Instant::now();
        let kind = engine.source().kind();
        let result = engine.sync_once().await;
        let ran = started.elapsed();
        if let Ok(outcome) = &result {
            if outcome.vaults_listed > 0 {
                schedule.learn(ran);
            }
        }
        match result {
            Ok(outcome) if outcome.changed() => {
                failures = 0;
                tracing::info!(
                    source = kind,
                    vaults = outcome.vaults,
                    items = outcome.items,
                    added = outcome.items_added,
                    updated = outcome.items_updated,
                    removed = outcome.items_removed,
                    millis = ran.as_millis() as u64,
                    "sync completed"
                );
            }
            Ok(outcome) => {
                failures = 0;
                tracing::debug!(
                    source = kind,
                    listed = outcome.vaults_listed,
                    millis = ran.as_millis() as u64,
                    "sync found nothing to change"
                );
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                tracing::warn!(source = kind, error = %err, "sync failed; serving the last good data");
            }
        }
        let wait = if failures == 0 && !watched {
            schedule.wait_after(ran)
        } else {
            retry_delay(failures, watched, interval)
        };
        tokio::select! {
            () = &mut shutdown => break,
            () = engine.source().changed(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_unwatched_source_backs_off_from_a_second_to_the_interval() {
        let interval = Duration::from_secs(30);
        let delays: Vec<u64> = (1..=8)
            .map(|failures| retry_delay(failures, false, interval).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(0, false, interval), interval);
        assert_eq!(retry_delay(u32::MAX, false, interval), interval);
        // A short interval caps even the first retry.
        let short = Duration::from_millis(300);
        assert_eq!(retry_delay(1, false, short), short);
    }

    #[test]
    fn a_watched_source_waits_for_a_change_or_the_interval() {
        let interval = Duration::from_secs(30);
        for failures in [0, 1, 5] {
            assert_eq!(retry_delay(failures, true, interval), interval);
        }
    }
}
