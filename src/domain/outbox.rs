//! Sending the outbox: which emails are due, claiming one so that a single sender tries it
//! at a time however many server instances run, and recording how each try went.
//!
//! # Claims
//!
//! A sender claims an email with one conditional update: it counts the try and moves the
//! email's `next_attempt_at` to the end of a claim, where the email is still unsent, not
//! given up, and due (`next_attempt_at` empty or past). Of several senders racing for one
//! email, one update matches: PostgreSQL makes the others wait for the winner's row lock
//! and checks their condition again against the row the winner wrote, which is no longer
//! due; SQLite runs one write at a time. So it works alike on both databases, and no
//! transaction stays open over the conversation with the mail server, as
//! `SELECT ... FOR UPDATE SKIP LOCKED` would need: that would hold a connection per email
//! in flight, and SQLite has no such lock. A sender that stops in the middle (a crash, a
//! lost connection) leaves its claim to run out; the email is due again then. The claim
//! ([`CLAIM`]) is far longer than a try may take (the sender's SMTP timeouts), so no
//! email is claimed again while its sender still tries it.
//!
//! # Retries
//!
//! A try that fails for a reason that may pass (a 4xx answer, a refused connection, a
//! timeout) is tried again on the [`Backoff`] schedule, counted from the first try; a
//! permanent refusal (a 5xx answer, an address the mail server cannot take) gives the
//! email up at once, as does running out of the schedule. A given-up email keeps its
//! `failed_at` and `last_error`, and is not tried again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::outbox_message;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Result;
use super::retry::Backoff;

/// How long a sender holds an email it claimed before another may take it.
pub const CLAIM: Duration = Duration::from_secs(5 * 60);

/// The longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 1000;

/// Unsent, not given up, and due at `now`.
fn due_at(now: DateTime<Utc>) -> Condition {
    Condition::all().add(outbox_message::Column::SentAt.is_null()).add(outbox_message::Column::FailedAt.is_null()).add(
        Condition::any()
            .add(outbox_message::Column::NextAttemptAt.is_null())
            .add(outbox_message::Column::NextAttemptAt.lte(now)),
    )
}

/// The ids of the emails due at `now`, oldest first, at most `limit`.
pub async fn due(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> Result<Vec<i64>> {
    Ok(outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(due_at(now))
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Claims email `id` for a try, if it is still due and no other sender took it first:
/// the email as claimed (its try counted), or `None`.
pub async fn claim(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<Option<outbox_message::Model>> {
    let until = now + chrono::Duration::from_std(CLAIM).expect("the claim fits");
    let claimed = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Attempts, Expr::col(outbox_message::Column::Attempts).add(1))
        .col_expr(
            outbox_message::Column::FirstAttemptAt,
            Expr::col(outbox_message::Column::FirstAttemptAt).if_null(now),
        )
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(until))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(due_at(now))
        .exec_with_returning(db)
        .await?;
    Ok(claimed.into_iter().next())
}

/// Records that a claimed email was handed to the mail server. The error of an earlier
/// failed try stays, to tell what the email went through.
pub async fn mark_sent(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<()> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::SentAt, Expr::value(now))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a failed try may go better later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A 4xx answer, a connection that failed or timed out: try again later.
    Transient,
    /// A 5xx answer, or an email the mail server could never take: give it up.
    Permanent,
}

/// What becomes of an email after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAt(DateTime<Utc>),
    GivenUp,
}

/// Records a failed try of the claimed `email`: the next try on the `backoff` schedule,
/// or, for a permanent failure or past the schedule's end, the email given up.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    email: &outbox_message::Model,
    failure: Failure,
    error: &str,
    backoff: &Backoff,
    now: DateTime<Utc>,
) -> Result<Next> {
    let attempts = Ord::max(u32::try_from(email.attempts).unwrap_or(1), 1);
    let next = match failure {
        Failure::Permanent => Next::GivenUp,
        Failure::Transient => backoff
            .next_attempt(attempts, email.first_attempt_at.unwrap_or(now), now, None)
            .map_or(Next::GivenUp, Next::RetryAt),
    };
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let (next_attempt_at, failed_at) = match next {
        Next::RetryAt(at) => (Some(at), None),
        Next::GivenUp => (None, Some(now)),
    };
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::LastError, Expr::value(error))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(outbox_message::Column::FailedAt, Expr::value(failed_at))
        .filter(outbox_message::Column::Id.eq(email.id))
        .filter(outbox_message::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(next)
}
