//! Live blogs as the API shows them: entries, their pages, and the events of a blog.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::SubsecRound;
use entity::{article, live_entry};

use super::article::{Article, Block, body_blocks, body_html};
use super::error::{self, GqlResult};
use super::ids::{self, Kind};
use super::loaders::{ArticleId, DeletedLiveEntries, EntryAuthorsOf, FirstLiveEntries, LiveEntryCount};
use super::people::Author;
use super::scalars::DateTime;
use crate::domain::changes::{EntryChange, Tag};
use crate::domain::live;
use crate::domain::pagination::{Page, PageArgs, TotalCount, Window};

#[derive(Clone)]
pub struct LiveEntry(pub live_entry::Model);

impl From<live_entry::Model> for LiveEntry {
    fn from(model: live_entry::Model) -> Self {
        LiveEntry(model)
    }
}

/// One timestamped entry of a live blog.
#[Object]
impl LiveEntry {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::LiveEntry, self.0.id)
    }

    async fn headline(&self) -> Option<&str> {
        self.0.headline.as_deref()
    }

    async fn body_markdown(&self) -> &str {
        &self.0.body_markdown
    }

    async fn body_html(&self, ctx: &Context<'_>) -> Result<String> {
        body_html(ctx, &self.0.body_markdown).await
    }

    async fn blocks(&self, ctx: &Context<'_>) -> Result<Vec<Block>> {
        body_blocks(ctx, &self.0.body_markdown).await
    }

    /// Pinned entries lead the blog, before the others.
    async fn pinned(&self) -> bool {
        self.0.pinned
    }

    async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<Author>> {
        let found = super::loaders(ctx)?.load_one(EntryAuthorsOf(self.0.id)).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(Author).collect())
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Moves with every edit.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// The live blog the entry belongs to.
    async fn article(&self, ctx: &Context<'_>) -> Result<Article> {
        super::loaders(ctx)?
            .load_one(ArticleId(self.0.article_id))
            .await
            .gql()?
            .map(Article)
            .ok_or_else(|| error::coded("the entry's article is not shown to you", error::NOT_FOUND))
    }
}

super::connection::connection!(LiveEntryConnection, LiveEntryEdge, LiveEntry);

/// An entry as an editor writes it. On `updateLiveEntry` the headline and body replace
/// what was there (a missing headline removes it); `pinned` and `authorIds` left out stay
/// as they were.
#[derive(InputObject)]
pub struct LiveEntryInput {
    /// At most 300 characters; blank is none.
    pub headline: Option<String>,
    /// Markdown, as an article body; `![alt](image:ID)` shows a stored image.
    pub body_markdown: String,
    /// False when a new entry leaves it out.
    pub pinned: Option<bool>,
    /// In order. A new entry that leaves them out names the authors linked to the
    /// writer's account.
    pub author_ids: Option<Vec<ID>>,
}

impl LiveEntryInput {
    pub fn into_domain(self) -> Result<live::EntryInput> {
        let author_ids = match self.author_ids {
            Some(ids) => Some(
                ids.iter()
                    .map(|id| ids::decode_as(Kind::Author, "authorIds", id))
                    .collect::<Result<Vec<_>, _>>()
                    .gql()?,
            ),
            None => None,
        };
        Ok(live::EntryInput {
            headline: self.headline,
            body_markdown: self.body_markdown,
            pinned: self.pinned,
            author_ids,
        })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::changes::EntryChange")]
pub enum LiveBlogChange {
    Added,
    Updated,
    Deleted,
}

/// What happened to one entry of a live blog.
#[derive(SimpleObject)]
pub struct LiveBlogEvent {
    pub change: LiveBlogChange,
    pub entry_id: ID,
    /// Null when the entry was deleted.
    pub entry: Option<LiveEntry>,
}

impl LiveBlogEvent {
    pub fn new(change: EntryChange, entry_id: i64, entry: Option<live_entry::Model>) -> Self {
        LiveBlogEvent {
            change: change.into(),
            entry_id: ids::encode(Kind::LiveEntry, entry_id),
            entry: entry.map(LiveEntry),
        }
    }
}

/// One page of an article's live blog. The first page of every blog in a request comes
/// from one batched read, and so do their sizes; articles that are not LIVE have none.
pub async fn live_connection(
    ctx: &Context<'_>,
    article: &article::Model,
    first: Option<i32>,
    after: Option<String>,
    since: Option<DateTime>,
) -> Result<LiveEntryConnection> {
    let window = Window::parse(PageArgs::forward(first, after)).gql()?;
    if !live::entries_shown(&super::viewer(ctx), article) {
        let empty: Page<live_entry::Model> =
            Page { edges: Vec::new(), has_next_page: false, has_previous_page: false, total: TotalCount::known(0) };
        return Ok(empty.into());
    }
    // Times are kept to the microsecond.
    let since = since.map(|at| at.0.trunc_subsecs(6));
    let loaders = super::loaders(ctx)?;
    let Window::Forward { limit, after: None } = window else {
        let page = live::later_page(&super::reader(ctx).await?, article.id, since, &window).await.gql()?;
        super::read(ctx, [Tag::Article(article.id)]);
        return Ok(page.into());
    };
    // The size and the first page are asked for together, so they share one batch round.
    let (total, rows) = futures_util::future::try_join(
        async {
            match super::connection::wants_total(ctx) {
                true => loaders
                    .load_one(LiveEntryCount { article: article.id, since })
                    .await
                    .map(|n| n.unwrap_or(0).max(0) as u64),
                false => Ok(0),
            }
        },
        async {
            let key = FirstLiveEntries { article: article.id, limit, since };
            loaders.load_one(key).await.map(|rows| rows.unwrap_or_default())
        },
    )
    .await
    .gql()?;
    Ok(live::first_page(rows, limit, since.is_some(), TotalCount::known(total)).into())
}

/// The ids of the entries of an article's live blog deleted after `since`.
pub async fn deleted_ids(ctx: &Context<'_>, article: &article::Model, since: DateTime) -> Result<Vec<ID>> {
    if !live::entries_shown(&super::viewer(ctx), article) {
        return Ok(Vec::new());
    }
    let key = DeletedLiveEntries { article: article.id, since: since.0.trunc_subsecs(6) };
    let found = super::loaders(ctx)?.load_one(key).await.gql()?;
    Ok(found.unwrap_or_default().into_iter().map(|id| ids::encode(Kind::LiveEntry, id)).collect())
}
