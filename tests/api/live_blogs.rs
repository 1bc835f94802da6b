//! Live blogs: entries added, edited and deleted on LIVE articles appear pinned first,
//! then newest first, cached answers included; `since` gives what changed and
//! `deletedLiveEntryIds` what went; who may write; bad input refused with the field named
//! and nothing written; ended coverage; hidden articles hide their entries; subscribers
//! hear of each change; and a page of entries costs the same statements for 25 entries
//! as for 5,000.

use std::time::Duration;

use crate::common::fixtures::{self, ago};
use crate::common::ws::{Client, MODERN};
use crate::common::{Answer, TestApp};
use crate::editorial::{create_article, create_section, id_of, publish, update_article};
use entity::user::Role;
use entity::{author, live_entry, live_entry_author};
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set, TransactionTrait};
use serde_json::{Value, json};

const ADD: &str = "mutation($a: ID!, $input: LiveEntryInput!) {
  addLiveEntry(articleId: $a, input: $input) { id headline pinned createdAt updatedAt authors { slug } }
}";
const UPDATE: &str = "mutation($id: ID!, $input: LiveEntryInput!) {
  updateLiveEntry(id: $id, input: $input) { id headline bodyMarkdown pinned updatedAt authors { slug } }
}";
const DELETE: &str = "mutation($id: ID!) { deleteLiveEntry(id: $id) }";
const END: &str = "mutation($a: ID!) { endLiveCoverage(articleId: $a) { coverageEndedAt updatedAt } }";
const BLOG: &str = "query($s: String!) { article(slug: $s) {
  updatedAt coverageEndedAt
  liveEntries { totalCount nodes { id headline pinned bodyHtml authors { slug } } }
} }";
const CHANGED: &str = "query($s: String!, $since: DateTime!, $first: Int, $after: String) { article(slug: $s) {
  liveEntries(since: $since, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id headline updatedAt }
  }
  deletedLiveEntryIds(since: $since)
} }";

fn field_of(answer: &Answer) -> &Value {
    &answer.body["errors"][0]["extensions"]["field"]
}

#[track_caller]
fn assert_bad_input(answer: &Answer, field: &str) {
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "expected a refusal naming {field}: {}", answer.body);
    assert_eq!(field_of(answer), field, "{}", answer.body);
}

/// A published LIVE article with `slug`; answers its id.
async fn live_blog(app: &TestApp, editor: &str, slug: &str, bylines: Value) -> String {
    let section = create_section(app, editor, &format!("{slug}-desk"), None).await;
    let input = json!({
        "headline": format!("Live: {slug}"), "slug": slug, "bodyMarkdown": "Follow it here.",
        "sectionId": section, "kind": "LIVE", "bylines": bylines,
    });
    let id = id_of(&create_article(app, editor, input).await);
    publish(app, editor, &id).await;
    id
}

async fn add(app: &TestApp, token: &str, article: &str, input: Value) -> Value {
    app.query_as(token, ADD, json!({ "a": article, "input": input })).await["addLiveEntry"].clone()
}

/// The headlines of the blog as an anonymous reader sees it, in order, and its size.
async fn headlines(app: &TestApp, slug: &str) -> (Vec<Value>, Value) {
    let blog = app.query(BLOG, json!({ "s": slug })).await;
    let entries = &blog["article"]["liveEntries"];
    let headlines = entries["nodes"].as_array().unwrap().iter().map(|n| n["headline"].clone()).collect();
    (headlines, entries["totalCount"].clone())
}

async fn entries_in_the_database(app: &TestApp) -> u64 {
    live_entry::Entity::find().count(&app.db).await.unwrap()
}

