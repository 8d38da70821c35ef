//! Issued access tokens: kept so that they can be listed and revoked. The name a person gave a
//! token is sealed; the grants hold only vault ids and ACL bits.

use sqlx::Row;

use super::{Store, StoreError, StoreResult};
use crate::crypto::row_aad;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub jti: String,
    pub name: String,
    /// `[{"u": vault id, "a": acl}]`, or `"*"` for a full-access token.
    pub grants: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Store {
    pub async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        let sealed_name = self
            .keys
            .seal_with_kek(&row_aad(&["token", &token.jti]), token.name.as_bytes());
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO tokens (jti, name, grants, issued_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.jti)
        .bind(sealed_name)
        .bind(&token.grants)
        .bind(token.issued_at)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query(
            "SELECT jti, name, grants, issued_at, expires_at, revoked_at FROM tokens ORDER BY issued_at, jti",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let jti: String = row.try_get("jti")?;
                let name = self
                    .keys
                    .open_with_kek(&row_aad(&["token", &jti]), row.try_get::<&[u8], _>("name")?)?;
                Ok(TokenRecord {
                    name: String::from_utf8(name.to_vec())
                        .map_err(|_| StoreError::Corrupt("token name".into()))?,
                    grants: row.try_get("grants")?,
                    issued_at: row.try_get("issued_at")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    jti,
                })
            })
            .collect()
    }

    /// The recorded tokens whose id or name is `jti_or_name`, revoked or not.
    pub async fn tokens_matching(&self, jti_or_name: &str) -> StoreResult<Vec<TokenRecord>> {
        Ok(self
            .list_tokens()
            .await?
            .into_iter()
            .filter(|t| t.jti == jti_or_name || t.name == jti_or_name)
            .collect())
    }

    /// Marks tokens revoked, by token id or by name. Returns the ids revoked.
    ///
    /// This is the store's copy only, for `latchkey token list`: the revocation every process
    /// enforces is the credentials file's list (`latchkey token revoke`, docs/design.md §5).
    pub async fn revoke_tokens(&self, jti_or_name: &str, now: i64) -> StoreResult<Vec<String>> {
        let targets: Vec<String> = self
            .tokens_matching(jti_or_name)
            .await?
            .into_iter()
            .filter(|t| t.revoked_at.is_none())
            .map(|t| t.jti)
            .collect();
        self.mark_tokens_revoked(&targets, now).await?;
        Ok(targets)
    }

    /// Sets `revoked_at` of the given token ids that are recorded and not yet revoked.
    pub async fn mark_tokens_revoked(&self, jtis: &[String], now: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for jti in jtis {
            sqlx::query("UPDATE tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL")
                .bind(now)
                .bind(jti)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the store records the token with this id as revoked (unknown ids are not: a
    /// token's signature is what makes it valid). Checked besides the credentials file's list,
    /// which is the one that every replica shares and the database cannot override.
    pub async fn token_revoked(&self, jti: &str) -> StoreResult<bool> {
        let revoked: Option<Option<i64>> =
            sqlx::query_scalar("SELECT revoked_at FROM tokens WHERE jti = ?")
                .bind(jti)
                .fetch_optional(&self.pool)
                .await?;
        Ok(matches!(revoked, Some(Some(_))))
    }
}
