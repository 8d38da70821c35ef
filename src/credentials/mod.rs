//! The latchkey credentials file (design §3).
//!
//! `latchkey init` writes it with mode 0600; `OP_SESSION` names it (a path, or the file's base64
//! content) and both processes read it. Layout, version 1:
//!
//! ```json
//! {
//!   "latchkey": 1,
//!   "deviceUuid": "<26 lowercase base32>",
//!   "serverId": "<26 UPPERCASE base32>",
//!   "accountId": "<26 UPPERCASE base32>",
//!   "createdAt": "2025-03-21T13:06:35Z",
//!   "sourceKind": "connect",
//!   "secrets": {
//!     "plain": {
//!       "rootKey": "<base64url, 32 bytes>",
//!       "signingKey": "<base64url, PKCS#8 DER of a P-256 private key>",
//!       "signingKeyId": "<26 lowercase base32>",
//!       "source": { "kind": "connect", "url": "…", "token": "…" }
//!     }
//!   }
//! }
//! ```
//!
//! or, sealed under a passphrase,
//!
//! ```json
//!   "secrets": {
//!     "sealed": { "kdf": "argon2id", "m": 65536, "t": 3, "p": 1,
//!                 "salt": "<base64url, 16 bytes>", "nonce": "<base64url, 24 bytes>",
//!                 "ciphertext": "<base64url>" }
//!   }
//! ```
//!
//! where the ciphertext is XChaCha20-Poly1305, under the key argon2id derives from the
//! passphrase, of the JSON of the `plain` object. Its associated data binds the identities,
//! `createdAt`, `sourceKind` and the KDF parameters, so none of them can be edited or swapped
//! between files. The source lives inside the secrets because it may hold a secret (an upstream
//! token); `sourceKind` repeats its kind in the clear for humans and must match it.
//!
//! A real 1Password Connect `1password-credentials.json` is recognised and refused with
//! [`CredentialsError::OnePasswordFile`].

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::{row_aad, RootKey};

/// The format number in the file's `"latchkey"` field.
pub const FORMAT_VERSION: u64 = 1;

const KDF_ARGON2ID: &str = "argon2id";
/// Argon2id cost used when sealing: 64 MiB, 3 passes, 1 lane.
const ARGON2_M_KIB: u32 = 64 * 1024;
const ARGON2_T: u32 = 3;
const ARGON2_P: u32 = 1;
/// Upper bounds on the cost read from a file, so a crafted file cannot exhaust the machine.
const MAX_ARGON2_M_KIB: u32 = 1024 * 1024;
const MAX_ARGON2_T: u32 = 16;
const MAX_ARGON2_P: u32 = 16;
const SALT_LEN: usize = 16;
const MIN_SALT_LEN: usize = 8;
const MAX_SALT_LEN: usize = 64;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const ROOT_KEY_LEN: usize = 32;
const ID_LEN: usize = 26;
/// A credentials file is a few kilobytes; anything past this is not one.
const MAX_FILE_LEN: u64 = 1024 * 1024;
/// Shorter `OP_SESSION` values cannot hold a credentials file, so they are treated as paths.
const MIN_BASE64_SESSION_LEN: usize = 200;

const ONE_PASSWORD_MESSAGE: &str = "this is a 1Password Connect credentials file \
(1password-credentials.json), which only 1Password's own servers can decrypt; latchkey cannot \
use it. Create a latchkey credentials file with `latchkey init` and choose a source: \
`--source seed:FILE` (a YAML or JSON seed file), `--source 1pux:FILE` (a 1Password export), or \
`--source connect:URL` with a token, to replicate from a running 1Password Connect server";

const SECRETS_SHAPE: &str =
    "\"secrets\" must be an object with exactly one key, \"plain\" or \"sealed\"";

