//! What the server counts about itself, served in the Prometheus text format at `/metrics`.
//!
//! Everything a request touches is an atomic: counting adds no lock and no allocation to
//! the path of an answer served from the response cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::domain::relay::RelayCounters;
use crate::replicas::ReadReplicas;

pub struct Metrics {
    registry: Registry,
    /// SQL statements sent to the database, counted by a hook on the connection.
    pub sql_statements: Counter,
    /// GraphQL requests over HTTP by operation and outcome.
    pub requests: Arc<Requests>,
    /// How long GraphQL requests over HTTP took, from the first byte read to the answer.
    pub latency: Latency,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    /// Requests that waited for another request computing the same answer.
    pub cache_coalesced: Counter,
    /// Answers dropped because a change touched one of their tags.
    pub cache_dropped: Counter,
    /// Bytes of answers the response cache holds.
    pub cache_bytes: Gauge,
    /// Changes sent to and received from the other servers, and listener reconnects.
    pub relay: RelayCounters,
    /// Requests refused with `RATE_LIMITED`.
    pub rate_limited: Counter,
    /// Open WebSocket connections (subscriptions).
    pub websockets: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("newsroom");
        let metrics = Metrics {
            sql_statements: Counter::default(),
            requests: Arc::new(Requests::default()),
            latency: Latency::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            cache_coalesced: Counter::default(),
            cache_dropped: Counter::default(),
            cache_bytes: Gauge::default(),
            relay: RelayCounters::default(),
            rate_limited: Counter::default(),
            websockets: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("sql_statements", "SQL statements sent to the database", metrics.sql_statements.clone());
        registry.register_collector(Box::new(metrics.requests.clone()));
        registry.register(
            "graphql_request_duration_seconds",
            "Time from the start of a GraphQL request over HTTP to its answer",
            metrics.latency.clone(),
        );
        registry.register(
            "response_cache_hits",
            "Anonymous queries answered from the response cache",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "response_cache_misses",
            "Anonymous queries the response cache had no fresh answer for",
            metrics.cache_misses.clone(),
        );
        registry.register(
            "response_cache_coalesced",
            "Anonymous queries that waited for another request computing the same answer",
            metrics.cache_coalesced.clone(),
        );
        registry.register(
            "response_cache_dropped",
            "Cached answers dropped because a change touched what they read",
            metrics.cache_dropped.clone(),
        );
        registry.register(
            "change_notifications_sent",
            "Changes sent to the other servers of the PostgreSQL database",
            metrics.relay.sent.clone(),
        );
        registry.register(
            "change_notifications_received",
            "Changes received from the other servers of the PostgreSQL database",
            metrics.relay.received.clone(),
        );
        registry.register(
            "change_listener_reconnects",
            "Times the connection that hears the other servers' changes was lost and made again",
            metrics.relay.reconnects.clone(),
        );
        registry.register(
            "response_cache_bytes",
            "Bytes of answers the response cache holds (NEWSROOM_RESPONSE_CACHE_MB bounds it)",
            metrics.cache_bytes.clone(),
        );
        registry.register("rate_limited_requests", "Requests refused with RATE_LIMITED", metrics.rate_limited.clone());
        registry.register(
            "websocket_connections",
            "Open WebSocket connections (subscriptions)",
            metrics.websockets.clone(),
        );
        Metrics { registry, ..metrics }
    }

    /// Reports the use of `db`'s connection pool at each scrape.
    pub fn watch_pool(&mut self, db: DatabaseConnection) {
        self.registry.register_collector(Box::new(PoolUse(db)));
    }

    /// Reports where queries read and how the read replicas fare at each scrape.
    pub fn watch_replicas(&mut self, replicas: Arc<ReadReplicas>) {
        if !replicas.is_empty() {
            self.registry.register_collector(Box::new(ReplicaUse(replicas)));
        }
    }

    /// Everything counted so far, in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The `outcome` label of a request: `ok`, or the code of its first error. Codes not in
/// this list (none are expected) count as `INTERNAL_SERVER_ERROR`.
const OUTCOMES: [&str; 13] = [
    "ok",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "PERSISTED_QUERY_NOT_FOUND",
    "SUBSCRIPTION_DROPPED",
];

/// An outcome, as an index into [`OUTCOMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome(usize);

impl Outcome {
    pub const OK: Outcome = Outcome(0);

