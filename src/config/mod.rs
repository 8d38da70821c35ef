//! The typed configuration (docs/design.md §2): every setting read once, from flags and the environment
//! (`args.rs`), into the [`Config`] that the composition root builds the service from.

pub mod args;
mod duration;
mod limits;
mod source;
mod upstream;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use duration::parse_duration;
pub use limits::{size_text, SourceLimits, ARCHIVE_RATIO_FLOOR};
pub use source::{SourceKind, SourceSpec};
pub use upstream::UpstreamLimits;

use args::{CredentialArgs, DevArgs, HttpArgs, LimitArgs, ServeArgs, StoreArgs};

/// How far a token's `iat`/`nbf` may be ahead of the clock, unless configured (`dev` uses it).
pub const DEFAULT_TOKEN_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Which processes' parts to run (docs/design.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `latchkey serve`: the API and the sync worker in one process.
    Both,
    /// `latchkey api`: Connect's `connect-api` container.
    Api,
    /// `latchkey sync`: Connect's `connect-sync` container (health routes only).
    Sync,
    /// `latchkey dev`: API and worker, a known token, developer defaults (docs/design.md §7).
    Dev,
}

/// Where the credentials file is and how to open it.
#[derive(Clone)]
pub struct CredentialsConfig {
    /// A path, or the file's base64 content (`OP_SESSION`).
    pub location: String,
    /// For a sealed file.
    pub passphrase: Option<zeroize::Zeroizing<String>>,
}

/// Never prints the passphrase (nor base64 credentials).
impl std::fmt::Debug for CredentialsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsConfig")
            .field("passphrase", &self.passphrase.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// Settings of the HTTP listeners and of the API.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub bind: IpAddr,
    pub port: u16,
    pub https_port: u16,
    /// Certificate chain and key for HTTPS; HTTPS is off without them.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub max_inline_file_kb: u64,
    pub max_body_bytes: usize,
    /// `LATCHKEY_MAX_PATCH_OPS`.
    pub max_patch_ops: usize,
    /// `OP_SYNC_TIMEOUT`.
    pub sync_timeout: Duration,
    /// `LATCHKEY_HEADER_TIMEOUT`; `None` when set to 0.
    pub header_timeout: Option<Duration>,
    /// `LATCHKEY_IDLE_TIMEOUT`; `None` when set to 0.
    pub idle_timeout: Option<Duration>,
    /// `LATCHKEY_BODY_TIMEOUT`; `None` when set to 0.
    pub body_timeout: Option<Duration>,
    /// `LATCHKEY_MAX_CONNECTIONS`, as configured (the server fits it under the open-file limit).
    pub max_connections: usize,
    /// `LATCHKEY_ITEM_CACHE_MB`, in bytes.
    pub item_cache_bytes: usize,
}

/// Everything a server command needs, read once.
#[derive(Clone, Debug)]
pub struct Config {
    pub role: Role,
    pub credentials: CredentialsConfig,
    pub data_dir: PathBuf,
    pub http: HttpSettings,
    /// Longest pause between sync runs (file sources are also watched).
    pub sync_interval: Duration,
    /// What a `connect` source accepts from its upstream.
    pub upstream: UpstreamLimits,
    pub log_level: String,
    /// Connect's bus settings were given (latchkey ignores them, and says so once).
    pub bus_configured: bool,
    /// `latchkey dev --seed`: this source instead of the credentials file's.
    pub source_override: Option<SourceSpec>,
    /// `latchkey dev --token`: a fixed full-access token.
    pub dev_token: Option<String>,
    /// How far in the future a token's `iat` and `nbf` may be.
    pub token_clock_skew: Duration,
    /// What one import of a seed or 1PUX file may read and hold.
    pub source_limits: SourceLimits,
    /// `LATCHKEY_MAX_ACTIVITY_PENDING`.
    pub max_activity_pending: usize,
}

impl Config {
    /// `serve`, `api` and `sync`.
    pub fn from_serve_args(args: &ServeArgs, role: Role) -> anyhow::Result<Config> {
        let sync_timeout = parse_duration(&args.sync_timeout)
            .map_err(|e| anyhow::anyhow!("OP_SYNC_TIMEOUT: {e}"))?;
        let sync_interval = parse_duration(&args.sync_interval)
            .map_err(|e| anyhow::anyhow!("LATCHKEY_SYNC_INTERVAL: {e}"))?;
        let token_clock_skew = parse_duration(&args.token_clock_skew)
            .map_err(|e| anyhow::anyhow!("LATCHKEY_TOKEN_CLOCK_SKEW: {e}"))?;
        let tls = match (&args.tls_cert_file, &args.tls_key_file) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => anyhow::bail!("HTTPS needs both OP_TLS_CERT_FILE and OP_TLS_KEY_FILE"),
        };
        Ok(Config {
            role,
            credentials: credentials_config(&args.store.credentials)?,
            data_dir: data_dir(&args.store),
            http: http_settings(&args.http, args.bind, args.https_port, tls, sync_timeout)?,
            sync_interval,
            upstream: UpstreamLimits::from_mb(args.upstream_max_json_mb, args.upstream_max_file_mb),
            log_level: args.http.log_level.clone(),
            bus_configured: args.bus_port.is_some() || args.bus_peers.is_some(),
            source_override: None,
            dev_token: None,
            token_clock_skew,
            source_limits: source_limits(&args.limits),
            max_activity_pending: args.limits.max_activity_pending,
        })
    }

    /// `dev`: the store (and its credentials file) in `data_dir`, a seed file as the source.
    pub fn for_dev(args: &DevArgs, data_dir: &Path) -> anyhow::Result<Config> {
        Ok(Config {
            role: Role::Dev,
            credentials: CredentialsConfig {
                location: dev_credentials_path(data_dir).display().to_string(),
                passphrase: None,
            },
            data_dir: data_dir.join("data"),
            http: http_settings(&args.http, args.bind, 0, None, Duration::from_secs(10))?,
            sync_interval: Duration::from_secs(30),
            upstream: UpstreamLimits::default(),
            log_level: args.http.log_level.clone(),
            bus_configured: false,
            source_override: args.seed.clone().map(|path| SourceSpec::Seed { path }),
            dev_token: args.token.clone(),
            token_clock_skew: DEFAULT_TOKEN_CLOCK_SKEW,
            source_limits: source_limits(&args.limits),
            max_activity_pending: args.limits.max_activity_pending,
        })
    }
}

