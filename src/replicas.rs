//! Read replicas: PostgreSQL streaming standbys that answer the queries anyone may be
//! shown (`NEWSROOM_DATABASE_READ_URLS`).
//!
//! A replica shows the primary's changes a little later than the primary. So a query
//! reads from one only when it has replayed the primary's write-ahead log past every
//! change this server has heard of ([`WalFloor`]); otherwise it reads from the primary.
//! What this server keeps (cached answers, the section tree) is then never older than
//! the changes that outdate it: a replica behind them is not read from at all.
//!
//! A watcher asks the primary for its position and each replica for what it has replayed
//! four times a second, and at once after every change heard; meanwhile a replica behind
//! the floor is asked again every 20 ms. A replica that does not answer within a second,
//! or lags more than the bound (the time since the oldest position of the primary's that
//! it has not replayed), is left out until it is back.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector};

use crate::db::DbError;
use crate::domain::pipeline::{Pipeline, WalFloor};

/// How often the watcher asks when nothing happens.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// How often it asks while a replica usable but for the floor is behind it.
const CATCH_UP_EVERY: Duration = Duration::from_millis(20);
/// A replica (or the primary) that takes longer to answer the watcher is counted as down.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// The replicas of one server, and where each query reads.
#[derive(Debug)]
pub struct ReadReplicas {
    members: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    /// Queries that could have read from a replica and read from the primary.
    pub primary_reads: Counter,
}

#[derive(Debug)]
pub struct Replica {
    db: DatabaseConnection,
    /// Whether it answers, is a standby, and lags less than the bound.
    usable: AtomicBool,
    /// The write-ahead log position it has replayed, as last asked.
    replayed: AtomicU64,
    lag_millis: AtomicU64,
    /// Queries that read from it.
    pub reads: Counter,
}

/// Where a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    Primary,
    /// The replica at this index of [`ReadReplicas::members`].
    Replica(usize),
}

impl Replica {
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn is_usable(&self) -> bool {
        self.usable.load(Ordering::SeqCst)
    }

    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_millis.load(Ordering::SeqCst))
    }

    /// Leaves the replica out until the watcher finds it answering again (a read on it
    /// failed).
    pub fn leave_out(&self) {
        if self.usable.swap(false, Ordering::SeqCst) {
            tracing::warn!("a read replica failed a read: left out until it answers again");
        }
    }
}

impl ReadReplicas {
    /// No replicas: every query reads from the primary.
    pub fn none() -> ReadReplicas {
        ReadReplicas {
            members: Vec::new(),
            next: AtomicUsize::new(0),
            max_lag: Duration::ZERO,
            primary_reads: Counter::default(),
        }
    }