/// Errors reading or writing a credentials file. Messages never contain secret material.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// A file-system operation failed; the string says which and on what path.
    #[error("{0}: {1}")]
    Io(String, #[source] io::Error),
    /// The file is not a valid latchkey credentials file; the string says what is wrong.
    #[error("invalid credentials file: {0}")]
    Parse(String),
    /// The file is a real 1Password Connect `1password-credentials.json`.
    #[error("{}", ONE_PASSWORD_MESSAGE)]
    OnePasswordFile,
    /// The secrets are sealed and no (or an empty) passphrase was given.
    #[error(
        "credentials file is sealed with a passphrase; set LATCHKEY_PASSPHRASE or \
         LATCHKEY_PASSPHRASE_FILE"
    )]
    PassphraseRequired,
    /// The sealed secrets did not open: the passphrase is wrong, or the file was modified.
    #[error("wrong passphrase for credentials file")]
    WrongPassphrase,
    /// Sealing was asked for with an empty passphrase.
    #[error("the passphrase for the credentials file must not be empty")]
    EmptyPassphrase,
    /// [`Credentials::write_new`] found a file at the path and was not told to overwrite it.
    #[error(
        "credentials file {} already exists; refusing to overwrite it (its store would become \
         unreadable; `latchkey init --force` replaces it)",
        .0.display()
    )]
    AlreadyExists(PathBuf),
    /// `OP_SESSION` named no file and held no base64 credentials; the string is a
    /// parenthesised detail that never quotes a long value.
    #[error("OP_SESSION is neither a readable file nor base64 of a credentials file{0}")]
    Session(String),
}

fn parse_err(msg: impl Into<String>) -> CredentialsError {
    CredentialsError::Parse(msg.into())
}

/// The contents of a credentials file. `Debug` prints the identities and the source kind only.
#[derive(Clone)]
pub struct Credentials {
    /// 26 lowercase base32 characters.
    pub device_uuid: String,
    /// 26 UPPERCASE base32 characters; the token `sub`.
    pub server_id: String,
    /// 26 UPPERCASE base32 characters; the token `1password.com/auuid` and `actor.account`.
    pub account_id: String,
    /// When `latchkey init` made the file, RFC 3339 UTC with a `Z` suffix.
    pub created_at: String,
    /// The sync source: a JSON object with a string `"kind"` (`none`, `seed`, `1pux`,
    /// `connect`) and kind-specific keys. May hold a secret, such as an upstream token.
    pub source: Value,
    /// The root of the store's key hierarchy ([`crate::crypto::KeyRing::derive`]).
    pub root_key: RootKey,
    /// The ES256 token-signing key: a P-256 private key, PKCS#8 DER (what
    /// `jsonwebtoken::EncodingKey::from_ec_der` takes).
    pub signing_key_pkcs8: Zeroizing<Vec<u8>>,
    /// 26 lowercase base32 characters; the JWT header `kid`.
    pub signing_key_id: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("device_uuid", &self.device_uuid)
            .field("server_id", &self.server_id)
            .field("account_id", &self.account_id)
            .field("created_at", &self.created_at)
            .field("source_kind", &self.source_kind().unwrap_or("<invalid>"))
            .field("root_key", &self.root_key)
            .field("signing_key_pkcs8", &format_args!("<redacted>"))
            .field("signing_key_id", &self.signing_key_id)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Serialized forms

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
enum SecretsOut<'a> {
    Plain(PlainSecretsOut<'a>),
    Sealed(SealedSecrets),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlainSecretsOut<'a> {
    root_key: &'a str,
    signing_key: &'a str,
    signing_key_id: &'a str,
    source: &'a Value,
}

/// Every field is a string or a JSON value, so a type error never quotes a secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainSecretsIn {
    root_key: String,
    signing_key: String,
    signing_key_id: String,
    source: Value,
}

#[derive(Serialize, Deserialize)]
struct SealedSecrets {
    kdf: String,
    m: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The decoded and validated secrets.
struct Secrets {
    root_key: RootKey,
    signing_key_pkcs8: Zeroizing<Vec<u8>>,
    signing_key_id: String,
    source: Value,
}

/// The readable part of the file, which the sealed secrets' associated data binds.
struct Identity {
    device_uuid: String,
    server_id: String,
    account_id: String,
    created_at: String,
    source_kind: String,
}

impl Identity {
    fn sealed_aad(&self, m: u32, t: u32, p: u32) -> Vec<u8> {
        let version = FORMAT_VERSION.to_string();
        let (m, t, p) = (m.to_string(), t.to_string(), p.to_string());
        row_aad(&[
            "latchkey-credentials",
            &version,
            &self.device_uuid,
            &self.server_id,
            &self.account_id,
            &self.created_at,
            &self.source_kind,
            KDF_ARGON2ID,
            &m,
            &t,
            &p,
        ])
    }
}

// ---------------------------------------------------------------------------------------------

impl Credentials {
    /// Fresh identities, root key and signing key, with the given source (a JSON object with a
    /// string `"kind"`; [`Credentials::to_json`] checks it).
    ///
    /// # Panics
    /// Never in practice: PKCS#8-encoding a freshly generated P-256 key cannot fail.
    #[must_use]
    pub fn generate(source: Value) -> Self {
        let signing_key = p256::SecretKey::random(&mut OsRng);
        let der = signing_key
            .to_pkcs8_der()
            .expect("PKCS#8 encoding of a P-256 key has a fixed size and cannot fail");
        Self {
            device_uuid: new_id(false),
            server_id: new_id(true),
            account_id: new_id(true),
            created_at: format_rfc3339(unix_now()),
            source,
            root_key: RootKey::generate(),
            signing_key_pkcs8: Zeroizing::new(der.as_bytes().to_vec()),
            signing_key_id: new_id(false),
        }
    }

