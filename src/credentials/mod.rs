//! The latchkey credentials file: its `Credentials` type and public API.
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
//!       "source": { "kind": "connect", "url": "…", "token": "…" },
//!       "revokedTokens": [ { "jti": "<26 lowercase base32>", "revokedAt": 1742562395,
//!                            "expiresAt": 1745154395 } ]
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
//! token); `sourceKind` repeats its kind in the clear for humans and must match it. The revocation
//! list (`revokedTokens`, optional) is there too, so sealing authenticates it: see
//! [`RevokedToken`] and `latchkey token revoke`, which rewrites the file in place.
//!
//! A real 1Password Connect `1password-credentials.json` is recognised and refused with
//! [`CredentialsError::OnePasswordFile`].

use std::io;
use std::path::PathBuf;

use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rand::rngs::OsRng;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::crypto::RootKey;
use crate::{ids, timefmt};

mod fields;
mod file;
mod layout;
mod revocations;
mod sealing;
mod update;

pub use revocations::{RevokedToken, MAX_REVOKED_TOKENS};

use fields::parse_signing_key;

#[cfg(test)]
mod tests;

/// The format number in the file's `"latchkey"` field.
pub const FORMAT_VERSION: u64 = 1;

const ONE_PASSWORD_MESSAGE: &str = "this is a 1Password Connect credentials file \
(1password-credentials.json), which only 1Password's own servers can decrypt; latchkey cannot \
use it. Create a latchkey credentials file with `latchkey init` and choose a source: \
`--source seed:FILE` (a YAML or JSON seed file), `--source 1pux:FILE` (a 1Password export), or \
`--source connect:URL` with a token, to replicate from a running 1Password Connect server";

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
    /// Tokens revoked with `latchkey token revoke`: every process sharing the file refuses them.
    pub revoked_tokens: Vec<RevokedToken>,
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
            .field("revoked_tokens", &self.revoked_tokens.len())
            .finish_non_exhaustive()
    }
}

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
            device_uuid: ids::new_id(),
            server_id: ids::new_upper_id(),
            account_id: ids::new_upper_id(),
            created_at: timefmt::rfc3339(timefmt::now()),
            source,
            root_key: RootKey::generate(),
            signing_key_pkcs8: Zeroizing::new(der.as_bytes().to_vec()),
            signing_key_id: ids::new_id(),
            revoked_tokens: Vec::new(),
        }
    }

    /// The source's `"kind"`, if the source is an object with a string kind.
    #[must_use]
    pub fn source_kind(&self) -> Option<&str> {
        self.source.get("kind").and_then(Value::as_str)
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
}
