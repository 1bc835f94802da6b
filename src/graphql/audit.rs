//! The audit log as admins read it.

use async_graphql::{Context, ID, Object, Result};
use entity::audit_entry;

use super::error::GqlResult;
use super::ids::{self, Kind};
use super::loaders::UserId;
use super::people::User;
use super::scalars::DateTime;
use crate::domain::audit;

/// One staff action: who did what to which object, and when.
pub struct AuditEntry(pub audit_entry::Model);

impl From<audit_entry::Model> for AuditEntry {
    fn from(model: audit_entry::Model) -> Self {
        AuditEntry(model)
    }
}

#[Object]
impl AuditEntry {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::AuditEntry, self.0.id)
    }

    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    /// Null when the account is gone.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)?.load_one(UserId(id)).await.gql()?.map(User))
    }

    /// The mutation, e.g. `publishArticle`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The global id of the object acted on; it may no longer exist.
    async fn subject_id(&self) -> Option<ID> {
        audit::subject_of(&self.0).map(|(kind, id)| ids::encode(kind, id))
    }

    async fn summary(&self) -> &str {
        &self.0.summary
    }
}

super::connection::connection!(AuditEntryConnection, AuditEntryEdge, AuditEntry);
