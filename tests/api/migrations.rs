//! Migrations that fill a new table from content stored before it.

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
