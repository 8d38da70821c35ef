//! Refusing what is not a latchkey credentials file, naming what is wrong.

use super::*;

#[test]
fn one_password_file_is_refused() {
    let text = one_password_sample();
    let err = Credentials::from_json(&text, None).unwrap_err();
    assert!(matches!(err, CredentialsError::OnePasswordFile), "{err:?}");
    let msg = err.to_string();
    for needle in [
        "1Password Connect credentials file",
        "only 1Password's own servers can decrypt",
        "latchkey init",
        "--source seed:FILE",
        "--source 1pux:FILE",
        "--source connect:URL",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from {msg}");
    }
    // Also through OP_SESSION, as a path or as base64 (how Connect deployments pass it).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("1password-credentials.json");
    fs::write(&path, &text).unwrap();
    for session in [
        path.to_str().unwrap().to_owned(),
        STANDARD.encode(&text),
        URL_SAFE_NO_PAD.encode(&text),
    ] {
        let err = Credentials::load(&session, Some("pw")).unwrap_err();
        assert!(matches!(err, CredentialsError::OnePasswordFile), "{err:?}");
    }
    // Even an older or partial copy.
    for partial in [
        r#"{"version":"1","encCredentials":{}}"#,
        r#"{"verifier":{}}"#,
        r#"{"version":"2","deviceUuid":"abcdefghijklmnopqrstuvwxyz"}"#,
    ] {
        let err = Credentials::from_json(partial, None).unwrap_err();
        assert!(matches!(err, CredentialsError::OnePasswordFile), "{err:?}");
    }
}

#[test]
fn garbage_is_a_parse_error() {
    for text in [
        "",
        "   ",
        "{",
        "}",
        "[]",
        "null",
        "42",
        "\"latchkey\"",
        "\u{0}\u{1}",
        "{}",
        "{\"latchkey\": 1}",
        "{\"latchkey\": \"1\"}",
        "{\"latchkey\": 2}",
        "{\"latchkey\": -1}",
        "{\"latchkey\": 1.5}",
        "{\"someOtherTool\": true}",
    ] {
        parse_error(Credentials::from_json(text, None));
        parse_error(Credentials::from_json(text, Some("pw")));
    }
    let msg = parse_error(Credentials::from_json("{\"latchkey\": 2}", None));
    assert!(msg.contains("unsupported format version 2"), "{msg}");
    let msg = parse_error(Credentials::from_json("{\"a\": 1}", None));
    assert!(msg.contains("latchkey init"), "{msg}");
}

/// Sets (or, with `None`, removes) the value at `path` in `v`.
fn edit(v: &mut Value, path: &[&str], new: Option<Value>) {
    let (last, parents) = path.split_last().unwrap();
    let mut target = v;
    for key in parents {
        target = &mut target[*key];
    }
    match new {
        Some(new) => target[*last] = new,
        None => drop(target.as_object_mut().unwrap().remove(*last)),
    }
}

