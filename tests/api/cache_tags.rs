//! The response cache by cache tags: a write drops only the answers that read what it
//! changed, concurrent misses compute once, CDNs are told the tags in `Surrogate-Key` and
//! `Cache-Tag`, and over any sequence of writes the cached answers equal uncached ones.

use std::fmt::Write as _;

use crate::common::fixtures::{self, ArticleSpec, ago};
use crate::common::{Answer, TestApp};
use axum::body::Body;
use axum::http::Request;
use entity::comment::CommentStatus;
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

async fn cached(app: &TestApp) -> TestApp {
    app.reconfigured(|config| config.response_cache_mb = 16).await
}

const PAGE: &str = "query($s: String!) { article(slug: $s) { headline authors { name } commentCount } }";
const FRONT: &str = "query($s: String!) { section(slug: $s) { articles(first: 10) { nodes { slug headline } } } }";
const HOME: &str = "{ articles(first: 10) { nodes { slug headline } } }";

/// Hits and misses of the response cache so far.
async fn hits_and_misses(app: &TestApp) -> (f64, f64) {
    (app.metric("newsroom_response_cache_hits_total").await, app.metric("newsroom_response_cache_misses_total").await)
}

/// Reads `query` and says whether it was a hit or a miss.
async fn read(app: &TestApp, query: &str, variables: Value) -> (Value, &'static str) {
    let (hits, misses) = hits_and_misses(app).await;
    let data = app.query(query, variables).await;
    let (hits_after, misses_after) = hits_and_misses(app).await;
    let how = match (hits_after - hits, misses_after - misses) {
        (1.0, 0.0) => "hit",
        (0.0, 1.0) => "miss",
        moved => panic!("one read moved hits and misses by {moved:?}"),
    };
    (data, how)
}

async fn a_write_to_one_article_leaves_the_pages_of_others_cached(plain: TestApp) {
    let app = cached(&plain).await;
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let sport = fixtures::section(&app.db, "sport", "Sport", None).await;
    let x = fixtures::article(&app.db, ArticleSpec::published("x", &news, ago(30))).await;
    fixtures::article(&app.db, ArticleSpec::published("y", &news, ago(60))).await;
    fixtures::article(&app.db, ArticleSpec::published("z", &sport, ago(90))).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let pages = [
        (PAGE, json!({ "s": "x" })),
        (PAGE, json!({ "s": "y" })),
        (FRONT, json!({ "s": "news" })),
        (FRONT, json!({ "s": "sport" })),
        (HOME, json!({})),
    ];
    for (query, variables) in &pages {
        assert_eq!(read(&app, query, variables.clone()).await.1, "miss");
        assert_eq!(read(&app, query, variables.clone()).await.1, "hit");
    }

    let edit = r#"mutation($id: ID!) { updateArticle(id: $id, input: { headline: "X, changed" }) { id } }"#;
    app.query_as(&editor, edit, json!({ "id": encode(Kind::Article, x.id) })).await;
    let (page_x, how) = read(&app, PAGE, json!({ "s": "x" })).await;
    assert_eq!((page_x["article"]["headline"].as_str(), how), (Some("X, changed"), "miss"));
    let (front, how) = read(&app, FRONT, json!({ "s": "news" })).await;
    assert_eq!((front["section"]["articles"]["nodes"][0]["headline"].as_str(), how), (Some("X, changed"), "miss"));
    let (home, how) = read(&app, HOME, json!({})).await;
    assert_eq!((home["articles"]["nodes"][0]["headline"].as_str(), how), (Some("X, changed"), "miss"));
    assert_eq!(read(&app, PAGE, json!({ "s": "y" })).await.1, "hit", "y shares nothing the write changed");
    assert_eq!(read(&app, FRONT, json!({ "s": "sport" })).await.1, "hit", "x is not on the sport front");

    // A new article in the news section changes the lists that now hold it, and only them.
    let new = fixtures::article(&app.db, ArticleSpec::draft("w", &news)).await;
    let publish = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
    app.query_as(&editor, publish, json!({ "id": encode(Kind::Article, new.id) })).await;
    let (front, how) = read(&app, FRONT, json!({ "s": "news" })).await;
    assert_eq!((front["section"]["articles"]["nodes"][0]["slug"].as_str(), how), (Some("w"), "miss"));
    assert_eq!(read(&app, HOME, json!({})).await.1, "miss");
    assert_eq!(read(&app, FRONT, json!({ "s": "sport" })).await.1, "hit");
    assert_eq!(read(&app, PAGE, json!({ "s": "y" })).await.1, "hit");
    assert!(app.metric("newsroom_response_cache_dropped_total").await >= 4.0);
}
on_both!(a_write_to_one_article_leaves_the_pages_of_others_cached);

