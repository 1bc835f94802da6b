//! newsroom: a headless content API for news publishers, over GraphQL.
//!
//! The dependency arrow points one way: `http` -> `graphql` -> `domain` -> `entity`.
//! `auth` holds tokens and passwords; `app` wires everything into one axum router;
//! `transfer` exports the content to a file and imports it into another database;
//! `scheduler`, `webhook_sender` and `mailer` are the background tasks of a server
//! (scheduled publishing, webhook deliveries, the outbox's emails).

pub mod app;
pub mod auth;
pub mod bench_data;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod mailer;
pub mod metrics;
pub mod replicas;
pub mod scheduler;
pub mod transfer;
pub mod webhook_sender;
