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

struct ConnectionTally {
    latencies: Histogram<u64>,
    requests: u64,
    errors: u64,
    response_bytes: usize,
    first_error: Option<String>,
}

/// Numbers requests across all runs, so that a request body made from its number is
/// never sent twice.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Drives `call` at `addr` over `connections` connections for `duration`.
pub async fn run(addr: SocketAddr, call: &Call, connections: usize, duration: Duration) -> Outcome {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections).map(|_| tokio::spawn(drive(addr, call.clone(), deadline))).collect();
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let (mut requests, mut errors, mut response_bytes, mut first_error) = (0, 0, 0, None);
    for task in tasks {
        let tally = task.await.expect("a connection task");
        latencies.add(&tally.latencies).expect("same bounds");
        requests += tally.requests;
        errors += tally.errors;
        response_bytes = response_bytes.max(tally.response_bytes);
        first_error = first_error.or(tally.first_error);
    }
    let seconds = started.elapsed().as_secs_f64();
    let ms = |micros: u64| micros as f64 / 1000.0;
    Outcome {
        requests,
        errors,
        seconds,
        requests_per_second: requests as f64 / seconds,
        p50_ms: ms(latencies.value_at_quantile(0.50)),
        p99_ms: ms(latencies.value_at_quantile(0.99)),
        max_ms: ms(latencies.max()),
        response_bytes,
        first_error,
    }
}

async fn connect(addr: SocketAddr) -> Option<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(connection);
    Some(sender)
}

async fn drive(addr: SocketAddr, send: Call, deadline: Instant) -> ConnectionTally {
    let mut tally = ConnectionTally {
        latencies: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
        requests: 0,
        errors: 0,
        response_bytes: 0,
        first_error: None,
    };
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
        let answer = match connection.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                match response.into_body().collect().await {
                    Ok(body) => Ok((status, body.to_bytes())),
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(error) => Err(error.to_string()),
        };
        let took = began.elapsed().as_micros() as u64;
        tally.requests += 1;
        let _ = tally.latencies.record(took.max(1));
        match answer {
            Ok((status, body)) => {
                tally.response_bytes = body.len();
                if !status.is_success() || memchr::memmem::find(&body, b"\"errors\"").is_some() {
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
    let mut sender = connect(addr).await.ok_or("cannot connect")?;
    let request = send.request(REQUESTS.fetch_add(1, Ordering::Relaxed));
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}
