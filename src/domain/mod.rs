//! The rules of the publication: who sees what, how lists page, how bodies render,
//! how credits read. Knows nothing about GraphQL or HTTP.

pub mod abuse;
pub mod articles;
pub mod audit;
pub mod bylines;
pub mod changes;
pub mod comments;
pub mod corrections;
pub mod credit;
pub mod editorial;
pub mod error;
pub mod feeds;
pub mod global_id;
pub mod images;
pub mod json_rows;
pub mod kept_rows;
pub mod live;
pub mod markdown;
pub mod newsletter;
pub mod ninjs;
pub mod outbox;
pub mod pagination;
pub mod pipeline;
pub mod reader;
pub mod related;
pub mod relay;
pub mod retry;
pub mod search;
pub mod sections;
pub mod settings;
pub mod site;
pub mod sitemaps;
pub mod slug;
pub mod structured_data;
pub mod users;
pub mod validate;
pub mod viewer;
pub mod webhooks;
pub mod workflow;

pub use error::{Error, Result};
pub use viewer::Viewer;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// A change to an optional value: leave it, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Update<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Update<T> {
    /// The value after the change, given the current one.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Update::Keep => current,
            Update::Clear => None,
            Update::Set(value) => Some(value),
        }
    }

    pub fn try_map<U>(self, f: impl FnOnce(T) -> Result<Option<U>>) -> Result<Update<U>> {
        Ok(match self {
            Update::Keep => Update::Keep,
            Update::Clear => Update::Clear,
            Update::Set(value) => match f(value)? {
                Some(value) => Update::Set(value),
                None => Update::Clear,
            },
        })
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that read first and then upgraded would fail at once
/// when another writer got in between, instead of waiting out the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    Ok(db.begin_with_options(options).await?)
}

/// Whether a database error is a unique key already taken, typically by a writer that
/// got there at the same moment.
pub fn is_unique_violation(error: &Error) -> bool {
    matches!(error, Error::Database(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))))
}

/// The current time at the precision both databases keep (microseconds), so a value
/// read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Commits a write and announces what it changed: the webhook deliveries its events cause
/// go into the write's own transaction, so none is lost to a crash after the commit; then
/// the change goes down the pipeline.
pub async fn commit(txn: DatabaseTransaction, change: changes::Change, pipeline: &pipeline::Pipeline) -> Result<()> {
    webhooks::enqueue(&txn, &change, None).await?;
    txn.commit().await?;
    pipeline.publish(change);
    Ok(())
}
