//! The GraphQL API: schema root, one module per object family, loaders, ids and errors.
//! Resolvers stay thin: they check the caller, call the domain, shape the answer.

pub mod article;
pub mod comment;
pub mod connection;
pub mod error;
pub mod ids;
pub mod image;
pub mod loaders;
pub mod mutation;
pub mod people;
pub mod query;
pub mod scalars;
pub mod section;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::{
    DocumentOperations, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Context, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::TokenService;
use crate::domain::Viewer;
use crate::domain::sections::SectionTree;
use loaders::{AllSections, Loaders};

pub type NewsroomSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Limits every request is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 5000,
        }
    }
}

/// What resolvers need from the server: the database, the token service and settings.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenService>,
    pub login_ttl: Duration,
}

pub fn build_schema(services: Option<Services>, limits: Limits) -> NewsroomSchema {
    let mut builder = Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        .extension(error::ErrorCodes)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// The SDL of the live schema, as written to `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, Limits::default()).sdl()
}

/// The deepest an introspection-only query may nest: the standard introspection query of
/// GraphiQL and code generators nests 13 levels, deeper than the limit for content.
const INTROSPECTION_DEPTH: usize = 32;

/// The API as the HTTP layer calls it.
#[derive(Clone)]
pub struct Api {
    schema: NewsroomSchema,
    /// The same schema held to limits that fit introspection, which reads no content.
    introspection: NewsroomSchema,
    db: DatabaseConnection,
}

impl Api {
    pub fn new(services: Services, limits: Limits) -> Api {
        let db = services.db.clone();
        let introspection_limits = Limits {
            max_depth: INTROSPECTION_DEPTH,
            max_complexity: usize::MAX,
        };
        Api {
            schema: build_schema(Some(services.clone()), limits),
            introspection: build_schema(Some(services), introspection_limits),
            db,
        }
    }

    pub async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let schema = if operation(&request).is_some_and(|op| only_introspection(&op)) {
            &self.introspection
        } else {
            &self.schema
        };
        loaders::execute(schema, request, self.db.clone()).await
    }

    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }
}

/// The operation a request will run, when its document parses and names one clearly.
pub fn operation(request: &async_graphql::Request) -> Option<OperationDefinition> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    match document.operations {
        DocumentOperations::Single(op) => Some(op.node),
        DocumentOperations::Multiple(mut ops) => match &request.operation_name {
            Some(name) => ops.remove(name.as_str()).map(|op| op.node),
            None if ops.len() == 1 => ops.into_values().next().map(|op| op.node),
            None => None,
        },
    }
}

/// Whether an operation asks only for the schema (`__schema`, `__type`, `__typename`).
fn only_introspection(operation: &OperationDefinition) -> bool {
    operation.ty == OperationType::Query
        && operation
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => field.node.name.node.starts_with("__"),
                _ => false,
            })
}

/// The caller of this request; anonymous when none was attached.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>()
        .copied()
        .unwrap_or(Viewer::Anonymous)
}

pub fn services<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Services> {
    ctx.data::<Services>().map_err(|_| {
        error::coded(
            "the server is not connected to a database",
            error::INTERNAL_SERVER_ERROR,
        )
    })
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    Ok(&services(ctx)?.db)
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| {
        error::coded(
            "the request has no loaders attached",
            error::INTERNAL_SERVER_ERROR,
        )
    })
}

pub async fn section_tree(ctx: &Context<'_>) -> async_graphql::Result<Arc<SectionTree>> {
    use error::GqlResult;
    Ok(loaders(ctx)?
        .load_one(AllSections)
        .await
        .gql()?
        .unwrap_or_default())
}
