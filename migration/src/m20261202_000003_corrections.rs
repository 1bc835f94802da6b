//! Corrections: public notes on published articles, never edited once made.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("corrections")
                    .col(big_pk_auto("id"))
                    .col(big_integer("article_id"))
                    .col(string_len("kind", 16))
                    .col(text("text"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_corrections_article_id")
                            .from("corrections", "article_id")
                            .to("articles", "id")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_corrections_created_by")
                            .from("corrections", "created_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // An article's corrections, and the site's corrections page, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_corrections_article")
                    .table("corrections")
                    .col("article_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_corrections_created")
                    .table("corrections")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("corrections").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
