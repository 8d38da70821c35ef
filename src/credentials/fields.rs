//! Checks of single fields: ids, the source, the signing key, and the base64 that encodes keys.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use p256::pkcs8::DecodePrivateKey;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{parse_err, CredentialsError};

const ID_LEN: usize = 26;

pub(super) fn take_string(
    top: &mut Map<String, Value>,
    key: &str,
) -> Result<String, CredentialsError> {
    match top.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(parse_err(format!("\"{key}\" must be a string"))),
        None => Err(parse_err(format!("missing \"{key}\""))),
    }
}

pub(super) fn take_id(
    top: &mut Map<String, Value>,
    key: &str,
    upper: bool,
) -> Result<String, CredentialsError> {
    let id = take_string(top, key)?;
    check_id(key, &id, upper)?;
    Ok(id)
}

pub(super) fn check_id(name: &str, id: &str, upper: bool) -> Result<(), CredentialsError> {
    if is_id(id, upper) {
        Ok(())
    } else {
        let case = if upper {
            "UPPERCASE (A-Z"
        } else {
            "lowercase (a-z"
        };
        Err(parse_err(format!(
            "\"{name}\" must be {ID_LEN} {case}, 2-7) base32 characters"
        )))
    }
}

pub(super) fn is_id(id: &str, upper: bool) -> bool {
    id.len() == ID_LEN
        && id.bytes().all(|c| {
            matches!(c, b'2'..=b'7')
                || if upper {
                    c.is_ascii_uppercase()
                } else {
                    c.is_ascii_lowercase()
                }
        })
}

pub(super) fn check_source(source: &Value, ctx: &str) -> Result<(), CredentialsError> {
    match source.get("kind").and_then(Value::as_str) {
        Some(kind) if source.is_object() && !kind.trim().is_empty() => Ok(()),
        _ => Err(parse_err(format!(
            "{ctx} must be a JSON object with a non-empty string \"kind\" (none, seed, 1pux or \
             connect)"
        ))),
    }
}

pub(super) fn parse_signing_key(der: &[u8]) -> Result<p256::SecretKey, CredentialsError> {
    p256::SecretKey::from_pkcs8_der(der)
        .map_err(|_| parse_err("the signing key is not a P-256 private key (PKCS#8 DER)"))
}

/// Decodes base64 in either alphabet, padded or not, ignoring ASCII whitespace.
pub(super) fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(compact.as_bytes()).ok())
        .map(Zeroizing::new)
}
