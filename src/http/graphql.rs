//! GraphQL over HTTP: POST for everything, GET for queries only.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, ParseRequestError, Request};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLRequest};
use axum::Extension;
use axum::extract::{FromRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::AppState;
use super::cache::{self, Claim};
use super::persisted::Refusal as PersistedRefusal;
use crate::auth;
use crate::domain::{Error, Viewer};
use crate::graphql::error::{
    BAD_USER_INPUT, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, INTERNAL_SERVER_ERROR, QUERY_TOO_COMPLEX,
    RATE_LIMITED, UNAUTHENTICATED,
};
use crate::graphql::{ClientAddress, Executed};
use crate::metrics::{Metrics, OperationCounts, Outcome};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A request answered without running: the status, and the one error it names with its
/// code. Every refusal of the GraphQL endpoint, from the body's media type to a token that
/// does not verify, is answered through this.
pub struct Refusal {
    status: StatusCode,
    message: String,
    code: &'static str,
    /// A header the answer needs: `Allow` for a mutation over GET, `WWW-Authenticate` for a
    /// refused token.
    header: Option<(header::HeaderName, HeaderValue)>,
    /// Whether the client asked for `application/graphql-response+json`.
    graphql_response: bool,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>, code: &'static str) -> Refusal {
        Refusal { status, message: message.into(), code, header: None, graphql_response: false }
    }

    fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Refusal {
        self.header = Some((name, HeaderValue::from_static(value)));
        self
    }

    /// Answered in the media type the client asked for.
    fn for_client(mut self, headers: &HeaderMap) -> Refusal {
        self.graphql_response = wants_graphql_response(headers);
        self
    }

    /// Counts the refusal under `operation` (the operation it would have run, when known).
    fn counted(self, operation: &OperationCounts) -> Refusal {
        operation.count(Outcome::of_code(self.code));
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{ "message": self.message, "extensions": { "code": self.code } }] });
        let mut response =
            (self.status, [(header::CONTENT_TYPE, content_type(self.graphql_response))], body.to_string())
                .into_response();
        if let Some((name, value)) = self.header {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A request body or query string that is not a GraphQL request: the rejection of the
/// extractors, turned into a `Refusal`.
pub struct BadRequest(ParseRequestError);

impl From<ParseRequestError> for BadRequest {
    fn from(error: ParseRequestError) -> Self {
        BadRequest(error)
    }
}

impl BadRequest {
    /// A body cut off by the size limit surfaces here as a read error.
    fn too_large(&self) -> bool {
        crate::graphql::library_messages::is_body_too_long(&self.0.to_string())
    }

    /// Answers the refusal, counted among the requests of no known operation.
    fn counted(self, metrics: &Metrics, headers: &HeaderMap) -> Response {
        // A body too large is answered and counted by the layer that names the limit.
        if self.too_large() {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        let refusal =
            Refusal::new(StatusCode::BAD_REQUEST, format!("not a GraphQL request: {}", self.0), GRAPHQL_PARSE_FAILED);
        refusal.for_client(headers).counted(&metrics.requests.operation(None)).into_response()
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        if self.too_large() {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        Refusal::new(StatusCode::BAD_REQUEST, format!("not a GraphQL request: {}", self.0), GRAPHQL_PARSE_FAILED)
            .into_response()
    }
}

/// The limits of the HTTP layers, as their refusals name them, and the metrics that
/// count them.
#[derive(Clone)]
pub struct HttpRefusals {
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub metrics: Arc<Metrics>,
}

/// Refusals of the HTTP layers around `/graphql` (body too large, request timed out, a
/// resolver that panicked) as GraphQL errors with a code, like every other error; and the
/// time every GraphQL request over HTTP took, these included.
pub async fn refusals_as_graphql(
    State(refusals): State<HttpRefusals>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let graphql_response = wants_graphql_response(request.headers());
    let path = request.uri().path();
    let (on_graphql, timed) = (path.starts_with("/graphql"), path == "/graphql");
    let response = next.run(request).await;
    let mut response = if on_graphql { as_graphql_error(response, graphql_response, &refusals) } else { response };
    if timed && !response.headers().contains_key(header::CACHE_CONTROL) {
        // Only answers with data say how they may be cached; any other (a refusal before
        // execution, a persisted query not found) must not be kept by a CDN for its URL.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if timed {
        refusals.metrics.latency.observe(started.elapsed());
    }
    response
}

fn as_graphql_error(response: Response, graphql_response: bool, refusals: &HttpRefusals) -> Response {
    let unknown_operation = refusals.metrics.requests.operation(None);
    // Whether the limit layer refused the body at once, or the body turned out too long
    // while it was read, the answer names the limit.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let message = format!(
            "the request body is larger than {} bytes, the most the server accepts (NEWSROOM_BODY_LIMIT)",
            refusals.body_limit
        );
        let refusal =
            Refusal { graphql_response, ..Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, message, BAD_USER_INPUT) };
        return refusal.counted(&unknown_operation).into_response();
    }
    let already_graphql = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with(GRAPHQL_RESPONSE));
    if already_graphql {
        return response;
    }
    let message = match response.status() {
        StatusCode::SERVICE_UNAVAILABLE => format!(
            "the request took longer than {}, the most the server allows (NEWSROOM_REQUEST_TIMEOUT)",
            humantime::format_duration(refusals.request_timeout)
        ),
        StatusCode::INTERNAL_SERVER_ERROR => "internal server error".to_owned(),
        _ => return response,
    };
    let refusal = Refusal { graphql_response, ..Refusal::new(response.status(), message, INTERNAL_SERVER_ERROR) };
    refusal.counted(&unknown_operation).into_response()
}

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE))
}

