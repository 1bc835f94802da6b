//! Newsletter sign-ups with double opt-in, and the outbox their emails wait in.
//!
//! [`subscribe`] queues an email with a confirmation link; [`confirm`] takes the token
//! from that link and makes the subscription count; every email also carries an
//! unsubscribe link for [`unsubscribe`]. Tokens are stored only as SHA-256 hashes.
//!
//! For a well-formed address, [`subscribe`] answers the same and runs the same
//! statements whether the address is new, waiting for confirmation, confirmed or
//! unsubscribed, so that neither its answer nor its timing tells who subscribes. Only
//! the email it queues differs, and that goes to the owner of the address.
//!
//! The links are built on the `confirm_url` the caller gives, the newsletter page of
//! the publication's site: `{confirm_url}?token=...` confirms, and
//! `{confirm_url}?unsubscribe=...` unsubscribes (with `&` when the URL has a query
//! already). The page passes the token on to [`confirm`] or [`unsubscribe`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use entity::newsletter_subscription::{self, SubscriptionStatus};
use entity::outbox_message;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};

use super::{Error, Result, settings, users, validate};

/// How long a confirmation link works.
pub const CONFIRM_TTL_HOURS: i64 = 48;

/// The `kind` of the email asking to confirm a subscription.
pub const KIND_CONFIRMATION: &str = "newsletter_confirmation";
/// The `kind` of the email telling a confirmed subscriber who subscribed again that
/// nothing more is needed.
pub const KIND_ALREADY_SUBSCRIBED: &str = "newsletter_already_subscribed";

/// The one answer to a confirmation token that does not confirm, whether it was never
/// issued, has expired or was used already: it must not tell which.
pub const INVALID_CONFIRM_TOKEN: &str =
    "this confirmation link is not valid: it may have expired or been used already; subscribe again for a new one";
/// The answer to an unsubscribe token that matches no subscription.
pub const INVALID_UNSUBSCRIBE_TOKEN: &str = "this unsubscribe link is not valid";

/// Tokens are 43 characters; anything much longer is not worth hashing.
const MAX_TOKEN_LEN: usize = 128;
/// The settings key of the key unsubscribe tokens are derived with.
const SECRET_KEY: &str = "newsletter_secret";