/// Where `latchkey dev` keeps (or creates) its credentials file.
pub fn dev_credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials.json")
}

fn http_settings(
    http: &HttpArgs,
    bind: IpAddr,
    https_port: u16,
    tls: Option<(PathBuf, PathBuf)>,
    sync_timeout: Duration,
) -> anyhow::Result<HttpSettings> {
    Ok(HttpSettings {
        bind,
        port: http.port,
        https_port,
        tls,
        max_inline_file_kb: http.max_inline_file_kb,
        max_body_bytes: http.max_body_kb.saturating_mul(1024),
        max_patch_ops: http.max_patch_ops,
        sync_timeout,
        header_timeout: timeout("LATCHKEY_HEADER_TIMEOUT", &http.header_timeout)?,
        idle_timeout: timeout("LATCHKEY_IDLE_TIMEOUT", &http.idle_timeout)?,
        body_timeout: timeout("LATCHKEY_BODY_TIMEOUT", &http.body_timeout)?,
        max_connections: usize::try_from(http.max_connections).unwrap_or(usize::MAX),
        item_cache_bytes: http.item_cache_mb.saturating_mul(1 << 20),
    })
}

/// A connection timeout: a Go duration, where zero means no limit (as in Go's net/http).
fn timeout(name: &str, text: &str) -> anyhow::Result<Option<Duration>> {
    let limit = parse_duration(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(Some(limit).filter(|l| !l.is_zero()))
}

fn source_limits(args: &LimitArgs) -> SourceLimits {
    SourceLimits::from_mib(
        args.max_source_data_mb,
        args.max_source_file_mb,
        args.max_source_files_mb,
        args.max_archive_ratio,
    )
}

/// The credentials location of `--credentials` / `OP_SESSION` (or Connect's default path), and
/// the passphrase of a sealed file.
pub fn credentials_config(args: &CredentialArgs) -> anyhow::Result<CredentialsConfig> {
    Ok(CredentialsConfig {
        location: args
            .credentials
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| default_credentials_path().display().to_string()),
        passphrase: passphrase(args.passphrase_file.as_deref())?.map(zeroize::Zeroizing::new),
    })
}

/// `--data-dir` / `LATCHKEY_DATA_DIR`, or Connect's data volume layout.
pub fn data_dir(args: &StoreArgs) -> PathBuf {
    args.data_dir.clone().unwrap_or_else(default_data_dir)
}

/// The upstream token for `init --source connect:URL`: the first line of a file, else
/// `LATCHKEY_SOURCE_TOKEN`.
pub fn source_token(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    match file {
        Some(file) => Ok(Some(
            std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string(),
        )),
        None => Ok(std::env::var("LATCHKEY_SOURCE_TOKEN").ok()),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// `OP_SESSION`'s default: `$HOME/.op/1password-credentials.json`.
pub fn default_credentials_path() -> PathBuf {
    home().join(".op").join("1password-credentials.json")
}

/// `$XDG_DATA_HOME/.op/data`, else `$HOME/.op/data` (Connect's data volume layout).
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map_or_else(home, PathBuf::from)
        .join(".op")
        .join("data")
}

/// The passphrase for a sealed credentials file: `LATCHKEY_PASSPHRASE`, else the first line of
/// the file named by `--passphrase-file` / `LATCHKEY_PASSPHRASE_FILE`.
pub fn passphrase(file: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read passphrase file {}: {e}", file.display()))?;
        let line = text.lines().next().unwrap_or("").to_string();
        if line.is_empty() {
            anyhow::bail!("passphrase file {} is empty", file.display());
        }
        return Ok(Some(line));
    }
    Ok(std::env::var("LATCHKEY_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::timeout;
    use std::time::Duration;

    #[test]
    fn connection_timeouts_parse_and_zero_turns_them_off() {
        assert_eq!(
            timeout("LATCHKEY_IDLE_TIMEOUT", "120s").unwrap(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            timeout("LATCHKEY_HEADER_TIMEOUT", "300ms").unwrap(),
            Some(Duration::from_millis(300))
        );
        assert_eq!(timeout("LATCHKEY_BODY_TIMEOUT", "0").unwrap(), None);
        assert_eq!(timeout("LATCHKEY_BODY_TIMEOUT", "0s").unwrap(), None);
        let err = timeout("LATCHKEY_BODY_TIMEOUT", "soon").unwrap_err();
        assert!(
            err.to_string().starts_with("LATCHKEY_BODY_TIMEOUT: "),
            "{err}"
        );
    }
}
