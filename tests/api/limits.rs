//! Query limits as a client meets them: each refusal comes before anything runs, as a
//! GraphQL error whose code and message name the limit, its value and its setting; refused
//! mutations change nothing; hostile documents are refused fast while others are served;
//! and no error carries the database's own text.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{Answer, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use entity::user::Role;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};
use serde_json::{Value, json};

/// The one error of a refused request: its code and message.
#[track_caller]
fn refusal(answer: &Answer) -> (String, String) {
    let errors = answer.body["errors"].as_array().unwrap_or_else(|| panic!("no errors: {}", answer.body));
    assert_eq!(errors.len(), 1, "{}", answer.body);
    assert!(answer.body["data"].is_null(), "a refused request has no data: {}", answer.body);
    (answer.codes()[0].clone(), errors[0]["message"].as_str().unwrap().to_owned())
}

fn aliased(count: usize, field: &str) -> String {
    (0..count).map(|i| format!("a{i}: {field} ")).collect()
}

async fn post_raw(app: &TestApp, body: String) -> Answer {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    app.request(request).await
}

async fn depth_and_complexity_name_their_values(app: TestApp) {
    let nested =
        |levels: usize| format!("{{ sections {{ {} slug {} }} }}", "parent { ".repeat(levels), "} ".repeat(levels));
    app.query(&nested(10), json!({})).await;
    let deep = app.post(None, &nested(11), json!({})).await;
    assert_eq!(deep.status, StatusCode::OK);
    assert_eq!(
        refusal(&deep),
        (
            "QUERY_TOO_COMPLEX".into(),
            "the query nests 13 levels deep; at most 12 are allowed (NEWSROOM_MAX_DEPTH)".into()
        )
    );

    // 100 articles, each with its `nodes` (1) and 100 comments of 2 fields: 100 * (1 + 200).
    let pages = |size: u32| {
        format!("{{ articles(first: {size}) {{ nodes {{ comments(first: {size}) {{ nodes {{ id }} }} }} }} }}")
    };
    app.query(&pages(10), json!({})).await;
    let complex = app.post(None, &pages(100), json!({})).await;
    assert_eq!(
        refusal(&complex),
        (
            "QUERY_TOO_COMPLEX".into(),
            "the query's complexity is 20100; at most 5000 is allowed (NEWSROOM_MAX_COMPLEXITY)".into()
        )
    );

    // Ten pages of 100 nested in each other would overflow a plain sum; the answer is a
    // refusal all the same, not a crash.
    let mut tower = String::from("{ articles(first: 100) { nodes { ");
    for level in 0..9 {
        tower.push_str(if level == 0 { "comments(first: 100) { nodes { " } else { "replies(first: 100) { nodes { " });
    }
    tower.push_str(&format!("id {}", "} } ".repeat(10)));
    tower.push('}');
    let (code, message) = refusal(&app.post(None, &tower, json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(message.contains("NEWSROOM_MAX_DEPTH"), "{message}");
}
on_both!(depth_and_complexity_name_their_values);

async fn aliases_root_fields_and_directives_are_counted(app: TestApp) {
    let aliases = |n: usize| format!("{{ sections {{ {} }} }}", aliased(n, "slug"));
    app.query(&aliases(30), json!({})).await;
    assert_eq!(
        refusal(&app.post(None, &aliases(31), json!({})).await),
        ("QUERY_TOO_COMPLEX".into(), "the query has 31 aliases; at most 30 are allowed (NEWSROOM_MAX_ALIASES)".into())
    );
    // Fragments count once for each place they are spread.
    let spread = format!(
        "{{ sections {{ ...F }} again: sections {{ ...F }} }} fragment F on Section {{ {} }}",
        aliased(15, "slug")
    );
    let (_, message) = refusal(&app.post(None, &spread, json!({})).await);
    assert_eq!(message, "the query has 31 aliases; at most 30 are allowed (NEWSROOM_MAX_ALIASES)");

    let roots = |n: usize| format!("{{ {} }}", aliased(n, "sections { slug }"));
    app.query(&roots(20), json!({})).await;
    assert_eq!(
        refusal(&app.post(None, &roots(21), json!({})).await),
        (
            "QUERY_TOO_COMPLEX".into(),
            "the operation asks for 21 root fields; at most 20 are allowed (NEWSROOM_MAX_ROOT_FIELDS)".into()
        )
    );

    let directives = |n: usize| format!("{{ sections {{ {} }} }}", "slug @include(if: true) ".repeat(n));
    app.query(&directives(50), json!({})).await;
    assert_eq!(
        refusal(&app.post(None, &directives(51), json!({})).await),
        (
            "QUERY_TOO_COMPLEX".into(),
            "the query has 51 directives; at most 50 are allowed (NEWSROOM_MAX_DIRECTIVES)".into()
        )
    );

    // Over GET alike.
    let uri = format!("/graphql?query={}", urlencode(&aliases(31)));
    let get = app.get(&uri).await;
    assert_eq!(get.codes(), ["QUERY_TOO_COMPLEX"]);
}
on_both!(aliases_root_fields_and_directives_are_counted);

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn refused_mutations_change_nothing(app: TestApp) {
    let (_, token) = app.staff(Role::Editor).await;
    let create = |alias: &str, slug: &str| {
        format!(r#"{alias}: createSection(input: {{ name: "Desk {slug}", slug: "{slug}" }}) {{ slug }} "#)
    };
    let many: String = (0..21).map(|i| create(&format!("s{i}"), &format!("desk-{i}"))).collect();
    let answer = app.post(Some(&token), &format!("mutation {{ {many} }}"), json!({})).await;
    assert_eq!(refusal(&answer).0, "QUERY_TOO_COMPLEX");

    let aliased_fields = format!(
        r#"mutation {{ createSection(input: {{ name: "Desk", slug: "desk" }}) {{ {} }} }}"#,
        aliased(31, "slug")
    );
    assert_eq!(refusal(&app.post(Some(&token), &aliased_fields, json!({})).await).0, "QUERY_TOO_COMPLEX");

    // A batch of eleven mutations is refused whole.
    let batch: Vec<Value> =
        (0..11).map(|i| json!({ "query": format!("mutation {{ {} }}", create("s", &format!("batch-{i}"))) })).collect();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(Value::from(batch).to_string()))
        .unwrap();
    let answer = app.request(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"]);

    assert_eq!(entity::section::Entity::find().count(&app.db).await.unwrap(), 0, "nothing was written");
}
on_both!(refused_mutations_change_nothing);

async fn batches_run_up_to_the_limit(app: TestApp) {
    let (_, token) = app.staff(Role::Editor).await;
    let operations: Vec<Value> = vec![
        json!({ "query": "mutation { createSection(input: { name: \"World\", slug: \"world\" }) { slug } }" }),
        json!({ "query": "{ sections { slug } }" }),
        json!({ "query": "{ sections { nope } }" }),
    ];
    let request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(Value::from(operations).to_string()))
        .unwrap();
    let answer = app.request(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answers = answer.body.as_array().unwrap_or_else(|| panic!("an array: {}", answer.body));
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["data"]["createSection"]["slug"], "world");
    // In order: the query sees what the mutation before it wrote.
    assert_eq!(answers[1]["data"]["sections"], json!([{ "slug": "world" }]));
    assert_eq!(answers[2]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");

    let eleven: Vec<Value> = (0..11).map(|_| json!({ "query": "{ sections { slug } }" })).collect();
    let refused = post_raw(&app, Value::from(eleven).to_string()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refusal(&refused),
        (
            "BAD_USER_INPUT".into(),
            "the request batches 11 operations; at most 10 are allowed (NEWSROOM_MAX_BATCH)".into()
        )
    );
    // An empty array is no batch but a request without a query, as `{}` is.
    let empty = post_raw(&app, "[]".into()).await;
    assert_eq!(empty.codes(), ["GRAPHQL_PARSE_FAILED"]);

    let ten: Vec<Value> = (0..10).map(|_| json!({ "query": "{ sections { slug } }" })).collect();
    let answer = post_raw(&app, Value::from(ten).to_string()).await;
    assert_eq!(answer.body.as_array().map(Vec::len), Some(10), "{}", answer.body);
}
on_both!(batches_run_up_to_the_limit);

async fn body_and_time_limits_name_their_values(app: TestApp) {
    let huge = json!({ "query": "{ sections { slug } }", "variables": { "pad": "x".repeat(300 * 1024) } }).to_string();
    // Refused from its declared length, and from what was read when no length is declared.
    for declared in [true, false] {
        let mut request =
            Request::builder().method(Method::POST).uri("/graphql").header(header::CONTENT_TYPE, "application/json");
        if declared {
            request = request.header(header::CONTENT_LENGTH, huge.len());
        }
        let answer = app.request(request.body(Body::from(huge.clone())).unwrap()).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            refusal(&answer),
            (
                "BAD_USER_INPUT".into(),
                "the request body is larger than 262144 bytes, the most the server accepts (NEWSROOM_BODY_LIMIT)"
                    .into()
            )
        );
    }

    // Checking a password takes longer than a millisecond.
    let hasty = app.reconfigured(|config| config.request_timeout = Duration::from_millis(1)).await;
    let login = r#"mutation { login(email: "nobody@example.org", password: "not this one") { token } }"#;
    let answer = hasty.post(None, login, json!({})).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        refusal(&answer),
        (
            "INTERNAL_SERVER_ERROR".into(),
            "the request took longer than 1ms, the most the server allows (NEWSROOM_REQUEST_TIMEOUT)".into()
        )
    );
}
on_both!(body_and_time_limits_name_their_values);

async fn hostile_documents_are_refused_before_parsing(app: TestApp) {
    let tokens = format!("{{ {} }}", "a ".repeat(100_000));
    assert_eq!(
        refusal(&app.post(None, &tokens, json!({})).await),
        (
            "QUERY_TOO_COMPLEX".into(),
            "the query has more than 5000 tokens; at most 5000 are allowed (NEWSROOM_MAX_TOKENS)".into()
        )
    );
    let brackets = format!("{{ article(slug: {}\"x\"{}) {{ slug }} }}", "[".repeat(1_000), "]".repeat(1_000));
    assert_eq!(
        refusal(&app.post(None, &brackets, json!({})).await),
        ("QUERY_TOO_COMPLEX".into(), "the query nests brackets more than 64 deep; at most 64 are allowed".into())
    );
    let selections = format!("{{ {} slug {} }}", "sections { ".repeat(40), "} ".repeat(40));
    assert_eq!(
        refusal(&app.post(None, &selections, json!({})).await).1,
        "the query nests selections and fragments more than 32 deep; at most 32 are allowed"
    );

    // Each fragment spreads the next twice: 2^25 fields once expanded.
    let mut doubling = String::from("{ sections { ...F0 } }");
    for i in 0..25 {
        doubling.push_str(&format!(" fragment F{i} on Section {{ ...F{} ...F{} }}", i + 1, i + 1));
    }
    doubling.push_str(" fragment F25 on Section { slug }");
    let started = Instant::now();
    let (code, message) = refusal(&app.post(None, &doubling, json!({})).await);
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert_eq!(
        message,
        format!("the query selects {} fields; at most 5000 are allowed (NEWSROOM_MAX_COMPLEXITY)", (1u64 << 25) + 1)
    );

    let cycle = "{ sections { ...A } } fragment A on Section { parent { ...B } } fragment B on Section { ...A }";
    assert_eq!(
        refusal(&app.post(None, cycle, json!({})).await),
        ("GRAPHQL_VALIDATION_FAILED".into(), "the fragment `A` spreads itself".into())
    );
}
on_both!(hostile_documents_are_refused_before_parsing);

/// The median of a refusal's time in-process, and the refusal itself.
async fn timed(app: &TestApp, query: &str) -> (Duration, Answer) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let started = Instant::now();
        last = Some(app.post(None, query, json!({})).await);
        times.push(started.elapsed());
    }
    times.sort();
    (times[2], last.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_fast_and_others_are_served_meanwhile() {
    let app = TestApp::sqlite().await;
    // 100,000 tokens, and 10,000 aliases (30,000 tokens): refused at the token limit.
    let tokens = format!("{{ {} }}", "a ".repeat(100_000));
    let aliases = format!("{{ sections {{ {} }} }}", aliased(10_000, "slug"));
    for document in [&tokens, &aliases] {
        let (took, answer) = timed(&app, document).await;
        assert_eq!(
            refusal(&answer).1,
            "the query has more than 5000 tokens; at most 5000 are allowed (NEWSROOM_MAX_TOKENS)"
        );
        eprintln!("{} bytes refused in {took:?} (median of 5, this build)", document.len());
        // Unoptimised, with room for a busy machine; a release build is far faster.
        assert!(took < Duration::from_millis(250), "took {took:?}");
    }
    // With room for the tokens, the 10,000 aliases are counted, and refused, before parsing.
    let roomy = app.reconfigured(|config| config.max_tokens = 100_000).await;
    let (took, answer) = timed(&roomy, &aliases).await;
    assert_eq!(refusal(&answer).1, "the query has 10000 aliases; at most 30 are allowed (NEWSROOM_MAX_ALIASES)");
    eprintln!("10,000 aliases refused in {took:?} (median of 5, this build)");
    assert!(took < Duration::from_millis(250), "took {took:?}");

    // Forty hostile documents at once over real connections, and readers in between.
    let address = app.serve().await;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/graphql");
    let hostile: Vec<_> = (0..40)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), json!({ "query": tokens }));
            tokio::spawn(async move { client.post(url).json(&body).send().await?.json::<Value>().await })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let answer: Value = client
            .post(&url)
            .json(&json!({ "query": "{ sections { slug } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer, json!({ "data": { "sections": [] } }));
        slowest = slowest.max(started.elapsed());
    }
    for task in hostile {
        let answer = task.await.unwrap().unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    }
    eprintln!("slowest reader among 40 hostile requests: {slowest:?}");
    assert!(slowest < Duration::from_secs(5), "a reader waited {slowest:?}");
}

async fn introspection_can_be_switched_off(app: TestApp) {
    let typo = app.post(None, "{ sectionz { slug } }", json!({})).await;
    assert!(refusal(&typo).1.contains("Did you mean"), "suggestions are on by default: {}", typo.body);
    app.query("{ __schema { queryType { name } } }", json!({})).await;

    let closed = app.reconfigured(|config| config.introspection = false).await;
    for query in [
        "{ __schema { queryType { name } } }",
        r#"{ __type(name: "Article") { name } }"#,
        "query Q { ...S } fragment S on Query { __schema { types { name } } }",
    ] {
        assert_eq!(
            refusal(&closed.post(None, query, json!({})).await),
            (
                "GRAPHQL_VALIDATION_FAILED".into(),
                "introspection is switched off on this server (NEWSROOM_INTROSPECTION)".into()
            ),
            "{query}"
        );
    }
    let typo = closed.post(None, "{ sectionz { slug } }", json!({})).await;
    let (code, message) = refusal(&typo);
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
    assert!(!message.contains("Did you mean") && !message.contains("sections"), "{message}");
    let sdl = closed.get("/schema.graphql").await;
    assert_eq!(sdl.status, StatusCode::NOT_FOUND);
    // Reading content, and `__typename`, still work.
    assert_eq!(closed.query("{ __typename sections { slug } }", json!({})).await["__typename"], "Query");
}
on_both!(introspection_can_be_switched_off);

/// A database error (here, a table gone from under the server) is answered with a generic
/// message: nothing of the database's text, no trace.
async fn database_errors_carry_no_database_text(app: TestApp) {
    fixtures_section(&app).await;
    app.db.execute_unprepared("ALTER TABLE sections RENAME TO sections_gone").await.unwrap();
    let answer = app.post(None, "{ sections { slug } }", json!({})).await;
    assert_eq!(answer.codes(), ["INTERNAL_SERVER_ERROR"], "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["message"], "internal server error");
    let text = answer.body.to_string().to_lowercase();
    for leak in ["sections_gone", "no such", "relation", "does not exist", "sql", "select", "panicked", ".rs:"] {
        assert!(!text.contains(leak), "{leak:?} in {text}");
    }
}
on_both!(database_errors_carry_no_database_text);

async fn fixtures_section(app: &TestApp) {
    common::fixtures::section(&app.db, "world", "World", None).await;
}

/// PostgreSQL cancels a statement that runs past `NEWSROOM_DB_STATEMENT_TIMEOUT`, here
/// one that waits for a table another connection holds locked, and the client gets a
/// generic error long before the request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn postgres_statements_time_out() {
    let app = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    fixtures_section(&app).await;
    let hasty = app.reconnected(|config| config.db_statement_timeout = Duration::from_millis(300)).await;
    const NEWEST: &str = "{ articles(first: 1) { nodes { slug } } }";
    hasty.query(NEWEST, json!({})).await;

    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let started = Instant::now();
    let answer = hasty.post(None, NEWEST, json!({})).await;
    let took = started.elapsed();
    lock.rollback().await.unwrap();

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.codes(), ["INTERNAL_SERVER_ERROR"], "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["message"], "internal server error");
    assert!(!answer.body.to_string().contains("statement"), "{}", answer.body);
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(5), "took {took:?}");
    // The pool is fine afterwards.
    assert_eq!(hasty.query(NEWEST, json!({})).await["articles"]["nodes"], json!([]));
}

