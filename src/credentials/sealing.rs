//! Sealing the secrets under a passphrase: argon2id derives the key, XChaCha20-Poly1305 encrypts
//! them, bound to the file's readable identities.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::fields::decode_base64;
use super::layout::{secrets_from_value, Identity, PlainSecretsOut, Secrets};
use super::{parse_err, CredentialsError, FORMAT_VERSION};
use crate::crypto::row_aad;

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

#[derive(Serialize, Deserialize)]
pub(super) struct SealedSecrets {
    kdf: String,
    m: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

impl Identity {
    pub(super) fn sealed_aad(&self, m: u32, t: u32, p: u32) -> Vec<u8> {
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

pub(super) fn seal_secrets(
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

pub(super) fn open_sealed(
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
