//! The newsletter's double opt-in on both databases: subscribe, the email in the outbox,
//! confirm with the token from its link, unsubscribe; refusals that tell nothing, tokens
//! stored only hashed, and concurrent sign-ups of one address.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use entity::newsletter_subscription::{self, SubscriptionStatus};
use entity::outbox_message;
use newsroom::domain::Error;
use newsroom::domain::newsletter::{
    self, INVALID_CONFIRM_TOKEN, INVALID_UNSUBSCRIBE_TOKEN, KIND_ALREADY_SUBSCRIBED, KIND_CONFIRMATION,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

const PAGE: &str = "https://news.example.com/newsletter";

async fn subscribe(db: &DatabaseConnection, email: &str) {
    newsletter::subscribe(db, email, PAGE).await.unwrap_or_else(|e| panic!("subscribe {email}: {e}"));
}

/// Every email in the outbox, oldest first.
async fn outbox(db: &DatabaseConnection) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().order_by_asc(outbox_message::Column::Id).all(db).await.unwrap()
}

/// The last email queued for `email`.
async fn last_email(db: &DatabaseConnection, email: &str) -> outbox_message::Model {
    outbox(db).await.into_iter().rev().find(|m| m.recipient == email).unwrap_or_else(|| panic!("no email to {email}"))
}

