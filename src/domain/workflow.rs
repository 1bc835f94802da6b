//! The publishing workflow as a state machine:
//!
//! ```text
//! DRAFT -> IN_REVIEW -> PUBLISHED -> ARCHIVED
//!    \         \-> SCHEDULED -> PUBLISHED
//!     \-> PUBLISHED / SCHEDULED          (editors may skip the review)
//! PUBLISHED, SCHEDULED, ARCHIVED -> DRAFT (unpublish)
//! ```
//!
//! Contributors submit their own drafts for review; everything else is for editors and
//! admins. `publishedAt` is set at the first publication and kept from then on.

use chrono::{DateTime, Utc};
use entity::article::{self, ArticleStatus};
use entity::user::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::audit::{self, quoted};
use super::changes::{self, Event};
use super::editorial::status_name;
use super::global_id::Kind;
use super::pipeline::Pipeline;
use super::{Error, Result, Viewer, articles};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    SubmitForReview,
    Publish,
    Schedule(DateTime<Utc>),
    Unpublish,
    Archive,
}

impl Move {
    /// The mutation that makes this move, as the audit log names it.
    fn action(self) -> &'static str {
        match self {
            Move::SubmitForReview => "submitArticleForReview",
            Move::Publish => "publishArticle",
            Move::Schedule(_) => "scheduleArticle",
            Move::Unpublish => "unpublishArticle",
            Move::Archive => "archiveArticle",
        }
    }

    fn done(self) -> String {
        match self {
            Move::SubmitForReview => "submitted for review".into(),
            Move::Publish => "published".into(),
            Move::Schedule(at) => format!("scheduled for {}", at.to_rfc3339()),
            Move::Unpublish => "unpublished".into(),
            Move::Archive => "archived".into(),
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Move::SubmitForReview => "submit for review",
            Move::Publish => "publish",
            Move::Schedule(_) => "schedule",
            Move::Unpublish => "unpublish",
            Move::Archive => "archive",
        }
    }
}

/// The status an article in `current` reaches by `step`, or why it cannot.
pub fn next_status(current: ArticleStatus, step: Move) -> Result<ArticleStatus> {
    use ArticleStatus::*;
    let next = match (step, current) {
        (Move::SubmitForReview, Draft) => InReview,
        (Move::Publish, Draft | InReview | Scheduled) => Published,
        (Move::Schedule(_), Draft | InReview | Scheduled) => Scheduled,
        (Move::Unpublish, Published | Scheduled | Archived) => Draft,
        (Move::Archive, Published) => Archived,
        _ => {
            return Err(Error::bad_input(
                "id",
                format!("cannot {} an article that is {}", step.verb(), status_name(current)),
            ));
        }
    };
    Ok(next)
}

/// Refuses a time for an article to go live that comes before its embargo lifts.
pub fn after_embargo(embargo_until: Option<DateTime<Utc>>, live_at: DateTime<Utc>) -> Result<()> {
    match embargo_until {
        Some(until) if live_at < until => Err(Error::bad_input(
            "embargoUntil",
            format!("the article is embargoed until {}; it cannot go live before then", until.to_rfc3339()),
        )),
        _ => Ok(()),
    }
}

/// Moves article `id` one step along the workflow.
pub async fn advance(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    step: Move,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    let now = super::now();
    match step {
        Move::SubmitForReview => viewer.require(Role::Contributor, "submit articles for review")?,
        _ => viewer.require(Role::Editor, &format!("{} articles", step.verb()))?,
    }
    if let Move::Schedule(at) = step
        && at <= now
    {
        return Err(Error::bad_input("publishAt", "must be in the future"));
    }
    let txn = super::begin_write(db).await?;
    let found = article::Entity::find_by_id(id).one(&txn).await?;
    let article = found
        .filter(|a| super::articles::is_visible(viewer, a, now))
        .ok_or_else(|| Error::NotFound("article".into()))?;
    if !viewer.is_editor() && (article.created_by.is_none() || article.created_by != viewer.user_id()) {
        return Err(Error::Forbidden("contributors may submit only their own drafts".into()));
    }
    let status = next_status(article.status, step)?;
    match step {
        Move::Publish => after_embargo(article.embargo_until, now)?,
        Move::Schedule(at) => after_embargo(article.embargo_until, at)?,
        Move::SubmitForReview | Move::Unpublish | Move::Archive => {}
    }
    let before = articles::listing(&txn, &article).await?;
    let mut row: article::ActiveModel = article.clone().into();
    row.status = Set(status);
    row.updated_at = Set(now);
    match step {
        Move::Publish => {
            row.published_at = Set(Some(article.published_at.unwrap_or(now)));
            row.scheduled_at = Set(None);
        }
        Move::Schedule(at) => row.scheduled_at = Set(Some(at)),
        Move::Unpublish => row.scheduled_at = Set(None),
        Move::SubmitForReview | Move::Archive => {}
    }
    let moved = row.update(&txn).await?;
    let after = articles::listing(&txn, &moved).await?;
    audit::record(
        &txn,
        viewer,
        step.action(),
        Some((Kind::Article, id)),
        format!("{} {}", step.done(), quoted(&moved.headline)),
    )
    .await?;
    let mut change = changes::article_written(moved.id, Some(&before), Some(&after));
    if status == ArticleStatus::Published {
        change = change.with_event(Event::ArticlePublished { article_id: moved.id, section_id: moved.section_id });
    }
    super::commit(txn, change, pipeline).await?;
    Ok(moved)
}

