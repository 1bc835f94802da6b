//! Changes between the servers of one PostgreSQL database, over `LISTEN`/`NOTIFY`.
//!
//! Each server sends its own changes, after commit, as notifications on the channel
//! [`CHANNEL`], and listens on one connection of its own for everyone's. A notification
//! names its sender, so a server skips its own (it delivered them when it made them), and
//! carries the change's tags and events in at most [`MAX_PAYLOAD`] bytes (PostgreSQL
//! takes less than 8,000): tags that do not fit are sent as `all`, events that do not fit
//! go in further notifications.
//!
//! Notifications sent while a server does not listen are lost to it. So from the moment
//! its listening connection is lost the server counts nothing it keeps as current, and
//! once it listens again it drops everything it kept, since it cannot know what changed
//! meanwhile. It tries again after 0.1 s, doubling up to 10 s. A heartbeat it sends itself
//! every few seconds tells a connection that went silent from a quiet database.

use std::sync::{Arc, Weak};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::changes::{Change, Event, Tag};
use super::pipeline::Pipeline;

pub const CHANNEL: &str = "newsroom_changes";
/// The `application_name` of the listening connection, as `pg_stat_activity` shows it.
pub const LISTENER_NAME: &str = "newsroom-listener";
/// The longest payload sent; PostgreSQL's limit is 8,000 bytes.
pub const MAX_PAYLOAD: usize = 7_900;

const HEARTBEAT: Duration = Duration::from_secs(5);
/// Silence this long on the listening connection means it is gone.
const SILENCE: Duration = Duration::from_secs(16);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(10);

/// What the relay counts, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct RelayCounters {
    pub sent: Counter,
    pub received: Counter,
    pub reconnects: Counter,
}

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    /// The sending server.
    from: String,
    /// Space-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    tags: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<Event>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    heartbeat: bool,
    /// The primary's write-ahead log position (bytes from `0/0`) when the notice was sent,
    /// after the change's commit: read replicas must have replayed this far to show it.
    /// Added by the statement that sends the notice.
    #[serde(default, skip_serializing)]
    wal: Option<u64>,
}

impl Notice {
    fn change(self) -> Change {
        let tags = self.tags.split_ascii_whitespace().map(|tag| tag.parse::<Tag>().unwrap_or(Tag::All));
        Change { tags: tags.collect(), events: self.events }
    }
}

fn payload(notice: &Notice) -> String {
    serde_json::to_string(notice).unwrap_or_default()
}

/// The payloads that carry `change` from `from`, each at most [`MAX_PAYLOAD`] bytes.
fn payloads(from: &str, change: &Change) -> Vec<String> {
    let mut tags = change.tags.iter().map(Tag::to_string).collect::<Vec<_>>().join(" ");
    let notice =
        |tags: String, events: Vec<Event>| Notice { from: from.to_owned(), tags, events, heartbeat: false, wal: None };
    if payload(&notice(tags.clone(), Vec::new())).len() > MAX_PAYLOAD {
        tags = Tag::All.to_string();
    }
    let mut sent = Vec::new();
    let mut current = notice(tags, Vec::new());
    for event in &change.events {
        current.events.push(*event);
        if current.events.len() > 1 && payload(&current).len() > MAX_PAYLOAD {
            current.events.pop();
            sent.push(payload(&current));
            current = notice(String::new(), vec![*event]);
        }
    }
    sent.push(payload(&current));
    sent
}

async fn notify(pool: &PgPool, payload: &str) -> Result<(), sea_orm::sqlx::Error> {
    sea_orm::sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(pool).await.map(|_| ())
}

/// Tells the servers on the database of `pool` about `change`, from outside any of them
/// (an import).
pub async fn announce(pool: &PgPool, change: &Change) -> Result<(), sea_orm::sqlx::Error> {
    notify_all(pool, &payloads("outside", change)).await.map(|_| ())
}

