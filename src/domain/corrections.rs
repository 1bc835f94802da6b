//! Corrections: public, timestamped notes on published articles. A correction is never
//! edited or deleted; a later one corrects it.

use entity::article::{self, ArticleStatus};
use entity::correction::{self, CorrectionKind};
use entity::user::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};

use super::audit::{self, quoted};
use super::changes::{Change, Event, Tag};
use super::editorial::status_name;
use super::global_id::Kind;
use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::pipeline::Pipeline;
use super::{Error, Result, Viewer, articles, validate};

/// Adds a correction to a published article and moves the article's `updatedAt`, in one
/// transaction. Editors and admins.
pub async fn add(
    db: &DatabaseConnection,
    viewer: &Viewer,
    article_id: i64,
    kind: CorrectionKind,
    text: &str,
    pipeline: &Pipeline,
) -> Result<correction::Model> {
    viewer.require(Role::Editor, "add corrections")?;
    let text = validate::text("text", text, 1, validate::MAX_TEXT_LEN)?;
    let txn = super::begin_write(db).await?;
    let article = article::Entity::find_by_id(article_id).one(&txn).await?;
    let article = article.ok_or_else(|| Error::NotFound("article".into()))?;
    if article.status != ArticleStatus::Published {
        let status = status_name(article.status);
        return Err(Error::bad_input(
            "articleId",
            format!("corrections go on published articles; this one is {status}"),
        ));
    }
    let now = super::now();
    let headline = article.headline.clone();
    let added = correction::ActiveModel {
        article_id: Set(article_id),
        kind: Set(kind),
        text: Set(text),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut row: article::ActiveModel = article.into();
    row.updated_at = Set(now);
    row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "addCorrection",
        Some((Kind::Article, article_id)),
        format!("added a correction to {}", quoted(&headline)),
    )
    .await?;
    // Lists in order of last update move too (`search`).
    let change = Change::of([Tag::Article(article_id), Tag::Corrections, Tag::Search])
        .with_event(Event::CorrectionAdded { article_id, correction_id: added.id });
    super::commit(txn, change, pipeline).await?;
    Ok(added)
}

/// The corrections of the articles of `ids`, each article's newest first. The caller has
/// the articles already, under their own visibility.
pub async fn of_articles(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<correction::Model>> {
    let found = correction::Entity::find()
        .filter(correction::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_desc(correction::Column::CreatedAt)
        .order_by_desc(correction::Column::Id)
        .all(db)
        .await?;
    Ok(found)
}

fn article_of_correction() -> RelationDef {
    correction::Entity::belongs_to(article::Entity).from(correction::Column::ArticleId).to(article::Column::Id).into()
}

/// The site's corrections page: the corrections of articles the viewer may see, newest
/// first.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    window: &Window,
) -> Result<Page<correction::Model>> {
    let query = correction::Entity::find()
        .join(sea_orm::JoinType::InnerJoin, article_of_correction())
        .filter(articles::visible_to(viewer, super::now()));
    let keyset = Keyset {
        list: "corrections",
        key: SortKey::Time(Expr::col((correction::Entity, correction::Column::CreatedAt))),
        id: Expr::col((correction::Entity, correction::Column::Id)),
        descending: true,
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset, window, total, |c: &correction::Model| (SortValue::Time(c.created_at), c.id)).await
}

/// A correction by id, when the viewer may see its article.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<correction::Model>> {
    let found = correction::Entity::find_by_id(id)
        .join(sea_orm::JoinType::InnerJoin, article_of_correction())
        .filter(articles::visible_to(viewer, super::now()))
        .one(db)
        .await?;
    Ok(found)
}
