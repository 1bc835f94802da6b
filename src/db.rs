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

/// How a pool is opened, besides its size.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tuning {
    /// On PostgreSQL every connection of the pool cancels a statement that runs longer
    /// (`statement_timeout`); `None` or a zero duration lets it run.
    pub statement_timeout: Option<Duration>,
    /// SQLite's `synchronous` level; see [`SqliteSynchronous`](crate::config::SqliteSynchronous).
    pub sqlite_synchronous: crate::config::SqliteSynchronous,
}

pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    connect_with(url, max_connections, Tuning::default()).await
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Like `connect`, with the statement timeout and `synchronous` level of `tuning`.
pub async fn connect_with(url: &str, max_connections: u32, tuning: Tuning) -> Result<DatabaseConnection, DbError> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url, max_connections, tuning.sqlite_synchronous).await
    } else if is_postgres(url) {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings every connection as it goes back to the pool; pinging it again as
            // it comes out cost each statement a second round trip to the server. Only a
            // connection idle long enough for the server or the network to have dropped it
            // is tested before use.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(false);
        if let Some(timeout) = tuning.statement_timeout.filter(|t| !t.is_zero()) {
            let milliseconds = timeout.as_millis().max(1);
            options.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", milliseconds)]));
        }
        Database::connect(options).await.map_err(|e| DbError::Connect(e.to_string()))
    } else {
        Err(DbError::UnsupportedUrl(url.to_owned()))
    }
}

/// SQLite in WAL mode with a busy timeout and foreign keys on; the file is created when missing.
///
/// In WAL mode a commit is in the log file once it returns, whatever the `synchronous`
/// level: a crash of the process (SIGKILL, OOM kill, panic) loses no committed transaction
/// (tests/api/crash_safety.rs kills the server in the middle of writes to show it). `NORMAL`
/// flushes the log to disk only at checkpoints, so a power cut may lose the last commits
/// but never corrupts the file; `FULL` flushes at every commit.
async fn connect_sqlite(
    url: &str,
    max_connections: u32,
    synchronous: crate::config::SqliteSynchronous,
) -> Result<DatabaseConnection, DbError> {
    use crate::config::SqliteSynchronous as Level;
    let synchronous = match synchronous {
        Level::Normal => SqliteSynchronous::Normal,
        Level::Full => SqliteSynchronous::Full,
        Level::Extra => SqliteSynchronous::Extra,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| DbError::Connect(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
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
