//! The REST surface: every Connect route in one table, the middleware around them, and
//! [`app`], the `Router` that the server and the tests both use.

mod access;
pub mod error;
mod extract;
mod item_cache;
mod metrics;
mod middleware;
mod render;
mod routes;
pub mod serve;
mod state;

use axum::handler::Handler;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

pub use error::{ApiError, ApiResult};
pub use metrics::Metrics;
pub use middleware::{normalize_path, RequestMeta};
pub use state::{
    AppState, HttpConfig, API_SERVICE_NAME, DEFAULT_ITEM_CACHE_BYTES, SYNC_SERVICE_NAME,
};

use routes::{activity, files, health, items, vaults};

/// The Connect version latchkey emulates. The Go SDK refuses file calls below 1.3.0.
pub const CONNECT_VERSION: &str = "1.8.2";
pub const VERSION_HEADER: &str = "1password-connect-version";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

struct Route {
    verb: Verb,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(verb: Verb, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Route {
        verb,
        path,
        handler: on(verb.filter(), handler),
    }
}

/// Liveness, health and metrics: unauthenticated, served by both processes.
fn health_routes() -> Vec<Route> {
    use Verb::Get;
    vec![
        route(Get, "/heartbeat", health::heartbeat),
        route(Get, "/health", health::health),
        route(Get, "/metrics", health::metrics),
    ]
}

/// Every route of the API; `openapi.yaml` must describe exactly these.
fn api_routes() -> Vec<Route> {
    use Verb::{Delete, Get, Patch, Post, Put};
    const ITEMS: &str = "/v1/vaults/{vaultUuid}/items";
    const ITEM: &str = "/v1/vaults/{vaultUuid}/items/{itemUuid}";
    const FILES: &str = "/v1/vaults/{vaultUuid}/items/{itemUuid}/files";
    const FILE: &str = "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}";
    const CONTENT: &str = "/v1/vaults/{vaultUuid}/items/{itemUuid}/files/{fileUuid}/content";
    let mut routes = health_routes();
    routes.extend([
        route(Get, "/v1/activity", activity::list),
        route(Get, "/v1/vaults", vaults::list),
        route(Get, "/v1/vaults/{vaultUuid}", vaults::get_one),
        route(Get, ITEMS, items::list),
        route(Post, ITEMS, items::create),
        route(Get, ITEM, items::get_one),
        route(Put, ITEM, items::replace),
        route(Patch, ITEM, items::patch),
        route(Delete, ITEM, items::delete),
        route(Get, FILES, files::list),
        route(Get, FILE, files::get_one),
        route(Get, CONTENT, files::content),
    ]);
    routes
}

/// Every route of the API as `(method, path)`, from the same table the router is built from.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    api_routes()
        .into_iter()
        .map(|r| (r.verb.as_str(), r.path))
        .collect()
}

/// The API: every route and layer, behind path normalisation (for callers other than
/// [`serve::serve`], such as tests sending requests to it directly).
pub fn app(state: AppState) -> Router {
    normalized(routes(state))
}

/// The API's routes and layers without path normalisation, for [`serve::serve`], which
/// normalises each request itself: behind a second `Router` that only normalised, every request
/// was routed twice.
pub fn routes(state: AppState) -> Router {
    build(api_routes(), state)
}

/// The sync process's own small server: liveness, health and metrics (Connect's connect-sync),
/// without path normalisation, like [`routes`].
pub fn sync_routes(state: AppState) -> Router {
    build(health_routes(), state)
}

fn build(routes: Vec<Route>, state: AppState) -> Router {
    routes
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::around_request,
        ))
        .with_state(state)
}

/// `router` behind path normalisation: routing sees the clean path.
fn normalized(router: Router) -> Router {
    Router::new().fallback_service(tower::ServiceExt::map_request(router, normalize_path))
}
