//! The background task that publishes scheduled articles when their time comes, notices
//! image licences running out, and prunes rate-limit rows that no longer count and old
//! webhook deliveries.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::domain::changes::{Change, Noticed};
use crate::domain::pipeline::Pipeline;
use crate::domain::{self, abuse, images, webhooks, workflow};

/// How often the scheduler looks for due articles: an article goes live at most this long
/// after its time.
pub const EVERY: Duration = Duration::from_secs(1);

/// How often rate-limit rows whose times have passed are deleted. Each instance prunes; a
/// delete that finds nothing is cheap.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Publishes due articles now and then every `every`, until the task is dropped. Articles
/// whose time passed while no server ran are published at the first look. Each publication,
/// and the images whose licence ran out, go down the `pipeline`, so that no cached answer
/// shows what readers may no longer see or misses what they may. Once a minute it also
/// deletes the rate-limit rows that no longer count.
pub async fn run(db: DatabaseConnection, pipeline: Arc<Pipeline>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_look = domain::now();
    let mut last_prune = tokio::time::Instant::now();
    loop {
        ticks.tick().await;
        let now = domain::now();
        match workflow::publish_due(&db, now, &pipeline).await {
            Ok(published) if !published.is_empty() => tracing::info!(?published, "published scheduled articles"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not publish scheduled articles"),
        }
        // What readers stop or start seeing as time passes, with no write at that moment.
        // The same window is looked at again until both looks succeed.
        let expired = images::licences_expired_between(&db, last_look, now).await;
        let arrived = workflow::came_into_view_between(&db, last_look, now).await;
        let announced = match (expired, arrived) {
            (Ok(expired), Ok(arrived)) => announce(&db, &pipeline, expired.into_iter().chain(arrived)).await,
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        match announced {
            Ok(()) => last_look = now,
            Err(error) => {
                tracing::warn!(%error, "could not announce licences running out and articles coming into view")
            }
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            if let Err(error) = abuse::prune(&db, now).await {
                tracing::warn!(%error, "could not prune the rate limits");
            }
            if let Err(error) = webhooks::prune(&db, now).await {
                tracing::warn!(%error, "could not prune the webhook deliveries");
            }
        }
    }
}

/// Hands what time changed down the pipeline, once its webhook deliveries are in the
/// outbox. Every server notices the same moments; the keys let only the first enqueue.
async fn announce(
    db: &DatabaseConnection,
    pipeline: &Pipeline,
    noticed: impl IntoIterator<Item = Noticed>,
) -> domain::Result<()> {
    let mut all = Change::default();
    for Noticed { key, change } in noticed {
        if let Some(key) = &key {
            webhooks::enqueue(db, &change, Some(key)).await?;
        }
        all = all.and(change);
    }
    pipeline.publish(all);
    Ok(())
}