#[test]
fn missing_or_malformed_fields_are_named() {
    let c = sample();
    let good: Value = serde_json::from_str(&c.to_json(None).unwrap()).unwrap();
    let b64 = |bytes: &[u8]| Some(Value::from(URL_SAFE_NO_PAD.encode(bytes)));
    let cases: Vec<(&[&str], Option<Value>, &str)> = vec![
        (&["deviceUuid"], None, "deviceUuid"),
        (&["serverId"], None, "serverId"),
        (&["accountId"], None, "accountId"),
        (&["createdAt"], None, "createdAt"),
        (&["sourceKind"], None, "sourceKind"),
        (&["secrets"], None, "secrets"),
        (
            &["deviceUuid"],
            Some("ABCDEFGHIJKLMNOPQRSTUVWXYZ".into()),
            "deviceUuid",
        ),
        (
            &["serverId"],
            Some("abcdefghijklmnopqrstuvwxyz".into()),
            "serverId",
        ),
        (&["accountId"], Some("ABC".into()), "accountId"),
        (&["deviceUuid"], Some(7.into()), "deviceUuid"),
        (&["createdAt"], Some("".into()), "createdAt"),
        (&["sourceKind"], Some("seed".into()), "sourceKind"),
        (&["secrets"], Some("x".into()), "secrets"),
        (&["secrets", "sealed"], Some(json!({})), "secrets"),
        (&["secrets"], Some(json!({"vault": {}})), "secrets"),
        (&["secrets", "plain"], Some(json!([])), "secrets.plain"),
        (&["secrets", "plain", "rootKey"], None, "rootKey"),
        (&["secrets", "plain", "signingKey"], None, "signingKey"),
        (&["secrets", "plain", "signingKeyId"], None, "signingKeyId"),
        (&["secrets", "plain", "source"], None, "source"),
        (
            &["secrets", "plain", "rootKey"],
            b64(&[1; 31]),
            "rootKey must be 32 bytes, found 31",
        ),
        (
            &["secrets", "plain", "rootKey"],
            b64(&[1; 33]),
            "rootKey must be 32 bytes, found 33",
        ),
        (
            &["secrets", "plain", "rootKey"],
            Some("%%%".into()),
            "rootKey is not base64url",
        ),
        (
            &["secrets", "plain", "rootKey"],
            Some(12.into()),
            "secrets.plain",
        ),
        (
            &["secrets", "plain", "signingKey"],
            b64(&[1; 138]),
            "signingKey",
        ),
        (
            &["secrets", "plain", "signingKeyId"],
            Some("x".into()),
            "signingKeyId",
        ),
        (
            &["secrets", "plain", "source"],
            Some(json!({"url": "x"})),
            "source",
        ),
        (
            &["secrets", "plain", "source"],
            Some(json!("none")),
            "source",
        ),
    ];
    for (path, new, needle) in cases {
        let mut v = good.clone();
        edit(&mut v, path, new);
        let msg = parse_error(Credentials::from_json(&v.to_string(), None));
        assert!(msg.contains(needle), "{path:?}: {needle:?} not in {msg:?}");
        assert_no_secrets(&msg, &c);
    }
}

#[test]
fn truncated_files_never_panic() {
    let c = sample();
    let text = c.to_json(None).unwrap();
    for end in 0..text.trim_end().len() {
        assert!(Credentials::from_json(&text[..end], None).is_err());
    }
    // Flipping characters either still parses (whitespace) or fails cleanly.
    let bytes = text.as_bytes();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.to_vec();
        b[i] = b'#';
        if let Ok(s) = String::from_utf8(b) {
            let _ = Credentials::from_json(&s, None);
        }
    }
}

#[test]
fn to_json_checks_what_it_writes() {
    let mut c = sample();
    c.source = json!({"url": "no kind"});
    assert!(matches!(c.to_json(None), Err(CredentialsError::Parse(_))));
    let mut c = sample();
    c.device_uuid = "short".into();
    assert!(matches!(c.to_json(None), Err(CredentialsError::Parse(_))));
    let mut c = sample();
    c.signing_key_pkcs8 = Zeroizing::new(vec![0; 10]);
    assert!(matches!(c.to_json(None), Err(CredentialsError::Parse(_))));
    assert!(matches!(c.public_key_xy(), Err(CredentialsError::Parse(_))));
    assert!(matches!(
        sample().to_json(Some("")),
        Err(CredentialsError::EmptyPassphrase)
    ));
    // Every source kind round-trips.
    for source in [
        json!({"kind": "none"}),
        json!({"kind": "seed", "path": "/seed.yaml"}),
        json!({"kind": "1pux", "path": "/export.1pux"}),
    ] {
        let c = Credentials::generate(source.clone());
        let back = Credentials::from_json(&c.to_json(None).unwrap(), None).unwrap();
        assert_eq!(back.source, source);
    }
}
