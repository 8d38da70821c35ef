//! Keys and authenticated encryption for the store (docs/design.md §4).
//!
//! - [`RootKey`]: the 256-bit secret from the credentials file.
//! - [`KeyRing`]: subkeys derived from the root key with HKDF-SHA256 — a key-encryption key (KEK)
//!   that wraps per-vault data keys and seals rows that belong to no vault, an index key for blind
//!   indexes, and a check key for the database's key check value.
//! - [`DataKey`]: a random per-vault key that seals that vault's rows.
//!
//! Sealed values are `nonce (24 bytes) || ciphertext || tag (16 bytes)` under XChaCha20-Poly1305
//! with a random nonce. The associated data names the row (see [`row_aad`]), so a ciphertext
//! cannot be moved to another row. Every key type zeroizes itself on drop and prints as
//! `<redacted>` in `Debug` output.

mod chunks;

pub use chunks::{chunk_aad, chunk_count, CHUNK_LEN};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of every symmetric key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the random XChaCha20-Poly1305 nonce at the start of a sealed value.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag at the end of a sealed value.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

const LABEL_KEK: &[u8] = b"latchkey/v1/kek";
const LABEL_INDEX: &[u8] = b"latchkey/v1/index";
const LABEL_CHECK: &[u8] = b"latchkey/v1/check";
const KEY_CHECK_MESSAGE: &[u8] = b"latchkey key check v1";
const KEY_CHECK_LEN: usize = 16;

// Prefixes of the associated data of everything sealed under the KEK. Both end in a NUL byte and
// contain no other, so a wrapped data key can never be confused with a row sealed by
// `seal_with_kek`, whatever associated data the caller chooses.
const KEK_AAD_DATA_KEY: &[u8] = b"latchkey/v1/data-key\0";
const KEK_AAD_ROW: &[u8] = b"latchkey/v1/kek-row\0";

type HmacSha256 = Hmac<Sha256>;

/// Errors from opening a sealed value.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The input is shorter than a nonce plus a tag, so it cannot be a sealed value.
    #[error("ciphertext is too short")]
    Truncated,
    /// Authentication failed: the key, the associated data or the ciphertext is not the one
    /// that was sealed.
    #[error("decryption failed: wrong key or tampered data")]
    Decrypt,
}

/// The 256-bit root key from the credentials file. Zeroized on drop; `Debug` prints
/// `RootKey(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RootKey([u8; KEY_LEN]);

impl RootKey {
    /// A fresh random root key from the operating system's CSPRNG.
    #[must_use]
    pub fn generate() -> Self {
        Self(random_key())
    }

    /// Wraps existing key bytes (e.g. decoded from the credentials file).
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes, for writing the credentials file.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

/// A random per-vault data key, stored in the database wrapped by the KEK
/// ([`KeyRing::wrap_data_key`]). Zeroized on drop; `Debug` prints `DataKey(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// A fresh random data key.
    #[must_use]
    pub fn generate() -> Self {
        Self(random_key())
    }

    /// Seals `plaintext` with XChaCha20-Poly1305 under a random 192-bit nonce, authenticating
    /// `aad` (normally [`row_aad`] of the row). Output: `nonce || ciphertext || tag`.
    #[must_use]
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        seal_raw(&self.0, aad, plaintext)
    }

    /// Opens a value made by [`DataKey::seal`] with the same key and associated data.
    ///
    /// # Errors
    /// [`CryptoError::Truncated`] if `sealed` is shorter than a nonce and a tag;
    /// [`CryptoError::Decrypt`] if the key, the associated data or any byte differs.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_raw(&self.0, aad, sealed)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The subkeys derived from a [`RootKey`] with HKDF-SHA256. Zeroized on drop; `Debug` prints
/// `KeyRing(<redacted>)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyRing {
    kek: [u8; KEY_LEN],
    index: [u8; KEY_LEN],
    check: [u8; KEY_LEN],
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(<redacted>)")
    }
}

impl KeyRing {
    /// Derives the key-encryption, index and check keys from the root key. The root key is
    /// uniformly random, so HKDF runs without a salt; the info labels
    /// (`latchkey/v1/kek`, `latchkey/v1/index`, `latchkey/v1/check`) separate the subkeys.
    #[must_use]
    pub fn derive(root: &RootKey) -> Self {
        let hk = Hkdf::<Sha256>::new(None, root.as_bytes());
        let mut ring = Self {
            kek: [0; KEY_LEN],
            index: [0; KEY_LEN],
            check: [0; KEY_LEN],
        };
        // HKDF-SHA256 can produce up to 255 * 32 bytes; 32 is always accepted, so these
        // calls cannot fail and their results carry no information.
        let _ = hk.expand(LABEL_KEK, &mut ring.kek);
        let _ = hk.expand(LABEL_INDEX, &mut ring.index);
        let _ = hk.expand(LABEL_CHECK, &mut ring.check);
        ring
    }

