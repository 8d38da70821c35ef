//! The revocation list the credentials file carries (docs/design.md §5): the ids of revoked
//! tokens, with their expiry so that the list can be pruned once they expire.
//!
//! It sits inside the secrets object, so a sealed file authenticates it with the rest of its
//! secrets: without the passphrase it can be neither read nor edited, only replaced whole. Every
//! process that shares the file reads the same list, which is what makes a revocation reach every
//! replica and survive the loss of a replica's data directory.

use serde::Serialize;
use serde_json::Value;

use super::fields::is_id;
use super::{parse_err, CredentialsError};

/// How many entries a file may hold. Each takes about 90 bytes, so the largest list stays well
/// inside the file-size limit; expired entries are pruned on every revocation.
pub const MAX_REVOKED_TOKENS: usize = 10_000;

/// One revoked token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedToken {
    /// The token's `jti`: 26 lowercase base32 characters.
    pub jti: String,
    /// When it was revoked, Unix seconds.
    pub revoked_at: i64,
    /// The token's own `exp`, when known: the entry can be dropped after it (the token is refused
    /// as expired anyway). Without it the entry is kept for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// Reads the `revokedTokens` member of the secrets (absent in files written before it existed).
/// Error messages name positions, never values.
pub(super) fn parse_revoked(
    value: Option<Value>,
    ctx: &str,
) -> Result<Vec<RevokedToken>, CredentialsError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(parse_err(format!("{ctx}.revokedTokens must be an array"))),
    };
    if items.len() > MAX_REVOKED_TOKENS {
        return Err(parse_err(format!(
            "{ctx}.revokedTokens has more than {MAX_REVOKED_TOKENS} entries"
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad = || {
                parse_err(format!(
                    "{ctx}.revokedTokens[{i}] must be {{\"jti\": <26 lowercase base32>, \
                     \"revokedAt\": <seconds>, \"expiresAt\": <seconds, optional>}}"
                ))
            };
            let jti = item.get("jti").and_then(Value::as_str).ok_or_else(bad)?;
            if !is_id(jti, false) {
                return Err(bad());
            }
            let revoked_at = item
                .get("revokedAt")
                .and_then(Value::as_i64)
                .ok_or_else(bad)?;
            let expires_at = match item.get("expiresAt") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64().ok_or_else(bad)?),
            };
            Ok(RevokedToken {
                jti: jti.to_owned(),
                revoked_at,
                expires_at,
            })
        })
        .collect()
}

/// `list` with `added` merged in (an id already listed keeps its entry, an unknown expiry is
/// filled in) and entries expired before `now` dropped. Returns the ids that were not listed.
pub(super) fn merge(
    list: &mut Vec<RevokedToken>,
    added: &[RevokedToken],
    now: i64,
) -> Result<Vec<String>, CredentialsError> {
    let mut new_ids = Vec::new();
    for token in added {
        if !is_id(&token.jti, false) {
            return Err(parse_err(
                "a revoked token id must be 26 lowercase base32 characters",
            ));
        }
        match list.iter_mut().find(|t| t.jti == token.jti) {
            Some(listed) => {
                listed.expires_at = listed.expires_at.or(token.expires_at);
            }
            None => {
                list.push(token.clone());
                new_ids.push(token.jti.clone());
            }
        }
    }
    list.retain(|t| t.expires_at.is_none_or(|exp| exp > now));
    if list.len() > MAX_REVOKED_TOKENS {
        return Err(parse_err(format!(
            "the revocation list would hold more than {MAX_REVOKED_TOKENS} unexpired tokens; \
             rotate the credentials (a new file, new tokens) instead"
        )));
    }
    Ok(new_ids)
}
