//! `latchkey token revoke`: records the revocation in the credentials file, whose list every
//! process sharing the file enforces within a second (docs/design.md §5), and in this data
//! directory's store, when there is one, for `latchkey token list`.
//!
//! It needs the credentials file, writable; the store is optional. Without it (on the host of a
//! container deployment, say) a token is named by its id or given whole.

use std::path::Path;

use crate::auth::Verifier;
use crate::config::args::StoreArgs;
use crate::credentials::{Credentials, RevokedToken};
use crate::store::{Store, DB_FILE};
use crate::{app, config, ids, timefmt};

const BASE64_SESSION: &str = "OP_SESSION holds the credentials' base64, which latchkey cannot \
    update: decode it into a file, run `latchkey token revoke --credentials FILE …`, then put the \
    file's new base64 into OP_SESSION and restart the processes";

pub async fn run(args: &StoreArgs, target: &str) -> anyhow::Result<()> {
    let config = config::credentials_config(&args.credentials)?;
    let credentials = app::load_credentials(&config)?;
    let path = Path::new(&config.location);
    if !path.is_file() {
        anyhow::bail!("{BASE64_SESSION}");
    }
    let data_dir = config::data_dir(args);
    let store = if data_dir.join(DB_FILE).is_file() {
        Some(app::open_store(&credentials, &data_dir).await?)
    } else {
        None
    };
    let now = timefmt::now();
    let result = async {
        let targets = resolve(&credentials, store.as_ref(), target, now).await?;
        let passphrase = config.passphrase.as_ref().map(|p| p.as_str());
        let added = Credentials::record_revocations(path, passphrase, &targets, now)?;
        let jtis: Vec<String> = targets.iter().map(|t| t.jti.clone()).collect();
        if let Some(store) = &store {
            store.mark_tokens_revoked(&jtis, now).await?;
        }
        for jti in jtis {
            if added.contains(&jti) {
                println!("revoked {jti}");
            } else {
                println!("revoked {jti} (it was already listed)");
            }
        }
        anyhow::Ok(())
    }
    .await;
    if let Some(store) = store {
        store.close().await;
    }
    result
}

/// The tokens `target` names: the token itself, a recorded id or name, or — not recorded here —
/// a well-formed id.
async fn resolve(
    credentials: &Credentials,
    store: Option<&Store>,
    target: &str,
    now: i64,
) -> anyhow::Result<Vec<RevokedToken>> {
    let target = target.trim();
    if target.split('.').count() == 3 {
        let claims = Verifier::new(credentials)?
            .verify(target)
            .map_err(|e| anyhow::anyhow!("not a token of this server that can be revoked: {e}"))?;
        return Ok(vec![RevokedToken {
            jti: claims.jti,
            revoked_at: now,
            expires_at: claims.exp,
        }]);
    }
    if let Some(store) = store {
        let recorded = store.tokens_matching(target).await?;
        if !recorded.is_empty() {
            return Ok(recorded
                .into_iter()
                .map(|t| RevokedToken {
                    jti: t.jti,
                    revoked_at: now,
                    expires_at: t.expires_at,
                })
                .collect());
        }
    }
    if ids::is_valid_id(target) {
        // Issued from another data directory: listed without an expiry, so kept for good.
        eprintln!(
            "note: {target} is not recorded in this data directory; it is listed without an \
             expiry (revoke with the token itself to let the entry expire with it)"
        );
        return Ok(vec![RevokedToken {
            jti: target.to_owned(),
            revoked_at: now,
            expires_at: None,
        }]);
    }
    match store {
        Some(_) => anyhow::bail!("no token with id or name \"{target}\""),
        None => anyhow::bail!(
            "no store in this data directory to look the name \"{target}\" up in; give the \
             token's id (jti, from `latchkey token list`) or the token itself"
        ),
    }
}
