//! `GET /sitemap.xml` (the index) and `GET /sitemaps/{file}`: the articles of a month,
//! the sections, the news of the last 48 hours.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::AppState;
use super::feeds::plain;
use crate::domain::changes::Tag;
use crate::domain::reader::RequestConnection;
use crate::domain::sitemaps::{self, File, Sitemap, SitemapError};

const XML: &str = "application/xml; charset=utf-8";

pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, None, &headers).await
}

pub async fn file(State(state): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = File::parse(&name) else {
        return plain(StatusCode::NOT_FOUND, SitemapError::NotFound(name).to_string(), None);
    };
    answer(&state, Some(file), &headers).await
}

async fn answer(state: &AppState, file: Option<File>, headers: &HeaderMap) -> Response {
    let written = async {
        let services = state.api.services();
        let kept = state.api.sections();
        let read_since = kept.now();
        let connection = RequestConnection::shared(services.db.clone());
        let reader = connection.reader().await?;
        let tree = kept.get(&reader, read_since).await?;
        let site = &services.site;
        match file {
            None => sitemaps::index(&reader, &tree, site).await,
            Some(File::Month(page)) => sitemaps::month(&reader, &tree, site, page).await,
            Some(File::Sections) => sitemaps::sections(&reader, &tree, site).await,
            Some(File::News) => sitemaps::news(&reader, &tree, site).await,
        }
    }
    .await;
    match written {
        Ok(Sitemap { xml, read }) => state.cache.public_document(headers, XML, xml, &read),
        // A month without articles readers may see: until one is published in it.
        Err(error @ SitemapError::NotFound(_)) => {
            plain(StatusCode::NOT_FOUND, error.to_string(), Some((state, vec![Tag::Articles])))
        }
        Err(error) => {
            tracing::error!(%error, "a sitemap failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error".into(), None)
        }
    }
}
