use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ArticleStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "IN_REVIEW")]
    InReview,
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// What kind of journalism a piece is; frontends label it, structured data follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ArticleKind {
    #[default]
    #[sea_orm(string_value = "NEWS")]
    News,
    #[sea_orm(string_value = "ANALYSIS")]
    Analysis,
    #[sea_orm(string_value = "OPINION")]
    Opinion,
    #[sea_orm(string_value = "REVIEW")]
    Review,
    #[sea_orm(string_value = "FEATURE")]
    Feature,
    #[sea_orm(string_value = "OBITUARY")]
    Obituary,
    #[sea_orm(string_value = "SPONSORED")]
    Sponsored,
    /// A live blog: timestamped entries under one headline.
    #[sea_orm(string_value = "LIVE")]
    Live,
}

/// Who may read an article's whole body; the order is that of entitlement.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AccessLevel {
    #[default]
    #[sea_orm(string_value = "FREE")]
    Free,
    #[sea_orm(string_value = "REGISTERED")]
    Registered,
    #[sea_orm(string_value = "SUBSCRIBER")]
    Subscriber,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub headline: String,
    pub standfirst: Option<String>,
    pub body_markdown: String,
    pub status: ArticleStatus,
    pub section_id: i64,
    pub lead_image_id: Option<i64>,
    pub comments_open: bool,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub canonical_url: Option<String>,
    /// The user who created the article; contributors may edit what they created.
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub scheduled_at: Option<DateTimeUtc>,
    /// Exports made before kinds existed carry none: their articles are news.
    #[serde(default)]
    pub kind: ArticleKind,
    /// A short label above the headline, e.g. "Exclusive".
    pub kicker: Option<String>,
    /// Where the story was filed from, e.g. "KABUL".
    pub dateline: Option<String>,
    /// Until then no reader sees the article, whatever its status.
    #[serde(default)]
    pub embargo_until: Option<DateTimeUtc>,
    /// Exports made before access levels existed carry none: their articles are free.
    #[serde(default)]
    pub access: AccessLevel,
    /// How many body blocks readers without the access see.
    #[serde(default)]
    pub teaser_blocks: Option<i32>,
    /// LIVE articles: when live coverage ended; none while it goes on. Exports made
    /// before live blogs existed carry none.
    #[serde(default)]
    pub coverage_ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
