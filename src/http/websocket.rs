//! Subscriptions over WebSocket at `/graphql/ws`, in the `graphql-transport-ws` protocol
//! and the older `graphql-ws` (subscriptions-transport-ws) one.
//!
//! The caller is named once per connection: by a token in the `connection_init` payload
//! (`{"token": "..."}` or `{"Authorization": "Bearer ..."}`), or else by the upgrade
//! request's `Authorization` header. A token that does not verify closes the connection.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::Value;

use super::{AppState, bearer};
use crate::domain::Viewer;
use crate::graphql::ClientAddress;
use crate::graphql::error::{self, UNAUTHENTICATED};

pub async fn upgrade(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let header_token =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer).map(str::to_owned);
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let executor = state.api.subscriptions();
        GraphQLWebSocket::new(socket, executor, protocol)
            .on_connection_init(move |payload| async move {
                let token = init_token(&payload).map_err(|m| error::coded(m, UNAUTHENTICATED))?.or(header_token);
                let viewer = match token {
                    Some(token) => crate::auth::authenticate(&state.db, &state.tokens, &token)
                        .await
                        .map_err(|e| error::to_gql(&e))?,
                    None => Viewer::Anonymous,
                };
                Ok(state.api.connection_data(viewer, client))
            })
            .serve()
    })
}

/// The token a `connection_init` payload carries, if any.
fn init_token(payload: &Value) -> Result<Option<String>, &'static str> {
    const MALFORMED: &str = "the connection_init payload must carry `token` or `Authorization: Bearer <token>`";
    let Some(fields) = payload.as_object() else {
        return Ok(None);
    };
    if let Some(token) = fields.get("token").or_else(|| fields.get("authToken")) {
        return token.as_str().filter(|t| !t.trim().is_empty()).map(|t| Some(t.trim().to_owned())).ok_or(MALFORMED);
    }
    let header = fields.iter().find(|(name, _)| name.eq_ignore_ascii_case("authorization")).map(|(_, v)| v);
    match header {
        Some(value) => value.as_str().and_then(bearer).map(|t| Some(t.to_owned())).ok_or(MALFORMED),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::init_token;

    #[test]
    fn the_token_comes_from_the_init_payload_in_any_usual_shape() {
        let token = Ok(Some("abc".to_owned()));
        assert_eq!(init_token(&json!({ "token": "abc" })), token);
        assert_eq!(init_token(&json!({ "authToken": " abc " })), token);
        assert_eq!(init_token(&json!({ "Authorization": "Bearer abc" })), token);
        assert_eq!(init_token(&json!({ "authorization": "bearer abc" })), token);
        assert_eq!(init_token(&json!(null)), Ok(None));
        assert_eq!(init_token(&json!({})), Ok(None));
        assert_eq!(init_token(&json!({ "other": 1 })), Ok(None));
        assert!(init_token(&json!({ "token": 5 })).is_err());
        assert!(init_token(&json!({ "token": "" })).is_err());
        assert!(init_token(&json!({ "Authorization": "Basic abc" })).is_err());
    }
}
