//! The HTTP surface: routes, middleware and the handlers that are not GraphQL.

pub mod cache;
mod client;
mod feeds;
mod graphiql;
mod graphql;
mod health;
mod ninjs;
pub mod persisted;
mod request_id;
pub mod shutdown;
mod sitemaps;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TokenService;
use crate::domain::pipeline::Pipeline;
use crate::domain::site::Site;
use crate::graphql::Api;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub api: Api,
    pub tokens: Arc<TokenService>,
    /// Where every committed write announces what it changed.
    pub pipeline: Arc<Pipeline>,
    /// The publication's public site, where every link handed out points.
    pub site: Arc<Site>,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<cache::ResponseCache>,
    pub persisted: Arc<persisted::PersistedQueries>,
    pub shutdown: shutdown::Shutdown,
}

pub struct HttpLimits {
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub bench_routes: bool,
    /// Origins browsers may call from; `*` for any.
    pub cors_origins: Vec<String>,
}

pub fn router(state: AppState, limits: HttpLimits) -> Router {
    let metrics = state.metrics.clone();
    let mut routes = Router::new();
    if limits.bench_routes {
        routes = routes.route("/bench/ceiling/{bytes}", get(health::ceiling));
    }
    routes
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{name}", get(graphiql::asset))
        .route("/schema.graphql", get(graphql::sdl))
        .route("/ninjs/articles/{id}", get(ninjs::article))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/feeds/rss.xml", get(feeds::rss))
        .route("/feeds/atom.xml", get(feeds::atom))
        .route("/feeds/feed.json", get(feeds::json))
        .route("/sitemap.xml", get(sitemaps::index))
        .route("/sitemaps/{name}", get(sitemaps::file))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(Arc::new(limits.trusted_proxies), client::find_address))
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout))
        .layer(axum::middleware::from_fn_with_state(
            graphql::HttpRefusals { body_limit: limits.body_limit, request_timeout: limits.request_timeout, metrics },
            graphql::refusals_as_graphql,
        ))
        .layer(CompressionLayer::new())
        // Outside the compression, to see what it did.
        .layer(axum::middleware::from_fn(cache::mark_encoding))
        .layer(cors(&limits.cors_origins))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_request(())
                .on_response(request_id::answered),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_id::NewRequestId))
        .layer(MapRequestLayer::new(request_id::drop_unusable))
}

/// Cross-origin calls from browsers: GET and POST from the allowed origins, with any
/// request header (a preflight is answered for an hour). Answers vary by `Origin` only
/// when the allowed origin depends on it, so that with every origin allowed a CDN keeps
/// one copy of an answer, not one per site; a preflight's allowed headers are those it
/// asked for.
fn cors(origins: &[String]) -> CorsLayer {
    let any = origins.iter().any(|origin| origin == "*");
    let (allow_origin, vary) = if any {
        (AllowOrigin::any(), vec![header::ACCESS_CONTROL_REQUEST_HEADERS])
    } else {
        let listed = origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok());
        (AllowOrigin::list(listed), vec![header::ORIGIN, header::ACCESS_CONTROL_REQUEST_HEADERS])
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .vary(vary)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::ETAG, HeaderName::from_static(request_id::HEADER)])
        .max_age(Duration::from_secs(3600))
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer(value: &str) -> Option<&str> {
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}
