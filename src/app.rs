//! The composition root: every server command (`serve`, `api`, `sync`, `dev`) builds its parts
//! here, from one typed [`Config`] — credentials, store, token authority, writer, HTTP state and
//! sync source — and serves them until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::revocations::{spawn_watch, FileVersion, Watch, POLL_INTERVAL};
use crate::auth::TokenAuthority;
use crate::config::{Config, CredentialsConfig, HttpSettings, Role, SourceSpec, UpstreamLimits};
use crate::credentials::Credentials;
use crate::crypto::KeyRing;
use crate::http::serve::ServeLimits;
use crate::http::{self, AppState, HttpConfig, API_SERVICE_NAME, SYNC_SERVICE_NAME};
use crate::store::Store;
use crate::sync::forward::Forwarder;
use crate::sync::source::Source;
use crate::sync::sources::connect::ConnectSource;
use crate::writes::ItemWriter;

/// The parts of a running latchkey.
pub struct Service {
    pub credentials: Credentials,
    pub store: Store,
    pub state: AppState,
    /// What the sync worker reads; `None` when the store is the source of truth.
    pub source: Option<Arc<dyn Source>>,
    /// Timeouts and the connection cap of the HTTP and HTTPS listeners.
    pub limits: ServeLimits,
}

/// Builds every part from `config`: the one place where the deployment is decided.
pub async fn build(config: &Config) -> anyhow::Result<Service> {
    // Taken before reading, so that a change made while reading is seen.
    let seen = FileVersion::of(Path::new(&config.credentials.location));
    let credentials = load_credentials(&config.credentials)?;
    let spec = match &config.source_override {
        Some(spec) => spec.clone(),
        None => SourceSpec::from_json(&credentials.source)?,
    };
    let store = open_store(&credentials, &config.data_dir).await?;
    let mut http_config = HttpConfig {
        max_inline_file_kb: config.http.max_inline_file_kb,
        max_body_bytes: config.http.max_body_bytes,
        sync_timeout: config.http.sync_timeout,
        max_activity_pending: config.max_activity_pending,
        item_cache_bytes: config.http.item_cache_bytes,
        source_kind: spec.kind(),
        service_name: if config.role == Role::Sync {
            SYNC_SERVICE_NAME
        } else {
            API_SERVICE_NAME
        },
        ..HttpConfig::default()
    };
    http_config.limits.max_patch_ops = config.http.max_patch_ops;
    // `dev` gates nothing: its first sync completes before it answers.
    let http_config = if config.role == Role::Dev {
        HttpConfig {
            source_kind: crate::config::SourceKind::None,
            ..http_config
        }
    } else {
        http_config
    };
    let writer = writer(&credentials, &store, &spec, config.upstream)?;
    let auth = TokenAuthority::new(&credentials, store.clone(), config.dev_token.clone())?
        .with_clock_skew(config.token_clock_skew);
    if config.role != Role::Sync {
        watch_revocations(config, &credentials, &auth, seen);
    }
    let state = AppState::new(store.clone(), auth, writer, http_config);
    let source = if config.role == Role::Api {
        None
    } else {
        crate::sync::build_source(&spec, store.keys(), config.upstream, &config.source_limits)?
    };
    Ok(Service {
        credentials,
        store,
        state,
        source,
        limits: serve_limits(&config.http),
    })
}

/// Keeps the token authority's revocation list in step with the credentials file (when
/// `OP_SESSION` names a file: its base64 cannot change while the process runs).
fn watch_revocations(
    config: &Config,
    credentials: &Credentials,
    auth: &TokenAuthority,
    seen: Option<FileVersion>,
) {
    let path = Path::new(&config.credentials.location);
    if !path.is_file() {
        tracing::info!("OP_SESSION holds the credentials themselves: tokens revoked after this start are refused only once OP_SESSION carries the new list and latchkey restarts");
        return;
    }
    let watch = Watch {
        path: path.to_path_buf(),
        passphrase: config.credentials.passphrase.clone(),
        server_id: credentials.server_id.clone(),
        signing_key_id: credentials.signing_key_id.clone(),
        interval: POLL_INTERVAL,
    };
    spawn_watch(auth.revocations(), watch, seen);
}

