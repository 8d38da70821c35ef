//! `latchkey token issue|list|revoke` and `latchkey vault create|list`: administration on the
//! store, without a server.

use clap::Subcommand;

use crate::auth::{parse_lifetime, VaultClaim, ACL_READ, ACL_READ_WRITE, ACL_WRITE};
use crate::config::args::StoreArgs;
use crate::http::HttpConfig;
use crate::store::Store;
use crate::{app, config, timefmt};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue a token and print it
    Issue {
        #[command(flatten)]
        store: StoreArgs,
        /// A name to recognise the token by
        #[arg(long)]
        name: String,
        /// NAME_OR_ID:r|w|rw (repeatable); r is the default
        #[arg(long = "vault", required = true)]
        vaults: Vec<String>,
        /// Lifetime, e.g. 30d, 12h, 90m
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List issued tokens
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke tokens by id, name or the token itself, in the credentials file (every process
    /// sharing it refuses them within a second)
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// Token id (jti), name, or the token itself
        token: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum VaultCommand {
    /// Create a vault
    Create {
        #[command(flatten)]
        store: StoreArgs,
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List vaults
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Opens the store a command names, with its credentials.
async fn open(store: &StoreArgs) -> anyhow::Result<(crate::credentials::Credentials, Store)> {
    let credentials = app::load_credentials(&config::credentials_config(&store.credentials)?)?;
    let db = app::open_store(&credentials, &config::data_dir(store)).await?;
    Ok((credentials, db))
}

/// `NAME_OR_ID[:r|w|rw]`.
fn split_grant(spec: &str) -> anyhow::Result<(&str, u32)> {
    let (vault, mode) = match spec.rsplit_once(':') {
        Some((vault, mode)) if matches!(mode, "r" | "w" | "rw" | "wr") => (vault, mode),
        _ => (spec, "r"),
    };
    if vault.is_empty() {
        anyhow::bail!("--vault needs a vault name or id, e.g. --vault Infra:rw");
    }
    let acl = match mode {
        "r" => ACL_READ,
        "w" => ACL_WRITE,
        _ => ACL_READ_WRITE,
    };
    Ok((vault, acl))
}

pub async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Issue {
            store,
            name,
            vaults,
            expires_in,
        } => {
            let (credentials, db) = open(&store).await?;
            let mut vts: Vec<VaultClaim> = Vec::new();
            for spec in &vaults {
                let (vault, acl) = split_grant(spec)?;
                let record = db.resolve_vault(vault).await?;
                vts.retain(|v| v.u != record.id);
                vts.push(VaultClaim {
                    u: record.id,
                    a: acl,
                });
            }
            let expires = expires_in
                .as_deref()
                .map(parse_lifetime)
                .transpose()
                .map_err(|e| anyhow::anyhow!(e))?;
            let state = app::state(&credentials, db.clone(), HttpConfig::default(), None)?;
            let (token, _) = state.auth.issue(&name, vts, expires).await?;
            db.close().await;
            println!("{token}");
            Ok(())
        }
        TokenCommand::List { store } => {
            let (credentials, db) = open(&store).await?;
            let listed = |jti: &str| credentials.revoked_tokens.iter().any(|r| r.jti == jti);
            let now = timefmt::now();
            println!(
                "{:<26}  {:<20}  {:<20}  {:<20}  {:<8}  VAULTS",
                "ID", "NAME", "ISSUED", "EXPIRES", "STATE"
            );
            for t in db.list_tokens().await? {
                let state = if t.revoked_at.is_some() || listed(&t.jti) {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:<26}  {:<20}  {:<20}  {:<20}  {:<8}  {}",
                    t.jti,
                    t.name,
                    timefmt::rfc3339(t.issued_at),
                    t.expires_at
                        .map_or_else(|| "never".to_string(), timefmt::rfc3339),
                    state,
                    t.grants
                );
            }
            db.close().await;
            Ok(())
        }
        TokenCommand::Revoke { store, token } => super::revoke::run(&store, &token).await,
    }
}

pub async fn vault(cmd: VaultCommand) -> anyhow::Result<()> {
    match cmd {
        VaultCommand::Create {
            store,
            name,
            description,
        } => {
            let (_, db) = open(&store).await?;
            let vault = db
                .create_vault(
                    None,
                    &name,
                    &description,
                    crate::model::VaultType::UserCreated,
                )
                .await?;
            db.close().await;
            println!("{}", vault.id);
            Ok(())
        }
        VaultCommand::List { store } => {
            let (_, db) = open(&store).await?;
            for v in db.list_vaults().await? {
                println!("{}  {:>6} items  {}", v.id, v.items, v.name);
            }
            db.close().await;
            Ok(())
        }
    }
}
