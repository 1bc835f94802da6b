//! Export and import: the demo publication moved from SQLite to PostgreSQL and back
//! answers every query as before; imports refuse what they must and leave nothing behind.

use std::collections::{BTreeSet, HashMap};

use crate::common::{TestApp, fixtures};
use entity::comment::CommentStatus;
use entity::newsletter_subscription::SubscriptionStatus;
use entity::user::Role;
use entity::{comment, image, newsletter_subscription, outbox_message, section, tag, user};
use newsroom::auth::password;
use newsroom::domain::{bylines, corrections, newsletter, users};
use newsroom::transfer::{self, ExportOptions, RowCounts, Table, TransferError};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryOrder, Set, Statement,
};
use serde_json::{Value, json};

const SEED: &str = "russia-moves-to-drop-taliban-from-banned-list-as-moscow-courts-kabul";
const OLD_SLUG: &str = "russia-to-drop-taliban-from-banned-list";
const EDITOR_EMAIL: &str = "eda@example.com";
const EDITOR_PASSWORD: &str = "a long password";
const SUBSCRIBER_EMAIL: &str = "subscriber@example.com";
const WEBHOOK_SECRET: &str = "whsec_dGhlIHRyYW5zZmVyIHRlc3QncyBrZXk=";
const SECRETS: ExportOptions = ExportOptions { with_secrets: true };

/// A fresh database of the same kind as `app`.
async fn fresh_like(app: &TestApp) -> TestApp {
    if app.is_postgres() {
        TestApp::postgres().await.expect("PostgreSQL is configured")
    } else {
        TestApp::sqlite().await
    }
}

/// The demo publication, plus what the demo does not have: a staff account with a
/// password, an old slug, newsletter subscriptions with token hashes, a confirmation
/// email in the outbox, and a section and a comment whose parents were created after
/// them (higher ids).
/// The demo's live blog.
const LIVE_BLOG: &str = "eu-leaders-meet-in-brussels-on-energy-prices-live";

