use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Result};
use entity::comment;

use super::article::Article;
use super::error::GqlResult;
use super::ids::{self, Kind};
use super::loaders::{ArticleId, FirstComments, ParentId};
use super::scalars::DateTime;
use crate::domain::changes::Tag;
use crate::domain::comments::{self, Tally, Thread};
use crate::domain::pagination::{PageArgs, TotalCount, Window};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::comment::CommentStatus")]
pub enum CommentStatus {
    Pending,
    Approved,
    Rejected,
    Spam,
}

/// Shared with the request's loaders, which keep what they read for the request.
pub struct Comment(pub Arc<comment::Model>);

impl From<comment::Model> for Comment {
    fn from(model: comment::Model) -> Self {
        Comment(Arc::new(model))
    }
}

impl From<Arc<comment::Model>> for Comment {
    fn from(model: Arc<comment::Model>) -> Self {
        Comment(model)
    }
}

#[Object]
impl Comment {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Comment, self.0.id)
    }

    async fn article(&self, ctx: &Context<'_>) -> Result<Article> {
        super::loaders(ctx)?
            .load_one(ArticleId(self.0.article_id))
            .await
            .gql()?
            .map(Article)
            .ok_or_else(|| super::error::coded("the comment's article is gone", super::error::NOT_FOUND))
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Comment>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        let found = super::loaders(ctx)?.load_one(ParentId(parent)).await.gql()?;
        Ok(found.map(Comment::from))
    }

    async fn author_name(&self) -> &str {
        &self.0.author_name
    }

    /// The commenter's email: editors and admins only, null for everyone else.
    async fn author_email(&self, ctx: &Context<'_>) -> Option<&str> {
        if super::viewer(ctx).is_editor() { self.0.author_email.as_deref() } else { None }
    }

    /// As submitted, plain text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The body as safe HTML: escaped, paragraphs and links only.
    async fn body_html(&self) -> String {
        comments::body_html(&self.0.body)
    }

    async fn status(&self) -> CommentStatus {
        self.0.status.into()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Approved replies.
    async fn reply_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(super::loaders(ctx)?.load_one(Tally::Replies(self.0.id)).await.gql()?.unwrap_or(0) as i32)
    }

    /// Approved replies, oldest first.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn replies(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<CommentConnection> {
        thread_connection(ctx, Thread::Replies { parent: self.0.id, article: self.0.article_id }, first, after).await
    }
}

/// One page of a thread. The first page of every thread in a request comes from one
/// batched query, and so do their sizes.
pub async fn thread_connection(
    ctx: &Context<'_>,
    thread: Thread,
    first: Option<i32>,
    after: Option<String>,
) -> Result<CommentConnection> {
    let window = Window::parse(PageArgs::forward(first, after)).gql()?;
    let loaders = super::loaders(ctx)?;
    let tally = match thread {
        Thread::TopLevel { article, .. } => Tally::TopLevel(article),
        Thread::Replies { parent, .. } => Tally::Replies(parent),
    };
    let first_page = match window {
        Window::Forward { limit, after: None } => Some(limit),
        _ => None,
    };
    let reply_counts = first_page.is_some() && wants_reply_counts(ctx);
    // The size and the first page are asked for together, so they share one batch round.
    let (total, rows) = futures_util::future::try_join(
        async {
            match super::connection::wants_total(ctx) {
                true => loaders.load_one(tally).await.map(|n| n.unwrap_or(0).max(0) as u64),
                false => Ok(0),
            }
        },
        async {
            match first_page {
                Some(limit) => {
                    let peek = super::connection::wants_next_page(ctx);
                    let key = FirstComments { thread, limit, peek, reply_counts };
                    loaders.load_one(key).await.map(|rows| rows.unwrap_or_default())
                }
                None => Ok(Vec::new()),
            }
        },
    )
    .await
    .gql()?;
    let total = TotalCount::known(total);
    Ok(match first_page {
        Some(limit) => {
            if reply_counts {
                // The comments' reply counts came with them: their `replyCount` and
                // `replies { totalCount }` read them from the loaders instead of the database.
                loaders.feed_many(rows.iter().map(|(comment, replies)| (Tally::Replies(comment.id), *replies))).await;
            }
            thread.page(rows.into_iter().map(|(comment, _)| comment).collect(), limit, total).into()
        }
        None => {
            let page = comments::page(&super::reader(ctx).await?, thread, &window, total).await.gql()?;
            if let Thread::TopLevel { article, .. } = thread {
                super::read(ctx, [Tag::Comments(article)]);
            }
            page.into()
        }
    })
}

/// Whether the client asked for the number of replies of the comments being listed.
fn wants_reply_counts(ctx: &Context<'_>) -> bool {
    let asks = |comment: async_graphql::Lookahead<'_>| {
        comment.field("replyCount").exists() || comment.field("replies").field("totalCount").exists()
    };
    let connection = ctx.look_ahead();
    asks(connection.field("nodes")) || asks(connection.field("edges").field("node"))
}

super::connection::connection!(CommentConnection, CommentEdge, Comment);
