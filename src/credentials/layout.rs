//! The file's JSON layout (see the `credentials` module documentation): writing it, and reading
//! it back with every field checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use super::fields::{
    check_id, check_source, decode_base64, parse_signing_key, take_id, take_string,
};
use super::revocations::{parse_revoked, RevokedToken};
use super::sealing::{open_sealed, seal_secrets, SealedSecrets};
use super::{parse_err, Credentials, CredentialsError, FORMAT_VERSION};
use crate::crypto::RootKey;

const ROOT_KEY_LEN: usize = 32;

const SECRETS_SHAPE: &str =
    "\"secrets\" must be an object with exactly one key, \"plain\" or \"sealed\"";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileOut<'a> {
    latchkey: u64,
    device_uuid: &'a str,
    server_id: &'a str,
    account_id: &'a str,
    created_at: &'a str,
    source_kind: &'a str,
    secrets: SecretsOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SecretsOut<'a> {
    Plain(PlainSecretsOut<'a>),
    Sealed(SealedSecrets),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PlainSecretsOut<'a> {
    root_key: &'a str,
    signing_key: &'a str,
    signing_key_id: &'a str,
    source: &'a Value,
    #[serde(skip_serializing_if = "<[RevokedToken]>::is_empty")]
    revoked_tokens: &'a [RevokedToken],
}

/// Every field is a string or a JSON value, so a type error never quotes a secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainSecretsIn {
    root_key: String,
    signing_key: String,
    signing_key_id: String,
    source: Value,
    #[serde(default)]
    revoked_tokens: Option<Value>,
}

/// The decoded and validated secrets.
pub(super) struct Secrets {
    pub(super) root_key: RootKey,
    pub(super) signing_key_pkcs8: Zeroizing<Vec<u8>>,
    pub(super) signing_key_id: String,
    pub(super) source: Value,
    pub(super) revoked_tokens: Vec<RevokedToken>,
}

/// The readable part of the file, which the sealed secrets' associated data binds.
pub(super) struct Identity {
    pub(super) device_uuid: String,
    pub(super) server_id: String,
    pub(super) account_id: String,
    pub(super) created_at: String,
    pub(super) source_kind: String,
}

impl Credentials {
    /// The file's JSON (pretty-printed, with a trailing newline). With a passphrase the secrets
    /// are sealed (argon2id, 64 MiB, 3 passes — this takes a moment); without, they are plain.
    ///
    /// # Errors
    /// [`CredentialsError::EmptyPassphrase`] for `Some("")`; [`CredentialsError::Parse`] if a
    /// field would not read back (bad id, source without a kind, unusable signing key).
    pub fn to_json(&self, passphrase: Option<&str>) -> Result<String, CredentialsError> {
        self.validate()?;
        let source_kind = self.source_kind().unwrap_or_default();
        let root_key = Zeroizing::new(URL_SAFE_NO_PAD.encode(self.root_key.as_bytes()));
        let signing_key = Zeroizing::new(URL_SAFE_NO_PAD.encode(&*self.signing_key_pkcs8));
        let plain = PlainSecretsOut {
            root_key: &root_key,
            signing_key: &signing_key,
            signing_key_id: &self.signing_key_id,
            source: &self.source,
            revoked_tokens: &self.revoked_tokens,
        };
        let secrets = match passphrase {
            None => SecretsOut::Plain(plain),
            Some("") => return Err(CredentialsError::EmptyPassphrase),
            Some(passphrase) => {
                let identity = Identity {
                    device_uuid: self.device_uuid.clone(),
                    server_id: self.server_id.clone(),
                    account_id: self.account_id.clone(),
                    created_at: self.created_at.clone(),
                    source_kind: source_kind.to_owned(),
                };
                SecretsOut::Sealed(seal_secrets(&identity, &plain, passphrase)?)
            }
        };
        let file = FileOut {
            latchkey: FORMAT_VERSION,
            device_uuid: &self.device_uuid,
            server_id: &self.server_id,
            account_id: &self.account_id,
            created_at: &self.created_at,
            source_kind,
            secrets,
        };
        let mut text = serde_json::to_string_pretty(&file)
            .map_err(|e| parse_err(format!("cannot serialize credentials: {e}")))?;
        text.push('\n');
        Ok(text)
    }

    /// Reads a credentials file's JSON. `passphrase` is needed only if the secrets are sealed
    /// (an empty passphrase counts as none).
    ///
    /// # Errors
    /// [`CredentialsError::OnePasswordFile`] for a 1Password Connect credentials file;
    /// [`CredentialsError::PassphraseRequired`] / [`CredentialsError::WrongPassphrase`] for
    /// sealed secrets; [`CredentialsError::Parse`] for anything else that is wrong.
    pub fn from_json(text: &str, passphrase: Option<&str>) -> Result<Self, CredentialsError> {
        let mut top = parse_top(text)?;
        check_format_version(&top)?;
        let identity = take_identity(&mut top)?;
        let secrets = take_secrets(&mut top, &identity, passphrase)?;

        let kind = secrets
            .source
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != identity.source_kind {
            return Err(parse_err(
                "\"sourceKind\" does not match the kind of the source in the secrets",
            ));
        }
        Ok(Self {
            device_uuid: identity.device_uuid,
            server_id: identity.server_id,
            account_id: identity.account_id,
            created_at: identity.created_at,
            source: secrets.source,
            root_key: secrets.root_key,
            signing_key_pkcs8: secrets.signing_key_pkcs8,
            signing_key_id: secrets.signing_key_id,
            revoked_tokens: secrets.revoked_tokens,
        })
    }

