//! Subscriptions over WebSocket at `/graphql/ws`, in the `graphql-transport-ws` protocol
//! and the older `graphql-ws` (subscriptions-transport-ws) one.
//!
//! The caller is named once per connection: by a token in the `connection_init` payload
//! (`{"token": "..."}` or `{"Authorization": "Bearer ..."}`), or else by the upgrade
//! request's `Authorization` header. A token that does not verify closes the connection.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use prometheus_client::metrics::gauge::Gauge;
use serde_json::Value;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    // The protocol the library chose (the first one offered that it speaks), which it
    // does not tell.
    let modern = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| offered.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()))
        == Some(WebSocketProtocols::GraphQLWS);
    let shutdown = state.shutdown.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| shutdown.track(serve(socket, state, (protocol, modern), client, header_token)))
}

/// Serves the subscriptions of one connection until the client or the server ends it. A
/// server that stops closes it with `1001 Going Away`, which clients take as a cue to
/// reconnect (to another instance).
async fn serve(
    socket: WebSocket,
    state: AppState,
    (protocol, modern): (GraphQLProtocol, bool),
    client: ClientAddress,
    header_token: Option<String>,
) {
    let _open = OpenConnection::count(&state.metrics.websockets);
    let (mut sink, stream) = socket.split();
    let input = stream.take_until(state.shutdown.stopping());
    let executor = state.api.subscriptions();
    let init_state = state.clone();
    let refused = Arc::new(AtomicBool::new(false));
    let mut outgoing = Outgoing { modern, refused: refused.clone(), ..Outgoing::default() };
    let was_refused = refused.clone();
    let outgoing = (&mut sink)
        .with_flat_map(move |message| futures_util::stream::iter(outgoing.rewrite(message).map(Ok::<_, axum::Error>)));
    GraphQLWebSocket::new_with_pair(outgoing, input, executor, protocol)
        .on_connection_init(move |payload| async move {
            let state = init_state;
            let viewer = async {
                let token = init_token(&payload).map_err(|m| error::coded(m, UNAUTHENTICATED))?.or(header_token);
                match token {
                    Some(token) => {
                        crate::auth::authenticate(&state.db, &state.tokens, &token).await.map_err(|e| error::to_gql(&e))
                    }
                    None => Ok(Viewer::Anonymous),
                }
            };
            match viewer.await {
                Ok(viewer) => Ok(state.api.connection_data(viewer, client)),
                Err(error) => {
                    refused.store(true, Ordering::SeqCst);
                    Err(error)
                }
            }
        })
        .serve()
        .await;
    if state.shutdown.is_stopping() {
        let going_away = CloseFrame { code: close_code::AWAY, reason: "the server is shutting down".into() };
        let _ = sink.send(Message::Close(Some(going_away))).await;
    } else if was_refused.load(Ordering::SeqCst) && !modern {
        // The older protocol's `connection_error` is followed by a close, as its reference
        // server does it (1011); the library just drops the connection.
        let refusal = CloseFrame { code: close_code::ERROR, reason: "the connection was refused".into() };
        let _ = sink.send(Message::Close(Some(refusal))).await;
    }
}

/// What the library sends, put right where graphql-transport-ws asks for more than it does.
#[derive(Default)]
struct Outgoing {
    /// graphql-transport-ws, rather than the older protocol.
    modern: bool,
    /// Whether the `connection_init` was refused.
    refused: Arc<AtomicBool>,
    /// Operations that have sent a result.
    answered: HashSet<String>,
    /// Operations refused with an `error` message, whose `complete` must not follow.
    ended: HashSet<String>,
}

impl Outgoing {
    fn rewrite(&mut self, message: Message) -> Option<Message> {
        match message {
            // A refused `connection_init` closes with 4403 Forbidden; the library closes it
            // with 1002, which says the client broke the protocol.
            Message::Close(Some(frame))
                if self.refused.load(Ordering::SeqCst) && frame.code == close_code::PROTOCOL =>
            {
                Some(Message::Close(Some(CloseFrame { code: FORBIDDEN, reason: frame.reason })))
            }
            Message::Text(text) if self.modern => self.operation_message(text).map(Message::Text),
            message => Some(message),
        }
    }

    /// An operation refused before it ran (it did not parse, validate or fit the limits, or
    /// was no subscription) is answered with an `error` message carrying the errors, which
    /// ends it: no `complete` follows. The library sends a `next` without data and a
    /// `complete` instead. Such errors are the request's, with no `path`; an error with a
    /// path came from running the operation (its event stream could not start, an event
    /// failed) and stays a result, as the protocol allows, followed by whatever the stream
    /// does next.
    fn operation_message(&mut self, text: Utf8Bytes) -> Option<Utf8Bytes> {
        let Ok(message) = serde_json::from_str::<OperationMessage>(&text) else {
            return Some(text);
        };
        let id = message.id.to_owned();
        match message.kind {
            "next" if !self.answered.contains(&id) => {
                let refusal = message.payload.filter(|payload| payload.data.is_none_or(|data| data.get() == "null"));
                let errors = refusal.and_then(|payload| payload.errors).filter(|errors| of_the_request(errors));
                if let Some(errors) = errors {
                    let error =
                        format!(r#"{{"type":"error","id":{},"payload":{}}}"#, Value::from(id.as_str()), errors.get());
                    self.ended.insert(id);
                    return Some(error.into());
                }
                self.answered.insert(id);
            }
            "complete" => {
                self.answered.remove(&id);
                if self.ended.remove(&id) {
                    return None;
                }
            }
            _ => {}
        }
        Some(text)
    }
}

/// The parts of a server message `Outgoing` looks at, borrowed from its text.
#[derive(serde::Deserialize)]
struct OperationMessage<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    id: &'a str,
    #[serde(borrow)]
    payload: Option<ResultPayload<'a>>,
}

#[derive(serde::Deserialize)]
struct ResultPayload<'a> {
    #[serde(borrow)]
    data: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    errors: Option<&'a serde_json::value::RawValue>,
}

/// Whether every error of a list is an error of the whole request: one without a `path`.
fn of_the_request(errors: &serde_json::value::RawValue) -> bool {
    #[derive(serde::Deserialize)]
    struct Located {
        #[serde(default)]
        path: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Vec<Located>>(errors.get())
        .is_ok_and(|errors| !errors.is_empty() && errors.iter().all(|error| error.path.is_none()))
}

const FORBIDDEN: u16 = 4403;

/// One open connection on the gauge, for as long as it lives.
struct OpenConnection(Gauge);

impl OpenConnection {
    fn count(gauge: &Gauge) -> OpenConnection {
        gauge.inc();
        OpenConnection(gauge.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
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
