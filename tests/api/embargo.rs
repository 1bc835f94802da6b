//! Embargoes: an article under embargo is hidden from every public path whatever its
//! status, staff and preview links still see it, it cannot be published or scheduled
//! before the embargo lifts, and readers (and their cached answers) see it once it has.

use chrono::{Duration, SecondsFormat, Utc};
use entity::article;
use entity::user::Role;
use newsroom::domain::workflow;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::fixtures::ago;
use crate::common::ws::{Client, MODERN};
use crate::editorial::{create_article, create_author, create_section, id_of, publish, update_article};

const SCHEDULE: &str = "mutation($id: ID!, $at: DateTime!) { scheduleArticle(id: $id, publishAt: $at) { status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
const ARTICLE_PUBLISHED: &str = "subscription { articlePublished { slug } }";

fn at(offset: Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array().unwrap_or_else(|| panic!("not a list: {list}")).iter().filter_map(|n| n["slug"].as_str()).collect()
}

/// The public paths on which an anonymous reader finds the article `leak`.
async fn where_readers_find_it(app: &TestApp, id: &str) -> Vec<&'static str> {
    let page = app
        .query(
            r#"query($id: ID!) {
                 article(slug: "budget-leak") { slug commentCount }
                 articles { nodes { slug } }
                 searchArticles(query: "zucchini") { nodes { slug } }
                 node(id: $id) { id }
                 reaction: article(slug: "budget-reaction") { related { slug } }
                 section(slug: "politics") { articles { totalCount nodes { slug } } }
                 author(slug: "ines-cole") { articles { totalCount nodes { slug } } }
                 tag(slug: "budget") { articles { totalCount nodes { slug } } }
               }"#,
            json!({ "id": id }),
        )
        .await;
    let found = [
        ("article", !page["article"].is_null()),
        ("articles", slugs(&page["articles"]["nodes"]).contains(&"budget-leak")),
        ("searchArticles", slugs(&page["searchArticles"]["nodes"]).contains(&"budget-leak")),
        ("node", !page["node"].is_null()),
        ("related", slugs(&page["reaction"]["related"]).contains(&"budget-leak")),
        ("section", slugs(&page["section"]["articles"]["nodes"]).contains(&"budget-leak")),
        ("author", slugs(&page["author"]["articles"]["nodes"]).contains(&"budget-leak")),
        ("tag", slugs(&page["tag"]["articles"]["nodes"]).contains(&"budget-leak")),
    ];
    // The counts follow the lists.
    let listed = found.iter().filter(|(path, _)| ["section", "author", "tag"].contains(path)).all(|(_, seen)| *seen);
    let total = page["tag"]["articles"]["totalCount"].as_i64().unwrap();
    assert_eq!(total, if listed { 2 } else { 1 }, "the tag's count: {page}");
    found.into_iter().filter(|(_, seen)| *seen).map(|(path, _)| path).collect()
}

const EVERY_PATH: [&str; 8] = ["article", "articles", "searchArticles", "node", "related", "section", "author", "tag"];

