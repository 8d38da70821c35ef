//! Prometheus text exposition of request counts and latencies, store sizes, process memory and
//! the progress of this process's sync runs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::sync::{Progress, ProgressSnapshot};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The methods that get their own label; any other token (a method may be any token up to the
/// header size) is counted as `OTHER`, so that tokenless requests cannot add series.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// The metrics label of a request method: a known method, else `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("OTHER")
}

/// What one route has seen: requests by method and status, and their latency.
#[derive(Default)]
struct RouteStats {
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

#[derive(Default)]
pub struct Metrics {
    /// Keyed by route so that counting a request of a route already seen allocates nothing.
    routes: Mutex<BTreeMap<String, RouteStats>>,
    /// The sync engine of this process, when it runs one (`serve`, `sync`, `dev`): `/health` and
    /// `/metrics` report its current run.
    sync_progress: OnceLock<Arc<Progress>>,
}

impl Metrics {
    /// Counts one request. `route` must come from a closed set too: a matched route template or
    /// `unmatched`, never the request path.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_string()).or_default(),
        };
        *stats
            .requests
            .entry((method_label(method), status))
            .or_default() += 1;
        let h = &mut stats.latency;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Reports the runs of this process's sync engine (set once, when the engine is built).
    pub fn watch_sync(&self, progress: Arc<Progress>) {
        let _ = self.sync_progress.set(progress);
    }

    /// The current (or last) run of this process's sync engine, if it runs one.
    pub fn sync_progress(&self) -> Option<ProgressSnapshot> {
        self.sync_progress.get().map(|p| p.snapshot())
    }

    /// `counts` is (vaults, items) from the store, when it could be read.
    pub fn render(&self, counts: Option<(i64, i64)>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP latchkey_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE latchkey_http_requests_total counter\n");
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (route, stats) in routes.iter() {
            for ((method, status), n) in &stats.requests {
                let _ = writeln!(
                    out,
                    "latchkey_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP latchkey_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE latchkey_http_request_duration_seconds histogram\n");
        for (route, stats) in routes.iter() {
            let h = &stats.latency;
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "latchkey_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        drop(routes);
        if let Some((vaults, items)) = counts {
            out.push_str(
                "# HELP latchkey_vaults Vaults in the store.\n# TYPE latchkey_vaults gauge\n",
            );
            let _ = writeln!(out, "latchkey_vaults {vaults}");
            out.push_str(
                "# HELP latchkey_items Items in the store.\n# TYPE latchkey_items gauge\n",
            );
            let _ = writeln!(out, "latchkey_items {items}");
        }
        if let Some(rss) = resident_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// The sync worker's counters, from the state it records in the store (so both processes report
/// the same figures).
pub fn render_sync(out: &mut String, sync: &crate::store::SyncState) {
    let _ = writeln!(out, "# HELP latchkey_sync_runs_total Sync runs, successful or not.\n# TYPE latchkey_sync_runs_total counter");
    let _ = writeln!(
        out,
        "latchkey_sync_runs_total{{source=\"{}\"}} {}",
        sync.source_kind, sync.runs
    );
    let _ = writeln!(out, "# HELP latchkey_sync_failures_total Failed sync runs.\n# TYPE latchkey_sync_failures_total counter");
    let _ = writeln!(
        out,
        "latchkey_sync_failures_total{{source=\"{}\"}} {}",
        sync.source_kind, sync.failures
    );
    if let Some(at) = sync.last_success {
        let _ = writeln!(out, "# HELP latchkey_sync_last_success_timestamp_seconds When the last sync succeeded.\n# TYPE latchkey_sync_last_success_timestamp_seconds gauge");
        let _ = writeln!(out, "latchkey_sync_last_success_timestamp_seconds {at}");
    }
    let _ = writeln!(out, "# HELP latchkey_sync_items Items the source held at the last successful sync.\n# TYPE latchkey_sync_items gauge");
    let _ = writeln!(out, "latchkey_sync_items {}", sync.items);
}

/// The current (or last) sync run of this process: running, items done and total, rate.
pub fn render_progress(out: &mut String, p: &ProgressSnapshot) {
    let mut gauge = |name: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    gauge(
        "latchkey_sync_running",
        "1 while a sync run is in progress in this process.",
        u8::from(p.running).to_string(),
    );
    gauge(
        "latchkey_sync_items_done",
        "Source items handled by the current (or last) sync run.",
        p.done.to_string(),
    );
    if let Some(total) = p.total {
        gauge(
            "latchkey_sync_items_total",
            "Source items in the current (or last) sync run, once known.",
            total.to_string(),
        );
    }
    gauge(
        "latchkey_sync_items_changed",
        "Items added, updated or removed by the current (or last) sync run.",
        p.changed.to_string(),
    );
    gauge(
        "latchkey_sync_items_per_second",
        "Items handled per second by the current (or last) sync run.",
        format!("{:.1}", p.rate()),
    );
    gauge(
        "latchkey_sync_run_seconds",
        "How long the current sync run has taken (or the last one took).",
        format!("{:.3}", p.elapsed.as_secs_f64()),
    );
}

/// Activity entries dropped because the buffer was full while the database refused writes.
pub fn render_activity_drops(out: &mut String, dropped: u64) {
    let _ = writeln!(out, "# HELP latchkey_activity_dropped_total Activity entries dropped because the database refused writes and the buffer was full.\n# TYPE latchkey_activity_dropped_total counter\nlatchkey_activity_dropped_total {dropped}");
}

/// Resident set size from /proc (Linux); `None` elsewhere.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::{method_label, render_progress};
    use crate::sync::ProgressSnapshot;

    #[test]
    fn progress_gauges_leave_out_an_unknown_total() {
        let mut snapshot = ProgressSnapshot {
            running: true,
            done: 250,
            total: None,
            changed: 10,
            elapsed: std::time::Duration::from_secs(2),
        };
        let mut out = String::new();
        render_progress(&mut out, &snapshot);
        assert!(out.contains("\nlatchkey_sync_running 1\n"), "{out}");
        assert!(out.contains("\nlatchkey_sync_items_done 250\n"), "{out}");
        assert!(
            out.contains("\nlatchkey_sync_items_per_second 125.0\n"),
            "{out}"
        );
        assert!(!out.contains("latchkey_sync_items_total"), "{out}");
        snapshot.total = Some(1000);
        snapshot.running = false;
        out.clear();
        render_progress(&mut out, &snapshot);
        assert!(out.contains("\nlatchkey_sync_items_total 1000\n"), "{out}");
        assert!(out.contains("\nlatchkey_sync_running 0\n"), "{out}");
    }

    #[test]
    fn method_labels_come_from_a_closed_set() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "OTHER");
        assert_eq!(method_label("FOOBAR"), "OTHER");
        assert_eq!(method_label(&"X".repeat(65536)), "OTHER");
    }
}
