use async_graphql::{Context, ID, Object, Result};
use entity::section;

use super::article::{ArticleConnection, shelf_connection};
use super::ids::{self, Kind};
use crate::domain::articles::{ArticleFilter, Shelf};

#[derive(Clone)]
pub struct Section(pub section::Model);

impl From<section::Model> for Section {
    fn from(model: section::Model) -> Self {
        Section(model)
    }
}

impl From<&section::Model> for Section {
    fn from(model: &section::Model) -> Self {
        Section(model.clone())
    }
}

#[Object]
impl Section {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Section, self.0.id)
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Slugs from the root down to this section, joined by '/', e.g. 'world/international-news'.
    async fn path(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(super::section_tree(ctx).await?.path(self.0.id))
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Section>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(super::section_tree(ctx).await?.get(parent).map(Section::from))
    }

    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        Ok(super::section_tree(ctx).await?.children(Some(self.0.id)).into_iter().map(Section::from).collect())
    }

    /// From the root section down to this one, this one included.
    async fn breadcrumbs(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        Ok(super::section_tree(ctx).await?.breadcrumbs(self.0.id).into_iter().map(Section::from).collect())
    }

    /// Published articles of this section and its subsections, newest first.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ArticleConnection> {
        let filter = ArticleFilter { section: Some(self.0.slug.clone()), ..Default::default() };
        shelf_connection(ctx, Shelf::Section(self.0.id), filter, first, after).await
    }
}