/// The viewer of a request: anonymous without an `Authorization` header, else the user
/// its bearer token names. A header that does not hold a valid token is refused.
async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let token = value.to_str().ok().and_then(super::bearer);
    let found = match token {
        Some(token) => auth::authenticate(&state.db, &state.tokens, token).await,
        None => Err(Error::Unauthenticated("the Authorization header must be `Bearer <token>`".into())),
    };
    found.map_err(|error| match error {
        Error::Unauthenticated(message) => Refusal::new(StatusCode::UNAUTHORIZED, message, UNAUTHENTICATED)
            .with_header(header::WWW_AUTHENTICATE, "Bearer"),
        error => Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::graphql::error::to_gql(&error).message,
            INTERNAL_SERVER_ERROR,
        ),
    })
}

/// Whether a request carries a NUL character, written raw or as an escape, in its
/// document or its variables. No text the API stores or looks up may hold one
/// (PostgreSQL cannot), so such a request is refused before it runs.
fn carries_nul(request: &Request) -> bool {
    let escaped_nul = |text: &str| {
        text.contains('\0')
            || text.contains("\\u0000")
            || text.match_indices("\\u{").any(|(at, _)| {
                let digits = &text[at + 3..];
                let end = digits.find('}').unwrap_or(0);
                end > 0 && digits[..end].chars().all(|c| c == '0')
            })
    };
    escaped_nul(&request.query) || serde_json::to_string(&request.variables).is_ok_and(|v| escaped_nul(&v))
}

/// How a request arrived: GET may only read, and only its answers carry validators for
/// browsers and CDNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// Answers one GraphQL request, in order: refusals that need no parsing, a cached answer,
/// the limits, the method, a claim on the cache slot (so concurrent misses compute once),
/// the viewer, and then the execution itself.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientAddress,
    request: Request,
    method: Method,
) -> Response {
    let mut operation = state.metrics.requests.operation(None);
    match answer(state, headers, client, request, method, &mut operation).await {
        Ok(answer) => answer,
        Err(refusal) => refusal.for_client(headers).counted(&operation).into_response(),
    }
}

