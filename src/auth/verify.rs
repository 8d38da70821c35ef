//! Verifying a token: its ES256 signature, in the one (low-S) form latchkey issues, then its
//! claims — kid, audience, subject, issuer, expiry, `nbf` and `iat` within the clock-skew
//! leeway, and the vault-access feature.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::ecdsa::Signature;
use p256::elliptic_curve::scalar::IsHigh;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;

use super::{AuthError, Claims, AUDIENCE, FEATURE_VAULT_ACCESS, INVALID_TOKEN, ISSUER};
use crate::credentials::Credentials;
use crate::timefmt;

/// How far ahead of this host's clock a token's `iat` and `nbf` may be: tokens issued on another
/// replica whose clock runs a little fast stay valid, tokens minted for later do not.
pub const DEFAULT_CLOCK_SKEW: Duration = crate::config::DEFAULT_TOKEN_CLOCK_SKEW;

const BAD_SIGNATURE: &str = "Invalid token signature";
const EXPIRED: &str = "Invalid bearer token: token is expired";

/// Checks tokens against the signing key of a credentials file.
pub struct Verifier {
    decoding: DecodingKey,
    validation: Validation,
    kid: String,
    clock_skew: i64,
}

impl Verifier {
    /// A verifier for the tokens `credentials` signs, with [`DEFAULT_CLOCK_SKEW`].
    pub fn new(credentials: &Credentials) -> anyhow::Result<Self> {
        let secret =
            p256::SecretKey::from_pkcs8_der(&credentials.signing_key_pkcs8).map_err(|_| {
                anyhow::anyhow!("the signing key in the credentials file is not a P-256 PKCS#8 key")
            })?;
        let point = secret.public_key().to_encoded_point(false);
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["aud", "sub", "iss"]);
        validation.sub = Some(credentials.server_id.clone());
        // `exp` is exact; `nbf` and `iat` are checked below, with the clock-skew leeway.
        validation.leeway = 0;
        validation.validate_nbf = false;
        Ok(Verifier {
            decoding: DecodingKey::from_ec_der(point.as_bytes()),
            validation,
            kid: credentials.signing_key_id.clone(),
            clock_skew: skew_seconds(DEFAULT_CLOCK_SKEW),
        })
    }

    /// Sets how far in the future `iat` and `nbf` may be.
    #[must_use]
    pub fn with_clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew_seconds(skew);
        self
    }

    /// The claims of a valid token. Every failure is Connect's 401.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
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
        // ECDSA is malleable: (r, n − s) verifies wherever (r, s) does. Accepting only the low-S
        // form gives every token exactly one valid string.
        if has_high_s(token) {
            return Err(AuthError::Invalid(BAD_SIGNATURE));
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => AuthError::Invalid(BAD_SIGNATURE),
                    ErrorKind::ExpiredSignature => AuthError::Invalid(EXPIRED),
                    _ => AuthError::Invalid(INVALID_TOKEN),
                }
            })?
            .claims;
        self.check_times(&claims)?;
        if !claims.fts.iter().any(|f| f == FEATURE_VAULT_ACCESS) {
            return Err(AuthError::Invalid(INVALID_TOKEN));
        }
        Ok(claims)
    }

    fn check_times(&self, claims: &Claims) -> Result<(), AuthError> {
        let now = timefmt::now();
        let latest = now.saturating_add(self.clock_skew);
        if claims.exp.is_some_and(|e| now >= e) {
            return Err(AuthError::Invalid(EXPIRED));
        }
        if claims.nbf.is_some_and(|nbf| nbf > latest) {
            return Err(AuthError::Invalid(
                "Invalid bearer token: token is not valid yet",
            ));
        }
        if claims.iat > latest {
            return Err(AuthError::Invalid(
                "Invalid bearer token: token was issued in the future (check the clocks)",
            ));
        }
        Ok(())
    }
}

fn skew_seconds(skew: Duration) -> i64 {
    i64::try_from(skew.as_secs()).unwrap_or(i64::MAX)
}

/// Whether the token's signature is a well-formed ECDSA signature with s > n/2. Anything else
/// is left to the signature check, which refuses it.
fn has_high_s(token: &str) -> bool {
    let Some((_, signature)) = token.rsplit_once('.') else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .is_some_and(|sig| bool::from(sig.s().is_high()))
}

/// `token` with its ECDSA signature in low-S form: what latchkey issues.
pub(super) fn normalize_signature(token: String) -> String {
    let Some((signed, signature)) = token.rsplit_once('.') else {
        return token;
    };
    let normalized = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .and_then(|sig| sig.normalize_s());
    match normalized {
        Some(low) => format!("{signed}.{}", URL_SAFE_NO_PAD.encode(low.to_bytes())),
        None => token,
    }
}
