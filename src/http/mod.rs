//! The REST surface: one router with every Connect route, and the middleware around it.

mod activity;
mod extract;
mod files;
mod health;
mod items;
mod metrics;
mod render;
mod upstream;
mod vaults;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use activity::ActivityLog;
pub use metrics::Metrics;

use crate::auth::TokenAuthority;
use crate::error::{ApiError, InternalErrorDetail};
use crate::model::Limits;
use crate::store::Store;

/// The Connect version latchkey emulates. The Go SDK refuses file calls below 1.3.0.
pub const CONNECT_VERSION: &str = "1.8.2";
pub const VERSION_HEADER: &str = "1password-connect-version";

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `OP_MAX_INLINE_FILE_SIZE_KB`: files above this are not inlined (413).
    pub max_inline_file_kb: u64,
    /// Request bodies above this are refused with 413.
    pub max_body_bytes: usize,
    pub limits: Limits,
    /// `OP_SYNC_TIMEOUT`: how long an API request waits for the first sync before a 408.
    pub sync_timeout: std::time::Duration,
    /// The credentials file's source kind; with `none` the store is ready at once.
    pub source_kind: String,
    /// `name` in `/health`.
    pub service_name: &'static str,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_inline_file_kb: 100,
            max_body_bytes: 1024 * 1024,
            limits: Limits::default(),
            sync_timeout: std::time::Duration::from_secs(10),
            source_kind: "none".into(),
            service_name: API_SERVICE_NAME,
        }
    }
}

pub const API_SERVICE_NAME: &str = "1Password Connect API";
pub const SYNC_SERVICE_NAME: &str = "1Password Connect Sync";

pub struct AppInner {
    pub store: Store,
    pub auth: TokenAuthority,
    pub config: HttpConfig,
    pub activity: ActivityLog,
    pub metrics: Metrics,
    /// Set once the first sync has completed (or at once for the `none` source).
    pub sync_ready: std::sync::atomic::AtomicBool,
    /// With the `connect` source, writes go upstream first.
    pub upstream: Option<Upstream>,
}

/// The upstream of a `connect` deployment and the engine that stores what it confirms.
pub struct Upstream {
    pub server: Arc<crate::sync::sources::connect::ConnectSource>,
    pub engine: crate::sync::Engine,
}

#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, auth: TokenAuthority, config: HttpConfig) -> Self {
        let ready = config.source_kind == "none";
        AppState(Arc::new(AppInner {
            store,
            auth,
            config,
            activity: ActivityLog::default(),
            metrics: Metrics::default(),
            sync_ready: std::sync::atomic::AtomicBool::new(ready),
            upstream: None,
        }))
    }

    /// Adds the upstream that writes are forwarded to (before the state is shared).
    pub fn with_upstream(self, upstream: Upstream) -> Self {
        match Arc::try_unwrap(self.0) {
            Ok(mut inner) => {
                inner.upstream = Some(upstream);
                AppState(Arc::new(inner))
            }
            Err(shared) => AppState(shared),
        }
    }

    /// Waits (up to `OP_SYNC_TIMEOUT`) until the store holds synced account data, as Connect does
    /// before its first sync; then it is Connect's 408.
    pub async fn wait_for_sync(&self) -> Result<(), ApiError> {
        use std::sync::atomic::Ordering;
        if self.sync_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let deadline = Instant::now() + self.config.sync_timeout;
        loop {
            let synced = self
                .store
                .sync_state()
                .await
                .ok()
                .flatten()
                .is_some_and(|s| s.last_success.is_some());
            if synced {
                self.sync_ready.store(true, Ordering::Release);
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ApiError::RequestTimeout(
                    "sync timeout: account data is not available yet; the sync worker has not completed its first sync".into(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Facts about the request that handlers and the access log need.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub request_id: String,
    pub user_agent: String,
    pub ip: String,
    /// Filled by the auth extractor, read by the access log.
    pub jti: Arc<OnceLock<String>>,
}

/// Every route of the API, as `(method, path)`; `openapi.yaml` must describe exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/heartbeat"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/v1/activity"),
    ("get", "/v1/vaults"),
    ("get", "/v1/vaults/{vaultUuid}"),
    ("get", "/v1/vaults/{vaultUuid}/items"),
    ("post", "/v1/vaults/{vaultUuid}/items"),
    ("get", "/v1/vaults/{vaultUuid}/items/{itemUuid}"),
    ("put", "/v1/vaults/{vaultUuid}/items/{itemUuid}"),
    ("patch", "/v1/vaults/{vaultUuid}/items/{itemUuid}"),
    ("delete", "/v1/vaults/{vaultUuid}/items/{itemUuid}"),
    ("get", "/v1/vaults/{vaultUuid}/items/{itemUuid}/files"),
    (
        "get",
        "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}",
    ),
    (
        "get",
        "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}/content",
    ),
];

/// The router with all routes and layers. Paths are normalised by [`app`] before routing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/heartbeat", get(health::heartbeat))
        .route("/health", get(health::health))
        .route("/metrics", get(health::metrics))
        .route("/v1/activity", get(activity::list))
        .route("/v1/vaults", get(vaults::list))
        .route("/v1/vaults/{vaultUuid}", get(vaults::get_one))
        .route(
            "/v1/vaults/{vaultUuid}/items",
            get(items::list).post(items::create),
        )
        .route(
            "/v1/vaults/{vaultUuid}/items/{itemUuid}",
            get(items::get_one)
                .put(items::replace)
                .patch(items::patch)
                .delete(items::delete),
        )
        .route(
            "/v1/vaults/{vaultUuid}/items/{itemUuid}/files",
            get(files::list),
        )
        .route(
            "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}",
            get(files::get_one),
        )
        .route(
            "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}/content",
            get(files::content),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            around_request,
        ))
        .with_state(state)
}

/// The sync process's own small server: liveness, health and metrics (Connect's connect-sync).
pub fn sync_router(state: AppState) -> Router {
    Router::new()
        .route("/heartbeat", get(health::heartbeat))
        .route("/health", get(health::health))
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            around_request,
        ))
        .with_state(state)
}

