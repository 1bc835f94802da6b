use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One staff action: who did what to which object, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The user who acted; the id stays when the account is gone.
    pub actor_id: Option<i64>,
    /// The mutation, e.g. `publishArticle`.
    pub action: String,
    /// The kind of object acted on (`Article`, `Image`, ...), as in global ids.
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    /// One line for a person; never a password or a token.
    pub summary: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
