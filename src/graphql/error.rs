//! Turning errors into GraphQL errors: every error a client sees carries `extensions.code`,
//! and nothing of the database's own text reaches it.

use async_graphql::{ErrorExtensions, Response, ServerError};
use std::sync::Arc;

use crate::domain::Error;

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const CONFLICT: &str = "CONFLICT";
pub const RATE_LIMITED: &str = "RATE_LIMITED";
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
/// A subscription that read its events too slowly and was ended.
pub const SUBSCRIPTION_DROPPED: &str = "SUBSCRIPTION_DROPPED";

pub fn coded(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// The GraphQL error for a domain error. Database failures are logged here with their
/// detail and answered without it.
pub fn to_gql(error: &Error) -> async_graphql::Error {
    match error {
        Error::Unauthenticated(m) => coded(m.clone(), UNAUTHENTICATED),
        Error::Forbidden(m) => coded(m.clone(), FORBIDDEN),
        Error::NotFound(_) => coded(error.to_string(), NOT_FOUND),
        Error::BadInput { field, .. } => {
            let field = field.clone();
            coded(error.to_string(), BAD_USER_INPUT).extend_with(move |_, e| e.set("field", field.as_str()))
        }
        Error::Conflict(m) => coded(m.clone(), CONFLICT),
        Error::RateLimited { message, retry_after_seconds } => {
            let seconds = *retry_after_seconds;
            coded(message.clone(), RATE_LIMITED).extend_with(move |_, e| e.set("retryAfterSeconds", seconds))
        }
        _ if crate::domain::is_unique_violation(error) => {
            coded("another change took the same slug or name at the same moment; try again", CONFLICT)
        }
        Error::Database(cause) => {
            tracing::error!(error = %cause, "database error");
            coded("internal server error", INTERNAL_SERVER_ERROR)
        }
    }
}

/// `?` for domain results inside resolvers.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_gql(&e))
    }
}

impl<T> GqlResult<T> for Result<T, Arc<Error>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_gql(&e))
    }
}

fn give_code(error: &mut ServerError, code: &str) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

/// The error of a document that does not parse. The parser refuses to nest deeper than
/// the schema's recursion limit, and that is a limit like the others.
pub fn parse_failed(mut error: ServerError) -> ServerError {
    let code = if error.message.contains("recursion") { QUERY_TOO_COMPLEX } else { GRAPHQL_PARSE_FAILED };
    give_code(&mut error, code);
    error
}

/// Gives a code to the errors async-graphql raises itself, which come without one. Those
/// raised before execution have no path: validation errors, and a request that names an
/// operation its document does not have (or names none of several). During execution:
/// arguments that do not coerce to their type.
pub fn give_codes(response: &mut Response) {
    for error in &mut response.errors {
        let code = if error.path.is_empty() {
            if error.message.starts_with("Unknown operation named")
                || error.message.starts_with("Operation name required")
            {
                BAD_USER_INPUT
            } else {
                GRAPHQL_VALIDATION_FAILED
            }
        } else if error.message.starts_with("Failed to parse") || error.message.starts_with("Invalid value") {
            BAD_USER_INPUT
        } else {
            INTERNAL_SERVER_ERROR
        };
        give_code(error, code);
    }
}