    /// The source's `"kind"`, if the source is an object with a string kind.
    #[must_use]
    pub fn source_kind(&self) -> Option<&str> {
        self.source.get("kind").and_then(Value::as_str)
    }

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
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(parse_err("the file is empty"));
        }
        // Parsing into a `Value` first means syntax errors carry positions, never content.
        let value: Value =
            serde_json::from_str(text).map_err(|e| parse_err(format!("not valid JSON ({e})")))?;
        let Value::Object(mut top) = value else {
            return Err(parse_err("expected a JSON object"));
        };
        if is_one_password_file(&top) {
            return Err(CredentialsError::OnePasswordFile);
        }
        match top.get("latchkey") {
            None => {
                return Err(parse_err(
                    "not a latchkey credentials file (it has no \"latchkey\" format field); \
                     create one with `latchkey init`",
                ))
            }
            Some(v) => match v.as_u64() {
                Some(FORMAT_VERSION) => {}
                Some(n) => {
                    return Err(parse_err(format!(
                        "unsupported format version {n}; this latchkey reads version \
                         {FORMAT_VERSION}"
                    )))
                }
                None => {
                    return Err(parse_err(format!(
                        "\"latchkey\" must be the format number {FORMAT_VERSION}"
                    )))
                }
            },
        }
        let identity = Identity {
            device_uuid: take_id(&mut top, "deviceUuid", false)?,
            server_id: take_id(&mut top, "serverId", true)?,
            account_id: take_id(&mut top, "accountId", true)?,
            created_at: take_string(&mut top, "createdAt")?,
            source_kind: take_string(&mut top, "sourceKind")?,
        };
        if identity.created_at.trim().is_empty() || identity.created_at.len() > 64 {
            return Err(parse_err("\"createdAt\" must be an RFC 3339 timestamp"));
        }

