//! Corrections as the API shows them.

use async_graphql::{Context, Enum, ID, Object, Result};
use entity::correction;

use super::article::Article;
use super::error::{self, GqlResult};
use super::ids::{self, Kind};
use super::loaders::ArticleId;
use super::scalars::DateTime;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::correction::CorrectionKind")]
pub enum CorrectionKind {
    Correction,
    Clarification,
    Update,
    EditorsNote,
}

/// A public note on a published article: what was wrong or changed, and when.
#[derive(Clone)]
pub struct Correction(pub correction::Model);

impl From<correction::Model> for Correction {
    fn from(model: correction::Model) -> Self {
        Correction(model)
    }
}

#[Object]
impl Correction {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Correction, self.0.id)
    }

    async fn kind(&self) -> CorrectionKind {
        self.0.kind.into()
    }

    async fn text(&self) -> &str {
        &self.0.text
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn article(&self, ctx: &Context<'_>) -> Result<Article> {
        super::loaders(ctx)?
            .load_one(ArticleId(self.0.article_id))
            .await
            .gql()?
            .map(Article)
            .ok_or_else(|| error::coded("the correction's article is not shown to you", error::NOT_FOUND))
    }
}

super::connection::connection!(CorrectionConnection, CorrectionEdge, Correction);
