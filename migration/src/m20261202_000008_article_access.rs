//! Who may read an article's whole body (FREE, REGISTERED, SUBSCRIBER), and how many of
//! its blocks the others see. Existing articles are free.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter().table("articles").add_column(string_len("access", 16).default("FREE")).to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table("articles").add_column(integer_null("teaser_blocks")).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["teaser_blocks", "access"] {
            manager.alter_table(Table::alter().table("articles").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
