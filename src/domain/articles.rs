//! Reading articles: who may see which, filters, orderings and lookups by slug.

use chrono::{DateTime, Utc};
use entity::article::{self, AccessLevel, ArticleKind, ArticleStatus};
use entity::{article_author, article_slug, article_tag, author, author_slug, tag, tag_slug};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use std::collections::HashMap;

use sea_orm::QueryTrait;
use sea_orm::sea_query::{IntoColumnRef, JoinType};

use super::changes::{Listing, Tag};
use super::editorial::{DEFAULT_TEASER_BLOCKS, MAX_TEASER_BLOCKS};
use super::markdown;
use super::pagination::{
    Keyset, Page, SortKey, SortValue, TotalCount, Window, count_each_group, fetch_page, first_of_each_group,
};
use super::sections::SectionTree;
use super::{Error, Result, Viewer};

/// The one rule of who sees which article. Readers and partners see an article that is
/// published, whose publication time has come and whose embargo, if any, has lifted;
/// contributors also see what they created; editors and admins see everything. (A preview
/// link shows its one article besides: see [`find_by_slug`]; partners get embargoed
/// articles ahead in their ninjs documents: see [`super::ninjs`].)
pub fn visible_to(viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    let public = Condition::all()
        .add(article::Column::Status.eq(ArticleStatus::Published))
        .add(article::Column::PublishedAt.lte(now))
        .add(Condition::any().add(article::Column::EmbargoUntil.is_null()).add(article::Column::EmbargoUntil.lte(now)));
    match viewer {
        _ if viewer.is_editor() => Condition::all(),
        Viewer::User { id, .. } => Condition::any().add(public).add(article::Column::CreatedBy.eq(*id)),
        Viewer::Anonymous | Viewer::Reader { .. } | Viewer::Partner => public,
    }
}

/// [`visible_to`] for an article in hand.
pub fn is_visible(viewer: &Viewer, article: &article::Model, now: DateTime<Utc>) -> bool {
    let public = article.status == ArticleStatus::Published
        && article.published_at.is_some_and(|at| at <= now)
        && article.embargo_until.is_none_or(|until| until <= now);
    public || viewer.is_editor() || (viewer.user_id().is_some() && article.created_by == viewer.user_id())
}

/// How many body blocks callers without an article's access see; `None` for a free
/// article.
pub fn teaser_blocks(article: &article::Model) -> Option<i32> {
    match article.access {
        AccessLevel::Free => None,
        _ => Some(article.teaser_blocks.unwrap_or(DEFAULT_TEASER_BLOCKS).clamp(0, MAX_TEASER_BLOCKS)),
    }
}

/// The articles whose whole body `viewer` may read, as a condition on their access.
pub fn wholly_readable_by(viewer: &Viewer) -> Condition {
    use sea_orm::Iterable;
    let levels: Vec<AccessLevel> = AccessLevel::iter().filter(|level| viewer.may_read(*level)).collect();
    Condition::all().add(article::Column::Access.is_in(levels))
}

/// The part of an article's body `viewer` may read: all of it, or the teaser of a
/// paywalled article. Whatever shows the body starts from it.
pub fn readable_body<'a>(viewer: &Viewer, article: &'a article::Model) -> &'a str {
    match teaser_blocks(article) {
        Some(blocks) if !viewer.may_read(article.access) => {
            markdown::first_blocks(&article.body_markdown, blocks as usize)
        }
        _ => &article.body_markdown,
    }
}

