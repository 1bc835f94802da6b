use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a contributor did for an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ContributorRole {
    #[default]
    #[sea_orm(string_value = "WRITER")]
    Writer,
    #[sea_orm(string_value = "ADDITIONAL_REPORTING")]
    AdditionalReporting,
    #[sea_orm(string_value = "PHOTOGRAPHER")]
    Photographer,
    #[sea_orm(string_value = "VIDEOGRAPHER")]
    Videographer,
    #[sea_orm(string_value = "ILLUSTRATOR")]
    Illustrator,
    #[sea_orm(string_value = "EDITOR")]
    Editor,
    #[sea_orm(string_value = "TRANSLATOR")]
    Translator,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "article_authors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub author_id: i64,
    /// Byline order.
    pub position: i32,
    /// Exports made before roles existed carry none: their bylines are writers'.
    #[serde(default)]
    pub role: ContributorRole,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::author::Entity", from = "Column::AuthorId", to = "super::author::Column::Id")]
    Author,
}

impl Related<super::author::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