    /// The outcome of an answer whose first error has `code`.
    pub fn of_code(code: &str) -> Outcome {
        let index = OUTCOMES.iter().position(|known| *known == code);
        Outcome(index.unwrap_or_else(|| Outcome::of_code("INTERNAL_SERVER_ERROR").0))
    }

    pub fn label(self) -> &'static str {
        OUTCOMES[self.0]
    }
}

/// Distinct operation names counted apart; past them, new names count as [`OTHER`].
pub const MAX_OPERATIONS: usize = 100;

/// The `operation` label of anonymous operations, of requests whose operation is not
/// known, and of names past [`MAX_OPERATIONS`].
pub const OTHER: &str = "(other)";

/// Longest operation name counted apart; clients choose the names.
const MAX_NAME_LEN: usize = 100;

/// GraphQL requests by operation name and outcome.
#[derive(Debug)]
pub struct Requests {
    named: RwLock<HashMap<Arc<str>, Arc<OperationCounts>>>,
    other: Arc<OperationCounts>,
}

impl Default for Requests {
    fn default() -> Self {
        Requests { named: RwLock::default(), other: Arc::new(OperationCounts::new(OTHER.into())) }
    }
}

/// The requests of one operation name, by outcome.
#[derive(Debug)]
pub struct OperationCounts {
    name: Arc<str>,
    outcomes: [AtomicU64; OUTCOMES.len()],
}

impl OperationCounts {
    fn new(name: Arc<str>) -> OperationCounts {
        OperationCounts { name, outcomes: std::array::from_fn(|_| AtomicU64::new(0)) }
    }

