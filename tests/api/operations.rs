//! What operators and browsers see around every request: request ids and CORS.

use crate::common::{Answer, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

fn request_id(answer: &Answer) -> String {
    answer.headers.get("x-request-id").expect("an X-Request-Id").to_str().unwrap().to_owned()
}

async fn with_request_id(app: &TestApp, uri: &str, id: &str) -> Answer {
    app.request(Request::builder().uri(uri).header("x-request-id", id).body(Body::empty()).unwrap()).await
}

async fn every_answer_carries_a_request_id(app: TestApp) {
    let first = app.get("/healthz").await;
    let second = app.post(None, "{ sections { slug } }", json!({})).await;
    for answer in [&first, &second] {
        let id = request_id(answer);
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    assert_ne!(request_id(&first), request_id(&second));

    // A refusal carries one too.
    let refused =
        app.request(Request::builder().method(Method::POST).uri("/graphql").body(Body::from("{}")).unwrap()).await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(request_id(&refused).len(), 32);
}
on_both!(every_answer_carries_a_request_id);

async fn a_usable_incoming_request_id_is_kept(app: TestApp) {
    for kept in ["edge-7f3a9c", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "Root=1-5759e988-bd862e3fe1be46a994272793"] {
        let answer = with_request_id(&app, "/graphql?query=%7B__typename%7D", kept).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(request_id(&answer), kept);
    }
    let too_long = "x".repeat(129);
    for replaced in ["two words", "<script>alert(1)</script>", "a\"quote", too_long.as_str()] {
        let answer = with_request_id(&app, "/healthz", replaced).await;
        let id = request_id(&answer);
        assert_ne!(id, replaced);
        assert_eq!(id.len(), 32, "a new id instead of {replaced:?}");
    }
}
on_both!(a_usable_incoming_request_id_is_kept);

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type,authorization")
        .body(Body::empty())
        .unwrap()
}

fn post_from_origin(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap()
}

fn header_text(answer: &Answer, name: header::HeaderName) -> Vec<&str> {
    answer.headers.get_all(name).iter().map(|v| v.to_str().unwrap()).collect()
}

/// By default any web page may read the API (tokens never travel in cookies).
async fn any_origin_by_default(app: TestApp) {
    let answer = app.request(preflight("https://reader.example")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(header_text(&answer, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    let post = app.request(post_from_origin("https://reader.example")).await;
    assert_eq!(header_text(&post, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    assert_eq!(post.assert_ok()["__typename"], "Query");
}
on_both!(any_origin_by_default);

async fn an_allow_list_admits_its_origins_only(app: TestApp) {
    let app = app
        .reconfigured(|config| {
            config.cors_origins = vec!["https://www.example.com".into(), "http://localhost:3000".into()];
            config.response_cache_mb = 16;
        })
        .await;

    let allowed = app.request(preflight("https://www.example.com")).await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(header_text(&allowed, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["https://www.example.com"]);
    let methods = header_text(&allowed, header::ACCESS_CONTROL_ALLOW_METHODS).join(",");
    assert!(methods.contains("POST") && methods.contains("GET"), "{methods}");
    let headers = header_text(&allowed, header::ACCESS_CONTROL_ALLOW_HEADERS).join(",");
    assert!(headers.contains("content-type") && headers.contains("authorization"), "{headers}");
    assert_eq!(header_text(&allowed, header::ACCESS_CONTROL_MAX_AGE), ["3600"]);
    assert!(header_text(&allowed, header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_empty());

    let refused = app.request(preflight("https://evil.example")).await;
    assert!(header_text(&refused, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_empty(), "{:?}", refused.headers);

    let post = app.request(post_from_origin("http://localhost:3000")).await;
    assert_eq!(header_text(&post, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["http://localhost:3000"]);
    let exposed = header_text(&post, header::ACCESS_CONTROL_EXPOSE_HEADERS).join(",").to_ascii_lowercase();
    assert!(exposed.contains("x-request-id") && exposed.contains("etag"), "{exposed}");
    // The server still answers a refused origin (it is the browser that withholds the
    // answer from the page), without the header that would let the page read it.
    let refused_post = app.request(post_from_origin("https://evil.example")).await;
    assert!(header_text(&refused_post, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_empty());

    // A cacheable answer varies by origin as well, so a CDN never hands one origin's
    // answer to another.
    let get = app
        .request(
            Request::builder()
                .uri("/graphql?query=%7B__typename%7D")
                .header(header::ORIGIN, "https://www.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(get.headers.contains_key(header::ETAG));
    let vary = header_text(&get, header::VARY).join(",").to_ascii_lowercase();
    assert!(vary.contains("origin") && vary.contains("authorization"), "{vary}");
}
on_both!(an_allow_list_admits_its_origins_only);

/// With every origin allowed, the answer is the same whatever the origin: a CDN keeps one
/// copy, not one per site.
async fn answers_for_any_origin_do_not_vary_by_origin(app: TestApp) {
    let request = |origin: &str| {
        Request::builder()
            .uri("/graphql?query=%7B__typename%7D")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let get = app.request(request("https://www.example.com")).await;
    assert_eq!(header_text(&get, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    let vary = header_text(&get, header::VARY).join(",").to_ascii_lowercase();
    assert!(!vary.contains("origin"), "{vary}");
    assert!(vary.contains("authorization"), "{vary}");
}
on_both!(answers_for_any_origin_do_not_vary_by_origin);

/// SQLite's `synchronous` level is `NORMAL` unless `NEWSROOM_SQLITE_SYNCHRONOUS` asks for more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_synchronous_follows_the_setting() {
    use newsroom::config::SqliteSynchronous;
    use sea_orm::{ConnectionTrait, Statement};
    async fn level(app: &TestApp) -> i64 {
        let statement = Statement::from_string(app.db.get_database_backend(), "PRAGMA synchronous");
        app.db.query_one_raw(statement).await.unwrap().unwrap().try_get::<i64>("", "synchronous").unwrap()
    }
    let app = TestApp::sqlite().await;
    assert_eq!(level(&app).await, 1, "NORMAL by default");
    let full = app.reconnected(|config| config.sqlite_synchronous = SqliteSynchronous::Full).await;
    assert_eq!(level(&full).await, 2, "FULL");
    let extra = app.reconnected(|config| config.sqlite_synchronous = SqliteSynchronous::Extra).await;
    assert_eq!(level(&extra).await, 3, "EXTRA");
}