/// Subscribes `email` to the newsletter, or starts over for an address that is pending
/// or unsubscribed: a new confirmation token replaces any earlier one, and an email with
/// the link `{confirm_url}?token=...` is queued in the outbox. A confirmed address stays
/// confirmed and is sent a notice that it is subscribed already.
///
/// A malformed address is refused; for any well-formed one the answer is `Ok(())`.
/// Concurrent calls for the same address all succeed, and leave one subscription.
pub async fn subscribe(db: &DatabaseConnection, email: &str, confirm_url: &str) -> Result<()> {
    let email = users::validate_email(email)?;
    let page = page_url(confirm_url)?;
    let secret = secret(db).await?;

    // Everything is computed whatever the state of the address, to take the same time.
    let now = super::now();
    let expires_at = now + TimeDelta::hours(CONFIRM_TTL_HOURS);
    let confirm_token = random_token();
    let confirm_hash = hash_token(&confirm_token);
    let unsubscribe_token = unsubscribe_token(&secret, &email);
    let unsubscribe_hash = hash_token(&unsubscribe_token);
    let confirm_link = link(&page, "token", &confirm_token);
    let unsubscribe_link = link(&page, "unsubscribe", &unsubscribe_token);
    let confirmation = confirmation_email(&email, &confirm_link, &unsubscribe_link);
    let notice = already_subscribed_email(&email, &unsubscribe_link);

    let txn = super::begin_write(db).await?;
    // A new address gets its row here. For a known one nothing is inserted; a concurrent
    // subscribe of the same address waits for this one, then inserts nothing either.
    newsletter_subscription::Entity::insert(newsletter_subscription::ActiveModel {
        email: Set(email.clone()),
        status: Set(SubscriptionStatus::Pending),
        confirm_token_hash: Set(Some(confirm_hash.clone())),
        confirm_token_expires_at: Set(Some(expires_at)),
        unsubscribe_token_hash: Set(Some(unsubscribe_hash.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        confirmed_at: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([newsletter_subscription::Column::Email])
    .exec_without_returning(&txn)
    .await?;
    // Locked until commit (on PostgreSQL; SQLite has the whole database locked already),
    // so that a confirmation in between cannot be undone by the update below.
    let row = newsletter_subscription::Entity::find()
        .filter(newsletter_subscription::Column::Email.eq(&email))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the newsletter subscription just written".to_owned()))?;

    let confirmed = row.status == SubscriptionStatus::Confirmed;
    // The same statement in every case, with the values for the case.
    newsletter_subscription::Entity::update_many()
        .set(newsletter_subscription::ActiveModel {
            status: Set(if confirmed { SubscriptionStatus::Confirmed } else { SubscriptionStatus::Pending }),
            confirm_token_hash: Set((!confirmed).then_some(confirm_hash)),
            confirm_token_expires_at: Set((!confirmed).then_some(expires_at)),
            unsubscribe_token_hash: Set(Some(unsubscribe_hash)),
            updated_at: Set(now),
            confirmed_at: Set(if confirmed { row.confirmed_at } else { None }),
            ..Default::default()
        })
        .filter(newsletter_subscription::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;

    let (kind, (subject, body)) =
        if confirmed { (KIND_ALREADY_SUBSCRIBED, notice) } else { (KIND_CONFIRMATION, confirmation) };
    queue(&txn, &email, &subject, &body, kind, now).await?;
    txn.commit().await?;
    tracing::debug!(subscription = row.id, kind, "newsletter email queued");
    Ok(())
}

/// Confirms the subscription whose confirmation token this is, if it has not expired.
/// The token works once. An unknown, expired or used token is refused with
/// [`INVALID_CONFIRM_TOKEN`] alike.
pub async fn confirm(db: &DatabaseConnection, token: &str) -> Result<()> {
    let refused = || Error::bad_input("token", INVALID_CONFIRM_TOKEN);
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(refused());
    }
    let now = super::now();
    // One statement: of two requests with the same token, only one finds it.
    let confirmed = newsletter_subscription::Entity::update_many()
        .set(newsletter_subscription::ActiveModel {
            status: Set(SubscriptionStatus::Confirmed),
            confirm_token_hash: Set(None),
            confirm_token_expires_at: Set(None),
            confirmed_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(newsletter_subscription::Column::ConfirmTokenHash.eq(hash_token(token)))
        .filter(newsletter_subscription::Column::ConfirmTokenExpiresAt.gt(now))
        .filter(newsletter_subscription::Column::Status.eq(SubscriptionStatus::Pending))
        .exec(db)
        .await?;
    if confirmed.rows_affected == 0 {
        return Err(refused());
    }
    tracing::debug!("newsletter subscription confirmed");
    Ok(())
}

/// Unsubscribes the subscription whose unsubscribe token this is, and voids any
/// confirmation link still out. Unsubscribing again with the same token succeeds again
/// (a link clicked twice should not look broken); a token that matches no subscription
/// is refused with [`INVALID_UNSUBSCRIBE_TOKEN`].
pub async fn unsubscribe(db: &DatabaseConnection, token: &str) -> Result<()> {
    let refused = || Error::bad_input("token", INVALID_UNSUBSCRIBE_TOKEN);
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(refused());
    }
    let unsubscribed = newsletter_subscription::Entity::update_many()
        .set(newsletter_subscription::ActiveModel {
            status: Set(SubscriptionStatus::Unsubscribed),
            confirm_token_hash: Set(None),
            confirm_token_expires_at: Set(None),
            updated_at: Set(super::now()),
            ..Default::default()
        })
        .filter(newsletter_subscription::Column::UnsubscribeTokenHash.eq(hash_token(token)))
        .exec(db)
        .await?;
    if unsubscribed.rows_affected == 0 {
        return Err(refused());
    }
    tracing::debug!("newsletter subscription ended");
    Ok(())
}

/// Emails not sent yet, oldest first, at most `limit`.
pub async fn pending_outbox(db: &DatabaseConnection, limit: u64) -> Result<Vec<outbox_message::Model>> {
    list_outbox(db, false, limit).await
}

/// Emails in the outbox, oldest first, at most `limit`: the unsent ones, or all of them
/// with `include_sent`.
pub async fn list_outbox(
    db: &DatabaseConnection,
    include_sent: bool,
    limit: u64,
) -> Result<Vec<outbox_message::Model>> {
    let mut query = outbox_message::Entity::find();
    if !include_sent {
        query = query.filter(outbox_message::Column::SentAt.is_null());
    }
    Ok(query.order_by_asc(outbox_message::Column::Id).limit(limit).all(db).await?)
}

/// Records that the email was sent. Marking it again keeps the first time; an id that
/// is not in the outbox is not found.
pub async fn mark_sent(db: &DatabaseConnection, id: i64) -> Result<()> {
    let marked = outbox_message::Entity::update_many()
        .set(outbox_message::ActiveModel { sent_at: Set(Some(super::now())), ..Default::default() })
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::SentAt.is_null())
        .exec(db)
        .await?;
    if marked.rows_affected == 0 && outbox_message::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(Error::NotFound(format!("outbox message {id}")));
    }
    Ok(())
}

async fn queue(
    txn: &sea_orm::DatabaseTransaction,
    recipient: &str,
    subject: &str,
    body: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    outbox_message::Entity::insert(outbox_message::ActiveModel {
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        kind: Set(kind.to_owned()),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The page the links lead to: an absolute http(s) URL without a fragment, since the
/// token goes into the query.
fn page_url(confirm_url: &str) -> Result<String> {
    let url = validate::web_url("confirmUrl", confirm_url)?;
    if url.contains('#') {
        return Err(Error::bad_input("confirmUrl", "must not have a fragment (#...): the token goes into the query"));
    }
    Ok(url)
}

fn link(page: &str, parameter: &str, token: &str) -> String {
    let separator = if page.contains('?') { '&' } else { '?' };
    format!("{page}{separator}{parameter}={token}")
}

fn confirmation_email(email: &str, confirm_link: &str, unsubscribe_link: &str) -> (String, String) {
    let subject = "Confirm your newsletter subscription".to_owned();
    let body = format!(
        "Someone, probably you, asked to receive our newsletter at {email}.\n\
         \n\
         To confirm, open this link within {CONFIRM_TTL_HOURS} hours:\n\
         {confirm_link}\n\
         \n\
         If you did not ask for it, ignore this email: nothing more will be sent unless the link is opened.\n\
         \n\
         To unsubscribe at any time: {unsubscribe_link}\n"
    );
    (subject, body)
}

fn already_subscribed_email(email: &str, unsubscribe_link: &str) -> (String, String) {
    let subject = "You are subscribed to our newsletter already".to_owned();
    let body = format!(
        "Someone, probably you, asked to receive our newsletter at {email}.\n\
         \n\
         This address is subscribed already: there is nothing more to do.\n\
         \n\
         To unsubscribe: {unsubscribe_link}\n"
    );
    (subject, body)
}

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a token: its SHA-256, in hex.
fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// The unsubscribe token of an address: the same in every email to it, so that each can
/// carry it although only its hash is stored. Derived with a key kept in the database.
fn unsubscribe_token(secret: &str, email: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(b"newsletter-unsubscribe\n");
    mac.update(email.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The key unsubscribe tokens are derived with, made at first use.
async fn secret(db: &DatabaseConnection) -> Result<String> {
    settings::get_or_create(db, SECRET_KEY, || {
        let bytes: [u8; 32] = rand::random();
        URL_SAFE_NO_PAD.encode(bytes)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{a}");
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn unsubscribe_tokens_are_stable_per_address_and_key() {
        let token = unsubscribe_token("key", "a@example.com");
        assert_eq!(token, unsubscribe_token("key", "a@example.com"));
        assert_ne!(token, unsubscribe_token("key", "b@example.com"));
        assert_ne!(token, unsubscribe_token("other key", "a@example.com"));
        assert_eq!(token.len(), 43);
    }

    #[test]
    fn links_add_to_the_query() {
        assert_eq!(link("https://example.com/newsletter", "token", "t"), "https://example.com/newsletter?token=t");
        assert_eq!(link("https://example.com/n?lang=en", "token", "t"), "https://example.com/n?lang=en&token=t");
        assert!(page_url("https://example.com/n#confirm").is_err());
        assert!(page_url("javascript:alert(1)").is_err());
        assert!(page_url("/newsletter").is_err());
    }
}
