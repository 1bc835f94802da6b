//! `/metrics`: the series an operator watches move as requests come in.

use std::collections::HashMap;

use crate::common::TestApp;
use axum::http::{StatusCode, header};
use serde_json::json;

/// The samples of a scrape, by series (`name{labels}`).
async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let answer = app.get("/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/plain"));
    let text = answer.body.as_str().expect("a text body").to_owned();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

fn requests(operation: &str, outcome: &str) -> String {
    format!("newsroom_graphql_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}}")
}

const SECTIONS: &str = "query Sections { sections { slug } }";

async fn series_move_with_requests(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let before = scrape(&app).await;

    // An anonymous query by GET: computed once, then served from the response cache.
    let uri = format!("/graphql?query={}", url_escape(SECTIONS));
    for _ in 0..3 {
        assert_eq!(app.get(&uri).await.status, StatusCode::OK);
    }
    app.query("{ sections { slug } }", json!({})).await;
    assert_eq!(app.post(None, "query Broken { nope }", json!({})).await.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(app.post(None, "{ sections { slug }", json!({})).await.codes(), ["GRAPHQL_PARSE_FAILED"]);
    let mut refusals = 0;
    for n in 0..7 {
        let subscribe = format!(r#"mutation Subscribe {{ subscribeNewsletter(email: "reader{n}@example.org") }}"#);
        let answer = app.post_from("198.51.100.7", None, &subscribe, json!({})).await;
        if answer.codes() == ["RATE_LIMITED"] {
            refusals += 1;
        }
    }
    assert_eq!(refusals, 2, "5 sign-ups a minute from one client");

    let after = scrape(&app).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved(&requests("Sections", "ok")), 3.0);
    assert_eq!(moved(&requests("(other)", "ok")), 1.0, "an anonymous operation");
    assert_eq!(moved(&requests("Broken", "GRAPHQL_VALIDATION_FAILED")), 1.0);
    assert_eq!(moved(&requests("(other)", "GRAPHQL_PARSE_FAILED")), 1.0);
    assert_eq!(moved(&requests("Subscribe", "ok")), 5.0);
    assert_eq!(moved(&requests("Subscribe", "RATE_LIMITED")), 2.0);
    assert_eq!(moved("newsroom_rate_limited_requests_total"), 2.0);
    assert_eq!(moved("newsroom_response_cache_hits_total"), 2.0);
    // The first GET, the anonymous POST (another query text) and the broken query; the
    // mutations are no business of the cache.
    assert_eq!(moved("newsroom_response_cache_misses_total"), 3.0);
    let graphql_requests = 3.0 + 1.0 + 1.0 + 1.0 + 7.0;
    assert_eq!(moved("newsroom_graphql_request_duration_seconds_count"), graphql_requests);
    assert_eq!(moved("newsroom_graphql_request_duration_seconds_bucket{le=\"+Inf\"}"), graphql_requests);
    assert!(moved("newsroom_graphql_request_duration_seconds_sum") > 0.0);
    assert!(moved("newsroom_sql_statements_total") > 0.0);

    assert_eq!(value(&after, "newsroom_db_pool_max_connections"), f64::from(app.config.pool_size()));
    let in_use = value(&after, "newsroom_db_pool_connections{state=\"in_use\"}");
    let idle = value(&after, "newsroom_db_pool_connections{state=\"idle\"}");
    assert!(idle >= 1.0, "the pool keeps its connections between requests: {after:?}");
    assert!(in_use + idle <= f64::from(app.config.pool_size()));
}
on_both!(series_move_with_requests);

/// Refusals of the layers around GraphQL count too: a body over the limit.
async fn refusals_before_graphql_count(app: TestApp) {
    let before = scrape(&app).await;
    let huge = format!(r#"{{"query": "{{ sections {{ slug }} }}", "pad": "{}"}}"#, "x".repeat(300 * 1024));
    let too_large = app
        .request(
            axum::http::Request::builder()
                .method("POST")
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    let not_json = app
        .request(
            axum::http::Request::builder()
                .method("POST")
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let after = scrape(&app).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved(&requests("(other)", "BAD_USER_INPUT")), 2.0);
    assert_eq!(moved("newsroom_graphql_request_duration_seconds_count"), 2.0);
}
on_both!(refusals_before_graphql_count);

/// Client-chosen operation names are counted apart up to a bound; past it they share
/// `(other)`, so a client cannot grow the scrape without end.
async fn operation_names_are_bounded(app: TestApp) {
    for n in 0..newsroom::metrics::MAX_OPERATIONS + 20 {
        app.query(&format!("query Op{n} {{ __typename }}"), json!({})).await;
    }
    let samples = scrape(&app).await;
    let named = samples.keys().filter(|series| series.starts_with("newsroom_graphql_requests_total{operation=\"Op"));
    assert_eq!(named.count(), newsroom::metrics::MAX_OPERATIONS);
    assert_eq!(value(&samples, &requests("(other)", "ok")), 20.0);
}
on_both!(operation_names_are_bounded);

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn open_websockets_are_counted(app: TestApp) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let gauge = "newsroom_websocket_connections";
    assert_eq!(value(&scrape(&app).await, gauge), 0.0);
    let address = app.serve().await;
    let mut request = format!("ws://{address}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the WebSocket opens");
    socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    let mut seen = 0.0;
    for _ in 0..100 {
        seen = value(&scrape(&app).await, gauge);
        if seen == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 1.0);
    socket.close(None).await.unwrap();
    for _ in 0..100 {
        seen = value(&scrape(&app).await, gauge);
        if seen == 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 0.0, "a closed connection leaves the gauge");
}
on_both!(open_websockets_are_counted);