async fn concurrent_misses_for_one_answer_compute_it_once(plain: TestApp) {
    let app = cached(&plain).await;
    let news = fixtures::section(&app.db, "news", "News", None).await;
    for slug in ["first", "second", "third"] {
        let story = fixtures::article(&app.db, ArticleSpec::published(slug, &news, ago(30))).await;
        for n in 0..5 {
            fixtures::comment(&app.db, &story, None, entity::comment::CommentStatus::Approved, "Hi", ago(n)).await;
        }
    }
    let page =
        "query($s: String!) { article(slug: $s) { headline section { name } comments(first: 10) { nodes { body } } } }";
    // One request alone, to count what the page costs: another article of the same shape
    // (the section tree is kept by then, the article's row not yet).
    app.query(page, json!({ "s": "first" })).await;
    let statements = app.statements.get();
    app.query(page, json!({ "s": "third" })).await;
    let alone = app.statements.get() - statements;
    assert!(alone > 0);

    let statements = app.statements.get();
    let coalesced = app.metric("newsroom_response_cache_coalesced_total").await;
    let requests = (0..32).map(|_| {
        let router = app.router.clone();
        let body = json!({ "query": page, "variables": { "s": "second" } }).to_string();
        tokio::spawn(async move {
            let request = Request::post("/graphql").header("content-type", "application/json").body(Body::from(body));
            let response = tower::ServiceExt::oneshot(router, request.unwrap()).await.unwrap();
            http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes()
        })
    });
    let bodies = futures_util::future::join_all(requests).await;
    let first = bodies[0].as_ref().unwrap();
    assert!(bodies.iter().all(|b| b.as_ref().unwrap() == first), "every request got the same answer");
    assert!(String::from_utf8_lossy(first).contains("Headline of second"));
    let ran = app.statements.get() - statements;
    let waited = app.metric("newsroom_response_cache_coalesced_total").await - coalesced;
    eprintln!("32 concurrent requests: {ran} statements ({alone} for one request), {waited} waited");
    assert!(ran <= alone, "the page's statements ran once: {ran} statements, {alone} for one request");
}
on_both!(concurrent_misses_for_one_answer_compute_it_once);

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn get_uri(query: &str, variables: &Value) -> String {
    let mut url = url::Url::parse("http://localhost/graphql").unwrap();
    url.query_pairs_mut().append_pair("query", query).append_pair("variables", &variables.to_string());
    format!("{}?{}", url.path(), url.query().unwrap())
}

