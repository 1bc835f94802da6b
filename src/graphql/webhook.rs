//! Webhooks as admins manage them: endpoints, their deliveries, redelivery.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::webhook as webhook_row;
use entity::webhook_delivery::{self, DeliveryStatus};

use super::error::GqlResult;
use super::ids::{self, Kind};
use super::scalars::DateTime;
use crate::domain::pagination::{PageArgs, Window};
use crate::domain::webhooks::{self, WebhookEvent as DomainEvent};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    ArticlePublished,
    ArticleUpdated,
    ArticleUnpublished,
    ArticleDeleted,
    CorrectionAdded,
    LiveEntryChanged,
    CommentApproved,
    /// Carries the cache tags that a write outdated, for purging a CDN.
    ContentChanged,
}

impl From<WebhookEvent> for DomainEvent {
    fn from(event: WebhookEvent) -> Self {
        match event {
            WebhookEvent::ArticlePublished => DomainEvent::ArticlePublished,
            WebhookEvent::ArticleUpdated => DomainEvent::ArticleUpdated,
            WebhookEvent::ArticleUnpublished => DomainEvent::ArticleUnpublished,
            WebhookEvent::ArticleDeleted => DomainEvent::ArticleDeleted,
            WebhookEvent::CorrectionAdded => DomainEvent::CorrectionAdded,
            WebhookEvent::LiveEntryChanged => DomainEvent::LiveEntryChanged,
            WebhookEvent::CommentApproved => DomainEvent::CommentApproved,
            WebhookEvent::ContentChanged => DomainEvent::ContentChanged,
        }
    }
}

impl From<DomainEvent> for WebhookEvent {
    fn from(event: DomainEvent) -> Self {
        match event {
            DomainEvent::ArticlePublished => WebhookEvent::ArticlePublished,
            DomainEvent::ArticleUpdated => WebhookEvent::ArticleUpdated,
            DomainEvent::ArticleUnpublished => WebhookEvent::ArticleUnpublished,
            DomainEvent::ArticleDeleted => WebhookEvent::ArticleDeleted,
            DomainEvent::CorrectionAdded => WebhookEvent::CorrectionAdded,
            DomainEvent::LiveEntryChanged => WebhookEvent::LiveEntryChanged,
            DomainEvent::CommentApproved => WebhookEvent::CommentApproved,
            DomainEvent::ContentChanged => WebhookEvent::ContentChanged,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::webhook_delivery::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet; `nextAttemptAt` says when it is tried (again).
    Pending,
    Delivered,
    /// Refused by the receiver, or still failing after a day of retries.
    Failed,
}

/// An endpoint that receives events, signed with its secret.
pub struct Webhook(pub webhook_row::Model);

#[Object]
impl Webhook {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Webhook, self.0.id)
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn events(&self) -> Vec<WebhookEvent> {
        webhooks::events_of(&self.0).into_iter().map(Into::into).collect()
    }

    /// An inactive endpoint gets no new deliveries, and its pending ones wait.
    async fn active(&self) -> bool {
        self.0.active
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<WebhookDeliveryStatus>,
    ) -> Result<WebhookDeliveryConnection> {
        let window = Window::parse(PageArgs::forward(first, after)).gql()?;
        let db = super::reader(ctx).await?;
        let viewer = super::viewer(ctx);
        let page = webhooks::deliveries(&db, &viewer, self.0.id, status.map(Into::into), &window);
        Ok(page.await.gql()?.into())
    }
}

/// One event sent (or to be sent) to one endpoint, with the outcome of its last attempt.
pub struct WebhookDelivery(pub webhook_delivery::Model);

impl From<webhook_delivery::Model> for WebhookDelivery {
    fn from(model: webhook_delivery::Model) -> Self {
        WebhookDelivery(model)
    }
}

#[Object]
impl WebhookDelivery {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::WebhookDelivery, self.0.id)
    }

    async fn event(&self) -> Result<WebhookEvent> {
        let event = DomainEvent::from_name(&self.0.event);
        Ok(event.ok_or_else(|| format!("a delivery of an unknown event `{}`", self.0.event))?.into())
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// Attempts made, redeliveries included.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The HTTP status of the last answer; null when none came.
    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }

    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(Into::into)
    }

    async fn next_attempt_at(&self) -> Option<DateTime> {
        self.0.next_attempt_at.filter(|_| self.0.status == DeliveryStatus::Pending).map(Into::into)
    }
}

super::connection::connection!(WebhookDeliveryConnection, WebhookDeliveryEdge, WebhookDelivery);

/// A new webhook and its signing secret, which is shown this once.
#[derive(SimpleObject)]
pub struct WebhookWithSecret {
    pub webhook: Webhook,
    /// `whsec_` and the base64 key, as Standard Webhooks libraries take it.
    pub secret: String,
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    pub url: String,
    pub events: Vec<WebhookEvent>,
}

#[derive(InputObject)]
pub struct UpdateWebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    pub active: Option<bool>,
}

impl From<CreateWebhookInput> for webhooks::NewWebhook {
    fn from(input: CreateWebhookInput) -> Self {
        webhooks::NewWebhook { url: input.url, events: input.events.into_iter().map(Into::into).collect() }
    }
}

impl From<UpdateWebhookInput> for webhooks::WebhookUpdate {
    fn from(input: UpdateWebhookInput) -> Self {
        webhooks::WebhookUpdate {
            url: input.url,
            events: input.events.map(|events| events.into_iter().map(Into::into).collect()),
            active: input.active,
        }
    }
}
