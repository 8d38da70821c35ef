//! The token authority: issues ES256 tokens in Connect's claim layout and verifies them, with a
//! cache so that the hot path pays for ECDSA once per token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use subtle::ConstantTimeEq;

use super::{
    Access, AuthError, Claims, Grants, VaultClaim, AUDIENCE, FEATURE_VAULT_ACCESS, INVALID_TOKEN,
    ISSUER, REVOCATION_RECHECK,
};
use crate::credentials::Credentials;
use crate::store::{Store, TokenRecord};
use crate::{ids, timefmt};

const CACHE_CAPACITY: usize = 4096;

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
                    return Err(AuthError::Invalid("Invalid bearer token: token is expired"));
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
            .map_err(AuthError::Store)?
        {
            self.cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(token);
            return Err(AuthError::Invalid(
                "Invalid bearer token: token has been revoked",
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

    fn verify(&self, token: &str) -> Result<(Access, Option<i64>), AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid(INVALID_TOKEN))?;
        if header.alg != Algorithm::ES256 {
            return Err(AuthError::Invalid(INVALID_TOKEN));
        }
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(AuthError::Invalid(
                "Invalid bearer token: token was not issued by this server",
            ));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => AuthError::Invalid("Invalid token signature"),
                    ErrorKind::ExpiredSignature => {
                        AuthError::Invalid("Invalid bearer token: token is expired")
                    }
                    _ => AuthError::Invalid(INVALID_TOKEN),
                }
            })?;
        let claims = data.claims;
        if claims.exp.is_some_and(|e| timefmt::now() >= e) {
            return Err(AuthError::Invalid("Invalid bearer token: token is expired"));
        }
        if !claims.fts.iter().any(|f| f == FEATURE_VAULT_ACCESS) {
            return Err(AuthError::Invalid(INVALID_TOKEN));
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