async fn publication(app: &TestApp) {
    assert!(newsroom::demo::load(&app.db).await.unwrap());
    let editor = users::create(
        &app.db,
        users::NewUser {
            email: EDITOR_EMAIL.into(),
            name: "Eda Editor".into(),
            role: Role::Editor,
            password_hash: password::hash(EDITOR_PASSWORD),
        },
    )
    .await
    .unwrap();

    let seed = newsroom::domain::articles::find_by_slug(&app.db, &newsroom::domain::Viewer::Anonymous, SEED, None)
        .await
        .unwrap()
        .expect("the demo's lead story");
    fixtures::old_slug(&app.db, &seed, OLD_SLUG).await;

    // An author and a tag renamed, so that their old slugs travel too.
    let editor = newsroom::domain::Viewer::User { id: editor.id, role: Role::Editor };
    let author = bylines::author_by_slug(&app.db, "priya-raman").await.unwrap().expect("a demo author");
    let changes = bylines::AuthorChanges { slug: Some("priya-raman-iyer".into()), ..Default::default() };
    bylines::update_author(&app.db, &editor, author.id, changes, &app.pipeline).await.unwrap();
    let tag = bylines::tag_by_slug(&app.db, "climate").await.unwrap().expect("a demo tag");
    let changes =
        bylines::TagChanges { slug: Some("climate-and-weather".into()), name: Some("Climate and Weather".into()) };
    bylines::update_tag(&app.db, &editor, tag.id, changes, &app.pipeline).await.unwrap();
    let kind = entity::correction::CorrectionKind::Correction;
    let text = "An earlier version misnamed the envoy.";
    corrections::add(&app.db, &editor, seed.id, kind, text, &app.pipeline).await.unwrap();
    let pick = newsroom::domain::articles::find_by_slug(&app.db, &editor, OTHER_STORY, None).await.unwrap().unwrap();
    newsroom::domain::related::set_picks(&app.db, seed.id, &[pick.id]).await.unwrap();
    // A live entry written and one deleted, whose tombstone travels too.
    let blog = newsroom::domain::articles::find_by_slug(&app.db, &editor, LIVE_BLOG, None).await.unwrap().unwrap();
    let entry = newsroom::domain::live::EntryInput {
        headline: Some("Late addition".into()),
        body_markdown: "Talks resume at nine.".into(),
        pinned: None,
        author_ids: Some(vec![author.id]),
    };
    let added = newsroom::domain::live::add(&app.db, &editor, blog.id, entry.clone(), &app.pipeline).await.unwrap();
    let gone = newsroom::domain::live::add(&app.db, &editor, blog.id, entry, &app.pipeline).await.unwrap();
    newsroom::domain::live::delete(&app.db, &editor, gone.id, &app.pipeline).await.unwrap();
    assert_ne!(added.id, gone.id);

    for (n, status) in [SubscriptionStatus::Pending, SubscriptionStatus::Confirmed].into_iter().enumerate() {
        newsletter_subscription::ActiveModel {
            email: Set(format!("reader{n}@example.com")),
            status: Set(status),
            confirm_token_hash: Set(Some(format!("confirm-hash-{n}"))),
            confirm_token_expires_at: Set(Some(fixtures::ago(-60))),
            unsubscribe_token_hash: Set(Some(format!("unsubscribe-hash-{n}"))),
            created_at: Set(fixtures::ago(90)),
            updated_at: Set(fixtures::ago(30)),
            confirmed_at: Set((n == 1).then(|| fixtures::ago(30))),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    newsletter::subscribe(&app.db, SUBSCRIBER_EMAIL, "https://news.example.com/newsletter").await.unwrap();
    entity::webhook::ActiveModel {
        url: Set("https://hooks.example.com/newsroom".into()),
        events: Set("CONTENT_CHANGED".into()),
        secret: Set(WEBHOOK_SECRET.into()),
        active: Set(true),
        created_at: Set(fixtures::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let change = newsroom::domain::changes::Change::of([newsroom::domain::changes::Tag::Sections]);
    newsroom::domain::webhooks::enqueue(&app.db, &change, None).await.unwrap();

    // "Letters" first, then "Opinion", which becomes its parent.
    let letters = fixtures::section(&app.db, "letters", "Letters", None).await;
    let opinion = fixtures::section(&app.db, "opinion", "Opinion", None).await;
    let mut letters = letters.into_active_model();
    letters.parent_id = Set(Some(opinion.id));
    letters.update(&app.db).await.unwrap();

    // A reply stored before the comment it answers.
    let comment_on_seed = |name: &str, minutes: i64| comment::ActiveModel {
        article_id: Set(seed.id),
        parent_id: Set(None),
        user_id: Set(None),
        author_name: Set(name.to_owned()),
        author_email: Set(Some(format!("{}@example.com", name.to_lowercase()))),
        body: Set(format!("{name} writes <b>this</b> & that.")),
        status: Set(CommentStatus::Approved),
        client_hash: Set(Some("client-hash".to_owned())),
        created_at: Set(fixtures::ago(minutes)),
        moderated_at: Set(Some(fixtures::ago(minutes - 1))),
        ..Default::default()
    };
    let reply = comment_on_seed("Rosa", 5).insert(&app.db).await.unwrap();
    let parent = comment_on_seed("Ivo", 10).insert(&app.db).await.unwrap();
    let mut reply = reply.into_active_model();
    reply.parent_id = Set(Some(parent.id));
    reply.update(&app.db).await.unwrap();
    // Written past the domain, so its counts are recounted here as a write would.
    newsroom::domain::comments::rebuild_tallies(&app.db).await.unwrap();
}

async fn export(db: &DatabaseConnection, options: ExportOptions) -> (Vec<u8>, RowCounts) {
    let mut out = Vec::new();
    let summary = transfer::export(db, &mut out, options).await.expect("export");
    (out, summary.rows)
}

async fn import(db: &DatabaseConnection, file: &[u8]) -> Result<RowCounts, TransferError> {
    let seen = std::cell::Cell::new(0);
    let progress = |bytes: u64| {
        assert!(bytes >= seen.get() && bytes <= file.len() as u64);
        seen.set(bytes);
    };
    let result = transfer::import(db, file, progress).await;
    if result.is_ok() {
        assert_eq!(seen.get(), file.len() as u64, "progress reaches the end");
    }
    result.map(|summary| summary.rows)
}

/// The lines of an export after the header, sorted (string order of keys may differ
/// between the databases' collations).
fn body_lines(file: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(file).unwrap();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_owned).collect();
    lines.sort();
    lines
}

async fn row_counts(db: &DatabaseConnection) -> Vec<(Table, i64)> {
    let mut counts = Vec::new();
    for table in Table::ALL {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {}", table.name()),
            ))
            .await
            .unwrap()
            .unwrap();
        counts.push((table, row.try_get::<i64>("", "n").unwrap()));
    }
    counts
}

async fn assert_empty(db: &DatabaseConnection) {
    let non_empty: Vec<_> = row_counts(db).await.into_iter().filter(|(_, n)| *n > 0).collect();
    assert!(non_empty.is_empty(), "rows were left behind: {non_empty:?}");
}

const ARTICLE_PAGE: &str = r#"
query ArticlePage($slug: String!) {
  article(slug: $slug) {
    id slug headline standfirst status createdAt updatedAt publishedAt scheduledAt
    section { id slug name path breadcrumbs { slug name path } }
    leadImage { id url altText caption width height credit { photographer agency distributor license creditLine } }
    authors { id slug name bio }
    tags { id slug name }
    wordCount readingTimeMinutes
    seo { title description canonicalUrl }
    commentsOpen commentCount
    corrections { kind text createdAt } related(first: 4) { slug }
    bodyMarkdown bodyHtml
    blocks {
      __typename
      ... on ParagraphBlock { html text }
      ... on HeadingBlock { level text }
      ... on ImageBlock { url altText caption image { id url credit { creditLine } } }
      ... on QuoteBlock { text }
      ... on ListBlock { ordered items }
    }
    comments(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id authorName authorEmail body bodyHtml status createdAt replyCount
        replies(first: 10) { totalCount edges { cursor node { id authorName body createdAt parent { id } } } } } }
    }
  }
}"#;

