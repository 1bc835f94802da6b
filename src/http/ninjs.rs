//! `GET /ninjs/articles/{id}`: an article as an IPTC ninjs 2.1 document, for editors,
//! admins and syndication partners (see [`crate::domain::ninjs`] for who gets which).
//!
//! The id is the article's global id or its number. Refusals are a small JSON object,
//! `{"error": "..."}`, with the status that fits: 401 without a valid token, 403 for a
//! token that gets no ninjs documents, 404 for an article that does not exist or that the
//! caller does not get (the two look alike).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::auth;
use crate::domain::{Error, Viewer, ninjs};

pub async fn article(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let viewer = match viewer(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(error) => return refusal(&error),
    };
    // A path that does not decode names no article; the caller is told who they are first.
    let reference = id.map(|Path(id)| id).unwrap_or_default();
    match ninjs::article_document(&state.db, &viewer, &state.site, &reference).await {
        Ok(document) => {
            let mut response = Json(document).into_response();
            // A document is for the caller whose token asked: never kept for another.
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Err(error) => refusal(&error),
    }
}

/// The caller a bearer token names; none is unauthenticated here.
async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Error::Unauthenticated(
            "ninjs documents need `Authorization: Bearer <token>` with an editor's, an admin's or a partner's token"
                .into(),
        ));
    };
    match value.to_str().ok().and_then(super::bearer) {
        Some(token) => auth::authenticate(&state.db, &state.tokens, token).await,
        None => Err(Error::Unauthenticated("the Authorization header must be `Bearer <token>`".into())),
    }
}

fn refusal(error: &Error) -> Response {
    let status = match error {
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::BadInput { .. } => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Database(cause) => {
            tracing::error!(error = %cause, "a ninjs document could not be read");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let message = match error {
        Error::Database(_) => "internal server error".to_owned(),
        other => other.to_string(),
    };
    let mut response = (status, Json(json!({ "error": message }))).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}
