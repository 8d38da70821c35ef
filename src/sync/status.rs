//! The sync worker's state as `/health` reports it (Connect's `account_data` and `sync`
//! dependencies), from what the worker recorded in the store.

use crate::store::SyncState;
use crate::timefmt::rfc3339;

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
        message.push_str(&format!("; last error at {}: {error}", rfc3339(at)));
    }
    Dependency {
        service: "sync",
        status: if failing { "ERROR" } else { "ACTIVE" },
        message,
    }
}
