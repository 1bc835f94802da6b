//! The load generator: a fixed number of keep-alive HTTP/1.1 connections, each sending
//! its next request as soon as the previous answer is read in full, for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpStream;

/// A GraphQL body made for the request's number, so that each can differ.
pub type Body = Arc<dyn Fn(u64) -> String + Send + Sync>;

/// What one scenario sends.
#[derive(Clone)]
pub enum Call {
    /// The same GET each time.
    Get(String),
    /// A POST of a GraphQL body.
    Post(Body),
    /// A POST of a GraphQL body, signed in as staff with this bearer token.
    StaffPost(Arc<str>, Body),
    /// One of these calls, picked for each request from a hash of its number: a call
    /// listed twice is sent twice as often.
    OneOf(Arc<[Call]>),
}

impl Call {
    fn request(&self, n: u64) -> Request<Full<Bytes>> {
        let builder = Request::builder().header(hyper::header::HOST, "127.0.0.1");
        let post = |builder: hyper::http::request::Builder, body: &Body| {
            builder
                .method("POST")
                .uri("/graphql")
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body(n))))
        };
        match self {
            Call::Get(uri) => builder.method("GET").uri(uri.as_str()).body(Full::default()),
            Call::Post(body) => post(builder, body),
            Call::StaffPost(token, body) => {
                post(builder.header(hyper::header::AUTHORIZATION, format!("Bearer {token}")), body)
            }
            Call::OneOf(calls) => {
                // The hash is a bijection: distinct request numbers stay distinct below.
                let hashed = splitmix64(n);
                return calls[(hashed % calls.len() as u64) as usize].request(hashed);
            }
        }
        .expect("a well-formed request")
    }
}

/// A well-mixing bijection of 64-bit numbers (SplitMix64's finaliser).
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How a run went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Bytes of the last answer's body.
    pub response_bytes: usize,
    /// The first failed answer, to show what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// The requests of a run, or of several added up.
pub struct Tally {
    latencies: Histogram<u64>,
    requests: u64,
    errors: u64,
    response_bytes: usize,
    first_error: Option<String>,
    seconds: f64,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            latencies: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            requests: 0,
            errors: 0,
            response_bytes: 0,
            first_error: None,
            seconds: 0.0,
        }
    }
}

impl Tally {
    /// Adds `other`'s requests and time to these.
    pub fn add(&mut self, other: Tally) {
        self.latencies.add(&other.latencies).expect("same bounds");
        self.requests += other.requests;
        self.errors += other.errors;
        self.response_bytes = self.response_bytes.max(other.response_bytes);
        self.first_error = self.first_error.take().or(other.first_error);
        self.seconds += other.seconds;
    }

    pub fn outcome(&self) -> Outcome {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Outcome {
            requests: self.requests,
            errors: self.errors,
            seconds: self.seconds,
            requests_per_second: self.requests as f64 / self.seconds,
            p50_ms: ms(self.latencies.value_at_quantile(0.50)),
            p99_ms: ms(self.latencies.value_at_quantile(0.99)),
            max_ms: ms(self.latencies.max()),
            response_bytes: self.response_bytes,
            first_error: self.first_error.clone(),
        }
    }
}

/// Numbers requests across all runs, so that a request body made from its number is
/// never sent twice.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Drives `call` at `addr` over `connections` connections for `duration`.
pub async fn run(addr: SocketAddr, call: &Call, connections: usize, duration: Duration) -> Outcome {
    measure(addr, call, connections, duration).await.outcome()
}

/// [`run`], answering the requests' tally so that runs can be added up.
pub async fn measure(addr: SocketAddr, call: &Call, connections: usize, duration: Duration) -> Tally {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections).map(|_| tokio::spawn(drive(addr, call.clone(), deadline))).collect();
    let mut total = Tally::default();
    for task in tasks {
        total.add(task.await.expect("a connection task"));
    }
    total.seconds = started.elapsed().as_secs_f64();
    total
}

async fn connect(addr: SocketAddr) -> Option<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// Sends `request` and reads its answer in full: the status and the body.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(hyper::StatusCode, Bytes), String> {
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

/// Whether an answer failed: a status other than success, or GraphQL errors.
fn failed(status: hyper::StatusCode, body: &[u8]) -> bool {
    !status.is_success() || memchr::memmem::find(body, b"\"errors\"").is_some()
}

async fn drive(addr: SocketAddr, send: Call, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut sender = None;
    while Instant::now() < deadline {
        let Some(connection) = sender.as_mut() else {
            sender = connect(addr).await;
            if sender.is_none() {
                tally.errors += 1;
                tally.first_error.get_or_insert_with(|| "cannot connect".to_owned());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            continue;
        };
        let request = send.request(REQUESTS.fetch_add(1, Ordering::Relaxed));
        let began = Instant::now();
        let answer = exchange(connection, request).await;
        let took = began.elapsed().as_micros() as u64;
        tally.requests += 1;
        let _ = tally.latencies.record(took.max(1));
        match answer {
            Ok((status, body)) => {
                tally.response_bytes = body.len();
                if failed(status, &body) {
                    tally.errors += 1;
                    tally.first_error.get_or_insert_with(|| {
                        format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]))
                    });
                }
            }
            Err(error) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(error);
                sender = None;
            }
        }
    }
    tally
}

/// One request on a connection of its own: the status and the body.
pub async fn fetch(addr: SocketAddr, send: &Call) -> Result<(u16, Bytes), String> {
    Client::new(addr).send(send).await
}

/// A keep-alive connection for requests one after another, opened again after a failure.
pub struct Client {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client { addr, sender: None }
    }

    /// Sends `call`: the status and the body.
    pub async fn send(&mut self, call: &Call) -> Result<(u16, Bytes), String> {
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => self.sender.insert(connect(self.addr).await.ok_or("cannot connect")?),
        };
        let answer = exchange(sender, call.request(REQUESTS.fetch_add(1, Ordering::Relaxed))).await;
        if answer.is_err() {
            self.sender = None;
        }
        answer.map(|(status, body)| (status.as_u16(), body))
    }

    /// The body of `call`'s answer; an error when the answer failed.
    pub async fn body(&mut self, call: &Call) -> Result<Bytes, String> {
        let (status, body) = self.send(call).await?;
        let status = hyper::StatusCode::from_u16(status).map_err(|e| e.to_string())?;
        if failed(status, &body) {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
        }
        Ok(body)
    }

    /// The `data` of `call`'s answer; an error when the answer failed.
    pub async fn data(&mut self, call: &Call) -> Result<Value, String> {
        let (status, body) = self.send(call).await?;
        let answer: Value = serde_json::from_slice(&body).map_err(|e| format!("not JSON ({status}): {e}"))?;
        if status != 200 || answer.get("errors").is_some() {
            return Err(format!("the server answered {status}: {answer}"));
        }
        Ok(answer["data"].clone())
    }
}
