//! Writing articles: create, edit with revisions and slug history, restore a revision,
//! delete. Each operation is one transaction; a refusal leaves the database as it was.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::article::{self, AccessLevel, ArticleKind, ArticleStatus};
use entity::article_author::ContributorRole;
use entity::user::Role;
use entity::{article_author, article_revision, article_slug, article_tag, author, image, section};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::audit::{self, quoted};
use super::changes::{self, Change, Tag};
use super::global_id::Kind;
use super::pipeline::Pipeline;
use super::{Error, Result, Update, Viewer, articles, bylines, related, slug, validate, workflow};

/// The search-engine fields of an article.
#[derive(Debug, Clone, Default)]
pub struct SeoChanges {
    pub title: Update<String>,
    pub description: Update<String>,
    pub canonical_url: Update<String>,
}

pub struct NewArticle {
    pub headline: String,
    pub slug: Option<String>,
    pub standfirst: Option<String>,
    pub body_markdown: String,
    pub section_id: i64,
    pub lead_image_id: Option<i64>,
    pub contributors: Contributors,
    pub tags: Vec<String>,
    pub comments_open: Option<bool>,
    pub seo: SeoChanges,
    pub kind: Option<ArticleKind>,
    pub kicker: Option<String>,
    pub dateline: Option<String>,
    /// An editor's picks of related stories, in order.
    pub related_ids: Vec<i64>,
    /// Until then no reader sees it; must be in the future.
    pub embargo_until: Option<DateTime<Utc>>,
    /// FREE when absent.
    pub access: Option<AccessLevel>,
    pub teaser_blocks: Option<i32>,
}

/// What an editor sends to change an article; `None` and `Update::Keep` leave a field.
#[derive(Default)]
pub struct ArticleChanges {
    pub headline: Option<String>,
    pub slug: Option<String>,
    pub standfirst: Update<String>,
    pub body_markdown: Option<String>,
    pub section_id: Option<i64>,
    pub lead_image_id: Update<i64>,
    pub contributors: Option<Contributors>,
    pub tags: Option<Vec<String>>,
    pub comments_open: Option<bool>,
    pub seo: Option<SeoChanges>,
    pub kind: Option<ArticleKind>,
    pub kicker: Update<String>,
    pub dateline: Update<String>,
    pub related_ids: Option<Vec<i64>>,
    pub embargo_until: Update<DateTime<Utc>>,
    pub access: Option<AccessLevel>,
    pub teaser_blocks: Update<i32>,
}

/// How many blocks readers without access see when the editor did not say.
pub const DEFAULT_TEASER_BLOCKS: i32 = 3;
pub const MAX_TEASER_BLOCKS: i32 = 50;

/// The teaser an article of `access` keeps: none for a free article, else the one given,
/// the one it had, or the default.
fn teaser_for(access: AccessLevel, given: Update<i32>, current: Option<i32>) -> Result<Option<i32>> {
    if let Update::Set(blocks) = given
        && !(0..=MAX_TEASER_BLOCKS).contains(&blocks)
    {
        return Err(Error::bad_input("teaserBlocks", format!("must be 0 to {MAX_TEASER_BLOCKS}, got {blocks}")));
    }
    Ok(match access {
        AccessLevel::Free => None,
        _ => Some(given.apply(current).unwrap_or(DEFAULT_TEASER_BLOCKS)),
    })
}

/// Whether `slug` belongs to an article other than `own`, now or as an old slug.
async fn slug_owner(db: &impl ConnectionTrait, slug: &str, own: Option<i64>) -> Result<Option<i64>> {
    let current = article::Entity::find().filter(article::Column::Slug.eq(slug)).one(db).await?.map(|a| a.id);
    let old = article_slug::Entity::find_by_id(slug.to_owned()).one(db).await?.map(|s| s.article_id);
    Ok(current.or(old).filter(|id| Some(*id) != own))
}

