//! The change pipeline: every committed write hands its [`Change`] to
//! [`Pipeline::publish`], once, after commit. From there it reaches
//!
//! - what this server keeps (the response cache, the section tree and the rows kept
//!   between queries, [`super::kept_rows`]): at once, before the write is answered,
//!   through the [`TagClock`] they consult, so the writer's next read shows its write;
//! - the live subscriptions and anything else that follows [`Pipeline::subscribe`];
//! - the other servers on the same PostgreSQL database, through the relay
//!   ([`super::relay`]), which hands their changes back in with [`Pipeline::receive`];
//! - the choice of a read replica: a replica answers only once it has replayed the
//!   primary's write-ahead log past every change heard ([`WalFloor`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::{broadcast, mpsc, watch};

use super::changes::{Change, Event, Tag};

/// A subscriber read changes more slowly than they came and was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the subscription fell {missed} events behind and was ended; subscribe again")]
pub struct FellBehind {
    pub missed: u64,
}

/// A moment of the [`TagClock`]: what was read after it is at least as new as every
/// change the clock had counted by then.
pub type Stamp = u64;

/// When each tag last changed, for those that keep answers: an answer read at a stamp
/// is current while none of its tags has changed since.
///
/// Tags share a fixed number of slots by hash, so memory stays the same however many
/// tags there are; two tags in one slot only make an answer look outdated now and then,
/// never current when it is not.
pub struct TagClock {
    ticks: AtomicU64,
    /// When everything last changed.
    everything: AtomicU64,
    /// While set, nothing counts as current: changes may be going unheard.
    blind: AtomicBool,
    slots: Box<[AtomicU64]>,
}

const SLOTS: usize = 1 << 16;

impl Default for TagClock {
    fn default() -> Self {
        TagClock {
            ticks: AtomicU64::new(0),
            everything: AtomicU64::new(0),
            blind: AtomicBool::new(false),
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// Where a tag's last change is counted.
pub fn slot(tag: Tag) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    tag.hash(&mut hasher);
    (hasher.finish() % SLOTS as u64) as u32
}

impl TagClock {
    pub fn now(&self) -> Stamp {
        self.ticks.load(Ordering::SeqCst)
    }

    /// Counts a change to `tags`; call it after the change is committed.
    pub fn changed<'a>(&self, tags: impl IntoIterator<Item = &'a Tag>) {
        let tick = self.ticks.fetch_add(1, Ordering::SeqCst) + 1;
        for tag in tags {
            match tag {
                Tag::All => self.everything.fetch_max(tick, Ordering::SeqCst),
                tag => self.slots[slot(*tag) as usize].fetch_max(tick, Ordering::SeqCst),
            };
        }
    }

    /// Whether nothing under `slots` (see [`slot`]) changed after `since`.
    pub fn unchanged_since(&self, since: Stamp, slots: &[u32]) -> bool {
        !self.is_blind()
            && self.everything.load(Ordering::SeqCst) <= since
            && slots.iter().all(|slot| self.slots[*slot as usize].load(Ordering::SeqCst) <= since)
    }

    /// Whether changes may be going unheard, so that nothing kept counts as current.
    pub fn is_blind(&self) -> bool {
        self.blind.load(Ordering::SeqCst)
    }

    fn set_blind(&self, blind: bool) {
        self.blind.store(blind, Ordering::SeqCst);
    }
}

/// How far into the primary's write-ahead log a read replica must have replayed to show
/// every change this server has heard of: a position (a PostgreSQL LSN, as bytes from
/// `0/0`) after the commit of each. A change heard without its position (this server's
/// own, or one relayed without it) leaves the floor unknown, and no replica may answer,
/// until [`place`](Self::place) is given a position read from the primary after it was
/// heard.
#[derive(Debug, Default)]
pub struct WalFloor(Mutex<Floor>);

#[derive(Debug, Default)]
struct Floor {
    position: u64,
    /// Counts the changes heard without a position.
    unplaced: u64,
    /// The count of those covered by a position since.
    placed: u64,
}

impl WalFloor {
    /// The position a replica must have replayed, or `None` while a change's is unknown.
    pub fn required(&self) -> Option<u64> {
        let floor = self.lock();
        (floor.placed == floor.unplaced).then_some(floor.position)
    }

    /// Counts a change heard; call it before the change reaches the [`TagClock`], so that a
    /// read stamped after the change cannot have chosen a replica by the floor before it.
    fn heard(&self, position: Option<u64>) {
        let mut floor = self.lock();
        match position {
            Some(position) => floor.position = floor.position.max(position),
            None => floor.unplaced += 1,
        }
    }

