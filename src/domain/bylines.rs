//! Authors and tags: the pages a reader reaches from an article's byline and tags.

use entity::article_author::ContributorRole;
use entity::user::Role;
use entity::{article_author, article_tag, author, author_slug, tag, tag_slug};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, quoted};
use super::changes::{Change, Tag};
use super::global_id::Kind;
use super::pipeline::Pipeline;
use super::{Error, Result, Update, Viewer, validate};

/// An author on an article's byline, with what they did for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    pub author: author::Model,
    pub role: ContributorRole,
}

/// The bylines of the articles of `ids`: each article's id with a contributor, in byline
/// order. Public: the caller has the articles already, under their own visibility.
pub async fn contributors_of(db: &impl ConnectionTrait, article_ids: &[i64]) -> Result<Vec<(i64, Contributor)>> {
    let bylines = article_author::Entity::find()
        .filter(article_author::Column::ArticleId.is_in(article_ids.iter().copied()))
        .order_by_asc(article_author::Column::Position)
        .order_by_asc(article_author::Column::AuthorId)
        .find_also_related(author::Entity)
        .all(db)
        .await?;
    Ok(bylines
        .into_iter()
        .filter_map(|(link, author)| Some((link.article_id, Contributor { author: author?, role: link.role })))
        .collect())
}

/// The tags of the articles of `ids`: each article's id with a tag, by tag name.
pub async fn tags_of(db: &impl ConnectionTrait, article_ids: &[i64]) -> Result<Vec<(i64, tag::Model)>> {
    let tagged = article_tag::Entity::find()
        .filter(article_tag::Column::ArticleId.is_in(article_ids.iter().copied()))
        .find_also_related(tag::Entity)
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?;
    Ok(tagged.into_iter().filter_map(|(link, tag)| Some((link.article_id, tag?))).collect())
}

/// An author by slug, or by a slug it had before a rename.
pub async fn author_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<author::Model>> {
    if let Some(found) = author::Entity::find().filter(author::Column::Slug.eq(slug)).one(db).await? {
        return Ok(Some(found));
    }
    match author_slug::Entity::find_by_id(slug.to_owned()).one(db).await? {
        Some(old) => author_by_id(db, old.author_id).await,
        None => Ok(None),
    }
}

pub async fn author_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<author::Model>> {
    Ok(author::Entity::find_by_id(id).one(db).await?)
}

/// A tag by slug, or by a slug it had before a rename.
pub async fn tag_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<tag::Model>> {
    if let Some(found) = tag::Entity::find().filter(tag::Column::Slug.eq(slug)).one(db).await? {
        return Ok(Some(found));
    }
    match tag_slug::Entity::find_by_id(slug.to_owned()).one(db).await? {
        Some(old) => tag_by_id(db, old.tag_id).await,
        None => Ok(None),
    }
}

pub async fn tag_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find_by_id(id).one(db).await?)
}

pub struct NewAuthor {
    pub name: String,
    pub slug: Option<String>,
    pub bio: Option<String>,
}

pub async fn create_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewAuthor,
    pipeline: &Pipeline,
) -> Result<author::Model> {
    viewer.require(Role::Editor, "create authors")?;
    let name = validate::name("name", &new.name)?;
    let slug = validate::slug_or_derived("slug", new.slug.as_deref(), &name)?;
    let bio = validate::optional_text("bio", new.bio.as_deref(), validate::MAX_TEXT_LEN)?;
    let txn = super::begin_write(db).await?;
    // An author's old slug keeps finding them, so it is not free for a new one.
    if author_by_slug(&txn, &slug).await?.is_some() {
        return Err(Error::Conflict(format!("an author with the slug {slug} exists already")));
    }
    let created = author::ActiveModel {
        slug: Set(slug),
        name: Set(name),
        bio: Set(bio),
        user_id: Set(None),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        "createAuthor",
        Some((Kind::Author, created.id)),
        format!("created author {}", quoted(&created.name)),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Author(created.id), Tag::Authors]), pipeline).await?;
    Ok(created)
}