/// A slug for a new article: the one given (refused when taken), or one derived from the
/// headline, numbered when taken ("...-2").
async fn new_slug(db: &impl ConnectionTrait, given: Option<&str>, headline: &str) -> Result<String> {
    let base = validate::slug_or_derived("slug", given, headline)?;
    if given.is_some_and(|g| !g.trim().is_empty()) {
        if slug_owner(db, &base, None).await?.is_some() {
            return Err(Error::Conflict(format!("the slug {base} is taken by another article")));
        }
        return Ok(base);
    }
    let prefix = format!("{base}%");
    let mut taken: HashSet<String> = article::Entity::find()
        .select_only()
        .column(article::Column::Slug)
        .filter(article::Column::Slug.like(&prefix))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    taken.extend(
        article_slug::Entity::find()
            .select_only()
            .column(article_slug::Column::Slug)
            .filter(article_slug::Column::Slug.like(&prefix))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    Ok(slug::unique_slug(&base, |candidate| taken.contains(candidate)))
}

async fn require_section(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    match section::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(Error::bad_input("sectionId", "no section has this id")),
    }
}

async fn require_image(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    match image::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(Error::bad_input("leadImageId", "no image has this id")),
    }
}

/// One contributor on a byline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Byline {
    pub author_id: i64,
    pub role: ContributorRole,
}

/// A byline as an editor sends it: writers only (`authorIds`, where the same author twice
/// counts once), or every contributor with a role (`bylines`, where it is refused).
#[derive(Debug, Clone)]
pub enum Contributors {
    Writers(Vec<i64>),
    WithRoles(Vec<Byline>),
}

impl Default for Contributors {
    fn default() -> Self {
        Contributors::Writers(Vec::new())
    }
}

impl Contributors {
    fn field(&self) -> &'static str {
        match self {
            Contributors::Writers(_) => "authorIds",
            Contributors::WithRoles(_) => "bylines",
        }
    }

    /// The bylines in order, each author once.
    fn bylines(&self) -> Result<Vec<Byline>> {
        let mut seen = HashSet::new();
        match self {
            Contributors::Writers(ids) => Ok(ids
                .iter()
                .filter(|id| seen.insert(**id))
                .map(|id| Byline { author_id: *id, role: ContributorRole::Writer })
                .collect()),
            Contributors::WithRoles(bylines) => {
                if let Some(twice) = bylines.iter().find(|b| !seen.insert(b.author_id)) {
                    return Err(Error::bad_input(
                        "bylines",
                        format!("author {} is named twice; give each contributor one role", twice.author_id),
                    ));
                }
                if bylines.len() > MAX_BYLINES {
                    return Err(Error::bad_input("bylines", format!("at most {MAX_BYLINES} contributors")));
                }
                Ok(bylines.clone())
            }
        }
    }
}

/// Most contributors one article may name.
pub const MAX_BYLINES: usize = 50;

