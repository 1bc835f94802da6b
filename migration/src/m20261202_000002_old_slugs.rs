//! Slugs an author or a tag had before a rename, so that their old pages keep resolving,
//! as an article's old slugs do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, owner column, owner table)` of each new table.
const TABLES: [(&str, &str, &str); 2] = [("author_slugs", "author_id", "authors"), ("tag_slugs", "tag_id", "tags")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, owner, owners) in TABLES {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(string("slug").primary_key())
                        .col(big_integer(owner))
                        .col(timestamp_with_time_zone("created_at"))
                        .foreign_key(
                            &mut ForeignKey::create()
                                .name(format!("fk_{table}_{owner}"))
                                .from(table, owner)
                                .to(owners, "id")
                                .on_delete(ForeignKeyAction::Cascade)
                                .to_owned(),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(Index::create().name(format!("idx_{table}_{owner}")).table(table).col(owner).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _, _) in TABLES {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
