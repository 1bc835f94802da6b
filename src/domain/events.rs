//! What happens in the publication that readers may be waiting for, and the bus that
//! carries it from the writer that caused it to every live subscription.
//!
//! The bus is a trait so that several server instances can later share one (over
//! PostgreSQL `LISTEN`/`NOTIFY` or a broker); `InProcessBus` serves one instance.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A comment became visible to readers: approved on arrival or by a moderator.
    CommentApproved { article_id: i64, comment_id: i64 },
    /// An article went live, published by an editor or by the scheduler.
    ArticlePublished { article_id: i64, section_id: i64 },
}

/// A subscriber read events more slowly than they came and was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the subscription fell {missed} events behind and was ended; subscribe again")]
pub struct FellBehind {
    pub missed: u64,
}

pub trait EventBus: Send + Sync + 'static {
    /// Hands `event` to every current subscriber; never waits for them.
    fn publish(&self, event: Event);

    /// The events published from now on. A subscriber that falls further behind than the
    /// bus keeps is dropped: its stream yields `FellBehind` and ends, instead of holding
    /// events without bound.
    fn subscribe(&self) -> BoxStream<'static, Result<Event, FellBehind>>;

    /// How many subscribers listen on this instance now.
    fn subscribers(&self) -> usize;
}

/// A bus within one server process.
pub struct InProcessBus {
    sender: broadcast::Sender<Event>,
}

impl InProcessBus {
    /// Events a subscriber may fall behind by before it is dropped.
    pub const BACKLOG: usize = 1024;

    pub fn new(backlog: usize) -> InProcessBus {
        InProcessBus { sender: broadcast::channel(backlog.max(1)).0 }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus::new(Self::BACKLOG)
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody is waiting.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> BoxStream<'static, Result<Event, FellBehind>> {
        let receiver = Some(self.sender.subscribe());
        Box::pin(futures_util::stream::unfold(receiver, |receiver| async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Ok(event) => Some((Ok(event), Some(receiver))),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "dropped a subscriber that fell behind");
                    Some((Err(FellBehind { missed }), None))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        }))
    }

    fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// A number that moves on whenever what readers can see may have changed: an answer
/// cached under one version is never served under the next.
#[derive(Debug, Default)]
pub struct ContentVersion(AtomicU64);

impl ContentVersion {
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Call after the change is committed.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn published(article_id: i64) -> Result<Event, FellBehind> {
        Ok(Event::ArticlePublished { article_id, section_id: 1 })
    }

    #[tokio::test]
    async fn every_subscriber_gets_what_is_published_after_it_subscribed() {
        let bus = InProcessBus::new(8);
        bus.publish(published(1).unwrap());
        let mut first = bus.subscribe();
        let mut second = bus.subscribe();
        bus.publish(published(2).unwrap());
        assert_eq!(first.next().await, Some(published(2)));
        assert_eq!(second.next().await, Some(published(2)));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped_and_the_others_go_on() {
        let bus = InProcessBus::new(4);
        let mut slow = bus.subscribe();
        let mut keeping_up = bus.subscribe();
        for id in 0..10 {
            bus.publish(published(id).unwrap());
            assert_eq!(keeping_up.next().await, Some(published(id)));
        }
        assert_eq!(slow.next().await, Some(Err(FellBehind { missed: 6 })), "the slow one learns why");
        assert_eq!(slow.next().await, None, "and its stream ends");
        bus.publish(published(10).unwrap());
        assert_eq!(keeping_up.next().await, Some(published(10)));
    }
}