    /// What to hand [`place`](Self::place) with a position read after this call.
    pub fn unplaced(&self) -> u64 {
        self.lock().unplaced
    }

    /// `position`, the primary's read after [`unplaced`](Self::unplaced) answered
    /// `unplaced`, is past the commit of every change heard until then.
    pub fn place(&self, unplaced: u64, position: u64) {
        let mut floor = self.lock();
        floor.position = floor.position.max(position);
        floor.placed = floor.placed.max(unplaced);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Floor> {
        // The floor is a few integers, consistent after every statement: a panic elsewhere
        // while it was held leaves nothing half-done.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The slots of `tags`, each once: what an answer keeps to ask the clock about itself.
pub fn slots_of(tags: &[Tag]) -> Vec<u32> {
    let mut slots: Vec<u32> = tags.iter().map(|tag| slot(*tag)).collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

pub struct Pipeline {
    clock: TagClock,
    wal: WalFloor,
    subscribers: broadcast::Sender<Arc<Change>>,
    /// Where this server's own changes go to reach the other servers, when a relay runs.
    relay: OnceLock<mpsc::UnboundedSender<Arc<Change>>>,
    /// Counts the changes heard, here or from other servers, for background work that
    /// only needs to know that something happened (the webhook and email senders).
    heard: watch::Sender<u64>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline::new(Pipeline::BACKLOG)
    }
}

impl Pipeline {
    /// Changes a subscriber may fall behind by before it is dropped.
    pub const BACKLOG: usize = 1024;

    pub fn new(backlog: usize) -> Pipeline {
        Pipeline {
            clock: TagClock::default(),
            wal: WalFloor::default(),
            subscribers: broadcast::channel(backlog.max(1)).0,
            relay: OnceLock::new(),
            heard: watch::Sender::new(0),
        }
    }

    /// Wakes whoever waits on it ([`watch::Receiver::changed`]) after each change heard;
    /// unlike [`subscribe`](Self::subscribe), it never falls behind and is not counted
    /// as a subscriber.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.heard.subscribe()
    }

    /// Hands a change this server committed to everyone who keeps or follows what it
    /// touched. Call it after the commit, once per write.
    pub fn publish(&self, change: Change) {
        if change.is_empty() {
            return;
        }
        let change = Arc::new(change);
        self.wal.heard(None);
        self.clock.changed(&change.tags);
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(change.clone());
        }
        // No subscriber is not an error: nobody is waiting.
        let _ = self.subscribers.send(change);
        self.heard.send_modify(|count| *count += 1);
    }

    /// Hands in a change another server committed, with the primary's write-ahead log
    /// position after its commit when the notice carried one.
    pub fn receive(&self, change: Change, wal: Option<u64>) {
        self.wal.heard(wal);
        self.clock.changed(&change.tags);
        let _ = self.subscribers.send(Arc::new(change));
        self.heard.send_modify(|count| *count += 1);
    }

    /// From now on changes made elsewhere may go unheard: nothing kept counts as current
    /// until [`heard_again`](Self::heard_again).
    pub fn unheard(&self) {
        self.clock.set_blind(true);
        self.clock.changed(&[Tag::All]);
    }

    /// Changes made elsewhere are heard again; everything kept before is outdated, since
    /// what changed meanwhile is not known.
    pub fn heard_again(&self) {
        self.wal.heard(None);
        self.clock.changed(&[Tag::All]);
        self.clock.set_blind(false);
        let _ = self.subscribers.send(Arc::new(Change::everything()));
    }

    /// Sends this server's changes to `relay` from now on.
    pub fn relay_to(&self, relay: mpsc::UnboundedSender<Arc<Change>>) {
        let _ = self.relay.set(relay);
    }

    pub fn clock(&self) -> &TagClock {
        &self.clock
    }

    pub fn wal(&self) -> &WalFloor {
        &self.wal
    }

    /// The changes published or received from now on. A subscriber that falls further
    /// behind than the pipeline keeps is dropped: its stream yields `FellBehind` and
    /// ends, instead of holding changes without bound.
    pub fn subscribe(&self) -> BoxStream<'static, Result<Arc<Change>, FellBehind>> {
        let receiver = Some(self.subscribers.subscribe());
        Box::pin(futures_util::stream::unfold(receiver, |receiver| async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Ok(change) => Some((Ok(change), Some(receiver))),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "dropped a subscriber that fell behind");
                    Some((Err(FellBehind { missed }), None))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        }))
    }

    /// The events of the changes from now on, one by one.
    pub fn events(&self) -> BoxStream<'static, Result<Event, FellBehind>> {
        Box::pin(self.subscribe().flat_map(|change| {
            let events: Vec<Result<Event, FellBehind>> = match change {
                Ok(change) => change.events.iter().copied().map(Ok).collect(),
                Err(fell) => vec![Err(fell)],
            };
            futures_util::stream::iter(events)
        }))
    }

    /// How many follow the changes on this server now.
    pub fn subscribers(&self) -> usize {
        self.subscribers.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn published(article_id: i64) -> Event {
        Event::ArticlePublished { article_id, section_id: 1 }
    }

    fn change(article_id: i64) -> Change {
        Change::of([Tag::Article(article_id)]).with_event(published(article_id))
    }

    #[tokio::test]
    async fn every_subscriber_gets_what_is_published_after_it_subscribed() {
        let pipeline = Pipeline::new(8);
        pipeline.publish(change(1));
        let mut first = pipeline.events();
        let mut second = pipeline.events();
        pipeline.publish(change(2));
        assert_eq!(first.next().await, Some(Ok(published(2))));
        assert_eq!(second.next().await, Some(Ok(published(2))));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped_and_the_others_go_on() {
        let pipeline = Pipeline::new(4);
        let mut slow = pipeline.events();
        let mut keeping_up = pipeline.events();
        for id in 0..10 {
            pipeline.publish(change(id));
            assert_eq!(keeping_up.next().await, Some(Ok(published(id))));
        }
        assert_eq!(slow.next().await, Some(Err(FellBehind { missed: 6 })), "the slow one learns why");
        assert_eq!(slow.next().await, None, "and its stream ends");
        pipeline.publish(change(10));
        assert_eq!(keeping_up.next().await, Some(Ok(published(10))));
    }

    #[test]
    fn the_wal_floor_is_unknown_from_a_change_heard_without_position_until_placed_after_it() {
        let pipeline = Pipeline::default();
        assert_eq!(pipeline.wal().required(), Some(0));
        pipeline.receive(change(1), Some(500));
        assert_eq!(pipeline.wal().required(), Some(500), "a relayed change carries its position");
        pipeline.receive(change(2), Some(300));
        assert_eq!(pipeline.wal().required(), Some(500), "the floor never goes back");

        let before_own_write = pipeline.wal().unplaced();
        pipeline.publish(change(3));
        assert_eq!(pipeline.wal().required(), None, "this server's own change has no position yet");
        pipeline.wal().place(before_own_write, 900);
        assert_eq!(pipeline.wal().required(), None, "a position read before the change does not cover it");
        let after = pipeline.wal().unplaced();
        pipeline.publish(change(4));
        pipeline.wal().place(after, 1_000);
        assert_eq!(pipeline.wal().required(), None, "nor one read before the second change");
        pipeline.wal().place(pipeline.wal().unplaced(), 1_100);
        assert_eq!(pipeline.wal().required(), Some(1_100));
    }

    #[test]
    fn an_answer_stays_current_until_one_of_its_tags_changes() {
        let pipeline = Pipeline::default();
        let read = slots_of(&[Tag::Article(1), Tag::Sections]);
        let since = pipeline.clock().now();
        pipeline.publish(Change::of([Tag::Article(2)]));
        assert!(pipeline.clock().unchanged_since(since, &read));
        pipeline.publish(Change::of([Tag::Sections]));
        assert!(!pipeline.clock().unchanged_since(since, &read));
        let later = pipeline.clock().now();
        assert!(pipeline.clock().unchanged_since(later, &read), "read again after the change, it is current");
        pipeline.receive(Change::everything(), None);
        assert!(!pipeline.clock().unchanged_since(later, &read), "everything changed");
    }

    #[test]
    fn nothing_is_current_while_changes_go_unheard() {
        let pipeline = Pipeline::default();
        let read = slots_of(&[Tag::Article(1)]);
        pipeline.unheard();
        let during = pipeline.clock().now();
        assert!(!pipeline.clock().unchanged_since(during, &read));
        pipeline.heard_again();
        assert!(!pipeline.clock().unchanged_since(during, &read), "what was read meanwhile is outdated");
        let after = pipeline.clock().now();
        assert!(pipeline.clock().unchanged_since(after, &read));
    }
}
