//! The revocation list in the file: its layout, its checks, and `record_revocations` rewriting
//! the file in place.

use super::*;
use crate::credentials::update::backup_path;

fn revoked(exp: Option<i64>) -> RevokedToken {
    RevokedToken {
        jti: ids::new_id(),
        revoked_at: 1_700_000_000,
        expires_at: exp,
    }
}

fn load(path: &Path, passphrase: Option<&str>) -> Credentials {
    Credentials::load(path.to_str().unwrap(), passphrase).unwrap()
}

#[test]
fn the_list_round_trips_and_is_sealed_with_the_secrets() {
    let mut c = sample();
    assert!(!c.to_json(None).unwrap().contains("revokedTokens"));
    c.revoked_tokens = vec![revoked(Some(2_000_000_000)), revoked(None)];
    let plain = c.to_json(None).unwrap();
    let v: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(
        v["secrets"]["plain"]["revokedTokens"][0]["jti"],
        c.revoked_tokens[0].jti.as_str()
    );
    assert_eq!(
        v["secrets"]["plain"]["revokedTokens"][0]["expiresAt"],
        2_000_000_000
    );
    assert!(v["secrets"]["plain"]["revokedTokens"][1]
        .get("expiresAt")
        .is_none());
    assert_eq!(
        Credentials::from_json(&plain, None).unwrap().revoked_tokens,
        c.revoked_tokens
    );

    let sealed = c.to_json(Some("pw")).unwrap();
    assert!(!sealed.contains(&c.revoked_tokens[0].jti), "{sealed}");
    assert_eq!(
        Credentials::from_json(&sealed, Some("pw"))
            .unwrap()
            .revoked_tokens,
        c.revoked_tokens
    );
}

#[test]
fn invalid_lists_are_refused_by_position() {
    let c = sample();
    let text = c.to_json(None).unwrap();
    let with = |list: Value| {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["secrets"]["plain"]["revokedTokens"] = list;
        v.to_string()
    };
    let id = ids::new_id();
    for (list, fragment) in [
        (json!("x"), "revokedTokens must be an array"),
        (
            json!([{"jti": "SECRETSECRET", "revokedAt": 1}]),
            "revokedTokens[0]",
        ),
        (
            json!([{"jti": id, "revokedAt": 1}, {"jti": id}]),
            "revokedTokens[1]",
        ),
        (
            json!([{"jti": id, "revokedAt": "soon"}]),
            "revokedTokens[0]",
        ),
        (
            json!([{"jti": id, "revokedAt": 1, "expiresAt": "never"}]),
            "revokedTokens[0]",
        ),
        (json!([1]), "revokedTokens[0]"),
    ] {
        let msg = parse_error(Credentials::from_json(&with(list), None));
        assert!(msg.contains(fragment), "{msg}");
        assert!(
            !msg.contains("SECRETSECRET") && !msg.contains("soon"),
            "{msg}"
        );
    }
    let many: Vec<Value> = (0..=MAX_REVOKED_TOKENS)
        .map(|_| json!({"jti": id, "revokedAt": 1}))
        .collect();
    let msg = parse_error(Credentials::from_json(&with(Value::Array(many)), None));
    assert!(msg.contains("more than"), "{msg}");
    // Null reads as no list.
    Credentials::from_json(&with(Value::Null), None).unwrap();
}

#[cfg(unix)]
#[test]
fn recording_rewrites_the_file_in_place_and_prunes_expired_entries() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.json");
    let c = sample();
    c.write_new(&path, None, false).unwrap();
    // The owner may have widened the mode for a container's group; a rewrite keeps it.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let inode = fs::metadata(&path).unwrap().ino();

    let now = 1_800_000_000;
    let (expiring, forever) = (revoked(Some(now + 10)), revoked(None));
    let added =
        Credentials::record_revocations(&path, None, &[expiring.clone(), forever.clone()], now)
            .unwrap();
    assert_eq!(added, vec![expiring.jti.clone(), forever.jti.clone()]);
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.ino(), inode, "the same file, rewritten in place");
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let back = load(&path, None);
    assert_same(&c, &back);
    assert_eq!(back.revoked_tokens, vec![expiring.clone(), forever.clone()]);
    assert!(!backup_path(&path).exists(), "the backup is removed");

    // Recording again changes nothing, not even the bytes.
    let bytes = fs::read(&path).unwrap();
    let again =
        Credentials::record_revocations(&path, None, std::slice::from_ref(&forever), now).unwrap();
    assert!(again.is_empty());
    assert_eq!(fs::read(&path).unwrap(), bytes);

    // Later, the expired entry is dropped when the next one is recorded.
    let later = revoked(None);
    Credentials::record_revocations(&path, None, std::slice::from_ref(&later), now + 11).unwrap();
    assert_eq!(load(&path, None).revoked_tokens, vec![forever, later]);

    let bad = RevokedToken {
        jti: "NOT-AN-ID".into(),
        ..revoked(None)
    };
    assert!(matches!(
        Credentials::record_revocations(&path, None, &[bad], now),
        Err(CredentialsError::Parse(_))
    ));
}

#[test]
fn recording_keeps_a_sealed_file_sealed_and_a_base64_file_base64() {
    let dir = tempfile::tempdir().unwrap();
    let c = sample();
    let sealed = dir.path().join("sealed.json");
    c.write_new(&sealed, Some("pw"), false).unwrap();
    let token = revoked(None);
    assert!(matches!(
        Credentials::record_revocations(&sealed, None, std::slice::from_ref(&token), 1),
        Err(CredentialsError::PassphraseRequired)
    ));
    Credentials::record_revocations(&sealed, Some("pw"), std::slice::from_ref(&token), 1).unwrap();
    let text = fs::read_to_string(&sealed).unwrap();
    assert!(
        text.contains("\"sealed\"") && !text.contains(&token.jti),
        "{text}"
    );
    assert_eq!(
        load(&sealed, Some("pw")).revoked_tokens,
        vec![token.clone()]
    );

    // A plain file stays plain even when a passphrase is configured.
    let plain = dir.path().join("plain.json");
    c.write_new(&plain, None, false).unwrap();
    Credentials::record_revocations(&plain, Some("pw"), std::slice::from_ref(&token), 1).unwrap();
    assert!(fs::read_to_string(&plain).unwrap().contains(&token.jti));

    let b64 = dir.path().join("creds.b64");
    fs::write(&b64, STANDARD.encode(c.to_json(None).unwrap())).unwrap();
    Credentials::record_revocations(&b64, None, std::slice::from_ref(&token), 1).unwrap();
    let text = fs::read_to_string(&b64).unwrap();
    assert!(!text.trim_start().starts_with('{'), "{text}");
    assert_eq!(load(&b64, None).revoked_tokens, vec![token]);
}

#[test]
fn an_interrupted_update_leaves_the_previous_content_to_restore() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.json");
    let c = sample();
    c.write_new(&path, None, false).unwrap();
    assert_eq!(Credentials::interrupted_update_backup(&path), None);
    let previous = fs::read(&path).unwrap();
    // What a crash between the backup and the end of the in-place write leaves.
    fs::write(backup_path(&path), &previous).unwrap();
    fs::write(&path, &previous[..previous.len() / 2]).unwrap();
    let backup = Credentials::interrupted_update_backup(&path).unwrap();
    assert_same(&c, &load(&backup, None));
    // The next update, on a good file again, replaces the stale backup and removes it.
    fs::write(&path, &previous).unwrap();
    Credentials::record_revocations(&path, None, &[revoked(None)], 1).unwrap();
    assert_eq!(Credentials::interrupted_update_backup(&path), None);
}