async fn entries_appear_pinned_first_then_newest(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let author = fixtures::author(&app.db, "mira-hale", "Mira Hale").await;
    let blog = live_blog(&app, &editor, "summit", json!([])).await;
    let (empty, total) = headlines(&app, "summit").await;
    assert_eq!((empty, total), (vec![], json!(0)), "an empty blog, kept by the cache");

    let arrivals = add(
        &app,
        &editor,
        &blog,
        json!({ "headline": " Arrivals ", "bodyMarkdown": "Leaders *arrive*.", "authorIds": [encode(Kind::Author, author.id)] }),
    )
    .await;
    assert_eq!(arrivals["headline"], "Arrivals");
    assert_eq!(arrivals["pinned"], false);
    assert_eq!(arrivals["authors"], json!([{ "slug": "mira-hale" }]));
    let page = app.query(BLOG, json!({ "s": "summit" })).await;
    let entry = &page["article"]["liveEntries"]["nodes"][0];
    assert_eq!(entry["bodyHtml"], "<p>Leaders <em>arrive</em>.</p>\n", "{page}");
    assert_eq!(page["article"]["updatedAt"], arrivals["createdAt"], "the blog is as new as its latest entry");

    add(&app, &editor, &blog, json!({ "headline": "Key points", "bodyMarkdown": "- one\n- two", "pinned": true }))
        .await;
    let talks = add(&app, &editor, &blog, json!({ "bodyMarkdown": "Talks go on." })).await;
    assert_eq!(headlines(&app, "summit").await, (vec![json!("Key points"), json!(null), json!("Arrivals")], json!(3)));

    // Pinned later: it joins the pinned entries, in order of creation.
    let edited = app
        .query_as(
            &editor,
            UPDATE,
            json!({ "id": arrivals["id"], "input": { "headline": "Arrivals, pinned", "bodyMarkdown": "Leaders arrived.", "pinned": true } }),
        )
        .await;
    assert_eq!(edited["updateLiveEntry"]["authors"], json!([{ "slug": "mira-hale" }]), "authors left out stay");
    assert_ne!(edited["updateLiveEntry"]["updatedAt"], arrivals["updatedAt"]);
    assert_eq!(
        headlines(&app, "summit").await,
        (vec![json!("Key points"), json!("Arrivals, pinned"), json!(null)], json!(3))
    );
    // Left out, `pinned` stays; the headline is replaced.
    let kept = app
        .query_as(&editor, UPDATE, json!({ "id": arrivals["id"], "input": { "bodyMarkdown": "Leaders arrived." } }))
        .await;
    assert_eq!(kept["updateLiveEntry"]["pinned"], true);
    assert_eq!(kept["updateLiveEntry"]["headline"], Value::Null);

    assert_eq!(app.query_as(&editor, DELETE, json!({ "id": talks["id"] })).await["deleteLiveEntry"], true);
    assert_eq!(headlines(&app, "summit").await, (vec![json!("Key points"), json!(null)], json!(2)));
    let again = app.post(Some(&editor), DELETE, json!({ "id": talks["id"] })).await;
    assert_eq!(again.codes(), ["NOT_FOUND"], "{}", again.body);
    let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": talks["id"] })).await;
    assert_eq!(node["node"], Value::Null, "a deleted entry is gone");
    let node = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on LiveEntry { pinned article { slug } } } }",
            json!({ "id": arrivals["id"] }),
        )
        .await;
    assert_eq!(node["node"], json!({ "pinned": true, "article": { "slug": "summit" } }));
}
on_both!(entries_appear_pinned_first_then_newest);

