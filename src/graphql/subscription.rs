//! The `Subscription` root: events of the change pipeline, each shown to a subscriber only
//! when a query by the same viewer could see it.

use async_graphql::{Context, ID, Result, Subscription as SubscriptionRoot};
use entity::comment::CommentStatus;
use futures_util::{Stream, StreamExt};

use super::article::Article;
use super::comment::Comment;
use super::error::{self, GqlResult};
use super::ids::{self, Kind};
use super::live::LiveBlogEvent;
use crate::domain::changes::{EntryChange, Event, Tag as CacheTag};
use crate::domain::pipeline::FellBehind;
use crate::domain::sections::SectionTree;
use crate::domain::{articles, comments, live};

pub struct Subscription;

fn fell_behind(error: FellBehind) -> async_graphql::Error {
    error::coded(error.to_string(), error::SUBSCRIPTION_DROPPED)
}

#[SubscriptionRoot]
impl Subscription {
    /// Comments on this article as they are approved.
    async fn comment_added(&self, ctx: &Context<'_>, article_id: ID) -> Result<impl Stream<Item = Result<Comment>>> {
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let id = ids::decode_as(Kind::Article, "articleId", &article_id).gql()?;
        if articles::find_by_id(&services.db, &viewer, id).await.gql()?.is_none() {
            return Err(error::coded("no article has this id", error::NOT_FOUND));
        }
        let db = services.db.clone();
        Ok(services.pipeline.events().filter_map(move |event| {
            let db = db.clone();
            async move {
                let comment_id = match event {
                    Ok(Event::CommentApproved { article_id, comment_id }) if article_id == id => comment_id,
                    Ok(_) => return None,
                    Err(fell) => return Some(Err(fell_behind(fell))),
                };
                match comments::find(&db, &viewer, comment_id).await {
                    Ok(found) => found.filter(|c| c.status == CommentStatus::Approved).map(|c| Ok(Comment::from(c))),
                    Err(error) => Some(Err(error::to_gql(&error))),
                }
            }
        }))
    }

    /// A published article readers have open, each time it changes for them: an edit, a
    /// correction, a live entry. While it is hidden from the subscriber (unpublished, under
    /// embargo) nothing is sent; it is sent again once they may see it.
    async fn article_updated(&self, ctx: &Context<'_>, id: ID) -> Result<impl Stream<Item = Result<Article>>> {
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let id = ids::decode_as(Kind::Article, "id", &id).gql()?;
        if articles::find_by_id(&services.db, &viewer, id).await.gql()?.is_none() {
            return Err(error::coded("no article has this id", error::NOT_FOUND));
        }
        let db = services.db.clone();
        Ok(services.pipeline.subscribe().filter_map(move |change| {
            let db = db.clone();
            let wanted = match &change {
                Ok(change) => change.touches([&CacheTag::Article(id)]),
                Err(_) => true,
            };
            async move {
                match change {
                    Err(fell) => Some(Err(fell_behind(fell))),
                    Ok(_) if !wanted => None,
                    Ok(_) => match articles::find_by_id(&db, &viewer, id).await {
                        Ok(found) => found.map(|a| Ok(Article(a))),
                        Err(error) => Some(Err(error::to_gql(&error))),
                    },
                }
            }
        }))
    }

    /// Each entry of this article's live blog as it is added, edited or deleted, while the
    /// article is one the subscriber may see.
    async fn live_blog_updated(
        &self,
        ctx: &Context<'_>,
        article_id: ID,
    ) -> Result<impl Stream<Item = Result<LiveBlogEvent>>> {
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let id = ids::decode_as(Kind::Article, "articleId", &article_id).gql()?;
        if articles::find_by_id(&services.db, &viewer, id).await.gql()?.is_none() {
            return Err(error::coded("no article has this id", error::NOT_FOUND));
        }
        let db = services.db.clone();
        Ok(services.pipeline.events().filter_map(move |event| {
            let db = db.clone();
            async move {
                let (entry_id, change) = match event {
                    Ok(Event::LiveEntryChanged { article_id, entry_id, change }) if article_id == id => {
                        (entry_id, change)
                    }
                    Ok(_) => return None,
                    Err(fell) => return Some(Err(fell_behind(fell))),
                };
                let shown = match change {
                    EntryChange::Deleted => articles::find_by_id(&db, &viewer, id)
                        .await
                        .map(|a| a.filter(|a| live::entries_shown(&viewer, a)).map(|_| None)),
                    EntryChange::Added | EntryChange::Updated => {
                        live::find(&db, &viewer, entry_id).await.map(|e| e.map(Some))
                    }
                };
                match shown {
                    Ok(Some(entry)) => Some(Ok(LiveBlogEvent::new(change, entry_id, entry))),
                    // Hidden from this subscriber now, or deleted since.
                    Ok(None) => None,
                    Err(error) => Some(Err(error::to_gql(&error))),
                }
            }
        }))
    }

    /// Articles as they go live, optionally only those of one section (subsections included).
    async fn article_published(
        &self,
        ctx: &Context<'_>,
        section: Option<String>,
    ) -> Result<impl Stream<Item = Result<Article>>> {
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let sections = match section {
            Some(slug) => {
                let tree = SectionTree::load(&services.db).await.gql()?;
                let root = tree.by_slug(&slug).ok_or_else(|| {
                    error::to_gql(&crate::domain::Error::bad_input("section", "no section has this slug"))
                })?;
                Some(tree.subtree_ids(root.id))
            }
            None => None,
        };
        let db = services.db.clone();
        Ok(services.pipeline.events().filter_map(move |event| {
            let db = db.clone();
            let wanted = match &event {
                Ok(Event::ArticlePublished { section_id, .. }) => {
                    sections.as_ref().is_none_or(|s| s.contains(section_id))
                }
                Ok(_) => false,
                Err(_) => true,
            };
            async move {
                let article_id = match event {
                    Ok(Event::ArticlePublished { article_id, .. }) if wanted => article_id,
                    Ok(_) => return None,
                    Err(fell) => return Some(Err(fell_behind(fell))),
                };
                match articles::find_by_id(&db, &viewer, article_id).await {
                    Ok(found) => found.map(|a| Ok(Article(a))),
                    Err(error) => Some(Err(error::to_gql(&error))),
                }
            }
        }))
    }
}
