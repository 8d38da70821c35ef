//! Around every request: path normalisation, request facts, the first-sync gate, the version
//! header, metrics and one access-log line (internal errors logged there, once).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, InternalErrorDetail};
use super::{AppState, CONNECT_VERSION, VERSION_HEADER};
use crate::activity::Requester;
use crate::ids::RequestId;

/// Facts about the request that handlers and the access log need, shared between them (in the
/// request's extensions as an `Arc<RequestMeta>`).
#[derive(Debug, Default)]
pub struct RequestMeta {
    pub requester: Requester,
    /// Filled by the auth extractor, read by the access log.
    pub jti: OnceLock<Arc<str>>,
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

pub async fn not_found() -> ApiError {
    ApiError::NotFound("Not Found".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("Method Not Allowed".into())
}

/// The peer's IP address as the activity log shows it, rendered once per connection by the
/// server loop: formatting the address on every request cost more than the rest of
/// [`requester`].
#[derive(Clone, Debug)]
pub struct PeerIp(pub Arc<str>);

fn requester(req: &Request, request_id: RequestId) -> Requester {
    const MAX_USER_AGENT: usize = 256;
    let agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // At most as many characters as bytes: a short header is kept whole without a scan.
    let user_agent = if agent.len() <= MAX_USER_AGENT {
        Arc::from(agent)
    } else {
        agent
            .chars()
            .take(MAX_USER_AGENT)
            .collect::<String>()
            .into()
    };
    // Set by the server loop; a request handed to the router directly (tests) has none.
    let ip = req
        .extensions()
        .get::<PeerIp>()
        .map(|PeerIp(ip)| ip.clone())
        .unwrap_or_default();
    Requester {
        request_id,
        user_agent,
        ip,
    }
}

/// The method as the access log shows it: a method may be any token up to the header size, so a
/// long one is clipped (with its length) rather than logged whole.
fn loggable_method(method: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 32;
    if method.len() <= MAX {
        return method.into();
    }
    let head: String = method.chars().take(MAX).collect();
    format!("{head}… ({} bytes)", method.len()).into()
}

/// Request id, version header, metrics and one access-log line per request.
pub async fn around_request(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = RequestId::new();
    let meta = Arc::new(RequestMeta {
        requester: requester(&req, request_id),
        jti: OnceLock::new(),
    });
    req.extensions_mut().insert(meta.clone());
    let gated = req.uri().path().starts_with("/v1/");

    let method = req.method().clone();
    // The route template, never the path: metrics and logs label by a closed set.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
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
        .observe(method.as_str(), route, status.as_u16(), elapsed);
    let jti = meta.jti.get().map_or("", |jti| &**jti);
    let method = loggable_method(method.as_str());
    // Plain `&str` fields: the JSON formatter takes them as they are, where `%` would format
    // each through `Display` (the access log was a quarter of a cached GET's instructions).
    let (request_id, method) = (request_id.as_str(), &*method);
    if let Some(detail) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(request_id, jti, method, route, status = status.as_u16(), error = %detail.0, "request failed");
    } else {
        tracing::info!(
            request_id,
            jti,
            method,
            route,
            status = status.as_u16(),
            micros = elapsed.as_micros() as u64,
            "request completed"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::loggable_method;

    #[test]
    fn long_methods_are_clipped_in_the_log() {
        assert_eq!(loggable_method("GET"), "GET");
        let huge = "X".repeat(65536);
        let logged = loggable_method(&huge);
        assert!(logged.len() < 64, "{logged}");
        assert!(logged.ends_with("(65536 bytes)"), "{logged}");
    }
}
