//! The media library.

use chrono::{DateTime, Utc};
use entity::article::ArticleKind;
use entity::user::Role;
use entity::{article, image, live_entry};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QuerySelect, RelationDef, Set,
};

use super::audit::{self, quoted};
use super::changes::{Change, Noticed, Tag};
use super::global_id::{self, Kind};
use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::pipeline::Pipeline;
use super::{Error, Result, Update, Viewer, articles, markdown, validate};

/// Every image, newest first. Contributors and up.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    window: &Window,
) -> Result<Page<image::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated("the media library is for signed-in staff".into()));
    }
    let query = image::Entity::find();
    let keyset = Keyset {
        list: "images",
        key: SortKey::Time(Expr::col((image::Entity, image::Column::CreatedAt))),
        id: Expr::col((image::Entity, image::Column::Id)),
        descending: true,
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset, window, total, |i: &image::Model| (SortValue::Time(i.created_at), i.id)).await
}

/// Whether the viewer gets this image, known to appear in an article they may see: staff
/// always (so they can see what to replace), readers only while its licence lasts.
pub fn shown_to(viewer: &Viewer, image: &image::Model, now: DateTime<Utc>) -> bool {
    viewer.is_staff() || !license_expired(image, now)
}

/// The image a body reference names: `image:ID` with the image's global id, as the API
/// hands it out, or its number.
///
/// Only the forms the API writes count (no padding, no leading zeros or sign), so that
/// the text of a body names each image one way, the way `shown_by_an_article` looks for it.
pub fn referenced_id(reference: &str) -> Option<i64> {
    let by_global_id = match global_id::decode(reference) {
        Some((Kind::Image, id)) => Some(id),
        _ => None,
    };
    let id = by_global_id.or_else(|| reference.parse().ok().filter(|id: &i64| *id > 0))?;
    let canonical = reference == global_id::encode(Kind::Image, id) || reference == id.to_string();
    canonical.then_some(id)
}

/// The images of `ids` as an article the viewer may see shows them (its lead image, the
/// pictures of its body): those the viewer gets under `shown_to`.
pub async fn shown_in_articles(db: &impl ConnectionTrait, viewer: &Viewer, ids: &[i64]) -> Result<Vec<image::Model>> {
    let now = super::now();
    Ok(by_ids(db, ids).await?.into_iter().filter(|image| shown_to(viewer, image, now)).collect())
}