/// The steps of `execute`; `operation` becomes the operation the request names once its
/// document is known, for the refusals counted after that.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientAddress,
    request: Request,
    method: Method,
    operation: &mut Arc<OperationCounts>,
) -> Result<Response, Refusal> {
    let graphql_response = wants_graphql_response(headers);
    refuse_nul(&request)?;
    let mut request = resolve_persisted(state, request)?;
    let anonymous = !headers.contains_key(header::AUTHORIZATION);
    // A cached answer was stored for a query only, so a hit needs no parsing.
    let key = if anonymous { state.cache.key(&request) } else { None };
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.get(key)) {
        cached.operation.count(Outcome::OK);
        return Ok(cached_answer(state, headers, &cached, method, graphql_response));
    }
    screen(state, &mut request, graphql_response)?;
    *operation = state.metrics.requests.operation(operation_name(&mut request));
    let operation_type = crate::graphql::operation_type(&mut request);
    allowed(operation_type, method)?;
    let is_query = operation_type == Some(OperationType::Query);
    let slot = match key.as_ref().filter(|_| is_query) {
        Some(key) => match state.cache.claim(key).await {
            Claim::Ready(answer) => {
                answer.operation.count(Outcome::OK);
                return Ok(cached_answer(state, headers, &answer, method, graphql_response));
            }
            Claim::Compute(slot) => slot,
        },
        None => state.cache.unkept(),
    };
    let viewer = viewer(state, headers).await?;
    let request = request.data(viewer).data(client);
    let Executed { response, read } = state.api.execute(request).await;
    let first_code = response.errors.first().map(|e| error_code(e).unwrap_or(INTERNAL_SERVER_ERROR));
    operation.count(first_code.map_or(Outcome::OK, Outcome::of_code));
    if response.errors.iter().any(|e| error_code(e) == Some(RATE_LIMITED)) {
        state.metrics.rate_limited.inc();
    }
    // With the graphql-response media type a request that never ran (it did not parse,
    // validate or fit the limits) is answered 400; plain JSON clients always get 200.
    let never_ran = response.errors.iter().any(|e| {
        error_code(e)
            .is_some_and(|code| [GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX].contains(&code))
    });
    let status = if graphql_response && never_ran { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    // A resolver that showed something not everyone may see (a preview) says so.
    let personal = response.http_headers.contains_key(header::CACHE_CONTROL);
    let shareable = anonymous && is_query && response.errors.is_empty() && !personal;
    // A request that never ran has no `data` entry at all (GraphQL spec, "Response").
    let serialized = if never_ran && response.data == async_graphql::Value::Null {
        serde_json::to_vec(&RequestErrors { errors: &response.errors, extensions: &response.extensions })
    } else {
        serde_json::to_vec(&response)
    };
    let body =
        Bytes::from(serialized.unwrap_or_else(|_| br#"{"errors":[{"message":"internal server error"}]}"#.to_vec()));
    if shareable {
        let answer = slot.answer(body, operation.clone(), &read);
        slot.keep(&answer);
        return Ok(cached_answer(state, headers, &answer, method, graphql_response));
    }
    let mut answer = (status, body).into_response();
    let answer_headers = answer.headers_mut();
    answer_headers.insert(header::CONTENT_TYPE, content_type(graphql_response));
    let cache_control = if anonymous && !personal { HeaderValue::from_static("no-store") } else { cache::PRIVATE };
    answer_headers.insert(header::CACHE_CONTROL, cache_control);
    Ok(answer)
}

/// No text the API stores or looks up may hold a NUL character (PostgreSQL cannot), so a
/// request carrying one is refused before it runs.
fn refuse_nul(request: &Request) -> Result<(), Refusal> {
    if carries_nul(request) {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "strings may not contain NUL characters", BAD_USER_INPUT));
    }
    Ok(())
}

/// The request with its persisted query's text, when it names one by hash.
fn resolve_persisted(state: &AppState, request: Request) -> Result<Request, Refusal> {
    state.persisted.resolve(request).map_err(|refusal| {
        // Apollo clients take a 200 with PERSISTED_QUERY_NOT_FOUND as the cue to send the text.
        let status = if refusal == PersistedRefusal::NotFound { StatusCode::OK } else { StatusCode::BAD_REQUEST };
        Refusal::new(status, refusal.to_string(), refusal.code())
    })
}

/// The query limits, checked on the document's tokens before it is parsed.
fn screen(state: &AppState, request: &mut Request, graphql_response: bool) -> Result<(), Refusal> {
    state.api.screen(request).map_err(|refusal| {
        // Like any request that never ran: 400 for the graphql-response media type.
        let status = if graphql_response { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        Refusal::new(status, refusal.to_string(), refusal.code())
    })
}

/// GET may only read; subscriptions go over the WebSocket.
fn allowed(operation: Option<OperationType>, method: Method) -> Result<(), Refusal> {
    match (operation, method) {
        (Some(OperationType::Mutation), Method::Get) => Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries may be sent with GET; send mutations with POST",
            BAD_USER_INPUT,
        )
        .with_header(header::ALLOW, "POST")),
        (Some(OperationType::Subscription), _) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "subscriptions run over WebSocket at /graphql/ws (graphql-transport-ws or graphql-ws)",
            BAD_USER_INPUT,
        )),
        _ => Ok(()),
    }
}

