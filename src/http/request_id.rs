//! Request ids: each request carries one in `X-Request-Id`, the caller's own when it is
//! usable (a proxy in front may have set it), else a new one. The answer echoes it, and
//! with request logging on, every log line of the request carries it.

use std::time::Duration;

use axum::extract::Request;
use axum::http::HeaderValue;
use tower_http::request_id::{MakeRequestId, RequestId};

pub const HEADER: &str = "x-request-id";

/// Longest request id taken from a caller.
const MAX_LEN: usize = 128;

/// Drops an incoming `X-Request-Id` that is too long or holds characters beyond letters,
/// digits and `-_.:/+=@~`, so that logs never carry what a caller smuggles in.
pub fn drop_unusable(mut request: Request) -> Request {
    let usable = |value: &HeaderValue| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= MAX_LEN
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@~".contains(b))
    };
    let headers = request.headers_mut();
    if headers.get_all(HEADER).iter().count() > 1 || headers.get(HEADER).is_some_and(|value| !usable(value)) {
        headers.remove(HEADER);
    }
    request
}

/// A new id: 128 random bits in hex.
#[derive(Debug, Clone, Copy)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bits: u128 = rand::random();
        let mut text = [0u8; 32];
        for (i, digit) in text.iter_mut().enumerate() {
            *digit = HEX[((bits >> (4 * i)) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&text).ok().map(RequestId::new)
    }
}

/// The span of a request, with its id. It is off unless the log filter turns it on
/// (`NEWSROOM_LOG=info,newsroom::request=debug`): an enabled span costs every request more
/// than the rest of a cached answer's path.
pub fn span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("");
    let (method, path) = (request.method().as_str(), request.uri().path());
    tracing::debug_span!(target: "newsroom::request", "request", request_id = id, method, path)
}

/// A log line for each answer, inside the request's span.
pub fn answered<B>(response: &axum::http::Response<B>, latency: Duration, _: &tracing::Span) {
    let latency_ms = latency.as_secs_f64() * 1000.0;
    tracing::debug!(target: "newsroom::request", status = response.status().as_u16(), latency_ms, "answered");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(value: &str) -> Request {
        axum::http::Request::builder().header(HEADER, value).body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn usable_ids_stay_and_others_go() {
        for kept in ["abc-123", "Root=1-5759e988-bd862e3f", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"] {
            assert_eq!(drop_unusable(with_id(kept)).headers().get(HEADER).unwrap(), kept);
        }
        for dropped in ["a b", "a\"b", "<script>", &"x".repeat(MAX_LEN + 1), "a,b", "a;b"] {
            assert!(drop_unusable(with_id(dropped)).headers().get(HEADER).is_none(), "{dropped}");
        }
    }

    #[test]
    fn new_ids_are_32_hex_digits_and_differ() {
        let request = with_id("x");
        let a = NewRequestId.make_request_id(&request).unwrap();
        let b = NewRequestId.make_request_id(&request).unwrap();
        assert_eq!(a.header_value().len(), 32);
        assert!(a.header_value().as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(a.header_value(), b.header_value());
    }
}
