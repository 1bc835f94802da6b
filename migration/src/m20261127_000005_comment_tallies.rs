//! Stored counts of visible comments per article, per article's top level and per
//! comment's replies, filled here from the comments already stored. A comment is visible
//! when it is approved and, for a reply, when its parent is approved too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FILL: [&str; 3] = [
    "INSERT INTO comment_tallies (kind, subject_id, count)
     SELECT 'ARTICLE', c.article_id, COUNT(*) FROM comments c
     WHERE c.status = 'APPROVED' AND (c.parent_id IS NULL OR EXISTS
       (SELECT 1 FROM comments p WHERE p.id = c.parent_id AND p.status = 'APPROVED'))
     GROUP BY c.article_id",
    "INSERT INTO comment_tallies (kind, subject_id, count)
     SELECT 'TOP_LEVEL', c.article_id, COUNT(*) FROM comments c
     WHERE c.status = 'APPROVED' AND c.parent_id IS NULL
     GROUP BY c.article_id",
    "INSERT INTO comment_tallies (kind, subject_id, count)
     SELECT 'REPLIES', c.parent_id, COUNT(*) FROM comments c
     JOIN comments p ON p.id = c.parent_id AND p.status = 'APPROVED'
     WHERE c.status = 'APPROVED'
     GROUP BY c.parent_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("comment_tallies")
                    .col(string_len("kind", 16))
                    .col(big_integer("subject_id"))
                    .col(big_integer("count"))
                    .primary_key(Index::create().col("kind").col("subject_id"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in FILL {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("comment_tallies").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