/// Replaces the byline with `contributors`, in order.
async fn set_bylines(db: &impl ConnectionTrait, article_id: i64, contributors: &Contributors) -> Result<()> {
    let wanted = contributors.bylines()?;
    let ids: Vec<i64> = wanted.iter().map(|b| b.author_id).collect();
    let found = author::Entity::find().filter(author::Column::Id.is_in(ids.clone())).all(db).await?;
    if found.len() != ids.len() {
        return Err(Error::bad_input(contributors.field(), "no author has one of these ids"));
    }
    article_author::Entity::delete_many().filter(article_author::Column::ArticleId.eq(article_id)).exec(db).await?;
    for (position, byline) in wanted.into_iter().enumerate() {
        article_author::ActiveModel {
            article_id: Set(article_id),
            author_id: Set(byline.author_id),
            position: Set(position as i32),
            role: Set(byline.role),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Replaces the tags with those named, creating unknown ones (the change names those).
async fn set_tags(db: &impl ConnectionTrait, article_id: i64, names: &[String]) -> Result<Change> {
    let (tags, created) = bylines::tags_named(db, names).await?;
    article_tag::Entity::delete_many().filter(article_tag::Column::ArticleId.eq(article_id)).exec(db).await?;
    for tag in tags {
        article_tag::ActiveModel { article_id: Set(article_id), tag_id: Set(tag.id) }.insert(db).await?;
    }
    Ok(created)
}

/// Stores the article's current headline, standfirst and body as its next revision.
async fn add_revision(db: &impl ConnectionTrait, article: &article::Model, editor: Option<i64>) -> Result<()> {
    let last = article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.eq(article.id))
        .order_by_desc(article_revision::Column::Number)
        .one(db)
        .await?;
    article_revision::ActiveModel {
        article_id: Set(article.id),
        number: Set(last.map_or(1, |r| r.number + 1)),
        headline: Set(article.headline.clone()),
        standfirst: Set(article.standfirst.clone()),
        body_markdown: Set(article.body_markdown.clone()),
        editor_id: Set(editor),
        created_at: Set(article.updated_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn seo_text(field: &str, change: Update<String>, max: usize) -> Result<Update<String>> {
    change.try_map(|value| validate::optional_text(field, Some(&value), max))
}

fn apply_seo(row: &mut article::ActiveModel, current: Option<&article::Model>, seo: SeoChanges) -> Result<()> {
    let title = seo_text("seo.title", seo.title, validate::MAX_HEADLINE_LEN)?;
    let description = seo_text("seo.description", seo.description, validate::MAX_STANDFIRST_LEN)?;
    let canonical = seo.canonical_url.try_map(|url| validate::optional_web_url("seo.canonicalUrl", Some(&url)))?;
    row.seo_title = Set(title.apply(current.and_then(|a| a.seo_title.clone())));
    row.seo_description = Set(description.apply(current.and_then(|a| a.seo_description.clone())));
    row.canonical_url = Set(canonical.apply(current.and_then(|a| a.canonical_url.clone())));
    Ok(())
}

/// Creates a draft. Contributors and up; the creator may go on editing it. When a writer
/// at the same moment takes the derived slug or a new tag first, it tries again: each round
/// one of the writers that wanted the same slug wins, so a few rounds serve a burst of
/// them, after a short random pause that keeps the others from meeting again.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewArticle,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    const ATTEMPTS: u32 = 10;
    let mut attempt = 1;
    loop {
        match create_once(db, viewer, &new, pipeline).await {
            Err(error) if super::is_unique_violation(&error) && attempt < ATTEMPTS => {
                let pause = rand::random_range(0..10 * u64::from(attempt));
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

async fn create_once(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: &NewArticle,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    viewer.require(Role::Contributor, "write articles")?;
    let headline = validate::headline(&new.headline)?;
    let standfirst = validate::standfirst(new.standfirst.as_deref())?;
    let body = validate::body(&new.body_markdown)?;
    let kicker = new.kicker.as_deref().map(|k| validate::label("kicker", k)).transpose()?.flatten();
    let dateline = new.dateline.as_deref().map(|d| validate::label("dateline", d)).transpose()?.flatten();
    let now = super::now();
    let embargo_until = new.embargo_until.map(|at| validate::future("embargoUntil", at, now)).transpose()?;
    let access = new.access.unwrap_or_default();
    let teaser_given = new.teaser_blocks.map_or(Update::Keep, Update::Set);
    let teaser_blocks = teaser_for(access, teaser_given, None)?;
    let txn = super::begin_write(db).await?;
    let slug = new_slug(&txn, new.slug.as_deref(), &headline).await?;
    require_section(&txn, new.section_id).await?;
    if let Some(image) = new.lead_image_id {
        require_image(&txn, image).await?;
    }
    let mut row = article::ActiveModel {
        slug: Set(slug),
        headline: Set(headline),
        standfirst: Set(standfirst),
        body_markdown: Set(body),
        status: Set(ArticleStatus::Draft),
        section_id: Set(new.section_id),
        lead_image_id: Set(new.lead_image_id),
        comments_open: Set(new.comments_open.unwrap_or(true)),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        scheduled_at: Set(None),
        kind: Set(new.kind.unwrap_or_default()),
        kicker: Set(kicker),
        dateline: Set(dateline),
        embargo_until: Set(embargo_until),
        access: Set(access),
        teaser_blocks: Set(teaser_blocks),
        ..Default::default()
    };
    apply_seo(&mut row, None, new.seo.clone())?;
    let created = row.insert(&txn).await?;
    set_bylines(&txn, created.id, &new.contributors).await?;
    let picks = related::checked_picks(&txn, None, &new.related_ids).await?;
    related::set_picks(&txn, created.id, &picks).await?;
    let new_tags = set_tags(&txn, created.id, &new.tags).await?;
    add_revision(&txn, &created, viewer.user_id()).await?;
    let listing = articles::listing(&txn, &created).await?;
    audit::record(
        &txn,
        viewer,
        "createArticle",
        Some((Kind::Article, created.id)),
        format!("created {}", quoted(&created.headline)),
    )
    .await?;
    super::commit(txn, changes::article_written(created.id, None, Some(&listing)).and(new_tags), pipeline).await?;
    Ok(created)
}

/// The article `id` if the viewer may edit it: editors any article, contributors their own
/// drafts. An article the viewer may not even see is not found.
async fn editable(db: &impl ConnectionTrait, viewer: &Viewer, id: i64, what: &str) -> Result<article::Model> {
    viewer.require(Role::Contributor, what)?;
    let found = article::Entity::find_by_id(id).one(db).await?;
    let found = found.filter(|a| super::articles::is_visible(viewer, a, super::now()));
    let article = found.ok_or_else(|| Error::NotFound("article".into()))?;
    let own_draft = article.created_by.is_some()
        && article.created_by == viewer.user_id()
        && article.status == ArticleStatus::Draft;
    if viewer.is_editor() || own_draft {
        Ok(article)
    } else {
        Err(Error::Forbidden(format!(
            "contributors may {what} only for their own drafts; this article is {}",
            status_name(article.status)
        )))
    }
}

pub fn status_name(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Draft => "DRAFT",
        ArticleStatus::InReview => "IN_REVIEW",
        ArticleStatus::Scheduled => "SCHEDULED",
        ArticleStatus::Published => "PUBLISHED",
        ArticleStatus::Archived => "ARCHIVED",
    }
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    changes: ArticleChanges,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    let txn = super::begin_write(db).await?;
    let current = editable(&txn, viewer, id, "edit articles").await?;
    let before = articles::listing(&txn, &current).await?;
    let mut row: article::ActiveModel = current.clone().into();
    let mut content_changed = false;
    if let Some(headline) = changes.headline {
        let headline = validate::headline(&headline)?;
        content_changed |= headline != current.headline;
        row.headline = Set(headline);
    }
    let standfirst = changes.standfirst.try_map(|s| validate::standfirst(Some(&s)))?.apply(current.standfirst.clone());
    content_changed |= standfirst != current.standfirst;
    row.standfirst = Set(standfirst);
    if let Some(body) = changes.body_markdown {
        let body = validate::body(&body)?;
        content_changed |= body != current.body_markdown;
        row.body_markdown = Set(body);
    }
    if let Some(new_slug) = changes.slug.filter(|s| *s != current.slug) {
        let new_slug = validate::slug("slug", &new_slug)?;
        if slug_owner(&txn, &new_slug, Some(id)).await?.is_some() {
            return Err(Error::Conflict(format!("the slug {new_slug} is taken by another article")));
        }
        // A slug that was ever public keeps resolving; one of this article's old slugs
        // taken back becomes current again.
        article_slug::Entity::delete_by_id(new_slug.clone()).exec(&txn).await?;
        if current.published_at.is_some() {
            article_slug::ActiveModel {
                slug: Set(current.slug.clone()),
                article_id: Set(id),
                created_at: Set(super::now()),
            }
            .insert(&txn)
            .await?;
        }
        row.slug = Set(new_slug);
    }
    if let Some(section) = changes.section_id {
        require_section(&txn, section).await?;
        row.section_id = Set(section);
    }
    if let Update::Set(image) = changes.lead_image_id {
        require_image(&txn, image).await?;
    }
    row.lead_image_id = Set(changes.lead_image_id.apply(current.lead_image_id));
    if let Some(open) = changes.comments_open {
        row.comments_open = Set(open);
    }
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    row.kicker = Set(changes.kicker.try_map(|k| validate::label("kicker", &k))?.apply(current.kicker.clone()));
    row.dateline = Set(changes.dateline.try_map(|d| validate::label("dateline", &d))?.apply(current.dateline.clone()));
    if let Some(seo) = changes.seo {
        apply_seo(&mut row, Some(&current), seo)?;
    }
    let now = super::now();
    let embargo_until = changes.embargo_until.try_map(|at| validate::future("embargoUntil", at, now).map(Some))?;
    if let Update::Set(until) = embargo_until
        && let Some(scheduled) = current.scheduled_at.filter(|_| current.status == ArticleStatus::Scheduled)
    {
        workflow::after_embargo(Some(until), scheduled)?;
    }
    row.embargo_until = Set(embargo_until.apply(current.embargo_until));
    let access = changes.access.unwrap_or(current.access);
    row.access = Set(access);
    row.teaser_blocks = Set(teaser_for(access, changes.teaser_blocks, current.teaser_blocks)?);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    if let Some(contributors) = &changes.contributors {
        set_bylines(&txn, id, contributors).await?;
    }
    if let Some(related_ids) = changes.related_ids {
        let picks = related::checked_picks(&txn, Some(id), &related_ids).await?;
        related::set_picks(&txn, id, &picks).await?;
    }
    let new_tags = match changes.tags {
        Some(tags) => set_tags(&txn, id, &tags).await?,
        None => Change::default(),
    };
    if content_changed {
        add_revision(&txn, &updated, viewer.user_id()).await?;
    }
    let after = articles::listing(&txn, &updated).await?;
    audit::record(
        &txn,
        viewer,
        "updateArticle",
        Some((Kind::Article, id)),
        format!("edited {}", quoted(&updated.headline)),
    )
    .await?;
    super::commit(txn, changes::article_written(id, Some(&before), Some(&after)).and(new_tags), pipeline).await?;
    Ok(updated)
}

/// Makes revision `number` the current text again, stored as a new revision.
pub async fn restore_revision(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    number: i32,
    pipeline: &Pipeline,
) -> Result<article::Model> {
    let txn = super::begin_write(db).await?;
    let current = editable(&txn, viewer, id, "restore revisions").await?;
    let listing = articles::listing(&txn, &current).await?;
    let revision = article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.eq(id))
        .filter(article_revision::Column::Number.eq(number))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::bad_input("number", format!("the article has no revision {number}")))?;
    let mut row: article::ActiveModel = current.into();
    row.headline = Set(revision.headline);
    row.standfirst = Set(revision.standfirst);
    row.body_markdown = Set(revision.body_markdown);
    row.updated_at = Set(super::now());
    let restored = row.update(&txn).await?;
    add_revision(&txn, &restored, viewer.user_id()).await?;
    audit::record(
        &txn,
        viewer,
        "restoreArticleRevision",
        Some((Kind::Article, id)),
        format!("restored revision {number} of {}", quoted(&restored.headline)),
    )
    .await?;
    super::commit(txn, changes::article_written(id, Some(&listing), Some(&listing)), pipeline).await?;
    Ok(restored)
}

pub const MAX_PREVIEW_MINUTES: i64 = 7 * 24 * 60;

/// Every saved version of the articles of `ids`, newest first. Editors and admins only.
pub async fn revisions_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    article_ids: &[i64],
) -> Result<Vec<article_revision::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated("revisions are for signed-in editors".into()));
    }
    if !viewer.is_editor() {
        return Err(Error::Forbidden("revisions are for editors and admins".into()));
    }
    let found = article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.is_in(article_ids.iter().copied()))
        .order_by_desc(article_revision::Column::Number)
        .all(db)
        .await?;
    Ok(found)
}

