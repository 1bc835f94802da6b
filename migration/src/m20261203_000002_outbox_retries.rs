//! The outbox is sent: how many times each email was tried and when first, when it may be
//! tried next (or until when a sender holds it), what went wrong last, and when it was
//! given up. Emails queued before this are due at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            integer("attempts").default(0).to_owned(),
            timestamp_with_time_zone_null("first_attempt_at"),
            timestamp_with_time_zone_null("next_attempt_at"),
            text_null("last_error"),
            timestamp_with_time_zone_null("failed_at"),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table("outbox").add_column(&mut column).to_owned()).await?;
        }
        // What a sender looks for: unsent, not given up, due.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table("outbox")
                    .col("sent_at")
                    .col("failed_at")
                    .col("next_attempt_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_outbox_due").table("outbox").to_owned()).await?;
        for column in ["failed_at", "last_error", "next_attempt_at", "first_attempt_at", "attempts"] {
            manager.alter_table(Table::alter().table("outbox").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
