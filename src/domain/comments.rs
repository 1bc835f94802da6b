//! Reading comments: approved threads for everyone, the moderation queue for editors.
//!
//! Readers see a comment when it is approved and, for a reply, when its parent is
//! approved too: rejecting a comment hides the replies hanging under it.

use std::collections::HashMap;

use entity::comment::{self, CommentStatus};
use sea_orm::sea_query::{Expr, IntoColumnRef, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Select};

use super::pagination::{
    Keyset, Page, SortKey, SortValue, TotalCount, Window, count_each_group, fetch_page, first_of_each_group,
};
use super::{Error, Result, Viewer, articles};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CommentOrder {
    #[default]
    OldestFirst,
    NewestFirst,
}

/// A list of comments under one parent: the top of an article's thread, or the replies
/// to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Thread {
    TopLevel { article: i64, order: CommentOrder },
    Replies { parent: i64 },
}

/// What a count of approved comments covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tally {
    /// Every visible comment on an article, replies included.
    Article(i64),
    /// The visible top-level comments of an article.
    TopLevel(i64),
    /// The visible replies to a comment.
    Replies(i64),
}

impl Tally {
    fn id(self) -> i64 {
        let (Tally::Article(id) | Tally::TopLevel(id) | Tally::Replies(id)) = self;
        id
    }
}

fn keyset(list: &'static str, descending: bool) -> Keyset {
    Keyset {
        list,
        key: SortKey::Time(Expr::col((comment::Entity, comment::Column::CreatedAt))),
        id: Expr::col((comment::Entity, comment::Column::Id)),
        descending,
    }
}

impl Thread {
    fn keyset(self) -> Keyset {
        match self {
            Thread::TopLevel { order: CommentOrder::OldestFirst, .. } => keyset("comments:oldest", false),
            Thread::TopLevel { order: CommentOrder::NewestFirst, .. } => keyset("comments:newest", true),
            Thread::Replies { .. } => keyset("replies", false),
        }
    }

    fn parent_id(self) -> i64 {
        match self {
            Thread::TopLevel { article, .. } => article,
            Thread::Replies { parent } => parent,
        }
    }

    /// The column that ties a comment to this thread's parent.
    fn group_column(self) -> comment::Column {
        match self {
            Thread::TopLevel { .. } => comment::Column::ArticleId,
            Thread::Replies { .. } => comment::Column::ParentId,
        }
    }

    /// Visible comments of threads of this kind whose parent is one of `parents`.
    fn query(self, parents: &[i64]) -> Select<comment::Entity> {
        match self {
            Thread::TopLevel { .. } => top_level_of(parents),
            Thread::Replies { .. } => replies_to(parents),
        }
    }

    pub fn page(self, rows: Vec<comment::Model>, limit: u64, total: TotalCount) -> Page<comment::Model> {
        self.keyset().first_page(rows, limit, total, key)
    }
}

fn key(c: &comment::Model) -> (SortValue, i64) {
    (SortValue::Time(c.created_at), c.id)
}

/// Approved comments that are top-level or reply to an approved comment.
fn visible() -> Select<comment::Entity> {
    let approved_parents = Query::select()
        .column(comment::Column::Id)
        .from(comment::Entity)
        .and_where(comment::Column::Status.eq(CommentStatus::Approved))
        .to_owned();
    comment::Entity::find().filter(comment::Column::Status.eq(CommentStatus::Approved)).filter(
        Condition::any()
            .add(comment::Column::ParentId.is_null())
            .add(comment::Column::ParentId.in_subquery(approved_parents)),
    )
}

fn top_level_of(articles: &[i64]) -> Select<comment::Entity> {
    visible()
        .filter(comment::Column::ArticleId.is_in(articles.iter().copied()))
        .filter(comment::Column::ParentId.is_null())
}

fn replies_to(parents: &[i64]) -> Select<comment::Entity> {
    visible().filter(comment::Column::ParentId.is_in(parents.iter().copied()))
}