async fn pages_and_changes_since_a_time(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let blog = live_blog(&app, &editor, "election-night", json!([])).await;
    let mut added = Vec::new();
    for (n, pinned) in [false, true, false, true, false, false].into_iter().enumerate() {
        let input = json!({ "headline": format!("Entry {n}"), "bodyMarkdown": "Counting.", "pinned": pinned });
        added.push(add(&app, &editor, &blog, input).await);
    }
    // Page by page, two at a time, across the pinned entries into the others.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .query(
                "query($after: String) { article(slug: \"election-night\") { liveEntries(first: 2, after: $after) {
                  pageInfo { hasNextPage endCursor } nodes { headline } } } }",
                json!({ "after": after }),
            )
            .await;
        let entries = &page["article"]["liveEntries"];
        seen.extend(entries["nodes"].as_array().unwrap().iter().map(|n| n["headline"].as_str().unwrap().to_owned()));
        if entries["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = entries["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["Entry 3", "Entry 1", "Entry 5", "Entry 4", "Entry 2", "Entry 0"]);

    let since = added[5]["updatedAt"].clone();
    let nothing = app.query(CHANGED, json!({ "s": "election-night", "since": since })).await;
    assert_eq!(nothing["article"]["liveEntries"]["nodes"], json!([]), "nothing changed after the last entry");
    assert_eq!(nothing["article"]["deletedLiveEntryIds"], json!([]));

    let input = json!({ "headline": "Entry 0, corrected", "bodyMarkdown": "Recounted." });
    app.query_as(&editor, UPDATE, json!({ "id": added[0]["id"], "input": input })).await;
    app.query_as(&editor, DELETE, json!({ "id": added[2]["id"] })).await;
    let late = add(&app, &editor, &blog, json!({ "headline": "Entry 6", "bodyMarkdown": "Result." })).await;

    let changed = app.query(CHANGED, json!({ "s": "election-night", "since": since })).await;
    let entries = &changed["article"]["liveEntries"];
    let headlines: Vec<&str> =
        entries["nodes"].as_array().unwrap().iter().map(|n| n["headline"].as_str().unwrap()).collect();
    assert_eq!(headlines, ["Entry 0, corrected", "Entry 6"], "oldest change first; the deleted one left out");
    assert_eq!(entries["totalCount"], 2);
    assert_eq!(changed["article"]["deletedLiveEntryIds"], json!([added[2]["id"]]));

    // One at a time, the same.
    let first = app.query(CHANGED, json!({ "s": "election-night", "since": since, "first": 1 })).await;
    let page = &first["article"]["liveEntries"];
    assert_eq!(page["nodes"][0]["headline"], "Entry 0, corrected");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].clone();
    let second = app.query(CHANGED, json!({ "s": "election-night", "since": since, "first": 1, "after": after })).await;
    assert_eq!(second["article"]["liveEntries"]["nodes"][0]["id"], late["id"]);
    assert_eq!(second["article"]["liveEntries"]["pageInfo"]["hasNextPage"], false);

    // The last change seen is the next poll's `since`: nothing new.
    let next = app.query(CHANGED, json!({ "s": "election-night", "since": late["updatedAt"] })).await;
    assert_eq!(next["article"]["liveEntries"]["totalCount"], 0);
    assert_eq!(next["article"]["deletedLiveEntryIds"], json!([]));
    // A cursor of the other ordering is refused.
    let refused = app
        .post(
            None,
            "query($after: String) { article(slug: \"election-night\") { liveEntries(after: $after) { nodes { id } } } }",
            json!({ "after": after }),
        )
        .await;
    assert_bad_input(&refused, "after");
}
on_both!(pages_and_changes_since_a_time);

/// Links `author` to the account `user`, as an admin does for a staff writer.
async fn link(app: &TestApp, author: &author::Model, user: &entity::user::Model) {
    let mut row = author.clone().into_active_model();
    row.user_id = Set(Some(user.id));
    row.update(&app.db).await.unwrap();
}

