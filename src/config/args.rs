//! The command-line flags and the environment variables behind them: every setting latchkey
//! reads from its environment is declared here (Connect's names where Connect has the setting).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct CredentialArgs {
    /// Credentials file path, or its base64 content [default: $HOME/.op/1password-credentials.json]
    #[arg(long = "credentials", env = "OP_SESSION")]
    pub credentials: Option<String>,
    /// File whose first line is the passphrase of a sealed credentials file (or set LATCHKEY_PASSPHRASE)
    #[arg(long, env = "LATCHKEY_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Data directory holding 1password.sqlite [default: $XDG_DATA_HOME/.op/data or $HOME/.op/data]
    #[arg(long, env = "LATCHKEY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
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
    /// Most operations accepted in one PATCH body (a larger one is a 400)
    #[arg(long, env = "LATCHKEY_MAX_PATCH_OPS", default_value_t = 1000)]
    pub max_patch_ops: usize,
    /// How long a client may take to send a request head, from connecting or from the first
    /// byte of a next request; also bounds the TLS handshake (Go duration; 0: no limit)
    #[arg(long, env = "LATCHKEY_HEADER_TIMEOUT", default_value = "10s")]
    pub header_timeout: String,
    /// How long a keep-alive connection may wait for its next request (Go duration; 0: no limit)
    #[arg(long, env = "LATCHKEY_IDLE_TIMEOUT", default_value = "120s")]
    pub idle_timeout: String,
    /// How long a client may take to send a request body, from its head (Go duration; 0: no limit)
    #[arg(long, env = "LATCHKEY_BODY_TIMEOUT", default_value = "60s")]
    pub body_timeout: String,
    /// Connections served at once; more wait, unread, in the listen queue (lowered to fit the
    /// open-file limit)
    #[arg(long, env = "LATCHKEY_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Rendered items kept in memory for repeated reads, in MiB (0: no cache)
    #[arg(long, env = "LATCHKEY_ITEM_CACHE_MB", default_value_t = 16)]
    pub item_cache_mb: usize,
    /// Log level of latchkey's own messages (error, warn, info, debug, trace)
    #[arg(long, env = "OP_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// Bounds on file sources and on the activity buffer (README, Configuration).
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest seed file, and largest 1PUX export.data once inflated, in MiB
    #[arg(long, env = "LATCHKEY_MAX_SOURCE_DATA_MB", default_value_t = 512)]
    pub max_source_data_mb: u64,
    /// Largest single document or attachment of a seed or 1PUX source, in MiB
    #[arg(long, env = "LATCHKEY_MAX_SOURCE_FILE_MB", default_value_t = 128)]
    pub max_source_file_mb: u64,
    /// All documents and attachments of one seed or 1PUX import together, in MiB
    #[arg(long, env = "LATCHKEY_MAX_SOURCE_FILES_MB", default_value_t = 512)]
    pub max_source_files_mb: u64,
    /// A 1PUX entry may inflate to at most this many times its compressed size (beyond 1 MiB)
    #[arg(long, env = "LATCHKEY_MAX_ARCHIVE_RATIO", default_value_t = 100)]
    pub max_archive_ratio: u64,
    /// Activity entries held while the database refuses writes; the oldest beyond are dropped
    #[arg(long, env = "LATCHKEY_MAX_ACTIVITY_PENDING", default_value_t = 50_000)]
    pub max_activity_pending: usize,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
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
    /// How far ahead of this host's clock a token's iat and nbf may be
    #[arg(long, env = "LATCHKEY_TOKEN_CLOCK_SKEW", default_value = "60s")]
    pub token_clock_skew: String,
    /// Largest JSON answer (vault list, item list, item) taken from a `connect` source's
    /// upstream, in MiB
    #[arg(long, env = "LATCHKEY_UPSTREAM_MAX_JSON_MB", default_value_t = super::upstream::DEFAULT_MAX_JSON_MB,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub upstream_max_json_mb: u64,
    /// Most file content taken from a `connect` source's upstream for one item (one file, or all
    /// of its files together), in MiB
    #[arg(long, env = "LATCHKEY_UPSTREAM_MAX_FILE_MB", default_value_t = super::upstream::DEFAULT_MAX_FILE_MB,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub upstream_max_file_mb: u64,
    /// Connect's bus between its processes; latchkey's share the database instead (ignored)
    #[arg(long, env = "OP_BUS_PORT", hide = true)]
    pub bus_port: Option<String>,
    /// Connect's bus peers (ignored, as OP_BUS_PORT)
    #[arg(long, env = "OP_BUS_PEERS", hide = true)]
    pub bus_peers: Option<String>,
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
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// URL to probe [default: http://127.0.0.1:$OP_HTTP_PORT/heartbeat]
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, env = "OP_HTTP_PORT", default_value_t = 8080)]
    pub port: u16,
}

/// Where `latchkey read`, `inject` and `run` resolve secret references: any Connect server.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// URL of the Connect server (latchkey or 1Password's Connect), e.g. http://127.0.0.1:8080
    #[arg(long = "connect-host", env = "OP_CONNECT_HOST")]
    pub host: Option<String>,
    /// Access token for it (prefer the environment variable: arguments show in `ps`)
    #[arg(
        long = "connect-token",
        env = "OP_CONNECT_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Most requests in flight at once while resolving
    #[arg(long, env = "LATCHKEY_CONNECT_CONCURRENCY", default_value_t = 8)]
    pub connect_concurrency: usize,
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// The secret reference, e.g. op://vault/item/[section/]field[?attribute=otp]
    pub reference: String,
    /// Do not print a newline after the value
    #[arg(short, long)]
    pub no_newline: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct InjectArgs {
    /// Template to read [default: stdin]
    #[arg(short, long)]
    pub in_file: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Where `read` and `inject` write: stdout, or a private file.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Write to this file (mode 0600) instead of stdout
    #[arg(short, long)]
    pub out_file: Option<PathBuf>,
    /// Replace the --out-file if it exists
    #[arg(short, long)]
    pub force: bool,
    /// Permissions of the --out-file, in octal (as `op`'s --file-mode)
    #[arg(long, default_value = "0600", value_parser = parse_file_mode)]
    pub file_mode: u32,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Read environment variables from this file too (repeatable; later files win, and env
    /// files win over the environment)
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    /// Do not conceal secret values in the command's stdout and stderr
    #[arg(long)]
    pub no_masking: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true)]
    pub command: Vec<std::ffi::OsString>,
}

/// An octal permission mode such as `0600` or `640`, at most `0777`.
fn parse_file_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text.trim(), 8)
        .ok()
        .filter(|mode| *mode <= 0o777)
        .ok_or_else(|| format!("{text:?} is not an octal mode such as 0600"))
}