async fn cdns_are_told_the_tags_an_answer_read(plain: TestApp) {
    let app = cached(&plain).await;
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let image = fixtures::image(&app.db, Some("Ana Ruiz"), None, None, None).await;
    let author = fixtures::author(&app.db, "ana", "Ana").await;
    let spec =
        ArticleSpec { lead_image: Some(&image), authors: vec![&author], ..ArticleSpec::published("x", &news, ago(5)) };
    let x = fixtures::article(&app.db, spec).await;
    let query = "query($s: String!) { article(slug: $s) { headline section { name } leadImage { url } authors { name } commentCount } }";
    let uri = get_uri(query, &json!({ "s": "x" }));
    let answer = app.get(&uri).await;
    let keys: Vec<&str> = header(&answer, "surrogate-key").split(' ').collect();
    for tag in [
        format!("article-{}", x.id),
        "sections".to_owned(),
        format!("image-{}", image.id),
        format!("author-{}", author.id),
        format!("comments-{}", x.id),
    ] {
        assert!(keys.contains(&tag.as_str()), "{tag} in {keys:?}");
    }
    let tags: Vec<&str> = header(&answer, "cache-tag").split(',').collect();
    assert_eq!(tags, keys, "Cache-Tag names the same tags, comma-separated");
    // A cached answer carries them as well.
    assert_eq!(header(&app.get(&uri).await, "surrogate-key"), keys.join(" "));

    // Signed-in answers are never cached by a CDN, and name nothing.
    let (_, editor) = app.staff(Role::Editor).await;
    let request = Request::get(&uri).header("authorization", format!("Bearer {editor}"));
    let signed_in = app.request(request.body(Body::empty()).unwrap()).await;
    assert_eq!(header(&signed_in, "surrogate-key"), "");

    let off = plain.reconfigured(|config| config.cache_tag_headers = String::new()).await;
    let answer = off.get(&uri).await;
    assert_eq!((header(&answer, "surrogate-key"), header(&answer, "cache-tag")), ("", ""));
    let xkey = plain.reconfigured(|config| config.cache_tag_headers = "xkey".into()).await;
    assert!(header(&xkey.get(&uri).await, "xkey").contains(&format!("article-{}", x.id)));
}
on_both!(cdns_are_told_the_tags_an_answer_read);

/// One write of a random sequence, through the server whose cache is on.
#[derive(Debug, Clone)]
enum Write {
    Headline(usize, u8),
    Move(usize, usize),
    Tags(usize, Vec<usize>),
    Authors(usize, Vec<usize>),
    Publish(usize),
    Unpublish(usize),
    Archive(usize),
    RenameSection(usize, u8),
    Comment(usize),
    RejectLastComment,
    Caption(u8),
    NewArticle(usize),
}

const ARTICLES: usize = 6;
const SECTIONS: [&str; 3] = ["world", "europe", "sport"];
const TAGS: [&str; 3] = ["Rivers", "Towns", "Weather"];
const AUTHORS: [&str; 2] = ["ana", "bo"];

fn writes() -> impl Strategy<Value = Write> {
    let article = 0..ARTICLES;
    let section = 0..SECTIONS.len();
    prop_oneof![
        (article.clone(), any::<u8>()).prop_map(|(a, n)| Write::Headline(a, n)),
        (article.clone(), section.clone()).prop_map(|(a, s)| Write::Move(a, s)),
        (article.clone(), proptest::sample::subsequence(vec![0, 1, 2], 0..=3)).prop_map(|(a, t)| Write::Tags(a, t)),
        (article.clone(), proptest::sample::subsequence(vec![0, 1], 0..=2)).prop_map(|(a, t)| Write::Authors(a, t)),
        article.clone().prop_map(Write::Publish),
        article.clone().prop_map(Write::Unpublish),
        article.clone().prop_map(Write::Archive),
        (section.clone(), any::<u8>()).prop_map(|(s, n)| Write::RenameSection(s, n)),
        article.clone().prop_map(Write::Comment),
        Just(Write::RejectLastComment),
        any::<u8>().prop_map(Write::Caption),
        section.prop_map(Write::NewArticle),
    ]
}

/// What the property test knows of the data it made.
struct World {
    articles: Vec<i64>,
    sections: Vec<i64>,
    authors: Vec<i64>,
    image: i64,
    comments: Vec<i64>,
    all_comments: Vec<i64>,
    editor: String,
}