async fn who_may_write_a_live_blog(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, admin) = app.staff(Role::Admin).await;
    let (stranger, stranger_token) = app.staff(Role::Contributor).await;
    let (reporter, reporter_token) = app.staff(Role::Contributor).await;
    let own = fixtures::author(&app.db, "rosa-field", "Rosa Field").await;
    link(&app, &own, &reporter).await;
    let other = fixtures::author(&app.db, "ivo-stone", "Ivo Stone").await;
    link(&app, &other, &stranger).await;
    let bylines = json!([{ "authorId": encode(Kind::Author, own.id), "role": "WRITER" }]);
    let blog = live_blog(&app, &editor, "floods", bylines).await;
    let entry = add(&app, &editor, &blog, json!({ "bodyMarkdown": "Water rising." })).await;

    let callers = [
        ("anonymous", None, Some("UNAUTHENTICATED")),
        ("a contributor not on the byline", Some(stranger_token.as_str()), Some("FORBIDDEN")),
        ("a contributor on the byline", Some(reporter_token.as_str()), None),
        ("an editor", Some(editor.as_str()), None),
        ("an admin", Some(admin.as_str()), None),
    ];
    for (who, token, refused) in callers {
        let before = entries_in_the_database(&app).await;
        let added = app.post(token, ADD, json!({ "a": blog, "input": { "bodyMarkdown": format!("By {who}.") } })).await;
        let updated = app.post(token, UPDATE, json!({ "id": entry["id"], "input": { "bodyMarkdown": who } })).await;
        let extra = add(&app, &editor, &blog, json!({ "bodyMarkdown": "To delete." })).await;
        let deleted = app.post(token, DELETE, json!({ "id": extra["id"] })).await;
        match refused {
            Some(code) => {
                for answer in [&added, &updated, &deleted] {
                    assert_eq!(answer.codes(), [code], "{who}: {}", answer.body);
                }
                assert_eq!(entries_in_the_database(&app).await, before + 1, "{who}: only the editor's entry");
            }
            None => {
                let added = added.assert_ok();
                if who.contains("contributor") {
                    let slugs = &added["addLiveEntry"]["authors"];
                    assert_eq!(slugs, &json!([{ "slug": "rosa-field" }]), "their own author by default");
                }
                assert_eq!(updated.assert_ok()["updateLiveEntry"]["bodyMarkdown"], who);
                assert_eq!(deleted.assert_ok()["deleteLiveEntry"], true);
            }
        }
    }
    // Ending the coverage: the same people.
    for (token, code) in [(None, "UNAUTHENTICATED"), (Some(stranger_token.as_str()), "FORBIDDEN")] {
        assert_eq!(app.post(token, END, json!({ "a": blog })).await.codes(), [code]);
    }
    let ended = app.query_as(&reporter_token, END, json!({ "a": blog })).await;
    assert!(ended["endLiveCoverage"]["coverageEndedAt"].is_string(), "{ended}");
    // The audit log names who did what.
    let log = app.query_as(&admin, "{ auditLog(first: 100) { nodes { action } } }", json!({})).await;
    let actions: Vec<&str> =
        log["auditLog"]["nodes"].as_array().unwrap().iter().map(|n| n["action"].as_str().unwrap()).collect();
    for action in ["addLiveEntry", "updateLiveEntry", "deleteLiveEntry", "endLiveCoverage"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}
on_both!(who_may_write_a_live_blog);

