//! Access tokens: ES256 JWTs in Connect's claim layout (docs/design.md §5), signed with the key from
//! the credentials file. Verified tokens are cached so the hot path pays for ECDSA once per token.
//! Revocation: the credentials file's list (kept current by [`revocations::spawn_watch`]) is
//! checked on every request, the store's `revoked_at` at most every [`REVOCATION_RECHECK`].

pub mod revocations;
mod tokens;
mod verify;
#[cfg(test)]
mod watch_tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use revocations::Revocations;
pub use tokens::TokenAuthority;
pub use verify::{Verifier, DEFAULT_CLOCK_SKEW};

pub const AUDIENCE: &str = "com.1password.connect";
pub const ISSUER: &str = "com.1password.b5";
pub const FEATURE_VAULT_ACCESS: &str = "vaultaccess";

/// ACL bits as seen in real Connect tokens: 48 on read-only tokens, 1008 on read-write ones.
pub const ACL_READ: u32 = 0x30;
pub const ACL_WRITE: u32 = 0x3C0;
pub const ACL_READ_WRITE: u32 = ACL_READ | ACL_WRITE;

/// How stale a cached "not revoked" answer may be.
pub const REVOCATION_RECHECK: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VaultClaim {
    pub u: String,
    pub a: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    #[serde(rename = "1password.com/auuid")]
    pub auuid: String,
    #[serde(rename = "1password.com/fts")]
    pub fts: Vec<String>,
    #[serde(rename = "1password.com/vts")]
    pub vts: Vec<VaultClaim>,
    pub aud: Vec<String>,
    pub iss: String,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    /// Not issued by latchkey; honoured when present (with the clock-skew leeway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// What a request may do, from its token.
#[derive(Debug, Clone)]
pub struct Access {
    /// Shared: copied into the request's activity entries and access-log line.
    pub jti: Arc<str>,
    grants: Grants,
}

#[derive(Debug, Clone)]
enum Grants {
    /// The `latchkey dev --token` token: every vault, read and write.
    All,
    Vaults(Arc<HashMap<String, u32>>),
}

impl Access {
    pub fn full(jti: &str) -> Self {
        Access {
            jti: Arc::from(jti),
            grants: Grants::All,
        }
    }

    fn acl(&self, vault_id: &str) -> Option<u32> {
        match &self.grants {
            Grants::All => Some(ACL_READ_WRITE),
            Grants::Vaults(map) => map.get(vault_id).copied(),
        }
    }

    /// The vaults the token names; `None` for the full-access development token.
    pub fn vault_ids(&self) -> Option<Vec<String>> {
        match &self.grants {
            Grants::All => None,
            Grants::Vaults(map) => Some(map.keys().cloned().collect()),
        }
    }

    /// The vault is named in the token at all.
    pub fn in_scope(&self, vault_id: &str) -> bool {
        self.acl(vault_id).is_some()
    }

    pub fn can_read(&self, vault_id: &str) -> bool {
        self.acl(vault_id).is_some_and(|a| a & ACL_READ == ACL_READ)
    }

    pub fn can_write(&self, vault_id: &str) -> bool {
        self.acl(vault_id).is_some_and(|a| a & ACL_WRITE != 0)
    }
}

/// Why a request's token was refused. Every case is Connect's 401 except a failing store.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The message is the one Connect's clients see.
    #[error("{0}")]
    Invalid(&'static str),
    #[error("cannot check the token's revocation: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// Connect's answer to a missing, malformed or unknown token.
pub const INVALID_TOKEN: &str = "Invalid bearer token";

/// A token lifetime (`30d`, `12h`, `90m`, `2w`, or seconds): any duration but zero.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    crate::config::parse_duration(text)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!(
                "invalid token lifetime \"{}\": expected e.g. 30d, 12h, 15m or 90s",
                text.trim()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_lifetime("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(parse_lifetime("90").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_lifetime("2w").unwrap(),
            Duration::from_secs(2 * 604_800)
        );
        assert!(parse_lifetime("0s").is_err());
        assert!(parse_lifetime("10y").is_err());
        assert!(parse_lifetime("").is_err());
        assert!(parse_lifetime("99999999999999999999d").is_err());
    }

    #[test]
    fn acl_bits() {
        let mut map = HashMap::new();
        map.insert("r".to_string(), ACL_READ);
        map.insert("w".to_string(), ACL_WRITE);
        map.insert("rw".to_string(), ACL_READ_WRITE);
        let access = Access {
            jti: "j".into(),
            grants: Grants::Vaults(Arc::new(map)),
        };
        assert!(access.can_read("r") && !access.can_write("r"));
        assert!(!access.can_read("w") && access.can_write("w"));
        assert!(access.can_read("rw") && access.can_write("rw"));
        assert!(!access.in_scope("other"));
    }
}
