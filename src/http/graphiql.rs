//! GraphiQL, served whole from this binary: pinned production builds of GraphiQL and React
//! (`assets/graphiql`, with their licences), pointed at `/graphql` and at `/graphql/ws` for
//! subscriptions. The page loads nothing from anywhere else, and its Content-Security-Policy
//! allows nothing else, so it works offline and behind a strict proxy alike.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Our origin only. Styles may also be inline: GraphiQL's dialogs add `<style>` elements
/// as they open. Fonts and icons are `data:` URLs inside GraphiQL's stylesheet.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// A file under `/graphiql/assets/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Named with its version, so it may be kept for a year; the others change with
    /// newsroom.
    versioned: bool,
}

macro_rules! asset {
    ($name:literal, $content_type:expr, $versioned:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../assets/graphiql/", $name)),
            versioned: $versioned,
        }
    };
}

const ASSETS: [Asset; 7] = [
    asset!("graphiql-3.9.0.min.js", JAVASCRIPT, true),
    asset!("graphiql-3.9.0.min.css", CSS, true),
    asset!("react-18.3.1.production.min.js", JAVASCRIPT, true),
    asset!("react-dom-18.3.1.production.min.js", JAVASCRIPT, true),
    asset!("start.js", JAVASCRIPT, false),
    asset!("page.css", CSS, false),
    asset!("LICENSES.md", "text/markdown; charset=utf-8", false),
];

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub async fn page() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response();
    protect(&mut response);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such file")
            .into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response();
    protect(&mut response);
    let cache_control = if asset.versioned { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response
}

fn protect(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}