/// The reads compared after every write: every page a reader may ask for.
fn reads(world: &World) -> Vec<(String, Value)> {
    let mut reads = Vec::new();
    let page = "query($s: String!) { article(slug: $s) { headline standfirst section { name path breadcrumbs { name } } \
                leadImage { caption } authors { name } tags { name } commentCount \
                comments(first: 5) { totalCount nodes { body replyCount } } } }";
    for n in 0..ARTICLES + 2 {
        reads.push((page.to_owned(), json!({ "s": format!("story-{n}") })));
    }
    for slug in SECTIONS {
        let front = "query($s: String!) { section(slug: $s) { name children { name } \
                     articles(first: 4) { totalCount nodes { slug headline } } } }";
        reads.push((front.to_owned(), json!({ "s": slug })));
    }
    reads.push(("{ sections { name path } }".to_owned(), json!({})));
    reads
        .push(("{ articles(first: 5) { totalCount nodes { slug headline section { name } } } }".to_owned(), json!({})));
    let updated = "{ articles(first: 5, orderBy: { field: UPDATED_AT, direction: DESC }) { nodes { slug } } }";
    reads.push((updated.to_owned(), json!({})));
    reads.push(("{ articles(first: 5, filter: { section: \"world\" }) { nodes { slug } } }".to_owned(), json!({})));
    reads.push(("{ articles(first: 5, filter: { tag: \"rivers\" }) { nodes { slug } } }".to_owned(), json!({})));
    reads.push(("{ searchArticles(query: \"river\") { totalCount nodes { slug } } }".to_owned(), json!({})));
    for slug in AUTHORS {
        let author = "query($s: String!) { author(slug: $s) { name articles(first: 5) { nodes { slug } } } }";
        reads.push((author.to_owned(), json!({ "s": slug })));
    }
    for slug in ["rivers", "towns", "weather"] {
        let tag = "query($s: String!) { tag(slug: $s) { name articles(first: 5) { totalCount nodes { slug } } } }";
        reads.push((tag.to_owned(), json!({ "s": slug })));
    }
    let node = "query($id: ID!) { node(id: $id) { id ... on Article { headline } ... on Image { caption } } }";
    reads.push((node.to_owned(), json!({ "id": encode(Kind::Article, world.articles[0]) })));
    reads.push((node.to_owned(), json!({ "id": encode(Kind::Image, world.image) })));
    // Every comment ever added, by id: its article and its status decide whether it shows.
    let comment = "query($id: ID!) { node(id: $id) { id ... on Comment { body replyCount } } }";
    for id in &world.all_comments {
        reads.push((comment.to_owned(), json!({ "id": encode(Kind::Comment, *id) })));
    }
    reads
}

async fn apply(app: &TestApp, world: &mut World, write: &Write) {
    let article = |n: usize| encode(Kind::Article, world.articles[n]);
    let editor = world.editor.clone();
    let mutate = async |query: &str, variables: Value| app.post(Some(&editor), query, variables).await;
    let update = "mutation($id: ID!, $input: UpdateArticleInput!) { updateArticle(id: $id, input: $input) { id } }";
    match write {
        Write::Headline(n, v) => {
            let headline = if v % 2 == 0 { format!("River news {v}") } else { format!("Town news {v}") };
            mutate(update, json!({ "id": article(*n), "input": { "headline": headline } })).await;
        }
        Write::Move(n, s) => {
            let section = encode(Kind::Section, world.sections[*s]);
            mutate(update, json!({ "id": article(*n), "input": { "sectionId": section } })).await;
        }
        Write::Tags(n, tags) => {
            let names: Vec<&str> = tags.iter().map(|t| TAGS[*t]).collect();
            mutate(update, json!({ "id": article(*n), "input": { "tags": names } })).await;
        }
        Write::Authors(n, authors) => {
            let ids: Vec<async_graphql::ID> = authors.iter().map(|a| encode(Kind::Author, world.authors[*a])).collect();
            mutate(update, json!({ "id": article(*n), "input": { "authorIds": ids } })).await;
        }
        Write::Publish(n) => {
            mutate("mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": article(*n) })).await;
        }
        Write::Unpublish(n) => {
            mutate("mutation($id: ID!) { unpublishArticle(id: $id) { id } }", json!({ "id": article(*n) })).await;
        }
        Write::Archive(n) => {
            mutate("mutation($id: ID!) { archiveArticle(id: $id) { id } }", json!({ "id": article(*n) })).await;
        }
        Write::RenameSection(s, v) => {
            let rename = "mutation($id: ID!, $n: String!) { updateSection(id: $id, input: { name: $n }) { id } }";
            let id = encode(Kind::Section, world.sections[*s]);
            mutate(rename, json!({ "id": id, "n": format!("{} {v}", SECTIONS[*s]) })).await;
        }
        Write::Comment(n) => {
            let add =
                r#"mutation($a: ID!) { addComment(input: { articleId: $a, authorName: "Ed", body: "Noted" }) { id } }"#;
            let added = mutate(add, json!({ "a": article(*n) })).await;
            if let Some(id) = added.body["data"]["addComment"]["id"].as_str() {
                world.comments.push(ids_of(id));
                world.all_comments.push(ids_of(id));
            }
        }
        Write::RejectLastComment => {
            if let Some(id) = world.comments.pop() {
                let reject = "mutation($id: ID!) { moderateComment(id: $id, status: REJECTED) { id } }";
                mutate(reject, json!({ "id": encode(Kind::Comment, id) })).await;
            }
        }
        Write::Caption(v) => {
            let caption = "mutation($id: ID!, $c: String) { updateImage(id: $id, input: { caption: $c }) { id } }";
            mutate(caption, json!({ "id": encode(Kind::Image, world.image), "c": format!("Caption {v}") })).await;
        }
        Write::NewArticle(s) => {
            let n = world.articles.len();
            if n < ARTICLES + 2 {
                let create = "mutation($s: ID!, $slug: String!) { createArticle(input: { headline: \"Fresh river story\", \
                              slug: $slug, bodyMarkdown: \"By the river.\", sectionId: $s }) { id } }";
                let section = encode(Kind::Section, world.sections[*s]);
                let created = mutate(create, json!({ "s": section, "slug": format!("story-{n}") })).await;
                let id = created.body["data"]["createArticle"]["id"].as_str().expect("created");
                world.articles.push(ids_of(id));
                mutate("mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": id })).await;
            }
        }
    }
}

