//! An email waiting to be sent, or sent already.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The address the email goes to.
    pub recipient: String,
    pub subject: String,
    /// Plain text. May carry links with tokens, such as a newsletter confirmation.
    pub body: String,
    /// What the email is, e.g. `newsletter_confirmation`.
    pub kind: String,
    pub created_at: DateTimeUtc,
    /// When it was handed to the mail server; `None` while it waits.
    pub sent_at: Option<DateTimeUtc>,
    /// Tries to send it so far; a try counts from when a sender takes the email. Exports
    /// made before emails were sent carry none of these: their emails were never tried.
    #[serde(default)]
    pub attempts: i32,
    /// When a sender first took it.
    #[serde(default)]
    pub first_attempt_at: Option<DateTimeUtc>,
    /// The earliest a sender may take it: after a failed try, the next try; while a
    /// sender holds it, the end of that sender's claim. `None`: at once.
    #[serde(default)]
    pub next_attempt_at: Option<DateTimeUtc>,
    /// What went wrong on the last failed try.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When it was given up (the mail server refused it for good, or it failed for longer
    /// than retries go on); it is not tried again.
    #[serde(default)]
    pub failed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
