use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject, Union};
use entity::article_author::ContributorRole;
use entity::{article, article_revision};

use super::comment::{CommentConnection, thread_connection};
use super::correction::Correction;
use super::error::{self, GqlResult};
use super::ids::{self, Kind};
use super::image::Image;
use super::live::{LiveEntryConnection, deleted_ids, live_connection};
use super::loaders::{
    BylinesOf, CorrectionsOf, FirstArticles, FirstLiveEntries, ImageId, RelatedOf, RevisionsOf, ShelfSize, TagsOf,
    UserId,
};
use super::people::{Author, Byline, Tag, User};
use super::scalars::DateTime;
use super::section::Section;
use crate::domain::articles::Shelf;
use crate::domain::changes::Tag as CacheTag;
use crate::domain::comments::{CommentOrder as DomainCommentOrder, Tally, Thread};
use crate::domain::markdown::{self, ImageSource};
use crate::domain::pagination::{PageArgs, TotalCount, Window};
use crate::domain::structured_data::{self, ArticlePage};
use crate::domain::{Error, Viewer, articles, images};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::article::ArticleStatus")]
pub enum ArticleStatus {
    Draft,
    InReview,
    Scheduled,
    Published,
    Archived,
}

/// What kind of journalism a piece is; frontends label it, structured data follows it.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::article::ArticleKind")]
pub enum ArticleKind {
    News,
    Analysis,
    Opinion,
    Review,
    Feature,
    Obituary,
    Sponsored,
    /// A live blog: timestamped entries under one headline.
    Live,
}