/// The `extensions.code` of an error, when it has one.
fn error_code(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

/// The name of the operation a request runs, when its document defines one by that name.
fn operation_name(request: &mut Request) -> Option<&str> {
    let wanted = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    let DocumentOperations::Multiple(operations) = &document.operations else {
        return None;
    };
    match wanted {
        Some(wanted) => operations.get_key_value(wanted.as_str()).map(|(name, _)| name.as_str()),
        None if operations.len() == 1 => operations.keys().next().map(|name| name.as_str()),
        None => None,
    }
}

/// The answer to a request that failed before execution: errors, and no `data`.
#[derive(serde::Serialize)]
struct RequestErrors<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

fn content_type(graphql_response: bool) -> HeaderValue {
    HeaderValue::from_static(if graphql_response { GRAPHQL_RESPONSE } else { "application/json" })
}

/// An answer anyone may be given: over GET with its validator and the public
/// `Cache-Control`, or `304 Not Modified` when the caller has it already.
fn cached_answer(
    state: &AppState,
    headers: &HeaderMap,
    answer: &cache::Answer,
    method: Method,
    graphql_response: bool,
) -> Response {
    if method == Method::Post {
        let mut response = (StatusCode::OK, answer.body.clone()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, content_type(graphql_response));
        return response;
    }
    let mut response = if cache::not_modified(headers, &answer.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut full = (StatusCode::OK, answer.body.clone()).into_response();
        full.headers_mut().insert(header::CONTENT_TYPE, content_type(graphql_response));
        full
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::ETAG, answer.etag.clone());
    response_headers.insert(header::CACHE_CONTROL, state.cache.public());
    for (name, tags) in &answer.tag_headers {
        response_headers.insert(name.clone(), tags.clone());
    }
    // Signed-in callers get other answers: caches must keep them apart.
    response_headers.insert(header::VARY, HeaderValue::from_static("Authorization, Accept, Accept-Encoding"));
    response
}

/// A JSON body only: a POST without `Content-Type: application/json` is refused before its
/// body is read (415), as is a form or multipart post, which browsers send across origins
/// without asking first. The body is one operation, or a batch: a JSON array of up to
/// `NEWSROOM_MAX_BATCH` operations, run one after the other (each mutation its own
/// transaction) and answered as an array.
pub async fn post(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let graphql_response = wants_graphql_response(&headers);
    let unknown_operation = state.metrics.requests.operation(None);
    if !is_json(&headers) {
        let message = "POST /graphql takes a JSON body: send it with `Content-Type: application/json`";
        let refusal = Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, BAD_USER_INPUT);
        return refusal.for_client(&headers).counted(&unknown_operation).into_response();
    }
    let requests = match GraphQLBatchRequest::<BadRequest>::from_request(request, &()).await {
        Ok(request) => match request.into_inner() {
            BatchRequest::Single(request) => return execute(&state, &headers, client, request, Method::Post).await,
            BatchRequest::Batch(requests) => requests,
        },
        Err(refusal) => return refusal.counted(&state.metrics, &headers),
    };
    let max = state.api.limits().max_batch;
    if requests.len() > max {
        let message = format!(
            "the request batches {} operations; at most {max} are allowed (NEWSROOM_MAX_BATCH)",
            requests.len()
        );
        let refusal = Refusal::new(StatusCode::BAD_REQUEST, message, BAD_USER_INPUT);
        return refusal.for_client(&headers).counted(&unknown_operation).into_response();
    }
    let mut statuses = Vec::with_capacity(requests.len());
    let mut body = Vec::from(&b"["[..]);
    for request in requests {
        let answer = execute(&state, &headers, client, request, Method::Post).await;
        statuses.push(answer.status());
        let bytes = match axum::body::to_bytes(answer.into_body(), usize::MAX).await {
            Ok(bytes) if !bytes.is_empty() => bytes,
            _ => Bytes::from_static(
                br#"{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#,
            ),
        };
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(&bytes);
    }
    body.push(b']');
    // One status for all when they agree (a refused token refuses every operation).
    let status = if statuses.iter().all(|s| *s == statuses[0]) { statuses[0] } else { StatusCode::OK };
    let mut answer = (status, body).into_response();
    answer.headers_mut().insert(header::CONTENT_TYPE, content_type(graphql_response));
    answer.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Queries only: a mutation over GET is answered 405, so a cache or a crawler following a
/// link can never change anything. Anonymous answers carry an `ETag` and may be cached.
pub async fn get(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<BadRequest>, BadRequest>,
) -> Response {
    match request {
        Ok(request) => execute(&state, &headers, client, request.into_inner(), Method::Get).await,
        Err(refusal) => refusal.counted(&state.metrics, &headers),
    }
}

/// The SDL, unless introspection is switched off.
pub async fn sdl(State(state): State<AppState>) -> Response {
    if !state.api.limits().introspection {
        let message =
            "the schema is not published: introspection is switched off on this server (NEWSROOM_INTROSPECTION)";
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], state.api.sdl()).into_response()
}
