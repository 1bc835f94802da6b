use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a stored count of visible comments covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TallyKind {
    /// Every visible comment on an article, replies included; `subject_id` is the article.
    #[sea_orm(string_value = "ARTICLE")]
    Article,
    /// The visible top-level comments of an article.
    #[sea_orm(string_value = "TOP_LEVEL")]
    TopLevel,
    /// The visible replies to a comment; `subject_id` is the comment.
    #[sea_orm(string_value = "REPLIES")]
    Replies,
}

/// A count of visible comments, kept up to date by the writes that change it so that
/// reading a busy thread does not count thousands of rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "comment_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: TallyKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: i64,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
