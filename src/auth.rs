//! Access tokens: ES256 JWTs in Connect's claim layout (reference §6.1), signed with the key from
//! the credentials file. Verified tokens are cached so the hot path pays for ECDSA once per token;
//! revocation is re-checked against the database at most every [`REVOCATION_RECHECK`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::store::{Store, TokenRecord};
use crate::{ids, timefmt};

pub const AUDIENCE: &str = "com.1password.connect";
pub const ISSUER: &str = "com.1password.b5";
pub const FEATURE_VAULT_ACCESS: &str = "vaultaccess";

/// ACL bits as seen in real Connect tokens: 48 on read-only tokens, 1008 on read-write ones.
pub const ACL_READ: u32 = 0x30;
pub const ACL_WRITE: u32 = 0x3C0;
pub const ACL_READ_WRITE: u32 = ACL_READ | ACL_WRITE;

/// How stale a cached "not revoked" answer may be.
pub const REVOCATION_RECHECK: Duration = Duration::from_millis(500);
const CACHE_CAPACITY: usize = 4096;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// What a request may do, from its token.
#[derive(Debug, Clone)]
pub struct Access {
    pub jti: String,
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
            jti: jti.to_string(),
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

struct CachedToken {
    access: Access,
    exp: Option<i64>,
    checked: Instant,
}

pub struct TokenAuthority {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    kid: String,
    server_id: String,
    account_id: String,
    store: Store,
    dev_token: Option<String>,
    cache: Mutex<HashMap<String, CachedToken>>,
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Parses `30d`, `12h`, `15m`, `90s`, `2w` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid duration \"{text}\": expected e.g. 30d, 12h, 15m or 90s"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => {
            return Err(format!(
                "invalid duration unit in \"{text}\": use s, m, h, d or w"
            ))
        }
    };
    n.checked_mul(factor)
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("invalid duration \"{text}\""))
}

impl TokenAuthority {
    pub fn new(
        credentials: &Credentials,
        store: Store,
        dev_token: Option<String>,
    ) -> anyhow::Result<Self> {
        let secret =
            p256::SecretKey::from_pkcs8_der(&credentials.signing_key_pkcs8).map_err(|_| {
                anyhow::anyhow!("the signing key in the credentials file is not a P-256 PKCS#8 key")
            })?;
        let point = secret.public_key().to_encoded_point(false);
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["aud", "sub"]);
        validation.sub = Some(credentials.server_id.clone());
        validation.leeway = 0;
        Ok(TokenAuthority {
            encoding: EncodingKey::from_ec_der(&credentials.signing_key_pkcs8),
            decoding: DecodingKey::from_ec_der(point.as_bytes()),
            validation,
            kid: credentials.signing_key_id.clone(),
            server_id: credentials.server_id.clone(),
            account_id: credentials.account_id.clone(),
            store,
            dev_token,
            cache: Mutex::new(HashMap::new()),
        })
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
            exp,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)?;
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
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Access, ApiError> {
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::invalid_token)?;

        if let Some(dev) = &self.dev_token {
            if bool::from(dev.as_bytes().ct_eq(token.as_bytes())) {
                return Ok(Access::full("dev"));
            }
        }

        let now = timefmt::now();
        let cached = {
            let cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache
                .get(token)
                .map(|c| (c.access.clone(), c.exp, c.checked))
        };
        let (access, exp) = match cached {
            Some((access, exp, checked)) => {
                if exp.is_some_and(|e| now >= e) {
                    return Err(ApiError::Unauthorized(
                        "Invalid bearer token: token is expired".into(),
                    ));
                }
                if checked.elapsed() < REVOCATION_RECHECK {
                    return Ok(access);
                }
                (access, exp)
            }
            None => self.verify(token)?,
        };
        if self
            .store
            .token_revoked(&access.jti)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
        {
            self.cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(token);
            return Err(ApiError::Unauthorized(
                "Invalid bearer token: token has been revoked".into(),
            ));
        }
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        Ok(access)
    }

    fn verify(&self, token: &str) -> Result<(Access, Option<i64>), ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| ApiError::invalid_token())?;
        if header.alg != Algorithm::ES256 {
            return Err(ApiError::invalid_token());
        }
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(ApiError::Unauthorized(
                "Invalid bearer token: token was not issued by this server".into(),
            ));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => {
                        ApiError::Unauthorized("Invalid token signature".into())
                    }
                    ErrorKind::ExpiredSignature => {
                        ApiError::Unauthorized("Invalid bearer token: token is expired".into())
                    }
                    _ => ApiError::invalid_token(),
                }
            })?;
        let claims = data.claims;
        if claims.exp.is_some_and(|e| timefmt::now() >= e) {
            return Err(ApiError::Unauthorized(
                "Invalid bearer token: token is expired".into(),
            ));
        }
        if !claims.fts.iter().any(|f| f == FEATURE_VAULT_ACCESS) {
            return Err(ApiError::invalid_token());
        }
        let grants: HashMap<String, u32> = claims.vts.into_iter().map(|v| (v.u, v.a)).collect();
        Ok((
            Access {
                jti: claims.jti,
                grants: Grants::Vaults(Arc::new(grants)),
            },
            claims.exp,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(2 * 604_800)
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10y").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
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