/// Who may read the whole body. FREE for all; the others show `teaserBlocks` to the rest.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::article::AccessLevel")]
pub enum AccessLevel {
    Free,
    Registered,
    Subscriber,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ArticleOrderField {
    PublishedAt,
    UpdatedAt,
}

#[derive(InputObject)]
pub struct ArticleOrder {
    pub field: ArticleOrderField,
    pub direction: OrderDirection,
}

impl From<ArticleOrder> for articles::ArticleOrder {
    fn from(order: ArticleOrder) -> Self {
        articles::ArticleOrder {
            field: match order.field {
                ArticleOrderField::PublishedAt => articles::OrderField::PublishedAt,
                ArticleOrderField::UpdatedAt => articles::OrderField::UpdatedAt,
            },
            descending: order.direction == OrderDirection::Desc,
        }
    }
}

#[derive(InputObject, Default)]
pub struct ArticleFilter {
    /// Section slug; subsections are included.
    pub section: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Anything but PUBLISHED needs a contributor or higher.
    pub status: Option<ArticleStatus>,
    pub kind: Option<ArticleKind>,
    pub published_after: Option<DateTime>,
    pub published_before: Option<DateTime>,
}

impl From<ArticleFilter> for articles::ArticleFilter {
    fn from(filter: ArticleFilter) -> Self {
        articles::ArticleFilter {
            section: filter.section,
            tag: filter.tag,
            author: filter.author,
            status: filter.status.map(Into::into),
            kind: filter.kind.map(Into::into),
            published_after: filter.published_after.map(|d| d.0),
            published_before: filter.published_before.map(|d| d.0),
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CommentOrder {
    OldestFirst,
    NewestFirst,
}

#[derive(SimpleObject)]
pub struct ParagraphBlock {
    /// Sanitised inline HTML (links, emphasis).
    html: String,
    text: String,
}

#[derive(SimpleObject)]
pub struct HeadingBlock {
    level: i32,
    text: String,
}

#[derive(SimpleObject)]
pub struct ImageBlock {
    /// The stored image, when the Markdown names one as ![alt](image:ID).
    image: Option<Box<Image>>,
    url: String,
    alt_text: String,
    caption: Option<String>,
}

#[derive(SimpleObject)]
pub struct QuoteBlock {
    html: String,
    text: String,
}

#[derive(SimpleObject)]
pub struct ListBlock {
    ordered: bool,
    /// Sanitised inline HTML of each item.
    items: Vec<String>,
}

/// The article body, parsed from its Markdown into blocks a native client can lay out.
#[derive(Union)]
pub enum Block {
    Paragraph(ParagraphBlock),
    Heading(HeadingBlock),
    Image(ImageBlock),
    Quote(QuoteBlock),
    List(ListBlock),
}

#[derive(SimpleObject)]
pub struct Seo {
    /// Defaults to the headline.
    title: String,
    /// Defaults to the standfirst.
    description: Option<String>,
    canonical_url: Option<String>,
}

pub struct ArticleRevision(article_revision::Model);

#[Object]
impl ArticleRevision {
    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn headline(&self) -> &str {
        &self.0.headline
    }

    async fn standfirst(&self) -> Option<&str> {
        self.0.standfirst.as_deref()
    }

    async fn body_markdown(&self) -> &str {
        &self.0.body_markdown
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn editor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.editor_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)?.load_one(UserId(id)).await.gql()?.map(User))
    }
}

#[derive(Clone)]
pub struct Article(pub article::Model);

impl From<article::Model> for Article {
    fn from(model: article::Model) -> Self {
        Article(model)
    }
}

/// How many of a live blog's entries its structured data lists.
const LIVE_UPDATES_SHOWN: u64 = 10;

impl Article {
    /// The part of the body this caller may read: all of it, or the teaser of a paywalled
    /// article. Every field that shows the body starts from it.
    fn readable_body(&self, ctx: &Context<'_>) -> &str {
        articles::readable_body(&super::viewer(ctx), &self.0)
    }
}

/// The stored images a Markdown body refers to, by the reference text written in it,
/// through the request's image loader.
pub async fn referenced_images(ctx: &Context<'_>, markdown: &str) -> Result<HashMap<String, entity::image::Model>> {
    let references = markdown::stored_image_refs(markdown);
    let wanted: Vec<(String, i64)> =
        references.into_iter().filter_map(|r| images::referenced_id(&r).map(|id| (r, id))).collect();
    let loaded = super::loaders(ctx)?.load_many(wanted.iter().map(|(_, id)| ImageId(*id))).await.gql()?;
    Ok(wanted.into_iter().filter_map(|(r, id)| loaded.get(&ImageId(id)).map(|image| (r, image.clone()))).collect())
}

/// A Markdown body as HTML, stored images resolved: an article's, a live entry's.
pub async fn body_html(ctx: &Context<'_>, markdown: &str) -> Result<String> {
    let images = referenced_images(ctx, markdown).await?;
    Ok(markdown::render_html(markdown, |reference| images.get(reference).map(|i| i.url.clone())))
}

/// A Markdown body as blocks, stored images resolved (a picture of an image readers may
/// not get is left out).
pub async fn body_blocks(ctx: &Context<'_>, markdown: &str) -> Result<Vec<Block>> {
    let images = referenced_images(ctx, markdown).await?;
    Ok(markdown::parsed(markdown)
        .blocks
        .iter()
        .cloned()
        .filter_map(|block| {
            Some(match block {
                markdown::Block::Paragraph { html, text } => Block::Paragraph(ParagraphBlock { html, text }),
                markdown::Block::Heading { level, text } => Block::Heading(HeadingBlock { level: level.into(), text }),
                markdown::Block::Quote { html, text } => Block::Quote(QuoteBlock { html, text }),
                markdown::Block::List { ordered, items } => Block::List(ListBlock { ordered, items }),
                markdown::Block::Image { source: ImageSource::External(url), alt_text, caption } => {
                    Block::Image(ImageBlock { image: None, url, alt_text, caption })
                }
                markdown::Block::Image { source: ImageSource::Stored(reference), alt_text, caption } => {
                    let stored = images.get(&reference)?.clone();
                    Block::Image(ImageBlock {
                        url: stored.url.clone(),
                        alt_text: if alt_text.is_empty() { stored.alt_text.clone() } else { alt_text },
                        caption: caption.or_else(|| stored.caption.clone()),
                        image: Some(Box::new(Image(stored))),
                    })
                }
            })
        })
        .collect())
}

#[Object]
impl Article {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Article, self.0.id)
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn headline(&self) -> &str {
        &self.0.headline
    }

    async fn standfirst(&self) -> Option<&str> {
        self.0.standfirst.as_deref()
    }

    /// Of a paywalled article, only its teaser for callers without the access; so too
    /// `bodyHtml`, `bodyText` and `blocks`.
    async fn body_markdown(&self, ctx: &Context<'_>) -> &str {
        self.readable_body(ctx)
    }

    async fn body_html(&self, ctx: &Context<'_>) -> Result<String> {
        body_html(ctx, self.readable_body(ctx)).await
    }

    async fn body_text(&self, ctx: &Context<'_>) -> String {
        markdown::parsed(self.readable_body(ctx)).text.clone()
    }

    async fn blocks(&self, ctx: &Context<'_>) -> Result<Vec<Block>> {
        body_blocks(ctx, self.readable_body(ctx)).await
    }

    async fn status(&self) -> ArticleStatus {
        self.0.status.into()
    }

    async fn kind(&self) -> ArticleKind {
        self.0.kind.into()
    }

    /// A short label above the headline, e.g. "Exclusive".
    async fn kicker(&self) -> Option<&str> {
        self.0.kicker.as_deref()
    }

    /// Where the story was filed from, e.g. "KABUL".
    async fn dateline(&self) -> Option<&str> {
        self.0.dateline.as_deref()
    }

    async fn access(&self) -> AccessLevel {
        self.0.access.into()
    }

