//! Stopping the real server binary with SIGTERM: requests in flight finish, subscriptions
//! are closed with `1001 Going Away`, and the process exits 0 within the grace period.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

struct Server {
    child: Child,
    address: std::net::SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `newsroom serve` on a fresh SQLite file and a free port, and waits until it is ready.
    async fn start(settings: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let address = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        let log = dir.path().join("server.log");
        let child = Command::new(env!("CARGO_BIN_EXE_newsroom"))
            .arg("serve")
            .env("DATABASE_URL", format!("sqlite:{}", dir.path().join("newsroom.db").display()))
            .env("NEWSROOM_LISTEN", address.to_string())
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the server binary starts");
        let server = Server { child, address, log, _dir: dir };
        let started = Instant::now();
        loop {
            let ready = reqwest::get(server.url("/readyz")).await.is_ok_and(|r| r.status().is_success());
            if ready {
                return server;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "not ready: {}", server.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn terminate(&self) -> Instant {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        Instant::now()
    }

    /// The exit status, once the process ends within `limit`.
    async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "still running after {limit:?}: {}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A POST whose head and first half of its body are sent; the rest waits for
    /// [`InFlight::finish`].
    async fn request_in_flight(&self) -> InFlight {
        let body = json!({ "query": "{ __typename }" }).to_string();
        let mut stream = TcpStream::connect(self.address).await.unwrap();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.address,
            body.len()
        );
        let (first, rest) = body.split_at(body.len() / 2);
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(first.as_bytes()).await.unwrap();
        stream.flush().await.unwrap();
        InFlight { stream, rest: rest.to_owned() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct InFlight {
    stream: TcpStream,
    rest: String,
}

impl InFlight {
    /// Sends the rest of the body; the answer as read until the server closes.
    async fn finish(mut self) -> String {
        self.stream.write_all(self.rest.as_bytes()).await.unwrap();
        let mut answer = String::new();
        let read = tokio::time::timeout(Duration::from_secs(5), self.stream.read_to_string(&mut answer)).await;
        read.expect("the server answers and closes").expect("a readable answer");
        answer
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn subscribe(server: &Server) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", server.address).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the WebSocket opens");
    socket.send(Message::text(json!({ "type": "connection_init", "payload": {} }).to_string())).await.unwrap();
    let ack = next_text(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack");
    let subscribe = json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": "subscription { articlePublished { headline } }" },
    });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    socket
}

async fn next_text(socket: &mut Socket) -> Value {
    let message = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a message in time");
    match message {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).unwrap(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_closes_subscriptions_and_exits_0() {
    let grace = Duration::from_secs(5);
    let mut server = Server::start(&[
        ("NEWSROOM_SHUTDOWN_GRACE", "5s"),
        ("NEWSROOM_LOG_FORMAT", "json"),
        ("NEWSROOM_LOG", "info,newsroom::request=debug"),
    ])
    .await;
    let traced = reqwest::Client::new()
        .get(server.url("/healthz"))
        .header("x-request-id", "shutdown-check-1")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "shutdown-check-1");

    let mut subscription = subscribe(&server).await;
    let in_flight = server.request_in_flight().await;
    // The server has read the request's head before it hears of the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = server.terminate();

    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match subscription.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the subscription is closed at once");
    assert_eq!(closed.expect("a close frame with a code").code, CloseCode::Away);

    let answer = in_flight.finish().await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"data":{"__typename":"Query"}}"#), "{answer}");

    let status = server.exit_within(grace).await;
    assert!(status.success(), "{status:?}: {}", server.log());
    assert!(signalled.elapsed() < grace);

    // Logs are JSON lines; those of a request carry its id.
    let log = server.log();
    let lines: Vec<Value> =
        log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"))).collect();
    let answered = lines.iter().find(|line| line["span"]["request_id"] == "shutdown-check-1");
    let answered = answered.unwrap_or_else(|| panic!("no line of the request: {log}"));
    assert_eq!(answered["span"]["path"], "/healthz");
    assert_eq!(answered["fields"]["status"], 200);
    assert!(lines.iter().any(|line| line["fields"]["message"] == "newsroom stopped"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_bounds_the_wait_for_requests() {
    let mut server = Server::start(&[("NEWSROOM_SHUTDOWN_GRACE", "1s")]).await;
    // Never finished: only the grace period ends the wait (the request timeout is 10 s).
    let _stuck = server.request_in_flight().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = server.terminate();
    let status = server.exit_within(Duration::from_secs(5)).await;
    let waited = signalled.elapsed();
    assert!(status.success(), "{status:?}: {}", server.log());
    assert!(waited >= Duration::from_millis(900), "left before the grace period ended: {waited:?}");
    assert!(server.log().contains("after the grace period"), "{}", server.log());
}
