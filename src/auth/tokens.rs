//! The token authority: issues ES256 tokens in Connect's claim layout and verifies them, with a
//! cache so that the hot path pays for ECDSA once per token.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use subtle::ConstantTimeEq;

use super::revocations::Revocations;
use super::verify::{normalize_signature, Verifier};
use super::{
    Access, AuthError, Claims, Grants, VaultClaim, AUDIENCE, FEATURE_VAULT_ACCESS, INVALID_TOKEN,
    ISSUER, REVOCATION_RECHECK,
};
use crate::credentials::Credentials;
use crate::store::{Store, TokenRecord};
use crate::{ids, timefmt};

const CACHE_CAPACITY: usize = 4096;

/// Bytes at the end of a token that the cache hashes (see [`TailHasher`]).
const HASHED_TAIL: usize = 32;

/// Hashes only the last [`HASHED_TAIL`] bytes of a key: the end of a token is its signature,
/// which differs between any two tokens, while hashing the whole token (a few hundred bytes)
/// was a fifth of the cost of authenticating a request. Lookups still compare whole tokens; a
/// crafted token that shares a cached one's tail only lands in that entry's bucket, and only
/// tokens that verified are ever stored, so buckets stay short. Keyed like `RandomState`.
#[derive(Default)]
struct TailHashing(std::collections::hash_map::RandomState);

struct TailHasher(std::collections::hash_map::DefaultHasher);

impl BuildHasher for TailHashing {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0
            .write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

const EXPIRED: &str = "Invalid bearer token: token is expired";
const REVOKED: &str = "Invalid bearer token: token has been revoked";

struct CachedToken {
    access: Access,
    exp: Option<i64>,
    checked: Instant,
}

pub struct TokenAuthority {
    encoding: EncodingKey,
    verifier: Verifier,
    kid: String,
    server_id: String,
    account_id: String,
    store: Store,
    /// The credentials file's list; the store's `revoked_at` is consulted too.
    revocations: Revocations,
    dev_token: Option<String>,
    cache: Mutex<HashMap<String, CachedToken, TailHashing>>,
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenAuthority {
    pub fn new(
        credentials: &Credentials,
        store: Store,
        dev_token: Option<String>,
    ) -> anyhow::Result<Self> {
        Ok(TokenAuthority {
            encoding: EncodingKey::from_ec_der(&credentials.signing_key_pkcs8),
            verifier: Verifier::new(credentials)?,
            kid: credentials.signing_key_id.clone(),
            server_id: credentials.server_id.clone(),
            account_id: credentials.account_id.clone(),
            store,
            revocations: Revocations::new(&credentials.revoked_tokens),
            dev_token,
            cache: Mutex::new(HashMap::default()),
        })
    }

    /// Sets how far in the future a token's `iat` and `nbf` may be (clocks of other replicas).
    #[must_use]
    pub fn with_clock_skew(mut self, skew: Duration) -> Self {
        self.verifier = self.verifier.with_clock_skew(skew);
        self
    }

    /// The revocation list this authority enforces, for the credentials-file watcher.
    pub fn revocations(&self) -> Revocations {
        self.revocations.clone()
    }

    pub fn server_id(&self) -> &str {
        &self.server_id
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Signs a new token and records it (so that it can be listed and revoked).
    pub async fn issue(
        &self,
        name: &str,
        vts: Vec<VaultClaim>,
        expires_in: Option<Duration>,
    ) -> anyhow::Result<(String, TokenRecord)> {
        let now = timefmt::now();
        let exp =
            expires_in.map(|d| now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)));
        let claims = Claims {
            auuid: self.account_id.clone(),
            fts: vec![FEATURE_VAULT_ACCESS.to_string()],
            vts,
            aud: vec![AUDIENCE.to_string()],
            iss: ISSUER.to_string(),
            sub: self.server_id.clone(),
            jti: ids::new_id(),
            iat: now,
            nbf: None,
            exp,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let token = normalize_signature(jsonwebtoken::encode(&header, &claims, &self.encoding)?);
        let record = TokenRecord {
            jti: claims.jti.clone(),
            name: name.to_string(),
            grants: serde_json::to_string(&claims.vts)?,
            issued_at: now,
            expires_at: exp,
            revoked_at: None,
        };
        self.store.insert_token(&record).await?;
        Ok((token, record))
    }

    /// Checks an `Authorization` header value. Every failure is a 401 with Connect's body.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Access, AuthError> {
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Invalid(INVALID_TOKEN))?;

        if let Some(dev) = &self.dev_token {
            if bool::from(dev.as_bytes().ct_eq(token.as_bytes())) {
                return Ok(Access::full("dev"));
            }
        }

        let (access, exp) = match self.cached(token) {
            Some(cached) => {
                if cached.exp.is_some_and(|e| timefmt::now() >= e) {
                    return Err(AuthError::Invalid(EXPIRED));
                }
                // The file's list is in memory: checked on every request.
                if self.revocations.contains(&cached.access.jti) {
                    self.forget(token);
                    return Err(AuthError::Invalid(REVOKED));
                }
                if cached.checked.elapsed() < REVOCATION_RECHECK {
                    return Ok(cached.access);
                }
                (cached.access, cached.exp)
            }
            None => self.verify(token)?,
        };
        if self.revocations.contains(&access.jti)
            || self
                .store
                .token_revoked(&access.jti)
                .await
                .map_err(AuthError::Store)?
        {
            self.forget(token);
            return Err(AuthError::Invalid(REVOKED));
        }
        self.remember(token, &access, exp);
        Ok(access)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedToken, TailHashing>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, token: &str) -> Option<CachedToken> {
        self.lock_cache().get(token).map(|c| CachedToken {
            access: c.access.clone(),
            exp: c.exp,
            checked: c.checked,
        })
    }

    fn forget(&self, token: &str) {
        self.lock_cache().remove(token);
    }

    fn remember(&self, token: &str, access: &Access, exp: Option<i64>) {
        let mut cache = self.lock_cache();
        if cache.len() >= CACHE_CAPACITY && !cache.contains_key(token) {
            cache.clear();
        }
        cache.insert(
            token.to_string(),
            CachedToken {
                access: access.clone(),
                exp,
                checked: Instant::now(),
            },
        );
    }

    fn verify(&self, token: &str) -> Result<(Access, Option<i64>), AuthError> {
        let claims = self.verifier.verify(token)?;
        let grants: HashMap<String, u32> = claims.vts.into_iter().map(|v| (v.u, v.a)).collect();
        Ok((
            Access {
                jti: Arc::from(claims.jti),
                grants: Grants::Vaults(Arc::new(grants)),
            },
            claims.exp,
        ))
    }
}
