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
}

impl RequestConnection {
    /// One connection for all the request's reads.
    pub fn shared(pool: DatabaseConnection) -> Arc<RequestConnection> {
        Arc::new(RequestConnection { pool, shared: Some(OnceCell::new()) })
    }

    /// A connection of the pool for each statement.
    pub fn per_statement(pool: DatabaseConnection) -> Arc<RequestConnection> {
        Arc::new(RequestConnection { pool, shared: None })
    }

    pub async fn reader(&self) -> Result<Reader, DbErr> {
        match &self.shared {
            None => Ok(Reader::Pool(self.pool.clone())),
            Some(cell) => {
                let transaction = cell.get_or_try_init(|| async { self.pool.begin().await.map(Arc::new) }).await?;
                Ok(Reader::Shared(transaction.clone()))
            }
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