    /// Pools for `urls`, each of `pool_size` connections, opened as they are needed: a
    /// replica that is down when the server starts is left out until it answers.
    pub fn connect(
        urls: &[String],
        pool_size: u32,
        statement_timeout: Duration,
        max_lag: Duration,
    ) -> Result<ReadReplicas, DbError> {
        let mut members = Vec::with_capacity(urls.len());
        for url in urls {
            if !crate::db::is_postgres(url) {
                return Err(DbError::UnsupportedUrl(url.clone()));
            }
            let mut options: PgConnectOptions = url
                .parse()
                .map_err(|e: sea_orm::sqlx::Error| DbError::Connect(format!("NEWSROOM_DATABASE_READ_URLS: {e}")))?;
            if !statement_timeout.is_zero() {
                options = options.options([("statement_timeout", statement_timeout.as_millis().max(1))]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(pool_size.max(1))
                .acquire_timeout(Duration::from_secs(2))
                .test_before_acquire(false)
                .connect_lazy_with(options.application_name("newsroom-replica-reads"));
            members.push(Replica {
                db: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                usable: AtomicBool::new(false),
                replayed: AtomicU64::new(0),
                lag_millis: AtomicU64::new(0),
                reads: Counter::default(),
            });
        }
        Ok(ReadReplicas { members, next: AtomicUsize::new(0), max_lag, primary_reads: Counter::default() })
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn members(&self) -> &[Replica] {
        &self.members
    }

    /// Where a query that may read from a replica reads: the next usable replica, in
    /// turn, that has replayed everything `floor` requires; else the primary. Counted.
    pub fn choose(&self, floor: &WalFloor) -> ReadFrom {
        if self.members.is_empty() {
            return ReadFrom::Primary;
        }
        if let Some(required) = floor.required() {
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            for turn in 0..self.members.len() {
                let index = (start + turn) % self.members.len();
                let replica = &self.members[index];
                if replica.is_usable() && replica.replayed.load(Ordering::SeqCst) >= required {
                    replica.reads.inc();
                    return ReadFrom::Replica(index);
                }
            }
        }
        self.primary_reads.inc();
        ReadFrom::Primary
    }

    /// Watches the replicas against the primary `primary` until `replicas` is dropped.
    pub fn watch(replicas: &Arc<ReadReplicas>, primary: &PgPool, pipeline: &Arc<Pipeline>) {
        if replicas.is_empty() {
            return;
        }
        let options = (*primary.connect_options()).clone().application_name("newsroom-replica-watcher");
        // A connection of its own, so that the watcher never waits for the server's pool
        // and its statements are not counted among the requests'.
        let primary = PgPoolOptions::new().max_connections(1).acquire_timeout(ANSWER_WITHIN).connect_lazy_with(options);
        tokio::spawn(watch(Arc::downgrade(replicas), primary, Arc::downgrade(pipeline)));
    }
}

/// The primary's positions over the last while, to tell how long ago a replica's
/// position was the primary's.
#[derive(Default)]
struct History(VecDeque<(Instant, u64)>);

impl History {
    fn record(&mut self, at: Instant, position: u64, keep: Duration) {
        if self.0.back().is_none_or(|(_, last)| *last < position) {
            self.0.push_back((at, position));
        }
        while self.0.len() > 1 && self.0.front().is_some_and(|(when, _)| at.duration_since(*when) > keep) {
            self.0.pop_front();
        }
    }

    /// How long ago the primary first had a position `replayed` has not reached: zero
    /// when it has reached the latest.
    fn lag(&self, replayed: u64, now: Instant) -> Duration {
        self.0.iter().find(|(_, position)| *position > replayed).map_or(Duration::ZERO, |(at, _)| now - *at)
    }
}

async fn watch(replicas: Weak<ReadReplicas>, primary: PgPool, pipeline: Weak<Pipeline>) {
    let Some(mut heard) = pipeline.upgrade().map(|p| p.watch()) else { return };
    let history = Mutex::new(History::default());
    loop {
        let (Some(replicas), Some(pipeline)) = (replicas.upgrade(), pipeline.upgrade()) else { return };
        let unplaced = pipeline.wal().unplaced();
        match position(&primary, PRIMARY_POSITION).await {
            Ok(Some(at)) => {
                pipeline.wal().place(unplaced, at);
                let keep = replicas.max_lag * 2 + Duration::from_secs(1);
                history.lock().unwrap_or_else(|p| p.into_inner()).record(Instant::now(), at, keep);
            }
            Ok(None) => tracing::debug!("DATABASE_URL is a standby: read replicas are not used"),
            Err(error) => tracing::debug!(%error, "the replica watcher cannot ask the primary"),
        }
        let checks = replicas.members.iter().map(|replica| check(replica, replicas.max_lag, &history));
        futures_util::future::join_all(checks).await;
        let required = pipeline.wal().required();
        let catching_up = replicas
            .members
            .iter()
            .any(|r| r.is_usable() && required.is_none_or(|floor| r.replayed.load(Ordering::SeqCst) < floor));
        drop((replicas, pipeline));
        let wait = if catching_up { CATCH_UP_EVERY } else { WATCH_EVERY };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = heard.changed() => if changed.is_err() { return },
        }
    }
}

/// Asks `replica` what it has replayed, and counts it usable or not.
async fn check(replica: &Replica, max_lag: Duration, history: &Mutex<History>) {
    let pool = replica.db.get_postgres_connection_pool();
    let usable = match position(pool, REPLAYED_POSITION).await {
        Ok(Some(replayed)) => {
            replica.replayed.fetch_max(replayed, Ordering::SeqCst);
            let lag = history.lock().unwrap_or_else(|p| p.into_inner()).lag(replayed, Instant::now());
            replica.lag_millis.store(lag.as_millis() as u64, Ordering::SeqCst);
            lag <= max_lag
        }
        Ok(None) => {
            tracing::debug!("a read replica is not a standby (pg_last_wal_replay_lsn() is null): left out");
            false
        }
        Err(error) => {
            tracing::debug!(%error, "a read replica does not answer: left out");
            false
        }
    };
    let was = replica.usable.swap(usable, Ordering::SeqCst);
    if was != usable {
        let lag_ms = replica.lag_millis.load(Ordering::SeqCst);
        match usable {
            true => tracing::info!(lag_ms, "a read replica is taken back"),
            false => tracing::warn!(lag_ms, "a read replica is left out"),
        }
    }
}

const PRIMARY_POSITION: &str = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";
const REPLAYED_POSITION: &str = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint";

/// A write-ahead log position, as bytes, asked with `sql` (null off its kind of server).
async fn position(pool: &PgPool, sql: &'static str) -> Result<Option<u64>, String> {
    let asked = sea_orm::sqlx::query_scalar::<_, Option<i64>>(sql).fetch_one(pool);
    match tokio::time::timeout(ANSWER_WITHIN, asked).await {
        Ok(Ok(position)) => Ok(position.map(|p| p.max(0) as u64)),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {ANSWER_WITHIN:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_lags_by_the_age_of_the_oldest_position_it_has_not_replayed() {
        let start = Instant::now();
        let mut history = History::default();
        let keep = Duration::from_secs(60);
        history.record(start, 100, keep);
        history.record(start + Duration::from_secs(1), 100, keep);
        history.record(start + Duration::from_secs(2), 200, keep);
        history.record(start + Duration::from_secs(3), 300, keep);
        let now = start + Duration::from_secs(4);
        assert_eq!(history.lag(300, now), Duration::ZERO);
        assert_eq!(history.lag(250, now), Duration::from_secs(1));
        assert_eq!(history.lag(150, now), Duration::from_secs(2));
        assert_eq!(history.lag(0, now), Duration::from_secs(4));
    }

    #[test]
    fn old_positions_are_forgotten_but_the_latest_is_kept() {
        let start = Instant::now();
        let mut history = History::default();
        let keep = Duration::from_secs(2);
        history.record(start, 100, keep);
        history.record(start + Duration::from_secs(10), 100, keep);
        assert_eq!(history.0.len(), 1);
        assert_eq!(history.lag(50, start + Duration::from_secs(11)), Duration::from_secs(11));
        history.record(start + Duration::from_secs(11), 200, keep);
        assert_eq!(history.0.len(), 1, "{:?}", history.0);
    }
}
