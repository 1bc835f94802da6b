//! Entries of live blogs: timestamped posts under a LIVE article. A deleted entry keeps
//! its row, with `deleted_at` set, so that clients polling for changes learn of it.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "live_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub article_id: i64,
    pub headline: Option<String>,
    pub body_markdown: String,
    /// Pinned entries lead the blog, newest first, before the others.
    pub pinned: bool,
    /// Who wrote it in the CMS; none once their account is gone.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// Moves on every edit and on deletion.
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
