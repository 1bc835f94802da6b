//! The media library.

use entity::{article, image};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::{Error, Result, Viewer, articles};

/// Every image, newest first. Contributors and up.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    window: &Window,
) -> Result<Page<image::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated(
            "the media library is for signed-in staff".into(),
        ));
    }
    let query = image::Entity::find();
    let keyset = Keyset {
        list: "images",
        key: SortKey::Time(Expr::col((image::Entity, image::Column::CreatedAt))),
        id: Expr::col((image::Entity, image::Column::Id)),
        descending: true,
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset, window, total, |i: &image::Model| {
        (SortValue::Time(i.created_at), i.id)
    })
    .await
}

/// An image by id: any image for staff; for readers only the lead image of an article
/// they may see, so that pictures of unpublished stories cannot be found by guessing ids.
pub async fn find(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> Result<Option<image::Model>> {
    if !viewer.is_staff() {
        let shown = article::Entity::find()
            .filter(articles::visible_to(viewer, super::now()))
            .filter(article::Column::LeadImageId.eq(id))
            .count(db)
            .await?;
        if shown == 0 {
            return Ok(None);
        }
    }
    Ok(image::Entity::find_by_id(id).one(db).await?)
}
