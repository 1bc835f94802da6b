use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "images")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    pub alt_text: String,
    pub caption: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub distributor: Option<String>,
    pub license: Option<String>,
    pub copyright_holder: Option<String>,
    /// After this moment the image may no longer be published.
    pub license_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
