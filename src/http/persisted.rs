//! Automatic persisted queries, as Apollo clients send them: a request may carry
//! `extensions.persistedQuery.sha256Hash` instead of its query text, once the server has
//! seen the text with that hash. A GET of a hash is short and the same for every caller,
//! so a CDN can cache it.

use std::sync::Arc;

use async_graphql::Value;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// Why a persisted query could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The client is to send the query text with the hash (Apollo clients do at once).
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("provided sha does not match query")]
    HashMismatch,
    #[error("persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}")]
    Malformed,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            Refusal::HashMismatch | Refusal::Malformed => crate::graphql::error::BAD_USER_INPUT,
        }
    }
}

#[derive(Clone)]
struct ByLength;

impl Weighter<String, Arc<str>> for ByLength {
    fn weight(&self, hash: &String, query: &Arc<str>) -> u64 {
        (hash.len() + query.len()) as u64
    }
}

/// The query texts seen, by their SHA-256; the least used go first when it is full.
pub struct PersistedQueries {
    queries: Cache<String, Arc<str>, ByLength>,
}

impl PersistedQueries {
    pub fn new(capacity_bytes: u64) -> PersistedQueries {
        let estimated_items = (capacity_bytes / 2048).max(16) as usize;
        PersistedQueries { queries: Cache::with_weighter(estimated_items, capacity_bytes, ByLength) }
    }

    /// Fills in the query text of a request that names one by hash, and keeps the text of
    /// one that sends both. Requests without `persistedQuery` pass as they are.
    pub fn resolve(&self, mut request: async_graphql::Request) -> Result<async_graphql::Request, Refusal> {
        let Some(persisted) = request.extensions.get("persistedQuery") else {
            return Ok(request);
        };
        let hash = match persisted {
            Value::Object(fields) if fields.get("version") == Some(&Value::from(1)) => match fields.get("sha256Hash") {
                Some(Value::String(hash)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    hash.to_ascii_lowercase()
                }
                _ => return Err(Refusal::Malformed),
            },
            _ => return Err(Refusal::Malformed),
        };
        if request.query.is_empty() {
            let query = self.queries.get(&hash).ok_or(Refusal::NotFound)?;
            request.query = query.to_string();
            return Ok(request);
        }
        if sha256_hex(&request.query) != hash {
            return Err(Refusal::HashMismatch);
        }
        self.queries.insert(hash, request.query.as_str().into());
        Ok(request)
    }
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use async_graphql::Request;

    use super::*;

    fn by_hash(hash: &str, query: &str) -> Request {
        let mut request = Request::new(query);
        let persisted = Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": hash })).unwrap();
        request.extensions.insert("persistedQuery".into(), persisted);
        request
    }

    #[test]
    fn a_hash_is_found_once_its_text_was_sent() {
        let store = PersistedQueries::new(1 << 20);
        let query = "{ sections { slug } }";
        let hash = sha256_hex(query);
        assert_eq!(store.resolve(by_hash(&hash, "")).unwrap_err(), Refusal::NotFound);
        assert_eq!(store.resolve(by_hash(&hash, query)).unwrap().query, query);
        assert_eq!(store.resolve(by_hash(&hash, "")).unwrap().query, query);
        assert_eq!(store.resolve(by_hash(&hash.to_uppercase(), "")).unwrap().query, query);
    }

    #[test]
    fn a_text_that_does_not_match_its_hash_is_refused_and_not_kept() {
        let store = PersistedQueries::new(1 << 20);
        let hash = sha256_hex("{ sections { slug } }");
        assert_eq!(store.resolve(by_hash(&hash, "{ tags { slug } }")).unwrap_err(), Refusal::HashMismatch);
        assert_eq!(store.resolve(by_hash(&hash, "")).unwrap_err(), Refusal::NotFound);
        assert_eq!(store.resolve(by_hash("abc", "")).unwrap_err(), Refusal::Malformed);
        let mut wrong_version = by_hash(&hash, "");
        let persisted = Value::from_json(serde_json::json!({ "version": 2, "sha256Hash": hash })).unwrap();
        wrong_version.extensions.insert("persistedQuery".into(), persisted);
        assert_eq!(store.resolve(wrong_version).unwrap_err(), Refusal::Malformed);
    }
}
