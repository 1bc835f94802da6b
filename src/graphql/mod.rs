//! The GraphQL API: schema root, one module per object family, loaders, ids and errors.
//! Resolvers stay thin: they check the caller, call the domain, shape the answer.

pub mod article;
pub mod audit;
pub mod comment;
pub mod connection;
pub mod correction;
pub mod error;
pub mod ids;
pub mod image;
pub mod library_messages;
pub mod limits;
pub mod live;
pub mod loaders;
pub mod mutation;
pub mod nulls;
pub mod people;
pub mod query;
pub mod scalars;
pub mod section;
pub mod subscription;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Context, Data, Executor, Schema, ServerError};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sea_orm::DatabaseConnection;

use crate::auth::TokenService;
use crate::domain::Viewer;
use crate::domain::abuse::RateLimits;
use crate::domain::changes::{ReadTags, Tag};
use crate::domain::comments;
use crate::domain::kept_rows::{self, KeptRows};
use crate::domain::pipeline::Pipeline;
use crate::domain::reader::{Reader, RequestConnection};
use crate::domain::sections::{KeptSectionTree, SectionTree};
use crate::domain::site::Site;
use crate::replicas::ReadReplicas;
pub use limits::Limits;
use limits::{Asked, DepthAndComplexity, INTROSPECTION_DEPTH, Refusal};
use loaders::{AllSections, Loaders};
use nulls::FieldTypes;

pub type NewsroomSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// What resolvers need from the server: the database, the token service and settings.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenService>,
    pub login_ttl: Duration,
    pub comment_policy: comments::Policy,
    pub comment_limits: RateLimits,
    /// Salt for hashing client addresses.
    pub client_salt: Arc<str>,
    /// Sign-ups a client may make, counted apart from its comments.
    pub newsletter_limits: RateLimits,
    pub newsletter_url: Arc<str>,
    /// Where every write announces what it changed.
    pub pipeline: Arc<Pipeline>,
    /// How long what is kept between requests may be used without a change that says so.
    pub kept_for: Duration,
    /// Where the publication's pages are.
    pub site: Arc<Site>,
    /// Where webhooks may be sent.
    pub webhook_reach: crate::domain::webhooks::Reach,
    /// Whether feeds carry articles' bodies (`NEWSROOM_FEED_FULL_TEXT`).
    pub feed_full_text: bool,
    /// Where queries anyone may be shown can read besides `db`.
    pub replicas: Arc<ReadReplicas>,
}

pub fn build_schema(services: Option<Services>, limits: Limits) -> NewsroomSchema {
    build(services, depth_and_complexity(limits, false), limits.introspection)
}

/// The depth and complexity the schema for content, or the one for introspection-only
/// queries, holds documents to.
fn depth_and_complexity(limits: Limits, for_introspection: bool) -> DepthAndComplexity {
    let max_depth = if for_introspection { limits.max_depth.max(INTROSPECTION_DEPTH) } else { limits.max_depth };
    DepthAndComplexity { max_depth, max_complexity: limits.max_complexity, introspection: for_introspection }
}