    /// Seals a vault's data key under the KEK. The associated data binds the vault id, so the
    /// wrapped key only unwraps for that vault.
    #[must_use]
    pub fn wrap_data_key(&self, vault_id: &str, key: &DataKey) -> Vec<u8> {
        seal_raw(&self.kek, &data_key_aad(vault_id), &key.0)
    }

    /// Opens a data key made by [`KeyRing::wrap_data_key`] for the same vault id.
    ///
    /// # Errors
    /// [`CryptoError::Truncated`] for short input, [`CryptoError::Decrypt`] if the root key or
    /// the vault id differs, the value was tampered with, or it does not hold a 256-bit key.
    pub fn unwrap_data_key(&self, vault_id: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let plain = open_raw(&self.kek, &data_key_aad(vault_id), wrapped)?;
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(DataKey(bytes))
    }

    /// Seals a value that belongs to no vault (e.g. a token name) directly under the KEK.
    /// Use [`row_aad`] for `aad`.
    #[must_use]
    pub fn seal_with_kek(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        seal_raw(&self.kek, &kek_row_aad(aad), plaintext)
    }

    /// Opens a value made by [`KeyRing::seal_with_kek`] with the same associated data.
    ///
    /// # Errors
    /// As [`DataKey::open`].
    pub fn open_with_kek(
        &self,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_raw(&self.kek, &kek_row_aad(aad), sealed)
    }

    /// Blind index: `HMAC-SHA256(index key, domain || 0x00 || value)`.
    ///
    /// The caller case-folds `value` first. `domain` separates the kinds of value (e.g.
    /// `"vault-name"`, `"item-title"`, `"item-tag"`) and must not contain a NUL byte; for
    /// item indexes the caller also mixes the vault id into `domain`.
    #[must_use]
    pub fn blind_index(&self, domain: &str, value: &str) -> [u8; 32] {
        let mut mac = hmac_with(&self.index);
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The value the database stores to prove which credentials file it belongs to:
    /// `HMAC-SHA256(check key, "latchkey key check v1")` truncated to 16 bytes. The check key
    /// is used for nothing else, so this value reveals nothing usable about the other keys.
    #[must_use]
    pub fn key_check_value(&self) -> Vec<u8> {
        let mut mac = hmac_with(&self.check);
        mac.update(KEY_CHECK_MESSAGE);
        let full = mac.finalize().into_bytes();
        full[..KEY_CHECK_LEN].to_vec()
    }

    /// Whether `stored` is this key ring's [`KeyRing::key_check_value`], compared in constant
    /// time.
    #[must_use]
    pub fn verify_key_check(&self, stored: &[u8]) -> bool {
        let expected = self.key_check_value();
        // `ct_eq` on slices of different lengths is false.
        expected.as_slice().ct_eq(stored).into()
    }
}

/// Builds associated data from a row's identity, unambiguously: each part is written as its
/// length (4 bytes, big-endian) followed by its bytes, so `["ab", "c"]` and `["a", "bc"]`
/// differ. Example: `row_aad(&["item", vault_id, item_id])`.
#[must_use]
pub fn row_aad(parts: &[&str]) -> Vec<u8> {
    let len = parts.iter().map(|p| 4 + p.len()).sum();
    let mut out = Vec::with_capacity(len);
    for part in parts {
        // A part longer than 4 GiB cannot occur for an identity; saturating keeps this total.
        let n = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    key
}

fn hmac_with(key: &[u8; KEY_LEN]) -> HmacSha256 {
    // HMAC zero-pads a key shorter than the hash's 64-byte block, so keying with the padded
    // block is HMAC with the 32-byte key, through the infallible constructor.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..KEY_LEN].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new(&(*block).into())
}

fn data_key_aad(vault_id: &str) -> Vec<u8> {
    let mut aad = KEK_AAD_DATA_KEY.to_vec();
    aad.extend_from_slice(&row_aad(&["vault", vault_id]));
    aad
}

fn kek_row_aad(aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(KEK_AAD_ROW.len() + aad.len());
    out.extend_from_slice(KEK_AAD_ROW);
    out.extend_from_slice(aad);
    out
}

fn seal_raw(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    // Encryption fails only for plaintexts beyond ~256 GiB, which cannot reach us.
    if let Ok(ct) = cipher.encrypt(
        XNonce::from_slice(&nonce),
        Payload {
            msg: plaintext,
            aad,
        },
    ) {
        out.extend_from_slice(&ct);
    }
    out
}

fn open_raw(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::Truncated);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests;
