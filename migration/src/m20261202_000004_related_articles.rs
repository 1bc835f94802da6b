//! Editors' picks of related stories, in order, shown before the stories that share the
//! most tags.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let link = |column: &'static str| {
            ForeignKey::create()
                .name(format!("fk_related_articles_{column}"))
                .from("related_articles", column)
                .to("articles", "id")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table("related_articles")
                    .col(big_integer("article_id"))
                    .col(big_integer("related_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("article_id").col("related_id"))
                    .foreign_key(&mut link("article_id"))
                    .foreign_key(&mut link("related_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_related_articles_related")
                    .table("related_articles")
                    .col("related_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("related_articles").to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
