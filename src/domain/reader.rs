//! The connection a query reads through.
//!
//! Every read of a query (its batches, its resolvers' own reads, the totals counted on
//! demand) runs on one pooled connection, in one transaction begun by the first read and
//! ended when the request is done. The pool checks every connection it takes back with a
//! round trip to the database (to the SQLite connection's thread, to the PostgreSQL
//! server), so a page of nine statements on nine connections paid nine more round trips.
//! Because a query never waits for a second connection while it holds one, requests that
//! outnumber the pool wait their turn and cannot starve each other.
//!
//! Mutations read through the pool, statement by statement: each of their steps may
//! change what the next one reads, and they begin transactions of their own.
//!
//! A query may read from a read replica, with the primary to fall back on: a replica
//! that cannot begin the request's transaction (it went down since it was last asked)
//! is reported, and the request reads from the primary instead.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
    TransactionTrait,
};
use tokio::sync::OnceCell;

/// Where the reads of one request go.
pub struct RequestConnection {
    pool: DatabaseConnection,
    /// `None`: each statement takes a connection of the pool.
    shared: Option<OnceCell<Arc<DatabaseTransaction>>>,
    fallback: Option<Fallback>,
}

/// The primary behind a replica, and what to do when the replica fails.
pub struct Fallback {
    pub primary: DatabaseConnection,
    pub replica_failed: Box<dyn Fn() + Send + Sync>,
}

impl RequestConnection {
    /// One connection for all the request's reads.
    pub fn shared(pool: DatabaseConnection) -> Arc<RequestConnection> {
        Arc::new(RequestConnection { pool, shared: Some(OnceCell::new()), fallback: None })
    }

    /// One connection of the replica `replica` for all the request's reads, or of the
    /// primary if the replica fails to begin.
    pub fn shared_on_replica(replica: DatabaseConnection, fallback: Fallback) -> Arc<RequestConnection> {
        Arc::new(RequestConnection { pool: replica, shared: Some(OnceCell::new()), fallback: Some(fallback) })
    }

    /// A connection of the pool for each statement.
    pub fn per_statement(pool: DatabaseConnection) -> Arc<RequestConnection> {
        Arc::new(RequestConnection { pool, shared: None, fallback: None })
    }

    pub async fn reader(&self) -> Result<Reader, DbErr> {
        match &self.shared {
            None => Ok(Reader::Pool(self.pool.clone())),
            Some(cell) => {
                let transaction = cell.get_or_try_init(|| self.begin()).await?;
                Ok(Reader::Shared(transaction.clone()))
            }
        }
    }

    async fn begin(&self) -> Result<Arc<DatabaseTransaction>, DbErr> {
        match (self.pool.begin().await, &self.fallback) {
            (Ok(transaction), _) => Ok(Arc::new(transaction)),
            (Err(error), Some(fallback)) => {
                tracing::warn!(%error, "a read replica failed to begin a query's reads: read from the primary");
                (fallback.replica_failed)();
                fallback.primary.begin().await.map(Arc::new)
            }
            (Err(error), None) => Err(error),
        }
    }
}

/// A connection of the pool for each statement, or the request's one.
#[derive(Clone)]
pub enum Reader {
    Pool(DatabaseConnection),
    Shared(Arc<DatabaseTransaction>),
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reader::Pool(db) => db.get_database_backend(),
            Reader::Shared(db) => db.get_database_backend(),
        }
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reader::Pool(db) => db.execute_raw(statement).await,
            Reader::Shared(db) => db.execute_raw(statement).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reader::Pool(db) => db.execute_unprepared(sql).await,
            Reader::Shared(db) => db.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reader::Pool(db) => db.query_one_raw(statement).await,
            Reader::Shared(db) => db.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reader::Pool(db) => db.query_all_raw(statement).await,
            Reader::Shared(db) => db.query_all_raw(statement).await,
        }
    }
}