const OTHER_STORY: &str = "night-trains-return-to-the-european-rail-map";

const ARTICLES_PAGE: &str = r#"
query Articles($first: Int, $after: String, $filter: ArticleFilter, $orderBy: ArticleOrder) {
  articles(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id slug headline kind kicker dateline status publishedAt updatedAt section { path } authors { name } tags { slug } leadImage { credit { creditLine } } } }
  }
}"#;

const SECTIONS: &str = r#"{
  sections { id slug name description path parent { slug } children { slug } breadcrumbs { slug } }
  world: section(slug: "world") { articles(first: 50) { totalCount edges { cursor node { slug } } } }
  author(slug: "amira-haddad") { id name bio articles(first: 50) { totalCount edges { cursor node { slug } } } }
  tag(slug: "climate") { id name articles(first: 50) { totalCount edges { cursor node { slug } } } }
}"#;

const SEARCH: &str = r#"
query Search($query: String!) {
  searchArticles(query: $query, first: 20) { totalCount edges { cursor node { id slug headline } } }
}"#;

const EDITORS_VIEW: &str = r#"{
  drafts: articles(first: 50, filter: { status: DRAFT }) {
    totalCount edges { cursor node { id slug headline status revisions { number headline standfirst bodyMarkdown createdAt editor { id name } } } }
  }
  scheduled: articles(first: 50, filter: { status: SCHEDULED }) { totalCount nodes { slug scheduledAt } }
  moderationQueue(first: 50) {
    totalCount
    edges { cursor node { id authorName authorEmail body status createdAt article { slug } parent { id } } }
  }
  spam: moderationQueue(first: 50, status: SPAM) { totalCount nodes { id body } }
  images(first: 50) { totalCount edges { cursor node { id url altText credit { creditLine license } } } }
  draft: article(slug: "how-a-coalition-government-is-formed") { id status revisions { number headline } }
}"#;

/// Every page of `articles` in the given order, walked with the cursors.
async fn walk_articles(app: &TestApp, token: Option<&str>, variables: Value) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut variables = variables.clone();
        variables["first"] = json!(3);
        variables["after"] = after;
        let page = app.post(token, ARTICLES_PAGE, variables).await.assert_ok()["articles"].clone();
        let next = page["pageInfo"]["hasNextPage"] == json!(true);
        after = page["pageInfo"]["endCursor"].clone();
        pages.push(page);
        if !next {
            return pages;
        }
        assert!(pages.len() < 50, "the cursors go round in circles");
    }
}

/// The search hits in rank order, without their cursors: a cursor carries the engine's
/// own score (bm25 on SQLite, ts_rank_cd on PostgreSQL).
fn hits(answer: &Value) -> (Value, Vec<Value>) {
    let search = &answer["searchArticles"];
    let nodes = search["edges"].as_array().unwrap().iter().map(|edge| edge["node"].clone()).collect();
    (search["totalCount"].clone(), nodes)
}