/// Relays `pipeline`'s changes to and from the other servers of the database `pool`
/// connects to, until the pipeline is dropped. Returns once it listens, or after a few
/// seconds of trying (it goes on trying meanwhile, counting nothing kept as current).
pub async fn start(pipeline: &Arc<Pipeline>, pool: &PgPool, counters: RelayCounters) {
    let from = format!("{:016x}", rand::random::<u64>());
    let options = (*pool.connect_options()).clone();
    // Connections of its own, so that the relay never waits for the server's pool and its
    // statements are not counted among the requests'.
    let sender = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.clone().application_name("newsroom-notifier"));
    let (changes, outgoing) = mpsc::unbounded_channel();
    pipeline.relay_to(changes);
    pipeline.unheard();
    tokio::spawn(send(sender, outgoing, from.clone(), counters.clone()));
    let (listening, listens) = tokio::sync::oneshot::channel();
    tokio::spawn(listen(Arc::downgrade(pipeline), options, from, counters, listening));
    let _ = tokio::time::timeout(Duration::from_secs(5), listens).await;
}

/// Sends each change this server makes, and a heartbeat when it has been quiet. A change
/// that cannot be sent is tried again, with a backoff, together with those made
/// meanwhile: the others hear of it late rather than never.
async fn send(pool: PgPool, mut outgoing: mpsc::UnboundedReceiver<Arc<Change>>, from: String, counters: RelayCounters) {
    let heartbeat =
        payload(&Notice { from: from.clone(), tags: String::new(), events: Vec::new(), heartbeat: true, wal: None });
    loop {
        let change = match tokio::time::timeout(HEARTBEAT, outgoing.recv()).await {
            Ok(Some(change)) => Change::clone(&change),
            // The pipeline is gone.
            Ok(None) => return,
            Err(_quiet) => {
                if let Err(error) = notify(&pool, &heartbeat).await {
                    tracing::debug!(%error, "could not send a heartbeat");
                }
                continue;
            }
        };
        let mut unsent = change;
        let mut retry = FIRST_RETRY;
        loop {
            match notify_all(&pool, &payloads(&from, &unsent)).await {
                Ok(sent) => {
                    counters.sent.inc_by(sent);
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?retry, "could not tell the other servers about a change");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(LAST_RETRY);
                    while let Ok(more) = outgoing.try_recv() {
                        unsent = unsent.and(Change::clone(&more));
                    }
                }
            }
        }
    }
}

/// Sends the payloads of one change in one statement, so that none goes without the rest,
/// each with the primary's write-ahead log position as the statement runs (after the
/// change's commit, which is why changes are sent after it); answers how many were sent.
async fn notify_all(pool: &PgPool, payloads: &[String]) -> Result<u64, sea_orm::sqlx::Error> {
    // At most 27 bytes more than MAX_PAYLOAD leaves room for.
    const SEND: &str = "SELECT pg_notify($1, left(payload, -1) || ',\"wal\":' \
        || (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint || '}') FROM unnest($2::text[]) AS payload";
    sea_orm::sqlx::query(SEND).bind(CHANNEL).bind(payloads).execute(pool).await?;
    Ok(payloads.len() as u64)
}

