//! Caching of anonymous query answers: in process, by browsers and CDNs through
//! `Cache-Control` and strong `ETag`s, and in CDNs that purge by the cache tags an answer
//! names in `Surrogate-Key` and `Cache-Tag`.
//!
//! An answer is kept with the tags of everything it read and the moment it was read (see
//! [`crate::domain::changes`]). A change to one of those tags outdates it: on this server
//! as soon as the write is committed, so the writer's next read shows its write; on the
//! others as soon as the change reaches them (PostgreSQL `NOTIFY`); and never later than
//! `max_age`. Outdated answers are dropped when next asked for, and all of them at most
//! once a second after a change, so they do not hold memory until evicted.
//!
//! Concurrent requests for a missing answer compute it once: the first computes it, the
//! others wait for it (at most [`WAIT`], then compute their own). An answer with errors is
//! never shared or kept; the next request in line computes again.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use bytes::Bytes;
use quick_cache::sync::{Cache, DefaultLifecycle, EntryAction, EntryResult, PlaceholderGuard};
use quick_cache::{DefaultHashBuilder, Weighter};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use crate::domain::changes::Tag;
use crate::domain::pipeline::{Pipeline, Stamp, slots_of};
use crate::metrics::{Metrics, OperationCounts};

/// How long a request waits for another one computing the same answer.
pub const WAIT: Duration = Duration::from_secs(2);

/// The most bytes of tags one header carries: Fastly takes 16 KB of `Surrogate-Key`,
/// Cloudflare 16 KB of `Cache-Tag`. An answer that read more is tagged `all`.
pub const MAX_TAG_HEADER: usize = 16 * 1024;

/// How anonymous answers are cached.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    /// How long browsers, CDNs and the response cache may reuse an answer.
    pub max_age: Duration,
    /// How long after that a CDN may serve it while it fetches a fresh one.
    pub stale_while_revalidate: Duration,
    /// Bytes of answers the response cache holds; 0 turns it off.
    pub response_cache_bytes: u64,
    /// The headers that name an answer's cache tags.
    pub tag_headers: Vec<HeaderName>,
}

/// What identifies an answer: the request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
}

/// An answer as sent: its body, its validator and cache tags, and the counts of its
/// operation, so that serving it again counts without looking the operation up.
#[derive(Debug)]
pub struct Answer {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub operation: Arc<OperationCounts>,
    /// The headers naming its cache tags.
    pub tag_headers: Vec<(HeaderName, HeaderValue)>,
    stored: Instant,
    read_at: Stamp,
    /// Where the clock counts the changes of what it read.
    slots: Box<[u32]>,
    /// It read something no tag names: it is never kept.
    untagged: bool,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Arc<Answer>> for ByBytes {
    fn weight(&self, key: &Key, answer: &Arc<Answer>) -> u64 {
        (key.query.len() + key.variables.len() + answer.body.len() + answer.slots.len() * 4 + 200) as u64
    }
}

type Answers = Cache<Key, Arc<Answer>, ByBytes>;
type Guard<'a> =
    PlaceholderGuard<'a, Key, Arc<Answer>, ByBytes, DefaultHashBuilder, DefaultLifecycle<Key, Arc<Answer>>>;

pub struct ResponseCache {
    answers: Option<Answers>,
    pipeline: Arc<Pipeline>,
    policy: CachePolicy,
    public: HeaderValue,
    /// When outdated answers were last swept out, and the clock then.
    swept: Mutex<(Instant, Stamp)>,
    hits: Counter,
    misses: Counter,
    coalesced: Counter,
    dropped: Counter,
    bytes: Gauge,
}

/// What signed-in callers get: their answers may show drafts and private fields.
pub const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// A query the cache had no current answer for.
pub enum Claim<'a> {
    /// Another request computed it meanwhile.
    Ready(Arc<Answer>),
    /// This request computes it, and offers it to [`Slot::keep`].
    Compute(Slot<'a>),
}

/// The place of an answer being computed; the requests waiting for it are woken when it
/// is kept, or when it is dropped without (one of them then computes).
pub struct Slot<'a> {
    guard: Option<Guard<'a>>,
    since: Stamp,
    cache: &'a ResponseCache,
}

