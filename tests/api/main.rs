//! The integration tests, one binary: each module drives the real router (in process or over
//! a loopback port) on a fresh SQLite file and, where PostgreSQL is configured, on a fresh
//! PostgreSQL database cloned from a migrated template.

#[macro_use]
mod common;

mod access;
mod article_page;
mod audit_log;
mod auth;
mod bylines;
mod cache_tags;
mod comments;
mod crash_safety;
mod demo_content;
mod editorial;
mod email_sender;
mod embargo;
mod feeds;
mod http_caching;
mod http_surface;
mod limits;
mod live_blogs;
mod metrics;
mod migrations;
mod newsdesk;
mod newsletter;
mod newsletter_api;
mod ninjs;
mod null_rules;
mod operations;
mod pagination;
mod preview;
mod propagation;
mod properties;
mod query_counts;
mod rate_limits;
mod replicas;
mod scheduler;
mod search;
mod shutdown;
mod sitemaps;
mod structured_data;
mod subscriptions;
mod tokens;
mod transfer;
mod webhooks;
mod workflow;
