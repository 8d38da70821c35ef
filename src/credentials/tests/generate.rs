//! Fresh credentials: identities, the signing key's public half, timestamps.

use super::*;

/// `generate` stamps files with `crate::timefmt::rfc3339`; these assertions, written for the
/// `u64` formatter this module once had, check that it gives the same text.
fn format_rfc3339(unix_secs: u64) -> String {
    crate::timefmt::rfc3339(i64::try_from(unix_secs).unwrap_or(i64::MAX))
}

#[test]
fn generate_makes_well_formed_identities() {
    let a = sample();
    let b = sample();
    assert!(is_id(&a.device_uuid, false));
    assert!(is_id(&a.signing_key_id, false));
    assert!(is_id(&a.server_id, true));
    assert!(is_id(&a.account_id, true));
    assert_ne!(a.device_uuid, b.device_uuid);
    assert_ne!(a.server_id, a.account_id);
    assert_ne!(a.root_key.as_bytes(), b.root_key.as_bytes());
    assert_ne!(*a.signing_key_pkcs8, *b.signing_key_pkcs8);
    assert_eq!(a.created_at.len(), "2025-03-21T13:06:35Z".len());
    assert!(a.created_at.ends_with('Z'));
    assert_eq!(a.source_kind(), Some("connect"));
    assert!(p256::SecretKey::from_pkcs8_der(&a.signing_key_pkcs8).is_ok());
}

#[test]
fn public_key_matches_signing_key() {
    use p256::ecdsa::signature::{Signer as _, Verifier as _};
    use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
    let c = sample();
    let (x, y) = c.public_key_xy().unwrap();
    let sec1 = c.public_key_sec1().unwrap();
    assert_eq!(sec1[0], 0x04);
    assert_eq!(sec1[1..33], x);
    assert_eq!(sec1[33..], y);
    let signing = SigningKey::from_pkcs8_der(&c.signing_key_pkcs8).unwrap();
    let sig: Signature = signing.sign(b"header.payload");
    let verifying = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    assert!(verifying.verify(b"header.payload", &sig).is_ok());
    assert!(verifying.verify(b"header.payloaX", &sig).is_err());
    // Loading keeps the same key.
    let back = Credentials::from_json(&c.to_json(None).unwrap(), None).unwrap();
    assert_eq!(back.public_key_xy().unwrap(), (x, y));
}

#[test]
fn timestamps() {
    assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(format_rfc3339(1_742_562_395), "2025-03-21T13:06:35Z");
    assert_eq!(format_rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    let _ = format_rfc3339(u64::MAX);
}
