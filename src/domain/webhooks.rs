//! Webhooks: endpoints admins subscribe to events, and the outbox of their deliveries.
//!
//! A write that causes an event inserts one delivery per subscribed endpoint in its own
//! transaction ([`super::commit`]), so an event is never lost between the write and the
//! send. Senders ([`crate::webhook_sender`]) claim an endpoint at a time, send its oldest
//! pending delivery, and record the outcome here: deliveries to one endpoint go out in
//! order, at least once, one at a time across all servers.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::user::Role;
use entity::webhook;
use entity::webhook_delivery::{self, DeliveryStatus};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::{Value, json};
use url::Url;

use super::audit::{self, quoted};
use super::changes::{Change, EntryChange, Event};
use super::global_id::{self, Kind};
use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::retry::Backoff;
use super::{Error, Result, Viewer};

/// The events an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    ArticlePublished,
    ArticleUpdated,
    ArticleUnpublished,
    ArticleDeleted,
    CorrectionAdded,
    LiveEntryChanged,
    CommentApproved,
    /// The cache tags a write outdated, for purging a CDN.
    ContentChanged,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 8] = [
        WebhookEvent::ArticlePublished,
        WebhookEvent::ArticleUpdated,
        WebhookEvent::ArticleUnpublished,
        WebhookEvent::ArticleDeleted,
        WebhookEvent::CorrectionAdded,
        WebhookEvent::LiveEntryChanged,
        WebhookEvent::CommentApproved,
        WebhookEvent::ContentChanged,
    ];

    /// The name stored and shown in GraphQL, e.g. `ARTICLE_PUBLISHED`.
    pub fn name(self) -> &'static str {
        match self {
            WebhookEvent::ArticlePublished => "ARTICLE_PUBLISHED",
            WebhookEvent::ArticleUpdated => "ARTICLE_UPDATED",
            WebhookEvent::ArticleUnpublished => "ARTICLE_UNPUBLISHED",
            WebhookEvent::ArticleDeleted => "ARTICLE_DELETED",
            WebhookEvent::CorrectionAdded => "CORRECTION_ADDED",
            WebhookEvent::LiveEntryChanged => "LIVE_ENTRY_CHANGED",
            WebhookEvent::CommentApproved => "COMMENT_APPROVED",
            WebhookEvent::ContentChanged => "CONTENT_CHANGED",
        }
    }

    /// The payload's `type`, as Standard Webhooks names events: `article.published`.
    pub fn type_name(self) -> &'static str {
        match self {
            WebhookEvent::ArticlePublished => "article.published",
            WebhookEvent::ArticleUpdated => "article.updated",
            WebhookEvent::ArticleUnpublished => "article.unpublished",
            WebhookEvent::ArticleDeleted => "article.deleted",
            WebhookEvent::CorrectionAdded => "correction.added",
            WebhookEvent::LiveEntryChanged => "live_entry.changed",
            WebhookEvent::CommentApproved => "comment.approved",
            WebhookEvent::ContentChanged => "content.changed",
        }
    }

    pub fn from_name(name: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|event| event.name() == name)
    }
}

/// The events an endpoint subscribes to, as stored.
pub fn events_of(webhook: &webhook::Model) -> Vec<WebhookEvent> {
    webhook.events.split(',').filter_map(WebhookEvent::from_name).collect()
}

fn stored_events(events: &[WebhookEvent]) -> Result<String> {
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(Error::bad_input("events", "subscribe to at least one event"));
    }
    Ok(events.iter().map(|event| event.name()).collect::<Vec<_>>().join(","))
}

/// The longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// The most endpoints a site may have.
pub const MAX_WEBHOOKS: u64 = 100;

/// Where webhooks may be sent: private addresses are for tests and closed networks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub allow_private: bool,
}

impl Reach {
    /// Whether a delivery may connect to `address`: not loopback, private, link-local,
    /// shared, documentation, multicast, unspecified or a cloud metadata address, unless
    /// private addresses are allowed.
    pub fn allows(self, address: IpAddr) -> bool {
        self.allow_private || is_public(address)
    }