    /// How many body blocks readers without access see; null when the article is FREE.
    async fn teaser_blocks(&self) -> Option<i32> {
        articles::teaser_blocks(&self.0)
    }

    /// Whether this caller may read the whole body.
    async fn accessible(&self, ctx: &Context<'_>) -> bool {
        super::viewer(ctx).may_read(self.0.access)
    }

    /// Staff only see it; until then the article is hidden from every public path.
    async fn embargo_until(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.0.embargo_until.filter(|_| super::viewer(ctx).is_staff()).map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(Into::into)
    }

    async fn scheduled_at(&self) -> Option<DateTime> {
        self.0.scheduled_at.map(Into::into)
    }

    /// The article's public address, from the site's URL pattern.
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        let tree = super::section_tree(ctx).await?;
        let section = tree.get(self.0.section_id).map_or("", |s| s.slug.as_str());
        Ok(super::services(ctx)?.site.article_url(&self.0, &tree.path(self.0.section_id), section))
    }

    /// The page's schema.org JSON-LD: `NewsArticle`, or `OpinionNewsArticle`,
    /// `AnalysisNewsArticle`, `ReviewNewsArticle`, `LiveBlogPosting`, ... by kind. It holds
    /// what this caller may see, and never the body.
    async fn structured_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let services = super::services(ctx)?;
        let loaders = super::loaders(ctx)?;
        let tree = super::section_tree(ctx).await?;
        let section = tree.get(self.0.section_id);
        let url = services.site.article_url(&self.0, &tree.path(self.0.section_id), section.map_or("", |s| &s.slug));
        let contributors = loaders.load_one(BylinesOf(self.0.id)).await.gql()?.unwrap_or_default();
        let tags = loaders.load_one(TagsOf(self.0.id)).await.gql()?.unwrap_or_default();
        let corrections = loaders.load_one(CorrectionsOf(self.0.id)).await.gql()?.unwrap_or_default();
        let lead_image = match self.0.lead_image_id {
            Some(id) => loaders.load_one(ImageId(id)).await.gql()?,
            None => None,
        };
        let live_entries = if crate::domain::live::entries_shown(&super::viewer(ctx), &self.0) {
            let first = FirstLiveEntries { article: self.0.id, limit: LIVE_UPDATES_SHOWN, since: None };
            let mut entries = loaders.load_one(first).await.gql()?.unwrap_or_default();
            entries.truncate(LIVE_UPDATES_SHOWN as usize);
            entries
        } else {
            Vec::new()
        };
        Ok(Json(structured_data::of_article(&ArticlePage {
            site: &services.site,
            article: &self.0,
            url: &url,
            section,
            contributors: &contributors,
            tags: &tags,
            corrections: &corrections,
            lead_image: lead_image.as_ref(),
            live_entries: &live_entries,
        })))
    }

    async fn section(&self, ctx: &Context<'_>) -> Result<Section> {
        super::section_tree(ctx)
            .await?
            .get(self.0.section_id)
            .map(Section::from)
            .ok_or_else(|| error::to_gql(&Error::NotFound(format!("section of article {}", self.0.slug))))
    }

    async fn lead_image(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        let Some(id) = self.0.lead_image_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)?.load_one(ImageId(id)).await.gql()?.map(Image))
    }

    /// The writers of the byline, in order; `bylines` has every contributor.
    async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<Author>> {
        let found = super::loaders(ctx)?.load_one(BylinesOf(self.0.id)).await.gql()?;
        Ok(found
            .unwrap_or_default()
            .into_iter()
            .filter(|byline| byline.role == ContributorRole::Writer)
            .map(|byline| Author(byline.author))
            .collect())
    }

    /// Every contributor with their role, in order; `authors` stays the writers.
    async fn bylines(&self, ctx: &Context<'_>) -> Result<Vec<Byline>> {
        let found = super::loaders(ctx)?.load_one(BylinesOf(self.0.id)).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(Byline).collect())
    }

    /// Editors' picks first, then published articles sharing the most tags, newest first
    /// among equals; never this article, never one readers cannot see. `first`: 0 to 20,
    /// default 5.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn related(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<Article>> {
        let limit = first.unwrap_or(5);
        if !(0..=20).contains(&limit) {
            return Err(error::to_gql(&Error::bad_input("first", format!("must be 0 to 20, got {limit}"))));
        }
        let key = RelatedOf { article: self.0.id, limit: limit as u64 };
        let found = super::loaders(ctx)?.load_one(key).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(Article).collect())
    }

    /// Newest first. Adding one changes `updatedAt`.
    async fn corrections(&self, ctx: &Context<'_>) -> Result<Vec<Correction>> {
        let found = super::loaders(ctx)?.load_one(CorrectionsOf(self.0.id)).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(Correction).collect())
    }

    /// LIVE articles: pinned entries first, then the others, each newest first. With
    /// `since`, the entries added or edited after it, oldest change first, so that a client
    /// polling keeps the last `updatedAt` it saw for its next `since`; deleted entries are
    /// left out (`deletedLiveEntryIds` names them). Other articles have no entries.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn live_entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        since: Option<DateTime>,
    ) -> Result<LiveEntryConnection> {
        live_connection(ctx, &self.0, first, after, since).await
    }

    /// LIVE articles: the ids of the entries deleted after `since`, for a client polling
    /// with `liveEntries(since:)` to drop.
    async fn deleted_live_entry_ids(&self, ctx: &Context<'_>, since: DateTime) -> Result<Vec<ID>> {
        deleted_ids(ctx, &self.0, since).await
    }

    /// LIVE articles: when coverage ended; null while it is live.
    async fn coverage_ended_at(&self) -> Option<DateTime> {
        self.0.coverage_ended_at.map(DateTime)
    }

    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let found = super::loaders(ctx)?.load_one(TagsOf(self.0.id)).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(Tag).collect())
    }

    async fn word_count(&self) -> i32 {
        markdown::word_count(&markdown::parsed(&self.0.body_markdown).text) as i32
    }

    async fn reading_time_minutes(&self) -> i32 {
        let words = markdown::word_count(&markdown::parsed(&self.0.body_markdown).text);
        markdown::reading_time_minutes(words) as i32
    }

    async fn seo(&self) -> Seo {
        let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        Seo {
            title: given(&self.0.seo_title).unwrap_or_else(|| self.0.headline.clone()),
            description: given(&self.0.seo_description).or_else(|| self.0.standfirst.clone()),
            canonical_url: given(&self.0.canonical_url),
        }
    }

    async fn comments_open(&self) -> bool {
        self.0.comments_open
    }

    /// Approved comments, replies included.
    async fn comment_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(super::loaders(ctx)?.load_one(Tally::Article(self.0.id)).await.gql()?.unwrap_or(0) as i32)
    }

    /// Approved top-level comments; replies hang under each.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order: Option<CommentOrder>,
    ) -> Result<CommentConnection> {
        let order = match order {
            Some(CommentOrder::NewestFirst) => DomainCommentOrder::NewestFirst,
            _ => DomainCommentOrder::OldestFirst,
        };
        thread_connection(ctx, Thread::TopLevel { article: self.0.id, order }, first, after).await
    }

    /// Every saved version, newest first. Editors only.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<ArticleRevision>> {
        let found = super::loaders(ctx)?.load_one(RevisionsOf(self.0.id)).await.gql()?;
        Ok(found.unwrap_or_default().into_iter().map(ArticleRevision).collect())
    }
}

