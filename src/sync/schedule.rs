//! When the next run of a source that cannot signal its changes (an upstream Connect server)
//! starts, so that `LATCHKEY_SYNC_INTERVAL` bounds how long an upstream change waits before this
//! latchkey serves it.
//!
//! Design: a change made just after a run read the upstream is picked up by the next run and
//! served when that run ends. Waiting a whole interval after a run ends would make that
//! interval + the run's duration (+ the next run's). Instead runs are spaced from start to start,
//! and each starts early by the time a run takes to detect and apply a change (its *lead*):
//!
//! ```text
//! next start = last start + interval - lead,   but at least `min_pause` after the last end
//! ```
//!
//! so a change waits at most `interval - lead + (the next run's duration)`, which is within the
//! interval while runs take no longer than the lead.
//!
//! The lead is learned from runs that listed items (the only runs that can find a change in a
//! vault): a run that only saw every vault's unchanged `contentVersion` is much cheaper and would
//! make the lead too short. A slower run raises the lead at once (the promise holds from the next
//! run on); a faster one lowers it halfway, so that one slow outlier (a first sync of everything)
//! wears off within a few runs. Until a run has listed items (after a restart on a synced store,
//! the first runs only see unchanged vaults) the lead is the longest. The lead is at most half the
//! interval (runs are learned with that bound too), so a slow upstream is polled at most twice per
//! interval, and every run is followed by a pause of at least a tenth of the interval, so an
//! upstream slower than the interval is never polled back to back.

use std::time::Duration;

/// The longest lead, as a fraction of the interval (the divisor).
const MAX_LEAD_DIVISOR: u32 = 2;

/// The shortest pause between the end of one run and the start of the next, as a fraction of the
/// interval (the divisor).
const MIN_PAUSE_DIVISOR: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    interval: Duration,
    /// What runs that listed items took, smoothed.
    learned: Duration,
}

impl Schedule {
    pub fn new(interval: Duration) -> Self {
        Schedule {
            interval,
            // Until a run has listed items, the longest lead: the first change after a restart
            // is served within the interval too, at the cost of cheap runs twice per interval.
            learned: interval / MAX_LEAD_DIVISOR,
        }
    }

    /// Records a run that listed items and took `took` from start to end.
    pub fn learn(&mut self, took: Duration) {
        // Bounded before it is learned, so that an outlier (a first sync of everything) wears
        // off as fast as an ordinary slow run.
        let took = took.min(self.max_lead());
        self.learned = if took >= self.learned {
            took
        } else {
            // Halfway down: (a + b) / 2 without overflow, since took < learned.
            took + (self.learned - took) / 2
        };
    }

    /// How early the next run starts: the expected time a run takes to detect and apply a
    /// change, at most half the interval (what [`Schedule::learn`] keeps is bounded by it).
    pub fn lead(&self) -> Duration {
        self.learned
    }

    fn max_lead(&self) -> Duration {
        self.interval / MAX_LEAD_DIVISOR
    }

    /// The shortest pause between two runs.
    pub fn min_pause(&self) -> Duration {
        self.interval / MIN_PAUSE_DIVISOR
    }

    /// How long to wait, at the end of a run that started `ran` ago, before the next one.
    pub fn wait_after(&self, ran: Duration) -> Duration {
        let until_next_start = self.interval.saturating_sub(self.lead());
        until_next_start.saturating_sub(ran).max(self.min_pause())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn until_a_run_listed_items_the_lead_is_half_the_interval() {
        let schedule = Schedule::new(ms(10_000));
        assert_eq!(schedule.lead(), ms(5_000));
        assert_eq!(schedule.wait_after(ms(300)), ms(4_700));
    }

    #[test]
    fn the_next_run_starts_early_by_what_a_listing_run_takes() {
        let mut schedule = Schedule::new(ms(10_000));
        // 5 s -> 3.5 s -> 2.75 s -> 2.375 s -> ... -> 2 s.
        for _ in 0..40 {
            schedule.learn(ms(2_000));
        }
        assert_eq!(schedule.lead(), ms(2_000));
        // A cheap run (200 ms) that ended: the next starts 8 s after its start.
        assert_eq!(schedule.wait_after(ms(200)), ms(7_800));
        // A listing run as long as the lead: start to start is still 8 s, so a change made just
        // after this run read the upstream is served 8 s + 2 s later, within the interval.
        assert_eq!(schedule.wait_after(ms(2_000)), ms(6_000));
    }

    #[test]
    fn the_lead_rises_at_once_and_falls_halfway() {
        let mut schedule = Schedule::new(ms(10_000));
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(3_000));
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(2_000));
        schedule.learn(ms(3_000));
        assert_eq!(schedule.lead(), ms(3_000));
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(2_000));
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(1_500));
    }

    #[test]
    fn the_lead_is_at_most_half_the_interval() {
        let mut schedule = Schedule::new(ms(10_000));
        // A first sync of everything, far longer than the interval.
        schedule.learn(ms(30_000));
        assert_eq!(schedule.lead(), ms(5_000));
        // It wears off as fast listing runs follow, as a run of half the interval would.
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(3_000));
        schedule.learn(ms(1_000));
        assert_eq!(schedule.lead(), ms(2_000));
        for _ in 0..10 {
            schedule.learn(ms(1_000));
        }
        assert!(schedule.lead() < ms(1_010));
    }

    #[test]
    fn a_run_longer_than_the_interval_is_followed_by_the_minimum_pause() {
        let mut schedule = Schedule::new(ms(10_000));
        schedule.learn(ms(30_000));
        assert_eq!(schedule.min_pause(), ms(1_000));
        assert_eq!(schedule.wait_after(ms(30_000)), ms(1_000));
        // Also when the run was shorter than the interval but past the next start.
        assert_eq!(schedule.wait_after(ms(5_500)), ms(1_000));
        assert_eq!(schedule.wait_after(ms(3_000)), ms(2_000));
    }

    #[test]
    fn tiny_and_huge_durations_do_not_overflow() {
        let mut schedule = Schedule::new(Duration::ZERO);
        schedule.learn(Duration::MAX);
        assert_eq!(schedule.wait_after(Duration::MAX), Duration::ZERO);
        let mut schedule = Schedule::new(Duration::MAX);
        schedule.learn(Duration::ZERO);
        assert_eq!(schedule.lead(), Duration::MAX / 4);
        assert_eq!(
            schedule.wait_after(Duration::ZERO),
            Duration::MAX - Duration::MAX / 4
        );
    }
}
