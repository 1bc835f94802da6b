//! Endpoints that admins subscribe to events.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    /// Event names, comma-separated, e.g. `ARTICLE_PUBLISHED,CONTENT_CHANGED`.
    pub events: String,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i64>,
    /// While in the future, a sender is delivering to the endpoint and no other may.
    pub claimed_until: Option<DateTimeUtc>,
    /// Which sender holds the claim.
    pub claimed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
