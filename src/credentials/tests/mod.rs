//! Unit tests of the credentials file, by topic; the sample credentials and the secret-leak
//! checks they share live here.

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use p256::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::fields::{decode_base64, is_id};
use super::*;

mod files;
mod generate;
mod parsing;
mod revocations;
mod round_trip;
mod secrecy;

const TOKEN: &str = "upstream-token-must-stay-secret-4711";

fn sample() -> Credentials {
    Credentials::generate(json!({
        "kind": "connect",
        "url": "https://connect.example.com",
        "token": TOKEN,
    }))
}

/// Every encoding of `bytes` that could plausibly appear in a file or a message.
fn encodings(bytes: &[u8]) -> Vec<String> {
    let hex = data_encoding::HEXLOWER.encode(bytes);
    let mut out = vec![
        hex.to_uppercase(),
        hex,
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
        data_encoding::BASE32_NOPAD.encode(bytes),
        format!("{bytes:?}"),
    ];
    // Also a shorter run, so a partial leak is caught too (for keys long enough that 24
    // base64 characters cannot appear by chance).
    if bytes.len() >= 32 {
        out.push(STANDARD_NO_PAD.encode(&bytes[..18]));
        out.push(URL_SAFE_NO_PAD.encode(&bytes[..18]));
    }
    out
}

fn secret_strings(c: &Credentials) -> Vec<String> {
    let scalar = p256::SecretKey::from_pkcs8_der(&c.signing_key_pkcs8)
        .unwrap()
        .to_bytes();
    let mut out = encodings(c.root_key.as_bytes());
    out.extend(encodings(&c.signing_key_pkcs8));
    out.extend(encodings(&scalar));
    out.push(TOKEN.to_owned());
    out
}

fn assert_no_secrets(text: &str, c: &Credentials) {
    for s in secret_strings(c) {
        assert!(!text.contains(&s), "secret material {s:?} found in {text}");
    }
}

fn assert_same(a: &Credentials, b: &Credentials) {
    assert_eq!(a.device_uuid, b.device_uuid);
    assert_eq!(a.server_id, b.server_id);
    assert_eq!(a.account_id, b.account_id);
    assert_eq!(a.created_at, b.created_at);
    assert_eq!(a.source, b.source);
    assert_eq!(a.root_key.as_bytes(), b.root_key.as_bytes());
    assert_eq!(*a.signing_key_pkcs8, *b.signing_key_pkcs8);
    assert_eq!(a.signing_key_id, b.signing_key_id);
}

fn one_password_sample() -> String {
    json!({
        "verifier": {"salt": "c2FsdHNhbHRzYWx0c2FsdA", "localHash": "bG9jYWxoYXNobG9jYWxoYXNobG9jYWxoYXNoMTI"},
        "encCredentials": {
            "kid": "localauthv2keykid",
            "enc": "A256GCM",
            "cty": "b5+jwk+json",
            "iv": "aXZpdml2aXZpdml2",
            "data": "ZGF0YWRhdGFkYXRhZGF0YWRhdGFkYXRhZGF0YQ"
        },
        "version": "2",
        "deviceUuid": "abcdefghijklmnopqrstuvwxyz",
        "uniqueKey": {
            "alg": "A256GCM",
            "ext": true,
            "k": "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
            "key_ops": ["encrypt", "decrypt"],
            "kty": "oct",
            "kid": "bcdefghijklmnopqrstuvwxyza"
        }
    })
    .to_string()
}

fn parse_error(result: Result<Credentials, CredentialsError>) -> String {
    match result {
        Err(CredentialsError::Parse(msg)) => msg,
        Err(other) => panic!("expected Parse, got {other:?}"),
        Ok(_) => panic!("expected Parse, got Ok"),
    }
}
