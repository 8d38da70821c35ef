//! Writing and reading back, plain and sealed, and what sealing protects.

use super::*;

#[test]
fn plain_round_trip() {
    let c = sample();
    let text = c.to_json(None).unwrap();
    let back = Credentials::from_json(&text, None).unwrap();
    assert_same(&c, &back);
    // A passphrase is not needed, and is ignored, for plain secrets.
    assert_same(&c, &Credentials::from_json(&text, Some("unused")).unwrap());
    // Writing again gives the same file.
    assert_eq!(back.to_json(None).unwrap(), text);

    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["latchkey"], 1);
    assert_eq!(v["deviceUuid"], c.device_uuid.as_str());
    assert_eq!(v["serverId"], c.server_id.as_str());
    assert_eq!(v["accountId"], c.account_id.as_str());
    assert_eq!(v["createdAt"], c.created_at.as_str());
    assert_eq!(v["sourceKind"], "connect");
    assert_eq!(v["secrets"]["plain"]["source"]["token"], TOKEN);
    assert_eq!(
        v["secrets"]["plain"]["rootKey"],
        URL_SAFE_NO_PAD.encode(c.root_key.as_bytes())
    );
}

#[test]
fn sealed_round_trip_and_layout() {
    let c = sample();
    let text = c.to_json(Some("correct horse battery staple")).unwrap();
    let back = Credentials::from_json(&text, Some("correct horse battery staple")).unwrap();
    assert_same(&c, &back);

    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["deviceUuid"], c.device_uuid.as_str());
    assert_eq!(v["serverId"], c.server_id.as_str());
    assert_eq!(v["sourceKind"], "connect");
    let sealed = &v["secrets"]["sealed"];
    assert_eq!(sealed["kdf"], "argon2id");
    assert_eq!(sealed["m"], 65536);
    assert_eq!(sealed["t"], 3);
    assert_eq!(sealed["p"], 1);
    assert_eq!(
        decode_base64(sealed["salt"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
    assert_eq!(
        decode_base64(sealed["nonce"].as_str().unwrap())
            .unwrap()
            .len(),
        24
    );
    assert!(v["secrets"].get("plain").is_none());
}

#[test]
fn sealed_json_holds_no_secret() {
    let c = sample();
    let text = c.to_json(Some("pw")).unwrap();
    assert_no_secrets(&text, &c);
    // Two sealings differ (fresh salt and nonce).
    assert_ne!(text, c.to_json(Some("pw")).unwrap());
}

#[test]
fn sealed_needs_the_right_passphrase() {
    let c = sample();
    let text = c.to_json(Some("right")).unwrap();
    for none in [None, Some("")] {
        let err = Credentials::from_json(&text, none).unwrap_err();
        assert!(
            matches!(err, CredentialsError::PassphraseRequired),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "credentials file is sealed with a passphrase; set LATCHKEY_PASSPHRASE or \
             LATCHKEY_PASSPHRASE_FILE"
        );
    }
    let err = Credentials::from_json(&text, Some("wrong")).unwrap_err();
    assert!(matches!(err, CredentialsError::WrongPassphrase), "{err:?}");
    assert_eq!(err.to_string(), "wrong passphrase for credentials file");
}

#[test]
fn sealed_identities_cannot_be_edited() {
    let c = sample();
    let text = c.to_json(Some("pw")).unwrap();
    let other = sample();
    let edits: Vec<(&str, Value)> = vec![
        ("deviceUuid", other.device_uuid.clone().into()),
        ("serverId", other.server_id.clone().into()),
        ("accountId", other.account_id.clone().into()),
        ("createdAt", "2001-01-01T00:00:00Z".into()),
        ("sourceKind", "none".into()),
    ];
    for (key, value) in edits {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v[key] = value;
        let err = Credentials::from_json(&v.to_string(), Some("pw")).unwrap_err();
        assert!(
            matches!(err, CredentialsError::WrongPassphrase),
            "{key}: {err:?}"
        );
    }
    // Changing the cost parameters changes the key, which also fails.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["secrets"]["sealed"]["t"] = 2.into();
    let err = Credentials::from_json(&v.to_string(), Some("pw")).unwrap_err();
    assert!(matches!(err, CredentialsError::WrongPassphrase), "{err:?}");
    // Sealed secrets moved to another file's identities do not open either.
    let mut target: Value = serde_json::from_str(&other.to_json(Some("pw")).unwrap()).unwrap();
    let source: Value = serde_json::from_str(&text).unwrap();
    target["secrets"] = source["secrets"].clone();
    let err = Credentials::from_json(&target.to_string(), Some("pw")).unwrap_err();
    assert!(matches!(err, CredentialsError::WrongPassphrase), "{err:?}");
}

#[test]
fn sealed_cost_is_bounded() {
    let c = sample();
    let text = c.to_json(Some("pw")).unwrap();
    for (key, value) in [
        ("m", json!(4_194_304)),
        ("m", json!(4)),
        ("t", json!(0)),
        ("t", json!(1000)),
        ("p", json!(0)),
        ("p", json!(64)),
        ("m", json!(-1)),
        ("m", json!(1e40)),
        ("t", json!("3")),
    ] {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["secrets"]["sealed"][key] = value.clone();
        // Rejected before any key derivation, with or without a passphrase.
        for pass in [None, Some("pw")] {
            parse_error(Credentials::from_json(&v.to_string(), pass));
        }
    }
    for (key, value) in [
        ("kdf", json!("scrypt")),
        ("salt", json!("c2hvcnQ")),
        ("salt", json!("!!not base64!!")),
        ("nonce", json!("AAAA")),
        ("ciphertext", json!("AAAA")),
        ("ciphertext", json!(null)),
    ] {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["secrets"]["sealed"][key] = value;
        let msg = parse_error(Credentials::from_json(&v.to_string(), Some("pw")));
        assert!(msg.contains("secrets.sealed"), "{msg}");
    }
}
