//! Authors and tags: the pages a reader reaches from an article's byline and tags.

use entity::{author, tag};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::Result;

pub async fn author_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<author::Model>> {
    Ok(author::Entity::find()
        .filter(author::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn author_by_id(db: &DatabaseConnection, id: i64) -> Result<Option<author::Model>> {
    Ok(author::Entity::find_by_id(id).one(db).await?)
}

pub async fn tag_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find()
        .filter(tag::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn tag_by_id(db: &DatabaseConnection, id: i64) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find_by_id(id).one(db).await?)
}
