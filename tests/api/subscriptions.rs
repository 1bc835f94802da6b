//! Live subscriptions over a real WebSocket connection: approved comments and published
//! articles reach the subscribers that may see them, in both protocols.

use std::time::Duration;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use crate::common::ws::{Client, LEGACY, MODERN};
use entity::article::ArticleStatus;
use entity::user::Role;
use newsroom::domain::changes::{Change, Event};
use newsroom::graphql::ids::{Kind, encode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const COMMENT_ADDED: &str =
    "subscription($a: ID!) { commentAdded(articleId: $a) { body authorName authorEmail status article { slug } } }";
const ARTICLE_PUBLISHED: &str =
    "subscription($s: String) { articlePublished(section: $s) { slug status section { slug } } }";
const ADD: &str = r#"mutation($a: ID!, $b: String!) {
  addComment(input: { articleId: $a, authorName: "Reader", authorEmail: "reader@example.org", body: $b }) { id status }
}"#;
const MODERATE: &str = "mutation($id: ID!, $s: CommentStatus!) { moderateComment(id: $id, status: $s) { status } }";

fn error_codes(payload: &Value) -> Vec<&str> {
    payload["errors"].as_array().into_iter().flatten().filter_map(|e| e["extensions"]["code"].as_str()).collect()
}

async fn comments_reach_subscribers_when_they_become_visible(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    let other = fixtures::article(&app.db, ArticleSpec::published("other", &section, ago(60))).await;
    let (story_id, other_id) = (encode(Kind::Article, story.id), encode(Kind::Article, other.id));
    let (_, editor) = app.staff(Role::Editor).await;
    let at = app.serve().await;

    let mut reader = Client::connect(at, MODERN, json!({})).await;
    let reader_sub = reader.subscribe(COMMENT_ADDED, json!({ "a": story_id })).await;
    let mut desk = Client::connect(at, MODERN, json!({ "token": editor })).await;
    let desk_sub = desk.subscribe(COMMENT_ADDED, json!({ "a": story_id })).await;
    app.until_subscribed(2).await;

    // Held for moderation, then approved: it becomes visible now.
    let held = app.post_from("203.0.113.1", None, ADD, json!({ "a": story_id, "b": "Held, then approved" })).await;
    let held = &held.assert_ok()["addComment"];
    assert_eq!(held["status"], "PENDING");
    app.query_as(&editor, MODERATE, json!({ "id": held["id"], "s": "APPROVED" })).await;
    // Never approved, and on another article: neither reaches these subscribers.
    app.post_from("203.0.113.2", None, ADD, json!({ "a": story_id, "b": "Still waiting" })).await.assert_ok();
    app.query_as(&editor, ADD, json!({ "a": other_id, "b": "Elsewhere" })).await;
    // An editor's comment is approved on arrival.
    app.query_as(&editor, ADD, json!({ "a": story_id, "b": "From the desk" })).await;

    let approved = json!({ "body": "Held, then approved", "authorName": "Reader", "authorEmail": null,
        "status": "APPROVED", "article": { "slug": "story" } });
    assert_eq!(reader.next_result(&reader_sub).await, json!({ "data": { "commentAdded": approved } }));
    let from_desk = reader.next_result(&reader_sub).await;
    assert_eq!(from_desk["data"]["commentAdded"]["body"], "From the desk", "{from_desk}");

    // The editor's connection sees what an editor's query sees: the commenter's email.
    let seen_by_desk = desk.next_result(&desk_sub).await;
    assert_eq!(seen_by_desk["data"]["commentAdded"]["body"], "Held, then approved");
    assert_eq!(seen_by_desk["data"]["commentAdded"]["authorEmail"], "reader@example.org");
    assert_eq!(desk.next_result(&desk_sub).await["data"]["commentAdded"]["body"], "From the desk");

    // Approving it again announces nothing new.
    app.query_as(&editor, MODERATE, json!({ "id": held["id"], "s": "APPROVED" })).await;
    app.query_as(&editor, ADD, json!({ "a": story_id, "b": "Last word" })).await;
    assert_eq!(reader.next_result(&reader_sub).await["data"]["commentAdded"]["body"], "Last word");
}
on_both!(comments_reach_subscribers_when_they_become_visible);

