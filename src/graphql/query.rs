use async_graphql::{Context, ID, Interface, Object, Result, SimpleObject};

use super::article::{Article, ArticleConnection, ArticleFilter, ArticleOrder};
use super::audit::{AuditEntry, AuditEntryConnection};
use super::comment::{Comment, CommentConnection, CommentStatus};
use super::correction::{Correction, CorrectionConnection};
use super::error::GqlResult;
use super::ids::{self, Kind};
use super::image::{Image, ImageConnection};
use super::live::LiveEntry;
use super::people::{Author, Tag, User};
use super::section::Section;
use super::webhook::{Webhook, WebhookDelivery};
use crate::domain::changes::Tag as CacheTag;
use crate::domain::pagination::{PageArgs, Window};
use crate::domain::{articles, audit, bylines, comments, corrections, images, live, search, users, webhooks};

/// Anything with a globally unique, opaque id that `Query.node` resolves.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Article(Article),
    Section(Section),
    Image(Image),
    Author(Author),
    Tag(Tag),
    Comment(Comment),
    User(User),
    Correction(Correction),
    AuditEntry(AuditEntry),
    LiveEntry(LiveEntry),
    Webhook(Webhook),
    WebhookDelivery(WebhookDelivery),
}

/// The complexity of a connection field: its items (the page size asked for, default
/// 20, at most 100) times the cost of one item. Capped, so that nested pages cannot
/// overflow the sum, which is refused long before the cap.
pub fn page_cost(first: Option<i32>, last: Option<i32>, per_item: usize) -> usize {
    const CAP: usize = 1 << 32;
    let size = first.or(last).unwrap_or(20).clamp(0, 100) as usize;
    size.max(1).saturating_mul(per_item).min(CAP)
}

/// The publication's public site: where readers find it, in which language.
#[derive(SimpleObject)]
pub struct Site {
    pub name: String,
    /// Without a trailing slash; every link the API gives out starts with it.
    pub url: String,
    /// A BCP 47 language tag.
    pub language: String,
}

pub struct Query;

