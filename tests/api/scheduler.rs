//! Scheduled publishing: due articles go live within two seconds, also those whose time
//! passed while no server ran, and exactly once when several instances share a database.

use std::time::{Duration, Instant};

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago, now};
use chrono::Utc;
use entity::article::ArticleStatus;
use newsroom::domain::workflow;
use serde_json::{Value, json};

fn scheduled<'a>(slug: &str, section: &'a entity::section::Model, at: chrono::DateTime<Utc>) -> ArticleSpec<'a> {
    ArticleSpec {
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_at: Some(at),
        ..ArticleSpec::published(slug, section, now())
    }
}

const BY_SLUG: &str = "query($s: String!) { article(slug: $s) { status publishedAt scheduledAt } }";

async fn due_articles_are_published_and_others_wait(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let due_at = ago(90);
    fixtures::article(&app.db, scheduled("missed-while-down", &section, due_at)).await;
    fixtures::article(&app.db, scheduled("later", &section, now() + chrono::Duration::hours(2))).await;

    assert_eq!(app.query(BY_SLUG, json!({ "s": "missed-while-down" })).await["article"], Value::Null);
    let published = workflow::publish_due(&app.db, newsroom::domain::now(), &app.pipeline).await.unwrap();
    assert_eq!(published.len(), 1);
    let live = app.query(BY_SLUG, json!({ "s": "missed-while-down" })).await;
    let expected_time = due_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(live["article"], json!({ "status": "PUBLISHED", "publishedAt": expected_time, "scheduledAt": null }));
    assert_eq!(app.query(BY_SLUG, json!({ "s": "later" })).await["article"], Value::Null);
    assert!(
        workflow::publish_due(&app.db, newsroom::domain::now(), &app.pipeline).await.unwrap().is_empty(),
        "nothing twice"
    );
}
on_both!(due_articles_are_published_and_others_wait);

async fn two_instances_publish_each_article_once(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    for n in 0..30 {
        fixtures::article(&app.db, scheduled(&format!("due-{n}"), &section, ago(1))).await;
    }
    // A second server instance: its own connection pool on the same database.
    let other = newsroom::db::connect(&app.config.database_url, 4).await.unwrap();
    let at = newsroom::domain::now();
    let (first, second) = tokio::join!(
        workflow::publish_due(&app.db, at, &app.pipeline),
        workflow::publish_due(&other, at, &app.pipeline)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let mut all: Vec<i64> = first.iter().chain(second.iter()).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        first.len() + second.len(),
        30,
        "each article published exactly once ({} + {})",
        first.len(),
        second.len()
    );
    assert_eq!(all.len(), 30);
    let count = app.query("{ articles(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(count["articles"]["totalCount"], 30);
}
on_both!(two_instances_publish_each_article_once);

async fn the_background_task_publishes_within_two_seconds(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let (_, editor) = app.staff(entity::user::Role::Editor).await;
    let created = app
        .query_as(
            &editor,
            r#"mutation($s: ID!) { createArticle(input: { headline: "On time", bodyMarkdown: "Text.", sectionId: $s }) { id slug } }"#,
            json!({ "s": newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Section, section.id).as_str() }),
        )
        .await;
    let id = created["createArticle"]["id"].clone();
    let publish_at = Utc::now() + chrono::Duration::milliseconds(1500);
    let schedule = "mutation($id: ID!, $at: DateTime!) { scheduleArticle(id: $id, publishAt: $at) { status } }";
    let at = publish_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        app.query_as(&editor, schedule, json!({ "id": id, "at": at })).await["scheduleArticle"]["status"],
        "SCHEDULED"
    );

    let task = tokio::spawn(newsroom::scheduler::run(app.db.clone(), app.pipeline.clone(), newsroom::scheduler::EVERY));
    let started = Instant::now();
    let went_live = loop {
        if app.query(BY_SLUG, json!({ "s": "on-time" })).await["article"]["status"] == "PUBLISHED" {
            break Utc::now();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the article was never published");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    task.abort();
    let late = went_live - publish_at;
    assert!(late < chrono::Duration::seconds(2), "published {late} after its time");
    assert!(late > chrono::Duration::zero(), "published before its time");
}
on_both!(the_background_task_publishes_within_two_seconds);