async fn a_comment_approved_while_its_article_is_offline_reaches_editors_only(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    let story_id = encode(Kind::Article, story.id);
    let (_, editor) = app.staff(Role::Editor).await;
    let at = app.serve().await;
    let mut reader = Client::connect(at, LEGACY, json!({})).await;
    reader.subscribe(COMMENT_ADDED, json!({ "a": story_id })).await;
    let mut desk = Client::connect(at, LEGACY, json!({ "Authorization": format!("Bearer {editor}") })).await;
    let desk_sub = desk.subscribe(COMMENT_ADDED, json!({ "a": story_id })).await;
    app.until_subscribed(2).await;

    let held = app.post_from("203.0.113.1", None, ADD, json!({ "a": story_id, "b": "Approved offline" })).await;
    let held_id = held.assert_ok()["addComment"]["id"].clone();
    let step = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
    app.query_as(&editor, step, json!({ "id": story_id })).await;
    app.query_as(&editor, MODERATE, json!({ "id": held_id, "s": "APPROVED" })).await;
    assert_eq!(desk.next_result(&desk_sub).await["data"]["commentAdded"]["body"], "Approved offline");
    reader.expect_silence(Duration::from_millis(500)).await;
}
on_both!(a_comment_approved_while_its_article_is_offline_reaches_editors_only);

async fn publications_reach_subscribers_of_their_section_and_above(app: TestApp) {
    let news = fixtures::section(&app.db, "news", "News", None).await;
    let politics = fixtures::section(&app.db, "politics", "Politics", Some(&news)).await;
    let sport = fixtures::section(&app.db, "sport", "Sport", None).await;
    let match_report = fixtures::article(&app.db, ArticleSpec::draft("match-report", &sport)).await;
    let vote = fixtures::article(&app.db, ArticleSpec::draft("the-vote", &politics)).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let at = app.serve().await;

    let mut news_desk = Client::connect(at, LEGACY, json!({})).await;
    let news_sub = news_desk.subscribe(ARTICLE_PUBLISHED, json!({ "s": "news" })).await;
    let mut everything = Client::connect(at, MODERN, json!({})).await;
    let all_sub = everything.subscribe(ARTICLE_PUBLISHED, json!({})).await;
    app.until_subscribed(2).await;

    let publish = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
    app.query_as(&editor, publish, json!({ "id": encode(Kind::Article, match_report.id) })).await;
    app.query_as(&editor, publish, json!({ "id": encode(Kind::Article, vote.id) })).await;
    // Published by the scheduler, as the server's background task does.
    let due = ArticleSpec {
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_at: Some(ago(1)),
        ..ArticleSpec::published("morning-briefing", &news, ago(1))
    };
    fixtures::article(&app.db, due).await;
    let published = newsroom::domain::workflow::publish_due(&app.db, newsroom::domain::now(), &app.pipeline).await;
    assert_eq!(published.unwrap().len(), 1);

    let seen = |payload: Value| payload["data"]["articlePublished"].clone();
    assert_eq!(
        seen(news_desk.next_result(&news_sub).await),
        json!({ "slug": "the-vote", "status": "PUBLISHED", "section": { "slug": "politics" } })
    );
    assert_eq!(seen(news_desk.next_result(&news_sub).await)["slug"], "morning-briefing");
    for slug in ["match-report", "the-vote", "morning-briefing"] {
        assert_eq!(seen(everything.next_result(&all_sub).await)["slug"], slug);
    }
}
on_both!(publications_reach_subscribers_of_their_section_and_above);

