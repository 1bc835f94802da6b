//! The background task that publishes scheduled articles when their time comes.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::domain::events::EventBus;
use crate::domain::{self, workflow};

/// How often the scheduler looks for due articles: an article goes live at most this long
/// after its time.
pub const EVERY: Duration = Duration::from_secs(1);

/// Publishes due articles now and then every `every`, until the task is dropped. Articles
/// whose time passed while no server ran are published at the first look. Each publication
/// is announced on `events`.
pub async fn run(db: DatabaseConnection, events: Arc<dyn EventBus>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match workflow::publish_due(&db, domain::now(), &*events).await {
            Ok(published) if !published.is_empty() => tracing::info!(?published, "published scheduled articles"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not publish scheduled articles"),
        }
    }
}
