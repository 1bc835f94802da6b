//! `GET /feeds/rss.xml`, `/feeds/atom.xml` and `/feeds/feed.json`: the site's feeds, or a
//! section's, tag's or author's with `?section=`, `?tag=` or `?author=`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::changes::Tag;
use crate::domain::feeds::{self, FeedError, Format, Scope};
use crate::domain::reader::RequestConnection;

pub async fn rss(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    feed(&state, Format::Rss, query.as_deref(), &headers).await
}

pub async fn atom(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    feed(&state, Format::Atom, query.as_deref(), &headers).await
}

pub async fn json(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    feed(&state, Format::Json, query.as_deref(), &headers).await
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Rss => "application/rss+xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
        Format::Json => "application/feed+json; charset=utf-8",
    }
}

async fn feed(state: &AppState, format: Format, query: Option<&str>, headers: &HeaderMap) -> Response {
    let written = async {
        let scope = Scope::from_query(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()))?;
        let services = state.api.services();
        let kept = state.api.sections();
        // Before the first read: a change counted after it is not taken for seen.
        let read_since = kept.now();
        // One transaction: the articles and what they show, as of one moment.
        let connection = RequestConnection::shared(services.db.clone());
        let reader = connection.reader().await?;
        let tree = kept.get(&reader, read_since).await?;
        let feed = feeds::load(&reader, &tree, &services.site, &scope, services.feed_full_text).await?;
        Ok::<_, FeedError>((feed.render(format)?, feed.read))
    }
    .await;
    match written {
        Ok((body, read)) => state.cache.public_document(headers, content_type(format), body, &read),
        Err(error) => refusal(state, &error),
    }
}

/// A feed not given, said in plain text: an unknown slug (`404`, cacheable until such a
/// section, tag or author is created), a query it does not take (`400`), or a failure.
fn refusal(state: &AppState, error: &FeedError) -> Response {
    let status = match error {
        FeedError::UnknownSection(_) | FeedError::UnknownTag(_) | FeedError::UnknownAuthor(_) => StatusCode::NOT_FOUND,
        FeedError::TwoFilters | FeedError::UnknownParameter(_) => StatusCode::BAD_REQUEST,
        FeedError::Write(_) | FeedError::Domain(_) => {
            tracing::error!(%error, "a feed failed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error".into(), None);
        }
    };
    let read = error.read();
    plain(status, error.to_string(), (!read.is_empty()).then_some((state, read)))
}

/// A plain-text answer; with the tags it read, public like the documents, else never kept.
pub(super) fn plain(status: StatusCode, message: String, read: Option<(&AppState, Vec<Tag>)>) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], message)
            .into_response();
    let headers = response.headers_mut();
    match read {
        Some((state, read)) => {
            headers.insert(header::CACHE_CONTROL, state.cache.public());
            headers.extend(state.cache.tag_headers(&read));
        }
        None => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}