/// The schema. It has no extensions: with one, every field of every answer would go
/// through async-graphql's extension chain.
fn build(services: Option<Services>, held: DepthAndComplexity, introspection: bool) -> NewsroomSchema {
    let mut builder = Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .limit_depth(held.max_depth)
        .limit_complexity(held.max_complexity)
        .limit_recursive_depth(limits::MAX_NESTING);
    if !introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// The schema that measures the documents the others refuse: see [`limits::name_refusals`].
fn build_measuring(introspection: bool) -> NewsroomSchema {
    let mut builder = Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .extension(limits::Measure)
        .limit_recursive_depth(limits::MAX_NESTING);
    if !introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL of the live schema, as written to `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, Limits::default()).sdl()
}

/// The API as the HTTP layer calls it.
#[derive(Clone)]
pub struct Api {
    schema: NewsroomSchema,
    screened: ScreenedDocuments,
    /// The same schema held to limits that fit introspection, which reads no content.
    introspection: NewsroomSchema,
    measuring: NewsroomSchema,
    limits: Limits,
    db: DatabaseConnection,
    sections: Arc<KeptSectionTree>,
    /// Bylines, tags and images kept between requests.
    kept: Arc<KeptRows>,
    /// The schema's field types, for the spec's null rules.
    field_types: Arc<FieldTypes>,
    services: Services,
}

/// A request's answer, and the tags of what it read (see [`crate::domain::changes`]).
pub struct Executed {
    pub response: async_graphql::Response,
    pub read: Vec<Tag>,
}

impl Api {
    pub fn new(services: Services, limits: Limits) -> Api {
        let db = services.db.clone();
        let sections = Arc::new(KeptSectionTree::new(services.pipeline.clone(), services.kept_for));
        let kept = Arc::new(KeptRows::new(services.pipeline.clone(), services.kept_for, kept_rows::BYTES));
        Api {
            schema: build(Some(services.clone()), depth_and_complexity(limits, false), limits.introspection),
            screened: ScreenedDocuments::default(),
            introspection: build(Some(services.clone()), depth_and_complexity(limits, true), limits.introspection),
            measuring: build_measuring(limits.introspection),
            limits,
            db,
            sections,
            kept,
            field_types: Arc::new(FieldTypes::of_sdl(&sdl())),
            services,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the API serves from: the database, the site and its settings, for the HTTP
    /// handlers that are not GraphQL (feeds, sitemaps).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The section tree kept between requests.
    pub fn sections(&self) -> &Arc<KeptSectionTree> {
        &self.sections
    }

    /// Holds a request to the limits before anything else parses it: its tokens first,
    /// then what its document asks for. The request keeps the parsed document.
    pub fn screen(&self, request: &mut async_graphql::Request) -> Result<(), Refusal> {
        self.screened.screen(request, &self.limits).map(|_| ())
    }

    pub async fn execute(&self, mut request: async_graphql::Request) -> Executed {
        let unread = |response| Executed { response, read: Vec::new() };
        let screened = match self.screened.screen(&mut request, &self.limits) {
            Ok(screened) => screened,
            Err(refusal) => return unread(refusal.into_response()),
        };
        let operation_name = request.operation_name.clone();
        let (introspection_only, mutation) = match parsed(&mut request) {
            Ok(Some((_, op))) => (only_introspection(op), op.ty == OperationType::Mutation),
            Ok(None) => (false, false),
            Err(error) => {
                return unread(async_graphql::Response::from_errors(vec![error::parse_failed(error, &request.query)]));
            }
        };
        let (schema, held_to) = if introspection_only {
            (&self.introspection, depth_and_complexity(self.limits, true))
        } else {
            (&self.schema, depth_and_complexity(self.limits, false))
        };
        let asked = Asked::of(&request);
        let read = Arc::new(ReadTags::default());
        // A preview shows a draft as it was just saved: only the primary has it for sure.
        let replicas = (!mutation && !self.services.replicas.is_empty() && !request.query.contains("previewToken"))
            .then_some((&self.services.replicas, &*self.services.pipeline));
        let kept = loaders::Kept { sections: &self.sections, rows: &self.kept };
        let mut response =
            loaders::execute(schema, request, self.db.clone(), replicas, kept, read.clone(), !mutation).await;
        limits::name_refusals(&mut response, asked, &self.measuring, held_to).await;
        error::give_codes(&mut response);
        if let Some(screened) = &screened {
            self.field_types.follow_the_spec(&mut response, &screened.document, operation_name.as_deref());
            if introspection_only {
                nulls::describe_schema(&mut response, &screened.document, operation_name.as_deref());
            }
        }
        Executed { response, read: read.take() }
    }

    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }

    /// What runs the operations of WebSocket connections.
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            schema: self.schema.clone(),
            measuring: self.measuring.clone(),
            screened: self.screened.clone(),
            limits: self.limits,
            field_types: self.field_types.clone(),
        }
    }

    /// The data of a WebSocket connection whose caller is `viewer`.
    pub fn connection_data(&self, viewer: Viewer, client: ClientAddress) -> Data {
        let mut data = Data::default();
        data.insert(viewer);
        data.insert(client);
        data.insert(loaders::for_subscriptions(self.db.clone(), viewer));
        data
    }
}

/// Runs subscriptions, and only them: queries and mutations go over HTTP, where their
/// loaders batch and their limits apply as the rest of the API's.
#[derive(Clone)]
pub struct Subscriptions {
    schema: NewsroomSchema,
    measuring: NewsroomSchema,
    screened: ScreenedDocuments,
    limits: Limits,
    field_types: Arc<FieldTypes>,
}

impl Executor for Subscriptions {
    async fn execute(&self, _: async_graphql::Request) -> async_graphql::Response {
        only_subscriptions()
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        connection: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let screened = match self.screened.screen(&mut request, &self.limits) {
            Ok(screened) => screened,
            Err(refusal) => return Box::pin(futures_util::stream::once(async { refusal.into_response() })),
        };
        let operation_name = request.operation_name.clone();
        match parsed(&mut request) {
            Ok(Some((_, op))) if op.ty != OperationType::Subscription => {
                Box::pin(futures_util::stream::once(async { only_subscriptions() }))
            }
            Err(error) => {
                let response = async_graphql::Response::from_errors(vec![error::parse_failed(error, &request.query)]);
                Box::pin(futures_util::stream::once(async { response }))
            }
            // Subscriptions, and documents that name no operation clearly, which the schema answers.
            _ => {
                let asked = Arc::new(Asked::of(&request));
                let (measuring, held_to) = (self.measuring.clone(), depth_and_complexity(self.limits, false));
                let field_types = self.field_types.clone();
                Box::pin(Executor::execute_stream(&self.schema, request, connection).then(move |mut response| {
                    let (asked, measuring) = (asked.clone(), measuring.clone());
                    let (field_types, screened, operation_name) =
                        (field_types.clone(), screened.clone(), operation_name.clone());
                    async move {
                        limits::name_refusals(&mut response, Asked::clone(&asked), &measuring, held_to).await;
                        error::give_codes(&mut response);
                        if let Some(screened) = &screened {
                            field_types.follow_the_spec(&mut response, &screened.document, operation_name.as_deref());
                        }
                        response
                    }
                }))
            }
        }
    }
}

fn only_subscriptions() -> async_graphql::Response {
    let message = "only subscriptions run over WebSocket; send queries and mutations to POST /graphql";
    async_graphql::Response::from_errors(vec![error::request_error(message, error::BAD_USER_INPUT)])
}

/// Documents that passed the limits, kept parsed by a hash of their text: an app sends
/// the same few documents again and again, and copying a parsed document costs a fraction
/// of screening and parsing it. One cache per set of limits.
#[derive(Clone)]
struct ScreenedDocuments(Arc<Cache<u128, Arc<Screened>, ByQueryLength>>);

struct Screened {
    query: String,
    document: ExecutableDocument,
}

#[derive(Clone)]
struct ByQueryLength;

impl Weighter<u128, Arc<Screened>> for ByQueryLength {
    fn weight(&self, _: &u128, screened: &Arc<Screened>) -> u64 {
        screened.query.len() as u64 + 256
    }
}

impl Default for ScreenedDocuments {
    /// Room for about 500 KB of query text (the parsed documents take some ten times that).
    fn default() -> Self {
        ScreenedDocuments(Arc::new(Cache::with_weighter(256, 512 * 1024, ByQueryLength)))
    }
}

impl ScreenedDocuments {
    /// Holds a request to the limits before anything else parses it: its tokens first,
    /// then what its document asks for. The request keeps the parsed document.
    /// Answers the screened document, unless it does not parse.
    fn screen(&self, request: &mut async_graphql::Request, limits: &Limits) -> Result<Option<Arc<Screened>>, Refusal> {
        let key = xxhash_rust::xxh3::xxh3_128(request.query.as_bytes());
        // The text is compared too: a hash that is not cryptographic can be made to collide.
        if let Some(screened) = self.0.get(&key).filter(|s| s.query == request.query) {
            request.set_parsed_query(screened.document.clone());
            return Ok(Some(screened));
        }
        limits::check_text(&request.query, limits)?;
        let query = request.query.clone();
        // A document that does not parse is answered with the parser's error (`Api::execute`).
        let Ok(document) = request.parsed_query() else {
            return Ok(None);
        };
        limits::check_document(document, limits)?;
        let screened = Arc::new(Screened { query, document: document.clone() });
        self.0.insert(key, screened.clone());
        Ok(Some(screened))
    }
}

/// The type of the operation a request will run, when its document parses and names one
/// clearly. The request keeps the parsed document, so it is parsed once.
pub fn operation_type(request: &mut async_graphql::Request) -> Option<OperationType> {
    parsed(request).ok().flatten().map(|(_, operation)| operation.ty)
}

/// The request's document and the operation it runs, when the document names one clearly;
/// the parser's error when the document does not parse.
fn parsed(
    request: &mut async_graphql::Request,
) -> Result<Option<(&ExecutableDocument, &OperationDefinition)>, ServerError> {
    let name = request.operation_name.clone();
    let document = request.parsed_query()?;
    let operation = match &document.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match &name {
            Some(name) => ops.get(name.as_str()).map(|op| &op.node),
            None if ops.len() == 1 => ops.values().next().map(|op| &op.node),
            None => None,
        },
    };
    Ok(operation.map(|operation| (&*document, operation)))
}

/// Whether an operation asks only for the schema (`__schema`, `__type`, `__typename`).
fn only_introspection(operation: &OperationDefinition) -> bool {
    operation.ty == OperationType::Query
        && operation.selection_set.node.items.iter().all(|item| match &item.node {
            Selection::Field(field) => field.node.name.node.starts_with("__"),
            _ => false,
        })
}

/// The network address of the client, as the HTTP layer determined it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

/// The caller of this request; anonymous when none was attached.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().copied().unwrap_or(Viewer::Anonymous)
}

pub fn services<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Services> {
    ctx.data::<Services>()
        .map_err(|_| error::coded("the server is not connected to a database", error::INTERNAL_SERVER_ERROR))
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    Ok(&services(ctx)?.db)
}

/// Where a query's resolvers read: the request's one connection (see
/// [`crate::domain::reader`]).
pub async fn reader(ctx: &Context<'_>) -> async_graphql::Result<Reader> {
    match ctx.data_opt::<Arc<RequestConnection>>() {
        Some(connection) => {
            Ok(connection.reader().await.map_err(|e| error::to_gql(&crate::domain::Error::Database(e)))?)
        }
        None => Ok(Reader::Pool(db(ctx)?.clone())),
    }
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| error::coded("the request has no loaders attached", error::INTERNAL_SERVER_ERROR))
}

/// Registers what a resolver read, for the answer's cache tags.
pub fn read(ctx: &Context<'_>, tags: impl IntoIterator<Item = Tag>) {
    if let Some(read) = ctx.data_opt::<Arc<ReadTags>>() {
        read.extend(tags);
    }
}

pub async fn section_tree(ctx: &Context<'_>) -> async_graphql::Result<Arc<SectionTree>> {
    use error::GqlResult;
    Ok(loaders(ctx)?.load_one(AllSections).await.gql()?.unwrap_or_default())
}
