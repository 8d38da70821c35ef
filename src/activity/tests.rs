//! The buffer stays bounded while the database refuses writes, and counts what it drops.

use std::sync::Arc;

use super::{Action, ActivityLog, Requester};
use crate::auth::Access;
use crate::crypto::{KeyRing, RootKey};
use crate::store::Store;

fn who() -> Requester {
    Requester {
        user_agent: "test".into(),
        ip: "127.0.0.1".into(),
        ..Requester::default()
    }
}

/// Entry `n`, told apart by its vault id.
fn record(log: &ActivityLog, n: usize) {
    log.record(
        &who(),
        &Access::full("jti"),
        Action::Read,
        true,
        &format!("vault-{n}"),
        None,
        None,
    );
}

#[tokio::test]
async fn failing_flushes_keep_the_buffer_at_its_cap_and_count_drops() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyRing::derive(&RootKey::generate()));
    let store = Store::open(dir.path(), keys).await.unwrap();
    // A closed pool refuses every write, as a full disk or a lost volume would.
    store.close().await;
    let log = ActivityLog::with_capacity(100);
    for round in 0..5 {
        for n in 0..60 {
            record(&log, round * 60 + n);
        }
        assert!(log.flush(&store).await.is_err());
        assert!(log.pending_len() <= 100, "{} pending", log.pending_len());
    }
    assert_eq!(log.pending_len(), 100);
    assert_eq!(log.dropped(), 200);
    // The newest entries are the ones kept.
    let kept = log.pending_vaults();
    assert_eq!(kept.first().map(String::as_str), Some("vault-200"));
    assert_eq!(kept.last().map(String::as_str), Some("vault-299"));
}

#[tokio::test]
async fn a_working_store_gets_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyRing::derive(&RootKey::generate()));
    let store = Store::open(dir.path(), keys).await.unwrap();
    let log = ActivityLog::with_capacity(100);
    for n in 0..80 {
        record(&log, n);
    }
    log.flush(&store).await.unwrap();
    assert_eq!(log.pending_len(), 0);
    assert_eq!(log.dropped(), 0);
}

#[tokio::test]
async fn the_flusher_is_woken_once_enough_entries_are_pending() {
    let log = ActivityLog::default();
    for n in 0..super::FLUSH_AT - 1 {
        record(&log, n);
    }
    let waiting = std::time::Duration::from_millis(50);
    assert!(
        tokio::time::timeout(waiting, log.flush_wanted())
            .await
            .is_err(),
        "woken before {} entries",
        super::FLUSH_AT
    );
    record(&log, super::FLUSH_AT);
    // Nobody waited when the count was reached: the wake-up is kept for the next wait.
    tokio::time::timeout(waiting, log.flush_wanted())
        .await
        .expect("woken at the threshold");
}
