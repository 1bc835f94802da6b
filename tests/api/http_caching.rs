//! HTTP caching: validators and `Cache-Control` on anonymous GET answers, `304 Not
//! Modified`, the in-process response cache and what invalidates it, and automatic
//! persisted queries.

use std::time::Duration;

use crate::common::fixtures::{self, ArticleSpec, ago};
use crate::common::{Answer, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use entity::article::ArticleStatus;
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

const PAGE: &str = "query($s: String!) { article(slug: $s) { headline commentCount leadImage { url } } }";
const FRONT: &str = "query($s: String!) { section(slug: $s) { articles(first: 10) { nodes { slug } } } }";

fn url(query: &str, variables: &Value) -> String {
    let mut url = url::Url::parse("http://localhost/graphql").unwrap();
    url.query_pairs_mut().append_pair("query", query).append_pair("variables", &variables.to_string());
    format!("{}?{}", url.path(), url.query().unwrap())
}

async fn get(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder().method(Method::GET).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.request(request.body(Body::empty()).unwrap()).await
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// POSTs a whole GraphQL request body, extensions and all.
async fn post_body(app: &TestApp, body: &Value) -> Answer {
    let request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    app.request(request.body(Body::from(body.to_string())).unwrap()).await
}

/// The app with the response cache on, as it is by default.
async fn cached(app: &TestApp) -> TestApp {
    app.reconfigured(|config| config.response_cache_mb = 16).await
}

async fn story(app: &TestApp, slug: &str) -> entity::article::Model {
    let section = fixtures::section(&app.db, &format!("{slug}-desk"), "Desk", None).await;
    fixtures::article(&app.db, ArticleSpec::published(slug, &section, ago(60))).await
}

async fn anonymous_get_answers_carry_validators_and_304_saves_the_body(plain: TestApp) {
    let app = cached(&plain).await;
    story(&app, "story").await;
    let uri = url(PAGE, &json!({ "s": "story" }));

    let first = get(&app, &uri, &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.data()["article"]["headline"], "Headline of story");
    assert_eq!(header(&first, "cache-control"), "public, max-age=30, stale-while-revalidate=60");
    let etag = header(&first, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 34, "a strong validator: {etag}");

    let again = get(&app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.body, Value::Null, "no body");
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(get(&app, &uri, &[("if-none-match", "\"something-else\"")]).await.status, 200);

    // Compressed, the answer is another representation with a validator of its own,
    // which revalidates just the same.
    let big = url("{ __schema { types { name description } } }", &json!({}));
    let gzipped = get(&app, &big, &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    let gzip_etag = header(&gzipped, "etag").to_owned();
    assert!(gzip_etag.ends_with("-gzip\""), "{gzip_etag}");
    let revalidated = get(&app, &big, &[("accept-encoding", "gzip"), ("if-none-match", &gzip_etag)]).await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);

    // Signed-in callers may see drafts: their answers are for them alone.
    let (_, token) = app.staff(Role::Editor).await;
    let bearer = format!("Bearer {token}");
    let signed_in = get(&app, &uri, &[("authorization", &bearer)]).await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(header(&signed_in, "cache-control"), "private, no-store");
    assert_eq!(header(&signed_in, "etag"), "");
    let posted = app.post(Some(&token), PAGE, json!({ "s": "story" })).await;
    assert_eq!(header(&posted, "cache-control"), "private, no-store");

    // Errors are not for keeping.
    let refused = get(&app, &url("{ nope }", &json!({})), &[]).await;
    assert_eq!(header(&refused, "cache-control"), "no-store");
    assert_eq!(header(&refused, "etag"), "");
}
on_both!(anonymous_get_answers_carry_validators_and_304_saves_the_body);

async fn the_response_cache_serves_repeats_and_never_a_stale_answer(plain: TestApp) {
    let app = cached(&plain).await;
    let article = story(&app, "story").await;
    let id = encode(Kind::Article, article.id);
    let (_, editor) = app.staff(Role::Editor).await;
    let variables = json!({ "s": "story" });
    let uri = url(PAGE, &variables);

    let (first, _) = (get(&app, &uri, &[]).await, ());
    let before = app.statements.get();
    let repeat = get(&app, &uri, &[]).await;
    assert_eq!(app.statements.get() - before, 0, "the repeat is answered from the cache");
    assert_eq!(repeat.body, first.body);
    let before = app.statements.get();
    assert_eq!(app.query(PAGE, variables.clone()).await, first.body["data"], "POST shares the cache");
    assert_eq!(app.statements.get() - before, 0);

    // An edit is visible to the very next read, over GET and POST.
    let edit = "mutation($id: ID!) { updateArticle(id: $id, input: { headline: \"A new headline\" }) { headline } }";
    app.query_as(&editor, edit, json!({ "id": id })).await;
    assert_eq!(get(&app, &uri, &[]).await.data()["article"]["headline"], "A new headline");
    assert_eq!(app.query(PAGE, variables.clone()).await["article"]["headline"], "A new headline");

    // A comment held for moderation changes nothing readers see: the cache stays.
    let add = r#"mutation($a: ID!) { addComment(input: { articleId: $a, authorName: "R", body: "Nice" }) { id } }"#;
    let held = app.post_from("203.0.113.9", None, add, json!({ "a": id })).await;
    let held_id = held.assert_ok()["addComment"]["id"].clone();
    let before = app.statements.get();
    assert_eq!(get(&app, &uri, &[]).await.data()["article"]["commentCount"], 0);
    assert_eq!(app.statements.get() - before, 0, "still cached");
    // Its approval does change it.
    let moderate = "mutation($id: ID!) { moderateComment(id: $id, status: APPROVED) { status } }";
    app.query_as(&editor, moderate, json!({ "id": held_id })).await;
    assert_eq!(get(&app, &uri, &[]).await.data()["article"]["commentCount"], 1);

    // Unpublished, the article is gone for readers at once.
    let unpublish = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
    app.query_as(&editor, unpublish, json!({ "id": id })).await;
    assert_eq!(get(&app, &uri, &[]).await.data()["article"], Value::Null);
}
on_both!(the_response_cache_serves_repeats_and_never_a_stale_answer);

/// The response cache's size as `/metrics` reports it.
async fn cache_bytes(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await;
    let text = metrics.body.as_str().expect("a text body");
    let line = text.lines().find_map(|l| l.strip_prefix("newsroom_response_cache_bytes ")).expect("the gauge");
    line.trim().parse().expect("a number")
}

async fn a_write_drops_the_answers_it_outdated(plain: TestApp) {
    let app = cached(&plain).await;
    let article = story(&app, "story").await;
    story(&app, "other").await;
    let (_, editor) = app.staff(Role::Editor).await;
    assert_eq!(cache_bytes(&app).await, 0);

    let page = url(PAGE, &json!({ "s": "story" }));
    let other = url(PAGE, &json!({ "s": "other" }));
    let first = get(&app, &page, &[]).await;
    let one = cache_bytes(&app).await;
    assert!(one > first.body.to_string().len() as u64, "{one} bytes for one answer");
    get(&app, &other, &[]).await;
    let two = cache_bytes(&app).await;
    assert!(two > one, "{one} then {two}");

    let edit = "mutation($id: ID!) { updateArticle(id: $id, input: { headline: \"Changed\" }) { id } }";
    app.query_as(&editor, edit, json!({ "id": encode(Kind::Article, article.id) })).await;
    let before = app.statements.get();
    get(&app, &other, &[]).await;
    assert_eq!(app.statements.get(), before, "the other article's page is still cached");
    assert_eq!(get(&app, &page, &[]).await.data()["article"]["headline"], "Changed");
    assert!(app.statements.get() > before, "the changed one is read again");
    // The outdated answer was replaced, not kept beside the new one.
    let held = cache_bytes(&app).await;
    assert!(held.abs_diff(two) < 64, "{two} bytes before the write, {held} after");
}
on_both!(a_write_drops_the_answers_it_outdated);

async fn scheduled_publications_and_licence_expiries_reach_cached_readers(plain: TestApp) {
    let app = cached(&plain).await;
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let image = fixtures::image(&app.db, Some("Ana Ruiz"), None, None, None).await;
    let mut expiring = image.clone().into_active_model();
    let expires = newsroom::domain::now() + chrono::Duration::milliseconds(1200);
    expiring.license_expires_at = Set(Some(expires));
    expiring.update(&app.db).await.unwrap();
    let lead = ArticleSpec { lead_image: Some(&image), ..ArticleSpec::published("pictured", &section, ago(60)) };
    fixtures::article(&app.db, lead).await;
    let due = ArticleSpec {
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_at: Some(newsroom::domain::now() + chrono::Duration::milliseconds(800)),
        ..ArticleSpec::published("due-soon", &section, ago(1))
    };
    fixtures::article(&app.db, due).await;

    let front = url(FRONT, &json!({ "s": "news" }));
    let page = url(PAGE, &json!({ "s": "pictured" }));
    assert_eq!(get(&app, &front, &[]).await.data()["section"]["articles"]["nodes"].as_array().unwrap().len(), 1);
    assert!(get(&app, &page, &[]).await.data()["article"]["leadImage"]["url"].is_string());

    let every = Duration::from_millis(100);
    let scheduler = tokio::spawn(newsroom::scheduler::run(app.db.clone(), app.pipeline.clone(), every));
    let started = std::time::Instant::now();
    loop {
        let listed = get(&app, &front, &[]).await.data()["section"]["articles"]["nodes"].as_array().unwrap().len();
        let image = get(&app, &page, &[]).await.data()["article"]["leadImage"].clone();
        if listed == 2 && image.is_null() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "after 10 s: {listed} listed, lead image {image}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scheduler.abort();
}
on_both!(scheduled_publications_and_licence_expiries_reach_cached_readers);

async fn previews_are_never_cached(plain: TestApp) {
    let app = cached(&plain).await;
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let draft = fixtures::article(&app.db, ArticleSpec::draft("draft", &section)).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let link = "mutation($id: ID!) { createPreviewLink(articleId: $id) { token } }";
    let token = app.query_as(&editor, link, json!({ "id": encode(Kind::Article, draft.id) })).await["createPreviewLink"]
        ["token"]
        .clone();
    let query = "query($s: String!, $t: String) { article(slug: $s, previewToken: $t) { headline } }";
    let uri = url(query, &json!({ "s": "draft", "t": token }));
    let shown = get(&app, &uri, &[]).await;
    assert_eq!(shown.data()["article"]["headline"], "Headline of draft");
    assert_eq!(header(&shown, "cache-control"), "private, no-store");
    assert_eq!(header(&shown, "etag"), "");
    let before = app.statements.get();
    get(&app, &uri, &[]).await;
    assert!(app.statements.get() > before, "each preview is read afresh");
}
on_both!(previews_are_never_cached);

async fn automatic_persisted_queries_over_get_and_post(plain: TestApp) {
    let app = cached(&plain).await;
    story(&app, "story").await;
    let hash = newsroom::http::persisted::sha256_hex(PAGE);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let variables = json!({ "s": "story" }).to_string();
    let by_hash = format!(
        "/graphql?variables={}&extensions={}",
        url::form_urlencoded::byte_serialize(variables.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(persisted.as_bytes()).collect::<String>()
    );

    let unknown = get(&app, &by_hash, &[]).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.codes(), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(unknown.body["errors"][0]["message"], "PersistedQueryNotFound");
    // A CDN that keeps 200s must not keep this one: the next request registers the text.
    assert_eq!(header(&unknown, "cache-control"), "no-store");

    let register = json!({ "query": PAGE, "variables": { "s": "story" },
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let registered = post_body(&app, &register).await;
    assert_eq!(registered.data()["article"]["headline"], "Headline of story");

    let known = get(&app, &by_hash, &[]).await;
    assert_eq!(known.data()["article"]["headline"], "Headline of story");
    assert!(header(&known, "etag").starts_with('"'), "cacheable by a CDN");
    let hash_only = json!({ "variables": { "s": "story" },
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let posted = post_body(&app, &hash_only).await;
    assert_eq!(posted.data()["article"]["headline"], "Headline of story");

    let wrong = json!({ "query": "{ sections { slug } }",
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let mismatch = post_body(&app, &wrong).await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(mismatch.codes(), ["BAD_USER_INPUT"]);
}
on_both!(automatic_persisted_queries_over_get_and_post);

async fn metrics_and_the_ceiling_route(app: TestApp) {
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    let count = |text: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix("newsroom_sql_statements_total ")).unwrap().trim().parse().unwrap()
    };
    let before = count(&text);
    app.query("{ sections { slug } }", json!({})).await;
    let after = count(app.get("/metrics").await.body.as_str().unwrap());
    assert!(after > before, "{before} then {after}");

    assert_eq!(app.get("/bench/ceiling/5000").await.status, 404, "off unless asked for");
    let bench = app.reconfigured(|config| config.bench_routes = true).await;
    let ceiling = bench.get("/bench/ceiling/5000").await;
    assert_eq!(ceiling.status, 200);
    assert_eq!(ceiling.body.to_string().len(), 5000);
}
on_both!(metrics_and_the_ceiling_route);

/// Every answer that carries no data is `no-store`, however early it was refused: a CDN
/// that keeps 200s must not keep serving a refusal for its URL.
async fn answers_refused_before_execution_are_never_stored(plain: TestApp) {
    let app = cached(&plain).await;
    let deep = format!("{{ sections {{ {} }} }}", "children { ".repeat(14) + "slug" + &" }".repeat(14));
    let too_many_tokens = "{".repeat(6000);
    let refusals = [
        url("{ nope }", &json!({})),
        url("{ sections { slug }", &json!({})),
        url(&deep, &json!({})),
        url(&too_many_tokens, &json!({})),
        "/graphql?query=%7Bsections%7Bslug%7D%7D&variables=not-json".to_owned(),
        "/graphql".to_owned(),
        url("mutation { login(email: \"a@b.c\", password: \"x\") { token } }", &json!({})),
        url("query($s: String!) { article(slug: $s) { id } }", &json!({})),
    ];
    for (n, uri) in refusals.iter().enumerate() {
        let answer = get(&app, uri, &[]).await;
        assert!(answer.body.get("data").is_none_or(Value::is_null), "refusal {n}: {}", answer.body);
        assert_eq!(header(&answer, "cache-control"), "no-store", "refusal {n}: {} {}", answer.status, answer.body);
    }
}
on_both!(answers_refused_before_execution_are_never_stored);
