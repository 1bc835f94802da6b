//! Live blogs: timestamped entries on LIVE articles, their authors, and the time an
//! article's live coverage ended. A deleted entry stays as a tombstone (`deleted_at`), so
//! that clients polling for changes learn that it went.

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
                    .table("live_entries")
                    .col(big_pk_auto("id"))
                    .col(big_integer("article_id"))
                    .col(string_len_null("headline", 300))
                    .col(text("body_markdown"))
                    .col(boolean("pinned").default(false))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_live_entries_article_id")
                            .from("live_entries", "article_id")
                            .to("articles", "id")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_live_entries_created_by")
                            .from("live_entries", "created_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // An article's page of entries: pinned first, then newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_live_entries_page")
                    .table("live_entries")
                    .col("article_id")
                    .col("pinned")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // What changed on an article since a client's last poll.
        manager
            .create_index(
                Index::create()
                    .name("idx_live_entries_changed")
                    .table("live_entries")
                    .col("article_id")
                    .col("updated_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("live_entry_authors")
                    .col(big_integer("entry_id"))
                    .col(big_integer("author_id"))
                    .col(integer("position").default(0))
                    .primary_key(Index::create().col("entry_id").col("author_id"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_live_entry_authors_entry_id")
                            .from("live_entry_authors", "entry_id")
                            .to("live_entries", "id")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_live_entry_authors_author_id")
                            .from("live_entry_authors", "author_id")
                            .to("authors", "id")
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("articles")
                    .add_column(timestamp_with_time_zone_null("coverage_ended_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("articles").drop_column("coverage_ended_at").to_owned()).await?;
        manager.drop_table(Table::drop().table("live_entry_authors").to_owned()).await?;
        manager.drop_table(Table::drop().table("live_entries").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
