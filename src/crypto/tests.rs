//! Tests of sealing, key wrapping, subkey derivation, blind indexes and key redaction.

use super::*;
use base64::Engine as _;

fn ring() -> KeyRing {
    KeyRing::derive(&RootKey::generate())
}

fn encodings(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let hex = data_encoding::HEXLOWER.encode(bytes);
    vec![
        hex.clone(),
        hex.to_uppercase(),
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
        format!("{bytes:?}"),
        // A run of the first bytes in Debug's decimal form, e.g. "[12, 200, 7".
        format!("{:?}", &bytes[..4])
            .trim_end_matches(']')
            .to_string(),
    ]
}

fn assert_no_key_bytes(debug: &str, bytes: &[u8]) {
    for enc in encodings(bytes) {
        assert!(!debug.contains(&enc), "Debug output {debug:?} leaks {enc}");
    }
}

#[test]
fn data_key_roundtrip() {
    let key = DataKey::generate();
    let aad = row_aad(&["item", "v1", "i1"]);
    let sealed = key.seal(&aad, b"hunter2");
    assert_eq!(sealed.len(), b"hunter2".len() + SEAL_OVERHEAD);
    assert_eq!(key.open(&aad, &sealed).unwrap().as_slice(), b"hunter2");
    let empty = key.seal(&aad, b"");
    assert!(key.open(&aad, &empty).unwrap().is_empty());
}

#[test]
fn kek_roundtrip() {
    let ring = ring();
    let aad = row_aad(&["token", "jti"]);
    let sealed = ring.seal_with_kek(&aad, b"ci token");
    assert_eq!(
        ring.open_with_kek(&aad, &sealed).unwrap().as_slice(),
        b"ci token"
    );
}

#[test]
fn tampering_any_byte_fails() {
    let key = DataKey::generate();
    let ring = ring();
    let aad = row_aad(&["item", "v", "i"]);
    let sealed = key.seal(&aad, b"some secret value");
    let kek_sealed = ring.seal_with_kek(&aad, b"some secret value");
    for i in 0..sealed.len() {
        let mut t = sealed.clone();
        t[i] ^= 0x01;
        assert!(
            matches!(key.open(&aad, &t), Err(CryptoError::Decrypt)),
            "byte {i}"
        );
        let mut t = kek_sealed.clone();
        t[i] ^= 0x80;
        assert!(matches!(
            ring.open_with_kek(&aad, &t),
            Err(CryptoError::Decrypt)
        ));
    }
    // Appending a byte also fails.
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(matches!(key.open(&aad, &longer), Err(CryptoError::Decrypt)));
}