    /// Checks an endpoint's URL: http or https, no credentials, and a host that is not a
    /// private address, nor a name that resolves to one (a name that does not resolve
    /// yet is taken; the sender checks again at each send).
    pub async fn check_url(self, text: &str) -> Result<Url> {
        let bad = |message: &str| Error::bad_input("url", message);
        if text.chars().count() > MAX_URL_CHARS {
            return Err(bad(&format!("at most {MAX_URL_CHARS} characters")));
        }
        let url = Url::parse(text.trim()).map_err(|e| bad(&format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("webhooks are sent over http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("put no credentials in the URL; verify the signature instead"));
        }
        let Some(host) = url.host() else {
            return Err(bad("the URL has no host"));
        };
        if self.allow_private {
            return Ok(url);
        }
        let refused = || bad("the URL points at a loopback, private, link-local or metadata address");
        match host {
            url::Host::Ipv4(ip) if !self.allows(ip.into()) => return Err(refused()),
            url::Host::Ipv6(ip) if !self.allows(ip.into()) => return Err(refused()),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost" || name.ends_with(".localhost") || name == "metadata.google.internal" {
                    return Err(refused());
                }
                let port = url.port_or_known_default().unwrap_or(443);
                if let Ok(addresses) = tokio::net::lookup_host((name.as_str(), port)).await
                    && addresses.into_iter().any(|address| !self.allows(address.ip()))
                {
                    return Err(refused());
                }
            }
            _ => {}
        }
        Ok(url)
    }
}

fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_multicast()
                || ip.is_documentation()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // Benchmarking, 198.18.0.0/15, and reserved, 240.0.0.0/4.
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_public(v4.into());
            }
            let first = ip.segments()[0];
            !(
                ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && ip.segments()[1] == 0x0db8)
                // The AWS metadata service's IPv6 address, fd00:ec2::254, is unique local.
            )
        }
    }
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<WebhookEvent>,
}

/// A change to an endpoint: what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct WebhookUpdate {
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    pub active: Option<bool>,
}

/// Adds an endpoint, and answers it with its signing secret, which is not shown again.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    reach: Reach,
    new: NewWebhook,
) -> Result<(webhook::Model, String)> {
    viewer.require(Role::Admin, "manage webhooks")?;
    let url = reach.check_url(&new.url).await?;
    let events = stored_events(&new.events)?;
    let secret = new_secret();
    let txn = super::begin_write(db).await?;
    if webhook::Entity::find().count(&txn).await? >= MAX_WEBHOOKS {
        return Err(Error::Conflict(format!("a site has at most {MAX_WEBHOOKS} webhooks; delete one first")));
    }
    let created = webhook::ActiveModel {
        url: Set(url.to_string()),
        events: Set(events),
        secret: Set(secret.clone()),
        active: Set(true),
        created_at: Set(super::now()),
        created_by: Set(viewer.user_id()),
        claimed_until: Set(None),
        claimed_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        "createWebhook",
        Some((Kind::Webhook, created.id)),
        format!("added a webhook to {}", quoted(&created.url)),
    )
    .await?;
    txn.commit().await?;
    Ok((created, secret))
}

/// The secret endpoints verify signatures with: `whsec_` and 32 random bytes in base64,
/// as Standard Webhooks writes them.
fn new_secret() -> String {
    use base64::Engine;
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>()))
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    reach: Reach,
    id: i64,
    update: WebhookUpdate,
) -> Result<webhook::Model> {
    viewer.require(Role::Admin, "manage webhooks")?;
    let url = match &update.url {
        Some(url) => Some(reach.check_url(url).await?.to_string()),
        None => None,
    };
    let events = update.events.as_deref().map(stored_events).transpose()?;
    let txn = super::begin_write(db).await?;
    let found = webhook::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("webhook".into()))?;
    let mut row = found.into_active_model();
    if let Some(url) = url {
        row.url = Set(url);
    }
    if let Some(events) = events {
        row.events = Set(events);
    }
    if let Some(active) = update.active {
        row.active = Set(active);
    }
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "updateWebhook",
        Some((Kind::Webhook, id)),
        format!("changed the webhook to {}", quoted(&updated.url)),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an endpoint and its deliveries, sent or not.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> Result<bool> {
    viewer.require(Role::Admin, "manage webhooks")?;
    let txn = super::begin_write(db).await?;
    let Some(found) = webhook::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(false);
    };
    webhook_delivery::Entity::delete_many().filter(webhook_delivery::Column::WebhookId.eq(id)).exec(&txn).await?;
    webhook::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "deleteWebhook",
        Some((Kind::Webhook, id)),
        format!("deleted the webhook to {}", quoted(&found.url)),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Every endpoint, oldest first. Admins only.
