//! Readers' comments: posting, replies, refusals, moderation and counts, link hold-back,
//! rate limits, duplicates, hashed client addresses and private emails.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const ADD: &str = r#"mutation($a: ID!, $p: ID, $n: String!, $e: String, $b: String!) {
  addComment(input: { articleId: $a, parentId: $p, authorName: $n, authorEmail: $e, body: $b }) { id status body bodyHtml authorName }
}"#;
const MODERATE: &str = "mutation($id: ID!, $s: CommentStatus!) { moderateComment(id: $id, status: $s) { status } }";
const THREAD: &str = r#"query($s: String!) { article(slug: $s) {
  commentCount comments { totalCount nodes { body authorEmail replyCount replies { totalCount nodes { body } } } } } }"#;

async fn published(app: &TestApp, slug: &str) -> String {
    let section = fixtures::section(&app.db, &format!("{slug}-desk"), "Desk", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published(slug, &section, ago(60))).await;
    encode(Kind::Article, article.id).to_string()
}

fn comment(article: &str, body: &str) -> Value {
    json!({ "a": article, "n": "Reader", "e": "reader@example.org", "b": body })
}

async fn readers_comment_and_editors_moderate(app: TestApp) {
    let article = published(&app, "story").await;
    let (_, editor) = app.staff(Role::Editor).await;

    let added = app.post_from("203.0.113.10", None, ADD, comment(&article, "First!")).await;
    let added = &added.assert_ok()["addComment"];
    assert_eq!(added["status"], "PENDING");
    let first = added["id"].as_str().unwrap().to_owned();
    assert_eq!(app.query(THREAD, json!({ "s": "story" })).await["article"]["commentCount"], 0, "pending is not public");

    let queue = app.query_as(&editor, "{ moderationQueue { nodes { id authorEmail } } }", json!({})).await;
    assert_eq!(queue["moderationQueue"]["nodes"], json!([{ "id": first, "authorEmail": "reader@example.org" }]));
    assert_eq!(
        app.query_as(&editor, MODERATE, json!({ "id": first, "s": "APPROVED" })).await["moderateComment"]["status"],
        "APPROVED"
    );

    let reply = app
        .post_from("203.0.113.11", None, ADD, json!({ "a": article, "p": first, "n": "Other", "b": "A reply" }))
        .await;
    let reply_id = reply.assert_ok()["addComment"]["id"].as_str().unwrap().to_owned();
    let by_editor = app.post(Some(&editor), ADD, comment(&article, "From the desk")).await;
    assert_eq!(by_editor.assert_ok()["addComment"]["status"], "APPROVED", "editors' comments arrive approved");

    let thread = app.query(THREAD, json!({ "s": "story" })).await;
    assert_eq!(thread["article"]["commentCount"], 2);
    assert_eq!(thread["article"]["comments"]["nodes"][0]["authorEmail"], Value::Null, "emails stay private");
    assert_eq!(thread["article"]["comments"]["nodes"][0]["replyCount"], 0);

    app.query_as(&editor, MODERATE, json!({ "id": reply_id, "s": "APPROVED" })).await;
    let thread = app.query(THREAD, json!({ "s": "story" })).await;
    assert_eq!(thread["article"]["commentCount"], 3);
    assert_eq!(
        thread["article"]["comments"]["nodes"][0]["replies"],
        json!({ "totalCount": 1, "nodes": [{ "body": "A reply" }] })
    );

    app.query_as(&editor, MODERATE, json!({ "id": first, "s": "SPAM" })).await;
    let thread = app.query(THREAD, json!({ "s": "story" })).await;
    assert_eq!(thread["article"]["commentCount"], 1, "a reply under spam is hidden with it");
    assert_eq!(thread["article"]["comments"]["totalCount"], 1);

    assert_eq!(app.post(None, MODERATE, json!({ "id": first, "s": "APPROVED" })).await.codes(), ["UNAUTHENTICATED"]);
    let (_, contributor) = app.staff(Role::Contributor).await;
    assert_eq!(
        app.post(Some(&contributor), MODERATE, json!({ "id": first, "s": "APPROVED" })).await.codes(),
        ["FORBIDDEN"]
    );
}
on_both!(readers_comment_and_editors_moderate);

