//! Staff accounts, bylines and tags.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::{author, tag, user};

use super::article::{ArticleConnection, shelf_connection};
use super::ids::{self, Kind};
use super::scalars::DateTime;
use crate::domain::articles::{ArticleFilter, Shelf};
use crate::domain::bylines::Contributor;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::user::Role")]
pub enum Role {
    Contributor,
    Editor,
    Admin,
}

/// What a contributor did for an article.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::article_author::ContributorRole")]
pub enum ContributorRole {
    Writer,
    AdditionalReporting,
    Photographer,
    Videographer,
    Illustrator,
    Editor,
    Translator,
}

/// A contributor on an article's byline, with what they did.
pub struct Byline(pub Contributor);

#[Object]
impl Byline {
    async fn author(&self) -> Author {
        Author(self.0.author.clone())
    }

    async fn role(&self) -> ContributorRole {
        self.0.role.into()
    }
}

/// One contributor of an article's byline; an author appears once.
#[derive(InputObject)]
pub struct BylineInput {
    pub author_id: ID,
    pub role: ContributorRole,
}

pub struct User(pub user::Model);

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        User(model)
    }
}

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub expires_at: DateTime,
    pub user: User,
}

pub struct Author(pub author::Model);

impl From<author::Model> for Author {
    fn from(model: author::Model) -> Self {
        Author(model)
    }
}

#[Object]
impl Author {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Author, self.0.id)
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// Published articles with this author in the byline, newest first.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ArticleConnection> {
        shelf_connection(
            ctx,
            Shelf::Author(self.0.id),
            ArticleFilter { author: Some(self.0.slug.clone()), ..Default::default() },
            first,
            after,
        )
        .await
    }
}

pub struct Tag(pub tag::Model);

impl From<tag::Model> for Tag {
    fn from(model: tag::Model) -> Self {
        Tag(model)
    }
}

#[Object]
impl Tag {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Tag, self.0.id)
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Published articles with this tag, newest first.
    #[graphql(complexity = "super::query::page_cost(first, None, child_complexity)")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ArticleConnection> {
        shelf_connection(
            ctx,
            Shelf::Tag(self.0.id),
            ArticleFilter { tag: Some(self.0.slug.clone()), ..Default::default() },
            first,
            after,
        )
        .await
    }
}