#[test]
fn wrong_aad_fails() {
    let key = DataKey::generate();
    let sealed = key.seal(&row_aad(&["item", "v", "i1"]), b"x");
    for other in [
        row_aad(&["item", "v", "i2"]),
        row_aad(&["item", "vi1"]),
        row_aad(&["file", "v", "i1"]),
        Vec::new(),
    ] {
        assert!(matches!(
            key.open(&other, &sealed),
            Err(CryptoError::Decrypt)
        ));
    }
    let ring = ring();
    let sealed = ring.seal_with_kek(b"a", b"x");
    assert!(matches!(
        ring.open_with_kek(b"b", &sealed),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn wrong_key_fails() {
    let aad = row_aad(&["item", "v", "i"]);
    let sealed = DataKey::generate().seal(&aad, b"secret");
    assert!(matches!(
        DataKey::generate().open(&aad, &sealed),
        Err(CryptoError::Decrypt)
    ));
    let sealed = ring().seal_with_kek(&aad, b"secret");
    assert!(matches!(
        ring().open_with_kek(&aad, &sealed),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn truncated_input() {
    let key = DataKey::generate();
    let ring = ring();
    let sealed = key.seal(b"", b"");
    assert_eq!(sealed.len(), SEAL_OVERHEAD);
    for n in 0..SEAL_OVERHEAD {
        assert!(matches!(
            key.open(b"", &sealed[..n]),
            Err(CryptoError::Truncated)
        ));
        assert!(matches!(
            ring.open_with_kek(b"", &sealed[..n]),
            Err(CryptoError::Truncated)
        ));
        assert!(matches!(
            ring.unwrap_data_key("v", &sealed[..n]),
            Err(CryptoError::Truncated)
        ));
    }
    // Exactly nonce + tag is long enough to try, and fails authentication here.
    let other = DataKey::generate();
    assert!(matches!(
        other.open(b"", &sealed),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn seals_are_randomised() {
    let key = DataKey::generate();
    let a = key.seal(b"aad", b"same plaintext");
    let b = key.seal(b"aad", b"same plaintext");
    assert_ne!(a, b);
    assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
    let ring = ring();
    assert_ne!(
        ring.seal_with_kek(b"a", b"p"),
        ring.seal_with_kek(b"a", b"p")
    );
    assert_ne!(ring.wrap_data_key("v", &key), ring.wrap_data_key("v", &key));
}

#[test]
fn wrapped_key_needs_same_vault_and_root() {
    let root = RootKey::generate();
    let ring = KeyRing::derive(&root);
    let key = DataKey::generate();
    let wrapped = ring.wrap_data_key("vault-a", &key);

    let again = KeyRing::derive(&RootKey::from_bytes(*root.as_bytes()));
    let unwrapped = again.unwrap_data_key("vault-a", &wrapped).unwrap();
    let aad = row_aad(&["item", "vault-a", "i"]);
    assert_eq!(
        unwrapped
            .open(&aad, &key.seal(&aad, b"ok"))
            .unwrap()
            .as_slice(),
        b"ok"
    );
    assert_eq!(unwrapped.0, key.0);

    assert!(matches!(
        ring.unwrap_data_key("vault-b", &wrapped),
        Err(CryptoError::Decrypt)
    ));
    assert!(matches!(
        KeyRing::derive(&RootKey::generate()).unwrap_data_key("vault-a", &wrapped),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn kek_domains_are_separate() {
    let ring = ring();
    let key = DataKey::generate();
    let wrapped = ring.wrap_data_key("v", &key);
    // A wrapped key cannot be opened as a KEK row, whatever AAD the caller guesses.
    for aad in [row_aad(&["vault", "v"]), data_key_aad("v"), Vec::new()] {
        assert!(ring.open_with_kek(&aad, &wrapped).is_err());
    }
    // And a 32-byte KEK row cannot be unwrapped as a data key.
    let row = ring.seal_with_kek(&row_aad(&["vault", "v"]), &[7u8; 32]);
    assert!(ring.unwrap_data_key("v", &row).is_err());
}

#[test]
fn unwrap_rejects_wrong_length_key() {
    let ring = ring();
    let bogus = seal_raw(&ring.kek, &data_key_aad("v"), &[1u8; 16]);
    assert!(matches!(
        ring.unwrap_data_key("v", &bogus),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn blind_index_properties() {
    let root = RootKey::generate();
    let ring = KeyRing::derive(&root);
    let again = KeyRing::derive(&RootKey::from_bytes(*root.as_bytes()));
    assert_eq!(
        ring.blind_index("item-title", "github"),
        again.blind_index("item-title", "github")
    );
    assert_ne!(
        ring.blind_index("item-title", "github"),
        ring.blind_index("item-tag", "github")
    );
    assert_ne!(
        ring.blind_index("item-title", "github"),
        ring.blind_index("item-title", "gitlab")
    );
    // The NUL separator keeps domain and value apart.
    assert_ne!(ring.blind_index("ab", "c"), ring.blind_index("a", "bc"));
    assert_ne!(
        ring.blind_index("item-title", "github"),
        KeyRing::derive(&RootKey::generate()).blind_index("item-title", "github")
    );
}

/// Pins the derivation (HKDF labels, blind index and key check layout) to values computed
/// independently, so that a change that would orphan existing databases is caught.
#[test]
fn known_answers() {
    let ring = KeyRing::derive(&RootKey::from_bytes([0x42; 32]));
    let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
    assert_eq!(
        hex(&ring.blind_index("item-title", "github")),
        "15b3462110d1045c571b5451b3d1cf5025450ce333f1b9688e65d301091f856e"
    );
    assert_eq!(
        hex(&ring.key_check_value()),
        "29463f0962c8f4d15052792afbc20d30"
    );
}

#[test]
fn subkeys_are_distinct() {
    let ring = ring();
    assert_ne!(ring.kek, ring.index);
    assert_ne!(ring.kek, ring.check);
    assert_ne!(ring.index, ring.check);
}

#[test]
fn key_check() {
    let root = RootKey::generate();
    let ring = KeyRing::derive(&root);
    let kcv = ring.key_check_value();
    assert_eq!(kcv.len(), KEY_CHECK_LEN);
    assert_eq!(kcv, ring.key_check_value());
    assert!(ring.verify_key_check(&kcv));
    assert!(KeyRing::derive(&RootKey::from_bytes(*root.as_bytes())).verify_key_check(&kcv));
    assert!(!KeyRing::derive(&RootKey::generate()).verify_key_check(&kcv));
    assert!(!ring.verify_key_check(&kcv[..15]));
    assert!(!ring.verify_key_check(b""));
    let mut longer = kcv.clone();
    longer.push(0);
    assert!(!ring.verify_key_check(&longer));
    // The check value is not a prefix of any other subkey.
    assert_ne!(kcv[..], ring.kek[..KEY_CHECK_LEN]);
    assert_ne!(kcv[..], ring.index[..KEY_CHECK_LEN]);
    assert_ne!(kcv[..], ring.check[..KEY_CHECK_LEN]);
}

#[test]
fn row_aad_is_unambiguous() {
    assert_ne!(row_aad(&["ab", "c"]), row_aad(&["a", "bc"]));
    assert_ne!(row_aad(&["a", ""]), row_aad(&["a"]));
    assert_ne!(row_aad(&[]), row_aad(&[""]));
    assert_eq!(row_aad(&["ab"]), b"\0\0\0\x02ab".to_vec());
}

#[test]
fn debug_redacts_every_key() {
    let root = RootKey::generate();
    let debug = format!("{root:?} {root:#?}");
    assert!(debug.contains("RootKey(<redacted>)"));
    assert_no_key_bytes(&debug, root.as_bytes());

    let ring = KeyRing::derive(&root);
    let debug = format!("{ring:?} {ring:#?}");
    assert!(debug.contains("<redacted>"));
    for k in [&ring.kek, &ring.index, &ring.check, root.as_bytes()] {
        assert_no_key_bytes(&debug, k);
    }

    let key = DataKey::generate();
    let debug = format!("{key:?} {key:#?}");
    assert!(debug.contains("DataKey(<redacted>)"));
    assert_no_key_bytes(&debug, &key.0);
}
