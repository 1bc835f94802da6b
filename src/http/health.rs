//! The routes for operators: liveness, readiness, metrics, and the benchmark's ceiling.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

pub async fn live() -> &'static str {
    "ok"
}

/// Ready when the database answers a round trip.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}

/// The largest body the ceiling route answers.
const MAX_CEILING_BYTES: usize = 1 << 20;

/// A JSON body of `bytes` bytes that takes no work to make beyond filling it: what the
/// HTTP stack answers at best, for the benchmark to measure queries against.
pub async fn ceiling(Path(bytes): Path<usize>) -> impl IntoResponse {
    let padding = bytes.clamp(17, MAX_CEILING_BYTES) - 17;
    let body = format!(r#"{{"data":{{"p":"{}"}}}}"#, "x".repeat(padding));
    ([(header::CONTENT_TYPE, "application/json")], body)
}