async fn listen(
    pipeline: Weak<Pipeline>,
    options: PgConnectOptions,
    from: String,
    counters: RelayCounters,
    listening: tokio::sync::oneshot::Sender<()>,
) {
    let mut listening = Some(listening);
    let mut retry = FIRST_RETRY;
    loop {
        match connect(&options).await {
            Ok(mut listener) => {
                let Some(alive) = pipeline.upgrade() else { return };
                alive.heard_again();
                match listening.take() {
                    Some(first) => {
                        let _ = first.send(());
                        tracing::debug!("listening for the other servers' changes");
                    }
                    None => {
                        counters.reconnects.inc();
                        tracing::info!("listening for the other servers' changes again; dropped everything kept");
                    }
                }
                retry = FIRST_RETRY;
                drop(alive);
                let lost = receive(&mut listener, &pipeline, &from, &counters).await;
                let Some(alive) = pipeline.upgrade() else { return };
                alive.unheard();
                tracing::warn!(reason = %lost, "lost the connection that hears the other servers' changes");
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?retry, "cannot listen for the other servers' changes")
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
        if pipeline.strong_count() == 0 {
            return;
        }
    }
}

/// The listening connection, or why there is none within [`SILENCE`] (a server that takes
/// connections but answers nothing counts as gone).
async fn connect(options: &PgConnectOptions) -> Result<PgListener, sea_orm::sqlx::Error> {
    match tokio::time::timeout(SILENCE, connect_once(options)).await {
        Ok(listening) => listening,
        Err(_) => Err(sea_orm::sqlx::Error::PoolTimedOut),
    }
}

async fn connect_once(options: &PgConnectOptions) -> Result<PgListener, sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.clone().application_name(LISTENER_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands the other servers' changes to the pipeline until the connection is lost (or
/// the pipeline is gone), and says why it stopped.
async fn receive(listener: &mut PgListener, pipeline: &Weak<Pipeline>, from: &str, counters: &RelayCounters) -> String {
    loop {
        let notification = match tokio::time::timeout(SILENCE, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => notification,
            Ok(Ok(None)) => return "the connection closed".into(),
            Ok(Err(error)) => return error.to_string(),
            Err(_) => return format!("nothing heard for {} s, not even our own heartbeat", SILENCE.as_secs()),
        };
        let Some(pipeline) = pipeline.upgrade() else { return "the server stopped".into() };
        match serde_json::from_str::<Notice>(notification.payload()) {
            Ok(notice) if notice.from == from || notice.heartbeat => {}
            Ok(notice) => {
                counters.received.inc();
                let wal = notice.wal;
                pipeline.receive(notice.change(), wal);
            }
            Err(error) => {
                tracing::warn!(%error, "a change notification that cannot be read: dropped everything kept");
                pipeline.receive(Change::everything(), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_crosses_as_it_was_made() {
        let change = Change::of([Tag::Article(3), Tag::Sections, Tag::SectionArticles(2)])
            .with_event(Event::ArticlePublished { article_id: 3, section_id: 2 });
        let sent = payloads("a1", &change);
        assert_eq!(sent.len(), 1);
        let notice: Notice = serde_json::from_str(&sent[0]).unwrap();
        assert_eq!(notice.from, "a1");
        assert_eq!(notice.change(), change);
    }

    #[test]
    fn too_many_tags_cross_as_all_and_events_spread_over_notifications() {
        let mut change = Change::of((0..2_000).map(Tag::Article));
        change.events = (0..500).map(|id| Event::CommentApproved { article_id: 1, comment_id: id }).collect();
        let sent = payloads("a1", &change);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() <= MAX_PAYLOAD), "{:?}", sent.iter().map(String::len).collect::<Vec<_>>());
        let received: Vec<Change> = sent.iter().map(|p| serde_json::from_str::<Notice>(p).unwrap().change()).collect();
        assert_eq!(received[0].tags, Change::everything().tags);
        assert!(received[1..].iter().all(|c| c.tags.is_empty()));
        let events: Vec<Event> = received.into_iter().flat_map(|c| c.events).collect();
        assert_eq!(events, change.events);
    }

    #[test]
    fn a_live_blog_change_crosses_with_what_happened() {
        use super::super::changes::EntryChange;
        for what in [EntryChange::Added, EntryChange::Updated, EntryChange::Deleted] {
            let change = Change::of([Tag::Article(3), Tag::Search]).with_event(Event::LiveEntryChanged {
                article_id: 3,
                entry_id: 9,
                change: what,
            });
            let sent = payloads("a1", &change);
            assert_eq!(serde_json::from_str::<Notice>(&sent[0]).unwrap().change(), change);
        }
    }

    #[test]
    fn an_unknown_tag_reads_as_all() {
        let notice = Notice {
            from: "b".into(),
            tags: "article-1 something-new".into(),
            events: vec![],
            heartbeat: false,
            wal: None,
        };
        assert!(notice.change().tags.contains(&Tag::All));
    }
}
