//! SeaORM entities of newsroom: one module per table, no behaviour.

pub mod article;
pub mod article_author;
pub mod article_revision;
pub mod article_slug;
pub mod article_tag;
pub mod audit_entry;
pub mod author;
pub mod author_slug;
pub mod comment;
pub mod comment_tally;
pub mod correction;
pub mod image;
pub mod live_entry;
pub mod live_entry_author;
pub mod newsletter_subscription;
pub mod outbox_message;
pub mod rate_limit;
pub mod related_article;
pub mod section;
pub mod setting;
pub mod tag;
pub mod tag_slug;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