/// Asks both apps the same questions, anonymously and as an editor of each, and
/// compares the answers.
async fn assert_same_answers(source: &TestApp, target: &TestApp) {
    let same_engine = source.is_postgres() == target.is_postgres();
    let ask = async |query: &str, variables: Value| -> (Value, Value) {
        (source.query(query, variables.clone()).await, target.query(query, variables).await)
    };

    // The article page, by its slug and by its old one.
    let (expected, actual) = ask(ARTICLE_PAGE, json!({ "slug": SEED })).await;
    assert_eq!(expected, actual, "article page");
    let page = &expected["article"];
    assert_eq!(page["leadImage"]["credit"]["creditLine"], "Wakil Kohsar/AFP via Getty Images");
    assert_eq!(page["section"]["breadcrumbs"][1]["path"], "world/international-news");
    assert!(page["commentCount"].as_i64().unwrap() >= 9);
    assert!(
        page["comments"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|edge| edge["node"]["replies"]["totalCount"].as_i64().unwrap() > 0)
    );
    let (by_old_slug, _) = ask(ARTICLE_PAGE, json!({ "slug": OLD_SLUG })).await;
    assert_eq!(by_old_slug, expected, "an old slug finds the article");
    let (_, by_old_slug) = ask(ARTICLE_PAGE, json!({ "slug": OLD_SLUG })).await;
    assert_eq!(by_old_slug, expected, "an old slug finds the article after import");

    // Lists walked with their cursors, in both orders.
    for variables in [
        json!({}),
        json!({ "orderBy": { "field": "UPDATED_AT", "direction": "ASC" } }),
        json!({ "filter": { "section": "world" } }),
        json!({ "filter": { "tag": "climate" } }),
    ] {
        let expected = walk_articles(source, None, variables.clone()).await;
        let actual = walk_articles(target, None, variables.clone()).await;
        assert!(expected.len() > 1 || variables != json!({}), "several pages");
        assert_eq!(expected, actual, "articles {variables}");
    }

    let (expected, actual) = ask(SECTIONS, json!({})).await;
    assert_eq!(expected, actual, "sections, author and tag pages");
    let letters =
        expected["sections"].as_array().unwrap().iter().find(|s| s["slug"] == "letters").expect("the letters section");
    assert_eq!(letters["path"], "opinion/letters");

    for query in ["Taliban", "night trains", "climate", "elections", "bookshop"] {
        let (expected, actual) = ask(SEARCH, json!({ "query": query })).await;
        let (total, nodes) = hits(&expected);
        assert!(total.as_i64().unwrap() > 0, "{query:?} finds something");
        assert_eq!((total, nodes), hits(&actual), "search {query:?}");
        if same_engine {
            assert_eq!(expected, actual, "search {query:?}, cursors too");
        }
    }
    let (found, _) = ask(SEARCH, json!({ "query": "Taliban" })).await;
    assert_eq!(found["searchArticles"]["edges"][0]["node"]["slug"], SEED);

    // Global ids stay valid: an article, an image, a section, a comment.
    let ids = [
        page["id"].clone(),
        page["leadImage"]["id"].clone(),
        page["section"]["id"].clone(),
        page["comments"]["edges"][0]["node"]["id"].clone(),
    ];
    for id in ids {
        let (expected, actual) = ask(
            r#"query Node($id: ID!) { node(id: $id) { __typename id
                ... on Article { slug headline }
                ... on Image { url credit { creditLine } }
                ... on Section { path }
                ... on Comment { body article { slug } } } }"#,
            json!({ "id": id }),
        )
        .await;
        assert_ne!(expected["node"], Value::Null, "node {id}");
        assert_eq!(expected, actual, "node {id}");
    }

    // An editor's view; tokens are per installation. Creating the editors also shows the
    // id sequences went on after the imported rows.
    let (_, source_editor) = source.staff(Role::Editor).await;
    let (_, target_editor) = target.staff(Role::Editor).await;
    let expected = source.query_as(&source_editor, EDITORS_VIEW, json!({})).await;
    let actual = target.query_as(&target_editor, EDITORS_VIEW, json!({})).await;
    assert_eq!(expected, actual, "editor's view");
    assert!(expected["drafts"]["totalCount"].as_i64().unwrap() >= 1);
    assert!(expected["moderationQueue"]["totalCount"].as_i64().unwrap() >= 2);
    let expected = walk_articles(source, Some(&source_editor), json!({ "filter": { "status": "DRAFT" } })).await;
    let actual = walk_articles(target, Some(&target_editor), json!({ "filter": { "status": "DRAFT" } })).await;
    assert_eq!(expected, actual, "drafts walked by an editor");
}

