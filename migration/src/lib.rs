//! Schema migrations of newsroom. Each change is a new migration; a shipped one is never edited.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_content_schema;
mod m20261127_000002_article_search;
mod m20261127_000003_image_rights;
mod m20261127_000004_outbox;
mod m20261127_000005_comment_tallies;
mod m20261127_000006_top_level_comments;
mod m20261127_000007_rate_limits;
mod m20261202_000001_article_labels;
mod m20261202_000002_old_slugs;
mod m20261202_000003_corrections;
mod m20261202_000004_related_articles;
mod m20261202_000005_byline_roles;
mod m20261202_000006_embargoes;
mod m20261202_000007_audit_log;
mod m20261202_000008_article_access;
mod m20261202_000009_live_blogs;
mod m20261203_000001_webhooks;
mod m20261203_000002_outbox_retries;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_content_schema::Migration),
            Box::new(m20261127_000002_article_search::Migration),
            Box::new(m20261127_000003_image_rights::Migration),
            Box::new(m20261127_000004_outbox::Migration),
            Box::new(m20261127_000005_comment_tallies::Migration),
            Box::new(m20261127_000006_top_level_comments::Migration),
            Box::new(m20261127_000007_rate_limits::Migration),
            Box::new(m20261202_000001_article_labels::Migration),
            Box::new(m20261202_000002_old_slugs::Migration),
            Box::new(m20261202_000003_corrections::Migration),
            Box::new(m20261202_000004_related_articles::Migration),
            Box::new(m20261202_000005_byline_roles::Migration),
            Box::new(m20261202_000006_embargoes::Migration),
            Box::new(m20261202_000007_audit_log::Migration),
            Box::new(m20261202_000008_article_access::Migration),
            Box::new(m20261202_000009_live_blogs::Migration),
            Box::new(m20261203_000001_webhooks::Migration),
            Box::new(m20261203_000002_outbox_retries::Migration),
        ]
    }
}
