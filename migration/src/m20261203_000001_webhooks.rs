//! Webhooks: the endpoints admins subscribe to events, and the outbox of deliveries to
//! them. A write inserts its deliveries in its own transaction; a sender in each server
//! claims an endpoint (`claimed_until`), sends its oldest pending delivery and records
//! the outcome.

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
                    .table("webhooks")
                    .col(big_pk_auto("id"))
                    .col(text("url"))
                    // Event names, comma-separated, e.g. `ARTICLE_PUBLISHED,CONTENT_CHANGED`.
                    .col(text("events"))
                    .col(text("secret"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(string_len_null("claimed_by", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(big_pk_auto("id"))
                    .col(big_integer("webhook_id"))
                    .col(string_len("message_id", 64))
                    .col(string_len("event", 32))
                    .col(text("payload"))
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(integer_null("response_status"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    // When the current round of attempts began: a redelivery starts a new one.
                    .col(timestamp_with_time_zone("pending_since"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    // Set for events that each server notices on its own (an embargo
                    // lifting, a licence running out), so that only the first one enqueues.
                    .col(string_len_null("event_key", 128))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_deliveries", "webhook_id")
                            .to("webhooks", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The pending deliveries, each endpoint's in order: what senders look for.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_pending")
                    .table("webhook_deliveries")
                    .col("status")
                    .col("webhook_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // An endpoint's log, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_log")
                    .table("webhook_deliveries")
                    .col("webhook_id")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // What is old enough to be pruned.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_created")
                    .table("webhook_deliveries")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_event_key")
                    .table("webhook_deliveries")
                    .col("webhook_id")
                    .col("event_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("webhook_deliveries").to_owned()).await?;
        manager.drop_table(Table::drop().table("webhooks").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