        let secrets = match top.remove("secrets") {
            None => return Err(parse_err("missing \"secrets\"")),
            Some(Value::Object(map)) if map.len() == 1 => map,
            Some(_) => return Err(parse_err(SECRETS_SHAPE)),
        };
        let secrets = match secrets.into_iter().next() {
            Some((kind, value)) if kind == "plain" => secrets_from_value(value, "secrets.plain")?,
            Some((kind, value)) if kind == "sealed" => {
                open_sealed(&identity, value, passphrase.filter(|p| !p.is_empty()))?
            }
            _ => return Err(parse_err(SECRETS_SHAPE)),
        };

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
        })
    }

    /// Writes the file atomically (a temporary file in the same directory, then a rename) with
    /// mode 0600, creating missing parent directories with mode 0700.
    ///
    /// # Errors
    /// [`CredentialsError::AlreadyExists`] if `path` exists and `overwrite` is false;
    /// [`CredentialsError::Io`] on file-system errors; as [`Credentials::to_json`].
    pub fn write_new(
        &self,
        path: &Path,
        passphrase: Option<&str>,
        overwrite: bool,
    ) -> Result<(), CredentialsError> {
        let text = Zeroizing::new(self.to_json(passphrase)?);
        let Some(file_name) = path.file_name() else {
            return Err(CredentialsError::Io(
                format!("cannot write credentials file {}", path.display()),
                io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
            ));
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        create_private_dir(dir)
            .map_err(|e| CredentialsError::Io(format!("cannot create {}", dir.display()), e))?;
        if !overwrite && fs::symlink_metadata(path).is_ok() {
            return Err(CredentialsError::AlreadyExists(path.to_path_buf()));
        }

        let mut suffix = [0u8; 6];
        OsRng.fill_bytes(&mut suffix);
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            file_name.to_string_lossy(),
            data_encoding::HEXLOWER.encode(&suffix)
        ));
        let result = write_private_file(&tmp, text.as_bytes())
            .map_err(|e| CredentialsError::Io(format!("cannot write {}", tmp.display()), e))
            .and_then(|()| publish(&tmp, path, overwrite));
        // After a successful rename this finds nothing; otherwise it removes the leftover.
        let _ = fs::remove_file(&tmp);
        result?;
        // Make the rename durable; not every platform can open a directory, so this is best
        // effort.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Loads the credentials named by `OP_SESSION`: the path of a credentials file, or the
    /// base64 (standard or URL-safe, padded or not, line breaks allowed) of its JSON. A value
    /// that names an existing file is read as a file (whose content may itself be base64);
    /// otherwise it is decoded as base64 (or, if it starts with `{`, read as the JSON itself).
    ///
    /// # Errors
    /// [`CredentialsError::Session`] if the value is neither; [`CredentialsError::Io`] if the
    /// file exists but cannot be read; as [`Credentials::from_json`].
    pub fn load(op_session: &str, passphrase: Option<&str>) -> Result<Self, CredentialsError> {
        let value = op_session.trim();
        if value.is_empty() {
            return Err(CredentialsError::Session(" (it is empty)".into()));
        }
        let path = Path::new(op_session);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Err(CredentialsError::Session(format!(
                " ({} is a directory)",
                path.display()
            ))),
            Ok(_) => {
                let text = read_limited(path)?;
                Self::from_file_text(&text, passphrase).map_err(|e| match e {
                    CredentialsError::Parse(msg) => {
                        CredentialsError::Parse(format!("{}: {msg}", path.display()))
                    }
                    other => other,
                })
            }
            Err(err) => {
                // Not in Connect's contract, but unambiguous: the JSON itself.
                if value.starts_with('{') {
                    return Self::from_json(value, passphrase);
                }
                if let Some(json) = decode_base64_json(value) {
                    return Self::from_json(&json, passphrase);
                }
                if may_show_session(value) {
                    Err(CredentialsError::Session(format!(
                        " (cannot read {}: {err})",
                        path.display()
                    )))
                } else {
                    // Possibly a damaged base64 of a credentials file: never echo it.
                    Err(CredentialsError::Session(format!(
                        " (a {}-character value that names no file and is not valid base64 \
                         of a JSON file)",
                        value.len()
                    )))
                }
            }
        }
    }

    /// The uncompressed SEC1 encoding (`0x04 || x || y`) of the signing key's public key:
    /// what `jsonwebtoken::DecodingKey::from_ec_der` takes for ES256 verification.
    ///
    /// # Errors
    /// [`CredentialsError::Parse`] if `signing_key_pkcs8` is not a P-256 PKCS#8 key (only
    /// possible if the field was changed after loading).
    pub fn public_key_sec1(&self) -> Result<[u8; 65], CredentialsError> {
        let key = parse_signing_key(&self.signing_key_pkcs8)?;
        let point = key.public_key().to_encoded_point(false);
        point
            .as_bytes()
            .try_into()
            .map_err(|_| parse_err("the signing key's public key is not an uncompressed point"))
    }

    /// The affine coordinates `(x, y)` of the signing key's public key, big-endian (for a JWK,
    /// or `jsonwebtoken::DecodingKey::from_ec_components` after base64url encoding).
    ///
    /// # Errors
    /// As [`Credentials::public_key_sec1`].
    pub fn public_key_xy(&self) -> Result<([u8; 32], [u8; 32]), CredentialsError> {
        let point = self.public_key_sec1()?;
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&point[1..33]);
        y.copy_from_slice(&point[33..65]);
        Ok((x, y))
    }

    /// A file's text: JSON, or base64 of JSON (as some Kubernetes setups store it).
    fn from_file_text(text: &str, passphrase: Option<&str>) -> Result<Self, CredentialsError> {
        let trimmed = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
        if !trimmed.starts_with('{') {
            if let Some(json) = decode_base64_json(trimmed) {
                return Self::from_json(&json, passphrase);
            }
        }
        Self::from_json(text, passphrase)
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

// ---------------------------------------------------------------------------------------------
// Secrets

fn secrets_from_value(value: Value, ctx: &str) -> Result<Secrets, CredentialsError> {
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
    Ok(Secrets {
        root_key,
        signing_key_pkcs8,
        signing_key_id: raw.signing_key_id,
        source: raw.source,
    })
}

fn seal_secrets(
    identity: &Identity,
    plain: &PlainSecretsOut<'_>,
    passphrase: &str,
) -> Result<SealedSecrets, CredentialsError> {
    let plaintext = Zeroizing::new(
        serde_json::to_vec(plain)
            .map_err(|e| parse_err(format!("cannot serialize secrets: {e}")))?,
    );
    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let key = passphrase_key(passphrase, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?;
    let aad = identity.sealed_aad(ARGON2_M_KIB, ARGON2_T, ARGON2_P);
    let ciphertext = XChaCha20Poly1305::new((&*key).into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| parse_err("cannot seal the secrets"))?;
    Ok(SealedSecrets {
        kdf: KDF_ARGON2ID.to_owned(),
        m: ARGON2_M_KIB,
        t: ARGON2_T,
        p: ARGON2_P,
        salt: URL_SAFE_NO_PAD.encode(salt),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
        ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
    })
}

fn open_sealed(
    identity: &Identity,
    value: Value,
    passphrase: Option<&str>,
) -> Result<Secrets, CredentialsError> {
    const CTX: &str = "secrets.sealed";
    if !value.is_object() {
        return Err(parse_err(format!("{CTX} must be an object")));
    }
    let sealed: SealedSecrets =
        serde_json::from_value(value).map_err(|e| parse_err(format!("{CTX}: {e}")))?;
    if sealed.kdf != KDF_ARGON2ID {
        return Err(parse_err(format!(
            "{CTX}.kdf is not supported; expected \"{KDF_ARGON2ID}\""
        )));
    }
    let (m, t, p) = (sealed.m, sealed.t, sealed.p);
    if !(1..=MAX_ARGON2_P).contains(&p)
        || !(1..=MAX_ARGON2_T).contains(&t)
        || !(8 * p..=MAX_ARGON2_M_KIB).contains(&m)
    {
        return Err(parse_err(format!(
            "{CTX}: argon2id parameters out of bounds (p must be 1 to {MAX_ARGON2_P}, t 1 to \
             {MAX_ARGON2_T}, m 8·p to {MAX_ARGON2_M_KIB} KiB)"
        )));
    }
    let salt = decode_base64(&sealed.salt)
        .filter(|s| (MIN_SALT_LEN..=MAX_SALT_LEN).contains(&s.len()))
        .ok_or_else(|| {
            parse_err(format!(
                "{CTX}.salt must be {MIN_SALT_LEN} to {MAX_SALT_LEN} bytes of base64url"
            ))
        })?;
    let nonce = decode_base64(&sealed.nonce)
        .filter(|n| n.len() == NONCE_LEN)
        .ok_or_else(|| {
            parse_err(format!(
                "{CTX}.nonce must be {NONCE_LEN} bytes of base64url"
            ))
        })?;
    let ciphertext = decode_base64(&sealed.ciphertext)
        .filter(|c| c.len() >= TAG_LEN)
        .ok_or_else(|| {
            parse_err(format!(
                "{CTX}.ciphertext is not base64url of a sealed value"
            ))
        })?;

    let Some(passphrase) = passphrase else {
        return Err(CredentialsError::PassphraseRequired);
    };
    let key = passphrase_key(passphrase, &salt, m, t, p)?;
    let aad = identity.sealed_aad(m, t, p);
    let plaintext = XChaCha20Poly1305::new((&*key).into())
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CredentialsError::WrongPassphrase)?;
    let value: Value = serde_json::from_slice(&plaintext)
        .map_err(|e| parse_err(format!("{CTX}: the sealed secrets are not JSON ({e})")))?;
    secrets_from_value(value, CTX)
}

fn passphrase_key(
    passphrase: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, CredentialsError> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| parse_err(format!("invalid argon2id parameters ({e})")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut *key)
        .map_err(|e| parse_err(format!("cannot derive the passphrase key ({e})")))?;
    Ok(key)
}

fn parse_signing_key(der: &[u8]) -> Result<p256::SecretKey, CredentialsError> {
    p256::SecretKey::from_pkcs8_der(der)
        .map_err(|_| parse_err("the signing key is not a P-256 private key (PKCS#8 DER)"))
}

// ---------------------------------------------------------------------------------------------
// Field helpers

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

fn take_string(top: &mut Map<String, Value>, key: &str) -> Result<String, CredentialsError> {
    match top.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(parse_err(format!("\"{key}\" must be a string"))),
        None => Err(parse_err(format!("missing \"{key}\""))),
    }
}

