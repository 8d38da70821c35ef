//! The command line: `latchkey init | serve | api | dev | token | vault | healthcheck`.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::auth::{parse_duration, VaultClaim, ACL_READ, ACL_READ_WRITE, ACL_WRITE};
use crate::credentials::Credentials;
use crate::http::HttpConfig;
use crate::{config, demo, server, shutdown, timefmt};

#[derive(Parser, Debug)]
#[command(
    name = "latchkey",
    version,
    about = "A self-hosted server that speaks the 1Password Connect API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a new credentials file (identities, root key, token signing key, source).
    Init(InitArgs),
    /// Serve the API and run the sync worker in one process.
    Serve(ServeArgs),
    /// Serve the API only (Connect's `connect-api` container).
    Api(ServeArgs),
    /// Run the sync worker, with /health and /heartbeat on its own port (Connect's `connect-sync`).
    Sync(ServeArgs),
    /// One command for development: a demo store, a known token, ready at once.
    Dev(DevArgs),
    /// Issue, list and revoke access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create and list vaults.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Probe a running server's /heartbeat (for container HEALTHCHECK); exit 0 when healthy.
    Healthcheck(HealthcheckArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CredentialArgs {
    /// Credentials file path, or its base64 content [default: $HOME/.op/1password-credentials.json]
    #[arg(long = "credentials", env = "OP_SESSION")]
    pub credentials: Option<String>,
    /// File whose first line is the passphrase of a sealed credentials file (or set LATCHKEY_PASSPHRASE)
    #[arg(long, env = "LATCHKEY_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl CredentialArgs {
    fn location(&self) -> String {
        self.credentials
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| config::default_credentials_path().display().to_string())
    }

    fn load(&self) -> anyhow::Result<Credentials> {
        let location = self.location();
        let passphrase = config::passphrase(self.passphrase_file.as_deref())?;
        if names_a_path(&location) && !Path::new(&location).exists() {
            anyhow::bail!("no credentials file at {location}; create one with `latchkey init`");
        }
        Credentials::load(&location, passphrase.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Whether an `OP_SESSION` value reads as a file path rather than the file's base64 (base64 may
/// contain '/' too, but never starts with one or ends in `.json`: JSON's base64 starts with "ey").
fn names_a_path(value: &str) -> bool {
    value.starts_with('/')
        || value.starts_with('.')
        || value.starts_with('~')
        || value.ends_with(".json")
}

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Data directory holding 1password.sqlite [default: $XDG_DATA_HOME/.op/data or $HOME/.op/data]
    #[arg(long, env = "LATCHKEY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl StoreArgs {
    fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(config::default_data_dir)
    }
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write the file [default: OP_SESSION or $HOME/.op/1password-credentials.json]
    #[arg(long = "credentials", env = "OP_SESSION")]
    pub credentials: Option<PathBuf>,
    /// Seal the secrets under the passphrase on the first line of this file (argon2id)
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// The source the sync worker reads: `none` (the store is the source of truth),
    /// `seed:FILE` (YAML/JSON seed file), `1pux:FILE` (1Password export) or `connect:URL`
    /// (another Connect-compatible server; give its token with --source-token-file)
    #[arg(long, default_value = "none")]
    pub source: String,
    /// File whose first line is the upstream token for `--source connect:URL`
    /// (or set LATCHKEY_SOURCE_TOKEN)
    #[arg(long)]
    pub source_token_file: Option<PathBuf>,
    /// Replace an existing file (its store becomes unreadable)
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug, Clone)]
pub struct HttpArgs {
    /// HTTP port
    #[arg(long, env = "OP_HTTP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Largest file inlined by `inline_files=true`, in KB
    #[arg(long, env = "OP_MAX_INLINE_FILE_SIZE_KB", default_value_t = 100)]
    pub max_inline_file_kb: u64,
    /// Largest request body accepted, in KB
    #[arg(long, env = "LATCHKEY_MAX_BODY_KB", default_value_t = 1024)]
    pub max_body_kb: usize,
}

