//! The HTTP endpoints around GraphQL: health, readiness, SDL, GraphiQL, GET rules,
//! content types, error codes of requests that never run.

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

async fn health_readiness_and_pages(app: TestApp) {
    let live = app.get("/healthz").await;
    assert_eq!((live.status, live.body.as_str()), (StatusCode::OK, Some("ok")));
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (StatusCode::OK, Some("ready")));

    let sdl = app.get("/schema.graphql").await;
    assert_eq!(sdl.status, StatusCode::OK);
    assert!(sdl.body.as_str().unwrap().contains("searchArticles(query: String!"));

    let graphiql = app.get("/graphiql").await;
    assert_eq!(graphiql.status, StatusCode::OK);
    assert!(graphiql.body.as_str().unwrap().contains("GraphiQL"));
}
on_both!(health_readiness_and_pages);

/// GraphiQL works offline: the page and everything it loads come from this server, under a
/// Content-Security-Policy that allows no other origin, and it runs subscriptions over
/// `/graphql/ws`.
async fn graphiql_loads_nothing_from_elsewhere(app: TestApp) {
    let page = app.get("/graphiql").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().expect("an HTML page");
    let policy = page.headers.get(header::CONTENT_SECURITY_POLICY).expect("a CSP").to_str().unwrap().to_owned();
    for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'"] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("http") && !policy.contains("*"), "no other origin is allowed: {policy}");

    let loaded: Vec<&str> = ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert!(loaded.len() >= 5, "the page loads its scripts and styles: {loaded:?}");
    let mut scripts = String::new();
    for path in &loaded {
        assert!(path.starts_with("/graphiql/assets/"), "{path} is not served by us");
        let asset = app.request(Request::get(*path).body(Body::empty()).unwrap()).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        let content_type = asset.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap();
        let expected = if path.ends_with(".js") { "text/javascript" } else { "text/css" };
        assert!(content_type.starts_with(expected), "{path}: {content_type}");
        assert_eq!(asset.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        let text = asset.body.as_str().expect("a text file");
        assert!(!text.contains("unpkg.com") && !text.contains("cdn.jsdelivr.net"), "{path} loads from a CDN");
        scripts.push_str(text);
    }
    assert!(scripts.contains("/graphql/ws"), "subscriptions go over the WebSocket endpoint");
    assert!(!scripts.contains("react.development"), "production builds only");

    let licences = app.get("/graphiql/assets/LICENSES.md").await;
    assert_eq!(licences.status, StatusCode::OK);
    assert!(licences.body.as_str().unwrap().contains("MIT License"));
    assert_eq!(app.get("/graphiql/assets/nothing.js").await.status, StatusCode::NOT_FOUND);
}
on_both!(graphiql_loads_nothing_from_elsewhere);

async fn get_answers_queries_and_refuses_mutations(app: TestApp) {
    let ok = app.get("/graphql?query=%7Bsections%7Bslug%7D%7D").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, json!({ "data": { "sections": [] } }));

    let mutation =
        app.get("/graphql?query=mutation%7Blogin(email%3A%22a%40b.c%22%2Cpassword%3A%22x%22)%7Btoken%7D%7D").await;
    assert_eq!(mutation.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers.get(header::ALLOW).unwrap(), "POST");
    assert_eq!(mutation.codes(), ["BAD_USER_INPUT"]);
}
on_both!(get_answers_queries_and_refuses_mutations);

async fn requests_that_never_run_carry_codes(app: TestApp) {
    let parse = app.post(None, "{ sections { slug }", json!({})).await;
    assert_eq!(parse.codes(), ["GRAPHQL_PARSE_FAILED"]);

    let validation = app.post(None, "{ sections { nope } }", json!({})).await;
    assert_eq!(validation.codes(), ["GRAPHQL_VALIDATION_FAILED"]);

    let deep = format!("{{ sections {{ {} slug {} }} }}", "parent { ".repeat(12), "} ".repeat(12));
    assert_eq!(app.post(None, &deep, json!({})).await.codes(), ["QUERY_TOO_COMPLEX"]);

    let not_json = app
        .request(
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.codes(), ["GRAPHQL_PARSE_FAILED"]);
}
on_both!(requests_that_never_run_carry_codes);

async fn graphql_response_media_type_when_asked(app: TestApp) {
    let request = |accept: &str, query: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(Body::from(json!({ "query": query }).to_string()))
            .unwrap()
    };
    let asked = app.request(request("application/graphql-response+json", "{ me { id } }")).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(asked.headers.get(header::CONTENT_TYPE).unwrap(), "application/graphql-response+json");
    let plain = app.request(request("application/json", "{ me { id } }")).await;
    assert_eq!(plain.headers.get(header::CONTENT_TYPE).unwrap(), "application/json");
    let invalid = app.request(request("application/graphql-response+json", "{ nope }")).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
}
on_both!(graphql_response_media_type_when_asked);