    fn validate(&self) -> Result<(), CredentialsError> {
        check_id("deviceUuid", &self.device_uuid, false)?;
        check_id("serverId", &self.server_id, true)?;
        check_id("accountId", &self.account_id, true)?;
        check_id("signingKeyId", &self.signing_key_id, false)?;
        if self.created_at.trim().is_empty() || self.created_at.len() > 64 {
            return Err(parse_err("\"createdAt\" must be an RFC 3339 timestamp"));
        }
        check_source(&self.source, "source")?;
        parse_signing_key(&self.signing_key_pkcs8).map(drop)
    }
}

/// The top-level object, after refusing empty text, invalid JSON, anything but an object, and a
/// 1Password Connect credentials file.
fn parse_top(text: &str) -> Result<Map<String, Value>, CredentialsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(parse_err("the file is empty"));
    }
    // Parsing into a `Value` first means syntax errors carry positions, never content.
    let value: Value =
        serde_json::from_str(text).map_err(|e| parse_err(format!("not valid JSON ({e})")))?;
    let Value::Object(top) = value else {
        return Err(parse_err("expected a JSON object"));
    };
    if is_one_password_file(&top) {
        return Err(CredentialsError::OnePasswordFile);
    }
    Ok(top)
}

fn check_format_version(top: &Map<String, Value>) -> Result<(), CredentialsError> {
    match top.get("latchkey") {
        None => Err(parse_err(
            "not a latchkey credentials file (it has no \"latchkey\" format field); \
             create one with `latchkey init`",
        )),
        Some(v) => match v.as_u64() {
            Some(FORMAT_VERSION) => Ok(()),
            Some(n) => Err(parse_err(format!(
                "unsupported format version {n}; this latchkey reads version \
                 {FORMAT_VERSION}"
            ))),
            None => Err(parse_err(format!(
                "\"latchkey\" must be the format number {FORMAT_VERSION}"
            ))),
        },
    }
}

/// The readable identities, which sealed secrets are bound to.
fn take_identity(top: &mut Map<String, Value>) -> Result<Identity, CredentialsError> {
    let identity = Identity {
        device_uuid: take_id(top, "deviceUuid", false)?,
        server_id: take_id(top, "serverId", true)?,
        account_id: take_id(top, "accountId", true)?,
        created_at: take_string(top, "createdAt")?,
        source_kind: take_string(top, "sourceKind")?,
    };
    if identity.created_at.trim().is_empty() || identity.created_at.len() > 64 {
        return Err(parse_err("\"createdAt\" must be an RFC 3339 timestamp"));
    }
    Ok(identity)
}

/// The `plain` secrets, or the `sealed` ones opened with `passphrase`.
fn take_secrets(
    top: &mut Map<String, Value>,
    identity: &Identity,
    passphrase: Option<&str>,
) -> Result<Secrets, CredentialsError> {
    let secrets = match top.remove("secrets") {
        None => return Err(parse_err("missing \"secrets\"")),
        Some(Value::Object(map)) if map.len() == 1 => map,
        Some(_) => return Err(parse_err(SECRETS_SHAPE)),
    };
    match secrets.into_iter().next() {
        Some((kind, value)) if kind == "plain" => secrets_from_value(value, "secrets.plain"),
        Some((kind, value)) if kind == "sealed" => {
            open_sealed(identity, value, passphrase.filter(|p| !p.is_empty()))
        }
        _ => Err(parse_err(SECRETS_SHAPE)),
    }
}

pub(super) fn secrets_from_value(value: Value, ctx: &str) -> Result<Secrets, CredentialsError> {
    if !value.is_object() {
        return Err(parse_err(format!("{ctx} must be an object")));
    }
    let raw: PlainSecretsIn =
        serde_json::from_value(value).map_err(|e| parse_err(format!("{ctx}: {e}")))?;
    let root_key_b64 = Zeroizing::new(raw.root_key);
    let signing_key_b64 = Zeroizing::new(raw.signing_key);

    let root_bytes = decode_base64(&root_key_b64)
        .ok_or_else(|| parse_err(format!("{ctx}.rootKey is not base64url")))?;
    let mut root: [u8; ROOT_KEY_LEN] = root_bytes.as_slice().try_into().map_err(|_| {
        parse_err(format!(
            "{ctx}.rootKey must be {ROOT_KEY_LEN} bytes, found {}",
            root_bytes.len()
        ))
    })?;
    let root_key = RootKey::from_bytes(root);
    root.zeroize();

    let signing_key_pkcs8 = decode_base64(&signing_key_b64)
        .ok_or_else(|| parse_err(format!("{ctx}.signingKey is not base64url")))?;
    parse_signing_key(&signing_key_pkcs8).map_err(|_| {
        parse_err(format!(
            "{ctx}.signingKey is not a P-256 private key (PKCS#8 DER)"
        ))
    })?;

    check_id(&format!("{ctx}.signingKeyId"), &raw.signing_key_id, false)?;
    check_source(&raw.source, &format!("{ctx}.source"))?;
    let revoked_tokens = parse_revoked(raw.revoked_tokens, ctx)?;
    Ok(Secrets {
        root_key,
        signing_key_pkcs8,
        signing_key_id: raw.signing_key_id,
        source: raw.source,
        revoked_tokens,
    })
}

/// A real 1Password Connect credentials file: it has fields only that format uses.
fn is_one_password_file(top: &Map<String, Value>) -> bool {
    if top.contains_key("latchkey") {
        return false;
    }
    ["encCredentials", "verifier", "uniqueKey"]
        .iter()
        .any(|k| top.contains_key(*k))
        || (top.contains_key("version") && top.contains_key("deviceUuid"))
}

/// Whether a file's JSON holds sealed secrets (so that a rewrite seals them again).
pub(super) fn is_sealed(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<Value>(text)
        .is_ok_and(|v| v.get("secrets").and_then(|s| s.get("sealed")).is_some())
}