impl HttpArgs {
    fn config(&self) -> HttpConfig {
        HttpConfig {
            max_inline_file_kb: self.max_inline_file_kb,
            max_body_bytes: self.max_body_kb.saturating_mul(1024),
            ..HttpConfig::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    /// Address to listen on
    #[arg(long, env = "LATCHKEY_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// HTTPS port, used when a certificate and key are given
    #[arg(long, env = "OP_HTTPS_PORT", default_value_t = 8443)]
    pub https_port: u16,
    /// PEM certificate chain for HTTPS
    #[arg(long, env = "OP_TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key for HTTPS
    #[arg(long, env = "OP_TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// How long API requests wait for the first sync before Connect's 408 (Go duration)
    #[arg(long, env = "OP_SYNC_TIMEOUT", default_value = "10s")]
    pub sync_timeout: String,
    /// Longest pause between sync runs (file sources are also watched for changes)
    #[arg(long, env = "LATCHKEY_SYNC_INTERVAL", default_value = "30s")]
    pub sync_interval: String,
}

#[derive(Args, Debug)]
pub struct DevArgs {
    /// Serve the vaults and items of this seed file (YAML or JSON), watched for changes
    #[arg(long, env = "LATCHKEY_SEED")]
    pub seed: Option<PathBuf>,
    /// Accept this fixed string as a full-access token (like `vault server -dev-root-token-id`);
    /// without it a full-access JWT is issued and printed
    #[arg(long, env = "LATCHKEY_DEV_TOKEN")]
    pub token: Option<String>,
    /// Keep the store here (credentials are created in it when missing); default: a throwaway dir
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub http: HttpArgs,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

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
    /// Revoke tokens by id or name
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// Token id (jti) or name
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

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// URL to probe [default: http://127.0.0.1:$OP_HTTP_PORT/heartbeat]
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, env = "OP_HTTP_PORT", default_value_t = 8080)]
    pub port: u16,
}

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    crate::tls::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("latchkey: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("latchkey: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => init(args),
        Command::Serve(args) => serve(args, Mode::Both).await,
        Command::Api(args) => serve(args, Mode::Api).await,
        Command::Sync(args) => serve(args, Mode::Sync).await,
        Command::Dev(args) => dev(args).await,
        Command::Token(cmd) => token(cmd).await,
        Command::Vault(cmd) => vault(cmd).await,
        Command::Healthcheck(args) => healthcheck(args).await,
    }
}

fn init_logging(json: bool) {
    let level = std::env::var("OP_LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter = tracing_subscriber::EnvFilter::try_new(format!("latchkey={level}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("latchkey=info"));
    // A closed or full log sink must not take requests down: tracing's own report of a failed
    // write would go to stderr through eprintln!, which panics when stderr is gone.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

fn parse_source(spec: &str, token_file: Option<&Path>) -> anyhow::Result<serde_json::Value> {
    let (kind, location) = spec.split_once(':').unwrap_or((spec, ""));
    let absolute = |location: &str| -> anyhow::Result<String> {
        if location.is_empty() {
            anyhow::bail!("--source {kind}:FILE needs a file");
        }
        let path = std::path::absolute(location)?;
        if !path.is_file() {
            anyhow::bail!("--source {kind}: {} is not a readable file", path.display());
        }
        Ok(path.display().to_string())
    };
    match kind {
        "none" if location.is_empty() => Ok(serde_json::json!({"kind": "none"})),
        "seed" | "1pux" => Ok(serde_json::json!({"kind": kind, "path": absolute(location)?})),
        "connect" => {
            let token = match token_file {
                Some(file) => std::fs::read_to_string(file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                None => std::env::var("LATCHKEY_SOURCE_TOKEN").unwrap_or_default(),
            };
            if token.is_empty() {
                anyhow::bail!("--source connect:URL needs the upstream's token: --source-token-file FILE or LATCHKEY_SOURCE_TOKEN");
            }
            crate::sync::sources::connect::ConnectSource::new(location, &token)?;
            Ok(serde_json::json!({"kind": "connect", "url": location, "token": token}))
        }
        _ => anyhow::bail!(
            "unknown source \"{spec}\"; use none, seed:FILE, 1pux:FILE or connect:URL"
        ),
    }
}

fn init(args: InitArgs) -> anyhow::Result<()> {
    let path = args
        .credentials
        .unwrap_or_else(config::default_credentials_path);
    let passphrase = match &args.passphrase_file {
        Some(file) => config::passphrase(Some(file))?,
        None => None,
    };
    let credentials = Credentials::generate(parse_source(
        &args.source,
        args.source_token_file.as_deref(),
    )?);
    credentials
        .write_new(&path, passphrase.as_deref(), args.force)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "wrote {} (mode 0600{})",
        path.display(),
        if passphrase.is_some() {
            ", sealed with a passphrase"
        } else {
            ""
        }
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Both,
    Api,
    Sync,
}

/// A shutdown signal that several tasks can wait on.
fn shutdown_channel() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        let _ = tx.send(true);
    });
    rx
}