async fn bad_subscriptions_are_refused_clearly(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let draft = fixtures::article(&app.db, ArticleSpec::draft("secret", &section)).await;
    let draft_id = encode(Kind::Article, draft.id);
    let at = app.serve().await;
    let too_deep = format!(
        "subscription {{ articlePublished {{ section {{ {} slug {} }} }} }}",
        "parent { ".repeat(10),
        "} ".repeat(10)
    );

    for protocol in [MODERN, LEGACY] {
        let mut reader = Client::connect(at, protocol, json!(null)).await;
        // Refused before it ran (`false`): graphql-transport-ws's `error` message. Ran and
        // failed to start its events (`true`): a result with the error, then `complete`.
        let cases = [
            (COMMENT_ADDED, json!({ "a": draft_id }), "NOT_FOUND", true),
            (COMMENT_ADDED, json!({ "a": "not-an-id" }), "BAD_USER_INPUT", true),
            (ARTICLE_PUBLISHED, json!({ "s": "no-such-section" }), "BAD_USER_INPUT", true),
            ("{ sections { slug } }", json!({}), "BAD_USER_INPUT", false),
            ("subscription { articlePublished { nope } }", json!({}), "GRAPHQL_VALIDATION_FAILED", false),
            ("subscription { articlePublished { slug }", json!({}), "GRAPHQL_PARSE_FAILED", false),
            (too_deep.as_str(), json!({}), "QUERY_TOO_COMPLEX", false),
        ];
        for (query, variables, code, ran) in cases {
            let id = reader.subscribe(query, variables).await;
            let errors = if ran {
                let payload = reader.next_result(&id).await;
                assert_eq!(payload["data"], Value::Null, "{payload}");
                reader.expect_complete(&id).await;
                payload["errors"].clone()
            } else {
                reader.refusal(&id).await
            };
            let payload = json!({ "errors": errors });
            assert_eq!(error_codes(&payload), [code], "{protocol} {query}: {payload}");
            if code == "QUERY_TOO_COMPLEX" {
                let message = payload["errors"][0]["message"].as_str().unwrap_or_default();
                assert_eq!(message, "the query nests 13 levels deep; at most 12 are allowed (NEWSROOM_MAX_DEPTH)");
            }
            for error in errors.as_array().unwrap() {
                for location in error["locations"].as_array().into_iter().flatten() {
                    assert!(location["line"].as_u64() >= Some(1), "locations count from 1: {error}");
                    assert!(location["column"].as_u64() >= Some(1), "locations count from 1: {error}");
                }
            }
        }
        // The refused operations are over: the connection goes on serving others.
        let id = reader.subscribe(ARTICLE_PUBLISHED, json!({})).await;
        reader.expect_silence(Duration::from_millis(300)).await;
        reader.send(json!({ "id": id, "type": if protocol == MODERN { "complete" } else { "stop" } })).await;
        if protocol == LEGACY {
            reader.expect_complete(&id).await;
        }
    }

    // A token that does not verify ends the connection before anything runs.
    let (_, refused) = Client::open(at, MODERN, json!({ "token": "forged.token.value" })).await;
    match refused {
        Some(Message::Close(Some(frame))) => {
            assert!(frame.reason.contains("token"), "{}", frame.reason);
            assert_eq!(u16::from(frame.code), 4403, "graphql-transport-ws: 4403 Forbidden");
        }
        other => panic!("expected the connection to close, got {other:?}"),
    }
    let (mut legacy, refused) = Client::open(at, LEGACY, json!({ "token": "forged.token.value" })).await;
    let refused: Value = serde_json::from_str(refused.expect("an answer").to_text().unwrap()).unwrap();
    assert_eq!(refused["type"], "connection_error", "{refused}");
    match legacy.receive().await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(u16::from(frame.code), 1011, "as the protocol's reference server")
        }
        other => panic!("expected the connection to close with a close frame, got {other:?}"),
    }

    // Subscriptions sent as plain HTTP say where to go.
    let answer = app.post(None, ARTICLE_PUBLISHED, json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"]);
    assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("/graphql/ws"));
}
on_both!(bad_subscriptions_are_refused_clearly);

