//! The few errors of our libraries that reach us as text only, recognised by their words.
//!
//! async-graphql raises these as a `ServerError` with a message and nothing to match on,
//! and async-graphql-axum turns a body read error into a string before we see it. Each
//! test below makes the library raise the error and checks that it is still recognised,
//! so an upgrade that changes the words fails here instead of changing our error codes.
//! Where a library gives a type (the parser's recursion limit), we match the type instead.

/// The request names an operation its document does not define, or names none while the
/// document defines several.
pub fn is_operation_not_chosen(message: &str) -> bool {
    message.starts_with("Unknown operation named") || message.starts_with("Operation name required")
}

/// An argument's value did not coerce to its type during execution (a custom scalar
/// refused it).
pub fn is_argument_coercion(message: &str) -> bool {
    message.starts_with("Failed to parse") || message.starts_with("Invalid value")
}

/// A body read error that is the body size limit: the request body was longer than allowed.
pub fn is_body_too_long(message: &str) -> bool {
    message.contains("length limit exceeded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema};

    struct Query;

    #[Object]
    impl Query {
        async fn echo(&self, when: crate::graphql::scalars::DateTime) -> String {
            format!("{when:?}")
        }

        async fn one(&self) -> i32 {
            1
        }
    }

    async fn first_error(request: Request) -> String {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let response = schema.execute(request).await;
        response.errors.first().expect("an error").message.clone()
    }

    #[tokio::test]
    async fn an_unknown_operation_name() {
        let message = first_error(Request::new("query A { one }").operation_name("B")).await;
        assert!(is_operation_not_chosen(&message), "{message}");
    }

    #[tokio::test]
    async fn no_operation_name_among_several() {
        let message = first_error(Request::new("query A { one } query B { one }")).await;
        assert!(is_operation_not_chosen(&message), "{message}");
    }

    #[tokio::test]
    async fn a_scalar_that_refuses_its_variable() {
        let request = Request::new("query ($when: DateTime!) { echo(when: $when) }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({ "when": "yesterday" })));
        let message = first_error(request).await;
        assert!(is_argument_coercion(&message), "{message}");
    }

    #[tokio::test]
    async fn a_body_past_its_limit() {
        use http_body_util::BodyExt;
        let limited = http_body_util::Limited::new(http_body_util::Full::new(bytes::Bytes::from_static(b"12345")), 2);
        let error = limited.collect().await.expect_err("over the limit");
        // async-graphql-axum hands the error on as `std::io::Error::other(err.to_string())`.
        let message = std::io::Error::other(error.to_string()).to_string();
        assert!(is_body_too_long(&message), "{message}");
    }

    #[test]
    fn other_messages_are_not_taken_for_these() {
        for message in ["internal server error", "no article with that slug", "Unknown field"] {
            assert!(!is_operation_not_chosen(message) && !is_argument_coercion(message) && !is_body_too_long(message));
        }
    }
}
