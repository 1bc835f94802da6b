use axum::extract::State;
use axum::http::StatusCode;

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
