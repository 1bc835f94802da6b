//! Wiring: from a `Config` to a database, a schema and the axum `Router`.

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::auth::{self, TokenService};
use crate::config::Config;
use crate::graphql::{self, Limits, Services};
use crate::http::{self, AppState, HttpLimits};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error(transparent)]
    Secret(#[from] auth::SecretError),
}

/// The token service for `config`, with the configured or stored signing secret.
pub async fn token_service(db: &DatabaseConnection, config: &Config) -> Result<TokenService, StartError> {
    let secret = auth::signing_secret(db, config.jwt_secret.as_deref()).await?;
    Ok(TokenService::new(&secret, &config.jwt_issuer, &config.jwt_audience))
}

/// The application over an open (and migrated) database.
pub async fn state(db: DatabaseConnection, config: &Config) -> Result<AppState, StartError> {
    let tokens = Arc::new(token_service(&db, config).await?);
    let services = Services { db: db.clone(), tokens: tokens.clone(), login_ttl: config.login_ttl };
    let limits = Limits { max_depth: config.max_depth, max_complexity: config.max_complexity };
    Ok(AppState { db, api: graphql::Api::new(services, limits), tokens })
}

pub fn router(state: AppState, config: &Config) -> Router {
    http::router(state, HttpLimits { body_limit: config.body_limit, request_timeout: config.request_timeout })
}

/// Connects, migrates unless told not to, and returns the router with its state.
pub async fn build(config: &Config, migrate: bool) -> Result<(Router, AppState), StartError> {
    let db = crate::db::connect(&config.database_url, config.db_max_connections).await?;
    if migrate {
        crate::db::migrate(&db).await?;
    }
    let state = state(db, config).await?;
    Ok((router(state.clone(), config), state))
}