/// Where `article` stands for readers now: its lists are read only when readers see it.
pub async fn listing(db: &impl ConnectionTrait, article: &article::Model) -> Result<Listing> {
    let readable = is_visible(&Viewer::Anonymous, article, super::now());
    let (authors, tags) = if readable {
        let authors = article_author::Entity::find()
            .select_only()
            .column(article_author::Column::AuthorId)
            .filter(article_author::Column::ArticleId.eq(article.id))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        let tags = article_tag::Entity::find()
            .select_only()
            .column(article_tag::Column::TagId)
            .filter(article_tag::Column::ArticleId.eq(article.id))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        (authors, tags)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Listing {
        readable,
        kind: article.kind,
        section_id: article.section_id,
        published_at: article.published_at,
        authors,
        tags,
    })
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Section slug; subsections are included.
    pub section: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub status: Option<ArticleStatus>,
    pub kind: Option<ArticleKind>,
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
        ArticleOrder { field: OrderField::PublishedAt, descending: true }
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

/// The ordering of a list. When it can hold only published articles, `published_at` alone
/// is the key, so the `(status, published_at, id)` indexes serve it.
fn keyset(order: ArticleOrder, published_only: bool) -> Keyset {
    let key = match order.field {
        OrderField::PublishedAt if published_only => Expr::col((article::Entity, article::Column::PublishedAt)),
        OrderField::PublishedAt => Func::coalesce([
            Expr::col((article::Entity, article::Column::PublishedAt)),
            Expr::col((article::Entity, article::Column::CreatedAt)),
        ])
        .into(),
        OrderField::UpdatedAt => Expr::col((article::Entity, article::Column::UpdatedAt)),
    };
    let list = match (order.field, order.descending) {
        (OrderField::PublishedAt, true) => "articles:published:desc",
        (OrderField::PublishedAt, false) => "articles:published:asc",
        (OrderField::UpdatedAt, true) => "articles:updated:desc",
        (OrderField::UpdatedAt, false) => "articles:updated:asc",
    };
    Keyset {
        list,
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
    if let Some(kind) = filter.kind {
        query = query.filter(article::Column::Kind.eq(kind));
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
                    .and_where(
                        // Its current slug, or one it had before a rename.
                        Expr::col((tag::Entity, tag::Column::Slug)).eq(slug.as_str()).or(Expr::col((
                            tag::Entity,
                            tag::Column::Id,
                        ))
                        .in_subquery(
                            Query::select()
                                .column(tag_slug::Column::TagId)
                                .from(tag_slug::Entity)
                                .and_where(Expr::col(tag_slug::Column::Slug).eq(slug.as_str()))
                                .to_owned(),
                        )),
                    )
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
                    .and_where(
                        Expr::col((author::Entity, author::Column::Slug)).eq(slug.as_str()).or(Expr::col((
                            author::Entity,
                            author::Column::Id,
                        ))
                        .in_subquery(
                            Query::select()
                                .column(author_slug::Column::AuthorId)
                                .from(author_slug::Entity)
                                .and_where(Expr::col(author_slug::Column::Slug).eq(slug.as_str()))
                                .to_owned(),
                        )),
                    )
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
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    filter: &ArticleFilter,
    order: ArticleOrder,
    window: &Window,
    sections: &SectionTree,
) -> Result<Page<article::Model>> {
    let now = super::now();
    let Some(query) = filtered(viewer, filter, sections, now)? else {
        return Ok(Page { edges: vec![], has_next_page: false, has_previous_page: false, total: TotalCount::known(0) });
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(
        db,
        query,
        &keyset(order, !viewer.is_staff() || filter.status == Some(ArticleStatus::Published)),
        window,
        total,
        |a: &article::Model| (SortValue::Time(sort_time(a, order.field)), a.id),
    )
    .await
}

/// An article by its slug, or by a slug it had before. `preview` is the article a valid
/// preview link shows, which its holder sees whatever its status.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
    preview: Option<i64>,
) -> Result<Option<article::Model>> {
    let now = super::now();
    let found = named_by_slug(db, slug).await?.map(|named| named.article);
    Ok(found.filter(|a| shown_by_slug(viewer, a, preview, now)))
}

/// The article a slug names, whoever asks.
pub struct Named {
    pub article: article::Model,
    /// Named by its current slug, not one it had before.
    pub current: bool,
}

/// The article `slug` names now or named before, whether or not anyone may see it.
pub async fn named_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Named>> {
    if let Some(article) = article::Entity::find().filter(article::Column::Slug.eq(slug)).one(db).await? {
        return Ok(Some(Named { article, current: true }));
    }
    Ok(match article_slug::Entity::find_by_id(slug.to_owned()).one(db).await? {
        Some(old) => {
            article::Entity::find_by_id(old.article_id).one(db).await?.map(|article| Named { article, current: false })
        }
        None => None,
    })
}

/// Whether the viewer gets an article looked up by slug: one they may see, or the one
/// their preview link names.
pub fn shown_by_slug(viewer: &Viewer, article: &article::Model, preview: Option<i64>, now: DateTime<Utc>) -> bool {
    Some(article.id) == preview || is_visible(viewer, article, now)
}

/// The articles of `ids` the viewer may see; the others are left out.
pub async fn visible_by_ids(db: &impl ConnectionTrait, viewer: &Viewer, ids: &[i64]) -> Result<Vec<article::Model>> {
    let found = article::Entity::find()
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .filter(visible_to(viewer, super::now()))
        .all(db)
        .await?;
    Ok(found)
}

pub async fn find_by_id(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<article::Model>> {
    let now = super::now();
    Ok(article::Entity::find_by_id(id).one(db).await?.filter(|a| is_visible(viewer, a, now)))
}

/// A public list of articles that many parents on one page each have: a section's front
/// (subsections included), an author's page, a tag's page. Always published articles,
/// newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shelf {
    Section(i64),
    Author(i64),
    Tag(i64),
}

impl Shelf {
    fn id(self) -> i64 {
        let (Shelf::Section(id) | Shelf::Author(id) | Shelf::Tag(id)) = self;
        id
    }
}

fn published() -> Select<article::Entity> {
    article::Entity::find().filter(visible_to(&Viewer::Anonymous, super::now()))
}

/// Published articles on shelves of one kind, with the column that says which shelf a
/// row is on. Section shelves are grouped by the article's own section and gathered into
/// their subtrees afterwards, since one article can be on several section shelves.
fn on_shelves(
    shelves: &[Shelf],
    sections: &SectionTree,
) -> Option<(Select<article::Entity>, sea_orm::sea_query::ColumnRef)> {
    let ids: Vec<i64> = shelves.iter().map(|s| s.id()).collect();
    let mut query = published();
    let group = match shelves.first()? {
        Shelf::Section(_) => {
            let all: Vec<i64> = ids.iter().flat_map(|id| sections.subtree_ids(*id)).collect();
            query = query.filter(article::Column::SectionId.is_in(all));
            (article::Entity, article::Column::SectionId).into_column_ref()
        }
        Shelf::Author(_) => {
            QueryTrait::query(&mut query).join(
                JoinType::InnerJoin,
                article_author::Entity,
                Expr::col((article_author::Entity, article_author::Column::ArticleId))
                    .equals((article::Entity, article::Column::Id)),
            );
            query = query.filter(article_author::Column::AuthorId.is_in(ids));
            (article_author::Entity, article_author::Column::AuthorId).into_column_ref()
        }
        Shelf::Tag(_) => {
            QueryTrait::query(&mut query).join(
                JoinType::InnerJoin,
                article_tag::Entity,
                Expr::col((article_tag::Entity, article_tag::Column::ArticleId))
                    .equals((article::Entity, article::Column::Id)),
            );
            query = query.filter(article_tag::Column::TagId.is_in(ids));
            (article_tag::Entity, article_tag::Column::TagId).into_column_ref()
        }
    };
    Some((query, group))
}

/// The tags of what a shelf lists: for a section, the articles filed in each section of
/// its subtree.
pub fn shelf_tags(shelf: Shelf, sections: &SectionTree) -> Vec<Tag> {
    match shelf {
        Shelf::Section(id) => sections.subtree_ids(id).into_iter().map(Tag::SectionArticles).collect(),
        Shelf::Author(id) => vec![Tag::AuthorArticles(id)],
        Shelf::Tag(id) => vec![Tag::TagArticles(id)],
    }
}

/// The ids whose groups make up a shelf: a section's subtree, else the shelf itself.
fn shelf_groups(shelf: Shelf, sections: &SectionTree) -> Vec<i64> {
    match shelf {
        Shelf::Section(id) => sections.subtree_ids(id),
        Shelf::Author(id) | Shelf::Tag(id) => vec![id],
    }
}

fn shelf_keyset() -> Keyset {
    keyset(ArticleOrder::default(), true)
}

/// The first `limit + 1` articles of each shelf (all of one kind), in one query.
pub async fn first_on_shelves(
    db: &impl ConnectionTrait,
    shelves: &[Shelf],
    sections: &SectionTree,
    limit: u64,
) -> Result<HashMap<Shelf, Vec<article::Model>>> {
    let Some((query, group)) = on_shelves(shelves, sections) else {
        return Ok(HashMap::new());
    };
    if let [shelf @ Shelf::Section(_)] = shelves {
        // One section front, the usual request: its subtree read as one range, as its
        // later pages are, instead of the first page of every subsection merged here.
        let window = Window::Forward { limit: limit + 1, after: None };
        let page = fetch_page(db, query, &shelf_keyset(), &window, TotalCount::known(0), shelf_key).await?;
        return Ok(HashMap::from([(*shelf, page.edges.into_iter().map(|edge| edge.node).collect())]));
    }
    let mut ids: Vec<i64> = shelves.iter().flat_map(|shelf| shelf_groups(*shelf, sections)).collect();
    ids.sort_unstable();
    ids.dedup();
    let groups = first_of_each_group(db, query, group, &ids, &shelf_keyset(), limit + 1, None, shelf_key).await?;
    Ok(shelves
        .iter()
        .map(|shelf| {
            let mut rows: Vec<article::Model> = shelf_groups(*shelf, sections)
                .iter()
                .filter_map(|g| groups.get(g))
                .flatten()
                .map(|(row, _)| row.clone())
                .collect();
            // Newest first, as the shelf keyset orders.
            rows.sort_by(|a, b| shelf_key(b).partial_cmp(&shelf_key(a)).unwrap_or(std::cmp::Ordering::Equal));
            rows.truncate(limit as usize + 1);
            (*shelf, rows)
        })
        .collect())
}

fn shelf_key(article: &article::Model) -> (SortValue, i64) {
    (SortValue::Time(sort_time(article, OrderField::PublishedAt)), article.id)
}

/// How many articles each shelf (all of one kind) holds.
pub async fn count_on_shelves(
    db: &impl ConnectionTrait,
    shelves: &[Shelf],
    sections: &SectionTree,
) -> Result<HashMap<Shelf, i64>> {
    let Some((query, group)) = on_shelves(shelves, sections) else {
        return Ok(HashMap::new());
    };
    let counts = count_each_group(db, query, group).await?;
    Ok(shelves
        .iter()
        .map(|shelf| (*shelf, shelf_groups(*shelf, sections).iter().filter_map(|g| counts.get(g)).sum()))
        .collect())
}

/// The first page of a shelf from the rows `first_on_shelves` found.
pub fn shelf_page(rows: Vec<article::Model>, limit: u64, total: TotalCount) -> Page<article::Model> {
    shelf_keyset().first_page(rows, limit, total, shelf_key)
}