/// One page of a thread. `total` is the thread's size, which callers usually have from a
/// batch already.
pub async fn page(
    db: &DatabaseConnection,
    thread: Thread,
    window: &Window,
    total: TotalCount,
) -> Result<Page<comment::Model>> {
    fetch_page(db, thread.query(&[thread.parent_id()]), &thread.keyset(), window, total, key).await
}

/// The first `limit + 1` visible comments of many threads of one kind, in one query.
pub async fn first_of_threads(
    db: &DatabaseConnection,
    threads: &[Thread],
    limit: u64,
) -> Result<HashMap<Thread, Vec<comment::Model>>> {
    let Some(first) = threads.first() else {
        return Ok(HashMap::new());
    };
    let parents: Vec<i64> = threads.iter().map(|t| t.parent_id()).collect();
    let group = (comment::Entity, first.group_column()).into_column_ref();
    let mut rows = first_of_each_group(db, first.query(&parents), group, &parents, &first.keyset(), limit, key).await?;
    Ok(threads.iter().map(|t| (*t, rows.remove(&t.parent_id()).unwrap_or_default())).collect())
}

/// Counts of visible comments, for tallies of one kind.
pub async fn tally(db: &DatabaseConnection, tallies: &[Tally]) -> Result<HashMap<Tally, i64>> {
    let Some(first) = tallies.first() else {
        return Ok(HashMap::new());
    };
    let ids: Vec<i64> = tallies.iter().map(|t| t.id()).collect();
    let (query, column) = match first {
        Tally::Article(_) => (visible().filter(comment::Column::ArticleId.is_in(ids)), comment::Column::ArticleId),
        Tally::TopLevel(_) => (top_level_of(&ids), comment::Column::ArticleId),
        Tally::Replies(_) => (replies_to(&ids), comment::Column::ParentId),
    };
    let counts = count_each_group(db, query, (comment::Entity, column).into_column_ref()).await?;
    Ok(tallies.iter().map(|t| (*t, counts.get(&t.id()).copied().unwrap_or(0))).collect())
}

/// Comments awaiting a decision (or of another status), oldest first. Editors and up.
pub async fn moderation_queue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    status: CommentStatus,
    window: &Window,
) -> Result<Page<comment::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated("the moderation queue is for signed-in editors".into()));
    }
    if !viewer.is_editor() {
        return Err(Error::Forbidden("the moderation queue is for editors and admins".into()));
    }
    let query = comment::Entity::find().filter(comment::Column::Status.eq(status));
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset("queue", false), window, total, key).await
}

/// A comment the viewer may see: editors see every comment; others visible comments on
/// articles they may see.
pub async fn find(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> Result<Option<comment::Model>> {
    if viewer.is_editor() {
        return Ok(comment::Entity::find_by_id(id).one(db).await?);
    }
    let Some(found) = visible().filter(comment::Column::Id.eq(id)).one(db).await? else {
        return Ok(None);
    };
    let article_visible = articles::find_by_id(db, viewer, found.article_id).await?.is_some();
    Ok(article_visible.then_some(found))
}

/// Whether a reader may see this comment as the parent of a visible reply.
pub fn parent_visible_to(viewer: &Viewer, parent: &comment::Model) -> bool {
    viewer.is_editor() || parent.status == CommentStatus::Approved
}

/// A plain-text comment body as safe HTML: everything escaped, blank lines separate
/// paragraphs, single line breaks stay.
pub fn body_html(body: &str) -> String {
    let normalized = body.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape::encode_safe(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn comment_bodies_are_escaped_into_paragraphs() {
        assert_eq!(
            super::body_html("Hello <script>alert(1)</script>\nsecond line\n\n\"Next\" & last"),
            "<p>Hello &lt;script&gt;alert(1)&lt;&#x2F;script&gt;<br>second line</p><p>&quot;Next&quot; &amp; last</p>"
        );
    }
}
