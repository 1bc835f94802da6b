//! Related stories: an editor's picks first, in their order, then published articles that
//! share the most tags with the article, newest first among equals; never the article
//! itself, never one readers cannot see. Read for many articles at once, in three
//! statements whatever their number.

use std::collections::{HashMap, HashSet};

use entity::article::{self, ArticleStatus};
use entity::related_article;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement, Value,
};

use super::{Error, Result, Viewer, articles};

/// The most related stories an editor may pick for one article.
pub const MAX_PICKS: usize = 10;

/// The related stories of each article of `ids`, at most `limit` each.
pub async fn of_articles(
    db: &impl ConnectionTrait,
    ids: &[i64],
    limit: u64,
) -> Result<HashMap<i64, Vec<article::Model>>> {
    if ids.is_empty() || limit == 0 {
        return Ok(ids.iter().map(|id| (*id, Vec::new())).collect());
    }
    let picks = related_article::Entity::find()
        .filter(related_article::Column::ArticleId.is_in(ids.iter().copied()))
        .order_by_asc(related_article::Column::ArticleId)
        .order_by_asc(related_article::Column::Position)
        .all(db)
        .await?;
    // Enough candidates that the picks, which may be among them, still leave `limit`.
    let sharing = sharing_tags(db, ids, limit + MAX_PICKS as u64).await?;
    let wanted: Vec<i64> = picks.iter().map(|p| p.related_id).chain(sharing.iter().map(|(_, id)| *id)).collect();
    let shown: HashMap<i64, article::Model> = articles::visible_by_ids(db, &Viewer::Anonymous, &wanted)
        .await?
        .into_iter()
        .map(|article| (article.id, article))
        .collect();
    let mut related: HashMap<i64, Vec<article::Model>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    let mut taken: HashSet<(i64, i64)> = HashSet::new();
    let candidates = picks.iter().map(|p| (p.article_id, p.related_id)).chain(sharing);
    for (source, id) in candidates {
        let list = related.entry(source).or_default();
        if id == source || list.len() as u64 >= limit || !taken.insert((source, id)) {
            continue;
        }
        if let Some(article) = shown.get(&id) {
            list.push(article.clone());
        }
    }
    Ok(related)
}

/// For each article of `ids`, the published articles sharing at least one tag with it,
/// most shared tags first, then newest first: at most `limit` each, as `(article, other)`.
async fn sharing_tags(db: &impl ConnectionTrait, ids: &[i64], limit: u64) -> Result<Vec<(i64, i64)>> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(ids.len() + 3);
    let mut placeholder = |value: Value| {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let sources: Vec<String> = ids.iter().map(|id| placeholder((*id).into())).collect();
    let published = placeholder(ArticleStatus::Published.to_value().into());
    let now = super::now();
    let published_by = placeholder(now.into());
    // SQLite's `?` takes one value each time it appears.
    let lifted_by = placeholder(now.into());
    let limit = placeholder((limit as i64).into());
    // The window numbers each article's candidates after they are grouped, so each gets
    // its own first `limit` in one statement.
    let sql = format!(
        "SELECT source, other FROM (
           SELECT mine.article_id AS source, theirs.article_id AS other,
                  ROW_NUMBER() OVER (PARTITION BY mine.article_id
                                     ORDER BY COUNT(*) DESC, a.published_at DESC, a.id DESC) AS place
           FROM article_tags mine
           JOIN article_tags theirs ON theirs.tag_id = mine.tag_id AND theirs.article_id <> mine.article_id
           JOIN articles a ON a.id = theirs.article_id
           WHERE mine.article_id IN ({sources}) AND a.status = {published} AND a.published_at <= {published_by}
             AND (a.embargo_until IS NULL OR a.embargo_until <= {lifted_by})
           GROUP BY mine.article_id, theirs.article_id, a.published_at, a.id
         ) ranked
         WHERE place <= {limit}
         ORDER BY source, place",
        sources = sources.join(", "),
    );
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<i64>("", "source")?, row.try_get::<i64>("", "other")?)))
        .collect::<std::result::Result<_, sea_orm::DbErr>>()
        .map_err(Error::from)
}

/// Checks an editor's picks for article `own` (`None` while it is being created): at most
/// ten, existing, not the article itself; the same one twice counts once.
pub async fn checked_picks(db: &impl ConnectionTrait, own: Option<i64>, ids: &[i64]) -> Result<Vec<i64>> {
    let mut seen = HashSet::new();
    let picks: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if picks.len() > MAX_PICKS {
        return Err(Error::bad_input(
            "relatedIds",
            format!("at most {MAX_PICKS} related stories, got {}", picks.len()),
        ));
    }
    if own.is_some_and(|own| picks.contains(&own)) {
        return Err(Error::bad_input("relatedIds", "an article cannot be related to itself"));
    }
    let found = article::Entity::find().filter(article::Column::Id.is_in(picks.clone())).all(db).await?;
    if found.len() != picks.len() {
        return Err(Error::bad_input("relatedIds", "no article has one of these ids"));
    }
    Ok(picks)
}

/// Replaces the picks of article `id` with `picks`, in order.
pub async fn set_picks(db: &impl ConnectionTrait, id: i64, picks: &[i64]) -> Result<()> {
    related_article::Entity::delete_many().filter(related_article::Column::ArticleId.eq(id)).exec(db).await?;
    if picks.is_empty() {
        return Ok(());
    }
    let rows = picks.iter().enumerate().map(|(position, related)| related_article::ActiveModel {
        article_id: sea_orm::Set(id),
        related_id: sea_orm::Set(*related),
        position: sea_orm::Set(position as i32),
    });
    related_article::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