#[Object]
impl Query {
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((kind, id)) = ids::decode(&id) else {
            return Ok(None);
        };
        let db = &super::reader(ctx).await?;
        let viewer = super::viewer(ctx);
        super::read(
            ctx,
            match kind {
                Kind::Article => Some(CacheTag::Article(id)),
                Kind::Image => Some(CacheTag::Image(id)),
                Kind::Author => Some(CacheTag::Author(id)),
                Kind::Tag => Some(CacheTag::Tag(id)),
                Kind::Comment => Some(CacheTag::Comment(id)),
                // The section tree registers itself; users are shown to staff only.
                // The audit log is shown to admins only.
                Kind::Section | Kind::User | Kind::AuditEntry | Kind::Webhook | Kind::WebhookDelivery => None,
                // Registered with its article below.
                Kind::Correction => Some(CacheTag::Corrections),
                Kind::LiveEntry => None,
            },
        );
        Ok(match kind {
            Kind::Article => articles::find_by_id(db, &viewer, id).await.gql()?.map(|a| Node::Article(a.into())),
            Kind::Section => super::section_tree(ctx).await?.get(id).map(|s| Node::Section(s.into())),
            Kind::Image => {
                // Readers see an image while an article they may see leads with it.
                super::read(ctx, [CacheTag::Search]);
                images::find(db, &viewer, id).await.gql()?.map(|i| Node::Image(Image(i)))
            }
            Kind::Author => bylines::author_by_id(db, id).await.gql()?.map(|a| Node::Author(Author(a))),
            Kind::Tag => bylines::tag_by_id(db, id).await.gql()?.map(|t| Node::Tag(Tag(t))),
            Kind::Comment => {
                let found = comments::find(db, &viewer, id).await.gql()?;
                // Whether readers see it depends on its article and its parent too: both
                // are registered, found or not, whenever the comment exists.
                let article = match &found {
                    Some(comment) => Some(comment.article_id),
                    None => comments::article_of(db, id).await.gql()?,
                };
                super::read(ctx, article.into_iter().flat_map(|a| [CacheTag::Comments(a), CacheTag::Article(a)]));
                found.map(|c| Node::Comment(Comment::from(c)))
            }
            Kind::User => users::find_visible(db, &viewer, id).await.gql()?.map(|u| Node::User(User(u))),
            Kind::Correction => {
                let found = corrections::find(db, &viewer, id).await.gql()?;
                super::read(ctx, found.iter().map(|c| CacheTag::Article(c.article_id)));
                found.map(|c| Node::Correction(Correction(c)))
            }
            Kind::AuditEntry => audit::find(db, &viewer, id).await.gql()?.map(|e| Node::AuditEntry(AuditEntry(e))),
            Kind::LiveEntry => {
                let found = live::find(db, &viewer, id).await.gql()?;
                // Whether it is shown follows its article, found or not.
                let article = match &found {
                    Some(entry) => Some(entry.article_id),
                    None => live::article_of(db, id).await.gql()?,
                };
                super::read(ctx, article.map(CacheTag::Article));
                found.map(|e| Node::LiveEntry(LiveEntry(e)))
            }
            Kind::Webhook => webhooks::find(db, &viewer, id).await.gql()?.map(|w| Node::Webhook(Webhook(w))),
            Kind::WebhookDelivery => {
                webhooks::find_delivery(db, &viewer, id).await.gql()?.map(|d| Node::WebhookDelivery(WebhookDelivery(d)))
            }
        })
    }

    /// A published article by slug (or any article, for contributors and up); an old slug still finds it.
    /// With `previewToken` (from `createPreviewLink`), that one article whatever its status.
    async fn article(&self, ctx: &Context<'_>, slug: String, preview_token: Option<String>) -> Result<Option<Article>> {
        let preview =
            match preview_token {
                Some(token) => Some(super::services(ctx)?.tokens.verify_preview(&token).map_err(|e| {
                    super::error::to_gql(&crate::domain::Error::bad_input("previewToken", e.to_string()))
                })?),
                None => None,
            };
        if preview.is_some() {
            // A draft shown to whoever holds the link: no cache may keep it for others.
            ctx.insert_http_header(axum::http::header::CACHE_CONTROL, "private, no-store");
        }
        let found = super::loaders(ctx)?.loader().article_by_slug(&slug, preview).await.gql()?;
        // Any article may come to have this slug.
        super::read(ctx, [found.as_ref().map_or(CacheTag::Search, |a| CacheTag::Article(a.id))]);
        Ok(found.map(Article::from))
    }

    #[allow(clippy::too_many_arguments)] // one per argument of the GraphQL field
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ArticleFilter>,
        order_by: Option<ArticleOrder>,
    ) -> Result<ArticleConnection> {
        let window = Window::parse(PageArgs { first, after, last, before }).gql()?;
        let filter: articles::ArticleFilter = filter.unwrap_or_default().into();
        // Which tag or author a slug names changes with creations and renames.
        super::read(
            ctx,
            filter.tag.iter().map(|_| CacheTag::Tags).chain(filter.author.iter().map(|_| CacheTag::Authors)),
        );
        let order = order_by.map(Into::into).unwrap_or_default();
        let tree = super::section_tree(ctx).await?;
        let page = articles::list(&super::reader(ctx).await?, &super::viewer(ctx), &filter, order, &window, &tree)
            .await
            .gql()?;
        let list = match order.field {
            articles::OrderField::PublishedAt => CacheTag::Articles,
            articles::OrderField::UpdatedAt => CacheTag::Search,
        };
        super::read(ctx, page.edges.iter().map(|edge| CacheTag::Article(edge.node.id)).chain([list]));
        Ok(page.into())
    }

    /// Full-text search over headline, standfirst and body, best match first. Every word
    /// of the query must occur (in any form: "elections" finds "election").
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn search_articles(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ArticleConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        let page = search::search(&super::reader(ctx).await?, &super::viewer(ctx), &query, &window).await.gql()?;
        super::read(ctx, page.edges.iter().map(|edge| CacheTag::Article(edge.node.id)).chain([CacheTag::Search]));
        Ok(page.into())
    }

    async fn section(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Section>> {
        Ok(super::section_tree(ctx).await?.by_slug(&slug).map(Section::from))
    }

    /// Every section, roots first.
    async fn sections(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        Ok(super::section_tree(ctx).await?.all_roots_first().into_iter().map(Section::from).collect())
    }

    async fn author(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Author>> {
        let found = bylines::author_by_slug(&super::reader(ctx).await?, &slug).await.gql()?;
        super::read(ctx, [found.as_ref().map_or(CacheTag::Authors, |a| CacheTag::Author(a.id))]);
        Ok(found.map(Author))
    }

    async fn tag(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Tag>> {
        let found = bylines::tag_by_slug(&super::reader(ctx).await?, &slug).await.gql()?;
        super::read(ctx, [found.as_ref().map_or(CacheTag::Tags, |t| CacheTag::Tag(t.id))]);
        Ok(found.map(Tag))
    }

    /// The publication's public site, as configured.
    async fn site(&self, ctx: &Context<'_>) -> Result<Site> {
        let site = &super::services(ctx)?.site;
        Ok(Site { name: site.name.clone(), url: site.url.clone(), language: site.language.clone() })
    }

    /// Corrections on published articles, newest first: a public corrections page.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn corrections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CorrectionConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        super::read(ctx, [CacheTag::Corrections]);
        let page = corrections::list(&super::reader(ctx).await?, &super::viewer(ctx), &window).await.gql()?;
        super::read(ctx, page.edges.iter().map(|edge| CacheTag::Article(edge.node.article_id)));
        Ok(page.into())
    }

    /// Every staff action, newest first; `subjectId` narrows it to one object's. Admins.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        subject_id: Option<ID>,
    ) -> Result<AuditEntryConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        let subject = match subject_id {
            Some(id) => Some(ids::decode(&id).ok_or_else(|| {
                super::error::to_gql(&crate::domain::Error::bad_input("subjectId", "is not an id this API gave out"))
            })?),
            None => None,
        };
        Ok(audit::list(&super::reader(ctx).await?, &super::viewer(ctx), subject, &window).await.gql()?.into())
    }

    /// Admins. Oldest first.
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        let found = webhooks::list(&super::reader(ctx).await?, &super::viewer(ctx)).await.gql()?;
        Ok(found.into_iter().map(Webhook).collect())
    }

    /// The media library, newest first. Contributors and up.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn images(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<ImageConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        Ok(images::list(&super::reader(ctx).await?, &super::viewer(ctx), &window).await.gql()?.into())
    }

    /// Comments awaiting a decision, oldest first. Editors and up.
    #[graphql(complexity = "page_cost(first, None, child_complexity)")]
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<CommentStatus>,
    ) -> Result<CommentConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        let status = status.map(Into::into).unwrap_or(entity::comment::CommentStatus::Pending);
        Ok(comments::moderation_queue(&super::reader(ctx).await?, &super::viewer(ctx), status, &window)
            .await
            .gql()?
            .into())
    }

    /// The signed-in user, or null.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = super::viewer(ctx).user_id() else {
            return Ok(None);
        };
        Ok(users::find(&super::reader(ctx).await?, id).await.gql()?.map(User))
    }
}
