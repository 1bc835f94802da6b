//! Public notes on published articles: what was wrong or changed, and when.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CorrectionKind {
    #[sea_orm(string_value = "CORRECTION")]
    Correction,
    #[sea_orm(string_value = "CLARIFICATION")]
    Clarification,
    #[sea_orm(string_value = "UPDATE")]
    Update,
    #[sea_orm(string_value = "EDITORS_NOTE")]
    EditorsNote,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "corrections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub article_id: i64,
    pub kind: CorrectionKind,
    pub text: String,
    /// The editor who wrote it; none once their account is gone.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
