//! The credentials-file watcher: a new list is applied, a broken or foreign file is not.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::revocations::{spawn_watch, FileVersion, Revocations, Watch};
use crate::credentials::{Credentials, RevokedToken};

fn revoked() -> RevokedToken {
    RevokedToken {
        jti: crate::ids::new_id(),
        revoked_at: 1,
        expires_at: None,
    }
}

/// Waits (bounded) until `check` holds.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Replaces the file's content in place, as `latchkey token revoke` does.
fn overwrite(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.set_len(text.len() as u64).unwrap();
}

#[tokio::test]
async fn the_watcher_applies_each_valid_version_and_ignores_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.json");
    let mut credentials = Credentials::generate(json!({"kind": "none"}));
    let first = revoked();
    credentials.revoked_tokens = vec![first.clone()];
    credentials.write_new(&path, None, false).unwrap();
    let list = Revocations::new(&credentials.revoked_tokens);
    let watch = Watch {
        path: path.clone(),
        passphrase: None,
        server_id: credentials.server_id.clone(),
        signing_key_id: credentials.signing_key_id.clone(),
        interval: Duration::from_millis(10),
    };
    let task = spawn_watch(list.clone(), watch, FileVersion::of(&path));
    assert!(list.contains(&first.jti));

    let second = revoked();
    Credentials::record_revocations(&path, None, std::slice::from_ref(&second), 1).unwrap();
    eventually("the new entry is applied", || list.contains(&second.jti)).await;
    assert!(list.contains(&first.jti) && list.len() == 2);

    // Half a file, then garbage: the last good list stays.
    let good = std::fs::read_to_string(&path).unwrap();
    overwrite(&path, &good[..good.len() / 2]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    overwrite(&path, "{}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(list.len(), 2);

    // Another server's file (another signing key) is not this server's list.
    let mut other = Credentials::generate(json!({"kind": "none"}));
    other.revoked_tokens = vec![revoked()];
    overwrite(&path, &other.to_json(None).unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(list.len(), 2);

    // An older copy put back (an entry fewer), then a newer one: revocations seen stay.
    credentials.revoked_tokens = vec![second.clone()];
    overwrite(&path, &credentials.to_json(None).unwrap());
    let third = revoked();
    Credentials::record_revocations(&path, None, std::slice::from_ref(&third), 1).unwrap();
    eventually("the next entry is applied", || list.contains(&third.jti)).await;
    assert!(list.contains(&first.jti) && list.contains(&second.jti));
    task.abort();
}
