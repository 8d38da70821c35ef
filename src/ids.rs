//! Identifiers in Connect's shape: 26 characters of lowercase (or, for accounts and servers,
//! uppercase) RFC 4648 base32, taken from 16 random bytes.

use data_encoding::BASE32_NOPAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random id for vaults, items, fields, sections and files.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    encode(&bytes).to_ascii_lowercase()
}

/// A fresh random id in the uppercase form Connect uses for accounts, servers and users.
pub fn new_upper_id() -> String {
    new_id().to_ascii_uppercase()
}

/// A stable id derived from a name, for sources that have none of their own.
pub fn derived_id(namespace: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(namespace.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    encode(&digest[..16]).to_ascii_lowercase()
}

fn encode(bytes: &[u8]) -> String {
    let mut s = BASE32_NOPAD.encode(bytes);
    s.truncate(26);
    s
}

/// The shape every Connect client validates ids with: `^[a-z0-9]{26}$`. Only the shape is checked
/// (not the base32 alphabet), so that a well-formed unknown id is a 404, as in Connect.
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A request id: a random RFC 4122 version 4 UUID, held inline (one is made on every request,
/// and copied into its activity entry and access-log line).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId([u8; 36]);

impl RequestId {
    pub fn new() -> Self {
        let mut b = [0u8; 16];
        // The thread's CSPRNG (seeded from the OS) rather than a getrandom system call each time.
        rand::thread_rng().fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; 36];
        let mut at = 0;
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                at += 1;
            }
            text[at] = HEX[usize::from(byte >> 4)];
            text[at + 1] = HEX[usize::from(byte & 0x0f)];
            at += 2;
        }
        RequestId(text)
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII: written only by `new`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = RequestId::new();
        let id = id.as_str();
        let groups: Vec<&str> = id.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
        assert!(id
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(groups[2].starts_with('4'), "{id}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(RequestId::new().as_str(), id);
    }

    #[test]
    fn new_ids_have_connect_shape_and_differ() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid_id(&a), "{a}");
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
        let upper = new_upper_id();
        assert_eq!(upper.len(), 26);
        assert!(upper
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derived_id("vault", "Infra"), derived_id("vault", "Infra"));
        assert_ne!(derived_id("vault", "Infra"), derived_id("item", "Infra"));
        assert!(is_valid_id(&derived_id("vault", "Infra")));
    }

    #[test]
    fn shape_check() {
        assert!(is_valid_id("abcdefghijklmnop1234567890"));
        assert!(!is_valid_id("ABCDEFGHIJKLMNOP1234567890"));
        assert!(!is_valid_id("abcdefghijklmnop123456789"));
        assert!(!is_valid_id("abcdefghijklmnop12345678901"));
        assert!(!is_valid_id("[object Object]"));
        assert!(!is_valid_id("abcdefghijklmnop12345678-0"));
    }
}