async fn an_embargoed_article_is_hidden_from_every_public_path(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "politics", None).await;
    let author = create_author(&app, &editor, "Ines Cole").await;
    let reaction = json!({ "headline": "Budget Reaction", "bodyMarkdown": "Reactions.", "sectionId": section,
        "tags": ["Budget"] });
    let reaction = create_article(&app, &editor, reaction).await;
    publish(&app, &editor, &id_of(&reaction)).await;
    let leak = json!({ "headline": "Budget Leak", "bodyMarkdown": "A zucchini subsidy.", "sectionId": section,
        "tags": ["Budget"], "authorIds": [author] });
    let leak = create_article(&app, &editor, leak).await;
    let id = id_of(&leak);
    publish(&app, &editor, &id).await;
    assert_eq!(where_readers_find_it(&app, &id).await, EVERY_PATH, "published, readers find it everywhere");
    assert_eq!(where_readers_find_it(&app, &id).await, EVERY_PATH, "and again, from the cache");

    // Published already, then put under embargo: readers lose it on every path at once.
    let until = at(Duration::hours(2));
    update_article(&app, &editor, &id, json!({ "embargoUntil": until })).await.assert_ok();
    assert_eq!(where_readers_find_it(&app, &id).await, Vec::<&str>::new(), "hidden, cached answers included");
    let refused = app.post(None, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(refused.body["data"]["node"], Value::Null);

    // Staff see it with its embargo; a preview link still shows it.
    let desk = app.query_as(&editor, r#"{ article(slug: "budget-leak") { status embargoUntil } }"#, json!({})).await;
    assert_eq!(desk["article"], json!({ "status": "PUBLISHED", "embargoUntil": until }));
    let link = app
        .query_as(&editor, "mutation($a: ID!) { createPreviewLink(articleId: $a) { token } }", json!({ "a": id }))
        .await;
    let preview = app
        .query(
            r#"query($t: String!) { article(slug: "budget-leak", previewToken: $t) { slug embargoUntil } }"#,
            json!({ "t": link["createPreviewLink"]["token"] }),
        )
        .await;
    assert_eq!(
        preview["article"],
        json!({ "slug": "budget-leak", "embargoUntil": null }),
        "readers never see the time"
    );

    // A reader's comment, and a subscription to its comments, find no such article.
    let comment = app
        .post(
            None,
            r#"mutation($a: ID!) { addComment(input: { articleId: $a, authorName: "R", body: "Early" }) { id } }"#,
            json!({ "a": id }),
        )
        .await;
    assert_eq!(comment.codes(), ["NOT_FOUND"], "{}", comment.body);

    // When the embargo lifts, readers see it again, and subscribers hear that it went live.
    let server = app.serve().await;
    let mut subscriber = Client::connect(server, MODERN, json!({})).await;
    let subscription = subscriber.subscribe(ARTICLE_PUBLISHED, json!({})).await;
    app.until_subscribed(1).await;
    let row = article::Entity::find().all(&app.db).await.unwrap().into_iter().find(|a| a.slug == "budget-leak");
    let mut row: article::ActiveModel = row.unwrap().into();
    row.embargo_until = Set(Some(ago(1)));
    row.update(&app.db).await.unwrap();
    let noticed = workflow::came_into_view_between(&app.db, ago(2), newsroom::domain::now()).await.unwrap();
    app.pipeline.publish(noticed.into_iter().fold(Default::default(), |all, noticed| all.and(noticed.change)));
    assert_eq!(
        subscriber.next_result(&subscription).await,
        json!({ "data": { "articlePublished": { "slug": "budget-leak" } } })
    );
    assert_eq!(where_readers_find_it(&app, &id).await, EVERY_PATH, "the embargo lifted; no cached answer hides it");
}
on_both!(an_embargoed_article_is_hidden_from_every_public_path);

async fn nothing_goes_live_before_its_embargo(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "politics", None).await;
    let field = |answer: &crate::common::Answer| answer.body["errors"][0]["extensions"]["field"].clone();

    let past = app
        .post(
            Some(&editor),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
            json!({ "input": { "headline": "Late", "bodyMarkdown": "x", "sectionId": section,
                "embargoUntil": at(-Duration::minutes(1)) } }),
        )
        .await;
    assert_eq!(past.codes(), ["BAD_USER_INPUT"], "{}", past.body);
    assert_eq!(field(&past), "embargoUntil");

    let until = at(Duration::hours(2));
    let input = json!({ "headline": "Budget Leak", "bodyMarkdown": "x", "sectionId": section, "embargoUntil": until });
    let article = create_article(&app, &editor, input).await;
    let id = id_of(&article);
    let early = app.post(Some(&editor), PUBLISH, json!({ "id": id })).await;
    assert_eq!(early.codes(), ["BAD_USER_INPUT"], "{}", early.body);
    assert_eq!(field(&early), "embargoUntil");
    let early = app.post(Some(&editor), SCHEDULE, json!({ "id": id, "at": at(Duration::hours(1)) })).await;
    assert_eq!(early.codes(), ["BAD_USER_INPUT"], "{}", early.body);
    assert_eq!(field(&early), "embargoUntil");
    let status = r#"{ articles { nodes { status embargoUntil } } }"#;
    assert_eq!(
        app.query_as(&editor, status, json!({})).await["articles"]["nodes"],
        json!([{ "status": "DRAFT", "embargoUntil": until }]),
        "nothing changed"
    );

    // Scheduled for when it lifts: fine. Moving the embargo past that time is refused.
    let scheduled = app.post(Some(&editor), SCHEDULE, json!({ "id": id, "at": until })).await;
    assert_eq!(scheduled.assert_ok()["scheduleArticle"]["status"], "SCHEDULED");
    let later = update_article(&app, &editor, &id, json!({ "embargoUntil": at(Duration::hours(3)) })).await;
    assert_eq!(later.codes(), ["BAD_USER_INPUT"], "{}", later.body);
    assert_eq!(field(&later), "embargoUntil");
    let past = update_article(&app, &editor, &id, json!({ "embargoUntil": at(-Duration::hours(1)) })).await;
    assert_eq!(field(&past), "embargoUntil");
    assert_eq!(
        app.query_as(&editor, status, json!({})).await["articles"]["nodes"],
        json!([{ "status": "SCHEDULED", "embargoUntil": until }])
    );

    // Lifted by an editor (null), it may go live now.
    update_article(&app, &editor, &id, json!({ "embargoUntil": null })).await.assert_ok();
    let published = app.post(Some(&editor), PUBLISH, json!({ "id": id })).await;
    assert_eq!(published.assert_ok()["publishArticle"]["status"], "PUBLISHED");
    let public = app.query(r#"{ article(slug: "budget-leak") { slug embargoUntil } }"#, json!({})).await;
    assert_eq!(public["article"], json!({ "slug": "budget-leak", "embargoUntil": null }));
}
on_both!(nothing_goes_live_before_its_embargo);

/// A contributor sees the embargo of an article of their own, as staff; a reader's
/// query for it finds nothing, and scheduled articles under embargo stay hidden even when
/// the scheduler publishes them.
async fn the_scheduler_does_not_publish_past_an_embargo(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "politics", None).await;
    let input = json!({ "headline": "Budget Leak", "bodyMarkdown": "x", "sectionId": section });
    let id = id_of(&create_article(&app, &editor, input).await);
    app.post(Some(&editor), SCHEDULE, json!({ "id": id, "at": at(Duration::hours(1)) })).await.assert_ok();
    // Its time comes (as if the clock had moved on) while an embargo, set in the database
    // behind the API's back, still holds: the one visibility rule keeps it from readers.
    let row = article::Entity::find().one(&app.db).await.unwrap().unwrap();
    let mut row: article::ActiveModel = row.into();
    row.scheduled_at = Set(Some(ago(1)));
    row.embargo_until = Set(Some(Utc::now() + Duration::hours(1)));
    row.update(&app.db).await.unwrap();
    let published = workflow::publish_due(&app.db, newsroom::domain::now(), &app.pipeline).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(app.query(r#"{ article(slug: "budget-leak") { slug } }"#, json!({})).await["article"], Value::Null);
    assert_eq!(app.query("{ articles { totalCount } }", json!({})).await["articles"]["totalCount"], 0);
}
on_both!(the_scheduler_does_not_publish_past_an_embargo);
