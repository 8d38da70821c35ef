//! The server loop in place of `axum::serve`, which has no timeouts: HTTP/1.1 over hyper, plain or
//! TLS, with a header-read timeout, an idle keep-alive timeout, a request body timeout and a cap
//! on connections served at once, and a graceful shutdown that lets in-flight requests finish.
//!
//! At the cap the loop stops accepting: further connections wait in the kernel's listen queue,
//! unread and holding no descriptor of this process, and are served in turn as slots free up
//! (the timeouts above bound how long a slot can be held without a request in progress). This is
//! what Go's `netutil.LimitListener` does; refusing instead would fail a burst of clients that a
//! moment later could have been served; when the queue itself is full the kernel turns further
//! connections away.

mod body;
mod limits;
mod watch;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch as signal, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::middleware::{normalize_path, PeerIp};
pub use body::{is_body_timeout, BodyTimedOut};
pub use limits::{fit_to_fd_limit, open_file_limit, ServeLimits};
use watch::{ConnWatch, GuardedBody, WatchedIo};

/// Serves `router` on `listener` (through TLS when `tls` is given) until `shutdown` resolves,
/// then stops accepting and waits for the open connections to finish their requests. Each
/// request's path is normalised ([`normalize_path`]) before `router` sees it.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Connections hold a receiver: `closed()` on the sender resolves once they all have ended.
    let (stop, stopped) = signal::channel(false);
    tokio::pin!(shutdown);
    loop {
        // A slot first, then `accept`: past the cap, connections stay in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors, or a connection reset while queued: keep serving.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            limits,
            stop: stopped.clone(),
            _slot: slot,
        };
        tokio::spawn(connection.run(stream, tls.clone()));
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(true);
    stop.closed().await;
}

/// One accepted connection; its slot is given back when it is dropped.
struct Connection {
    router: Router,
    peer: SocketAddr,
    limits: ServeLimits,
    stop: signal::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        let _ = stream.set_nodelay(true);
        let Some(tls) = tls else {
            return self.serve(stream).await;
        };
        // The handshake is part of the request head: the header timeout bounds it too.
        let handshake = tls.accept(stream);
        let outcome = match self.limits.header_timeout {
            Some(limit) => tokio::time::timeout(limit, handshake).await.ok(),
            None => Some(handshake.await),
        };
        match outcome {
            Some(Ok(stream)) => self.serve(stream).await,
            Some(Err(err)) => {
                tracing::debug!(peer = %self.peer, error = %err, "TLS handshake failed")
            }
            None => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
        }
    }

    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let watch = ConnWatch::new(self.limits.header_timeout, self.limits.idle_timeout);
        let io = TokioIo::new(WatchedIo::new(stream, watch.clone()));
        let (router, body_timeout) = (self.router.clone(), self.limits.body_timeout);
        let peer_ip = PeerIp(Arc::from(self.peer.ip().to_string()));
        let requests = watch.clone();
        let service = hyper::service::service_fn(move |request| {
            handle(
                request,
                router.clone(),
                peer_ip.clone(),
                requests.clone(),
                body_timeout,
            )
        });
        let connection = hyper::server::conn::http1::Builder::new()
            // hyper's own header timer would also cut idle keep-alive connections; `ConnWatch`
            // keeps the two apart.
            .header_read_timeout(None)
            .serve_connection(io, service);
        tokio::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            why = watch.expired() => {
                // Dropping the connection closes it, half-read request head and all.
                tracing::debug!(peer = %self.peer, "connection closed: {why}");
                return;
            }
            () = stopping(self.stop.clone()) => {
                // Shutting down: an idle connection closes now, a busy one after its response,
                // one still sending its head at its deadline.
                connection.as_mut().graceful_shutdown();
                tokio::select! {
                    result = connection.as_mut() => result,
                    _ = watch.expired() => return,
                }
            }
        };
        if let Err(err) = result {
            tracing::debug!(peer = %self.peer, error = %err, "connection closed");
        }
    }
}

/// One request: its path normalised, its body under the body timeout, the peer address for the
/// handlers, and a response body that marks the connection idle once it has been sent.
async fn handle(
    request: hyper::Request<Incoming>,
    router: Router,
    peer_ip: PeerIp,
    watch: Arc<ConnWatch>,
    body_timeout: Option<Duration>,
) -> Result<hyper::Response<GuardedBody>, Infallible> {
    let busy = watch.request_started();
    let request = request.map(|body| Body::new(body::TimedBody::new(body, body_timeout)));
    let mut request = normalize_path(request);
    // Rendered once per connection; the only use of the address past this point, so axum's
    // `ConnectInfo` is not inserted as well (one allocation per request fewer).
    request.extensions_mut().insert(peer_ip);
    let response = router.oneshot(request).await?;
    Ok(response.map(|body| GuardedBody::new(body, busy)))
}

/// Resolves once the server loop has stopped accepting (or is gone).
async fn stopping(mut stop: signal::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
