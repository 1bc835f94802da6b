//! Caching of anonymous query answers: in process, and by browsers and CDNs through
//! `Cache-Control` and strong `ETag`s.
//!
//! An answer is cached under the content version it was computed at. Every write readers
//! could see moves the version on (the mutations, the scheduler's publications and
//! licence expiries), so the next read computes a fresh answer: a cached answer is never
//! older than the last write made through this server, and never older than `max_age`
//! for writes made through another one. Answers of earlier versions can never be served
//! again, so the first request after a write drops them rather than leaving them to hold
//! memory until they are evicted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use crate::domain::events::ContentVersion;
use crate::metrics::{Metrics, OperationCounts};

/// How anonymous answers are cached.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// How long browsers, CDNs and the response cache may reuse an answer.
    pub max_age: Duration,
    /// How long after that a CDN may serve it while it fetches a fresh one.
    pub stale_while_revalidate: Duration,
    /// Bytes of answers the response cache holds; 0 turns it off.
    pub response_cache_bytes: u64,
}

/// What identifies an answer: the request as sent, and the content version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    version: u64,
    query: String,
    operation: Option<String>,
    variables: String,
}

/// An answer as sent: its body and its validator, and the counts of its operation, so
/// that serving it again counts without looking the operation up.
#[derive(Debug)]
pub struct Answer {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub operation: Arc<OperationCounts>,
    stored: Instant,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Arc<Answer>> for ByBytes {
    fn weight(&self, key: &Key, answer: &Arc<Answer>) -> u64 {
        (key.query.len() + key.variables.len() + answer.body.len() + 200) as u64
    }
}

pub struct ResponseCache {
    answers: Option<Cache<Key, Arc<Answer>, ByBytes>>,
    content: Arc<ContentVersion>,
    /// The content version the answers held are of (or older, until they are dropped).
    holding: AtomicU64,
    policy: CachePolicy,
    public: HeaderValue,
    hits: Counter,
    misses: Counter,
    bytes: Gauge,
}

/// What signed-in callers get: their answers may show drafts and private fields.
pub const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

impl ResponseCache {
    pub fn new(policy: CachePolicy, content: Arc<ContentVersion>, metrics: &Metrics) -> ResponseCache {
        let answers = (policy.response_cache_bytes > 0).then(|| {
            let estimated_items = (policy.response_cache_bytes / 8192).clamp(16, 1 << 20) as usize;
            Cache::with_weighter(estimated_items, policy.response_cache_bytes, ByBytes)
        });
        let public = format!(
            "public, max-age={}, stale-while-revalidate={}",
            policy.max_age.as_secs(),
            policy.stale_while_revalidate.as_secs()
        );
        let public = HeaderValue::from_str(&public).unwrap_or(PRIVATE);
        ResponseCache {
            answers,
            holding: AtomicU64::new(content.current()),
            content,
            policy,
            public,
            hits: metrics.cache_hits.clone(),
            misses: metrics.cache_misses.clone(),
            bytes: metrics.cache_bytes.clone(),
        }
    }

    /// The `Cache-Control` of anonymous query answers.
    pub fn public(&self) -> HeaderValue {
        self.public.clone()
    }

    /// The key of `request` now, when the response cache is on.
    pub fn key(&self, request: &async_graphql::Request) -> Option<Key> {
        let answers = self.answers.as_ref()?;
        let version = self.content.current();
        let held = self.holding.load(Ordering::Relaxed);
        if held != version && self.holding.compare_exchange(held, version, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            answers.clear();
            self.bytes.set(0);
        }
        Some(Key {
            version,
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// A fresh answer under `key`, counted as a hit.
    pub fn get(&self, key: &Key) -> Option<Arc<Answer>> {
        let answer = self.answers.as_ref()?.get(key).filter(|answer| answer.stored.elapsed() < self.policy.max_age)?;
        self.hits.inc();
        Some(answer)
    }

    /// Counts a query that [`get`](Self::get) had no answer for. Only the caller knows,
    /// once the request is parsed, that it was a query rather than a mutation.
    pub fn missed(&self) {
        self.misses.inc();
    }

    /// Keeps `answer` under `key`, whose version was read before the answer was computed:
    /// should a write have moved the version on meanwhile, the answer is not kept.
    pub fn put(&self, key: Key, answer: Arc<Answer>) {
        if let Some(answers) = &self.answers
            && key.version == self.content.current()
        {
            answers.insert(key, answer);
            self.bytes.set(i64::try_from(answers.weight()).unwrap_or(i64::MAX));
        }
    }
}

impl Answer {
    pub fn new(body: Bytes, operation: Arc<OperationCounts>) -> Answer {
        let etag = etag(&body);
        Answer { body, etag, operation, stored: Instant::now() }
    }
}

/// A strong validator: a 128-bit hash of the body.
pub fn etag(body: &[u8]) -> HeaderValue {
    let hash = xxhash_rust::xxh3::xxh3_128(body);
    HeaderValue::from_str(&format!("\"{hash:032x}\"")).expect("hex is a valid header value")
}

/// Whether the caller's `If-None-Match` names `etag` (or `*`). A validator of a
/// compressed answer (`"...-gzip"`, see [`mark_encoding`]) matches its plain one.
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(wanted) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default().trim_matches('"');
    wanted
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|tag| tag == "*" || tag == ours || tag.strip_suffix(GZIP_SUFFIX).is_some_and(|plain| plain == ours))
}

const GZIP_SUFFIX: &str = "-gzip";

/// Gives a compressed answer a validator of its own, as a strong validator must differ
/// between representations: `"<hash>"` becomes `"<hash>-gzip"`.
pub async fn mark_encoding(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut response = next.run(request).await;
    let gzipped = response.headers().get(header::CONTENT_ENCODING).is_some_and(|v| v == "gzip");
    if gzipped
        && let Some(tag) = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok())
        && let Ok(marked) = HeaderValue::from_str(&format!("{}{GZIP_SUFFIX}\"", tag.trim_end_matches('"')))
    {
        response.headers_mut().insert(header::ETAG, marked);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_none_match(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_accepts_the_plain_and_the_gzip_validator() {
        let tag = etag(b"{\"data\":{}}");
        let plain = tag.to_str().unwrap().to_owned();
        let gzip = format!("{}-gzip\"", plain.trim_end_matches('"'));
        assert!(not_modified(&with_if_none_match(&plain), &tag));
        assert!(not_modified(&with_if_none_match(&gzip), &tag));
        assert!(not_modified(&with_if_none_match(&format!("\"other\", {plain}")), &tag));
        assert!(not_modified(&with_if_none_match("*"), &tag));
        assert!(!not_modified(&with_if_none_match("\"other\""), &tag));
        assert!(!not_modified(&HeaderMap::new(), &tag));
    }

    #[test]
    fn equal_bodies_have_equal_validators_and_others_differ() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
    }
}