fn take_id(
    top: &mut Map<String, Value>,
    key: &str,
    upper: bool,
) -> Result<String, CredentialsError> {
    let id = take_string(top, key)?;
    check_id(key, &id, upper)?;
    Ok(id)
}

fn check_id(name: &str, id: &str, upper: bool) -> Result<(), CredentialsError> {
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

fn is_id(id: &str, upper: bool) -> bool {
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

fn check_source(source: &Value, ctx: &str) -> Result<(), CredentialsError> {
    match source.get("kind").and_then(Value::as_str) {
        Some(kind) if source.is_object() && !kind.trim().is_empty() => Ok(()),
        _ => Err(parse_err(format!(
            "{ctx} must be a JSON object with a non-empty string \"kind\" (none, seed, 1pux or \
             connect)"
        ))),
    }
}

/// 16 random bytes in RFC 4648 base32, padding stripped (26 characters).
fn new_id(upper: bool) -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let mut id = data_encoding::BASE32_NOPAD.encode(&bytes);
    id.truncate(ID_LEN);
    if upper {
        id
    } else {
        id.to_ascii_lowercase()
    }
}

// ---------------------------------------------------------------------------------------------
// Base64 and files

/// Decodes base64 in either alphabet, padded or not, ignoring ASCII whitespace.
fn decode_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(compact.as_bytes()).ok())
        .map(Zeroizing::new)
}