impl ResponseCache {
    pub fn new(policy: CachePolicy, pipeline: Arc<Pipeline>, metrics: &Metrics) -> ResponseCache {
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
            swept: Mutex::new((Instant::now(), pipeline.clock().now())),
            pipeline,
            policy,
            public,
            hits: metrics.cache_hits.clone(),
            misses: metrics.cache_misses.clone(),
            coalesced: metrics.cache_coalesced.clone(),
            dropped: metrics.cache_dropped.clone(),
            bytes: metrics.cache_bytes.clone(),
        }
    }

    /// The `Cache-Control` of anonymous query answers.
    pub fn public(&self) -> HeaderValue {
        self.public.clone()
    }

    /// The key of `request`, when the response cache is on.
    pub fn key(&self, request: &async_graphql::Request) -> Option<Key> {
        self.answers.as_ref()?;
        Some(Key {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// A current answer under `key`, counted as a hit.
    pub fn get(&self, key: &Key) -> Option<Arc<Answer>> {
        let answer = self.answers.as_ref()?.get(key).filter(|answer| self.is_current(answer))?;
        self.hits.inc();
        Some(answer)
    }

    /// For a query [`get`](Self::get) had no current answer for: the answer another
    /// request computed meanwhile, or the place to keep the one this request computes.
    pub async fn claim(&self, key: &Key) -> Claim<'_> {
        let Some(answers) = self.answers.as_ref().filter(|_| !self.pipeline.clock().is_blind()) else {
            // Off, or nothing may be kept now: requests compute side by side, none waits.
            self.misses.inc();
            return Claim::Compute(self.slot(None));
        };
        let current = |_: &Key, answer: &mut Arc<Answer>| match self.is_current(answer) {
            true => EntryAction::Retain(answer.clone()),
            false => EntryAction::ReplaceWithGuard,
        };
        // Without waiting first, to count the requests that wait for another's answer.
        let entry = match answers.entry(key, Some(Duration::ZERO), current) {
            EntryResult::Timeout => {
                self.coalesced.inc();
                match tokio::time::timeout(WAIT, answers.entry_async(key, current)).await {
                    Ok(entry) => entry,
                    Err(_) => {
                        self.misses.inc();
                        return Claim::Compute(self.slot(None));
                    }
                }
            }
            entry => entry,
        };
        match entry {
            EntryResult::Retained(answer) => {
                self.hits.inc();
                Claim::Ready(answer)
            }
            EntryResult::Vacant(guard) => {
                self.misses.inc();
                Claim::Compute(self.slot(Some(guard)))
            }
            EntryResult::Replaced(guard, _outdated) => {
                self.dropped.inc();
                self.misses.inc();
                Claim::Compute(self.slot(Some(guard)))
            }
            EntryResult::Removed(..) | EntryResult::Timeout => {
                self.misses.inc();
                Claim::Compute(self.slot(None))
            }
        }
    }

    /// A place for an answer computed from now on that no other request waits for and
    /// the cache does not keep (a signed-in caller's, or with the cache off).
    pub fn unkept(&self) -> Slot<'_> {
        self.slot(None)
    }

    fn slot<'a>(&'a self, guard: Option<Guard<'a>>) -> Slot<'a> {
        Slot { guard, since: self.pipeline.clock().now(), cache: self }
    }

    fn is_current(&self, answer: &Answer) -> bool {
        !answer.untagged
            && answer.stored.elapsed() < self.policy.max_age
            && self.pipeline.clock().unchanged_since(answer.read_at, &answer.slots)
    }

    /// Drops every outdated answer, at most once a second and only after a change.
    fn sweep(&self, answers: &Answers) {
        let now = self.pipeline.clock().now();
        let Ok(mut swept) = self.swept.try_lock() else { return };
        if swept.1 == now || swept.0.elapsed() < Duration::from_secs(1) {
            return;
        }
        *swept = (Instant::now(), now);
        drop(swept);
        let before = answers.len();
        answers.retain(|_, answer| self.is_current(answer));
        self.dropped.inc_by(before.saturating_sub(answers.len()) as u64);
    }

    /// A document anyone may be given that the server computes on each request (a feed, a
    /// sitemap): with its validator, the public `Cache-Control` of query answers and the
    /// tags of what it read, or `304 Not Modified` when the caller has it already.
    pub fn public_document(
        &self,
        request: &HeaderMap,
        content_type: &'static str,
        body: Vec<u8>,
        read: &[Tag],
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let etag = etag(&body);
        let mut response = if not_modified(request, &etag) {
            axum::http::StatusCode::NOT_MODIFIED.into_response()
        } else {
            ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, etag);
        headers.insert(header::CACHE_CONTROL, self.public());
        headers.extend(self.tag_headers(read));
        response
    }

    /// The headers that name `read` for CDNs: `all` when they would be too long.
    pub fn tag_headers(&self, read: &[Tag]) -> Vec<(HeaderName, HeaderValue)> {
        if read.is_empty() {
            return Vec::new();
        }
        self.policy
            .tag_headers
            .iter()
            .filter_map(|name| {
                let separator = match name.as_str() {
                    "cache-tag" | "edge-cache-tag" => ",",
                    _ => " ",
                };
                let mut value = read.iter().map(Tag::to_string).collect::<Vec<_>>().join(separator);
                if value.len() > MAX_TAG_HEADER {
                    value = Tag::All.to_string();
                }
                Some((name.clone(), HeaderValue::from_str(&value).ok()?))
            })
            .collect()
    }
}

