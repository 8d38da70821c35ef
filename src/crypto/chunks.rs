//! Contents sealed in chunks (file contents), so that they can be written and served a piece at
//! a time. Each chunk is its own sealed value (random nonce, XChaCha20-Poly1305) whose associated
//! data is the content's identity followed by the chunk's index and whether it is the last one:
//! a chunk moved to another position or another content, a chunk dropped, or a content cut short
//! after any chunk (the new last chunk was sealed as "not last") all fail to open.

use zeroize::Zeroizing;

use super::{CryptoError, DataKey};

/// Plaintext bytes per chunk (the last one may be shorter).
pub const CHUNK_LEN: usize = 64 * 1024;

/// Separates chunk associated data from every other kind (each row kind starts with its name).
const CHUNK_AAD_PREFIX: &[u8] = b"latchkey/v1/chunk\0";

/// How many chunks a content of `size` bytes has: at least one, so that an empty content is one
/// empty last chunk and cannot be confused with a content whose chunks were all removed.
#[must_use]
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_LEN as u64).max(1)
}

/// The associated data of chunk `index` of the content identified by `content_aad` (normally a
/// [`super::row_aad`] that includes the content's length and a per-write random id).
#[must_use]
pub fn chunk_aad(content_aad: &[u8], index: u64, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(CHUNK_AAD_PREFIX.len() + content_aad.len() + 9);
    aad.extend_from_slice(CHUNK_AAD_PREFIX);
    aad.extend_from_slice(content_aad);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

impl DataKey {
    /// Seals chunk `index` of a content; `last` marks its final chunk.
    #[must_use]
    pub fn seal_chunk(&self, content_aad: &[u8], index: u64, last: bool, chunk: &[u8]) -> Vec<u8> {
        self.seal(&chunk_aad(content_aad, index, last), chunk)
    }

    /// Opens a chunk made by [`DataKey::seal_chunk`] at the same position of the same content.
    ///
    /// # Errors
    /// As [`DataKey::open`]: any other content, position or last-chunk flag is a
    /// [`CryptoError::Decrypt`].
    pub fn open_chunk(
        &self,
        content_aad: &[u8],
        index: u64,
        last: bool,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.open(&chunk_aad(content_aad, index, last), sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::{chunk_count, CHUNK_LEN};
    use crate::crypto::{row_aad, DataKey};

    #[test]
    fn chunk_counts() {
        assert_eq!(chunk_count(0), 1);
        assert_eq!(chunk_count(1), 1);
        assert_eq!(chunk_count(CHUNK_LEN as u64), 1);
        assert_eq!(chunk_count(CHUNK_LEN as u64 + 1), 2);
    }

    #[test]
    fn chunks_open_only_at_their_position_of_their_content() {
        let key = DataKey::generate();
        let content = row_aad(&["file", "v", "i", "f"]);
        let other = row_aad(&["file", "v", "i", "g"]);
        let sealed = key.seal_chunk(&content, 1, false, b"middle");
        assert_eq!(
            key.open_chunk(&content, 1, false, &sealed)
                .unwrap()
                .as_slice(),
            b"middle"
        );
        assert!(key.open_chunk(&content, 0, false, &sealed).is_err());
        assert!(key.open_chunk(&content, 1, true, &sealed).is_err());
        assert!(key.open_chunk(&other, 1, false, &sealed).is_err());
        assert!(key.open(&content, &sealed).is_err());
        assert!(DataKey::generate()
            .open_chunk(&content, 1, false, &sealed)
            .is_err());
    }
}