/// The whole journey: the publication in `source`, exported, imported into `target`,
/// exported again (the same rows, to the microsecond), and the same answers from both.
async fn move_publication(source: TestApp, target: TestApp) {
    publication(&source).await;
    let (file, exported) = export(&source.db, SECRETS).await;
    assert!(exported.get(Table::Comments) > 10, "{exported}");
    for table in Table::ALL {
        assert!(exported.get(table) > 0, "the export has {table}: {exported}");
    }

    let imported = import(&target.db, &file).await.expect("import");
    assert_eq!(imported, exported);

    let (again, _) = export(&target.db, SECRETS).await;
    assert_eq!(body_lines(&again), body_lines(&file), "the imported rows export as they were exported");

    assert_same_answers(&source, &target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_answers_the_same() {
    let source = TestApp::sqlite().await;
    match TestApp::postgres().await {
        Some(target) => move_publication(source, target).await,
        None => {
            eprintln!(
                "NEWSROOM_TEST_POSTGRES_URL is not set: the PostgreSQL leg was skipped; importing into a second SQLite database instead"
            );
            move_publication(source, TestApp::sqlite().await).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn postgres_to_sqlite_answers_the_same() {
    let source = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    move_publication(source, TestApp::sqlite().await).await;
}

/// After an import, new rows get ids after the imported ones.
async fn new_rows_after_import(target: TestApp) {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let (file, _) = export(&source.db, ExportOptions::default()).await;
    import(&target.db, &file).await.expect("import");

    let last_section =
        section::Entity::find().order_by_desc(section::Column::Id).one(&target.db).await.unwrap().unwrap();
    let added = fixtures::section(&target.db, "new-desk", "New desk", None).await;
    assert_eq!(added.id, last_section.id + 1);

    let last_image = image::Entity::find().order_by_desc(image::Column::Id).one(&target.db).await.unwrap().unwrap();
    let added = fixtures::image(&target.db, Some("Ann Lee"), None, None, None).await;
    assert_eq!(added.id, last_image.id + 1);

    let last_user = user::Entity::find().order_by_desc(user::Column::Id).one(&target.db).await.unwrap().unwrap();
    let added = fixtures::user(&target.db, Role::Contributor).await;
    assert_eq!(added.id, last_user.id + 1);

    let last_tag = tag::Entity::find().order_by_desc(tag::Column::Id).one(&target.db).await.unwrap().unwrap();
    let added = fixtures::tag(&target.db, "new-tag", "New tag").await;
    assert_eq!(added.id, last_tag.id + 1);

    // And the new rows answer over GraphQL next to the imported ones.
    let sections = target.query("{ sections { slug } }", json!({})).await;
    let slugs: Vec<&str> =
        sections["sections"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert!(slugs.contains(&"new-desk") && slugs.contains(&"world"));
}
on_both!(new_rows_after_import);

/// A database with content already is refused, and keeps what it had.
async fn refuses_a_database_with_content(target: TestApp) {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let (file, _) = export(&source.db, ExportOptions::default()).await;

    fixtures::section(&target.db, "world", "World", None).await;
    let before = row_counts(&target.db).await;
    let error = import(&target.db, &file).await.expect_err("refused");
    assert!(matches!(error, TransferError::NotEmpty { table: "sections", rows: 1 }), "{error:?}");
    let message = error.to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    assert!(message.contains("not empty"), "{message}");
    assert_eq!(row_counts(&target.db).await, before);
}
on_both!(refuses_a_database_with_content);

/// `file` with its line `number` (counting from 1) replaced.
fn with_line(file: &[u8], number: usize, line: &str) -> Vec<u8> {
    let text = std::str::from_utf8(file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[number - 1] = line;
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// The number of the first line of `table`.
fn first_line_of(file: &[u8], table: &str) -> usize {
    let needle = format!("{{\"table\":\"{table}\",");
    std::str::from_utf8(file)
        .unwrap()
        .lines()
        .position(|line| line.starts_with(&needle))
        .expect("the table is in the file")
        + 1
}

/// Broken files import nothing, and the error names the line.
async fn broken_files_import_nothing(target: TestApp) {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let (file, _) = export(&source.db, ExportOptions::default()).await;
    let text = std::str::from_utf8(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let middle = lines.len() / 2;
    let comments = first_line_of(&file, "comments");
    let comment: Value = serde_json::from_str(lines[comments - 1]).unwrap();
    let mut orphan = comment.clone();
    orphan["row"]["id"] = json!(999_998);
    orphan["row"]["article_id"] = json!(999_999);
    let mut unknown_column = comment.clone();
    unknown_column["row"]["mood"] = json!("cheerful");
    let mut unknown_table = comment.clone();
    unknown_table["table"] = json!("settings");
    let mut bad_value = comment.clone();
    bad_value["row"]["status"] = json!("MAYBE");
    let duplicate = lines[first_line_of(&file, "sections")];

    let cases: Vec<(&str, Vec<u8>, usize, &str)> = vec![
        ("not JSON", with_line(&file, middle, "{\"table\":\"articles\",\"row\":{"), middle, "not a JSON object"),
        (
            "a row that breaks a foreign key",
            with_line(&file, comments + 3, &orphan.to_string()),
            comments + 3,
            "cannot be inserted",
        ),
        (
            "a duplicate row",
            with_line(&file, first_line_of(&file, "sections") + 2, duplicate),
            first_line_of(&file, "sections") + 2,
            "cannot be inserted",
        ),
        ("an unknown column", with_line(&file, comments, &unknown_column.to_string()), comments, "no column \"mood\""),
        (
            "an unknown table",
            with_line(&file, comments, &unknown_table.to_string()),
            comments,
            "unknown table \"settings\"",
        ),
        (
            "a value the column cannot hold",
            with_line(&file, comments, &bad_value.to_string()),
            comments,
            "bad comments row",
        ),
        (
            "another format",
            with_line(&file, 1, r#"{"format":"wordpress-export","version":1}"#),
            1,
            "not a newsroom export",
        ),
        (
            "a later version",
            with_line(&file, 1, r#"{"format":"newsroom-export","version":2,"exported_at":"2030-01-01T00:00:00Z"}"#),
            1,
            "version 2 is not supported",
        ),
        ("a file cut short", lines[..lines.len() - 1].join("\n").into_bytes(), lines.len() - 1, "cut short"),
        (
            "a closing line with another count",
            with_line(&file, lines.len(), r#"{"end":true,"rows":3}"#),
            lines.len(),
            "counts 3 rows",
        ),
    ];
    for (case, broken, line, words) in cases {
        let error = import(&target.db, &broken).await.expect_err(case);
        let message = error.to_string();
        assert_eq!(error.line(), Some(line as u64), "{case}: {message}");
        assert!(message.contains(&format!("line {line}")), "{case}: {message}");
        assert!(message.contains(words), "{case}: {message}");
        assert!(!message.contains('\n'), "{case}: one line: {message}");
        assert_empty(&target.db).await;
    }

    // Nothing stayed behind: the good file still imports.
    import(&target.db, &file).await.expect("the intact file");
}
on_both!(broken_files_import_nothing);

/// Password hashes, newsletter tokens and the outbox, whose emails carry tokens in their
/// links, travel only when asked for.
async fn secrets_only_when_asked(target: TestApp) {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let queued = outbox_message::Entity::find().all(&source.db).await.unwrap();
    assert_eq!(queued.len(), 1);
    let token = queued[0].body.split("?token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let stored = users::find_by_email(&source.db, EDITOR_EMAIL).await.unwrap().unwrap();
    let hash = stored.password_hash.clone().unwrap();
    const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email role } } }";
    let credentials = json!({ "e": EDITOR_EMAIL, "p": EDITOR_PASSWORD });

    let (plain, _) = export(&source.db, ExportOptions::default()).await;
    let text = String::from_utf8(plain.clone()).unwrap();
    assert!(!text.contains(&hash) && !text.contains("$argon2"));
    assert!(!text.contains("confirm-hash") && !text.contains("unsubscribe-hash"));
    assert!(!text.contains(&token) && !text.contains(r#""table":"outbox""#), "the outbox stays behind");
    assert!(!text.contains(WEBHOOK_SECRET), "webhook secrets stay behind");
    assert!(text.contains(EDITOR_EMAIL) && text.contains(SUBSCRIBER_EMAIL), "the account and subscription travel");
    let summary = transfer::import(&target.db, plain.as_slice(), |_| {}).await.unwrap();
    assert_eq!(summary.users_without_password, 1);
    let refused = target.post(None, LOGIN, credentials.clone()).await;
    assert_eq!(refused.codes(), ["UNAUTHENTICATED"]);

    let (secret, _) = export(&source.db, SECRETS).await;
    let text = String::from_utf8(secret.clone()).unwrap();
    assert!(text.contains(&hash));
    assert!(text.contains("confirm-hash-0") && text.contains("unsubscribe-hash-1"));
    assert!(text.contains(&token), "the outbox travels");
    assert!(text.contains(WEBHOOK_SECRET), "webhooks travel with their secrets");
    let target = fresh_like(&target).await;
    let summary = transfer::import(&target.db, secret.as_slice(), |_| {}).await.unwrap();
    assert_eq!(summary.users_without_password, 0);
    assert_eq!(summary.rows.get(Table::Outbox), 1);
    assert_eq!(outbox_message::Entity::find().all(&target.db).await.unwrap(), queued);
    // The confirmation link of the email that travelled works in the new database, and
    // new emails queue after it.
    newsletter::confirm(&target.db, &token).await.expect("the token hash travelled");
    newsletter::subscribe(&target.db, "later@example.com", "https://news.example.com/newsletter").await.unwrap();
    let pending = newsletter::pending_outbox(&target.db, 10).await.unwrap();
    assert_eq!(pending.iter().map(|m| m.id).collect::<Vec<_>>(), [queued[0].id, queued[0].id + 1]);
    let imported = users::find_by_email(&target.db, EDITOR_EMAIL).await.unwrap().unwrap();
    assert_eq!(imported, stored, "the account, hash and timestamps alike");
    let signed_in = target.query(LOGIN, credentials).await;
    assert_eq!(signed_in["login"]["user"], json!({ "email": EDITOR_EMAIL, "role": "EDITOR" }));
}
on_both!(secrets_only_when_asked);

/// Checks the shape of an export: the header, each table in one run in dependency
/// order, every section and comment after its parent, and the closing line's count.
fn assert_well_ordered(file: &[u8]) {
    let text = std::str::from_utf8(file).unwrap();
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["format"], "newsroom-export");
    assert_eq!(header["version"], 1);
    assert!(header["exported_at"].as_str().unwrap().ends_with('Z'));

    let mut order: Vec<String> = Vec::new();
    let mut seen: HashMap<String, BTreeSet<i64>> = HashMap::new();
    let mut last: Option<Value> = None;
    for line in lines {
        let value: Value = serde_json::from_str(line).unwrap();
        if value.get("end").is_some() {
            last = Some(value);
            continue;
        }
        assert!(last.is_none(), "nothing after the closing line");
        let table = value["table"].as_str().unwrap().to_owned();
        if order.last() != Some(&table) {
            assert!(!order.contains(&table), "{table} in one run");
            order.push(table.clone());
        }
        let row = &value["row"];
        // Only sections and comments have a parent, in their own table.
        if let Some(parent) = row.get("parent_id").and_then(Value::as_i64) {
            assert!(
                seen.get(&table).is_some_and(|ids| ids.contains(&parent)),
                "{table} {} comes after its parent {parent}",
                row["id"]
            );
        }
        if let Some(id) = row.get("id").and_then(Value::as_i64) {
            assert!(seen.entry(table).or_default().insert(id), "each row once");
        }
    }
    let known: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    let expected: Vec<&str> = known.into_iter().filter(|name| order.iter().any(|t| t == name)).collect();
    assert_eq!(order, expected, "tables in dependency order");
    let total: usize = text.lines().count() - 2;
    assert_eq!(last.unwrap(), json!({ "end": true, "rows": total }));
}

/// Rows are written in dependency order, parents before their children, even when a
/// parent was created after its child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_lists_parents_first() {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let (file, rows) = export(&source.db, ExportOptions::default()).await;
    assert_well_ordered(&file);
    let with_secrets_only = [Table::Outbox, Table::Webhooks, Table::WebhookDeliveries];
    assert!(Table::ALL.iter().filter(|table| !with_secrets_only.contains(table)).all(|table| rows.get(*table) > 0));
    for table in with_secrets_only {
        assert_eq!(rows.get(table), 0, "{table} only with the secrets");
    }
    let (file, rows) = export(&source.db, SECRETS).await;
    assert_well_ordered(&file);
    assert!(Table::ALL.iter().all(|table| rows.get(*table) > 0));
}

/// Tables longer than a page (500 rows) are read page by page, composite keys too, and
/// a reply stored pages before the comment it answers still follows it in the file.
async fn tables_of_many_pages(target: TestApp) {
    const ROWS: i64 = 1234;
    let source = TestApp::sqlite().await;
    let db = &source.db;
    let desk = fixtures::section(db, "desk", "Desk", None).await;
    let story = fixtures::article(db, fixtures::ArticleSpec::published("story", &desk, fixtures::ago(60))).await;
    let at = fixtures::ago(30);
    let tags = (1..=ROWS).map(|n| tag::ActiveModel {
        id: Set(n),
        slug: Set(format!("tag-{n}")),
        name: Set(format!("Tag {n}")),
        created_at: Set(at),
    });
    tag::Entity::insert_many(tags).exec_without_returning(db).await.unwrap();
    let links = (1..=ROWS).map(|n| entity::article_tag::ActiveModel { article_id: Set(story.id), tag_id: Set(n) });
    entity::article_tag::Entity::insert_many(links).exec_without_returning(db).await.unwrap();
    let comments = (1..=ROWS).map(|n| comment::ActiveModel {
        id: Set(n),
        article_id: Set(story.id),
        parent_id: Set(None),
        user_id: Set(None),
        author_name: Set(format!("Reader {n}")),
        author_email: Set(None),
        body: Set(format!("Comment {n}")),
        status: Set(CommentStatus::Approved),
        client_hash: Set(None),
        created_at: Set(at),
        moderated_at: Set(None),
    });
    comment::Entity::insert_many(comments).exec_without_returning(db).await.unwrap();
    // Threads of three; comment 1 answers the last comment, three pages on, and
    // comment 7 answers comment 1, so it waits as long.
    for sql in [
        "UPDATE comments SET parent_id = id - 1 WHERE id > 1 AND id % 3 <> 2".to_owned(),
        format!("UPDATE comments SET parent_id = {ROWS} WHERE id = 1"),
        "UPDATE comments SET parent_id = 1 WHERE id = 7".to_owned(),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }

    let (file, exported) = export(db, ExportOptions::default()).await;
    assert_well_ordered(&file);
    for table in [Table::Tags, Table::ArticleTags, Table::Comments] {
        assert_eq!(exported.get(table), ROWS as u64, "{table}");
    }
    let imported = import(&target.db, &file).await.expect("import");
    assert_eq!(imported, exported);
    let (again, _) = export(&target.db, ExportOptions::default()).await;
    assert_eq!(body_lines(&again), body_lines(&file));

    let page = target
        .query(
            r#"{ article(slug: "story") { commentCount tags { slug } comments(first: 1) { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(page["article"]["commentCount"], ROWS);
    assert_eq!(page["article"]["tags"].as_array().unwrap().len(), ROWS as usize);
}
on_both!(tables_of_many_pages);

/// Every table of the schema but the settings, the stored comment counts (recounted by
/// the import) and the rate limits travels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_table_is_exported() {
    let app = TestApp::sqlite().await;
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE 'article_search%' \
             AND name NOT IN ('seaql_migrations', 'settings', 'comment_tallies', 'rate_limits') \
             ORDER BY name",
        ))
        .await
        .unwrap();
    let in_schema: BTreeSet<String> = rows.iter().map(|row| row.try_get::<String>("", "name").unwrap()).collect();
    let exported: BTreeSet<String> = Table::ALL.iter().map(|t| t.name().to_owned()).collect();
    assert_eq!(in_schema, exported);
}

/// The commands as an operator types them: export to a file and to stdout, import, and
/// a second import refused with one line on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands() {
    let source = TestApp::sqlite().await;
    publication(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("newsroom.ndjson");
    let target_url = format!("sqlite:{}", dir.path().join("target.db").display());
    let newsroom = |url: &str, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
            .env_remove("DATABASE_URL")
            .env("NEWSROOM_LOG", "warn")
            .arg("--database-url")
            .arg(url)
            .args(args)
            .output()
            .expect("the newsroom binary runs")
    };

    let exported = newsroom(&source.config.database_url, &["export", "--out", file.to_str().unwrap()]);
    assert!(exported.status.success(), "{exported:?}");
    let said = String::from_utf8(exported.stdout).unwrap();
    assert!(said.starts_with("exported ") && said.contains(" comments"), "{said}");

    let to_stdout = newsroom(&source.config.database_url, &["export"]);
    assert!(to_stdout.status.success());
    assert_eq!(
        body_lines(&to_stdout.stdout),
        body_lines(&std::fs::read(&file).unwrap()),
        "stdout carries the same rows and nothing else"
    );

    let imported = newsroom(&target_url, &["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{imported:?}");
    let said = String::from_utf8(imported.stdout).unwrap();
    assert!(said.starts_with("imported "), "{said}");
    assert!(said.contains("1 users have no password"), "{said}");
    assert!(imported.stderr.is_empty(), "no progress bar off a terminal");

    let again = newsroom(&target_url, &["import", file.to_str().unwrap()]);
    assert!(!again.status.success());
    let complaint = String::from_utf8(again.stderr).unwrap();
    assert_eq!(complaint.lines().count(), 1, "{complaint}");
    assert!(complaint.contains("not empty"), "{complaint}");
}

/// The benchmark's generated dataset imports as is, and serves the page the benchmark
/// asks for: the newest article, leading the first section, with threads and replies.
async fn benchmark_data_imports_and_serves(app: TestApp) {
    let shape = newsroom::bench_data::Shape {
        sections: 12,
        articles: 120,
        images: 60,
        authors: 15,
        tags: 20,
        comments: 2_000,
        seed: 3,
    };
    let mut file = Vec::new();
    let written = newsroom::bench_data::write(&shape, &mut file).unwrap();
    let imported = import(&app.db, &file).await.expect("the dataset imports");
    assert_eq!(imported.total(), written.total());
    let page = app
        .query(
            r#"{ articles(first: 1) { nodes { section { slug } leadImage { credit { creditLine } } authors { name }
                 commentCount comments(first: 20) { nodes { replies(first: 5) { nodes { body } } } } } } }"#,
            json!({}),
        )
        .await;
    let newest = &page["articles"]["nodes"][0];
    assert_eq!(newest["section"]["slug"], "news");
    assert!(newest["leadImage"]["credit"]["creditLine"].is_string(), "{newest}");
    assert!(newest["commentCount"].as_i64().unwrap() > 50, "{newest}");
    let threads = newest["comments"]["nodes"].as_array().unwrap();
    assert_eq!(threads.len(), 20);
    assert_eq!(threads[0]["replies"]["nodes"].as_array().unwrap().len(), 5, "the first thread has replies");
}
on_both!(benchmark_data_imports_and_serves);
