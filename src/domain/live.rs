//! Live blogs: timestamped entries on LIVE articles, added, edited and deleted while the
//! story runs, until an editor ends the coverage.
//!
//! Who writes: editors and admins on any LIVE article; contributors on those whose byline
//! names an author linked to their account. Who reads: whoever may see the article, by
//! the one rule of [`articles::visible_to`]; entries have no visibility of their own.
//!
//! A deleted entry keeps its row with `deleted_at` set (a tombstone), so that a client
//! polling with `since` learns which entries went. Every write moves the article's
//! `updated_at` too: a live blog is as new as its latest entry, and lists in order of last
//! update, and "updated 2 minutes ago" labels, follow it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::article::{self, ArticleKind};
use entity::user::Role;
use entity::{article_author, author, live_entry, live_entry_author};
use sea_orm::sea_query::{Expr, IntoColumnRef};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationDef, Select, Set,
};

use super::audit::{self, quoted};
use super::changes::{Change, EntryChange, Event, Tag};
use super::global_id::Kind;
use super::pagination::{
    Cursor, Edge, Keyset, Page, SortKey, SortValue, TotalCount, Window, count_each_group, fetch_page,
    first_of_each_group,
};
use super::pipeline::Pipeline;
use super::{Error, Result, Viewer, articles, validate};

/// Most authors one entry may name.
pub const MAX_ENTRY_AUTHORS: usize = 20;

/// What an editor sends for an entry. On an edit, `headline` and `body_markdown` replace
/// what was there (a missing headline removes it); `pinned` and `author_ids` left out keep
/// what was there. On a new entry, `author_ids` left out names the authors linked to the
/// writer's account.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub headline: Option<String>,
    pub body_markdown: String,
    pub pinned: Option<bool>,
    pub author_ids: Option<Vec<i64>>,
}

/// An [`EntryInput`] that passed the checks that need no database.
struct Checked {
    headline: Option<String>,
    body_markdown: String,
    pinned: Option<bool>,
    author_ids: Option<Vec<i64>>,
}

fn check(input: EntryInput) -> Result<Checked> {
    let headline = validate::optional_text("headline", input.headline.as_deref(), validate::MAX_HEADLINE_LEN)?;
    if input.body_markdown.trim().is_empty() {
        return Err(Error::bad_input("bodyMarkdown", "must not be empty"));
    }
    let body_markdown = validate::body(&input.body_markdown)?;
    if let Some(ids) = &input.author_ids {
        let mut seen = HashSet::new();
        if ids.iter().any(|id| !seen.insert(*id)) {
            return Err(Error::bad_input("authorIds", "names the same author twice"));
        }
        if ids.len() > MAX_ENTRY_AUTHORS {
            return Err(Error::bad_input("authorIds", format!("at most {MAX_ENTRY_AUTHORS} authors")));
        }
    }
    Ok(Checked { headline, body_markdown, pinned: input.pinned, author_ids: input.author_ids })
}

/// Article `id`, when `viewer` may write its live blog: editors and admins any article,
/// contributors one whose byline names them. An article the viewer may not even see is
/// not found.
async fn writable(db: &impl ConnectionTrait, viewer: &Viewer, id: i64, what: &str) -> Result<article::Model> {
    let article = article::Entity::find_by_id(id).one(db).await?;
    let article = article.ok_or_else(|| Error::NotFound("article".into()))?;
    if viewer.is_editor() || on_byline(db, viewer, id).await? {
        return Ok(article);
    }
    if articles::is_visible(viewer, &article, super::now()) {
        Err(Error::Forbidden(format!("contributors may {what} only on live blogs whose byline names them")))
    } else {
        Err(Error::NotFound("article".into()))
    }
}