fn ids_of(id: &str) -> i64 {
    newsroom::graphql::ids::decode(id).expect("a global id").1
}

/// The property test's data, made the same way on `app`'s database.
async fn make_world(app: &TestApp) -> World {
    let world = fixtures::section(&app.db, "world", "World", None).await;
    let europe = fixtures::section(&app.db, "europe", "Europe", Some(&world)).await;
    let sport = fixtures::section(&app.db, "sport", "Sport", None).await;
    let mut image = fixtures::image(&app.db, Some("Ana Ruiz"), None, None, None).await.into_active_model();
    image.caption = Set(Some("A river at dawn".into()));
    let image = image.update(&app.db).await.unwrap();
    let ana = fixtures::author(&app.db, "ana", "Ana").await;
    let bo = fixtures::author(&app.db, "bo", "Bo").await;
    let rivers = fixtures::tag(&app.db, "rivers", "Rivers").await;
    let sections = [&world, &europe, &sport];
    let mut articles = Vec::new();
    for n in 0..ARTICLES {
        let mut spec = ArticleSpec::published(&format!("story-{n}"), sections[n % 3], ago(100 - n as i64));
        spec.body = if n % 2 == 0 { "Along the river.".into() } else { "In the town.".into() };
        spec.authors = vec![if n % 2 == 0 { &ana } else { &bo }];
        spec.tags = if n % 3 == 0 { vec![&rivers] } else { vec![] };
        spec.lead_image = (n < 2).then_some(&image);
        if n == ARTICLES - 1 {
            spec.status = entity::article::ArticleStatus::Draft;
            spec.published_at = None;
        }
        articles.push(fixtures::article(&app.db, spec).await.id);
    }
    let (_, editor) = app.staff(Role::Editor).await;
    World {
        articles,
        sections: sections.iter().map(|s| s.id).collect(),
        authors: vec![ana.id, bo.id],
        image: image.id,
        comments: Vec::new(),
        all_comments: Vec::new(),
        editor,
    }
}