async fn bad_input_is_refused_and_nothing_written(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let author = fixtures::author(&app.db, "mira-hale", "Mira Hale").await;
    let blog = live_blog(&app, &editor, "summit", json!([])).await;
    let author_id = encode(Kind::Author, author.id);
    let cases = [
        ("headline", json!({ "headline": "h".repeat(301), "bodyMarkdown": "x" })),
        ("bodyMarkdown", json!({ "bodyMarkdown": "  \n " })),
        ("bodyMarkdown", json!({ "bodyMarkdown": "x".repeat(200 * 1024 + 1) })),
        ("authorIds", json!({ "bodyMarkdown": "x", "authorIds": [author_id, author_id] })),
        ("authorIds", json!({ "bodyMarkdown": "x", "authorIds": [encode(Kind::Author, author.id + 1000)] })),
        ("authorIds", json!({ "bodyMarkdown": "x", "authorIds": [blog] })),
        ("authorIds", json!({ "bodyMarkdown": "x", "authorIds": ["not an id"] })),
    ];
    for (field, input) in &cases {
        let refused = app.post(Some(&editor), ADD, json!({ "a": blog, "input": input })).await;
        assert_bad_input(&refused, field);
    }
    assert_eq!(entries_in_the_database(&app).await, 0, "nothing was written");

    let entry = add(&app, &editor, &blog, json!({ "headline": "Kept", "bodyMarkdown": "Kept." })).await;
    for (field, input) in &cases {
        let refused = app.post(Some(&editor), UPDATE, json!({ "id": entry["id"], "input": input })).await;
        assert_bad_input(&refused, field);
    }
    let (kept, _) = headlines(&app, "summit").await;
    assert_eq!(kept, [json!("Kept")], "the entry is as it was");
    let bad_id = app.post(Some(&editor), UPDATE, json!({ "id": blog, "input": { "bodyMarkdown": "x" } })).await;
    assert_bad_input(&bad_id, "id");

    // Not on other kinds of article: their blogs are empty.
    let section = create_section(&app, &editor, "news", None).await;
    let news =
        create_article(&app, &editor, json!({ "headline": "Plain", "bodyMarkdown": "x", "sectionId": section })).await;
    let refused = app.post(Some(&editor), ADD, json!({ "a": news["id"], "input": { "bodyMarkdown": "x" } })).await;
    assert_bad_input(&refused, "articleId");
    assert_bad_input(&app.post(Some(&editor), END, json!({ "a": news["id"] })).await, "articleId");
    let plain = app.query_as(&editor, BLOG, json!({ "s": "plain" })).await;
    assert_eq!(plain["article"]["liveEntries"], json!({ "totalCount": 0, "nodes": [] }));
    // An entry of an article that stopped being LIVE is not shown either.
    update_article(&app, &editor, &blog, json!({ "kind": "NEWS" })).await.assert_ok();
    assert_eq!(headlines(&app, "summit").await, (vec![], json!(0)));
    let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": entry["id"] })).await;
    assert_eq!(node["node"], Value::Null);
    let refused = app.post(Some(&editor), UPDATE, json!({ "id": entry["id"], "input": { "bodyMarkdown": "x" } })).await;
    assert_bad_input(&refused, "id");
    update_article(&app, &editor, &blog, json!({ "kind": "LIVE" })).await.assert_ok();

    // Ended coverage takes no new entries, and ends once; its entries can still be put right.
    let ended = app.query_as(&editor, END, json!({ "a": blog })).await["endLiveCoverage"].clone();
    let page = app.query(BLOG, json!({ "s": "summit" })).await;
    assert_eq!(page["article"]["coverageEndedAt"], ended["coverageEndedAt"]);
    let late = app.post(Some(&editor), ADD, json!({ "a": blog, "input": { "bodyMarkdown": "Too late." } })).await;
    assert_bad_input(&late, "articleId");
    assert!(late.body["errors"][0]["message"].as_str().unwrap().contains("ended"), "{}", late.body);
    let twice = app.post(Some(&editor), END, json!({ "a": blog })).await;
    assert_bad_input(&twice, "articleId");
    assert!(twice.body["errors"][0]["message"].as_str().unwrap().contains("ended already"), "{}", twice.body);
    let fixed =
        app.query_as(&editor, UPDATE, json!({ "id": entry["id"], "input": { "bodyMarkdown": "Fixed." } })).await;
    assert_eq!(fixed["updateLiveEntry"]["bodyMarkdown"], "Fixed.");
    assert_eq!(entries_in_the_database(&app).await, 1);
}
on_both!(bad_input_is_refused_and_nothing_written);

async fn hidden_articles_hide_their_entries(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let input =
        json!({ "headline": "Live: Vote", "slug": "vote", "bodyMarkdown": "x", "sectionId": section, "kind": "LIVE" });
    let draft = id_of(&create_article(&app, &editor, input).await);
    let entry = add(&app, &editor, &draft, json!({ "headline": "Early", "bodyMarkdown": "Polls open." })).await;
    let node = "query($id: ID!) { node(id: $id) { ... on LiveEntry { headline } } }";
    assert_eq!(app.query(node, json!({ "id": entry["id"] })).await["node"], Value::Null, "a draft's entry");
    assert_eq!(app.query_as(&editor, node, json!({ "id": entry["id"] })).await["node"]["headline"], "Early");

    publish(&app, &editor, &draft).await;
    assert_eq!(app.query(node, json!({ "id": entry["id"] })).await["node"]["headline"], "Early", "published");
    let until = (fixtures::now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    update_article(&app, &editor, &draft, json!({ "embargoUntil": until })).await.assert_ok();
    assert_eq!(app.query(node, json!({ "id": entry["id"] })).await["node"], Value::Null, "under embargo");
    assert_eq!(app.query(BLOG, json!({ "s": "vote" })).await["article"], Value::Null);
    let staff = app.query_as(&editor, BLOG, json!({ "s": "vote" })).await;
    assert_eq!(staff["article"]["liveEntries"]["totalCount"], 1, "staff see it with its embargo");
}
on_both!(hidden_articles_hide_their_entries);

const LIVE_UPDATED: &str = "subscription($a: ID!) {
  liveBlogUpdated(articleId: $a) { change entryId entry { headline pinned authors { slug } } }
}";