/// The server loop's limits, with the connection cap fitted under the process's open-file limit
/// (said once when that lowers it: connections must not take the store's descriptors).
pub fn serve_limits(http: &HttpSettings) -> ServeLimits {
    let fd_limit = http::serve::open_file_limit();
    let max_connections = http::serve::fit_to_fd_limit(http.max_connections, fd_limit);
    if max_connections < http.max_connections {
        tracing::warn!(
            configured = http.max_connections,
            serving = max_connections,
            open_file_limit = fd_limit,
            "LATCHKEY_MAX_CONNECTIONS is above what the open-file limit allows; lowered (raise the limit with ulimit -n)"
        );
    }
    ServeLimits {
        header_timeout: http.header_timeout,
        idle_timeout: http.idle_timeout,
        body_timeout: http.body_timeout,
        max_connections,
    }
}

/// Reads the credentials file, with a hint when the path does not exist.
pub fn load_credentials(config: &CredentialsConfig) -> anyhow::Result<Credentials> {
    let location = &config.location;
    if names_a_path(location) && !Path::new(location).exists() {
        anyhow::bail!("no credentials file at {location}; create one with `latchkey init`");
    }
    let passphrase = config.passphrase.as_ref().map(|p| p.as_str());
    Credentials::load(location, passphrase).map_err(
        |e| match Credentials::interrupted_update_backup(Path::new(location)) {
            Some(backup) => anyhow::anyhow!(
                "{e} (a `latchkey token revoke` was writing the file, or was interrupted: if the \
                 file stays unreadable, restore it from {})",
                backup.display()
            ),
            None => anyhow::anyhow!("{e}"),
        },
    )
}

/// Whether an `OP_SESSION` value reads as a file path rather than the file's base64 (base64 may
/// contain '/' too, but never starts with one or ends in `.json`: JSON's base64 starts with "ey").
pub fn names_a_path(value: &str) -> bool {
    value.starts_with('/')
        || value.starts_with('.')
        || value.starts_with('~')
        || value.ends_with(".json")
}

/// Where API writes go: upstream first with a `connect` source, else the local store.
fn writer(
    credentials: &Credentials,
    store: &Store,
    spec: &SourceSpec,
    limits: UpstreamLimits,
) -> anyhow::Result<ItemWriter> {
    let editor = credentials.server_id.clone();
    Ok(match spec {
        SourceSpec::Connect { url, token } => {
            let upstream = Arc::new(ConnectSource::new(url, token, limits)?);
            ItemWriter::Upstream {
                store: store.clone(),
                forwarder: Arc::new(Forwarder::new(store.clone(), upstream, editor)),
            }
        }
        _ => ItemWriter::Local {
            store: store.clone(),
            editor,
        },
    })
}

/// Opens the store of `data_dir` with the keys of `credentials`.
pub async fn open_store(credentials: &Credentials, data_dir: &Path) -> anyhow::Result<Store> {
    let keys = Arc::new(KeyRing::derive(&credentials.root_key));
    Ok(Store::open(data_dir, keys).await?)
}

/// The API state over a local store (the `none` source): for commands that issue tokens and for
/// tests.
pub fn state(
    credentials: &Credentials,
    store: Store,
    config: HttpConfig,
    dev_token: Option<String>,
) -> anyhow::Result<AppState> {
    let auth = TokenAuthority::new(credentials, store.clone(), dev_token)?;
    let writer = ItemWriter::Local {
        store: store.clone(),
        editor: credentials.server_id.clone(),
    };
    Ok(AppState::new(store, auth, writer, config))
}

/// Serves the API of `state` on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish and writes the buffered activity log.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(
        listener,
        state.clone(),
        http::routes(state),
        limits,
        shutdown,
    )
    .await
}

/// Like [`serve`], with the router given (the sync process serves only its health routes).
pub async fn serve_router(
    listener: TcpListener,
    state: AppState,
    router: axum::Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let flusher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                // Each second, or sooner when entries pile up (a bounded buffer under load).
                tokio::select! {
                    _ = tick.tick() => {}
                    () = state.activity.flush_wanted() => {}
                }
                if let Err(err) = state.activity.flush(&state.store).await {
                    tracing::warn!(error = %err, "could not write the activity log");
                }
            }
        })
    };
    http::serve::serve(listener, None, router, limits, shutdown).await;
    flusher.abort();
    if let Err(err) = state.activity.flush(&state.store).await {
        tracing::warn!(error = %err, "could not write the activity log at shutdown");
    }
    state.store.close().await;
    Ok(())
}

pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves `router` over TLS until `shutdown` (alongside the plain HTTP listener).
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: axum::Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    http::serve::serve(listener, Some(acceptor), router, limits, shutdown).await;
    Ok(())
}

/// A shutdown signal that several tasks can wait on.
pub fn shutdown_channel() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::shutdown::signal().await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves once the shutdown signal has been sent.
pub async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
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