/// Whether the byline of article `id` names an author linked to the viewer's account.
async fn on_byline(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<bool> {
    let Some(user_id) = viewer.user_id() else {
        return Ok(false);
    };
    let named = article_author::Entity::find()
        .inner_join(author::Entity)
        .filter(article_author::Column::ArticleId.eq(id))
        .filter(author::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(named > 0)
}

fn require_live(article: &article::Model, field: &str) -> Result<()> {
    if article.kind != ArticleKind::Live {
        return Err(Error::bad_input(field, "live entries go on LIVE articles only; make the article LIVE first"));
    }
    Ok(())
}

async fn require_authors(db: &impl ConnectionTrait, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = author::Entity::find().filter(author::Column::Id.is_in(ids.iter().copied())).count(db).await?;
    if found != ids.len() as u64 {
        return Err(Error::bad_input("authorIds", "no author has one of these ids"));
    }
    Ok(())
}

/// The authors linked to the viewer's account, for an entry that names none.
async fn own_authors(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<i64>> {
    let Some(user_id) = viewer.user_id() else {
        return Ok(Vec::new());
    };
    let ids = author::Entity::find()
        .select_only()
        .column(author::Column::Id)
        .filter(author::Column::UserId.eq(user_id))
        .order_by_asc(author::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    Ok(ids)
}

/// Replaces the authors of entry `id` with `ids`, in order.
async fn set_authors(db: &impl ConnectionTrait, id: i64, ids: &[i64]) -> Result<()> {
    live_entry_author::Entity::delete_many().filter(live_entry_author::Column::EntryId.eq(id)).exec(db).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.iter().enumerate().map(|(position, author_id)| live_entry_author::ActiveModel {
        entry_id: Set(id),
        author_id: Set(*author_id),
        position: Set(position as i32),
    });
    live_entry_author::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Moves the article's `updated_at` to `now`; answers the change readers see of it.
async fn touch(db: &impl ConnectionTrait, article: &article::Model, now: DateTime<Utc>) -> Result<Change> {
    article::Entity::update_many()
        .col_expr(article::Column::UpdatedAt, Expr::value(now))
        .filter(article::Column::Id.eq(article.id))
        .exec(db)
        .await?;
    let mut change = Change::of([Tag::Article(article.id)]);
    if articles::is_visible(&Viewer::Anonymous, article, now) {
        // Lists in order of last update move.
        change.tags.insert(Tag::Search);
    }
    Ok(change)
}

fn entry_event(entry: &live_entry::Model, change: EntryChange) -> Event {
    Event::LiveEntryChanged { article_id: entry.article_id, entry_id: entry.id, change }
}

/// Adds an entry to the live blog of article `article_id`, unless its coverage ended.
pub async fn add(
    db: &DatabaseConnection,
    viewer: &Viewer,
    article_id: i64,
    input: EntryInput,
    pipeline: &Pipeline,
) -> Result<live_entry::Model> {
    viewer.require(Role::Contributor, "write live blogs")?;
    let input = check(input)?;
    let txn = super::begin_write(db).await?;
    let article = writable(&txn, viewer, article_id, "add live entries").await?;
    require_live(&article, "articleId")?;
    if article.coverage_ended_at.is_some() {
        return Err(Error::bad_input("articleId", "live coverage of this article has ended; no entries can be added"));
    }
    let authors = match input.author_ids {
        Some(ids) => {
            require_authors(&txn, &ids).await?;
            ids
        }
        None => own_authors(&txn, viewer).await?,
    };
    let now = super::now();
    let entry = live_entry::ActiveModel {
        article_id: Set(article_id),
        headline: Set(input.headline),
        body_markdown: Set(input.body_markdown),
        pinned: Set(input.pinned.unwrap_or(false)),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_authors(&txn, entry.id, &authors).await?;
    let change = touch(&txn, &article, now).await?;
    audit::record(
        &txn,
        viewer,
        "addLiveEntry",
        Some((Kind::LiveEntry, entry.id)),
        format!("added a live entry to {}", quoted(&article.headline)),
    )
    .await?;
    super::commit(txn, change.with_event(entry_event(&entry, EntryChange::Added)), pipeline).await?;
    Ok(entry)
}

/// An entry that has not been deleted, and its article, when the viewer may write it.
async fn editable_entry(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    what: &str,
) -> Result<(live_entry::Model, article::Model)> {
    let entry = live_entry::Entity::find_by_id(id).filter(live_entry::Column::DeletedAt.is_null()).one(db).await?;
    let entry = entry.ok_or_else(|| Error::NotFound("live entry".into()))?;
    let article = match writable(db, viewer, entry.article_id, what).await {
        Err(Error::NotFound(_)) => return Err(Error::NotFound("live entry".into())),
        other => other?,
    };
    require_live(&article, "id")?;
    Ok((entry, article))
}

/// Replaces an entry's headline and body, and its pinning and authors when given. Allowed
/// after the coverage ended too: a mistake is still put right.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    input: EntryInput,
    pipeline: &Pipeline,
) -> Result<live_entry::Model> {
    viewer.require(Role::Contributor, "write live blogs")?;
    let input = check(input)?;
    let txn = super::begin_write(db).await?;
    let (entry, article) = editable_entry(&txn, viewer, id, "edit live entries").await?;
    if let Some(ids) = &input.author_ids {
        require_authors(&txn, ids).await?;
        set_authors(&txn, id, ids).await?;
    }
    let now = super::now();
    let pinned = input.pinned.unwrap_or(entry.pinned);
    let mut row: live_entry::ActiveModel = entry.into();
    row.headline = Set(input.headline);
    row.body_markdown = Set(input.body_markdown);
    row.pinned = Set(pinned);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let change = touch(&txn, &article, now).await?;
    audit::record(
        &txn,
        viewer,
        "updateLiveEntry",
        Some((Kind::LiveEntry, id)),
        format!("edited a live entry of {}", quoted(&article.headline)),
    )
    .await?;
    super::commit(txn, change.with_event(entry_event(&updated, EntryChange::Updated)), pipeline).await?;
    Ok(updated)
}

/// Deletes an entry: it leaves the blog at once, and pollers learn of it through
/// [`deleted_since`].
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64, pipeline: &Pipeline) -> Result<()> {
    viewer.require(Role::Contributor, "write live blogs")?;
    let txn = super::begin_write(db).await?;
    let (entry, article) = editable_entry(&txn, viewer, id, "delete live entries").await?;
    let now = super::now();
    let mut row: live_entry::ActiveModel = entry.into();
    row.deleted_at = Set(Some(now));
    row.updated_at = Set(now);
    let deleted = row.update(&txn).await?;
    let change = touch(&txn, &article, now).await?;
    audit::record(
        &txn,
        viewer,
        "deleteLiveEntry",
        Some((Kind::LiveEntry, id)),
        format!("deleted a live entry of {}", quoted(&article.headline)),
    )
    .await?;
    super::commit(txn, change.with_event(entry_event(&deleted, EntryChange::Deleted)), pipeline).await?;
    Ok(())
}

/// Ends the live coverage of an article: no entry can be added after. Ending it twice is
/// refused, so the first time stays the time it ended.
pub async fn end_coverage(
    db: &DatabaseConnection,
    viewer: &Viewer,
    article_id: i64,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    viewer.require(Role::Contributor, "end live coverage")?;
    let txn = super::begin_write(db).await?;
    let article = writable(&txn, viewer, article_id, "end live coverage").await?;
    require_live(&article, "articleId")?;
    if let Some(ended) = article.coverage_ended_at {
        let at = ended.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        return Err(Error::bad_input("articleId", format!("live coverage of this article ended already, at {at}")));
    }
    let now = super::now();
    let mut row: article::ActiveModel = article.clone().into();
    row.coverage_ended_at = Set(Some(now));
    row.updated_at = Set(now);
    let ended = row.update(&txn).await?;
    let mut change = Change::of([Tag::Article(article_id)]);
    if articles::is_visible(&Viewer::Anonymous, &article, now) {
        change.tags.insert(Tag::Search);
    }
    audit::record(
        &txn,
        viewer,
        "endLiveCoverage",
        Some((Kind::Article, article_id)),
        format!("ended the live coverage of {}", quoted(&article.headline)),
    )
    .await?;
    super::commit(txn, change, pipeline).await?;
    Ok(ended)
}

// Reading. The callers have the articles already, under their own visibility.

/// The names of the blog's orderings in cursors: pinned entries, then the others, each
/// newest first; and, for `since`, the entries changed, oldest change first.
const PINNED: &str = "liveEntries:pinned";
const LATEST: &str = "liveEntries:latest";
const CHANGED: &str = "liveEntries:changed";

/// Entries not deleted.
fn shown() -> Select<live_entry::Entity> {
    live_entry::Entity::find().filter(live_entry::Column::DeletedAt.is_null())
}

fn newest_first(list: &'static str) -> Keyset {
    Keyset {
        list,
        key: SortKey::Time(Expr::col((live_entry::Entity, live_entry::Column::CreatedAt))),
        id: Expr::col((live_entry::Entity, live_entry::Column::Id)),
        descending: true,
    }
}

fn oldest_change_first() -> Keyset {
    Keyset {
        list: CHANGED,
        key: SortKey::Time(Expr::col((live_entry::Entity, live_entry::Column::UpdatedAt))),
        id: Expr::col((live_entry::Entity, live_entry::Column::Id)),
        descending: false,
    }
}

fn created_key(entry: &live_entry::Model) -> (SortValue, i64) {
    (SortValue::Time(entry.created_at), entry.id)
}

fn changed_key(entry: &live_entry::Model) -> (SortValue, i64) {
    (SortValue::Time(entry.updated_at), entry.id)
}

fn by_article() -> sea_orm::sea_query::ColumnRef {
    (live_entry::Entity, live_entry::Column::ArticleId).into_column_ref()
}

/// The first `per_blog` entries of the blog of each of `article_ids`, pinned first, then
/// newest first: one statement for the pinned entries of them all, and one for the others
/// of the blogs whose pinned ones do not fill the page, each reading along an index
/// whatever the number of entries.
pub async fn first_of_blogs(
    db: &impl ConnectionTrait,
    article_ids: &[i64],
    per_blog: u64,
) -> Result<HashMap<i64, Vec<live_entry::Model>>> {
    let pinned = shown().filter(live_entry::Column::Pinned.eq(true));
    let mut pages: HashMap<i64, Vec<live_entry::Model>> =
        first_of_each_group(db, pinned, by_article(), article_ids, &newest_first(PINNED), per_blog, None, created_key)
            .await?
            .into_iter()
            .map(|(article, rows)| (article, rows.into_iter().map(|(row, _)| row).collect()))
            .collect();
    let short: Vec<i64> =
        article_ids.iter().copied().filter(|id| pages.get(id).map_or(0, Vec::len) < per_blog as usize).collect();
    let others = shown().filter(live_entry::Column::Pinned.eq(false));
    let latest =
        first_of_each_group(db, others, by_article(), &short, &newest_first(LATEST), per_blog, None, created_key)
            .await?;
    for (article, rows) in latest {
        let page = pages.entry(article).or_default();
        let room = (per_blog as usize).saturating_sub(page.len());
        page.extend(rows.into_iter().map(|(row, _)| row).take(room));
    }
    Ok(pages)
}

/// The first `per_blog` entries of each blog changed after `since`, oldest change first.
pub async fn first_changed(
    db: &impl ConnectionTrait,
    article_ids: &[i64],
    since: DateTime<Utc>,
    per_blog: u64,
) -> Result<HashMap<i64, Vec<live_entry::Model>>> {
    let changed = shown().filter(live_entry::Column::UpdatedAt.gt(since));
    let found = first_of_each_group(
        db,
        changed,
        by_article(),
        article_ids,
        &oldest_change_first(),
        per_blog,
        None,
        changed_key,
    )
    .await?;
    Ok(found.into_iter().map(|(article, rows)| (article, rows.into_iter().map(|(row, _)| row).collect())).collect())
}

/// How many entries each blog shows; with `since`, how many changed after it.
pub async fn count_of_blogs(
    db: &impl ConnectionTrait,
    article_ids: &[i64],
    since: Option<DateTime<Utc>>,
) -> Result<HashMap<i64, i64>> {
    let mut query = shown().filter(live_entry::Column::ArticleId.is_in(article_ids.iter().copied()));
    if let Some(since) = since {
        query = query.filter(live_entry::Column::UpdatedAt.gt(since));
    }
    count_each_group(db, query, by_article()).await
}

/// The cursor of an entry in the blog's order.
fn cursor_of(entry: &live_entry::Model, since: bool) -> Cursor {
    let (list, (key, id)) = match (since, entry.pinned) {
        (true, _) => (CHANGED, changed_key(entry)),
        (false, true) => (PINNED, created_key(entry)),
        (false, false) => (LATEST, created_key(entry)),
    };
    Cursor { list: list.to_owned(), key, id }
}

/// The first page of a blog from rows [`first_of_blogs`] or [`first_changed`] read (at
/// most `limit + 1` of them).
pub fn first_page(
    mut rows: Vec<live_entry::Model>,
    limit: u64,
    since: bool,
    total: TotalCount,
) -> Page<live_entry::Model> {
    let has_next_page = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page {
        edges: rows.into_iter().map(|node| Edge { cursor: cursor_of(&node, since), node }).collect(),
        has_next_page,
        has_previous_page: false,
        total,
    }
}

/// A page of the blog of article `article_id` after a cursor (first pages come from
/// [`first_of_blogs`] and [`first_changed`], batched).
pub async fn later_page(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    article_id: i64,
    since: Option<DateTime<Utc>>,
    window: &Window,
) -> Result<Page<live_entry::Model>> {
    let blog = shown().filter(live_entry::Column::ArticleId.eq(article_id));
    if let Some(since) = since {
        let changed = blog.filter(live_entry::Column::UpdatedAt.gt(since));
        let total = TotalCount::of(db, changed.clone());
        return fetch_page(db, changed, &oldest_change_first(), window, total, changed_key).await;
    }
    let total = TotalCount::of(db, blog.clone());
    let pinned = blog.clone().filter(live_entry::Column::Pinned.eq(true));
    let others = blog.filter(live_entry::Column::Pinned.eq(false));
    let (limit, after) = match window {
        Window::Forward { limit, after } => (*limit, after.as_ref()),
        Window::Backward { .. } => return Err(Error::bad_input("last", "live blogs page forward only")),
    };
    match after.map(|cursor| cursor.list.as_str()) {
        Some(LATEST) => fetch_page(db, others, &newest_first(LATEST), window, total, created_key).await,
        Some(PINNED) | None => {
            let mut page = fetch_page(db, pinned, &newest_first(PINNED), window, total.clone(), created_key).await?;
            if page.has_next_page {
                return Ok(page);
            }
            // The pinned entries end on this page: the others follow them.
            let room = limit - page.edges.len() as u64;
            let rest = Window::Forward { limit: room, after: None };
            let following = fetch_page(db, others, &newest_first(LATEST), &rest, total, created_key).await?;
            page.edges.extend(following.edges);
            page.has_next_page = following.has_next_page;
            Ok(page)
        }
        Some(_) => Err(Error::bad_input("after", "is a cursor of another list or ordering")),
    }
}

/// The ids of the entries of each blog deleted after `since`, each blog's with its article.
pub async fn deleted_since(
    db: &impl ConnectionTrait,
    article_ids: &[i64],
    since: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>> {
    let found = live_entry::Entity::find()
        .select_only()
        .column(live_entry::Column::ArticleId)
        .column(live_entry::Column::Id)
        .filter(live_entry::Column::ArticleId.is_in(article_ids.iter().copied()))
        .filter(live_entry::Column::DeletedAt.gt(since))
        .order_by_asc(live_entry::Column::DeletedAt)
        .order_by_asc(live_entry::Column::Id)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?;
    Ok(found)
}

/// The authors of the entries of `entry_ids`: each entry's id with an author, in order.
pub async fn authors_of(db: &impl ConnectionTrait, entry_ids: &[i64]) -> Result<Vec<(i64, author::Model)>> {
    let found = live_entry_author::Entity::find()
        .filter(live_entry_author::Column::EntryId.is_in(entry_ids.iter().copied()))
        .order_by_asc(live_entry_author::Column::Position)
        .order_by_asc(live_entry_author::Column::AuthorId)
        .find_also_related(author::Entity)
        .all(db)
        .await?;
    Ok(found.into_iter().filter_map(|(link, author)| Some((link.entry_id, author?))).collect())
}

fn article_of_entry() -> RelationDef {
    live_entry::Entity::belongs_to(article::Entity).from(live_entry::Column::ArticleId).to(article::Column::Id).into()
}

/// Whether `viewer` is shown the entries of `article`: those of a LIVE article, and of a
/// paywalled one only with its access (its entries are its body).
pub fn entries_shown(viewer: &Viewer, article: &article::Model) -> bool {
    article.kind == ArticleKind::Live && viewer.may_read(article.access)
}

/// An entry by id, when it is shown and the viewer may see its article, a LIVE one whose
/// body they may read.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<live_entry::Model>> {
    let found = shown()
        .filter(live_entry::Column::Id.eq(id))
        .join(JoinType::InnerJoin, article_of_entry())
        .filter(article::Column::Kind.eq(ArticleKind::Live))
        .filter(articles::visible_to(viewer, super::now()))
        .filter(articles::wholly_readable_by(viewer))
        .one(db)
        .await?;
    Ok(found)
}

/// The article an entry belongs to, whatever the viewer may see (for cache tags).
pub async fn article_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>> {
    let found = live_entry::Entity::find_by_id(id)
        .select_only()
        .column(live_entry::Column::ArticleId)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(body: &str) -> EntryInput {
        EntryInput { body_markdown: body.into(), ..Default::default() }
    }

    fn field_of(result: Result<Checked>) -> String {
        match result {
            Err(Error::BadInput { field, .. }) => field,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn entries_are_checked_with_the_field_named() {
        assert_eq!(field_of(check(input(" \n "))), "bodyMarkdown");
        assert_eq!(field_of(check(input(&"x".repeat(validate::MAX_BODY_BYTES + 1)))), "bodyMarkdown");
        let long = EntryInput { headline: Some("h".repeat(301)), ..input("x") };
        assert_eq!(field_of(check(long)), "headline");
        let twice = EntryInput { author_ids: Some(vec![3, 4, 3]), ..input("x") };
        assert_eq!(field_of(check(twice)), "authorIds");
        let blank = check(EntryInput { headline: Some("  ".into()), ..input("x") }).ok().unwrap();
        assert_eq!(blank.headline, None, "a blank headline is none");
        assert!(check(input(&"x".repeat(validate::MAX_BODY_BYTES))).is_ok());
    }

    #[test]
    fn cursors_name_the_part_of_the_blog() {
        let at = super::super::now();
        let entry = live_entry::Model {
            id: 7,
            article_id: 1,
            headline: None,
            body_markdown: "x".into(),
            pinned: true,
            created_by: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        assert_eq!(cursor_of(&entry, false).list, PINNED);
        assert_eq!(cursor_of(&live_entry::Model { pinned: false, ..entry.clone() }, false).list, LATEST);
        assert_eq!(cursor_of(&entry, true).list, CHANGED);
    }
}
