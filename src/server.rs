//! Running the API: open the store, build the state, serve until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::TokenAuthority;
use crate::credentials::Credentials;
use crate::crypto::KeyRing;
use crate::http::{self, AppState, HttpConfig};
use crate::store::Store;

/// Opens the store of `data_dir` with the keys of `credentials`.
pub async fn open_store(credentials: &Credentials, data_dir: &Path) -> anyhow::Result<Store> {
    let keys = Arc::new(KeyRing::derive(&credentials.root_key));
    Ok(Store::open(data_dir, keys).await?)
}

pub fn state(
    credentials: &Credentials,
    store: Store,
    config: HttpConfig,
    dev_token: Option<String>,
) -> anyhow::Result<AppState> {
    let auth = TokenAuthority::new(credentials, store.clone(), dev_token)?;
    Ok(AppState::new(store, auth, config))
}

/// Serves `state` on `listener` until `shutdown` resolves, then lets in-flight requests finish and
/// writes the buffered activity log.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(listener, state.clone(), http::router(state), shutdown).await
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
    let result = axum::serve(listener, http::app(router))
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
    axum::serve(listener.tap_io(|_| {}), http::app(router))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(Into::into)
}