/// Checks that the viewer may share a preview of article `id` (staff who can see it) for
/// `minutes`, and answers the article.
pub async fn previewable(db: &DatabaseConnection, viewer: &Viewer, id: i64, minutes: i64) -> Result<article::Model> {
    viewer.require(Role::Contributor, "share previews")?;
    if !(1..=MAX_PREVIEW_MINUTES).contains(&minutes) {
        return Err(Error::bad_input(
            "ttlMinutes",
            format!("must be 1 to {MAX_PREVIEW_MINUTES} minutes, got {minutes}"),
        ));
    }
    let article = articles::find_by_id(db, viewer, id).await?.ok_or_else(|| Error::NotFound("article".into()))?;
    let summary = format!("shared a preview of {} for {minutes} minutes", quoted(&article.headline));
    audit::record(db, viewer, "createPreviewLink", Some((Kind::Article, id)), summary).await?;
    Ok(article)
}

/// Deletes an article with its revisions, slugs and comments. Editors and admins.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64, pipeline: &Pipeline) -> Result<()> {
    viewer.require(Role::Editor, "delete articles")?;
    let txn = super::begin_write(db).await?;
    let found = article::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("article".into()))?;
    let before = articles::listing(&txn, &found).await?;
    article::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "deleteArticle",
        Some((Kind::Article, id)),
        format!("deleted {}", quoted(&found.headline)),
    )
    .await?;
    super::commit(
        txn,
        changes::article_written(id, Some(&before), None).and(Change::of([Tag::Comments(id)])),
        pipeline,
    )
    .await?;
    Ok(())
}