/// Subscriptions over WebSocket are held to the same limits, with the same messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_held_to_the_limits() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let app = TestApp::sqlite().await;
    let at = app.serve().await;
    let mut request = format!("ws://{at}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
    let mut next = async move |message: Option<Value>| -> Value {
        if let Some(message) = message {
            socket.send(Message::text(message.to_string())).await.unwrap();
        }
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).unwrap();
            }
        }
    };
    assert_eq!(next(Some(json!({ "type": "connection_init" }))).await["type"], "connection_ack");
    let cases = [
        (
            format!("subscription {{ articlePublished {{ {} }} }}", aliased(31, "slug")),
            "the query has 31 aliases; at most 30 are allowed (NEWSROOM_MAX_ALIASES)",
        ),
        (
            "subscription { articlePublished { ...A } } fragment A on Article { section { ...B } } fragment B on Section { articles { nodes { ...A } } }".to_owned(),
            "the fragment `A` spreads itself",
        ),
    ];
    for (id, (query, message)) in cases.into_iter().enumerate() {
        let id = id.to_string();
        let answer = next(Some(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))).await;
        // Refused before it ran: graphql-transport-ws's `error` message, which ends it.
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], id.as_str());
        assert_eq!(answer["payload"][0]["message"], message);
    }
}