async fn refusals_name_what_is_wrong(app: TestApp) {
    let article = published(&app, "open").await;
    let other = published(&app, "elsewhere").await;
    let section = fixtures::section(&app.db, "desk", "Desk", None).await;
    let draft = fixtures::article(&app.db, ArticleSpec::draft("draft", &section)).await;
    let closed = fixtures::article(
        &app.db,
        ArticleSpec { comments_open: false, ..ArticleSpec::published("closed", &section, ago(5)) },
    )
    .await;
    let (_, editor) = app.staff(Role::Editor).await;
    let pending = app.post_from("198.51.100.1", None, ADD, comment(&article, "waiting")).await;
    let pending = pending.assert_ok()["addComment"]["id"].as_str().unwrap().to_owned();
    let foreign = app.post(Some(&editor), ADD, comment(&other, "elsewhere")).await;
    let foreign = foreign.assert_ok()["addComment"]["id"].as_str().unwrap().to_owned();

    // (case, token, variables, expected code, field named)
    type Case<'a> = (&'a str, Option<&'a str>, Value, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("draft", Some(editor.as_str()), comment(encode(Kind::Article, draft.id).as_str(), "hi"), "FORBIDDEN", None),
        ("draft, anonymous", None, comment(encode(Kind::Article, draft.id).as_str(), "hi"), "NOT_FOUND", None),
        ("closed", None, comment(encode(Kind::Article, closed.id).as_str(), "hi"), "FORBIDDEN", None),
        ("unknown article", None, comment(encode(Kind::Article, 999_999).as_str(), "hi"), "NOT_FOUND", None),
        ("not an article id", None, comment(encode(Kind::Tag, 1).as_str(), "hi"), "BAD_USER_INPUT", Some("articleId")),
        (
            "unknown parent",
            None,
            json!({ "a": article, "p": encode(Kind::Comment, 999_999).as_str(), "n": "R", "b": "x" }),
            "BAD_USER_INPUT",
            Some("parentId"),
        ),
        (
            "foreign parent",
            None,
            json!({ "a": article, "p": foreign, "n": "R", "b": "x" }),
            "BAD_USER_INPUT",
            Some("parentId"),
        ),
        (
            "pending parent",
            None,
            json!({ "a": article, "p": pending, "n": "R", "b": "x" }),
            "BAD_USER_INPUT",
            Some("parentId"),
        ),
        ("empty name", None, json!({ "a": article, "n": " ", "b": "x" }), "BAD_USER_INPUT", Some("authorName")),
        (
            "long name",
            None,
            json!({ "a": article, "n": "n".repeat(81), "b": "x" }),
            "BAD_USER_INPUT",
            Some("authorName"),
        ),
        ("empty body", None, json!({ "a": article, "n": "R", "b": "  " }), "BAD_USER_INPUT", Some("body")),
        ("long body", None, json!({ "a": article, "n": "R", "b": "b".repeat(5001) }), "BAD_USER_INPUT", Some("body")),
        (
            "bad email",
            None,
            json!({ "a": article, "n": "R", "e": "not an email", "b": "x" }),
            "BAD_USER_INPUT",
            Some("authorEmail"),
        ),
    ];
    for (index, (name, token, variables, code, field)) in cases.into_iter().enumerate() {
        let answer = app.post_from(&format!("192.0.2.{index}"), token, ADD, variables).await;
        assert_eq!(answer.codes(), [code], "{name}: {}", answer.body);
        if let Some(field) = field {
            assert_eq!(answer.body["errors"][0]["extensions"]["field"], field, "{name}");
        }
    }
    let long_ok = app
        .post_from("192.0.2.200", None, ADD, json!({ "a": article, "n": "n".repeat(80), "b": "b".repeat(5000) }))
        .await;
    assert_eq!(long_ok.assert_ok()["addComment"]["status"], "PENDING");
    let stored = entity::comment::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 3, "refusals wrote nothing");
}
on_both!(refusals_name_what_is_wrong);

