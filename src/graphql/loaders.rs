//! Batched loading: every relation a resolver follows goes through one per-request
//! `DataLoader`, so a request's SQL count does not grow with the page size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    article, article_author, article_revision, article_tag, author, comment, image, tag, user,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::Error;
use crate::domain::comments;
use crate::domain::sections::SectionTree;

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub fn per_request(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
}

pub struct DbLoader {
    db: DatabaseConnection,
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<Error>>;

fn failed(error: sea_orm::DbErr) -> Arc<Error> {
    Arc::new(Error::Database(error))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllSections;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArticleId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommentId(pub i64);
/// The byline of an article, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorsOf(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOf(pub i64);
/// Approved comments on an article, replies included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommentCountOf(pub i64);
/// Approved replies to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplyCountOf(pub i64);
/// The first `limit` (+1, to tell whether more follow) approved replies to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstReplies {
    pub parent: i64,
    pub limit: u64,
}

impl Loader<AllSections> for DbLoader {
    type Value = Arc<SectionTree>;
    type Error = Arc<Error>;

    async fn load(&self, _: &[AllSections]) -> LoadResult<AllSections, Arc<SectionTree>> {
        let tree = SectionTree::load(&self.db).await.map_err(Arc::new)?;
        Ok(HashMap::from([(AllSections, Arc::new(tree))]))
    }
}

macro_rules! by_primary_key {
    ($key:ident, $entity:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = Arc<Error>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $entity::Model> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err(failed)?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }
    };
}

by_primary_key!(ImageId, image);
by_primary_key!(UserId, user);
by_primary_key!(ArticleId, article);
by_primary_key!(CommentId, comment);

impl Loader<AuthorsOf> for DbLoader {
    type Value = Vec<author::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[AuthorsOf]) -> LoadResult<AuthorsOf, Vec<author::Model>> {
        let links = article_author::Entity::find()
            .filter(article_author::Column::ArticleId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(article_author::Column::Position)
            .order_by_asc(article_author::Column::AuthorId)
            .all(&self.db)
            .await
            .map_err(failed)?;
        let authors: HashMap<i64, author::Model> = author::Entity::find()
            .filter(author::Column::Id.is_in(links.iter().map(|l| l.author_id)))
            .all(&self.db)
            .await
            .map_err(failed)?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut by_article: HashMap<AuthorsOf, Vec<author::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(found) = authors.get(&link.author_id) {
                by_article
                    .entry(AuthorsOf(link.article_id))
                    .or_default()
                    .push(found.clone());
            }
        }
        Ok(by_article)
    }
}

impl Loader<TagsOf> for DbLoader {
    type Value = Vec<tag::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[TagsOf]) -> LoadResult<TagsOf, Vec<tag::Model>> {
        let links = article_tag::Entity::find()
            .filter(article_tag::Column::ArticleId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(failed)?;
        let tags: HashMap<i64, tag::Model> = tag::Entity::find()
            .filter(tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .order_by_asc(tag::Column::Name)
            .all(&self.db)
            .await
            .map_err(failed)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut by_article: HashMap<TagsOf, Vec<tag::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(found) = tags.get(&link.tag_id) {
                by_article
                    .entry(TagsOf(link.article_id))
                    .or_default()
                    .push(found.clone());
            }
        }
        for list in by_article.values_mut() {
            list.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(by_article)
    }
}

impl Loader<CommentCountOf> for DbLoader {
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[CommentCountOf]) -> LoadResult<CommentCountOf, i64> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let counts = comments::approved_counts(&self.db, comment::Column::ArticleId, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<ReplyCountOf> for DbLoader {
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[ReplyCountOf]) -> LoadResult<ReplyCountOf, i64> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let counts = comments::approved_counts(&self.db, comment::Column::ParentId, &ids)
            .await
            .map_err(Arc::new)?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<FirstReplies> for DbLoader {
    type Value = Vec<comment::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[FirstReplies]) -> LoadResult<FirstReplies, Vec<comment::Model>> {
        let mut by_limit: HashMap<u64, Vec<i64>> = HashMap::new();
        for key in keys {
            by_limit.entry(key.limit).or_default().push(key.parent);
        }
        let mut result = HashMap::new();
        for (limit, parents) in by_limit {
            let mut rows = comments::first_replies(&self.db, &parents, limit)
                .await
                .map_err(Arc::new)?;
            for parent in parents {
                result.insert(
                    FirstReplies { parent, limit },
                    rows.remove(&parent).unwrap_or_default(),
                );
            }
        }
        Ok(result)
    }
}

/// Every saved version of an article, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RevisionsOf(pub i64);

impl Loader<RevisionsOf> for DbLoader {
    type Value = Vec<article_revision::Model>;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[RevisionsOf],
    ) -> LoadResult<RevisionsOf, Vec<article_revision::Model>> {
        let rows = article_revision::Entity::find()
            .filter(article_revision::Column::ArticleId.is_in(keys.iter().map(|k| k.0)))
            .order_by_desc(article_revision::Column::Number)
            .all(&self.db)
            .await
            .map_err(failed)?;
        let mut by_article: HashMap<RevisionsOf, Vec<article_revision::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            by_article
                .entry(RevisionsOf(row.article_id))
                .or_default()
                .push(row);
        }
        Ok(by_article)
    }
}