async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn serve(args: ServeArgs, mode: Mode) -> anyhow::Result<()> {
    init_logging(true);
    for var in ["OP_BUS_PORT", "OP_BUS_PEERS"] {
        if std::env::var_os(var).is_some() {
            tracing::info!("{var} is set; latchkey processes share the database and need no bus, so it is ignored");
        }
    }
    let sync_timeout = config::parse_go_duration(&args.sync_timeout)
        .map_err(|e| anyhow::anyhow!("OP_SYNC_TIMEOUT: {e}"))?;
    let sync_interval = config::parse_go_duration(&args.sync_interval)
        .map_err(|e| anyhow::anyhow!("LATCHKEY_SYNC_INTERVAL: {e}"))?;
    let credentials = args.store.credentials.load()?;
    let store = server::open_store(&credentials, &args.store.data_dir()).await?;
    let source_kind = credentials.source_kind().unwrap_or("none").to_string();
    let mut http_config = args.http.config();
    http_config.sync_timeout = sync_timeout;
    http_config.source_kind = source_kind;
    if mode == Mode::Sync {
        http_config.service_name = crate::http::SYNC_SERVICE_NAME;
    }
    let mut state = server::state(&credentials, store.clone(), http_config, None)?;
    if mode != Mode::Sync && credentials.source_kind() == Some("connect") {
        let upstream = Arc::new(crate::sync::worker::connect_source(&credentials.source)?);
        let engine = crate::sync::Engine::new(
            store.clone(),
            upstream.clone() as Arc<dyn crate::sync::source::Source>,
            credentials.server_id.clone(),
        );
        state = state.with_upstream(crate::http::Upstream {
            server: upstream,
            engine,
        });
    }
    let shutdown = shutdown_channel();
    let worker = if mode == Mode::Api {
        None
    } else {
        let source = crate::sync::build_source(&credentials.source, store.keys())?;
        let stop = stopped(shutdown.clone());
        let editor = credentials.server_id.clone();
        let store = store.clone();
        Some(tokio::spawn(async move {
            if let Err(err) = crate::sync::run_worker(
                store,
                source,
                editor,
                sync_interval.max(std::time::Duration::from_secs(1)),
                stop,
            )
            .await
            {
                tracing::error!(error = %err, "the sync worker stopped");
            }
        }))
    };
    let tls = match (&args.tls_cert_file, &args.tls_key_file) {
        (Some(cert), Some(key)) if mode != Mode::Sync => {
            Some(crate::tls::server_config(cert, key)?)
        }
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("HTTPS needs both OP_TLS_CERT_FILE and OP_TLS_KEY_FILE")
        }
        _ => None,
    };
    let https = match tls {
        Some(config) => {
            let tcp = server::bind(SocketAddr::new(args.bind, args.https_port)).await?;
            let listener = crate::tls::TlsListener::new(tcp, config)?;
            tracing::info!(address = %axum::serve::Listener::local_addr(&listener)?, "latchkey api listening for HTTPS");
            let router = crate::http::router(state.clone());
            Some(tokio::spawn(server::serve_tls(
                listener,
                router,
                stopped(shutdown.clone()),
            )))
        }
        None => None,
    };
    let listener = server::bind(SocketAddr::new(args.bind, args.http.port)).await?;
    let what = match mode {
        Mode::Sync => "latchkey sync listening",
        _ => "latchkey api listening",
    };
    tracing::info!(address = %listener.local_addr()?, "{what}");
    let router = if mode == Mode::Sync {
        crate::http::sync_router(state.clone())
    } else {
        crate::http::router(state.clone())
    };
    let result = server::serve_router(listener, state, router, stopped(shutdown)).await;
    if let Some(https) = https {
        if let Ok(Err(err)) = https.await {
            tracing::error!(error = %err, "the HTTPS listener failed");
        }
    }
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    result
}

