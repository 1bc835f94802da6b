//! GraphQL over HTTP: POST for everything, GET for queries only.

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{ParseRequestError, Request};
use async_graphql_axum::GraphQLRequest;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::auth;
use crate::domain::{Error, Viewer};
use crate::graphql::ClientAddress;
use crate::graphql::error::{
    BAD_USER_INPUT, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, INTERNAL_SERVER_ERROR, QUERY_TOO_COMPLEX,
    UNAUTHENTICATED,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A request body or query string that is not a GraphQL request.
pub struct BadRequest(ParseRequestError);

impl From<ParseRequestError> for BadRequest {
    fn from(error: ParseRequestError) -> Self {
        BadRequest(error)
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        // A body cut off by the size limit surfaces here as a read error.
        if self.0.to_string().contains("length limit exceeded") {
            return too_large(false);
        }
        error_response(
            StatusCode::BAD_REQUEST,
            &format!("not a GraphQL request: {}", self.0),
            GRAPHQL_PARSE_FAILED,
            false,
        )
    }
}

fn error_response(status: StatusCode, message: &str, code: &str, graphql_response: bool) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let content_type = if graphql_response { GRAPHQL_RESPONSE } else { "application/json" };
    (status, [(header::CONTENT_TYPE, content_type)], body.to_string()).into_response()
}

fn too_large(graphql_response: bool) -> Response {
    let message = "the request body is larger than the server accepts (NEWSROOM_BODY_LIMIT)";
    error_response(StatusCode::PAYLOAD_TOO_LARGE, message, BAD_USER_INPUT, graphql_response)
}

/// Refusals of the HTTP layers around `/graphql` (body too large, request timed out, a
/// resolver that panicked) as GraphQL errors with a code, like every other error.
pub async fn refusals_as_graphql(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let graphql_response = wants_graphql_response(request.headers());
    let on_graphql = request.uri().path().starts_with("/graphql");
    let response = next.run(request).await;
    let already_graphql = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with(GRAPHQL_RESPONSE));
    if !on_graphql || already_graphql {
        return response;
    }
    let (message, code) = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => return too_large(graphql_response),
        StatusCode::SERVICE_UNAVAILABLE => {
            ("the request took longer than the server allows (NEWSROOM_REQUEST_TIMEOUT)", INTERNAL_SERVER_ERROR)
        }
        StatusCode::INTERNAL_SERVER_ERROR => ("internal server error", INTERNAL_SERVER_ERROR),
        _ => return response,
    };
    error_response(response.status(), message, code, graphql_response)
}

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE))
}

/// The viewer of a request: anonymous without an `Authorization` header, else the user
/// its bearer token names. A header that does not hold a valid token is refused.
async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(super::bearer)
        .ok_or_else(|| Error::Unauthenticated("the Authorization header must be `Bearer <token>`".into()))?;
    auth::authenticate(&state.db, &state.tokens, token).await
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

async fn execute(state: &AppState, headers: &HeaderMap, client: ClientAddress, request: Request) -> Response {
    let graphql_response = wants_graphql_response(headers);
    if carries_nul(&request) {
        let message = "strings may not contain NUL characters";
        return error_response(StatusCode::BAD_REQUEST, message, BAD_USER_INPUT, graphql_response);
    }
    if crate::graphql::operation(&request).is_some_and(|op| op.ty == OperationType::Subscription) {
        let message = "subscriptions run over WebSocket at /graphql/ws (graphql-transport-ws or graphql-ws)";
        return error_response(StatusCode::BAD_REQUEST, message, BAD_USER_INPUT, graphql_response);
    }
    let viewer = match viewer(state, headers).await {
        Ok(viewer) => viewer,
        Err(Error::Unauthenticated(message)) => {
            let mut answer = error_response(StatusCode::UNAUTHORIZED, &message, UNAUTHENTICATED, graphql_response);
            answer.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return answer;
        }
        Err(error) => {
            let gql = crate::graphql::error::to_gql(&error);
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &gql.message,
                INTERNAL_SERVER_ERROR,
                graphql_response,
            );
        }
    };
    let request = request.data(viewer).data(client);
    let response = state.api.execute(request).await;
    // With the graphql-response media type a request that never ran (it did not parse,
    // validate or fit the limits) is answered 400; plain JSON clients always get 200.
    let never_ran = response.errors.iter().any(|e| {
        let code = e.extensions.as_ref().and_then(|x| x.get("code"));
        [GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX]
            .iter()
            .any(|c| code == Some(&async_graphql::Value::from(*c)))
    });
    let status = if graphql_response && never_ran { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let content_type = if graphql_response { GRAPHQL_RESPONSE } else { "application/json" };
    let body = serde_json::to_string(&response)
        .unwrap_or_else(|_| r#"{"errors":[{"message":"internal server error"}]}"#.into());
    let mut answer = (status, body).into_response();
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    answer
}

pub async fn post(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    headers: HeaderMap,
    request: GraphQLRequest<BadRequest>,
) -> Response {
    execute(&state, &headers, client, request.into_inner()).await
}

/// Queries only: a mutation over GET is answered 405, so a cache or a crawler following a
/// link can never change anything.
pub async fn get(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    headers: HeaderMap,
    request: GraphQLRequest<BadRequest>,
) -> Response {
    let request = request.into_inner();
    let operation = crate::graphql::operation(&request).map(|op| op.ty);
    if operation == Some(OperationType::Mutation) {
        let mut answer = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries may be sent with GET; send mutations with POST",
            BAD_USER_INPUT,
            wants_graphql_response(&headers),
        );
        answer.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return answer;
    }
    execute(&state, &headers, client, request).await
}

pub async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").title("newsroom GraphiQL").finish())
}

pub async fn sdl(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], state.api.sdl())
}
