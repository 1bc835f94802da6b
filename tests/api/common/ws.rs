//! A subscriber's WebSocket connection to a served app, in either protocol.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const MODERN: &str = "graphql-transport-ws";
pub const LEGACY: &str = "graphql-ws";

/// A subscriber's connection, speaking one of the two protocols.
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: &'static str,
    next_id: u32,
}

impl Client {
    /// Connects and sends `connection_init` with `payload`; answers the connection, and
    /// the first message the server sent back.
    pub async fn open(
        app_at: std::net::SocketAddr,
        protocol: &'static str,
        payload: Value,
    ) -> (Client, Option<Message>) {
        let mut request = format!("ws://{app_at}/graphql/ws").into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        let mut client = Client { socket, protocol, next_id: 0 };
        client.send(json!({ "type": "connection_init", "payload": payload })).await;
        let first = client.receive().await;
        (client, first)
    }

    /// A connection the server acknowledged.
    pub async fn connect(app_at: std::net::SocketAddr, protocol: &'static str, payload: Value) -> Client {
        let (client, first) = Client::open(app_at, protocol, payload).await;
        let ack: Value = serde_json::from_str(first.expect("an answer to connection_init").to_text().unwrap()).unwrap();
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.expect("send");
    }

    /// The next message, or `None` when the connection closed; keep-alives are skipped.
    pub async fn receive(&mut self) -> Option<Message> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("the server answered within 10 s")?;
            match message {
                Ok(Message::Text(text)) if text.contains("\"ka\"") => continue,
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(message) => return Some(message),
                Err(_) => return None,
            }
        }
    }

    /// Starts an operation; answers its id.
    pub async fn subscribe(&mut self, query: &str, variables: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let kind = if self.protocol == MODERN { "subscribe" } else { "start" };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } })).await;
        id
    }

    /// The next result of operation `id`: its `data`, or its `errors`.
    pub async fn next_result(&mut self, id: &str) -> Value {
        let message = self.receive().await.expect("the connection stays open");
        let message: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        let kind = if self.protocol == MODERN { "next" } else { "data" };
        assert_eq!(message["type"], kind, "{message}");
        assert_eq!(message["id"], id);
        message["payload"].clone()
    }

    /// Nothing arrives for `quiet`: what would have been sent comes within milliseconds.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        if let Ok(message) = tokio::time::timeout(quiet, self.socket.next()).await {
            panic!("expected nothing, got {message:?}");
        }
    }

    /// The errors of operation `id` refused before it produced a result: in
    /// graphql-transport-ws an `error` message, which ends the operation (no `complete`
    /// follows); in the older protocol a `data` message without data, then `complete`, as
    /// its reference server sends them.
    pub async fn refusal(&mut self, id: &str) -> Value {
        let message = self.receive().await.expect("the connection stays open");
        let message: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        assert_eq!(message["id"], id, "{message}");
        if self.protocol == MODERN {
            assert_eq!(message["type"], "error", "{message}");
            assert!(message["payload"].is_array(), "an array of errors: {message}");
            message["payload"].clone()
        } else {
            assert_eq!(message["type"], "data", "{message}");
            assert_eq!(message["payload"]["data"], Value::Null, "{message}");
            let errors = message["payload"]["errors"].clone();
            self.expect_complete(id).await;
            errors
        }
    }

    pub async fn expect_complete(&mut self, id: &str) {
        let message = self.receive().await.expect("the connection stays open");
        let message: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        assert_eq!(message, json!({ "type": "complete", "id": id }));
    }
}
