//! Full-text search over headline, standfirst and body: an FTS5 index kept in step by
//! triggers on SQLite, a weighted generated `tsvector` column with a GIN index on PostgreSQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE article_search USING fts5(
        headline, standfirst, body_markdown,
        content='articles', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_search(rowid, headline, standfirst, body_markdown)
        VALUES (new.id, new.headline, coalesce(new.standfirst, ''), new.body_markdown);
     END",
    "CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, headline, standfirst, body_markdown)
        VALUES ('delete', old.id, old.headline, coalesce(old.standfirst, ''), old.body_markdown);
     END",
    "CREATE TRIGGER articles_search_update AFTER UPDATE OF headline, standfirst, body_markdown ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, headline, standfirst, body_markdown)
        VALUES ('delete', old.id, old.headline, coalesce(old.standfirst, ''), old.body_markdown);
        INSERT INTO article_search(rowid, headline, standfirst, body_markdown)
        VALUES (new.id, new.headline, coalesce(new.standfirst, ''), new.body_markdown);
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER articles_search_update",
    "DROP TRIGGER articles_search_delete",
    "DROP TRIGGER articles_search_insert",
    "DROP TABLE article_search",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(headline, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(standfirst, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body_markdown, '')), 'C')
     ) STORED",
    "CREATE INDEX idx_articles_search ON articles USING GIN (search_vector)",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX idx_articles_search", "ALTER TABLE articles DROP COLUMN search_vector"];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for statement in statements {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, SQLITE_UP).await,
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            other => Err(DbErr::Migration(format!("unsupported database {other:?}"))),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, SQLITE_DOWN).await,
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            other => Err(DbErr::Migration(format!("unsupported database {other:?}"))),
        }
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