/// Two servers, each on a database of its own holding the same data, one with the
/// response cache off and one with it on, take the same writes; after each, every read
/// must answer the same on both.
async fn cached_answers_equal_uncached_ones_whatever_the_writes(uncached: TestApp) {
    let twin =
        if uncached.is_postgres() { TestApp::postgres().await.expect("PostgreSQL") } else { TestApp::sqlite().await };
    let cached = cached(&twin).await;
    let mut plain_world = make_world(&uncached).await;
    let mut cached_world = make_world(&cached).await;

    let mut runner = TestRunner::new_with_rng(
        ProptestConfig { failure_persistence: None, ..ProptestConfig::default() },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let sequences = proptest::collection::vec(writes(), 12);
    let mut done = Vec::new();
    let mut compared = 0;
    for _ in 0..5 {
        let sequence = sequences.new_tree(&mut runner).expect("a sequence").current();
        for write in sequence {
            apply(&uncached, &mut plain_world, &write).await;
            apply(&cached, &mut cached_world, &write).await;
            done.push(write);
            for (query, variables) in reads(&plain_world) {
                let fresh = uncached.query(&query, variables.clone()).await;
                let served = cached.query(&query, variables.clone()).await;
                if served != fresh {
                    let mut history = String::new();
                    for write in &done {
                        let _ = writeln!(history, "  {write:?}");
                    }
                    panic!("after\n{history}{query} {variables}\nserved {served}\nfresh  {fresh}");
                }
                compared += 1;
            }
        }
    }
    let hits = cached.metric("newsroom_response_cache_hits_total").await;
    eprintln!("{compared} answers compared, {hits} of them served from the cache");
    assert!(hits > compared as f64 / 4.0, "the cache served a good part of them: {hits} of {compared}");
}
on_both!(cached_answers_equal_uncached_ones_whatever_the_writes);

const COMMENT_BY_ID: &str = "query($id: ID!) { node(id: $id) { id ... on Comment { body } } }";
const UNPUBLISH: &str = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
const MODERATE: &str = "mutation($id: ID!, $s: CommentStatus!) { moderateComment(id: $id, status: $s) { status } }";

/// Whether readers see a comment found by id depends on its article and its parent too.
async fn a_comment_looked_up_by_id_follows_its_article_and_its_parent(plain: TestApp) {
    let app = cached(&plain).await;
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &news, ago(30))).await;
    let parent = fixtures::comment(&app.db, &story, None, CommentStatus::Approved, "Parent", ago(9)).await;
    let reply = fixtures::comment(&app.db, &story, Some(&parent), CommentStatus::Approved, "Reply", ago(5)).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let story_id = json!({ "id": encode(Kind::Article, story.id) });
    let reply_id = json!({ "id": encode(Kind::Comment, reply.id) });
    let body = async || app.query(COMMENT_BY_ID, reply_id.clone()).await["node"]["body"].clone();
    assert_eq!(body().await, "Reply");

    app.query_as(&editor, UNPUBLISH, story_id.clone()).await;
    assert_eq!(body().await, Value::Null, "its article unpublished, the comment is gone");
    app.query_as(&editor, PUBLISH, story_id).await;
    assert_eq!(body().await, "Reply", "and back with it");

    let parent_id = encode(Kind::Comment, parent.id);
    app.query_as(&editor, MODERATE, json!({ "id": parent_id, "s": "REJECTED" })).await;
    assert_eq!(body().await, Value::Null, "a reply under a rejected comment is hidden");
    app.query_as(&editor, MODERATE, json!({ "id": parent_id, "s": "APPROVED" })).await;
    assert_eq!(body().await, "Reply");
}
on_both!(a_comment_looked_up_by_id_follows_its_article_and_its_parent);

/// A query's reads run in one transaction, which may see the database as it was at its
/// first read: a section tree it reads after a rename committed meanwhile is the old one,
/// and must not be kept as current.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_section_tree_is_never_older_than_its_stamp() {
    use sea_orm::{EntityTrait, TransactionTrait};
    let app = TestApp::sqlite().await;
    let world = fixtures::section(&app.db, "world", "World", None).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let kept =
        newsroom::domain::sections::KeptSectionTree::new(app.pipeline.clone(), std::time::Duration::from_secs(30));
    let name = async |kept: &newsroom::domain::sections::KeptSectionTree| {
        kept.get(&app.db, kept.now()).await.unwrap().get(world.id).unwrap().name.clone()
    };
    assert_eq!(name(&kept).await, "World");

    let query_started = kept.now();
    let query = app.db.begin().await.unwrap();
    entity::section::Entity::find().all(&query).await.unwrap();
    let rename = r#"mutation($id: ID!) { updateSection(id: $id, input: { name: "World News" }) { name } }"#;
    app.query_as(&editor, rename, json!({ "id": encode(Kind::Section, world.id) })).await;
    let seen = kept.get(&query, query_started).await.unwrap().get(world.id).unwrap().name.clone();
    query.commit().await.unwrap();
    assert_eq!(seen, "World", "the query sees the database as at its first read");

    assert_eq!(name(&kept).await, "World News", "later queries see the rename");
}

