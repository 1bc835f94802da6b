//! Wiring: from a `Config` to a database, a schema and the axum `Router`.

use std::sync::Arc;

use axum::Router;
use entity::rate_limit::LimitedAction;
use sea_orm::DatabaseConnection;

use crate::auth::{self, TokenService};
use crate::config::Config;
use crate::domain::abuse::{Allowance, RateLimits};
use crate::domain::comments::Policy;
use crate::domain::pipeline::Pipeline;
use crate::graphql::{self, Limits, Services};
use crate::http::cache::{CachePolicy, ResponseCache};
use crate::http::persisted::PersistedQueries;
use crate::http::{self, AppState, HttpLimits};
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error(transparent)]
    Secret(#[from] auth::SecretError),
    #[error("{0}")]
    Setting(String),
}

/// Bytes of query texts kept for automatic persisted queries.
const PERSISTED_QUERY_BYTES: u64 = 16 * 1024 * 1024;

/// The token service for `config`, with the configured or stored signing secret and the
/// outside identity provider's public key when one is configured.
pub async fn token_service(db: &DatabaseConnection, config: &Config) -> Result<TokenService, StartError> {
    let secret = auth::signing_secret(db, config.jwt_secret.as_deref()).await?;
    let tokens = TokenService::new(&secret, &config.jwt_issuer, &config.jwt_audience);
    let Some(path) = &config.jwt_public_key else {
        return Ok(tokens);
    };
    let setting =
        |e: &dyn std::fmt::Display| StartError::Setting(format!("NEWSROOM_JWT_PUBLIC_KEY ({}) {e}", path.display()));
    let pem = std::fs::read(path).map_err(|e| setting(&format_args!("cannot be read: {e}")))?;
    let key = auth::OutsideKey::from_pem(
        &pem,
        config.jwt_public_key_algorithm,
        config.jwt_public_key_issuer.as_deref().unwrap_or(&config.jwt_issuer),
        config.jwt_public_key_audience.as_deref().unwrap_or(&config.jwt_audience),
    )
    .map_err(|e| setting(&e))?;
    Ok(tokens.with_outside_key(key))
}

/// The application over an open (and migrated) database.
pub async fn state(mut db: DatabaseConnection, config: &Config) -> Result<AppState, StartError> {
    let mut metrics = Metrics::new();
    metrics.watch_pool(db.clone());
    let statements = metrics.sql_statements.clone();
    let slow = config.slow_sql;
    db.set_metric_callback(move |info| {
        statements.inc();
        if info.elapsed >= slow {
            let elapsed_ms = info.elapsed.as_secs_f64() * 1000.0;
            tracing::warn!(elapsed_ms, sql = %info.statement.sql, "slow SQL statement");
        }
    });
    let tokens = Arc::new(token_service(&db, config).await?);
    let client_salt = crate::domain::settings::get_or_create(&db, "client_hash_salt", || {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    })
    .await
    .map_err(auth::SecretError::Storage)?;
    crate::domain::validate::web_url("NEWSROOM_NEWSLETTER_URL", &config.newsletter_url)
        .map_err(|e| StartError::Setting(e.to_string()))?;
    let pipeline = Arc::new(Pipeline::default());
    let on_postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    if on_postgres {
        // Before the first request: what it keeps must hear the other servers' changes.
        crate::domain::relay::start(&pipeline, db.get_postgres_connection_pool(), metrics.relay.clone()).await;
    }
    let replicas = Arc::new(read_replicas(config)?);
    if !replicas.is_empty() {
        if !on_postgres {
            return Err(StartError::Setting(
                "NEWSROOM_DATABASE_READ_URLS needs DATABASE_URL on PostgreSQL: replicas of a SQLite file do not exist"
                    .into(),
            ));
        }
        crate::replicas::ReadReplicas::watch(&replicas, db.get_postgres_connection_pool(), &pipeline);
        metrics.watch_replicas(replicas.clone());
    }
    let site = Arc::new(config.site());
    let allowance = Allowance { per_minute: config.comment_limit_per_minute, per_hour: config.comment_limit_per_hour };
    let services = Services {
        db: db.clone(),
        tokens: tokens.clone(),
        login_ttl: config.login_ttl,
        comment_policy: Policy { auto_approve: config.comments_auto_approve },
        comment_limits: RateLimits::new(LimitedAction::Comment, allowance),
        client_salt: client_salt.into(),
        newsletter_limits: RateLimits::new(LimitedAction::NewsletterSignUp, allowance),
        newsletter_url: config.newsletter_url.as_str().into(),
        pipeline: pipeline.clone(),
        kept_for: config.cache_max_age,
        site: site.clone(),
        webhook_reach: config.webhook_reach(),
        feed_full_text: config.feed_full_text,
        replicas,
    };
    let limits = Limits {
        max_depth: config.max_depth,
        max_complexity: config.max_complexity,
        max_aliases: config.max_aliases,
        max_root_fields: config.max_root_fields,
        max_directives: config.max_directives,
        max_tokens: config.max_tokens,
        max_batch: config.max_batch,
        introspection: config.introspection,
    };
    let policy = CachePolicy {
        max_age: config.cache_max_age,
        stale_while_revalidate: config.cache_stale_while_revalidate,
        response_cache_bytes: config.response_cache_mb.saturating_mul(1024 * 1024),
        tag_headers: config.tag_headers(),
    };
    let cache = Arc::new(ResponseCache::new(policy, pipeline.clone(), &metrics));
    Ok(AppState {
        db,
        api: graphql::Api::new(services, limits),
        tokens,
        pipeline,
        site,
        metrics: Arc::new(metrics),
        cache,
        persisted: Arc::new(PersistedQueries::new(PERSISTED_QUERY_BYTES)),
        shutdown: Default::default(),
    })
}

pub fn router(state: AppState, config: &Config) -> Router {
    let limits = HttpLimits {
        body_limit: config.body_limit,
        request_timeout: config.request_timeout,
        trusted_proxies: config.trusted_proxies.clone(),
        bench_routes: config.bench_routes,
        cors_origins: config.cors_origins.clone(),
    };
    http::router(state, limits)
}

/// The server's database pool, whose PostgreSQL statements are held to the statement timeout.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    let tuning = crate::db::Tuning {
        statement_timeout: Some(config.db_statement_timeout),
        sqlite_synchronous: config.sqlite_synchronous,
    };
    Ok(crate::db::connect_with(&config.database_url, config.pool_size(), tuning).await?)
}

/// The pools of the configured read replicas (none opened yet).
fn read_replicas(config: &Config) -> Result<crate::replicas::ReadReplicas, StartError> {
    let urls: Vec<String> =
        config.database_read_urls.iter().map(|url| url.trim().to_owned()).filter(|url| !url.is_empty()).collect();
    Ok(crate::replicas::ReadReplicas::connect(
        &urls,
        config.pool_size(),
        config.db_statement_timeout,
        config.replica_max_lag,
    )?)
}

/// Connects, migrates unless told not to, and returns the router with its state.
pub async fn build(config: &Config, migrate: bool) -> Result<(Router, AppState), StartError> {
    if migrate && crate::db::is_postgres(&config.database_url) {
        // Migrations may take longer than the statement timeout allows the server's queries.
        let db = crate::db::connect(&config.database_url, 1).await?;
        crate::db::migrate(&db).await?;
        let _ = db.close().await;
    }
    let db = connect(config).await?;
    if migrate && !crate::db::is_postgres(&config.database_url) {
        crate::db::migrate(&db).await?;
    }
    let state = state(db, config).await?;
    Ok((router(state.clone(), config), state))
}