super::connection::connection!(ArticleConnection, ArticleEdge, Article);

/// The published articles of a shelf (a section front, an author's or a tag's page). The
/// first page of every shelf in a request comes from one batched query; later pages
/// (`after`) are read with `filter`.
pub async fn shelf_connection(
    ctx: &Context<'_>,
    shelf: Shelf,
    filter: articles::ArticleFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<ArticleConnection> {
    let cursor = after.clone();
    let window = Window::parse(PageArgs::forward(first, after)).gql()?;
    let loaders = super::loaders(ctx)?;
    let Window::Forward { limit, after: None } = window else {
        let tree = super::section_tree(ctx).await?;
        let read = async {
            let order = articles::ArticleOrder::default();
            let reader = super::reader(ctx).await?;
            articles::list(&reader, &Viewer::Anonymous, &filter, order, &window, &tree).await.gql()
        };
        let (Window::Forward { limit, .. } | Window::Backward { limit, .. }) = window;
        let tags: Vec<CacheTag> = articles::shelf_tags(shelf, &tree).into_iter().chain([CacheTag::Sections]).collect();
        // A page whose size is asked for is read with it; others may be kept.
        let page = match (cursor, super::connection::wants_total(ctx)) {
            (Some(cursor), false) => loaders.loader().later_shelf_page((shelf, limit, cursor), tags, read).await,
            _ => {
                let page = read.await;
                if let Ok(page) = &page {
                    super::read(ctx, tags.into_iter().chain(page.edges.iter().map(|e| CacheTag::Article(e.node.id))));
                }
                page
            }
        };
        return Ok(page?.into());
    };
    // The size and the first page are asked for together, so they share one batch round.
    let (total, rows) = futures_util::future::try_join(
        async {
            match super::connection::wants_total(ctx) {
                true => loaders.load_one(ShelfSize(shelf)).await.map(|n| n.unwrap_or(0).max(0) as u64),
                false => Ok(0),
            }
        },
        async { loaders.load_one(FirstArticles { shelf, limit }).await.map(|rows| rows.unwrap_or_default()) },
    )
    .await
    .gql()?;
    Ok(articles::shelf_page(rows, limit, TotalCount::known(total)).into())
}