async fn dev(args: DevArgs) -> anyhow::Result<()> {
    init_logging(false);
    let started = std::time::Instant::now();
    let (data_dir, _throwaway) = match &args.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = tempdir()?;
            (dir.clone(), Some(RemoveOnDrop(dir)))
        }
    };
    std::fs::create_dir_all(&data_dir)?;
    let credentials_path = data_dir.join("credentials.json");
    let credentials = if credentials_path.exists() {
        Credentials::load(&credentials_path.display().to_string(), None)
            .map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        let credentials = Credentials::generate(serde_json::json!({"kind": "none"}));
        credentials
            .write_new(&credentials_path, None, false)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        credentials
    };
    let store = server::open_store(&credentials, &data_dir.join("data")).await?;
    // The first sync of a seed file completes before the server answers, so a bad seed file
    // fails the command at once with the reason.
    let engine = match &args.seed {
        Some(path) => {
            let source: Arc<dyn crate::sync::source::Source> =
                Arc::new(crate::sync::seed_source(path.clone(), store.keys()));
            let engine = Arc::new(crate::sync::Engine::new(
                store.clone(),
                source,
                credentials.server_id.clone(),
            ));
            engine
                .sync_once()
                .await
                .map_err(|e| anyhow::anyhow!("seed file {}: {e}", path.display()))?;
            Some(engine)
        }
        None => {
            if store.list_vaults().await?.is_empty() {
                demo::seed(&store, &credentials.server_id).await?;
            }
            None
        }
    };
    let state = server::state(
        &credentials,
        store.clone(),
        args.http.config(),
        args.token.clone(),
    )?;
    let token = match &args.token {
        Some(token) => token.clone(),
        None => {
            let vts = store
                .list_vaults()
                .await?
                .into_iter()
                .map(|v| VaultClaim {
                    u: v.id,
                    a: ACL_READ_WRITE,
                })
                .collect();
            state.auth.issue("dev", vts, None).await?.0
        }
    };
    let listener = server::bind(SocketAddr::new(args.bind, args.http.port)).await?;
    let addr = listener.local_addr()?;
    let host = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# latchkey dev: ready in {} ms; data in {}",
        started.elapsed().as_millis(),
        data_dir.display()
    )?;
    writeln!(out, "export OP_CONNECT_HOST={host}")?;
    writeln!(out, "export OP_CONNECT_TOKEN={token}")?;
    out.flush()?;
    drop(out);
    let shutdown = shutdown_channel();
    let watcher = engine.map(|engine| {
        let stop = stopped(shutdown.clone());
        tokio::spawn(crate::sync::run_until_stopped(
            engine,
            std::time::Duration::from_secs(30),
            stop,
        ))
    });
    let result = server::serve(listener, state, stopped(shutdown)).await;
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
    result
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("latchkey-dev-{}", crate::ids::new_id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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

async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Issue {
            store,
            name,
            vaults,
            expires_in,
        } => {
            let credentials = store.credentials.load()?;
            let db = server::open_store(&credentials, &store.data_dir()).await?;
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
                .map(parse_duration)
                .transpose()
                .map_err(|e| anyhow::anyhow!(e))?;
            let state = server::state(&credentials, db.clone(), HttpConfig::default(), None)?;
            let (token, _) = state.auth.issue(&name, vts, expires).await?;
            db.close().await;
            println!("{token}");
            Ok(())
        }
        TokenCommand::List { store } => {
            let credentials = store.credentials.load()?;
            let db = server::open_store(&credentials, &store.data_dir()).await?;
            let now = timefmt::now();
            println!(
                "{:<26}  {:<20}  {:<20}  {:<20}  {:<8}  VAULTS",
                "ID", "NAME", "ISSUED", "EXPIRES", "STATE"
            );
            for t in db.list_tokens().await? {
                let state = if t.revoked_at.is_some() {
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
        TokenCommand::Revoke { store, token } => {
            let credentials = store.credentials.load()?;
            let db = server::open_store(&credentials, &store.data_dir()).await?;
            let revoked = db.revoke_tokens(&token, timefmt::now()).await?;
            db.close().await;
            if revoked.is_empty() {
                anyhow::bail!("no active token with id or name \"{token}\"");
            }
            for jti in revoked {
                println!("revoked {jti}");
            }
            Ok(())
        }
    }
}

async fn vault(cmd: VaultCommand) -> anyhow::Result<()> {
    match cmd {
        VaultCommand::Create {
            store,
            name,
            description,
        } => {
            let credentials = store.credentials.load()?;
            let db = server::open_store(&credentials, &store.data_dir()).await?;
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
            let credentials = store.credentials.load()?;
            let db = server::open_store(&credentials, &store.data_dir()).await?;
            for v in db.list_vaults().await? {
                println!("{}  {:>6} items  {}", v.id, v.items, v.name);
            }
            db.close().await;
            Ok(())
        }
    }
}

async fn healthcheck(args: HealthcheckArgs) -> anyhow::Result<()> {
    let url = args
        .url
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/heartbeat", args.port));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("healthcheck supports http:// URLs"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), probe)
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within 5 s"))??;
    let status_line = String::from_utf8_lossy(&response);
    let ok = status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200");
    if ok {
        Ok(())
    } else {
        anyhow::bail!(
            "{url} is not healthy: {}",
            status_line.lines().next().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::names_a_path;

    #[test]
    fn op_session_paths_and_base64_are_told_apart() {
        assert!(names_a_path("/home/opuser/.op/1password-credentials.json"));
        assert!(names_a_path("./creds.json"));
        assert!(names_a_path("creds.json"));
        assert!(!names_a_path("eyJsYXRjaGtleSI6MSwi/ZGV2aWNl+VXVpZCI6"));
        assert!(!names_a_path("eyJsYXRjaGtleSI6MX0="));
    }
}
