//! The content model: users, sections, images with credits, authors, tags, articles
//! with revisions and old slugs, comments, newsletter subscriptions, and the settings
//! the server keeps for itself (such as a generated token-signing secret).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id() -> ColumnDef {
    big_pk_auto("id")
}

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn updated_at() -> ColumnDef {
    timestamp_with_time_zone("updated_at")
}

fn foreign_key(from_table: &'static str, column: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{column}"))
        .from(from_table, column)
        .to(to_table, "id")
        .to_owned()
}

fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("idx_{table}_{name}")).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create().table("settings").col(string("key").primary_key()).col(text("value")).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(id())
                    .col(string_uniq("email"))
                    .col(string("name"))
                    .col(string_len("role", 16))
                    .col(string_null("password_hash"))
                    .col(created_at())
                    .col(updated_at())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sections")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(string("name"))
                    .col(text_null("description"))
                    .col(big_integer_null("parent_id"))
                    .col(integer("position").default(0))
                    .col(created_at())
                    .col(updated_at())
                    .foreign_key(&mut foreign_key("sections", "parent_id", "sections"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sections", "parent", &["parent_id", "position"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("images")
                    .col(id())
                    .col(text("url"))
                    .col(text("alt_text"))
                    .col(text_null("caption"))
                    .col(integer_null("width"))
                    .col(integer_null("height"))
                    .col(string_null("photographer"))
                    .col(string_null("agency"))
                    .col(string_null("distributor"))
                    .col(string_null("license"))
                    .col(created_at())
                    .col(updated_at())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("images", "created", &["created_at", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("authors")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(string("name"))
                    .col(text_null("bio"))
                    .col(big_integer_null("user_id"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("authors", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("authors", "user", &["user_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("tags")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(string("name"))
                    .col(created_at())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("articles")
                    .col(id())
                    .col(string_uniq("slug"))
                    .col(text("headline"))
                    .col(text_null("standfirst"))
                    .col(text("body_markdown"))
                    .col(string_len("status", 16))
                    .col(big_integer("section_id"))
                    .col(big_integer_null("lead_image_id"))
                    .col(boolean("comments_open").default(true))
                    .col(text_null("seo_title"))
                    .col(text_null("seo_description"))
                    .col(text_null("canonical_url"))
                    .col(big_integer_null("created_by"))
                    .col(created_at())
                    .col(updated_at())
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("scheduled_at"))
                    .foreign_key(&mut foreign_key("articles", "section_id", "sections"))
                    .foreign_key(&mut foreign_key("articles", "lead_image_id", "images"))
                    .foreign_key(&mut foreign_key("articles", "created_by", "users"))
                    // A published article always has its publication time.
                    .check(Expr::cust("status <> 'PUBLISHED' OR published_at IS NOT NULL"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("status_published", &["status", "published_at", "id"][..]),
            ("section_published", &["section_id", "status", "published_at", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
            ("lead_image", &["lead_image_id"][..]),
            ("created_by", &["created_by"][..]),
            ("scheduled", &["status", "scheduled_at"][..]),
        ] {
            manager.create_index(index("articles", name, columns)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("article_authors")
                    .col(big_integer("article_id"))
                    .col(big_integer("author_id"))
                    .col(integer("position").default(0))
                    .primary_key(Index::create().col("article_id").col("author_id"))
                    .foreign_key(
                        &mut foreign_key("article_authors", "article_id", "articles")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut foreign_key("article_authors", "author_id", "authors"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("article_authors", "author", &["author_id", "article_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("article_tags")
                    .col(big_integer("article_id"))
                    .col(big_integer("tag_id"))
                    .primary_key(Index::create().col("article_id").col("tag_id"))
                    .foreign_key(
                        &mut foreign_key("article_tags", "article_id", "articles")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut foreign_key("article_tags", "tag_id", "tags"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("article_tags", "tag", &["tag_id", "article_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("article_revisions")
                    .col(id())
                    .col(big_integer("article_id"))
                    .col(integer("number"))
                    .col(text("headline"))
                    .col(text_null("standfirst"))
                    .col(text("body_markdown"))
                    .col(big_integer_null("editor_id"))
                    .col(created_at())
                    .foreign_key(
                        &mut foreign_key("article_revisions", "article_id", "articles")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut foreign_key("article_revisions", "editor_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("article_revisions", "number", &["article_id", "number"]).unique().to_owned())
            .await?;
        manager.create_index(index("article_revisions", "editor", &["editor_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("article_slugs")
                    .col(string("slug").primary_key())
                    .col(big_integer("article_id"))
                    .col(created_at())
                    .foreign_key(
                        &mut foreign_key("article_slugs", "article_id", "articles")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("article_slugs", "article", &["article_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("comments")
                    .col(id())
                    .col(big_integer("article_id"))
                    .col(big_integer_null("parent_id"))
                    .col(big_integer_null("user_id"))
                    .col(string("author_name"))
                    .col(string_null("author_email"))
                    .col(text("body"))
                    .col(string_len("status", 16))
                    .col(string_null("client_hash"))
                    .col(created_at())
                    .col(timestamp_with_time_zone_null("moderated_at"))
                    .foreign_key(
                        &mut foreign_key("comments", "article_id", "articles")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut foreign_key("comments", "parent_id", "comments")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut foreign_key("comments", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("thread", &["article_id", "status", "parent_id", "created_at", "id"][..]),
            ("replies", &["parent_id", "status", "created_at", "id"][..]),
            ("queue", &["status", "created_at", "id"][..]),
            ("client", &["client_hash", "created_at"][..]),
            ("user", &["user_id"][..]),
        ] {
            manager.create_index(index("comments", name, columns)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("newsletter_subscriptions")
                    .col(id())
                    .col(string_uniq("email"))
                    .col(string_len("status", 16))
                    .col(string_null("confirm_token_hash"))
                    .col(timestamp_with_time_zone_null("confirm_token_expires_at"))
                    .col(string_null("unsubscribe_token_hash"))
                    .col(created_at())
                    .col(updated_at())
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [("confirm_token", "confirm_token_hash"), ("unsubscribe_token", "unsubscribe_token_hash")]
        {
            manager.create_index(index("newsletter_subscriptions", name, &[column])).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "newsletter_subscriptions",
            "comments",
            "article_slugs",
            "article_revisions",
            "article_tags",
            "article_authors",
            "articles",
            "tags",
            "authors",
            "images",
            "sections",
            "users",
            "settings",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