async fn a_subscriber_that_falls_behind_is_told_and_dropped(app: TestApp) {
    let at = app.serve().await;
    let mut slow = Client::connect(at, MODERN, json!({})).await;
    let id = slow.subscribe(ARTICLE_PUBLISHED, json!({})).await;
    app.until_subscribed(1).await;

    // Far more events at once than the bus keeps for a subscriber, faster than it can
    // look each one up.
    let backlog = newsroom::domain::pipeline::Pipeline::BACKLOG as i64;
    for n in 0..backlog * 3 {
        let published = Event::ArticlePublished { article_id: 1_000_000 + n, section_id: 1 };
        app.pipeline.publish(Change::default().with_event(published));
    }
    let payload = slow.next_result(&id).await;
    assert_eq!(error_codes(&payload), ["SUBSCRIPTION_DROPPED"], "{payload}");
    slow.expect_complete(&id).await;
    assert_eq!(app.pipeline.subscribers(), 0, "its place on the bus is freed");
}
on_both!(a_subscriber_that_falls_behind_is_told_and_dropped);

const ARTICLE_UPDATED: &str = "subscription($id: ID!) { articleUpdated(id: $id) { headline corrections { text } } }";

/// A reader with the page open hears of each edit and correction of that article, and of
/// nothing while it is hidden from them.
async fn readers_with_an_article_open_hear_of_its_changes(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    let other = fixtures::article(&app.db, ArticleSpec::published("other", &section, ago(60))).await;
    let draft = fixtures::article(&app.db, ArticleSpec::draft("draft", &section)).await;
    let (story_id, other_id) = (encode(Kind::Article, story.id), encode(Kind::Article, other.id));
    let (_, editor) = app.staff(Role::Editor).await;
    let at = app.serve().await;
    let mut reader = Client::connect(at, MODERN, json!({})).await;
    let refused = reader.subscribe(ARTICLE_UPDATED, json!({ "id": encode(Kind::Article, draft.id) })).await;
    let payload = reader.next_result(&refused).await;
    assert_eq!(error_codes(&payload), ["NOT_FOUND"], "a draft is not open: {payload}");
    reader.expect_complete(&refused).await;
    let open = reader.subscribe(ARTICLE_UPDATED, json!({ "id": story_id })).await;
    app.until_subscribed(1).await;

    let edit = "mutation($id: ID!, $h: String!) { updateArticle(id: $id, input: { headline: $h }) { id } }";
    app.query_as(&editor, edit, json!({ "id": other_id, "h": "Another story" })).await;
    app.query_as(&editor, edit, json!({ "id": story_id, "h": "Story, updated" })).await;
    assert_eq!(
        reader.next_result(&open).await,
        json!({ "data": { "articleUpdated": { "headline": "Story, updated", "corrections": [] } } }),
        "the other article's edit is not sent"
    );
    let correct =
        r#"mutation($a: ID!) { addCorrection(articleId: $a, kind: CORRECTION, text: "A date was wrong.") { id } }"#;
    app.query_as(&editor, correct, json!({ "a": story_id })).await;
    let corrected = reader.next_result(&open).await;
    assert_eq!(corrected["data"]["articleUpdated"]["corrections"], json!([{ "text": "A date was wrong." }]));

    // Unpublished, it is edited unseen; published again, readers hear of it.
    let unpublish = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
    app.query_as(&editor, unpublish, json!({ "id": story_id })).await;
    app.query_as(&editor, edit, json!({ "id": story_id, "h": "Story, withdrawn" })).await;
    reader.expect_silence(Duration::from_millis(300)).await;
    app.query_as(&editor, "mutation($id: ID!) { publishArticle(id: $id) { status } }", json!({ "id": story_id })).await;
    let back = reader.next_result(&open).await;
    assert_eq!(back["data"]["articleUpdated"]["headline"], "Story, withdrawn");
}
on_both!(readers_with_an_article_open_hear_of_its_changes);