impl Slot<'_> {
    /// The answer computed in this slot, as sent: `read` are the tags of what it read.
    pub fn answer(&self, body: Bytes, operation: Arc<OperationCounts>, read: &[Tag]) -> Arc<Answer> {
        Arc::new(Answer {
            etag: etag(&body),
            body,
            operation,
            tag_headers: self.cache.tag_headers(read),
            stored: Instant::now(),
            read_at: self.since,
            slots: slots_of(read).into_boxed_slice(),
            untagged: read.contains(&Tag::All),
        })
    }

    /// Keeps `answer`, unless what it read changed while it was computed.
    pub fn keep(self, answer: &Arc<Answer>) {
        let (Some(guard), Some(answers)) = (self.guard, &self.cache.answers) else { return };
        if self.cache.is_current(answer) {
            let _ = guard.insert(answer.clone());
            self.cache.bytes.set(i64::try_from(answers.weight()).unwrap_or(i64::MAX));
        }
        self.cache.sweep(answers);
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
    fn tags_past_what_a_cdn_takes_are_named_all() {
        let metrics = Metrics::new();
        let policy = CachePolicy {
            max_age: Duration::from_secs(30),
            stale_while_revalidate: Duration::from_secs(60),
            response_cache_bytes: 0,
            tag_headers: vec![HeaderName::from_static("surrogate-key"), HeaderName::from_static("cache-tag")],
        };
        let cache = ResponseCache::new(policy, Arc::default(), &metrics);
        let named = |read: &[Tag]| {
            let answer = cache.unkept().answer(Bytes::from_static(b"{}"), metrics.requests.operation(None), read);
            answer
                .tag_headers
                .iter()
                .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            named(&[Tag::Article(1), Tag::Sections]),
            ["surrogate-key: article-1 sections", "cache-tag: article-1,sections"]
        );
        let many: Vec<Tag> = (0..2_000).map(Tag::Article).collect();
        assert_eq!(named(&many), ["surrogate-key: all", "cache-tag: all"]);
        assert!(named(&[]).is_empty(), "an answer that read nothing names nothing");
    }

    #[test]
    fn equal_bodies_have_equal_validators_and_others_differ() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
    }
}
