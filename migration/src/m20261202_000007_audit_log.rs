//! The audit log: one row per staff action, written in the action's own transaction.
//! The actor is kept as an id without a foreign key, so that the log outlives accounts.

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
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(big_integer_null("actor_id"))
                    .col(string_len("action", 64))
                    .col(string_len_null("subject_kind", 16))
                    .col(big_integer_null("subject_id"))
                    .col(text("summary"))
                    .to_owned(),
            )
            .await?;
        // The whole log, and one object's entries, newest first.
        manager
            .create_index(Index::create().name("idx_audit_log_at").table("audit_log").col("at").col("id").to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_subject")
                    .table("audit_log")
                    .col("subject_kind")
                    .col("subject_id")
                    .col("at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_log").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
