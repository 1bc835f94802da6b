//! An index for the top of a thread: an article's approved top-level comments in order.
//! With only the index that includes replies, PostgreSQL sorted every top-level comment
//! of a busy article, or walked the moderation index through most of the table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_comments_top_level ON comments (article_id, status, created_at, id) \
                 WHERE parent_id IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_comments_top_level").table("comments").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
