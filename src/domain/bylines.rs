//! Authors and tags: the pages a reader reaches from an article's byline and tags.

use entity::user::Role;
use entity::{article_author, article_tag, author, tag};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::changes::{Change, Tag};
use super::pipeline::Pipeline;
use super::{Error, Result, Viewer, validate};

/// The bylines of the articles of `ids`: each article's id with an author, in byline order.
/// Public: the caller has the articles already, under their own visibility.
pub async fn authors_of(db: &impl ConnectionTrait, article_ids: &[i64]) -> Result<Vec<(i64, author::Model)>> {
    let bylines = article_author::Entity::find()
        .filter(article_author::Column::ArticleId.is_in(article_ids.iter().copied()))
        .order_by_asc(article_author::Column::Position)
        .order_by_asc(article_author::Column::AuthorId)
        .find_also_related(author::Entity)
        .all(db)
        .await?;
    Ok(bylines.into_iter().filter_map(|(link, author)| Some((link.article_id, author?))).collect())
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

pub async fn author_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<author::Model>> {
    Ok(author::Entity::find().filter(author::Column::Slug.eq(slug)).one(db).await?)
}

pub async fn author_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<author::Model>> {
    Ok(author::Entity::find_by_id(id).one(db).await?)
}

pub async fn tag_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find().filter(tag::Column::Slug.eq(slug)).one(db).await?)
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
    if author::Entity::find().filter(author::Column::Slug.eq(&slug)).one(&txn).await?.is_some() {
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
    txn.commit().await?;
    pipeline.publish(Change::of([Tag::Author(created.id), Tag::Authors]));
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
        let tag = match tag::Entity::find().filter(tag::Column::Slug.eq(&slug)).one(db).await? {
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