async fn subscribers_hear_of_each_change(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let author = fixtures::author(&app.db, "mira-hale", "Mira Hale").await;
    let blog = live_blog(&app, &editor, "summit", json!([])).await;
    let other = live_blog(&app, &editor, "elsewhere", json!([])).await;
    let at = app.serve().await;
    let mut reader = Client::connect(at, MODERN, json!({})).await;
    let subscription = reader.subscribe(LIVE_UPDATED, json!({ "a": blog })).await;
    app.until_subscribed(1).await;

    add(&app, &editor, &other, json!({ "bodyMarkdown": "Not this blog." })).await;
    let input = json!({ "headline": "Arrivals", "bodyMarkdown": "x", "authorIds": [encode(Kind::Author, author.id)] });
    let entry = add(&app, &editor, &blog, input).await;
    let heard = reader.next_result(&subscription).await;
    assert_eq!(
        heard,
        json!({ "data": { "liveBlogUpdated": { "change": "ADDED", "entryId": entry["id"],
            "entry": { "headline": "Arrivals", "pinned": false, "authors": [{ "slug": "mira-hale" }] } } } })
    );
    let input = json!({ "headline": "Arrivals, pinned", "bodyMarkdown": "x", "pinned": true });
    app.query_as(&editor, UPDATE, json!({ "id": entry["id"], "input": input })).await;
    let heard = reader.next_result(&subscription).await;
    assert_eq!(heard["data"]["liveBlogUpdated"]["change"], "UPDATED", "{heard}");
    assert_eq!(heard["data"]["liveBlogUpdated"]["entry"]["headline"], "Arrivals, pinned");
    app.query_as(&editor, DELETE, json!({ "id": entry["id"] })).await;
    let heard = reader.next_result(&subscription).await;
    assert_eq!(
        heard,
        json!({ "data": { "liveBlogUpdated": { "change": "DELETED", "entryId": entry["id"], "entry": null } } })
    );

    // Taken offline, the blog tells readers nothing more.
    app.query_as(&editor, "mutation($id: ID!) { unpublishArticle(id: $id) { status } }", json!({ "id": blog })).await;
    add(&app, &editor, &blog, json!({ "bodyMarkdown": "Offline." })).await;
    reader.expect_silence(Duration::from_millis(500)).await;
}
on_both!(subscribers_hear_of_each_change);

const BLOG_PAGE: &str = r#"query($s: String!) { article(slug: $s) {
  headline coverageEndedAt
  liveEntries(first: 20) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      id headline pinned createdAt updatedAt bodyHtml authors { name slug }
      blocks { __typename ... on ImageBlock { url image { id credit { creditLine } } } ... on ParagraphBlock { html } }
    }
  }
} }"#;

