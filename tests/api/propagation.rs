//! Several servers on one PostgreSQL database, as a newsroom deploys them behind a load
//! balancer: what one of them writes, the others show; what one announces, every
//! subscriber hears once; and a server that stopped hearing the others drops what it kept.
//!
//! These run on PostgreSQL only: a SQLite file is served by one server.

use std::time::{Duration, Instant};

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use crate::common::ws::{Client, MODERN};
use entity::article::ArticleStatus;
use entity::comment::CommentStatus;
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

/// Three servers with the response cache on, each with its own pool and listener, on one
/// fresh PostgreSQL database (the first app holds the database and serves nothing).
async fn three_servers() -> (TestApp, [TestApp; 3]) {
    let base = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    let cached = |config: &mut newsroom::config::Config| config.response_cache_mb = 16;
    let servers = [base.reconnected(cached).await, base.reconnected(cached).await, base.reconnected(cached).await];
    (base, servers)
}

/// Asks `app` until `check` holds for the answer, at most `within`; answers the time it took.
async fn until(app: &TestApp, query: &str, within: Duration, check: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let data = app.query(query, json!({})).await;
        if check(&data) {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "not seen within {within:?}: {data}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const SECTION: &str = r#"{ section(slug: "world") { name } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_section_renamed_through_one_server_reads_renamed_from_the_others_within_a_second() {
    let (base, [a, b, c]) = three_servers().await;
    let world = fixtures::section(&base.db, "world", "World", None).await;
    for server in [&b, &c] {
        assert_eq!(server.query(SECTION, json!({})).await["section"]["name"], "World");
        let statements = server.statements.get();
        assert_eq!(server.query(SECTION, json!({})).await["section"]["name"], "World");
        assert_eq!(server.statements.get(), statements, "the answer is cached");
    }

    let (_, editor) = a.staff(Role::Editor).await;
    let rename = r#"mutation($id: ID!) { updateSection(id: $id, input: { name: "World News" }) { name } }"#;
    a.query_as(&editor, rename, json!({ "id": encode(Kind::Section, world.id) })).await;
    assert_eq!(a.query(SECTION, json!({})).await["section"]["name"], "World News", "the writer reads its write");
    for server in [&b, &c] {
        let took = until(server, SECTION, Duration::from_secs(1), |d| d["section"]["name"] == "World News").await;
        eprintln!("seen renamed after {took:?}");
    }
    assert!(a.metric("newsroom_change_notifications_sent_total").await >= 1.0);
    assert!(b.metric("newsroom_change_notifications_received_total").await >= 1.0);
    assert!(b.metric("newsroom_response_cache_dropped_total").await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_comment_approved_through_one_server_reaches_a_subscriber_on_another() {
    let (base, [_, b, c]) = three_servers().await;
    let section = fixtures::section(&base.db, "world", "World", None).await;
    let story = fixtures::article(&base.db, ArticleSpec::published("story", &section, ago(60))).await;
    let story_id = encode(Kind::Article, story.id);
    let mut subscriber = Client::connect(c.serve().await, MODERN, json!({})).await;
    let subscription = "subscription($a: ID!) { commentAdded(articleId: $a) { body article { slug } } }";
    let id = subscriber.subscribe(subscription, json!({ "a": story_id })).await;
    c.until_subscribed(1).await;

    let add = r#"mutation($a: ID!) { addComment(input: { articleId: $a, authorName: "R", body: "Well put" }) { id status } }"#;
    let added = b.query(add, json!({ "a": story_id })).await;
    assert_eq!(added["addComment"]["status"], "PENDING");
    let (_, editor) = b.staff(Role::Editor).await;
    let approve = "mutation($id: ID!) { moderateComment(id: $id, status: APPROVED) { status } }";
    b.query_as(&editor, approve, json!({ "id": added["addComment"]["id"] })).await;

    let heard = subscriber.next_result(&id).await;
    assert_eq!(heard["data"]["commentAdded"], json!({ "body": "Well put", "article": { "slug": "story" } }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_scheduled_publication_reaches_the_subscribers_of_every_server_exactly_once() {
    let (base, servers) = three_servers().await;
    let section = fixtures::section(&base.db, "world", "World", None).await;
    let subscription = "subscription { articlePublished { slug } }";
    let mut subscribers = Vec::new();
    for server in &servers {
        let mut client = Client::connect(server.serve().await, MODERN, json!({})).await;
        let id = client.subscribe(subscription, json!({})).await;
        subscribers.push((client, id));
    }
    for server in &servers {
        server.until_subscribed(1).await;
    }

    // Every server runs the scheduler; the article is due.
    let every = Duration::from_millis(50);
    let schedulers: Vec<_> = servers
        .iter()
        .map(|s| tokio::spawn(newsroom::scheduler::run(s.db.clone(), s.pipeline.clone(), every)))
        .collect();
    let due = ArticleSpec {
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_at: Some(ago(1)),
        ..ArticleSpec::published("due-now", &section, ago(1))
    };
    fixtures::article(&base.db, due).await;

    for (client, id) in &mut subscribers {
        assert_eq!(client.next_result(id).await["data"]["articlePublished"]["slug"], "due-now");
    }
    for (client, _) in &mut subscribers {
        client.expect_silence(Duration::from_millis(1500)).await;
    }
    schedulers.iter().for_each(|s| s.abort());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_server_that_lost_its_listener_listens_again_and_drops_what_it_kept() {
    let (base, [a, b, _]) = three_servers().await;
    let world = fixtures::section(&base.db, "world", "World", None).await;
    assert_eq!(b.query(SECTION, json!({})).await["section"]["name"], "World");

    // A change no server is told of: written to the database directly.
    let mut quiet = world.clone().into_active_model();
    quiet.name = Set("World, quietly".into());
    quiet.update(&base.db).await.unwrap();
    assert_eq!(b.query(SECTION, json!({})).await["section"]["name"], "World", "kept, since nobody said");

    let reconnects = b.metric("newsroom_change_listener_reconnects_total").await;
    let killed = base
        .db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'newsroom-listener' AND datname = current_database()",
        )
        .await
        .unwrap();
    assert!(killed.rows_affected() >= 3, "one listener per server");
    let started = Instant::now();
    while b.metric("newsroom_change_listener_reconnects_total").await <= reconnects {
        assert!(started.elapsed() < Duration::from_secs(5), "the listener comes back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        b.query(SECTION, json!({})).await["section"]["name"],
        "World, quietly",
        "what was kept before the reconnect was dropped"
    );

    // And changes propagate again.
    let (_, editor) = a.staff(Role::Editor).await;
    let rename = r#"mutation($id: ID!) { updateSection(id: $id, input: { name: "World News" }) { name } }"#;
    a.query_as(&editor, rename, json!({ "id": encode(Kind::Section, world.id) })).await;
    until(&b, SECTION, Duration::from_secs(1), |d| d["section"]["name"] == "World News").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn newsroom_changes_prints_each_change_with_the_tags_to_purge() {
    use std::io::BufRead;
    let (base, [a, _, _]) = three_servers().await;
    let world = fixtures::section(&base.db, "world", "World", None).await;
    let listeners = async || {
        let count = "SELECT count(*) AS n FROM pg_stat_activity \
                     WHERE application_name = 'newsroom-listener' AND datname = current_database()";
        let row = base.db.query_one_raw(sea_orm::Statement::from_string(base.db.get_database_backend(), count));
        row.await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
    };
    let before = listeners().await;
    let mut follower = std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
        .arg("changes")
        .env("DATABASE_URL", &base.config.database_url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("newsroom changes starts");
    let stdout = follower.stdout.take().unwrap();
    let first_line = tokio::task::spawn_blocking(move || std::io::BufReader::new(stdout).lines().next());
    let started = Instant::now();
    while listeners().await == before {
        assert!(started.elapsed() < Duration::from_secs(10), "newsroom changes listens");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (_, editor) = a.staff(Role::Editor).await;
    let rename = r#"mutation($id: ID!) { updateSection(id: $id, input: { name: "World News" }) { name } }"#;
    a.query_as(&editor, rename, json!({ "id": encode(Kind::Section, world.id) })).await;
    let line = tokio::time::timeout(Duration::from_secs(5), first_line).await;
    let _ = follower.kill();
    let _ = follower.wait();
    let line = line.expect("a line in time").unwrap().expect("a line").unwrap();
    let change: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(change, json!({ "tags": ["sections"], "purge": ["sections", "all"], "events": [] }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn an_edit_through_one_server_reaches_readers_of_the_article_on_another() {
    let (base, [_, b, c]) = three_servers().await;
    let section = fixtures::section(&base.db, "world", "World", None).await;
    let story = fixtures::article(&base.db, ArticleSpec::published("story", &section, ago(60))).await;
    let story_id = encode(Kind::Article, story.id);
    let mut reader = Client::connect(c.serve().await, MODERN, json!({})).await;
    let open = reader
        .subscribe("subscription($id: ID!) { articleUpdated(id: $id) { headline } }", json!({ "id": story_id }))
        .await;
    c.until_subscribed(1).await;

    let (_, editor) = b.staff(Role::Editor).await;
    let edit = r#"mutation($id: ID!) { updateArticle(id: $id, input: { headline: "Edited elsewhere" }) { id } }"#;
    b.query_as(&editor, edit, json!({ "id": story_id })).await;
    let heard = tokio::time::timeout(Duration::from_secs(5), reader.next_result(&open)).await.expect("heard in time");
    assert_eq!(heard, json!({ "data": { "articleUpdated": { "headline": "Edited elsewhere" } } }));
}

const ARTICLE_PAGE: &str = r#"{ article(slug: "story") {
  headline leadImage { caption } authors { name } tags { name }
} }"#;

/// The article page's rows other than comments (the article, its lead image, byline and
/// tags) are kept between queries with the response cache off; a write through another
/// server reaches them as it reaches the response cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn rows_kept_for_the_article_page_show_a_write_through_another_server() {
    let base = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    let uncached = |config: &mut newsroom::config::Config| config.response_cache_mb = 0;
    let (writer, reader) = (base.reconnected(uncached).await, base.reconnected(uncached).await);
    let section = fixtures::section(&base.db, "world", "World", None).await;
    let image = fixtures::image(&base.db, Some("Ana Ruiz"), None, None, None).await;
    let author = fixtures::author(&base.db, "mira-hale", "Mira Hale").await;
    let tag = fixtures::tag(&base.db, "climate", "Climate").await;
    let spec = ArticleSpec {
        lead_image: Some(&image),
        authors: vec![&author],
        tags: vec![&tag],
        ..ArticleSpec::published("story", &section, ago(60))
    };
    let story = fixtures::article(&base.db, spec).await;

    let page = |headline: &str, caption: &str, author: &str, tag: &str| {
        json!({ "article": {
            "headline": headline, "leadImage": { "caption": caption },
            "authors": [{ "name": author }], "tags": [{ "name": tag }],
        } })
    };
    let caption = image.caption.clone().unwrap();
    let (read, first) = reader.count_statements(ARTICLE_PAGE, json!({})).await;
    assert_eq!(first, page(&story.headline, &caption, "Mira Hale", "Climate"));
    let (kept, again) = reader.count_statements(ARTICLE_PAGE, json!({})).await;
    assert_eq!(again, first);
    assert_eq!(kept, 0, "the second page reads nothing; the first read {read} statements");

    let (_, editor) = writer.staff(Role::Editor).await;
    let writes = [
        (
            "mutation($id: ID!) { updateArticle(id: $id, input: { headline: \"Edited\" }) { id } }",
            Kind::Article,
            story.id,
        ),
        (
            "mutation($id: ID!) { updateImage(id: $id, input: { caption: \"Recaptioned\" }) { id } }",
            Kind::Image,
            image.id,
        ),
        (
            "mutation($id: ID!) { updateAuthor(id: $id, input: { name: \"Mira Hale-Ng\" }) { id } }",
            Kind::Author,
            author.id,
        ),
        ("mutation($id: ID!) { updateTag(id: $id, input: { name: \"Climate crisis\" }) { id } }", Kind::Tag, tag.id),
    ];
    let mut expected = [story.headline.clone(), caption, "Mira Hale".into(), "Climate".into()];
    let after = ["Edited", "Recaptioned", "Mira Hale-Ng", "Climate crisis"];
    for (n, (write, kind, id)) in writes.into_iter().enumerate() {
        let answer = writer.post(Some(&editor), write, json!({ "id": encode(kind, id) })).await;
        answer.assert_ok();
        expected[n] = after[n].into();
        let [headline, caption, author, tag] = &expected;
        let wanted = page(headline, caption, author, tag);
        let took = until(&reader, ARTICLE_PAGE, Duration::from_secs(1), |data| *data == wanted).await;
        eprintln!("write {n} seen through the other server after {took:?}");
    }
    assert!(reader.metric("newsroom_change_notifications_received_total").await >= 4.0);

    // Unpublished through the writer: the reader's kept article is no longer shown.
    let unpublish = "mutation($id: ID!) { unpublishArticle(id: $id) { id } }";
    writer.post(Some(&editor), unpublish, json!({ "id": encode(Kind::Article, story.id) })).await.assert_ok();
    until(&reader, ARTICLE_PAGE, Duration::from_secs(1), |data| data["article"].is_null()).await;
}

const DISCUSSED: &str = r#"{
  article(slug: "story") { commentCount comments(first: 5) {
    totalCount nodes { body replyCount replies(first: 5) { totalCount nodes { body } } } } }
  section(slug: "world") { articles(first: 3) { nodes { slug } } }
}"#;

/// The first pages of comment threads, their counts and the first page of a section front
/// are kept between queries too; a comment, a moderation or a publication through another
/// server reaches them as it reaches the response cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn comment_pages_and_section_fronts_kept_show_a_write_through_another_server() {
    let base = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    let uncached = |config: &mut newsroom::config::Config| config.response_cache_mb = 0;
    let (writer, reader) = (base.reconnected(uncached).await, base.reconnected(uncached).await);
    let section = fixtures::section(&base.db, "world", "World", None).await;
    let story = fixtures::article(&base.db, ArticleSpec::published("story", &section, ago(60))).await;
    let first = fixtures::comment(&base.db, &story, None, CommentStatus::Approved, "First", ago(30)).await;
    let first_id = encode(Kind::Comment, first.id).to_string();

    let (read, before) = reader.count_statements(DISCUSSED, json!({})).await;
    let (kept, again) = reader.count_statements(DISCUSSED, json!({})).await;
    assert_eq!(again, before);
    assert_eq!(kept, 0, "the second read reads nothing; the first read {read} statements");
    assert_eq!(before["section"]["articles"]["nodes"], json!([{ "slug": "story" }]));

    let (_, editor) = writer.staff(Role::Editor).await;
    let add = "mutation($a: ID!, $p: ID, $b: String!) {
      addComment(input: { articleId: $a, parentId: $p, authorName: \"Desk\", body: $b }) { id status } }";
    let article = encode(Kind::Article, story.id).to_string();
    let reply = writer.post(Some(&editor), add, json!({ "a": article, "p": first_id, "b": "A reply" })).await;
    assert_eq!(reply.assert_ok()["addComment"]["status"], "APPROVED");
    let thread = |count: i64, top: Value| json!({ "commentCount": count, "comments": top });
    let with_reply = json!({ "totalCount": 1, "nodes": [{ "body": "First", "replyCount": 1,
        "replies": { "totalCount": 1, "nodes": [{ "body": "A reply" }] } }] });
    until(&reader, DISCUSSED, Duration::from_secs(1), |data| data["article"] == thread(2, with_reply.clone())).await;

    let second = writer.post(Some(&editor), add, json!({ "a": article, "b": "Second" })).await;
    assert_eq!(second.assert_ok()["addComment"]["status"], "APPROVED");
    until(&reader, DISCUSSED, Duration::from_secs(1), |data| data["article"]["comments"]["totalCount"] == 2).await;

    let moderate = "mutation($id: ID!) { moderateComment(id: $id, status: SPAM) { status } }";
    writer.post(Some(&editor), moderate, json!({ "id": first_id })).await.assert_ok();
    let only_second = json!({ "totalCount": 1, "nodes": [{ "body": "Second", "replyCount": 0,
        "replies": { "totalCount": 0, "nodes": [] } }] });
    until(&reader, DISCUSSED, Duration::from_secs(1), |data| data["article"] == thread(1, only_second.clone())).await;

    let create = "mutation($s: ID!) { createArticle(input: { headline: \"Fresh river story\", \
                  slug: \"fresh\", bodyMarkdown: \"By the river.\", sectionId: $s }) { id } }";
    let created = writer.post(Some(&editor), create, json!({ "s": encode(Kind::Section, section.id) })).await;
    let fresh = created.assert_ok()["createArticle"]["id"].clone();
    writer
        .post(Some(&editor), "mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": fresh }))
        .await
        .assert_ok();
    let listed = json!([{ "slug": "fresh" }, { "slug": "story" }]);
    until(&reader, DISCUSSED, Duration::from_secs(1), |data| data["section"]["articles"]["nodes"] == listed).await;
}
