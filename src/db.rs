//! Opening the database (SQLite or PostgreSQL) and running migrations.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlxSqliteConnector};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres://, got {0:?}")]
    UnsupportedUrl(String),
    #[error("cannot open the database at DATABASE_URL: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(DbErr),
}

pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    connect_with(url, max_connections, None).await
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Like `connect`; on PostgreSQL every connection of the pool also cancels a statement
/// that runs longer than `statement_timeout` (a zero duration lets it run).
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbError> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url, max_connections).await
    } else if is_postgres(url) {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if let Some(timeout) = statement_timeout.filter(|t| !t.is_zero()) {
            let milliseconds = timeout.as_millis().max(1);
            options.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", milliseconds)]));
        }
        Database::connect(options).await.map_err(|e| DbError::Connect(e.to_string()))
    } else {
        Err(DbError::UnsupportedUrl(url.to_owned()))
    }
}

/// SQLite in WAL mode with a busy timeout and foreign keys on; the file is created when missing.
async fn connect_sqlite(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| DbError::Connect(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .connect_with(options)
        .await
        .map_err(|e| DbError::Connect(e.to_string()))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await.map_err(DbError::Migrate)
}
