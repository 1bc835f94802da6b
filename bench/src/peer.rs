//! The peer: PostGraphile 4.14.1 (`bench/peer`, installed with `npm ci` from its lock file)
//! serving the very PostgreSQL tables the newsroom server reads, sent the equivalent of
//! the `article_page` and `section_front` documents. Both servers are measured in turns,
//! newsroom with its response cache off, by the same load generator at the same
//! concurrency, every request a POST.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::load::{self, Call, Outcome};
use crate::server::Server;
use crate::workload::{self, PageArticle};
use crate::{Args, rate_limits_lifted};

/// The servers newsroom can be measured against.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Peer {
    /// PostGraphile 4.14.1 with its default options, `NODE_ENV=production`.
    Postgraphile,
}

/// Where the peer's package and lock file are, from the repository's root.
const PEER_DIR: &str = "bench/peer";
pub const PEER_NAME: &str = "PostGraphile 4.14.1";
/// Turns each server gets: newsroom, the peer, newsroom, the peer.
const ROUNDS: usize = 2;

/// PostGraphile's names for the article page: what PostGraphile infers from the tables
/// the newsroom server's migrations make, asking for what `article_page` shows.
pub const ARTICLE_PAGE: &str = r#"query ArticlePage($slug: String!) { articleBySlug(slug: $slug) { id headline standfirst publishedAt bodyMarkdown
  sectionBySectionId { name slug sectionByParentId { name slug } }
  imageByLeadImageId { url altText caption width height photographer agency distributor }
  articleAuthorsByArticleId(orderBy: POSITION_ASC) { nodes { authorByAuthorId { name slug } } }
  articleTagsByArticleId { nodes { tagByTagId { name slug } } }
  approved: commentsByArticleId(condition: {status: "APPROVED"}) { totalCount }
  commentsByArticleId(first: 20, condition: {status: "APPROVED", parentId: null}, orderBy: [CREATED_AT_ASC, ID_ASC]) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id authorName body createdAt
      commentsByParentId(first: 5, condition: {status: "APPROVED"}, orderBy: [CREATED_AT_ASC, ID_ASC]) {
        totalCount nodes { id authorName body createdAt } } } } } }"#;

/// PostGraphile's names for the section front.
pub const SECTION_FRONT: &str = r#"query SectionFront($slug: String!) { sectionBySlug(slug: $slug) { name slug
  articlesBySectionId(first: 20, condition: {status: "PUBLISHED"}, orderBy: [PUBLISHED_AT_DESC, ID_DESC]) {
    pageInfo { hasNextPage endCursor }
    nodes { headline slug standfirst publishedAt
      imageByLeadImageId { url altText photographer agency distributor }
      articleAuthorsByArticleId(orderBy: POSITION_ASC) { nodes { authorByAuthorId { name slug } } } } } } }"#;

/// The figures of one comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub peer: String,
    pub date: String,
    pub commit: String,
    pub smoke: bool,
    pub dataset: newsroom::bench_data::Shape,
    pub connections: usize,
    pub seconds: f64,
    pub warmup_seconds: f64,
    /// Every measured run, in the order they ran.
    pub runs: Vec<Run>,
}