/// A published LIVE article with 25 entries, two of them pinned, each with two authors
/// and a stored image in its body; answers its id.
async fn blog_with_entries(app: &TestApp, slug: &str) -> i64 {
    let db = &app.db;
    let section = fixtures::section(db, &format!("{slug}-desk"), "Desk", None).await;
    let image = fixtures::image(db, Some("Ana Ruiz"), Some("AFP"), None, None).await;
    let writers = [
        fixtures::author(db, &format!("{slug}-one"), "Mira Hale").await,
        fixtures::author(db, &format!("{slug}-two"), "Tomas Berg").await,
    ];
    let article = fixtures::article(
        db,
        fixtures::ArticleSpec {
            authors: writers.iter().collect(),
            ..fixtures::ArticleSpec::published(slug, &section, ago(600))
        },
    )
    .await;
    let mut row = article.clone().into_active_model();
    row.kind = Set(entity::article::ArticleKind::Live);
    row.update(db).await.unwrap();
    let body =
        format!("A paragraph.\n\n![Scene](image:{})\n\nAnother paragraph.", encode(Kind::Image, image.id).as_str());
    for n in 0..25 {
        let at = ago(300 - n);
        let entry = live_entry::ActiveModel {
            article_id: Set(article.id),
            headline: Set(Some(format!("Entry {n}"))),
            body_markdown: Set(body.clone()),
            pinned: Set(n % 12 == 5),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        for (position, writer) in writers.iter().enumerate() {
            live_entry_author::ActiveModel {
                entry_id: Set(entry.id),
                author_id: Set(writer.id),
                position: Set(position as i32),
            }
            .insert(db)
            .await
            .unwrap();
        }
    }
    article.id
}

/// Older entries, `count` of them, written in one transaction, 500 rows a statement.
async fn older_entries(app: &TestApp, article: i64, count: i64) {
    let txn = app.db.begin().await.unwrap();
    let rows: Vec<live_entry::ActiveModel> = (0..count)
        .map(|n| {
            let at = ago(100_000 - n);
            live_entry::ActiveModel {
                article_id: Set(article),
                headline: Set(None),
                body_markdown: Set(format!("Older entry {n}.")),
                pinned: Set(false),
                created_by: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        live_entry::Entity::insert_many(chunk.to_vec()).exec(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
}

async fn a_page_of_entries_runs_a_fixed_number_of_statements(app: TestApp) {
    blog_with_entries(&app, "small").await;
    let large = blog_with_entries(&app, "large").await;
    older_entries(&app, large, 5_000 - 25).await;

    app.count_statements(BLOG_PAGE, json!({ "s": "small" })).await;
    let (small, data) = app.count_statements(BLOG_PAGE, json!({ "s": "small" })).await;
    let entries = &data["article"]["liveEntries"];
    assert_eq!(entries["totalCount"], 25);
    let nodes = entries["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 20);
    assert_eq!((nodes[0]["headline"].clone(), nodes[0]["pinned"].clone()), (json!("Entry 17"), json!(true)));
    assert_eq!(nodes[1]["headline"], "Entry 5");
    assert_eq!(nodes[2]["headline"], "Entry 24", "then the newest");
    assert_eq!(nodes[2]["authors"].as_array().unwrap().len(), 2);
    assert_eq!(nodes[2]["blocks"][1]["image"]["credit"]["creditLine"], "Ana Ruiz/AFP");

    // The article, its images and byline are kept between queries: compare second reads.
    let (many_first, _) = app.count_statements(BLOG_PAGE, json!({ "s": "large" })).await;
    let (many, data) = app.count_statements(BLOG_PAGE, json!({ "s": "large" })).await;
    assert!(many < many_first, "{many} statements read again, {many_first} the first time");
    let entries = &data["article"]["liveEntries"];
    assert_eq!(entries["totalCount"], 5_000);
    assert_eq!(entries["nodes"].as_array().unwrap().len(), 20);
    assert_eq!(entries["nodes"][19]["authors"].as_array().unwrap().len(), 2);
    eprintln!("an article page with its first 20 live entries: {small} statements for 25 entries, {many} for 5,000");
    assert_eq!(small, many, "statements for 25 and for 5,000 entries");
    assert!(small <= 12, "{small} statements");
}
on_both!(a_page_of_entries_runs_a_fixed_number_of_statements);

/// An image shown only in a live entry is the blog's: readers find it by id while the
/// entry shows it, and it cannot be deleted from under the entry.
async fn an_image_in_an_entry_is_in_use(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let blog = live_blog(&app, &editor, "summit", json!([])).await;
    let image = fixtures::image(&app.db, Some("Ana Ruiz"), None, None, None).await;
    let image_id = encode(Kind::Image, image.id);
    let by_id = "query($id: ID!) { node(id: $id) { ... on Image { url } } }";
    assert_eq!(app.query(by_id, json!({ "id": image_id })).await["node"], Value::Null, "shown nowhere yet");
    let body = format!("The family photo.\n\n![Leaders](image:{})", image_id.as_str());
    let entry = add(&app, &editor, &blog, json!({ "bodyMarkdown": body })).await;
    assert_eq!(app.query(by_id, json!({ "id": image_id })).await["node"]["url"], image.url.as_str());
    let delete = "mutation($id: ID!) { deleteImage(id: $id) }";
    let refused = app.post(Some(&editor), delete, json!({ "id": image_id })).await;
    assert_eq!(refused.codes(), ["CONFLICT"], "{}", refused.body);
    app.query_as(&editor, DELETE, json!({ "id": entry["id"] })).await;
    assert_eq!(app.query_as(&editor, delete, json!({ "id": image_id })).await["deleteImage"], true);
}
on_both!(an_image_in_an_entry_is_in_use);

/// Two servers on one PostgreSQL database: an entry written through one reaches a
/// subscriber of the other, and the other's cached blog page shows it within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn an_entry_written_through_one_server_reaches_the_other() {
    let base = TestApp::postgres().await.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built");
    let cached = |config: &mut newsroom::config::Config| config.response_cache_mb = 16;
    let (writer, reader) = (base.reconnected(cached).await, base.reconnected(cached).await);
    let (_, editor) = writer.staff(Role::Editor).await;
    let blog = live_blog(&writer, &editor, "summit", json!([])).await;
    assert_eq!(headlines(&reader, "summit").await, (vec![], json!(0)), "kept by the reader's cache");
    let mut subscriber = Client::connect(reader.serve().await, MODERN, json!({})).await;
    let subscription = subscriber.subscribe(LIVE_UPDATED, json!({ "a": blog })).await;
    reader.until_subscribed(1).await;

    let entry = add(&writer, &editor, &blog, json!({ "headline": "Arrivals", "bodyMarkdown": "x" })).await;
    let heard = subscriber.next_result(&subscription).await;
    assert_eq!(heard["data"]["liveBlogUpdated"]["entryId"], entry["id"], "{heard}");
    let started = std::time::Instant::now();
    while headlines(&reader, "summit").await.1 != json!(1) {
        assert!(started.elapsed() < Duration::from_secs(1), "the reader's cached page did not follow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A reader with the blog open through `articleUpdated` hears of each new entry too, and
/// the page's structured data is a LiveBlogPosting listing the entries and, once it is
/// over, when coverage ended.
async fn the_open_page_and_its_structured_data_follow_the_entries(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let blog = live_blog(&app, &editor, "summit", json!([])).await;
    let at = app.serve().await;
    let mut reader = Client::connect(at, MODERN, json!({})).await;
    let open = reader
        .subscribe(
            "subscription($id: ID!) { articleUpdated(id: $id) { liveEntries { totalCount } } }",
            json!({ "id": blog }),
        )
        .await;
    app.until_subscribed(1).await;
    add(&app, &editor, &blog, json!({ "headline": "Arrivals", "bodyMarkdown": "The first leaders arrive." })).await;
    let heard = reader.next_result(&open).await;
    assert_eq!(heard, json!({ "data": { "articleUpdated": { "liveEntries": { "totalCount": 1 } } } }));

    let data = "query($s: String!) { article(slug: $s) { structuredData } }";
    let live = app.query(data, json!({ "s": "summit" })).await;
    let live = &live["article"]["structuredData"];
    assert_eq!(live["@type"], "LiveBlogPosting");
    assert!(live.get("coverageEndTime").is_none(), "still live: {live}");
    let updates = live["liveBlogUpdate"].as_array().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["@type"], "BlogPosting");
    assert_eq!(updates[0]["headline"], "Arrivals");
    assert_eq!(updates[0]["articleBody"], "The first leaders arrive.");
    chrono::DateTime::parse_from_rfc3339(updates[0]["datePublished"].as_str().unwrap()).unwrap();

    app.query_as(&editor, END, json!({ "a": blog })).await;
    let ended = app.query(data, json!({ "s": "summit" })).await;
    let ended_at = ended["article"]["structuredData"]["coverageEndTime"].as_str().expect("coverage ended");
    chrono::DateTime::parse_from_rfc3339(ended_at).unwrap();
}
on_both!(the_open_page_and_its_structured_data_follow_the_entries);
