//! The write side. Each mutation decodes ids, calls one domain operation (one
//! transaction) and shapes the answer.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::article::{AccessLevel, Article, ArticleKind};
use super::comment::{Comment, CommentStatus};
use super::correction::{Correction, CorrectionKind};
use super::error::{self, GqlResult};
use super::ids::{self, Kind};
use super::image::Image;
use super::live::{LiveEntry, LiveEntryInput};
use super::people::{AuthPayload, Author, BylineInput, Tag, User};
use super::scalars::DateTime;
use super::section::Section;
use super::webhook::{CreateWebhookInput, UpdateWebhookInput, Webhook, WebhookDelivery, WebhookWithSecret};
use crate::auth;
use crate::domain::abuse::ClientKey;
use crate::domain::comments::{self, NewComment};
use crate::domain::editorial::{self, ArticleChanges, Byline, Contributors, NewArticle, SeoChanges};
use crate::domain::images::{self, ImageChanges, NewImage, Rights};
use crate::domain::sections::{self, NewSection, SectionChanges};
use crate::domain::workflow::{self, Move};
use crate::domain::{Error, Update, bylines, corrections, live, newsletter, webhooks};

fn change<T, U>(value: MaybeUndefined<T>, f: impl FnOnce(T) -> Result<U>) -> Result<Update<U>> {
    Ok(match value {
        MaybeUndefined::Undefined => Update::Keep,
        MaybeUndefined::Null => Update::Clear,
        MaybeUndefined::Value(value) => Update::Set(f(value)?),
    })
}

fn keep_or_set<T>(value: MaybeUndefined<T>) -> Update<T> {
    match value {
        MaybeUndefined::Undefined => Update::Keep,
        MaybeUndefined::Null => Update::Clear,
        MaybeUndefined::Value(value) => Update::Set(value),
    }
}

fn id_of(kind: Kind, field: &str, id: &ID) -> Result<i64> {
    ids::decode_as(kind, field, id).gql()
}