#[test]
fn schema_file_matches_the_live_schema() {
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql exists");
    assert!(
        file == newsroom::graphql::sdl(),
        "schema.graphql differs from the live schema: run `cargo run -- export-schema`"
    );
}

/// The introspection query GraphiQL and code generators send (graphql-js
/// `getIntrospectionQuery`), which nests deeper than ordinary queries.
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

async fn graphiql_can_load_the_schema(app: TestApp) {
    let answer = app.post(None, INTROSPECTION, json!({})).await;
    let data = answer.assert_ok();
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Article"));
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}
on_both!(graphiql_can_load_the_schema);

async fn refusals_are_graphql_errors_with_codes(app: TestApp) {
    let huge =
        format!(r#"{{"query": "{{ sections {{ slug }} }}", "variables": {{"pad": "{}"}}}}"#, "x".repeat(300 * 1024));
    let too_large = app
        .request(
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.codes(), ["BAD_USER_INPUT"]);

    let unknown = app
        .request(
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({ "query": "query A { me { id } }", "operationName": "B" }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(unknown.codes(), ["BAD_USER_INPUT"]);

    let year_zero = app
        .post(
            None,
            "query($t: DateTime) { articles(filter: { publishedBefore: $t }) { totalCount } }",
            json!({ "t": "0000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(year_zero.codes(), ["BAD_USER_INPUT"]);

    let nul = app.post(None, "query($s: String!) { article(slug: $s) { slug } }", json!({ "s": "a\u{0}b" })).await;
    assert_eq!(nul.codes(), ["BAD_USER_INPUT"]);

    // A field error leaves `data` in place: 200 even with the graphql-response media type.
    let field_error = app
        .request(
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/graphql-response+json")
                .body(Body::from(json!({ "query": "{ articles(first: 101) { totalCount } }" }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(field_error.status, StatusCode::OK);
    assert_eq!(field_error.codes(), ["BAD_USER_INPUT"]);
    assert_eq!(field_error.body["errors"][0]["extensions"]["field"], "first");
}
on_both!(refusals_are_graphql_errors_with_codes);

async fn introspection_that_fans_out_is_refused(app: TestApp) {
    let fan_out = format!(
        r#"{{ __type(name: "Node") {{ {} name {} }} }}"#,
        "possibleTypes { interfaces { ".repeat(2),
        "} } ".repeat(2)
    );
    let answer = app.post(None, &fan_out, json!({})).await;
    assert_eq!(answer.codes(), ["QUERY_TOO_COMPLEX"], "{}", answer.body);
    let shallow = app.post(None, r#"{ __type(name: "Article") { name fields { name } } }"#, json!({})).await;
    assert_eq!(shallow.assert_ok()["__type"]["name"], "Article");
}
on_both!(introspection_that_fans_out_is_refused);

async fn a_post_must_be_json(app: TestApp) {
    let post = |content_type: Option<&str>| {
        let mut request = Request::builder().method(Method::POST).uri("/graphql");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        request.body(Body::from(json!({ "query": "{ __typename }" }).to_string())).unwrap()
    };
    for refused in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")] {
        let answer = app.request(post(refused)).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{refused:?}");
        assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "{refused:?}");
    }
    for accepted in ["application/json", "application/json; charset=utf-8", "Application/JSON"] {
        let answer = app.request(post(Some(accepted))).await;
        assert_eq!(answer.status, StatusCode::OK, "{accepted}");
        assert_eq!(answer.assert_ok()["__typename"], "Query");
    }
}
on_both!(a_post_must_be_json);

/// A request that fails before execution (it does not parse or validate) has no `data`
/// entry at all; one that fails in a resolver keeps `data`.
async fn request_errors_have_no_data_entry(app: TestApp) {
    for (accept, query) in [
        ("application/json", "{ sections { slug }"),
        ("application/json", "{ nope }"),
        ("application/graphql-response+json", "{ nope }"),
    ] {
        let answer = app
            .request(
                Request::builder()
                    .method(Method::POST)
                    .uri("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::ACCEPT, accept)
                    .body(Body::from(json!({ "query": query }).to_string()))
                    .unwrap(),
            )
            .await;
        assert!(answer.body.get("data").is_none(), "{accept} {query}: {}", answer.body);
        assert_eq!(answer.body["errors"].as_array().map(Vec::len), Some(1));
    }
    let field_error = app.post(None, "{ articles(first: 101) { totalCount } }", json!({})).await;
    assert_eq!(field_error.codes(), ["BAD_USER_INPUT"]);
    assert!(field_error.body.get("data").is_some(), "{}", field_error.body);
}
on_both!(request_errors_have_no_data_entry);
