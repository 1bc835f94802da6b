//! The HTTP surface: routes, middleware and the handlers that are not GraphQL.

pub mod cache;
mod client;
mod graphql;
mod health;
pub mod persisted;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TokenService;
use crate::domain::events::{ContentVersion, EventBus};
use crate::graphql::Api;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub api: Api,
    pub tokens: Arc<TokenService>,
    /// What the scheduler and the mutations announce to live subscriptions.
    pub events: Arc<dyn EventBus>,
    pub metrics: Arc<Metrics>,
    /// Moved on by every write readers could see; the scheduler moves it too.
    pub content: Arc<ContentVersion>,
    pub cache: Arc<cache::ResponseCache>,
    pub persisted: Arc<persisted::PersistedQueries>,
}

pub struct HttpLimits {
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub bench_routes: bool,
}

pub fn router(state: AppState, limits: HttpLimits) -> Router {
    let mut routes = Router::new();
    if limits.bench_routes {
        routes = routes.route("/bench/ceiling/{bytes}", get(health::ceiling));
    }
    routes
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/graphiql", get(graphql::graphiql))
        .route("/schema.graphql", get(graphql::sdl))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(Arc::new(limits.trusted_proxies), client::find_address))
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout))
        .layer(axum::middleware::from_fn_with_state(
            graphql::HttpRefusals { body_limit: limits.body_limit, request_timeout: limits.request_timeout },
            graphql::refusals_as_graphql,
        ))
        .layer(CompressionLayer::new())
        // Outside the compression, to see what it did.
        .layer(axum::middleware::from_fn(cache::mark_encoding))
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer(value: &str) -> Option<&str> {
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}