#[derive(InputObject)]
pub struct CreateSectionInput {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateSectionInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    /// Null clears the description.
    pub description: MaybeUndefined<String>,
    /// Null makes the section a root.
    pub parent_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct CreateAuthorInput {
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub bio: Option<String>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdateAuthorInput {
    pub name: Option<String>,
    /// The old slug keeps finding the author.
    pub slug: Option<String>,
    /// Null or blank removes it.
    pub bio: MaybeUndefined<String>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdateTagInput {
    pub name: Option<String>,
    /// The old slug keeps finding the tag.
    pub slug: Option<String>,
}

#[derive(InputObject)]
pub struct ImageCreditInput {
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub distributor: Option<String>,
    pub license: Option<String>,
}

impl From<ImageCreditInput> for Rights {
    fn from(input: ImageCreditInput) -> Self {
        Rights {
            photographer: input.photographer,
            agency: input.agency,
            distributor: input.distributor,
            license: input.license,
        }
    }
}

#[derive(InputObject)]
pub struct CreateImageInput {
    /// An absolute http(s) URL.
    pub url: String,
    pub alt_text: String,
    pub caption: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub credit: Option<ImageCreditInput>,
    /// Who holds the copyright, when it is not the credited photographer or agency.
    pub copyright_holder: Option<String>,
    /// When the licence to publish runs out; readers no longer get the image after.
    pub license_expires_at: Option<DateTime>,
}

#[derive(InputObject)]
pub struct UpdateImageInput {
    pub url: Option<String>,
    pub alt_text: Option<String>,
    pub caption: MaybeUndefined<String>,
    pub width: MaybeUndefined<i32>,
    pub height: MaybeUndefined<i32>,
    /// Replaces the whole credit; null removes it.
    pub credit: MaybeUndefined<ImageCreditInput>,
    pub copyright_holder: MaybeUndefined<String>,
    pub license_expires_at: MaybeUndefined<DateTime>,
}

#[derive(InputObject)]
pub struct SeoInput {
    pub title: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub canonical_url: MaybeUndefined<String>,
}

impl From<SeoInput> for SeoChanges {
    fn from(input: SeoInput) -> Self {
        SeoChanges {
            title: keep_or_set(input.title),
            description: keep_or_set(input.description),
            canonical_url: keep_or_set(input.canonical_url),
        }
    }
}

#[derive(InputObject)]
pub struct CreateArticleInput {
    pub headline: String,
    /// Derived from the headline when absent.
    pub slug: Option<String>,
    pub standfirst: Option<String>,
    pub body_markdown: String,
    pub section_id: ID,
    pub lead_image_id: Option<ID>,
    pub author_ids: Option<Vec<ID>>,
    /// Tag names; unknown tags are created.
    pub tags: Option<Vec<String>>,
    pub comments_open: Option<bool>,
    pub seo: Option<SeoInput>,
    /// NEWS when absent.
    pub kind: Option<ArticleKind>,
    /// At most 60 characters.
    pub kicker: Option<String>,
    /// At most 60 characters.
    pub dateline: Option<String>,
    /// Editors' picks of related stories, in order: at most 10, not the article itself.
    pub related_ids: Option<Vec<ID>>,
    /// Every contributor with a role, in order; instead of `authorIds`, not with it.
    pub bylines: Option<Vec<BylineInput>>,
    /// Until then no reader sees the article, and it cannot be published or scheduled
    /// earlier. Must be in the future.
    pub embargo_until: Option<DateTime>,
    /// FREE when absent.
    pub access: Option<AccessLevel>,
    /// 0 to 50 blocks readers without the access see; 3 when absent. Ignored for FREE.
    pub teaser_blocks: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateArticleInput {
    pub headline: Option<String>,
    /// A published article's old slug keeps finding it.
    pub slug: Option<String>,
    pub standfirst: MaybeUndefined<String>,
    pub body_markdown: Option<String>,
    pub section_id: Option<ID>,
    pub lead_image_id: MaybeUndefined<ID>,
    pub author_ids: Option<Vec<ID>>,
    pub tags: Option<Vec<String>>,
    pub comments_open: Option<bool>,
    pub seo: Option<SeoInput>,
    pub kind: Option<ArticleKind>,
    /// Null or blank removes it.
    pub kicker: MaybeUndefined<String>,
    /// Null or blank removes it.
    pub dateline: MaybeUndefined<String>,
    /// Replaces the picks; an empty list removes them.
    pub related_ids: Option<Vec<ID>>,
    /// Replaces the byline; instead of `authorIds`, not with it.
    pub bylines: Option<Vec<BylineInput>>,
    /// A time in the future, or null to lift the embargo now.
    pub embargo_until: MaybeUndefined<DateTime>,
    pub access: Option<AccessLevel>,
    /// 0 to 50; null goes back to the default of 3. Ignored for FREE.
    pub teaser_blocks: MaybeUndefined<i32>,
}

#[derive(InputObject)]
pub struct AddCommentInput {
    pub article_id: ID,
    /// A reply to this approved comment of the same article.
    pub parent_id: Option<ID>,
    pub author_name: String,
    /// Kept private: shown to editors only.
    pub author_email: Option<String>,
    /// Plain text, 1 to 5,000 characters.
    pub body: String,
}

/// A shareable preview of one article.
#[derive(SimpleObject)]
pub struct PreviewLink {
    /// Pass as `article(slug:, previewToken:)`.
    pub token: String,
    pub expires_at: DateTime,
    pub article: Article,
}

/// The byline an editor sent, as writers (`authorIds`) or with roles (`bylines`).
fn contributors(author_ids: Option<Vec<ID>>, bylines: Option<Vec<BylineInput>>) -> Result<Option<Contributors>> {
    match (author_ids, bylines) {
        (Some(_), Some(_)) => Err(error::to_gql(&Error::bad_input("bylines", "give bylines or authorIds, not both"))),
        (Some(ids), None) => {
            let ids = ids.iter().map(|id| id_of(Kind::Author, "authorIds", id)).collect::<Result<_>>()?;
            Ok(Some(Contributors::Writers(ids)))
        }
        (None, Some(bylines)) => {
            let bylines = bylines
                .iter()
                .map(|b| Ok(Byline { author_id: id_of(Kind::Author, "bylines", &b.author_id)?, role: b.role.into() }))
                .collect::<Result<_>>()?;
            Ok(Some(Contributors::WithRoles(bylines)))
        }
        (None, None) => Ok(None),
    }
}

fn related_ids(ids: Option<Vec<ID>>) -> Result<Option<Vec<i64>>> {
    ids.map(|ids| ids.iter().map(|id| id_of(Kind::Article, "relatedIds", id)).collect()).transpose()
}

pub struct Mutation;

impl Mutation {
    async fn advance(&self, ctx: &Context<'_>, id: &ID, step: Move) -> Result<Article> {
        let id = id_of(Kind::Article, "id", id)?;
        let services = super::services(ctx)?;
        Ok(workflow::advance(&services.db, &super::viewer(ctx), id, step, &services.pipeline).await.gql()?.into())
    }
}

#[Object]
impl Mutation {
    /// Signs in with email and password; the token goes in `Authorization: Bearer <token>`.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<AuthPayload> {
        let services = super::services(ctx)?;
        let session = auth::login(&services.db, &services.tokens, services.login_ttl, &email, &password).await.gql()?;
        Ok(AuthPayload { token: session.token, expires_at: session.expires_at.into(), user: User(session.user) })
    }

    /// Editors and admins.
    async fn create_section(&self, ctx: &Context<'_>, input: CreateSectionInput) -> Result<Section> {
        let parent_id = input.parent_id.as_ref().map(|id| id_of(Kind::Section, "parentId", id)).transpose()?;
        let new = NewSection { slug: input.slug, name: input.name, description: input.description, parent_id };
        let services = super::services(ctx)?;
        Ok(sections::create(&services.db, &super::viewer(ctx), new, &services.pipeline).await.gql()?.into())
    }

    /// Editors and admins. A section can never move under itself or its subsections.
    async fn update_section(&self, ctx: &Context<'_>, id: ID, input: UpdateSectionInput) -> Result<Section> {
        let id = id_of(Kind::Section, "id", &id)?;
        let changes = SectionChanges {
            slug: input.slug,
            name: input.name,
            description: keep_or_set(input.description),
            parent_id: change(input.parent_id, |id| id_of(Kind::Section, "parentId", &id))?,
        };
        let services = super::services(ctx)?;
        Ok(sections::update(&services.db, &super::viewer(ctx), id, changes, &services.pipeline).await.gql()?.into())
    }

    /// Refused while the section still has articles or subsections. Admins only.
    async fn delete_section(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = id_of(Kind::Section, "id", &id)?;
        let services = super::services(ctx)?;
        sections::delete(&services.db, &super::viewer(ctx), id, &services.pipeline).await.gql()?;
        Ok(true)
    }

    /// Editors and admins.
    async fn create_author(&self, ctx: &Context<'_>, input: CreateAuthorInput) -> Result<Author> {
        let new = bylines::NewAuthor { name: input.name, slug: input.slug, bio: input.bio };
        let services = super::services(ctx)?;
        Ok(Author(bylines::create_author(&services.db, &super::viewer(ctx), new, &services.pipeline).await.gql()?))
    }

    /// Editors and admins. A new slug leaves the old one resolving to the author.
    async fn update_author(&self, ctx: &Context<'_>, id: ID, input: UpdateAuthorInput) -> Result<Author> {
        let id = id_of(Kind::Author, "id", &id)?;
        let changes = bylines::AuthorChanges { name: input.name, slug: input.slug, bio: keep_or_set(input.bio) };
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        Ok(Author(bylines::update_author(&services.db, &viewer, id, changes, &services.pipeline).await.gql()?))
    }

    /// Editors and admins. A new slug leaves the old one resolving to the tag, and the old
    /// name written on an article finds it.
    async fn update_tag(&self, ctx: &Context<'_>, id: ID, input: UpdateTagInput) -> Result<Tag> {
        let id = id_of(Kind::Tag, "id", &id)?;
        let changes = bylines::TagChanges { name: input.name, slug: input.slug };
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        Ok(Tag(bylines::update_tag(&services.db, &viewer, id, changes, &services.pipeline).await.gql()?))
    }

    /// Contributors and up.
    async fn create_image(&self, ctx: &Context<'_>, input: CreateImageInput) -> Result<Image> {
        let new = NewImage {
            url: input.url,
            alt_text: input.alt_text,
            caption: input.caption,
            width: input.width,
            height: input.height,
            credit: input.credit.map(Into::into),
            copyright_holder: input.copyright_holder,
            license_expires_at: input.license_expires_at.map(|d| d.0),
        };
        let services = super::services(ctx)?;
        Ok(Image(images::create(&services.db, &super::viewer(ctx), new, &services.pipeline).await.gql()?))
    }

    /// Editors and admins.
    async fn update_image(&self, ctx: &Context<'_>, id: ID, input: UpdateImageInput) -> Result<Image> {
        let id = id_of(Kind::Image, "id", &id)?;
        let changes = ImageChanges {
            url: input.url,
            alt_text: input.alt_text,
            caption: keep_or_set(input.caption),
            width: keep_or_set(input.width),
            height: keep_or_set(input.height),
            credit: change(input.credit, |credit| Ok(Rights::from(credit)))?,
            copyright_holder: keep_or_set(input.copyright_holder),
            license_expires_at: change(input.license_expires_at, |d| Ok(d.0))?,
        };
        let services = super::services(ctx)?;
        Ok(Image(images::update(&services.db, &super::viewer(ctx), id, changes, &services.pipeline).await.gql()?))
    }

    /// Editors and admins, on published articles. Public at once, never edited: a later
    /// correction corrects it. Moves the article's `updatedAt`.
    async fn add_correction(
        &self,
        ctx: &Context<'_>,
        article_id: ID,
        kind: CorrectionKind,
        text: String,
    ) -> Result<Correction> {
        let article = id_of(Kind::Article, "articleId", &article_id)?;
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let added = corrections::add(&services.db, &viewer, article, kind.into(), &text, &services.pipeline);
        Ok(Correction(added.await.gql()?))
    }

    /// Editors and admins, and contributors on the byline, on LIVE articles whose
    /// coverage has not ended. Moves the article's `updatedAt`.
    async fn add_live_entry(&self, ctx: &Context<'_>, article_id: ID, input: LiveEntryInput) -> Result<LiveEntry> {
        let article = id_of(Kind::Article, "articleId", &article_id)?;
        let input = input.into_domain()?;
        let services = super::services(ctx)?;
        let added = live::add(&services.db, &super::viewer(ctx), article, input, &services.pipeline).await.gql()?;
        Ok(LiveEntry(added))
    }

    /// The same people as `addLiveEntry`, after the coverage ended too. The headline and
    /// body replace what was there; `pinned` and `authorIds` left out stay as they were.
    async fn update_live_entry(&self, ctx: &Context<'_>, id: ID, input: LiveEntryInput) -> Result<LiveEntry> {
        let id = id_of(Kind::LiveEntry, "id", &id)?;
        let input = input.into_domain()?;
        let services = super::services(ctx)?;
        let updated = live::update(&services.db, &super::viewer(ctx), id, input, &services.pipeline).await.gql()?;
        Ok(LiveEntry(updated))
    }

    /// The same people as `updateLiveEntry`. Readers polling with `liveEntries(since:)`
    /// learn of it from `deletedLiveEntryIds`.
    async fn delete_live_entry(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = id_of(Kind::LiveEntry, "id", &id)?;
        let services = super::services(ctx)?;
        live::delete(&services.db, &super::viewer(ctx), id, &services.pipeline).await.gql()?;
        Ok(true)
    }

    /// Ends a LIVE article's coverage: no entry can be added after. Refused when it has
    /// ended already. The same people as `addLiveEntry`.
    async fn end_live_coverage(&self, ctx: &Context<'_>, article_id: ID) -> Result<Article> {
        let article = id_of(Kind::Article, "articleId", &article_id)?;
        let services = super::services(ctx)?;
        let ended = live::end_coverage(&services.db, &super::viewer(ctx), article, &services.pipeline).await.gql()?;
        Ok(ended.into())
    }

    /// Editors and admins. Refused while an article leads with the image or shows it in
    /// its body or in an entry of its live blog, whatever the article's status.
    async fn delete_image(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = id_of(Kind::Image, "id", &id)?;
        let services = super::services(ctx)?;
        images::delete(&services.db, &super::viewer(ctx), id, &services.pipeline).await.gql()?;
        Ok(true)
    }

    /// Admins. The endpoint gets a delivery for each of its events from now on, signed
    /// with the secret answered here, once.
    async fn create_webhook(&self, ctx: &Context<'_>, input: CreateWebhookInput) -> Result<WebhookWithSecret> {
        let services = super::services(ctx)?;
        let (created, secret) =
            webhooks::create(&services.db, &super::viewer(ctx), services.webhook_reach, input.into()).await.gql()?;
        Ok(WebhookWithSecret { webhook: Webhook(created), secret })
    }

    /// Admins.
    async fn update_webhook(&self, ctx: &Context<'_>, id: ID, input: UpdateWebhookInput) -> Result<Webhook> {
        let id = id_of(Kind::Webhook, "id", &id)?;
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let updated = webhooks::update(&services.db, &viewer, services.webhook_reach, id, input.into());
        Ok(Webhook(updated.await.gql()?))
    }

    /// Admins. Its deliveries go with it, sent or not.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = id_of(Kind::Webhook, "id", &id)?;
        let services = super::services(ctx)?;
        webhooks::delete(&services.db, &super::viewer(ctx), id).await.gql()
    }

    /// Sends a delivery again as a new attempt, whatever its status.
    async fn redeliver_webhook(&self, ctx: &Context<'_>, delivery_id: ID) -> Result<WebhookDelivery> {
        let id = id_of(Kind::WebhookDelivery, "deliveryId", &delivery_id)?;
        let services = super::services(ctx)?;
        Ok(WebhookDelivery(webhooks::redeliver(&services.db, &super::viewer(ctx), id).await.gql()?))
    }

    /// A new draft. Contributors and up.
    async fn create_article(&self, ctx: &Context<'_>, input: CreateArticleInput) -> Result<Article> {
        let new = NewArticle {
            headline: input.headline,
            slug: input.slug,
            standfirst: input.standfirst,
            body_markdown: input.body_markdown,
            section_id: id_of(Kind::Section, "sectionId", &input.section_id)?,
            lead_image_id: input.lead_image_id.as_ref().map(|id| id_of(Kind::Image, "leadImageId", id)).transpose()?,
            contributors: contributors(input.author_ids, input.bylines)?.unwrap_or_default(),
            tags: input.tags.unwrap_or_default(),
            comments_open: input.comments_open,
            seo: input.seo.map(Into::into).unwrap_or_default(),
            kind: input.kind.map(Into::into),
            kicker: input.kicker,
            dateline: input.dateline,
            related_ids: related_ids(input.related_ids)?.unwrap_or_default(),
            embargo_until: input.embargo_until.map(|at| at.0),
            access: input.access.map(Into::into),
            teaser_blocks: input.teaser_blocks,
        };
        let services = super::services(ctx)?;
        Ok(editorial::create(&services.db, &super::viewer(ctx), new, &services.pipeline).await.gql()?.into())
    }

    /// Editors and admins change any article; contributors their own drafts. A change of
    /// headline, standfirst or body is stored as a revision.
    async fn update_article(&self, ctx: &Context<'_>, id: ID, input: UpdateArticleInput) -> Result<Article> {
        let id = id_of(Kind::Article, "id", &id)?;
        let changes = ArticleChanges {
            headline: input.headline,
            slug: input.slug,
            standfirst: keep_or_set(input.standfirst),
            body_markdown: input.body_markdown,
            section_id: input.section_id.as_ref().map(|id| id_of(Kind::Section, "sectionId", id)).transpose()?,
            lead_image_id: change(input.lead_image_id, |id| id_of(Kind::Image, "leadImageId", &id))?,
            contributors: contributors(input.author_ids, input.bylines)?,
            tags: input.tags,
            comments_open: input.comments_open,
            seo: input.seo.map(Into::into),
            kind: input.kind.map(Into::into),
            kicker: keep_or_set(input.kicker),
            dateline: keep_or_set(input.dateline),
            related_ids: related_ids(input.related_ids)?,
            embargo_until: change(input.embargo_until, |at| Ok(at.0))?,
            access: input.access.map(Into::into),
            teaser_blocks: keep_or_set(input.teaser_blocks),
        };
        let services = super::services(ctx)?;
        Ok(editorial::update(&services.db, &super::viewer(ctx), id, changes, &services.pipeline).await.gql()?.into())
    }

    /// DRAFT -> IN_REVIEW. Contributors for their own drafts, editors for any.
    async fn submit_article_for_review(&self, ctx: &Context<'_>, id: ID) -> Result<Article> {
        self.advance(ctx, &id, Move::SubmitForReview).await
    }

    /// From DRAFT, IN_REVIEW or SCHEDULED. Editors and admins.
    async fn publish_article(&self, ctx: &Context<'_>, id: ID) -> Result<Article> {
        self.advance(ctx, &id, Move::Publish).await
    }

    /// Publishes at `publishAt`, which must be in the future. Editors and admins.
    async fn schedule_article(&self, ctx: &Context<'_>, id: ID, publish_at: DateTime) -> Result<Article> {
        self.advance(ctx, &id, Move::Schedule(publish_at.0)).await
    }

    /// Back to DRAFT. Editors and admins.
    async fn unpublish_article(&self, ctx: &Context<'_>, id: ID) -> Result<Article> {
        self.advance(ctx, &id, Move::Unpublish).await
    }

    /// PUBLISHED -> ARCHIVED. Editors and admins.
    async fn archive_article(&self, ctx: &Context<'_>, id: ID) -> Result<Article> {
        self.advance(ctx, &id, Move::Archive).await
    }

    /// A link that shows this article, whatever its status, to whoever holds the token:
    /// `article(slug:, previewToken:)`. Valid for `ttlMinutes` (default 60, at most 7 days).
    async fn create_preview_link(
        &self,
        ctx: &Context<'_>,
        article_id: ID,
        ttl_minutes: Option<i32>,
    ) -> Result<PreviewLink> {
        let id = id_of(Kind::Article, "articleId", &article_id)?;
        let minutes = i64::from(ttl_minutes.unwrap_or(60));
        let article = editorial::previewable(super::db(ctx)?, &super::viewer(ctx), id, minutes).await.gql()?;
        let ttl = std::time::Duration::from_secs(minutes as u64 * 60);
        let (token, expires_at) = super::services(ctx)?.tokens.issue_preview(article.id, ttl);
        Ok(PreviewLink { token, expires_at: expires_at.into(), article: article.into() })
    }

    /// A reader's comment or reply. It arrives PENDING for a moderator (or APPROVED when
    /// the server approves readers' comments, unless it holds more than two links);
    /// editors' comments arrive APPROVED. Rate-limited per client.
    async fn add_comment(&self, ctx: &Context<'_>, input: AddCommentInput) -> Result<Comment> {
        let services = super::services(ctx)?;
        let address = ctx.data_opt::<super::ClientAddress>().and_then(|a| a.0);
        let client = ClientKey::of(address, &services.client_salt);
        let new = NewComment {
            article_id: id_of(Kind::Article, "articleId", &input.article_id)?,
            parent_id: input.parent_id.as_ref().map(|id| id_of(Kind::Comment, "parentId", id)).transpose()?,
            author_name: input.author_name,
            author_email: input.author_email,
            body: input.body,
        };
        let viewer = super::viewer(ctx);
        let limits = &services.comment_limits;
        let added =
            comments::add(&services.db, &viewer, &client, limits, services.comment_policy, &services.pipeline, new)
                .await
                .gql()?;
        Ok(Comment::from(added))
    }

    /// Always true for a well-formed address, whether or not it was already subscribed: a
    /// confirmation email with a single-use link (48 hours) is queued. Rate-limited per client.
    async fn subscribe_newsletter(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        let services = super::services(ctx)?;
        let address = ctx.data_opt::<super::ClientAddress>().and_then(|a| a.0);
        let client = ClientKey::of(address, &services.client_salt);
        services.newsletter_limits.spend(&services.db, &client).await.gql()?;
        newsletter::subscribe(&services.db, &email, &services.newsletter_url).await.gql()?;
        Ok(true)
    }

    /// Confirms a sign-up with the token from its email.
    async fn confirm_newsletter_subscription(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        newsletter::confirm(super::db(ctx)?, &token).await.gql()?;
        Ok(true)
    }

    /// Ends a subscription with the token from any of its emails.
    async fn unsubscribe_newsletter(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        newsletter::unsubscribe(super::db(ctx)?, &token).await.gql()?;
        Ok(true)
    }

    /// Approves, rejects or marks a comment as spam. Editors and admins.
    async fn moderate_comment(&self, ctx: &Context<'_>, id: ID, status: CommentStatus) -> Result<Comment> {
        let id = id_of(Kind::Comment, "id", &id)?;
        let services = super::services(ctx)?;
        let moderated =
            comments::moderate(&services.db, &super::viewer(ctx), id, status.into(), &services.pipeline).await.gql()?;
        Ok(Comment::from(moderated))
    }

    /// Editors and admins.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = id_of(Kind::Article, "id", &id)?;
        let services = super::services(ctx)?;
        editorial::delete(&services.db, &super::viewer(ctx), id, &services.pipeline).await.gql()?;
        Ok(true)
    }

    /// Makes revision `number` current again, as a new revision.
    async fn restore_article_revision(&self, ctx: &Context<'_>, id: ID, number: i32) -> Result<Article> {
        let id = id_of(Kind::Article, "id", &id)?;
        let services = super::services(ctx)?;
        let viewer = super::viewer(ctx);
        let restored = editorial::restore_revision(&services.db, &viewer, id, number, &services.pipeline);
        Ok(restored.await.gql()?.into())
    }
}