/// Publishes every SCHEDULED article whose time has come, and answers the ids this call
/// published. Each article is switched by a conditional update that only one caller can
/// win, so several server instances sharing one database publish it exactly once. Its
/// `publishedAt` is the time it was scheduled for (or its first publication's).
pub async fn publish_due(db: &DatabaseConnection, now: DateTime<Utc>, pipeline: &Pipeline) -> Result<Vec<i64>> {
    let due: Vec<article::Model> = article::Entity::find()
        .filter(article::Column::Status.eq(ArticleStatus::Scheduled))
        .filter(article::Column::ScheduledAt.lte(now))
        .all(db)
        .await?;
    let mut published = Vec::new();
    for article in due {
        let at = article.published_at.or(article.scheduled_at).unwrap_or(now);
        let txn = super::begin_write(db).await?;
        let switched = article::Entity::update_many()
            .col_expr(article::Column::Status, Expr::value(ArticleStatus::Published))
            .col_expr(article::Column::PublishedAt, Expr::value(Some(at)))
            .col_expr(article::Column::ScheduledAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(article::Column::UpdatedAt, Expr::value(now))
            .filter(article::Column::Id.eq(article.id))
            .filter(article::Column::Status.eq(ArticleStatus::Scheduled))
            .exec(&txn)
            .await?;
        if switched.rows_affected != 1 {
            continue;
        }
        let live = article::Model {
            status: ArticleStatus::Published,
            published_at: Some(at),
            scheduled_at: None,
            updated_at: now,
            ..article
        };
        let listing = articles::listing(&txn, &live).await?;
        let unseen = changes::Listing { readable: false, ..listing.clone() };
        let change = changes::article_written(live.id, Some(&unseen), Some(&listing))
            .with_event(Event::ArticlePublished { article_id: live.id, section_id: live.section_id });
        super::commit(txn, change, pipeline).await?;
        published.push(live.id);
    }
    Ok(published)
}

/// The changes of the published articles that readers see from some moment in
/// `(after, until]` on, with no write at that moment: their embargo lifted, or their
/// publication time came. (Scheduled articles are published by [`publish_due`]; these are
/// published articles whose embargo an editor set, articles published with a time still to
/// come, as seen by a server whose clock runs behind the one that published them, or
/// imported ones.) An embargo lifting is announced as the article going live. Each server
/// notices them on its own; a change that no write announced carries a key naming it, so
/// that webhooks hear of it once.
pub async fn came_into_view_between(
    db: &DatabaseConnection,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<changes::Noticed>> {
    let in_window = |column: article::Column| Condition::all().add(column.gt(after)).add(column.lte(until));
    let arrived = article::Entity::find()
        .filter(articles::visible_to(&Viewer::Anonymous, until))
        .filter(
            Condition::any().add(in_window(article::Column::PublishedAt)).add(in_window(article::Column::EmbargoUntil)),
        )
        .all(db)
        .await?;
    let mut noticed = Vec::new();
    for article in arrived {
        let listing = articles::listing(db, &article).await?;
        let unseen = changes::Listing { readable: false, ..listing.clone() };
        let mut change = changes::article_written(article.id, Some(&unseen), Some(&listing));
        let lifted = article.embargo_until.filter(|lifted| *lifted > after);
        if lifted.is_some() {
            change =
                change.with_event(Event::ArticlePublished { article_id: article.id, section_id: article.section_id });
        }
        // The moment it came into view; when its last write was then or later, that write
        // announced it.
        let moment = lifted.into_iter().chain(article.published_at).filter(|at| *at > after).max();
        let key = moment
            .filter(|moment| *moment > article.updated_at)
            .map(|moment| format!("came-into-view:article-{}:{}", article.id, moment.timestamp_micros()));
        noticed.push(changes::Noticed { key, change });
    }
    Ok(noticed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    #[test]
    fn the_workflow_allows_these_moves_only() {
        let later = Utc::now() + chrono::Duration::hours(1);
        let allowed = [
            (Draft, Move::SubmitForReview, InReview),
            (Draft, Move::Publish, Published),
            (InReview, Move::Publish, Published),
            (Scheduled, Move::Publish, Published),
            (Draft, Move::Schedule(later), Scheduled),
            (InReview, Move::Schedule(later), Scheduled),
            (Scheduled, Move::Schedule(later), Scheduled),
            (Published, Move::Unpublish, Draft),
            (Scheduled, Move::Unpublish, Draft),
            (Archived, Move::Unpublish, Draft),
            (Published, Move::Archive, Archived),
        ];
        let all = [Draft, InReview, Scheduled, Published, Archived];
        let moves = [Move::SubmitForReview, Move::Publish, Move::Schedule(later), Move::Unpublish, Move::Archive];
        for from in all {
            for step in moves {
                let expected = allowed.iter().find(|(f, m, _)| *f == from && *m == step).map(|(_, _, to)| *to);
                match (next_status(from, step), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(Error::BadInput { message, .. }), None) => {
                        assert!(message.contains(status_name(from)), "{message}")
                    }
                    (got, want) => panic!("{from:?} {step:?}: got {got:?}, expected {want:?}"),
                }
            }
        }
    }
}