/// The images of `ids` that exist, whoever asks: what to keep between queries, each shown
/// under [`shown_to`] when served.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<image::Model>> {
    Ok(image::Entity::find().filter(image::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// Whether the licence of an image has run out.
pub fn license_expired(image: &image::Model, now: DateTime<Utc>) -> bool {
    expired(image.license_expires_at, now)
}

/// Whether a licence that runs out at `expiry` (never: `None`) has run out by `now`.
pub fn expired(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expiry.is_some_and(|expiry| expiry <= now)
}

/// The change of the images whose licence ran out in `(after, until]`: readers stopped
/// getting them then.
pub async fn licences_expired_between(
    db: &DatabaseConnection,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Noticed>> {
    let expired: Vec<(i64, Option<DateTime<Utc>>)> = image::Entity::find()
        .select_only()
        .column(image::Column::Id)
        .column(image::Column::LicenseExpiresAt)
        .filter(image::Column::LicenseExpiresAt.gt(after))
        .filter(image::Column::LicenseExpiresAt.lte(until))
        .into_tuple()
        .all(db)
        .await?;
    Ok(expired
        .into_iter()
        .map(|(id, at)| Noticed {
            key: Some(format!("licence-expired:image-{id}:{}", at.map_or(0, |at| at.timestamp_micros()))),
            change: Change::of([Tag::Image(id)]),
        })
        .collect())
}

/// An image by id, under the one rule of who sees images: staff any image; anyone else
/// an image that an article they may see leads with or shows in its body (or in an entry
/// of its live blog), and only while its licence lasts. So pictures of unpublished stories
/// cannot be found by guessing ids.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<image::Model>> {
    let now = super::now();
    let Some(image) = image::Entity::find_by_id(id).one(db).await?.filter(|image| shown_to(viewer, image, now)) else {
        return Ok(None);
    };
    let in_view = viewer.is_staff() || shown_by_an_article(db, articles::visible_to(viewer, now), id).await?;
    Ok(in_view.then_some(image))
}

/// Whether an article of `articles` leads with image `id` or shows it in its body, or in
/// an entry of its live blog.
async fn shown_by_an_article(db: &impl ConnectionTrait, articles: Condition, id: i64) -> Result<bool> {
    let leading = article::Entity::find().filter(articles.clone()).filter(article::Column::LeadImageId.eq(id));
    if leading.count(db).await? > 0 {
        return Ok(true);
    }
    // The body's text narrows the articles down (a reference by number also matches
    // longer numbers, and text that only looks like a reference matches too); the
    // Markdown parser decides.
    let by_global_id = format!("%image:{}%", global_id::encode(Kind::Image, id));
    let by_number = format!("%image:{id}%");
    let bodies: Vec<String> = article::Entity::find()
        .select_only()
        .column(article::Column::BodyMarkdown)
        .filter(articles.clone())
        .filter(
            Condition::any()
                .add(article::Column::BodyMarkdown.like(by_global_id.clone()))
                .add(article::Column::BodyMarkdown.like(by_number.clone())),
        )
        .into_tuple()
        .all(db)
        .await?;
    if shows(&bodies, id) {
        return Ok(true);
    }
    let entries: Vec<String> = live_entry::Entity::find()
        .select_only()
        .column(live_entry::Column::BodyMarkdown)
        .join(JoinType::InnerJoin, article_of_entry())
        .filter(live_entry::Column::DeletedAt.is_null())
        .filter(article::Column::Kind.eq(ArticleKind::Live))
        .filter(articles)
        .filter(
            Condition::any()
                .add(live_entry::Column::BodyMarkdown.like(by_global_id))
                .add(live_entry::Column::BodyMarkdown.like(by_number)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(shows(&entries, id))
}

/// Whether one of these Markdown bodies shows image `id`.
fn shows(bodies: &[String], id: i64) -> bool {
    bodies
        .iter()
        .any(|body| markdown::stored_image_refs(body).iter().any(|reference| referenced_id(reference) == Some(id)))
}

fn article_of_entry() -> RelationDef {
    live_entry::Entity::belongs_to(article::Entity).from(live_entry::Column::ArticleId).to(article::Column::Id).into()
}

/// Who made an image and under what terms it may be published.
#[derive(Debug, Clone, Default)]
pub struct Rights {
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub distributor: Option<String>,
    pub license: Option<String>,
}

impl Rights {
    fn validated(self) -> Result<Rights> {
        let part = |field: &str, value: Option<String>| {
            validate::optional_text(field, value.as_deref(), validate::MAX_CREDIT_LEN)
        };
        Ok(Rights {
            photographer: part("credit.photographer", self.photographer)?,
            agency: part("credit.agency", self.agency)?,
            distributor: part("credit.distributor", self.distributor)?,
            license: part("credit.license", self.license)?,
        })
    }
}

pub struct NewImage {
    pub url: String,
    pub alt_text: String,
    pub caption: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub credit: Option<Rights>,
    pub copyright_holder: Option<String>,
    pub license_expires_at: Option<DateTime<Utc>>,
}

/// What an editor sends to change an image; `None` and `Update::Keep` leave a field.
#[derive(Default)]
pub struct ImageChanges {
    pub url: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Update<String>,
    pub width: Update<i32>,
    pub height: Update<i32>,
    /// A new credit replaces the whole credit.
    pub credit: Update<Rights>,
    pub copyright_holder: Update<String>,
    pub license_expires_at: Update<DateTime<Utc>>,
}

fn alt_text(value: &str) -> Result<String> {
    validate::text("altText", value, 1, validate::MAX_TEXT_LEN)
}

fn caption(value: Option<&str>) -> Result<Option<String>> {
    validate::optional_text("caption", value, validate::MAX_TEXT_LEN)
}

fn copyright_holder(value: Option<&str>) -> Result<Option<String>> {
    validate::optional_text("copyrightHolder", value, validate::MAX_CREDIT_LEN)
}

/// Adds an image to the library. Contributors and up.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewImage,
    pipeline: &Pipeline,
) -> Result<image::Model> {
    viewer.require(Role::Contributor, "add images")?;
    let rights = new.credit.unwrap_or_default().validated()?;
    let now = super::now();
    let txn = super::begin_write(db).await?;
    let created = image::ActiveModel {
        url: Set(validate::web_url("url", &new.url)?),
        alt_text: Set(alt_text(&new.alt_text)?),
        caption: Set(caption(new.caption.as_deref())?),
        width: Set(validate::dimension("width", new.width)?),
        height: Set(validate::dimension("height", new.height)?),
        photographer: Set(rights.photographer),
        agency: Set(rights.agency),
        distributor: Set(rights.distributor),
        license: Set(rights.license),
        copyright_holder: Set(copyright_holder(new.copyright_holder.as_deref())?),
        license_expires_at: Set(new.license_expires_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        "createImage",
        Some((Kind::Image, created.id)),
        format!("added image {}", quoted(&created.alt_text)),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Image(created.id)]), pipeline).await?;
    Ok(created)
}

/// Changes an image of the library. Editors and admins, since published articles use it.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    changes: ImageChanges,
    pipeline: &Pipeline,
) -> Result<image::Model> {
    viewer.require(Role::Editor, "change images")?;
    let txn = super::begin_write(db).await?;
    let current = image::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("image".into()))?;
    let mut row: image::ActiveModel = current.clone().into();
    if let Some(url) = changes.url {
        row.url = Set(validate::web_url("url", &url)?);
    }
    if let Some(text) = changes.alt_text {
        row.alt_text = Set(alt_text(&text)?);
    }
    row.caption = Set(changes.caption.try_map(|c| caption(Some(&c)))?.apply(current.caption.clone()));
    row.width = Set(changes.width.try_map(|w| validate::dimension("width", Some(w)))?.apply(current.width));
    row.height = Set(changes.height.try_map(|h| validate::dimension("height", Some(h)))?.apply(current.height));
    match changes.credit {
        Update::Keep => {}
        change => {
            let rights = change.try_map(|r| r.validated().map(Some))?.apply(None).unwrap_or_default();
            row.photographer = Set(rights.photographer);
            row.agency = Set(rights.agency);
            row.distributor = Set(rights.distributor);
            row.license = Set(rights.license);
        }
    }
    row.copyright_holder =
        Set(changes.copyright_holder.try_map(|h| copyright_holder(Some(&h)))?.apply(current.copyright_holder.clone()));
    row.license_expires_at = Set(changes.license_expires_at.apply(current.license_expires_at));
    row.updated_at = Set(super::now());
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "updateImage",
        Some((Kind::Image, id)),
        format!("changed image {}", quoted(&updated.alt_text)),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Image(id)]), pipeline).await?;
    Ok(updated)
}

