//! The sync worker's state as `/health` reports it (Connect's `account_data` and `sync`
//! dependencies), from what the worker recorded in the store and, in the process that runs the
//! worker, how far its current run has got.

use super::ProgressSnapshot;
use crate::store::SyncState;
use crate::timefmt::rfc3339;

/// The most of a source error `/health` repeats.
const MAX_ERROR_CHARS: usize = 1000;

/// One dependency line of `/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub service: &'static str,
    pub status: &'static str,
    pub message: String,
}

/// `account_data`: available once a sync has succeeded (at once when the store is the source).
pub fn account_data(state: Option<&SyncState>, local_only: bool) -> Dependency {
    if local_only || state.is_some_and(|s| s.last_success.is_some()) {
        return Dependency {
            service: "account_data",
            status: "AVAILABLE",
            message: "Account data is available".into(),
        };
    }
    Dependency {
        service: "account_data",
        status: "NOT_SYNCED",
        message: if state.is_some() {
            "Account data is not available because the first synchronization has not completed"
                .into()
        } else {
            "Account data is not available because synchronization has not yet started".into()
        },
    }
}

/// `sync`: the source, the last success and the last error (an error newer than the last success
/// makes the status ERROR), then the current run's progress when `progress` shows one running.
/// Progress goes in the message only: clients know Connect's statuses, not new ones or fields.
pub fn sync(
    state: Option<&SyncState>,
    local_only: bool,
    progress: Option<&ProgressSnapshot>,
) -> Dependency {
    let Some(s) = state.filter(|_| !local_only) else {
        return Dependency {
            service: "sync",
            status: if local_only { "ACTIVE" } else { "NOT_STARTED" },
            message: if local_only {
                "No upstream source: the local store is the source of truth".into()
            } else {
                "The sync worker has not run yet".into()
            },
        };
    };
    let failing = s
        .error_at
        .is_some_and(|e| s.last_success.is_none_or(|ok| e >= ok));
    let mut message = format!(
        "source {}; last success {}",
        s.source_kind,
        s.last_success.map_or_else(|| "never".to_string(), rfc3339)
    );
    if let (Some(error), Some(at)) = (&s.last_error, s.error_at) {
        // Sources keep their messages short and free of names and values; the clip bounds what
        // an unauthenticated caller is sent even if one does not.
        let error = crate::text::clip(error, MAX_ERROR_CHARS);
        message.push_str(&format!("; last error at {}: {error}", rfc3339(at)));
    }
    if let Some(p) = progress.filter(|p| p.running) {
        message.push_str("; syncing: ");
        message.push_str(&progress_text(p));
    }
    Dependency {
        service: "sync",
        status: if failing { "ERROR" } else { "ACTIVE" },
        message,
    }
}

/// `1200 of 5000 items (24%), 800 items/s, 1.5 s` (`1200 items so far` while the total is not
/// known): the progress of a run as `/health` and the logs word it.
pub fn progress_text(p: &ProgressSnapshot) -> String {
    let count = match p.total {
        Some(total) if total > 0 => format!(
            "{} of {total} items ({:.0}%)",
            p.done,
            p.done as f64 * 100.0 / total as f64
        ),
        Some(total) => format!("{} of {total} items", p.done),
        None => format!("{} items so far", p.done),
    };
    format!(
        "{count}, {:.0} items/s, {:.1} s",
        p.rate(),
        p.elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_sync_shows_its_progress_in_the_message() {
        let state = SyncState {
            source_kind: "seed".into(),
            last_attempt: Some(2),
            last_success: None,
            last_error: None,
            error_at: None,
            vaults: 0,
            items: 0,
            runs: 0,
            failures: 0,
        };
        let mut p = ProgressSnapshot {
            running: true,
            done: 1200,
            total: Some(5000),
            changed: 1200,
            elapsed: std::time::Duration::from_millis(1500),
        };
        let line = sync(Some(&state), false, Some(&p));
        assert_eq!(line.status, "ACTIVE");
        assert_eq!(
            line.message,
            "source seed; last success never; syncing: 1200 of 5000 items (24%), 800 items/s, 1.5 s"
        );
        p.total = None;
        assert!(sync(Some(&state), false, Some(&p))
            .message
            .ends_with("syncing: 1200 items so far, 800 items/s, 1.5 s"));
        p.running = false;
        assert_eq!(
            sync(Some(&state), false, Some(&p)).message,
            "source seed; last success never"
        );
    }

    #[test]
    fn a_long_error_is_clipped() {
        let state = SyncState {
            source_kind: "seed".into(),
            last_attempt: Some(2),
            last_success: Some(1),
            last_error: Some("x".repeat(5000)),
            error_at: Some(2),
            vaults: 0,
            items: 0,
            runs: 2,
            failures: 1,
        };
        let line = sync(Some(&state), false, None);
        assert_eq!(line.status, "ERROR");
        assert!(line.message.ends_with(&format!("{}…", "x".repeat(10))));
        assert!(line.message.len() < 1200, "{}", line.message.len());
    }
}
