//! What kind of journalism an article is (news, opinion, a live blog, ...), the short label
//! above its headline and the place it was filed from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(Table::alter().table("articles").add_column(string_len("kind", 16).default("NEWS")).to_owned())
            .await?;
        for column in ["kicker", "dateline"] {
            manager.alter_table(Table::alter().table("articles").add_column(string_null(column)).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["dateline", "kicker", "kind"] {
            manager.alter_table(Table::alter().table("articles").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