/// The tags with these names, created when missing (the change names those); the same
/// name twice is one tag.
pub async fn tags_named(db: &impl ConnectionTrait, names: &[String]) -> Result<(Vec<tag::Model>, Change)> {
    let mut found: Vec<tag::Model> = Vec::new();
    let mut created = Change::default();
    for raw in names {
        let name = validate::name("tags", raw)?;
        let slug = validate::slug_or_derived("tags", None, &name)?;
        if found.iter().any(|t| t.slug == slug) {
            continue;
        }
        // A name that was the tag's before a rename finds it under its new one.
        let tag = match tag_by_slug(db, &slug).await? {
            Some(tag) => tag,
            None => {
                let tag = tag::ActiveModel {
                    slug: Set(slug),
                    name: Set(name),
                    created_at: Set(super::now()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                created.tags.extend([Tag::Tag(tag.id), Tag::Tags]);
                tag
            }
        };
        found.push(tag);
    }
    Ok((found, created))
}

/// What an editor sends to change an author; `None` and `Update::Keep` leave a field.
#[derive(Default)]
pub struct AuthorChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub bio: Update<String>,
}

/// Renames or re-describes an author. Editors and admins. A new slug leaves the old one
/// resolving to the same author.
pub async fn update_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    changes: AuthorChanges,
    pipeline: &Pipeline,
) -> Result<author::Model> {
    viewer.require(Role::Editor, "edit authors")?;
    let name = changes.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
    let slug = changes.slug.as_deref().map(|s| validate::slug("slug", s)).transpose()?;
    let bio = changes.bio.try_map(|b| validate::optional_text("bio", Some(&b), validate::MAX_TEXT_LEN))?;
    let txn = super::begin_write(db).await?;
    let current = author_by_id(&txn, id).await?.ok_or_else(|| Error::NotFound("author".into()))?;
    let mut row: author::ActiveModel = current.clone().into();
    if let Some(slug) = slug.filter(|s| *s != current.slug) {
        let owner = author_by_slug(&txn, &slug).await?.map(|a| a.id);
        if owner.is_some_and(|owner| owner != id) {
            return Err(Error::Conflict(format!("the slug {slug} is another author's")));
        }
        author_slug::Entity::delete_by_id(slug.clone()).exec(&txn).await?;
        author_slug::ActiveModel { slug: Set(current.slug.clone()), author_id: Set(id), created_at: Set(super::now()) }
            .insert(&txn)
            .await?;
        row.slug = Set(slug);
    }
    if let Some(name) = name {
        row.name = Set(name);
    }
    row.bio = Set(bio.apply(current.bio.clone()));
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "updateAuthor",
        Some((Kind::Author, id)),
        format!("changed author {} ({})", quoted(&updated.name), updated.slug),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Author(id), Tag::Authors]), pipeline).await?;
    Ok(updated)
}

/// What an editor sends to change a tag.
#[derive(Default)]
pub struct TagChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
}

/// Renames a tag. Editors and admins. A new slug leaves the old one resolving to the same
/// tag, and writing the old name on an article finds it too.
pub async fn update_tag(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    changes: TagChanges,
    pipeline: &Pipeline,
) -> Result<tag::Model> {
    viewer.require(Role::Editor, "edit tags")?;
    let name = changes.name.as_deref().map(|n| validate::name("name", n)).transpose()?;
    let slug = changes.slug.as_deref().map(|s| validate::slug("slug", s)).transpose()?;
    let txn = super::begin_write(db).await?;
    let current = tag_by_id(&txn, id).await?.ok_or_else(|| Error::NotFound("tag".into()))?;
    let mut row: tag::ActiveModel = current.clone().into();
    if let Some(slug) = slug.filter(|s| *s != current.slug) {
        let owner = tag_by_slug(&txn, &slug).await?.map(|t| t.id);
        if owner.is_some_and(|owner| owner != id) {
            return Err(Error::Conflict(format!("the slug {slug} is another tag's")));
        }
        tag_slug::Entity::delete_by_id(slug.clone()).exec(&txn).await?;
        tag_slug::ActiveModel { slug: Set(current.slug.clone()), tag_id: Set(id), created_at: Set(super::now()) }
            .insert(&txn)
            .await?;
        row.slug = Set(slug);
    }
    if let Some(name) = name {
        row.name = Set(name);
    }
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "updateTag",
        Some((Kind::Tag, id)),
        format!("changed tag {} ({})", quoted(&updated.name), updated.slug),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Tag(id), Tag::Tags]), pipeline).await?;
    Ok(updated)
}