pub async fn list(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<webhook::Model>> {
    viewer.require(Role::Admin, "manage webhooks")?;
    Ok(webhook::Entity::find().order_by_asc(webhook::Column::Id).all(db).await?)
}

/// An endpoint by id, for admins; `None` for everyone else.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<webhook::Model>> {
    if !viewer.is_admin() {
        return Ok(None);
    }
    Ok(webhook::Entity::find_by_id(id).one(db).await?)
}

/// A delivery by id, for admins; `None` for everyone else.
pub async fn find_delivery(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
) -> Result<Option<webhook_delivery::Model>> {
    if !viewer.is_admin() {
        return Ok(None);
    }
    Ok(webhook_delivery::Entity::find_by_id(id).one(db).await?)
}

/// An endpoint's deliveries, newest first, of one status or all. Admins only.
pub async fn deliveries(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    webhook_id: i64,
    status: Option<DeliveryStatus>,
    window: &Window,
) -> Result<Page<webhook_delivery::Model>> {
    viewer.require(Role::Admin, "manage webhooks")?;
    let mut query = webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status));
    }
    let keyset = Keyset {
        list: "deliveries",
        key: SortKey::Time(Expr::col((webhook_delivery::Entity, webhook_delivery::Column::CreatedAt))),
        id: Expr::col((webhook_delivery::Entity, webhook_delivery::Column::Id)),
        descending: true,
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset, window, total, |d: &webhook_delivery::Model| (SortValue::Time(d.created_at), d.id))
        .await
}

/// Sends a delivery again, whatever its status: it is pending from now, with a new round
/// of attempts, and keeps its `webhook-id`, so a receiver that had it can tell.
pub async fn redeliver(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> Result<webhook_delivery::Model> {
    viewer.require(Role::Admin, "manage webhooks")?;
    let txn = super::begin_write(db).await?;
    let found =
        webhook_delivery::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("delivery".into()))?;
    let now = super::now();
    let mut row = found.into_active_model();
    row.status = Set(DeliveryStatus::Pending);
    row.pending_since = Set(now);
    row.next_attempt_at = Set(Some(now));
    let pending = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "redeliverWebhook",
        Some((Kind::WebhookDelivery, id)),
        format!("sent a {} delivery again", pending.event),
    )
    .await?;
    txn.commit().await?;
    Ok(pending)
}

/// One event of a change, as endpoints receive it.
struct Occurrence {
    event: WebhookEvent,
    data: Value,
}

fn object(kind: Kind, id: i64) -> Value {
    json!({ "object": kind.name(), "id": global_id::encode(kind, id), "databaseId": id })
}

fn with_article(mut data: Value, article_id: i64) -> Value {
    data["article"] = object(Kind::Article, article_id);
    data
}

/// What a change tells endpoints: each of its events, and the cache tags it outdated.
fn occurrences(change: &Change) -> Vec<Occurrence> {
    let mut found: Vec<Occurrence> = change
        .events
        .iter()
        .map(|event| match *event {
            Event::ArticlePublished { article_id, .. } => {
                Occurrence { event: WebhookEvent::ArticlePublished, data: object(Kind::Article, article_id) }
            }
            Event::ArticleUpdated { article_id } => {
                Occurrence { event: WebhookEvent::ArticleUpdated, data: object(Kind::Article, article_id) }
            }
            Event::ArticleUnpublished { article_id } => {
                Occurrence { event: WebhookEvent::ArticleUnpublished, data: object(Kind::Article, article_id) }
            }
            Event::ArticleDeleted { article_id } => {
                Occurrence { event: WebhookEvent::ArticleDeleted, data: object(Kind::Article, article_id) }
            }
            Event::CorrectionAdded { article_id, correction_id } => Occurrence {
                event: WebhookEvent::CorrectionAdded,
                data: with_article(object(Kind::Correction, correction_id), article_id),
            },
            Event::CommentApproved { article_id, comment_id } => Occurrence {
                event: WebhookEvent::CommentApproved,
                data: with_article(object(Kind::Comment, comment_id), article_id),
            },
            Event::LiveEntryChanged { article_id, entry_id, change } => {
                let mut data = with_article(object(Kind::LiveEntry, entry_id), article_id);
                data["change"] = json!(match change {
                    EntryChange::Added => "ADDED",
                    EntryChange::Updated => "UPDATED",
                    EntryChange::Deleted => "DELETED",
                });
                Occurrence { event: WebhookEvent::LiveEntryChanged, data }
            }
        })
        .collect();
    if !change.tags.is_empty() {
        let tags: Vec<String> = change.tags.iter().map(ToString::to_string).collect();
        found.push(Occurrence { event: WebhookEvent::ContentChanged, data: json!({ "tags": tags }) });
    }
    found
}

