//! The header-read and idle keep-alive timeouts of one connection. hyper's own header timer
//! starts when a connection goes idle, so it cannot tell an idle keep-alive connection (which may
//! wait long) from a client that is slowly sending headers (which may not), and it only fires
//! while hyper is reading. This watch keeps the connection's phase from its reads and requests,
//! and its watchdog ([`ConnWatch::expired`]) resolves once the phase's deadline has passed: the
//! server loop then drops the connection, whatever hyper is waiting for.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Where a connection is between requests, as Go's net/http splits it.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for the rest of a request head since this instant (a new connection starts here,
    /// like Go's, where `ReadHeaderTimeout` also bounds the first request's wait).
    Head(Instant),
    /// A response was sent at this instant; no byte of the next request has come yet.
    Idle(Instant),
    /// A request is being handled: the body timeout and the handler bound it, not this watch.
    Busy,
}

/// The phase of one connection, shared by its reads, the requests it carries and its watchdog.
///
/// Changing phase tells nobody (no wake-up per request): the watchdog never sleeps past the
/// shortest timeout from when it armed, and a phase entered later has no earlier deadline than
/// that, so it looks again in time for any deadline.
pub struct ConnWatch {
    phase: Mutex<Phase>,
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
}

impl ConnWatch {
    pub fn new(header_timeout: Option<Duration>, idle_timeout: Option<Duration>) -> Arc<Self> {
        Arc::new(ConnWatch {
            phase: Mutex::new(Phase::Head(Instant::now())),
            header_timeout,
            idle_timeout,
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.phase() = phase;
    }

    /// Bytes arrived: on an idle connection they start the next request's header clock (once;
    /// more bytes never extend it).
    fn on_read(&self) {
        let mut phase = self.phase();
        if matches!(*phase, Phase::Idle(_)) {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// A request head was read; the connection is busy until the returned guard is dropped
    /// (with the response body, once hyper has written it).
    pub fn request_started(self: &Arc<Self>) -> BusyGuard {
        self.set(Phase::Busy);
        BusyGuard(self.clone())
    }

    /// When the connection must be closed if its phase does not change, if ever.
    fn deadline(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Head(since) => self.header_timeout.map(|t| since + t),
            Phase::Idle(since) => self.idle_timeout.map(|t| since + t),
            Phase::Busy => None,
        }
    }

    /// Resolves once the connection has waited longer than its phase allows; the caller then
    /// drops (closes) it. Never resolves while a request is in progress.
    pub async fn expired(&self) -> &'static str {
        let Some(shortest) = [self.header_timeout, self.idle_timeout]
            .into_iter()
            .flatten()
            .min()
        else {
            return std::future::pending().await;
        };
        loop {
            let now = Instant::now();
            match self.deadline() {
                Some(deadline) if deadline <= now => break,
                Some(deadline) => tokio::time::sleep_until(deadline.min(now + shortest)).await,
                None => tokio::time::sleep_until(now + shortest).await,
            }
        }
        match *self.phase() {
            Phase::Idle(_) => "idle timeout",
            _ => "header timeout",
        }
    }
}

/// Marks the end of a request when dropped: the connection is idle from then on.
pub struct BusyGuard(Arc<ConnWatch>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.set(Phase::Idle(Instant::now()));
    }
}

/// A response body that ends its request's busy phase when hyper drops it (written or not).
pub struct GuardedBody {
    inner: Body,
    _busy: BusyGuard,
}

impl GuardedBody {
    pub fn new(inner: Body, busy: BusyGuard) -> Self {
        GuardedBody { inner, _busy: busy }
    }
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection's stream that tells its watch when bytes arrive.
pub struct WatchedIo<S> {
    inner: S,
    watch: Arc<ConnWatch>,
}

impl<S> WatchedIo<S> {
    pub fn new(inner: S, watch: Arc<ConnWatch>) -> Self {
        WatchedIo { inner, watch }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.watch.on_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