async fn auto_approval_holds_back_links(app: TestApp) {
    let article = published(&app, "story").await;
    let auto = app.reconfigured(|config| config.comments_auto_approve = true).await;
    let plain = auto
        .post_from("203.0.113.20", None, ADD, comment(&article, "See https://example.com/a and https://example.com/b"))
        .await;
    assert_eq!(plain.assert_ok()["addComment"]["status"], "APPROVED");
    let html = plain.body["data"]["addComment"]["bodyHtml"].as_str().unwrap().to_owned();
    assert!(html.contains(r#"<a href="https://example.com/a" rel="nofollow ugc noopener">"#), "{html}");
    let spammy = auto
        .post_from(
            "203.0.113.21",
            None,
            ADD,
            comment(&article, "https://a.example https://b.example https://c.example"),
        )
        .await;
    assert_eq!(spammy.assert_ok()["addComment"]["status"], "PENDING", "three links wait for a moderator");
    let script = auto.post_from("203.0.113.22", None, ADD, comment(&article, "<script>alert(1)</script>")).await;
    assert_eq!(script.assert_ok()["addComment"]["bodyHtml"], "<p>&lt;script&gt;alert(1)&lt;&#x2F;script&gt;</p>");
}
on_both!(auto_approval_holds_back_links);

async fn rate_limits_duplicates_and_hashed_addresses(app: TestApp) {
    let article = published(&app, "story").await;
    for n in 0..5 {
        let answer = app.post_from("203.0.113.30", None, ADD, comment(&article, &format!("comment {n}"))).await;
        answer.assert_ok();
    }
    let sixth = app.post_from("203.0.113.30", None, ADD, comment(&article, "comment 6")).await;
    assert_eq!(sixth.codes(), ["RATE_LIMITED"]);
    let wait = sixth.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    app.post_from("203.0.113.31", None, ADD, comment(&article, "comment 6")).await.assert_ok();
    let again = app.post_from("203.0.113.31", None, ADD, comment(&article, "comment 6")).await;
    assert_eq!(again.codes(), ["CONFLICT"], "the same body from the same client within ten minutes");
    app.post_from("203.0.113.32", None, ADD, comment(&article, "comment 6")).await.assert_ok();

    let stored = entity::comment::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 7);
    for row in &stored {
        let hash = row.client_hash.as_deref().expect("a client hash");
        assert!(!hash.contains("203.0.113"), "{hash}");
        assert_eq!(hash.len(), 32);
    }
    let dump = format!("{stored:?}");
    assert!(!dump.contains("203.0.113"), "no raw address in any column");
    let first_client: Vec<_> =
        stored.iter().filter(|c| c.body.starts_with("comment ") && c.body != "comment 6").collect();
    assert!(first_client.windows(2).all(|w| w[0].client_hash == w[1].client_hash), "one client, one hash");
}
on_both!(rate_limits_duplicates_and_hashed_addresses);

/// Threads are read in batches (on SQLite as one JSON array): every character a reader
/// may write comes back as written, with the comment's time and author.
async fn comments_read_in_batches_come_back_as_written(app: TestApp) {
    let section = fixtures::section(&app.db, "desk", "Desk", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    let text =
        "Quotes \" and ' and \\ backslashes,\nlines\tand tabs, émigré, 日本語, emoji 🎉, <b>tags</b> & {json: [1]}";
    let top = fixtures::comment(&app.db, &article, None, entity::comment::CommentStatus::Approved, text, ago(30)).await;
    let reply_text = format!("{text} (reply)");
    let approved = entity::comment::CommentStatus::Approved;
    fixtures::comment(&app.db, &article, Some(&top), approved, &reply_text, ago(20)).await;
    let read = app
        .query(
            r#"query { article(slug: "story") { comments(first: 5) { nodes { id body authorName createdAt
                 replies(first: 5) { nodes { body createdAt } } } } } }"#,
            json!({}),
        )
        .await;
    let node = &read["article"]["comments"]["nodes"][0];
    assert_eq!(node["body"], text);
    assert_eq!(node["id"], encode(Kind::Comment, top.id).to_string());
    assert_eq!(node["authorName"], top.author_name);
    let written = chrono::DateTime::parse_from_rfc3339(node["createdAt"].as_str().unwrap()).unwrap();
    assert_eq!(written, top.created_at);
    assert_eq!(node["replies"]["nodes"][0]["body"], reply_text);
}
on_both!(comments_read_in_batches_come_back_as_written);