/// The service to serve: the router behind path normalisation.
pub fn app(
    router: Router,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    Router::new()
        .fallback_service(tower::ServiceExt::map_request(router, normalize_path))
        .into_make_service_with_connect_info::<SocketAddr>()
}

/// Collapses repeated slashes (the Go SDK sends `//v1/…` when `OP_CONNECT_HOST` ends in `/`) and
/// drops a trailing slash (the JS SDK sends `/v1/vaults/`). Served in place, never redirected: a
/// redirect would make many clients drop the Authorization header.
pub fn normalize_path(mut req: Request) -> Request {
    let uri = req.uri();
    let path = uri.path();
    let needs = path.contains("//") || (path.len() > 1 && path.ends_with('/'));
    if !needs {
        return req;
    }
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    if let Some(query) = uri.query() {
        clean.push('?');
        clean.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = clean.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(new_uri) = Uri::from_parts(parts) {
            *req.uri_mut() = new_uri;
        }
    }
    req
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not Found".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("Method Not Allowed".into())
}

/// Request id, version header, metrics and one access-log line per request.
async fn around_request(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = crate::ids::new_uuid();
    let user_agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(256)
        .collect::<String>();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_default();
    let meta = RequestMeta {
        request_id: request_id.clone(),
        user_agent,
        ip,
        jti: Arc::new(OnceLock::new()),
    };
    let jti_slot = meta.jti.clone();
    req.extensions_mut().insert(meta);
    let gated = req.uri().path().starts_with("/v1/");

    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let mut response = if gated {
        match state.wait_for_sync().await {
            Ok(()) => next.run(req).await,
            Err(err) => err.into_response(),
        }
    } else {
        next.run(req).await
    };
    response
        .headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static(CONNECT_VERSION));
    let status = response.status();
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(method.as_str(), &route, status.as_u16(), elapsed);
    let jti = jti_slot.get().map_or("", String::as_str);
    if let Some(detail) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(request_id = %request_id, jti, method = %method, route = %route, status = status.as_u16(), error = %detail.0, "request failed");
    } else {
        tracing::info!(request_id = %request_id, jti, method = %method, route = %route, status = status.as_u16(), micros = elapsed.as_micros() as u64, "request completed");
    }
    response
}

/// A plain-text response (for `/heartbeat` and `/metrics`).
fn text(body: String, content_type: &'static str) -> Response {
    let mut response = Body::from(body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

/// The message of a serde_json error without the client's values in it: serde quotes offending
/// strings, and those may be secrets that must not reach logs or error bodies.
pub fn json_error_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    for c in text.chars() {
        if c == '"' {
            if in_quotes {
                out.push_str("\"…\"");
            }
            in_quotes = !in_quotes;
        } else if !in_quotes {
            out.push(c);
        }
    }
    out
}