    pub fn count(&self, outcome: Outcome) {
        self.outcomes[outcome.0].fetch_add(1, Ordering::Relaxed);
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Requests {
    /// The counts of the operation `name` (a GraphQL name its document defines), or those
    /// of [`OTHER`].
    pub fn operation(&self, name: Option<&str>) -> Arc<OperationCounts> {
        let Some(name) = name.filter(|name| is_countable(name)) else {
            return self.other.clone();
        };
        let named = self.named.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(counts) = named.get(name) {
            return counts.clone();
        }
        drop(named);
        let mut named = self.named.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(counts) = named.get(name) {
            return counts.clone();
        }
        if named.len() >= MAX_OPERATIONS {
            return self.other.clone();
        }
        let name: Arc<str> = name.into();
        let counts = Arc::new(OperationCounts::new(name.clone()));
        named.insert(name, counts.clone());
        counts
    }
}

fn is_countable(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl Collector for Requests {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let named = self.named.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut operations: Vec<&OperationCounts> = named.values().map(Arc::as_ref).collect();
        operations.sort_by(|a, b| a.name.cmp(&b.name));
        operations.push(&self.other);
        let mut family = encoder.encode_descriptor(
            "graphql_requests",
            "GraphQL requests over HTTP by operation name and outcome (ok, or the code of the first error)",
            None,
            MetricType::Counter,
        )?;
        for counts in operations {
            for (outcome, count) in OUTCOMES.iter().zip(&counts.outcomes) {
                let count = count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let labels = [("operation", counts.name.as_ref()), ("outcome", *outcome)];
                ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BOUNDS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A histogram of durations kept in atomics: prometheus-client's own `Histogram` takes a
/// lock for every observation, and this one sees every request. Clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct Latency(Arc<LatencyCounts>);

#[derive(Debug)]
struct LatencyCounts {
    /// Observations per bucket (not cumulative); the last is past every bound.
    buckets: [AtomicU64; LATENCY_BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Default for LatencyCounts {
    fn default() -> Self {
        LatencyCounts { buckets: std::array::from_fn(|_| AtomicU64::new(0)), sum_nanos: AtomicU64::new(0) }
    }
}

impl Latency {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BOUNDS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BOUNDS.len());
        self.0.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.0.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = LATENCY_BOUNDS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> =
            bounds.zip(&self.0.buckets).map(|(b, n)| (b, n.load(Ordering::Relaxed))).collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.0.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The connections of the database pool, read at each scrape.
#[derive(Debug)]
struct PoolUse(DatabaseConnection);

impl Collector for PoolUse {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (open, idle, max) = match self.0.get_database_backend() {
            DatabaseBackend::Postgres => {
                let pool = self.0.get_postgres_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            DatabaseBackend::Sqlite => {
                let pool = self.0.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            _ => return Ok(()),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(open);
        let mut connections = encoder.encode_descriptor(
            "db_pool_connections",
            "Open database connections: in use by a request, or idle in the pool",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(open - idle)).encode(connections.encode_family(&[("state", "in_use")])?)?;
        ConstGauge::new(i64::from(idle)).encode(connections.encode_family(&[("state", "idle")])?)?;
        let max_connections = encoder.encode_descriptor(
            "db_pool_max_connections",
            "Most connections the database pool opens (NEWSROOM_DB_MAX_CONNECTIONS)",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(max)).encode(max_connections)?;
        Ok(())
    }
}

/// The read replicas, labelled by their place in NEWSROOM_DATABASE_READ_URLS from 1 (a
/// URL may hold a password).
#[derive(Debug)]
struct ReplicaUse(Arc<ReadReplicas>);

impl Collector for ReplicaUse {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let members = self.0.members();
        let labels: Vec<String> = (1..=members.len()).map(|n| n.to_string()).collect();
        let mut reads = encoder.encode_descriptor(
            "replica_reads",
            "Queries that read from a replica (by its place in NEWSROOM_DATABASE_READ_URLS)",
            None,
            MetricType::Counter,
        )?;
        for (replica, label) in members.iter().zip(&labels) {
            ConstCounter::new(replica.reads.get()).encode(reads.encode_family(&[("replica", label.as_str())])?)?;
        }
        let primary = encoder.encode_descriptor(
            "replica_primary_reads",
            "Queries a replica could have answered that read from the primary: none was usable or caught up",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(self.0.primary_reads.get()).encode(primary)?;
        let mut usable = encoder.encode_descriptor(
            "replica_usable",
            "1 while a replica answers and lags less than NEWSROOM_REPLICA_MAX_LAG, else 0",
            None,
            MetricType::Gauge,
        )?;
        for (replica, label) in members.iter().zip(&labels) {
            ConstGauge::new(i64::from(replica.is_usable()))
                .encode(usable.encode_family(&[("replica", label.as_str())])?)?;
        }
        let mut lag = encoder.encode_descriptor(
            "replica_lag_seconds",
            "How long ago the primary first had a position the replica has not replayed",
            None,
            MetricType::Gauge,
        )?;
        for (replica, label) in members.iter().zip(&labels) {
            ConstGauge::new(replica.lag().as_secs_f64()).encode(lag.encode_family(&[("replica", label.as_str())])?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        let requests = Requests::default();
        assert_eq!(requests.operation(None).name(), OTHER);
        assert_eq!(requests.operation(Some("ArticlePage")).name(), "ArticlePage");
        assert_eq!(requests.operation(Some("not a name")).name(), OTHER);
        assert_eq!(requests.operation(Some(&"x".repeat(MAX_NAME_LEN + 1))).name(), OTHER);
        for n in 0..MAX_OPERATIONS * 2 {
            requests.operation(Some(&format!("Op{n}")));
        }
        assert_eq!(requests.named.read().unwrap().len(), MAX_OPERATIONS);
        assert_eq!(requests.operation(Some("ArticlePage")).name(), "ArticlePage");
        assert_eq!(requests.operation(Some("OneTooMany")).name(), OTHER);
    }

    #[test]
    fn unknown_codes_count_as_internal_errors() {
        assert_eq!(Outcome::of_code("RATE_LIMITED").label(), "RATE_LIMITED");
        assert_eq!(Outcome::of_code("SOMETHING_NEW").label(), "INTERNAL_SERVER_ERROR");
    }

    #[test]
    fn latency_buckets_are_cumulative_in_the_text() {
        let metrics = Metrics::new();
        metrics.latency.observe(Duration::from_micros(300));
        metrics.latency.observe(Duration::from_millis(20));
        metrics.latency.observe(Duration::from_secs(30));
        let text = metrics.render();
        assert!(text.contains("newsroom_graphql_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"), "{text}");
        assert!(text.contains("newsroom_graphql_request_duration_seconds_bucket{le=\"0.025\"} 2\n"), "{text}");
        assert!(text.contains("newsroom_graphql_request_duration_seconds_bucket{le=\"10.0\"} 2\n"), "{text}");
        assert!(text.contains("newsroom_graphql_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("newsroom_graphql_request_duration_seconds_count 3\n"), "{text}");
    }
}
