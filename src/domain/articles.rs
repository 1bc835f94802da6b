//! Reading articles: who may see which, filters, orderings and lookups by slug.

use chrono::{DateTime, Utc};
use entity::article::{self, ArticleStatus};
use entity::{article_author, article_slug, article_tag, author, tag};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Select};

use super::pagination::{Cursor, Keyset, Page, SortKey, TotalCount, Window, fetch_page};
use super::sections::SectionTree;
use super::{Error, Result, Viewer};

/// Anonymous readers see published articles whose time has come; contributors also see
/// what they created; editors and admins see everything.
pub fn visible_to(viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    let public = Condition::all()
        .add(article::Column::Status.eq(ArticleStatus::Published))
        .add(article::Column::PublishedAt.lte(now));
    match viewer {
        _ if viewer.is_editor() => Condition::all(),
        Viewer::User { id, .. } => Condition::any()
            .add(public)
            .add(article::Column::CreatedBy.eq(*id)),
        Viewer::Anonymous => public,
    }
}

pub fn is_visible(viewer: &Viewer, article: &article::Model, now: DateTime<Utc>) -> bool {
    let public = article.status == ArticleStatus::Published
        && article.published_at.is_some_and(|at| at <= now);
    public
        || viewer.is_editor()
        || (viewer.user_id().is_some() && article.created_by == viewer.user_id())
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Section slug; subsections are included.
    pub section: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub status: Option<ArticleStatus>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderField {
    #[default]
    PublishedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleOrder {
    pub field: OrderField,
    pub descending: bool,
}

impl Default for ArticleOrder {
    fn default() -> Self {
        ArticleOrder {
            field: OrderField::PublishedAt,
            descending: true,
        }
    }
}

/// The sort key of an article: its publication time, or for one never published its
/// creation time, so drafts sort among published articles without gaps in the keyset.
fn sort_time(article: &article::Model, field: OrderField) -> DateTime<Utc> {
    match field {
        OrderField::PublishedAt => article.published_at.unwrap_or(article.created_at),
        OrderField::UpdatedAt => article.updated_at,
    }
}

fn keyset(order: ArticleOrder) -> Keyset {
    let key = match order.field {
        OrderField::PublishedAt => Func::coalesce([
            Expr::col((article::Entity, article::Column::PublishedAt)),
            Expr::col((article::Entity, article::Column::CreatedAt)),
        ])
        .into(),
        OrderField::UpdatedAt => Expr::col((article::Entity, article::Column::UpdatedAt)),
    };
    Keyset {
        key: SortKey::Time(key),
        id: Expr::col((article::Entity, article::Column::Id)),
        descending: order.descending,
    }
}

/// The filtered query, or `None` when a filter names something that does not exist
/// (so the list is empty).
fn filtered(
    viewer: &Viewer,
    filter: &ArticleFilter,
    sections: &SectionTree,
    now: DateTime<Utc>,
) -> Result<Option<Select<article::Entity>>> {
    let mut query = article::Entity::find().filter(visible_to(viewer, now));
    match filter.status {
        None | Some(ArticleStatus::Published) => {}
        Some(_) if !viewer.is_staff() => {
            return Err(Error::Unauthenticated(
                "filter.status: articles that are not published are for signed-in staff".into(),
            ));
        }
        Some(_) => {}
    }
    if let Some(status) = filter.status {
        query = query.filter(article::Column::Status.eq(status));
    }
    if let Some(slug) = &filter.section {
        let Some(section) = sections.by_slug(slug) else {
            return Ok(None);
        };
        query = query.filter(article::Column::SectionId.is_in(sections.subtree_ids(section.id)));
    }
    if let Some(slug) = &filter.tag {
        query = query.filter(
            article::Column::Id.in_subquery(
                Query::select()
                    .column(article_tag::Column::ArticleId)
                    .from(article_tag::Entity)
                    .inner_join(
                        tag::Entity,
                        Expr::col((tag::Entity, tag::Column::Id))
                            .equals((article_tag::Entity, article_tag::Column::TagId)),
                    )
                    .and_where(Expr::col((tag::Entity, tag::Column::Slug)).eq(slug.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(slug) = &filter.author {
        query = query.filter(
            article::Column::Id.in_subquery(
                Query::select()
                    .column(article_author::Column::ArticleId)
                    .from(article_author::Entity)
                    .inner_join(
                        author::Entity,
                        Expr::col((author::Entity, author::Column::Id))
                            .equals((article_author::Entity, article_author::Column::AuthorId)),
                    )
                    .and_where(Expr::col((author::Entity, author::Column::Slug)).eq(slug.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(after) = filter.published_after {
        query = query.filter(article::Column::PublishedAt.gte(after));
    }
    if let Some(before) = filter.published_before {
        query = query.filter(article::Column::PublishedAt.lt(before));
    }
    Ok(Some(query))
}

pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &ArticleFilter,
    order: ArticleOrder,
    window: &Window,
    sections: &SectionTree,
) -> Result<Page<article::Model>> {
    let now = super::now();
    let Some(query) = filtered(viewer, filter, sections, now)? else {
        return Ok(Page {
            edges: vec![],
            has_next_page: false,
            has_previous_page: false,
            total: TotalCount::known(0),
        });
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(
        db,
        query,
        &keyset(order),
        window,
        total,
        |a: &article::Model| Cursor::time(sort_time(a, order.field), a.id),
    )
    .await
}

/// An article by its slug, or by a slug it had before.
pub async fn find_by_slug(
    db: &DatabaseConnection,
    viewer: &Viewer,
    slug: &str,
) -> Result<Option<article::Model>> {
    let now = super::now();
    let current = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?;
    let found = match current {
        Some(article) => Some(article),
        None => match article_slug::Entity::find_by_id(slug.to_owned())
            .one(db)
            .await?
        {
            Some(old) => article::Entity::find_by_id(old.article_id).one(db).await?,
            None => None,
        },
    };
    Ok(found.filter(|a| is_visible(viewer, a, now)))
}

pub async fn find_by_id(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> Result<Option<article::Model>> {
    let now = super::now();
    Ok(article::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| is_visible(viewer, a, now)))
}