/// Deletes an image. Editors and admins. Refused while an article, whatever its status,
/// leads with it or shows it in its body: it would vanish from the page.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64, pipeline: &Pipeline) -> Result<()> {
    viewer.require(Role::Editor, "delete images")?;
    let txn = super::begin_write(db).await?;
    let found = image::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("image".into()))?;
    if shown_by_an_article(&txn, Condition::all(), id).await? {
        return Err(Error::Conflict(
            "the image is in use: an article leads with it or shows it in its body or in a live blog entry; \
             take it out there first"
                .into(),
        ));
    }
    image::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "deleteImage",
        Some((Kind::Image, id)),
        format!("deleted image {}", quoted(&found.alt_text)),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Image(id)]), pipeline).await?;
    Ok(())
}

/// The media type an image's address names by its extension, when it names one.
pub fn media_type_of(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let extension = path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase())?;
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_names_an_image_one_way() {
        let global = global_id::encode(Kind::Image, 7);
        assert_eq!(referenced_id(&global), Some(7));
        assert_eq!(referenced_id("7"), Some(7));
        for other in ["007", "+7", "-7", "0", "", "x7", &format!("{global}="), &global_id::encode(Kind::Article, 7)] {
            assert_eq!(referenced_id(other), None, "{other}");
        }
    }
}
