//! No secret reaches `Debug` output or an error message.

use super::*;

#[test]
fn debug_shows_no_secret() {
    let c = sample();
    let debug = format!("{c:?} {c:#?}");
    assert_no_secrets(&debug, &c);
    assert!(debug.contains(&c.device_uuid));
    assert!(debug.contains(&c.server_id));
    assert!(debug.contains("connect"));
    assert!(debug.contains("<redacted>"));
    assert!(!debug.contains("connect.example.com"));
}

#[test]
fn errors_hold_no_secret() {
    let c = sample();
    let sealed = c.to_json(Some("hunter2-passphrase")).unwrap();
    let errors = [
        Credentials::from_json(&sealed, Some("wrong")).unwrap_err(),
        Credentials::from_json(&sealed, None).unwrap_err(),
        Credentials::load(&STANDARD.encode(&sealed)[5..], None).unwrap_err(),
    ];
    for err in errors {
        let text = format!("{err} {err:?}");
        assert_no_secrets(&text, &c);
        assert!(!text.contains("hunter2"));
    }
}
