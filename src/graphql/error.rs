//! Turning errors into GraphQL errors: every error a client sees carries `extensions.code`,
//! and nothing of the database's own text reaches it.

use async_graphql::{ErrorExtensions, Response, ServerError};
use std::sync::Arc;

use super::library_messages;
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

/// An error of a whole request, refused before it ran: no locations, no path.
pub fn request_error(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.extensions.get_or_insert_with(Default::default).set("code", code);
    error
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
pub fn parse_failed(mut error: ServerError, document: &str) -> ServerError {
    let too_deep = matches!(
        async_graphql::parser::parse_query(document),
        Err(async_graphql::parser::Error::RecursionLimitExceeded)
    );
    give_code(&mut error, if too_deep { QUERY_TOO_COMPLEX } else { GRAPHQL_PARSE_FAILED });
    error
}

/// Gives a code to the errors async-graphql raises itself, which come without one. Those
/// raised before execution have no path: validation errors, and a request that names an
/// operation its document does not have (or names none of several). During execution:
/// arguments that do not coerce to their type.
///
/// Any other error without a code came from a resolver that passed on a library's error
/// as it was: its text may tell what no client should read (a database's words), so it is
/// logged here and answered as an internal error.
pub fn give_codes(response: &mut Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|extensions| extensions.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if error.path.is_empty() {
            if library_messages::is_operation_not_chosen(&error.message) {
                BAD_USER_INPUT
            } else {
                GRAPHQL_VALIDATION_FAILED
            }
        } else if library_messages::is_argument_coercion(&error.message) {
            BAD_USER_INPUT
        } else {
            let path = serde_json::to_string(&error.path).unwrap_or_default();
            tracing::error!(error = %error.message, %path, "a resolver failed with an error that has no code");
            error.message = "internal server error".to_owned();
            INTERNAL_SERVER_ERROR
        };
        give_code(error, code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    struct Query;

    #[Object]
    impl Query {
        /// A resolver that passes a library's error on with `?`, as a slip would.
        async fn leaky(&self) -> async_graphql::Result<i32> {
            Err(std::io::Error::other("password authentication failed for user \"newsroom\"").into())
        }

        async fn coded(&self) -> async_graphql::Result<i32> {
            Err(coded("no such thing", NOT_FOUND))
        }
    }

    #[tokio::test]
    async fn an_error_without_a_code_is_answered_without_its_text() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let mut response = schema.execute("{ leaky coded }").await;
        give_codes(&mut response);
        let answer = serde_json::to_value(&response).unwrap();
        let errors = answer["errors"].as_array().unwrap();
        let leaky = errors.iter().find(|e| e["path"][0] == "leaky").expect("the leaky field's error");
        assert_eq!(leaky["message"], "internal server error");
        assert_eq!(leaky["extensions"]["code"], INTERNAL_SERVER_ERROR);
        assert!(!answer.to_string().contains("password"), "{answer}");
        let coded = errors.iter().find(|e| e["path"][0] == "coded").expect("the coded field's error");
        assert_eq!(coded["message"], "no such thing");
        assert_eq!(coded["extensions"]["code"], NOT_FOUND);
    }

    #[test]
    fn a_document_nested_past_the_parser_limit_is_too_complex() {
        let document = format!("{{ {}one{} }}", "a { ".repeat(200), " }".repeat(200));
        let error = ServerError::new("any", None);
        let error = parse_failed(error, &document);
        assert_eq!(error.extensions.unwrap().get("code"), Some(&async_graphql::Value::from(QUERY_TOO_COMPLEX)));
        let error = parse_failed(ServerError::new("any", None), "{ one ");
        assert_eq!(error.extensions.unwrap().get("code"), Some(&async_graphql::Value::from(GRAPHQL_PARSE_FAILED)));
    }
}
