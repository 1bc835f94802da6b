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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