/// Base64 whose decoding is UTF-8 text starting with `{`.
fn decode_base64_json(text: &str) -> Option<Zeroizing<String>> {
    let bytes = decode_base64(text)?;
    let json = std::str::from_utf8(&bytes).ok()?;
    let trimmed = json.strip_prefix('\u{feff}').unwrap_or(json).trim_start();
    trimmed
        .starts_with('{')
        .then(|| Zeroizing::new(trimmed.to_owned()))
}

/// Whether an `OP_SESSION` value that names no file may be shown in an error message. The
/// base64 of a credentials file is far longer (its signing key alone takes 184 characters), so a
/// short value cannot hold one, while a long one might be a damaged copy and is never shown.
fn may_show_session(value: &str) -> bool {
    value.len() < MIN_BASE64_SESSION_LEN
}

fn read_limited(path: &Path) -> Result<Zeroizing<String>, CredentialsError> {
    let io_err = |e| CredentialsError::Io(format!("cannot read {}", path.display()), e);
    let file = fs::File::open(path).map_err(io_err)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(parse_err(format!(
            "{} is larger than {} KiB, too large for a credentials file",
            path.display(),
            MAX_FILE_LEN / 1024
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| parse_err(format!("{} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Moves the finished temporary file into place.
fn publish(tmp: &Path, path: &Path, overwrite: bool) -> Result<(), CredentialsError> {
    let io_err = |e| CredentialsError::Io(format!("cannot write {}", path.display()), e);
    if overwrite {
        return fs::rename(tmp, path).map_err(io_err);
    }
    // A hard link fails if the target exists, which makes the no-clobber check atomic.
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(CredentialsError::AlreadyExists(path.to_path_buf()))
        }
        // File systems without hard links: check, then rename.
        Err(_) => {
            if fs::symlink_metadata(path).is_ok() {
                Err(CredentialsError::AlreadyExists(path.to_path_buf()))
            } else {
                fs::rename(tmp, path).map_err(io_err)
            }
        }
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        // The umask may have removed bits from 0600; set the mode exactly.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

// ---------------------------------------------------------------------------------------------
// Time

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian calendar).
fn format_rfc3339(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    // Shift the epoch to 0000-03-01 so that leap days end each 4/100/400-year cycle.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[cfg(unix)]
    #[test]
    fn write_new_is_private_and_refuses_to_overwrite() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("a").join("b");
        let path = parent.join("credentials.json");
        let c = sample();
        c.write_new(&path, None, false).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&parent), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_same(
            &c,
            &Credentials::load(path.to_str().unwrap(), None).unwrap(),
        );

        let other = sample();
        let err = other.write_new(&path, None, false).unwrap_err();
        assert!(matches!(err, CredentialsError::AlreadyExists(_)), "{err:?}");
        assert!(err.to_string().contains("already exists"));
        assert_same(
            &c,
            &Credentials::load(path.to_str().unwrap(), None).unwrap(),
        );

        other.write_new(&path, Some("pw"), true).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_same(
            &other,
            &Credentials::load(path.to_str().unwrap(), Some("pw")).unwrap(),
        );
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(&parent)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("credentials.json")]);
    }

    #[test]
    fn write_new_into_current_style_relative_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.json");
        let c = sample();
        c.write_new(&path, None, false).unwrap();
        assert!(matches!(
            c.write_new(&path, None, false),
            Err(CredentialsError::AlreadyExists(_))
        ));
        assert!(matches!(
            c.write_new(Path::new("/"), None, true),
            Err(CredentialsError::Io(..))
        ));
        assert!(matches!(
            c.write_new(&path, Some(""), true),
            Err(CredentialsError::EmptyPassphrase)
        ));
    }

    #[test]
    fn load_by_path_and_by_base64() {
        let c = sample();
        let text = c.to_json(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.json");
        c.write_new(&path, None, false).unwrap();
        assert_same(
            &c,
            &Credentials::load(path.to_str().unwrap(), None).unwrap(),
        );

        let wrapped: String =
            STANDARD
                .encode(&text)
                .as_bytes()
                .chunks(76)
                .fold(String::new(), |mut acc, line| {
                    acc.push_str(std::str::from_utf8(line).unwrap());
                    acc.push('\n');
                    acc
                });
        for session in [
            STANDARD.encode(&text),
            STANDARD_NO_PAD.encode(&text),
            URL_SAFE.encode(&text),
            URL_SAFE_NO_PAD.encode(&text),
            format!("{}\n", STANDARD.encode(&text)),
            wrapped.clone(),
        ] {
            assert_same(&c, &Credentials::load(&session, None).unwrap());
        }

        // The JSON itself.
        assert_same(&c, &Credentials::load(&text, None).unwrap());

        // A file that holds base64 text rather than JSON.
        let b64_path = dir.path().join("creds.b64");
        fs::write(&b64_path, &wrapped).unwrap();
        assert_same(
            &c,
            &Credentials::load(b64_path.to_str().unwrap(), None).unwrap(),
        );

        // Sealed, by base64.
        let sealed = c.to_json(Some("pw")).unwrap();
        assert_same(
            &c,
            &Credentials::load(&URL_SAFE_NO_PAD.encode(&sealed), Some("pw")).unwrap(),
        );
        assert!(matches!(
            Credentials::load(&STANDARD.encode(&sealed), None),
            Err(CredentialsError::PassphraseRequired)
        ));
    }

    #[test]
    fn load_explains_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        let err = Credentials::load(missing.to_str().unwrap(), None).unwrap_err();
        assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "OP_SESSION is neither a readable file nor base64 of a credentials file"
            ),
            "{msg}"
        );
        assert!(msg.contains("nope.json"), "{msg}");

        let err = Credentials::load(dir.path().to_str().unwrap(), None).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");

        for empty in ["", "  \n"] {
            assert!(matches!(
                Credentials::load(empty, None),
                Err(CredentialsError::Session(_))
            ));
        }

        // A damaged base64 credentials file: rejected without quoting it.
        let c = sample();
        let mut b64 = STANDARD.encode(c.to_json(None).unwrap());
        b64.insert(10, '*');
        let err = Credentials::load(&b64, None).unwrap_err();
        assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");
        let msg = err.to_string();
        assert!(!msg.contains(&b64[..40]), "{msg}");
        assert_no_secrets(&msg, &c);
        // Base64 of something that is not JSON.
        let err = Credentials::load(&STANDARD.encode([7u8; 300]), None).unwrap_err();
        assert!(matches!(err, CredentialsError::Session(_)), "{err:?}");

        // A file that is not a credentials file names the file.
        let junk = dir.path().join("junk.txt");
        fs::write(&junk, "hello").unwrap();
        let msg = parse_error(Credentials::load(junk.to_str().unwrap(), None));
        assert!(msg.contains("junk.txt"), "{msg}");
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; 2 * 1024 * 1024]).unwrap();
        parse_error(Credentials::load(big.to_str().unwrap(), None));
        let binary = dir.path().join("binary");
        fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        parse_error(Credentials::load(binary.to_str().unwrap(), None));
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
}
