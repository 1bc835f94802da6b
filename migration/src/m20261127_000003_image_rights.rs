//! Rights on images: who holds the copyright, and when the licence to publish runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(Table::alter().table("images").add_column(string_null("copyright_holder")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("images")
                    .add_column(timestamp_with_time_zone_null("license_expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_images_license_expires").table("images").col("license_expires_at").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_images_license_expires").table("images").to_owned()).await?;
        for column in ["license_expires_at", "copyright_holder"] {
            manager.alter_table(Table::alter().table("images").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
