//! Reading comments: approved threads for everyone, the moderation queue for editors.

use std::collections::HashMap;

use entity::comment::{self, CommentStatus};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    Statement,
};

use super::pagination::{Cursor, Edge, Keyset, Page, SortKey, TotalCount, Window, fetch_page};
use super::{Error, Result, Viewer, articles};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommentOrder {
    #[default]
    OldestFirst,
    NewestFirst,
}

fn keyset(descending: bool) -> Keyset {
    Keyset {
        key: SortKey::Time(Expr::col((comment::Entity, comment::Column::CreatedAt))),
        id: Expr::col((comment::Entity, comment::Column::Id)),
        descending,
    }
}

fn cursor(c: &comment::Model) -> Cursor {
    Cursor::time(c.created_at, c.id)
}

/// Approved top-level comments of an article.
pub async fn thread(
    db: &DatabaseConnection,
    article_id: i64,
    order: CommentOrder,
    window: &Window,
) -> Result<Page<comment::Model>> {
    let query = comment::Entity::find()
        .filter(comment::Column::ArticleId.eq(article_id))
        .filter(comment::Column::ParentId.is_null())
        .filter(comment::Column::Status.eq(CommentStatus::Approved));
    let total = TotalCount::of(db, query.clone());
    fetch_page(
        db,
        query,
        &keyset(order == CommentOrder::NewestFirst),
        window,
        total,
        cursor,
    )
    .await
}

/// Approved replies to a comment, oldest first. `total` is the approved reply count,
/// which callers usually have from a batch already.
pub async fn replies(
    db: &DatabaseConnection,
    parent_id: i64,
    window: &Window,
    total: TotalCount,
) -> Result<Page<comment::Model>> {
    let query = comment::Entity::find()
        .filter(comment::Column::ParentId.eq(parent_id))
        .filter(comment::Column::Status.eq(CommentStatus::Approved));
    fetch_page(db, query, &keyset(false), window, total, cursor).await
}

/// The first approved replies of many comments in one query: at most `limit + 1` rows
/// each, so a caller can tell whether more follow.
pub async fn first_replies(
    db: &DatabaseConnection,
    parent_ids: &[i64],
    limit: u64,
) -> Result<HashMap<i64, Vec<comment::Model>>> {
    if parent_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let placeholder = |n: usize| match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let ids = (1..=parent_ids.len())
        .map(placeholder)
        .collect::<Vec<_>>()
        .join(", ");
    let status = placeholder(parent_ids.len() + 1);
    let limit_param = placeholder(parent_ids.len() + 2);
    let sql = format!(
        "SELECT * FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.parent_id ORDER BY c.created_at, c.id) AS reply_rank \
         FROM comments c WHERE c.parent_id IN ({ids}) AND c.status = {status}) ranked \
         WHERE reply_rank <= {limit_param} ORDER BY parent_id, reply_rank"
    );
    let mut values: Vec<sea_orm::Value> = parent_ids.iter().map(|id| (*id).into()).collect();
    values.push("APPROVED".into());
    values.push(((limit + 1) as i64).into());
    let rows =
        comment::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(db)
            .await?;
    let mut by_parent: HashMap<i64, Vec<comment::Model>> = HashMap::new();
    for row in rows {
        if let Some(parent) = row.parent_id {
            by_parent.entry(parent).or_default().push(row);
        }
    }
    Ok(by_parent)
}

/// Turns up to `limit + 1` first rows into the first page of a forward window.
pub fn first_page(
    mut rows: Vec<comment::Model>,
    limit: u64,
    total: TotalCount,
) -> Page<comment::Model> {
    let has_next_page = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page {
        edges: rows
            .into_iter()
            .map(|c| Edge {
                cursor: cursor(&c).encode(),
                node: c,
            })
            .collect(),
        has_next_page,
        has_previous_page: false,
        total,
    }
}

/// Counts of approved comments grouped by `group` (the article or the parent comment).
pub async fn approved_counts(
    db: &DatabaseConnection,
    group: comment::Column,
    ids: &[i64],
) -> Result<HashMap<i64, i64>> {
    #[derive(FromQueryResult)]
    struct Count {
        group_id: i64,
        count: i64,
    }
    let rows = comment::Entity::find()
        .select_only()
        .column_as(group, "group_id")
        .column_as(
            Expr::col((comment::Entity, comment::Column::Id)).count(),
            "count",
        )
        .filter(group.is_in(ids.iter().copied()))
        .filter(comment::Column::Status.eq(CommentStatus::Approved))
        .group_by(group)
        .into_model::<Count>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.group_id, r.count)).collect())
}

/// Comments awaiting a decision (or of another status), oldest first. Editors and up.
pub async fn moderation_queue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    status: CommentStatus,
    window: &Window,
) -> Result<Page<comment::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated(
            "the moderation queue is for signed-in editors".into(),
        ));
    }
    if !viewer.is_editor() {
        return Err(Error::Forbidden(
            "the moderation queue is for editors and admins".into(),
        ));
    }
    let query = comment::Entity::find().filter(comment::Column::Status.eq(status));
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset(false), window, total, cursor).await
}

/// A comment the viewer may see: editors see every comment; others approved comments on
/// articles they may see.
pub async fn find(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> Result<Option<comment::Model>> {
    let Some(found) = comment::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if viewer.is_editor() {
        return Ok(Some(found));
    }
    if found.status != CommentStatus::Approved {
        return Ok(None);
    }
    let article_visible = articles::find_by_id(db, viewer, found.article_id)
        .await?
        .is_some();
    Ok(article_visible.then_some(found))
}

/// A plain-text comment body as safe HTML: everything escaped, blank lines separate
/// paragraphs, single line breaks stay.
pub fn body_html(body: &str) -> String {
    let normalized = body.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                html_escape::encode_safe(p).replace('\n', "<br>")
            )
        })
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
