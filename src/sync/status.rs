//! The sync worker's state as `/health` reports it (Connect's `account_data` and `sync`
//! dependencies), from what the worker recorded in the store.

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
/// makes the status ERROR).
pub fn sync(state: Option<&SyncState>, local_only: bool) -> Dependency {
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
    Dependency {
        service: "sync",
        status: if failing { "ERROR" } else { "ACTIVE" },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let line = sync(Some(&state), false);
        assert_eq!(line.status, "ERROR");
        assert!(line.message.ends_with(&format!("{}…", "x".repeat(10))));
        assert!(line.message.len() < 1200, "{}", line.message.len());
    }
}