/// The same through the API: article pages racing section renames never leave an old
/// section tree kept.
async fn renames_racing_article_pages_leave_the_section_names_current(app: TestApp) {
    let world = fixtures::section(&app.db, "world", "World", None).await;
    fixtures::article(&app.db, ArticleSpec::published("story", &world, ago(30))).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let page = r#"{ article(slug: "story") { headline standfirst authors { name } section { name } } }"#;
    let rename = r#"mutation($id: ID!, $n: String!) { updateSection(id: $id, input: { name: $n }) { name } }"#;
    let id = encode(Kind::Section, world.id);
    for round in 0..100 {
        let name = format!("World {round}");
        let readers: Vec<_> = (0..4).map(|_| app.post(None, page, json!({}))).collect();
        let (_, renamed) = tokio::join!(
            futures_util::future::join_all(readers),
            app.post(Some(&editor), rename, json!({ "id": id, "n": name }))
        );
        renamed.assert_ok();
        let now = app.query("{ sections { name } }", json!({})).await;
        assert_eq!(now["sections"][0]["name"], name.as_str(), "round {round}: the rename was answered, then this");
    }
}
on_both!(renames_racing_article_pages_leave_the_section_names_current);

/// While changes may go unheard nothing is kept, and identical requests then compute side
/// by side instead of waiting for each other in turn.
async fn identical_requests_wait_for_no_one_while_changes_go_unheard(plain: TestApp) {
    let app = cached(&plain).await;
    fixtures::section(&app.db, "news", "News", None).await;
    app.pipeline.unheard();
    let coalesced = app.metric("newsroom_response_cache_coalesced_total").await;
    let requests = (0..16).map(|_| app.post(None, "{ sections { name } }", json!({})));
    for answer in futures_util::future::join_all(requests).await {
        answer.assert_ok();
    }
    assert_eq!(app.metric("newsroom_response_cache_coalesced_total").await, coalesced);
    assert_eq!(app.metric("newsroom_response_cache_hits_total").await, 0.0, "nothing was kept");
    app.pipeline.heard_again();
    app.query("{ sections { name } }", json!({})).await;
    app.query("{ sections { name } }", json!({})).await;
    assert_eq!(app.metric("newsroom_response_cache_hits_total").await, 1.0, "kept again once heard");
}
on_both!(identical_requests_wait_for_no_one_while_changes_go_unheard);

/// An article published with a time still to come (imported so, or published by a server
/// whose clock runs ahead) shows on cached pages when its time comes, with no write then.
async fn an_article_published_for_later_shows_on_cached_pages_at_its_time(plain: TestApp) {
    let app = cached(&plain).await;
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let soon = newsroom::domain::now() + chrono::Duration::milliseconds(1500);
    fixtures::article(&app.db, ArticleSpec::published("soon", &news, soon)).await;
    let listed = async || app.query(FRONT, json!({ "s": "news" })).await["section"]["articles"]["nodes"].clone();
    assert_eq!(listed().await, json!([]));
    assert_eq!(read(&app, FRONT, json!({ "s": "news" })).await.1, "hit");

    let every = std::time::Duration::from_millis(100);
    let scheduler = tokio::spawn(newsroom::scheduler::run(app.db.clone(), app.pipeline.clone(), every));
    let started = std::time::Instant::now();
    while listed().await == json!([]) {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "it shows once its time came");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(newsroom::domain::now() >= soon);
    scheduler.abort();
}
on_both!(an_article_published_for_later_shows_on_cached_pages_at_its_time);