async fn subscription(db: &DatabaseConnection, email: &str) -> newsletter_subscription::Model {
    newsletter_subscription::Entity::find()
        .filter(newsletter_subscription::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no subscription for {email}"))
}

/// The value of `parameter` in the link to [`PAGE`] the body carries, if any.
fn link_token(body: &str, parameter: &str) -> Option<String> {
    let prefix = format!("{PAGE}?{parameter}=");
    let start = body.find(&prefix)? + prefix.len();
    let token: String =
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    Some(token)
}

fn confirm_token(message: &outbox_message::Model) -> String {
    link_token(&message.body, "token").unwrap_or_else(|| panic!("no confirmation link in {:?}", message.body))
}

fn unsubscribe_token(message: &outbox_message::Model) -> String {
    link_token(&message.body, "unsubscribe").unwrap_or_else(|| panic!("no unsubscribe link in {:?}", message.body))
}

fn sha256_hex(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// The message of a refusal of `field`; panics on anything else.
#[track_caller]
fn refusal(result: Result<(), Error>, field: &str) -> String {
    match result {
        Err(Error::BadInput { field: f, message }) if f == field => message,
        other => panic!("expected bad input on {field}, got {other:?}"),
    }
}

/// Subscribe, the email, confirm; subscribing twice replaces the token.
async fn double_opt_in(app: TestApp) {
    let db = &app.db;
    subscribe(db, "  Reader@Example.COM ").await;
    let row = subscription(db, "reader@example.com").await;
    assert_eq!(row.status, SubscriptionStatus::Pending);
    assert_eq!(row.confirmed_at, None);
    let expires = row.confirm_token_expires_at.expect("an expiry");
    let in_48h = Utc::now() + Duration::hours(48);
    assert!(expires <= in_48h && expires > in_48h - Duration::minutes(1), "{expires}");

    let first = outbox(db).await;
    assert_eq!(first.len(), 1);
    let email = &first[0];
    assert_eq!(email.recipient, "reader@example.com");
    assert_eq!(email.kind, KIND_CONFIRMATION);
    assert_eq!(email.sent_at, None);
    assert!(email.subject.contains("Confirm"), "{}", email.subject);
    let old_token = confirm_token(email);
    assert!(old_token.len() >= 22, "at least 128 bits: {old_token}");
    assert!(email.body.contains(&format!("{PAGE}?token={old_token}")));
    let unsubscribe = unsubscribe_token(email);

    // Subscribing again: a second email, a new token, the same unsubscribe link.
    subscribe(db, "reader@example.com").await;
    let both = outbox(db).await;
    assert_eq!(both.len(), 2);
    assert_eq!(newsletter_subscription::Entity::find().count(db).await.unwrap(), 1);
    let new_token = confirm_token(&both[1]);
    assert_ne!(new_token, old_token);
    assert_eq!(unsubscribe_token(&both[1]), unsubscribe);

    let replaced = refusal(newsletter::confirm(db, &old_token).await, "token");
    assert_eq!(replaced, INVALID_CONFIRM_TOKEN);
    assert_eq!(subscription(db, "reader@example.com").await.status, SubscriptionStatus::Pending);

    let before = Utc::now() - Duration::seconds(1);
    newsletter::confirm(db, &new_token).await.expect("the newest token confirms");
    let row = subscription(db, "reader@example.com").await;
    assert_eq!(row.status, SubscriptionStatus::Confirmed);
    assert!(row.confirmed_at.is_some_and(|at| at >= before), "{:?}", row.confirmed_at);
    assert_eq!((row.confirm_token_hash, row.confirm_token_expires_at), (None, None), "single use");

    let reused = refusal(newsletter::confirm(db, &new_token).await, "token");
    assert_eq!(reused, INVALID_CONFIRM_TOKEN);
}
on_both!(double_opt_in);

/// A reused, an expired and a made-up token are refused with the same words.
async fn refusals_look_alike(app: TestApp) {
    let db = &app.db;
    subscribe(db, "used@example.com").await;
    let used = confirm_token(&last_email(db, "used@example.com").await);
    newsletter::confirm(db, &used).await.unwrap();
    let reused = refusal(newsletter::confirm(db, &used).await, "token");

    subscribe(db, "late@example.com").await;
    let late = confirm_token(&last_email(db, "late@example.com").await);
    let mut row = subscription(db, "late@example.com").await.into_active_model();
    row.confirm_token_expires_at = Set(Some(Utc::now() - Duration::minutes(1)));
    row.update(db).await.unwrap();
    let expired = refusal(newsletter::confirm(db, &late).await, "token");
    assert_eq!(subscription(db, "late@example.com").await.status, SubscriptionStatus::Pending);

    let made_up = refusal(newsletter::confirm(db, "bm90LWEtdG9rZW4tYXQtYWxsLWp1c3QtZ2FyYmFnZQ").await, "token");
    assert_eq!(reused, INVALID_CONFIRM_TOKEN);
    assert_eq!(expired, reused);
    assert_eq!(made_up, reused);
    for garbage in ["", " ", "%00", &"x".repeat(10_000)] {
        assert_eq!(refusal(newsletter::confirm(db, garbage).await, "token"), reused);
    }
    assert!(!reused.contains('@'), "{reused}");

    // A late reader subscribes again and gets a link that works.
    subscribe(db, "late@example.com").await;
    let fresh = confirm_token(&last_email(db, "late@example.com").await);
    newsletter::confirm(db, &fresh).await.expect("a fresh token after expiry");
    assert_eq!(subscription(db, "late@example.com").await.status, SubscriptionStatus::Confirmed);
}
on_both!(refusals_look_alike);

/// The unsubscribe link in every email ends the subscription, also twice.
async fn unsubscribing(app: TestApp) {
    let db = &app.db;
    subscribe(db, "leaver@example.com").await;
    let email = last_email(db, "leaver@example.com").await;
    newsletter::confirm(db, &confirm_token(&email)).await.unwrap();
    let token = unsubscribe_token(&email);

    newsletter::unsubscribe(db, &token).await.expect("unsubscribes");
    assert_eq!(subscription(db, "leaver@example.com").await.status, SubscriptionStatus::Unsubscribed);
    newsletter::unsubscribe(db, &token).await.expect("a link clicked twice still answers ok");
    assert_eq!(subscription(db, "leaver@example.com").await.status, SubscriptionStatus::Unsubscribed);
    for garbage in ["", "nonsense", &confirm_token(&email)] {
        assert_eq!(refusal(newsletter::unsubscribe(db, garbage).await, "token"), INVALID_UNSUBSCRIBE_TOKEN);
    }

    // Unsubscribing before confirming voids the confirmation link.
    subscribe(db, "undecided@example.com").await;
    let email = last_email(db, "undecided@example.com").await;
    newsletter::unsubscribe(db, &unsubscribe_token(&email)).await.unwrap();
    assert_eq!(refusal(newsletter::confirm(db, &confirm_token(&email)).await, "token"), INVALID_CONFIRM_TOKEN);
    assert_eq!(subscription(db, "undecided@example.com").await.status, SubscriptionStatus::Unsubscribed);

    // Coming back takes a new confirmation; the unsubscribe link stays the same.
    subscribe(db, "leaver@example.com").await;
    let again = last_email(db, "leaver@example.com").await;
    assert_eq!(again.kind, KIND_CONFIRMATION);
    let row = subscription(db, "leaver@example.com").await;
    assert_eq!((row.status, row.confirmed_at), (SubscriptionStatus::Pending, None));
    newsletter::confirm(db, &confirm_token(&again)).await.unwrap();
    assert_eq!(subscription(db, "leaver@example.com").await.status, SubscriptionStatus::Confirmed);
    assert_eq!(unsubscribe_token(&again), token);
    newsletter::unsubscribe(db, &token).await.unwrap();
    assert_eq!(subscription(db, "leaver@example.com").await.status, SubscriptionStatus::Unsubscribed);
}
on_both!(unsubscribing);

/// A confirmed reader who subscribes again stays confirmed and is told so.
async fn confirmed_stays_confirmed(app: TestApp) {
    let db = &app.db;
    subscribe(db, "loyal@example.com").await;
    newsletter::confirm(db, &confirm_token(&last_email(db, "loyal@example.com").await)).await.unwrap();
    let confirmed = subscription(db, "loyal@example.com").await;

    subscribe(db, "loyal@example.com").await;
    let row = subscription(db, "loyal@example.com").await;
    assert_eq!(row.status, SubscriptionStatus::Confirmed);
    assert_eq!(row.confirmed_at, confirmed.confirmed_at);
    assert_eq!(row.confirm_token_hash, None, "no confirmation pending");
    let notice = last_email(db, "loyal@example.com").await;
    assert_eq!(notice.kind, KIND_ALREADY_SUBSCRIBED);
    assert_eq!(link_token(&notice.body, "token"), None, "{}", notice.body);
    newsletter::unsubscribe(db, &unsubscribe_token(&notice)).await.expect("the notice carries a working link");
    assert_eq!(subscription(db, "loyal@example.com").await.status, SubscriptionStatus::Unsubscribed);
}
on_both!(confirmed_stays_confirmed);

/// Whether the address is new, pending, confirmed or unsubscribed, subscribing runs the
/// same number of statements.
async fn the_same_work_in_every_case(app: TestApp) {
    let db = &app.db;
    let statements = |email: &'static str| {
        let db = db.clone();
        let counter = app.statements.clone();
        async move {
            let before = counter.get();
            subscribe(&db, email).await;
            counter.get() - before
        }
    };
    statements("first@example.com").await; // makes the key for unsubscribe links
    subscribe(db, "confirmed@example.com").await;
    newsletter::confirm(db, &confirm_token(&last_email(db, "confirmed@example.com").await)).await.unwrap();
    subscribe(db, "gone@example.com").await;
    newsletter::unsubscribe(db, &unsubscribe_token(&last_email(db, "gone@example.com").await)).await.unwrap();
    subscribe(db, "pending@example.com").await;

    let new = statements("new@example.com").await;
    assert!(new > 0);
    for email in ["pending@example.com", "confirmed@example.com", "gone@example.com"] {
        assert_eq!(statements(email).await, new, "{email}");
    }
}
on_both!(the_same_work_in_every_case);

/// Malformed addresses and pages are refused and leave nothing behind.
async fn malformed_input(app: TestApp) {
    let db = &app.db;
    for email in ["", "reader", "reader@", "@example.com", "reader@example", "a b@example.com", "a@b@example.com"] {
        let message = refusal(newsletter::subscribe(db, email, PAGE).await, "email");
        assert!(message.contains("email address"), "{message}");
    }
    for page in ["", "/newsletter", "ftp://example.com/n", "https://example.com/n#confirm"] {
        refusal(newsletter::subscribe(db, "reader@example.com", page).await, "confirmUrl");
    }
    assert_eq!(newsletter_subscription::Entity::find().count(db).await.unwrap(), 0);
    assert!(outbox(db).await.is_empty());

    // A page with a query of its own keeps it.
    newsletter::subscribe(db, "reader@example.com", "https://news.example.com/n?lang=en").await.unwrap();
    let body = last_email(db, "reader@example.com").await.body;
    assert!(body.contains("https://news.example.com/n?lang=en&token="), "{body}");
    assert!(body.contains("https://news.example.com/n?lang=en&unsubscribe="), "{body}");
}
on_both!(malformed_input);

/// The tokens are in the email and nowhere else: the database keeps their SHA-256.
async fn tokens_stored_only_hashed(app: TestApp) {
    let db = &app.db;
    subscribe(db, "private@example.com").await;
    let email = last_email(db, "private@example.com").await;
    let (confirm, unsubscribe) = (confirm_token(&email), unsubscribe_token(&email));
    assert_ne!(confirm, unsubscribe);

    let row = subscription(db, "private@example.com").await;
    assert_eq!(row.confirm_token_hash.as_deref(), Some(sha256_hex(&confirm).as_str()));
    assert_eq!(row.unsubscribe_token_hash.as_deref(), Some(sha256_hex(&unsubscribe).as_str()));
    let stored = serde_json::to_string(&row).unwrap();
    for message in outbox(db).await {
        assert!(message.body.contains(&confirm) && message.body.contains(&unsubscribe));
        let mut without_body = message.clone();
        without_body.body.clear();
        let rest = serde_json::to_string(&without_body).unwrap();
        assert!(!rest.contains(&confirm) && !rest.contains(&unsubscribe), "{rest}");
    }
    assert!(!stored.contains(&confirm) && !stored.contains(&unsubscribe), "{stored}");
    let settings = entity::setting::Entity::find().all(db).await.unwrap();
    let settings = serde_json::to_string(&settings).unwrap();
    assert!(!settings.contains(&confirm) && !settings.contains(&unsubscribe));
}
on_both!(tokens_stored_only_hashed);

/// Five sign-ups of one address at once: all succeed, one subscription, five emails,
/// and only the newest link confirms.
async fn concurrent_subscribes(app: TestApp) {
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move { newsletter::subscribe(&db, "rush@example.com", PAGE).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("every concurrent subscribe succeeds");
    }
    let db = &app.db;
    assert_eq!(newsletter_subscription::Entity::find().count(db).await.unwrap(), 1);
    let emails = outbox(db).await;
    assert_eq!(emails.len(), 5);
    assert!(emails.iter().all(|m| m.recipient == "rush@example.com" && m.kind == KIND_CONFIRMATION));
    let mut confirmed = 0;
    for email in emails.iter().rev() {
        if newsletter::confirm(db, &confirm_token(email)).await.is_ok() {
            confirmed += 1;
        }
    }
    assert_eq!(confirmed, 1, "only the last token written works");
    assert_eq!(subscription(db, "rush@example.com").await.status, SubscriptionStatus::Confirmed);
}
on_both!(concurrent_subscribes);

/// The outbox hands out unsent emails oldest first and remembers what was sent.
async fn outbox_queue(app: TestApp) {
    let db = &app.db;
    for n in 1..=3 {
        subscribe(db, &format!("reader{n}@example.com")).await;
    }
    let pending = newsletter::pending_outbox(db, 10).await.unwrap();
    let recipients: Vec<&str> = pending.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(recipients, ["reader1@example.com", "reader2@example.com", "reader3@example.com"]);
    assert_eq!(newsletter::pending_outbox(db, 2).await.unwrap(), pending[..2]);

    newsletter::mark_sent(db, pending[0].id).await.unwrap();
    let sent_at = outbox_message::Entity::find_by_id(pending[0].id).one(db).await.unwrap().unwrap().sent_at;
    assert!(sent_at.is_some());
    newsletter::mark_sent(db, pending[0].id).await.expect("marking twice is harmless");
    let again = outbox_message::Entity::find_by_id(pending[0].id).one(db).await.unwrap().unwrap().sent_at;
    assert_eq!(again, sent_at, "the first time stays");
    let unknown = newsletter::mark_sent(db, pending[2].id + 100).await;
    assert!(matches!(unknown, Err(Error::NotFound(_))), "{unknown:?}");

    let left = newsletter::pending_outbox(db, 10).await.unwrap();
    assert_eq!(left, pending[1..]);
    assert_eq!(newsletter::list_outbox(db, true, 10).await.unwrap().len(), 3);
}
on_both!(outbox_queue);

/// `newsroom outbox` lists what waits, `--all` what was sent too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_command() {
    let app = TestApp::sqlite().await;
    let outbox_of = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
            .env_remove("DATABASE_URL")
            .env("NEWSROOM_LOG", "warn")
            .arg("--database-url")
            .arg(&app.config.database_url)
            .arg("outbox")
            .args(args)
            .output()
            .expect("the newsroom binary runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(outbox_of(&[]).trim(), "no unsent emails in the outbox");

    subscribe(&app.db, "first@example.com").await;
    subscribe(&app.db, "second@example.com").await;
    let first = last_email(&app.db, "first@example.com").await;
    newsletter::mark_sent(&app.db, first.id).await.unwrap();

    let unsent = outbox_of(&[]);
    assert!(!unsent.contains("first@example.com"), "{unsent}");
    let second = last_email(&app.db, "second@example.com").await;
    for part in
        ["To: second@example.com", &second.subject, &format!("{PAGE}?token={}", confirm_token(&second)), "unsent"]
    {
        assert!(unsent.contains(part), "{part} in {unsent}");
    }
    let all = outbox_of(&["--all"]);
    assert!(all.contains("To: first@example.com") && all.contains("To: second@example.com"), "{all}");
    assert!(all.find("first@example.com") < all.find("second@example.com"), "oldest first");
    assert!(all.contains("(sent "), "{all}");
    let one = outbox_of(&["--all", "--limit", "1"]);
    assert!(!one.contains("second@example.com") && one.contains("higher --limit"), "{one}");
}
