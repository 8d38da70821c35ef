//! The composition root: every server command (`serve`, `api`, `sync`, `dev`) builds its parts
//! here, from one typed [`Config`] — credentials, store, token authority, writer, HTTP state and
//! sync source — and serves them until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::TokenAuthority;
use crate::config::{Config, CredentialsConfig, Role, SourceSpec};
use crate::credentials::Credentials;
use crate::crypto::KeyRing;
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
}

/// Builds every part from `config`: the one place where the deployment is decided.
pub async fn build(config: &Config) -> anyhow::Result<Service> {
    let credentials = load_credentials(&config.credentials)?;
    let spec = match &config.source_override {
        Some(spec) => spec.clone(),
        None => SourceSpec::from_json(&credentials.source)?,
    };
    let store = open_store(&credentials, &config.data_dir).await?;
    let http_config = HttpConfig {
        max_inline_file_kb: config.http.max_inline_file_kb,
        max_body_bytes: config.http.max_body_bytes,
        sync_timeout: config.http.sync_timeout,
        max_activity_pending: config.max_activity_pending,
        source_kind: spec.kind(),
        service_name: if config.role == Role::Sync {
            SYNC_SERVICE_NAME
        } else {
            API_SERVICE_NAME
        },
        ..HttpConfig::default()
    };
    // `dev` gates nothing: its first sync completes before it answers.
    let http_config = if config.role == Role::Dev {
        HttpConfig {
            source_kind: crate::config::SourceKind::None,
            ..http_config
        }
    } else {
        http_config
    };
    let writer = writer(&credentials, &store, &spec)?;
    let auth = TokenAuthority::new(&credentials, store.clone(), config.dev_token.clone())?;
    let state = AppState::new(store.clone(), auth, writer, http_config);
    let source = if config.role == Role::Api {
        None
    } else {
        crate::sync::build_source(&spec, store.keys(), &config.source_limits)?
    };
    Ok(Service {
        credentials,
        store,
        state,
        source,
    })
}

/// Reads the credentials file, with a hint when the path does not exist.
pub fn load_credentials(config: &CredentialsConfig) -> anyhow::Result<Credentials> {
    let location = &config.location;
    if names_a_path(location) && !Path::new(location).exists() {
        anyhow::bail!("no credentials file at {location}; create one with `latchkey init`");
    }
    let passphrase = config.passphrase.as_ref().map(|p| p.as_str());
    Credentials::load(location, passphrase).map_err(|e| anyhow::anyhow!("{e}"))
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
) -> anyhow::Result<ItemWriter> {
    let editor = credentials.server_id.clone();
    Ok(match spec {
        SourceSpec::Connect { url, token } => {
            let upstream = Arc::new(ConnectSource::new(url, token)?);
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
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(listener, state.clone(), http::app(state), shutdown).await
}

/// Like [`serve`], with the router given (the sync process serves only its health routes).
pub async fn serve_router(
    listener: TcpListener,
    state: AppState,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let flusher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(err) = state.activity.flush(&state.store).await {
                    tracing::warn!(error = %err, "could not write the activity log");
                }
            }
        })
    };
    let result = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    flusher.abort();
    if let Err(err) = state.activity.flush(&state.store).await {
        tracing::warn!(error = %err, "could not write the activity log at shutdown");
    }
    state.store.close().await;
    result.map_err(Into::into)
}

pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves `router` over TLS until `shutdown` (alongside the plain HTTP listener).
pub async fn serve_tls(
    listener: crate::tls::TlsListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    axum::serve(
        listener.tap_io(|_| {}),
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(Into::into)
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