/// One scenario measured on one server in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub round: usize,
    /// `newsroom` or `peer`.
    pub server: String,
    pub scenario: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Comparison {
    /// The runs that failed, to fail the benchmark with.
    pub fn failures(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter(|r| r.outcome.errors > 0 || r.outcome.requests == 0)
            .map(|r| {
                format!(
                    "{} {} round {}: {} errors of {} requests; first: {}",
                    r.server,
                    r.scenario,
                    r.round,
                    r.outcome.errors,
                    r.outcome.requests,
                    r.outcome.first_error.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }
}

/// A running peer server; killed when dropped.
struct PeerServer {
    addr: SocketAddr,
    child: Child,
}

impl PeerServer {
    /// Installs the peer from its lock file unless it is installed, starts it on
    /// `database_url` and waits until it answers a query.
    async fn start(database_url: &str, log: &Path) -> Result<PeerServer, String> {
        let dir = PathBuf::from(PEER_DIR);
        if !dir.join("package-lock.json").exists() {
            return Err(format!("no {PEER_DIR}/package-lock.json: run the benchmark from the repository's root"));
        }
        if !dir.join("node_modules").exists() {
            eprintln!("installing {PEER_NAME} (npm ci in {PEER_DIR})");
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir)
                .status()
                .await
                .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
            if !status.success() {
                return Err(format!("npm ci in {PEER_DIR} failed ({status})"));
            }
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        drop(listener);
        let log_file = std::fs::File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let started = Instant::now();
        // `node` itself, not `npm start`: one process to stop, no orphans.
        let child = Command::new("node")
            .args(["serve.js", database_url, &addr.port().to_string()])
            .current_dir(&dir)
            .env("NODE_ENV", "production")
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start node (is Node.js installed?): {e}"))?;
        let mut server = PeerServer { addr, child };
        let probe = post(json!({ "query": "{ __typename }" }));
        loop {
            if let Ok((200, body)) = load::fetch(addr, &probe).await
                && memchr::memmem::find(&body, b"\"errors\"").is_none()
            {
                eprintln!("{PEER_NAME} answered {:.0} ms after start", started.elapsed().as_secs_f64() * 1000.0);
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{PEER_NAME} exited at start ({status}); see {}", log.display()));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!("{PEER_NAME} did not answer within a minute; see {}", log.display()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A POST of `body`, the same each time.
fn post(body: Value) -> Call {
    let body = body.to_string();
    Call::Post(Arc::new(move |_| body.clone()))
}

/// Measures newsroom (response cache off) and `peer` in turns on the imported PostgreSQL
/// database `url`.
pub async fn compare(args: &Args, peer: Peer, url: &str, seconds: f64, warmup: f64) -> Result<Comparison, String> {
    let Peer::Postgraphile = peer;
    eprintln!("against {PEER_NAME}, response cache off:");
    let (seconds, warmup) = if args.smoke { (0.15, 0.05) } else { (seconds, warmup) };
    let mut settings = rate_limits_lifted();
    settings.push(("NEWSROOM_RESPONSE_CACHE_MB", "0".to_owned()));
    let log = args.work_dir.join("server-peer-newsroom.log");
    let ours = Server::start(&args.server, url, &settings, &workload::probe(), &log).await?;
    let peer_log = args.work_dir.join("postgraphile.log");
    let theirs = match PeerServer::start(url, &peer_log).await {
        Ok(server) => server,
        Err(error) => {
            ours.stop().await;
            return Err(error);
        }
    };
    let outcome = rounds(args, ours.addr, theirs.addr, seconds, warmup).await;
    ours.stop().await;
    theirs.stop().await;
    let runs = outcome?;
    Ok(Comparison {
        peer: PEER_NAME.to_owned(),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: crate::commit(),
        smoke: args.smoke,
        dataset: crate::shape(args.smoke),
        connections: args.connections,
        seconds,
        warmup_seconds: warmup,
        runs,
    })
}

/// Checks that both servers answer both pages, then runs each scenario on each in turn.
async fn rounds(
    args: &Args,
    ours: SocketAddr,
    theirs: SocketAddr,
    seconds: f64,
    warmup: f64,
) -> Result<Vec<Run>, String> {
    // The same article and section as `article_page` and `section_front`.
    let slug = PageArticle::find(ours).await?.slug;
    let section = workload::SECTION;
    let calls = [
        (
            "article_page",
            post(json!({ "query": workload::ARTICLE_PAGE, "variables": { "slug": slug } })),
            post(json!({ "query": ARTICLE_PAGE, "variables": { "slug": slug } })),
            "articleBySlug",
        ),
        (
            "section_front",
            post(json!({ "query": workload::SECTION_FRONT, "variables": { "slug": section } })),
            post(json!({ "query": SECTION_FRONT, "variables": { "slug": section } })),
            "sectionBySlug",
        ),
    ];
    for (name, our_call, their_call, field) in &calls {
        load::Client::new(ours).data(our_call).await.map_err(|e| format!("newsroom's {name}: {e}"))?;
        let data = load::Client::new(theirs)
            .data(their_call)
            .await
            .map_err(|e| format!("{PEER_NAME} does not answer the {name} document: {e}"))?;
        if data[field].is_null() {
            return Err(format!("{PEER_NAME} answers the {name} document with no {field}: {data}"));
        }
    }
    let (measured, warm) = (Duration::from_secs_f64(seconds), Duration::from_secs_f64(warmup));
    let mut runs = Vec::new();
    for round in 1..=ROUNDS {
        for (server, addr) in [("newsroom", ours), ("peer", theirs)] {
            for (name, our_call, their_call, _) in &calls {
                let call = if server == "newsroom" { our_call } else { their_call };
                load::run(addr, call, args.connections, warm).await;
                let outcome = load::run(addr, call, args.connections, measured).await;
                eprintln!(
                    "  round {round} {server:<9}{name:<14}{:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  {} bytes  errors {}",
                    outcome.requests_per_second, outcome.p50_ms, outcome.p99_ms, outcome.response_bytes, outcome.errors
                );
                runs.push(Run { round, server: server.to_owned(), scenario: (*name).to_owned(), outcome });
            }
        }
    }
    Ok(runs)
}
