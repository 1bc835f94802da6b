//! What each client has spent of its rate limits, shared by every server on the database.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A write whose rate is limited per client, each with a budget of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LimitedAction {
    #[sea_orm(string_value = "COMMENT")]
    Comment,
    #[sea_orm(string_value = "NEWSLETTER")]
    NewsletterSignUp,
}

/// The GCRA state of one client's budget for one action: for each allowance, the
/// theoretical arrival time of the next write, in milliseconds since the Unix epoch. A row
/// whose times have both passed says no more than a missing one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    /// The salted hash of the client's address, or `unknown`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub action: LimitedAction,
    pub minute_tat_ms: i64,
    pub hour_tat_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
