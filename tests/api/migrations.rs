//! Migrations that fill a new table from content stored before it, and a database of the
//! previous release upgraded in place.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use entity::{article, comment, comment::CommentStatus};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// A comment written straight to the table, as a server without stored counts did.
async fn stored(
    app: &TestApp,
    on: &article::Model,
    parent: Option<&comment::Model>,
    status: CommentStatus,
) -> comment::Model {
    comment::ActiveModel {
        article_id: Set(on.id),
        parent_id: Set(parent.map(|p| p.id)),
        user_id: Set(None),
        author_name: Set("Reader".into()),
        author_email: Set(None),
        body: Set(format!("A comment, {status:?}.")),
        status: Set(status),
        client_hash: Set(None),
        created_at: Set(ago(30)),
        moderated_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("insert comment")
}

async fn comment_counts_are_filled_from_stored_comments(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let story = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    // Back to before the stored counts (and the migrations that came after them).
    let after = Migrator::migrations().iter().rev().position(|m| m.name() == "m20261127_000005_comment_tallies");
    let steps = after.expect("the stored counts' migration") as u32 + 1;
    Migrator::down(&app.db, Some(steps)).await.expect("roll back the stored counts");

    let first = stored(&app, &story, None, CommentStatus::Approved).await;
    stored(&app, &story, None, CommentStatus::Approved).await;
    let held = stored(&app, &story, None, CommentStatus::Pending).await;
    stored(&app, &story, Some(&first), CommentStatus::Approved).await;
    stored(&app, &story, Some(&first), CommentStatus::Rejected).await;
    // Hidden: its parent is not approved.
    stored(&app, &story, Some(&held), CommentStatus::Approved).await;

    Migrator::up(&app.db, None).await.expect("migrate");
    let data = app
        .query(
            r#"{ article(slug: "story") { commentCount comments(first: 10) { totalCount nodes { replyCount } } } }"#,
            json!({}),
        )
        .await;
    let article = &data["article"];
    assert_eq!(article["commentCount"], 3, "{data}");
    assert_eq!(article["comments"]["totalCount"], 2, "{data}");
    assert_eq!(article["comments"]["nodes"], json!([{ "replyCount": 1 }, { "replyCount": 0 }]), "{data}");
}
on_both!(comment_counts_are_filled_from_stored_comments);

/// A database written by the release before the news desk upgrades in place: its
/// articles become free news with writers' bylines, no embargo and no log.
async fn a_database_of_the_previous_release_upgrades_in_place(app: TestApp) {
    let first_new = Migrator::migrations().iter().rev().position(|m| m.name() == "m20261202_000001_article_labels");
    let steps = first_new.expect("the news desk's first migration") as u32 + 1;
    Migrator::down(&app.db, Some(steps)).await.expect("roll back to the previous release's schema");
    // Rows as that release wrote them, with its columns only.
    for statement in [
        "INSERT INTO sections (id, slug, name, position, created_at, updated_at)
         VALUES (1, 'world', 'World', 0, '2026-11-30 09:00:00+00:00', '2026-11-30 09:00:00+00:00')",
        "INSERT INTO authors (id, slug, name, created_at) VALUES (1, 'ines-cole', 'Ines Cole', '2026-11-30 09:00:00+00:00')",
        "INSERT INTO articles (id, slug, headline, body_markdown, status, section_id, comments_open, created_at,
           updated_at, published_at)
         VALUES (1, 'old-story', 'Old Story', 'Written before.', 'PUBLISHED', 1, TRUE, '2026-11-30 09:00:00+00:00',
           '2026-11-30 10:00:00+00:00', '2026-11-30 10:00:00+00:00')",
        "INSERT INTO article_authors (article_id, author_id, position) VALUES (1, 1, 0)",
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, statement).await.expect(statement);
    }
    Migrator::up(&app.db, None).await.expect("migrate");
    let data = app
        .query(
            r#"{ article(slug: "old-story") { kind kicker access teaserBlocks accessible embargoUntil
                 authors { name } bylines { role author { name } } corrections { id } related { slug }
                 bodyMarkdown } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["article"],
        json!({ "kind": "NEWS", "kicker": null, "access": "FREE", "teaserBlocks": null, "accessible": true,
            "embargoUntil": null, "authors": [{ "name": "Ines Cole" }],
            "bylines": [{ "role": "WRITER", "author": { "name": "Ines Cole" } }], "corrections": [], "related": [],
            "bodyMarkdown": "Written before." })
    );
    let (_, admin) = app.staff(entity::user::Role::Admin).await;
    assert_eq!(app.query_as(&admin, "{ auditLog { totalCount } }", json!({})).await["auditLog"]["totalCount"], 0);
}
on_both!(a_database_of_the_previous_release_upgrades_in_place);