/// Inserts the deliveries of `change` for every active endpoint subscribed to its events,
/// in the transaction of the write that made the change. With `key`, an event any server
/// may notice on its own (an embargo lifting), only the first insert of it counts.
pub async fn enqueue(db: &impl ConnectionTrait, change: &Change, key: Option<&str>) -> Result<()> {
    if change.is_empty() {
        return Ok(());
    }
    let endpoints = webhook::Entity::find().filter(webhook::Column::Active.eq(true)).all(db).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let occurrences = occurrences(change);
    let now = super::now();
    let mut rows = Vec::new();
    for endpoint in &endpoints {
        let subscribed = events_of(endpoint);
        for (index, occurrence) in occurrences.iter().enumerate() {
            if !subscribed.contains(&occurrence.event) {
                continue;
            }
            let payload = json!({
                "type": occurrence.event.type_name(),
                "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "data": occurrence.data,
            });
            rows.push(webhook_delivery::ActiveModel {
                webhook_id: Set(endpoint.id),
                message_id: Set(new_message_id()),
                event: Set(occurrence.event.name().to_owned()),
                payload: Set(payload.to_string()),
                status: Set(DeliveryStatus::Pending),
                attempts: Set(0),
                response_status: Set(None),
                last_error: Set(None),
                created_at: Set(now),
                pending_since: Set(now),
                next_attempt_at: Set(Some(now)),
                delivered_at: Set(None),
                event_key: Set(key.map(|key| format!("{key}#{index}"))),
                ..Default::default()
            });
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    webhook_delivery::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([webhook_delivery::Column::WebhookId, webhook_delivery::Column::EventKey])
        .exec(db)
        .await?;
    Ok(())
}

/// A `webhook-id`: `msg_` and 16 random bytes in hex.
fn new_message_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// An endpoint a sender holds, and the delivery it is to send.
#[derive(Debug, Clone)]
pub struct Claim {
    pub webhook: webhook::Model,
    pub delivery: webhook_delivery::Model,
    /// Names the holder: only it releases the claim.
    pub holder: String,
}

/// How long the log keeps a delivered or failed delivery.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(30);

/// Deletes the delivered and failed deliveries older than [`KEPT_FOR`]; pending ones stay
/// whatever their age. Answers how many went.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let deleted = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::CreatedAt.lt(now - KEPT_FOR))
        .filter(webhook_delivery::Column::Status.ne(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Claims up to `limit` endpoints whose oldest pending delivery is due, for `lease`:
/// until it runs out (a sender that died), no other sender sends to them. On PostgreSQL
/// the endpoints are locked `FOR UPDATE SKIP LOCKED` while claimed, so senders on other
/// servers pass over them instead of waiting; SQLite has one writer at a time anyway.
pub async fn claim_due(db: &DatabaseConnection, now: DateTime<Utc>, lease: Duration, limit: u64) -> Result<Vec<Claim>> {
    // Most looks find nothing due: they need not wait for the write lock.
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .one(db)
        .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let txn = super::begin_write(db).await?;
    let pending = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::WebhookId)
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .into_query();
    let free = Condition::any().add(webhook::Column::ClaimedUntil.is_null()).add(webhook::Column::ClaimedUntil.lt(now));
    let endpoints = webhook::Entity::find()
        .filter(webhook::Column::Active.eq(true))
        .filter(free)
        .filter(webhook::Column::Id.in_subquery(pending))
        .order_by_asc(webhook::Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let mut claims = Vec::new();
    for endpoint in endpoints {
        let head = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(endpoint.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .order_by_asc(webhook_delivery::Column::Id)
            .one(&txn)
            .await?;
        // In order: a later delivery waits for the one before it.
        let Some(head) = head.filter(|head| head.next_attempt_at.is_none_or(|at| at <= now)) else {
            continue;
        };
        let holder = new_message_id().replacen("msg_", "", 1);
        webhook::Entity::update_many()
            .col_expr(webhook::Column::ClaimedUntil, Expr::value(Some(until)))
            .col_expr(webhook::Column::ClaimedBy, Expr::value(Some(holder.clone())))
            .filter(webhook::Column::Id.eq(endpoint.id))
            .exec(&txn)
            .await?;
        claims.push(Claim { webhook: endpoint, delivery: head, holder });
    }
    txn.commit().await?;
    Ok(claims)
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// A timeout, a network error, a 408, 429 or 5xx: worth trying again, after the
    /// receiver's `Retry-After` if it gave one.
    Transient { status: Option<u16>, error: String, retry_after: Option<Duration> },
    /// Anything else: trying again would not help.
    Refused { status: Option<u16>, error: String },
}

/// Records an attempt at a claimed delivery and releases the endpoint. A transient
/// failure is tried again on `backoff`'s schedule until it gives up; then the delivery
/// failed.
pub async fn record_attempt(db: &DatabaseConnection, claim: &Claim, attempt: Attempt, backoff: &Backoff) -> Result<()> {
    let now = super::now();
    let attempts = claim.delivery.attempts.saturating_add(1);
    let mut row = claim.delivery.clone().into_active_model();
    row.attempts = Set(attempts);
    match attempt {
        Attempt::Delivered { status } => {
            row.status = Set(DeliveryStatus::Delivered);
            row.response_status = Set(Some(status.into()));
            row.last_error = Set(None);
            row.delivered_at = Set(Some(now));
            row.next_attempt_at = Set(None);
        }
        Attempt::Transient { status, error, retry_after } => {
            row.response_status = Set(status.map(i32::from));
            row.last_error = Set(Some(error));
            let asked = retry_after.map(|wait| wait.min(backoff.longest));
            match backoff.next_attempt(attempts as u32, claim.delivery.pending_since, now, asked) {
                Some(at) => row.next_attempt_at = Set(Some(at)),
                None => {
                    row.status = Set(DeliveryStatus::Failed);
                    row.next_attempt_at = Set(None);
                }
            }
        }
        Attempt::Refused { status, error } => {
            row.status = Set(DeliveryStatus::Failed);
            row.response_status = Set(status.map(i32::from));
            row.last_error = Set(Some(error));
            row.next_attempt_at = Set(None);
        }
    }
    let txn = super::begin_write(db).await?;
    // A redelivery asked for while the attempt was under way starts its round afresh.
    let current = webhook_delivery::Entity::find_by_id(claim.delivery.id).one(&txn).await?;
    if current.is_some_and(|current| current.pending_since == claim.delivery.pending_since) {
        row.update(&txn).await?;
    }
    release(&txn, claim).await?;
    txn.commit().await?;
    Ok(())
}

/// Gives up a claim without an attempt (the server is stopping).
pub async fn release_claim(db: &DatabaseConnection, claim: &Claim) -> Result<()> {
    release(db, claim).await
}

async fn release(db: &impl ConnectionTrait, claim: &Claim) -> Result<()> {
    webhook::Entity::update_many()
        .col_expr(webhook::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(webhook::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .filter(webhook::Column::Id.eq(claim.webhook.id))
        .filter(webhook::Column::ClaimedBy.eq(claim.holder.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn a_change_tells_its_events_and_its_tags() {
        let change = Change::of([super::super::changes::Tag::Article(7)])
            .with_event(Event::ArticlePublished { article_id: 7, section_id: 1 });
        let found = occurrences(&change);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].event, WebhookEvent::ArticlePublished);
        assert_eq!(found[0].data["databaseId"], 7);
        assert_eq!(found[0].data["id"], global_id::encode(Kind::Article, 7));
        assert_eq!(found[1].event, WebhookEvent::ContentChanged);
        assert_eq!(found[1].data["tags"], json!(["article-7"]));
    }

    #[test]
    fn event_names_read_back() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::from_name(event.name()), Some(event));
        }
    }
}
