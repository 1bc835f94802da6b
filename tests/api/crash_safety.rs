//! Crash safety: the real server binary, on SQLite and on PostgreSQL, is killed with
//! SIGKILL in the middle of a burst of concurrent writes over HTTP (readers' comments and
//! replies, editors' article updates, new articles), then started again on the same
//! database, several times over. After each restart:
//!
//! - every write that was acknowledged (`200`, `data`, no `errors`) is there exactly once,
//!   a write whose answer never came at most once, one that never reached the server not at all;
//! - an article its writer updates with a rising version holds at least the last
//!   acknowledged version and at most the last one sent;
//! - nothing is half-written: stored comment counts equal a recount of the visible comments,
//!   an article's revisions run 1, 2, 3, ... and the last one equals the article, the
//!   search index finds the article by its current text and not by the one before, no row
//!   points at a missing one, and on SQLite `PRAGMA integrity_check` is `ok` and
//!   `PRAGMA foreign_key_check` finds nothing.
//!
//! Short by default, so that CI runs it with the debug binary. For a longer run:
//! `NEWSROOM_CRASH_ROUNDS` (default 3), `NEWSROOM_CRASH_BURST_MS` (how long writes run
//! before the kill, default 1500) and `NEWSROOM_CRASH_SERVER` (the binary, e.g.
//! `target/release/newsroom`); `ci/crash-safety` sets them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use entity::comment::{self, CommentStatus};
use entity::comment_tally::{self, TallyKind};
use entity::{article, article_revision, article_tag, tag};
use newsroom::graphql::ids;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Statement};
use serde_json::{Value, json};

const EDITOR_EMAIL: &str = "crash-editor@example.com";
const COMMENT_WRITERS: usize = 4;
const UPDATE_WRITERS: usize = 3;
const CREATE_WRITERS: usize = 1;
/// Articles the comment writers share out.
const COMMENTED_ARTICLES: usize = 2;
/// Longest a server may take to start, or an answer to come, before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

struct Settings {
    server: PathBuf,
    rounds: u32,
    burst: Duration,
}

impl Settings {
    fn from_env() -> Settings {
        let server = match std::env::var_os("NEWSROOM_CRASH_SERVER").filter(|s| !s.is_empty()) {
            Some(path) => Path::new(env!("CARGO_MANIFEST_DIR")).join(path),
            None => PathBuf::from(env!("CARGO_BIN_EXE_newsroom")),
        };
        assert!(server.is_file(), "NEWSROOM_CRASH_SERVER: no binary at {}", server.display());
        let rounds = env_number("NEWSROOM_CRASH_ROUNDS", 3);
        let burst = Duration::from_millis(env_number("NEWSROOM_CRASH_BURST_MS", 1500).into());
        Settings { server, rounds, burst }
    }
}

fn env_number(name: &str, default: u32) -> u32 {
    match std::env::var(name) {
        Ok(text) if !text.is_empty() => {
            text.parse().unwrap_or_else(|_| panic!("{name} must be a number, got {text:?}"))
        }
        _ => default,
    }
}

/// A fresh database: a SQLite file in a temporary directory, or a new PostgreSQL database.
pub(crate) struct TestDatabase {
    url: String,
    /// Holds the SQLite file and the server's log.
    dir: tempfile::TempDir,
    /// The PostgreSQL database, dropped when the test is done.
    _postgres: Option<crate::common::postgres::TestDatabase>,
}

impl TestDatabase {
    pub(crate) fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("newsroom.db").display());
        TestDatabase { url, dir, _postgres: None }
    }

    /// A new empty database on the server of `NEWSROOM_TEST_POSTGRES_URL`, or `None` when it is unset.
    pub(crate) async fn postgres() -> Option<TestDatabase> {
        let database = crate::common::postgres::TestDatabase::empty().await?;
        Some(TestDatabase { url: database.url.clone(), dir: tempfile::tempdir().unwrap(), _postgres: Some(database) })
    }

    fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    fn name(&self) -> &'static str {
        if self.is_sqlite() { "SQLite" } else { "PostgreSQL" }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Runs a command of the binary on this database; its standard output.
    pub(crate) fn command(&self, binary: &Path, args: &[&str]) -> String {
        let output = Command::new(binary)
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("NEWSROOM_PASSWORD", "crash-safety-password")
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "newsroom {args:?} failed: {stderr}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

/// `newsroom serve` as a child process, writing its log to `log`.
pub(crate) struct Server {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts the server (migrations run, as by default) and waits until it is ready.
    async fn start(binary: &Path, database: &TestDatabase) -> Server {
        Server::start_with(binary, database, &[]).await
    }

    /// Starts the server with more environment variables.
    pub(crate) async fn start_with(binary: &Path, database: &TestDatabase, envs: &[(&str, &str)]) -> Server {
        let address = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let log = database.log();
        let log_file = OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", &database.url)
            .env("NEWSROOM_LISTEN", address.to_string())
            .env("NEWSROOM_COMMENTS_AUTO_APPROVE", "true")
            .env("NEWSROOM_COMMENT_LIMIT_PER_MINUTE", "1000000")
            .env("NEWSROOM_COMMENT_LIMIT_PER_HOUR", "1000000")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("the server binary starts");
        let mut server = Server { child, address, log };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        let ready = format!("http://{}/readyz", self.address);
        loop {
            if reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited at start ({status}): {}", self.log());
            }
            assert!(started.elapsed() < DEADLINE, "the server is not ready after {DEADLINE:?}: {}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.address)
    }

    /// SIGKILL: no shutdown code of the server runs, as in an OOM kill.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("SIGKILL reaches the server");
        self.child.wait().unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What became of a write sent over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Answered `200` with `data` and no `errors`.
    Acknowledged,
    /// Answered otherwise (or not within the deadline): what came back.
    Refused(String),
    /// Sent, but the connection broke before the whole answer came.
    Unanswered,
    /// The connection was refused: the server never saw it.
    NotSent,
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    fn new(server: &Server) -> Api {
        // A client per server: no pooled connection outlives the process it was made to.
        let http = reqwest::Client::builder().timeout(DEADLINE).build().unwrap();
        Api { http, url: server.graphql_url() }
    }

    /// Sends a GraphQL document; what became of it, and the `data` of an acknowledged answer.
    async fn send(&self, token: Option<&str>, query: &str, variables: Value) -> (Outcome, Value) {
        let mut request = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status();
                response.text().await.map(|text| (status, text))
            }
            Err(error) => Err(error),
        };
        match answer {
            Ok((status, text)) => {
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let acknowledged = status == reqwest::StatusCode::OK && body.get("errors").is_none();
                match body.get("data").filter(|d| acknowledged && !d.is_null()) {
                    Some(data) => (Outcome::Acknowledged, data.clone()),
                    None => (Outcome::Refused(format!("{status}: {text}")), Value::Null),
                }
            }
            Err(error) if error.is_connect() => (Outcome::NotSent, Value::Null),
            Err(error) if error.is_timeout() => {
                (Outcome::Refused(format!("no answer within {DEADLINE:?}")), Value::Null)
            }
            Err(_) => (Outcome::Unanswered, Value::Null),
        }
    }

    /// A query that must be acknowledged; its `data`.
    async fn must(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        match self.send(token, query, variables).await {
            (Outcome::Acknowledged, data) => data,
            (outcome, _) => panic!("{query}: {outcome:?}"),
        }
    }
}

/// An article and its global id.
#[derive(Debug, Clone)]
struct Target {
    api_id: String,
    id: i64,
}

impl Target {
    fn from_api(api_id: &Value) -> Target {
        let api_id = api_id.as_str().expect("an id").to_owned();
        let (_, id) = ids::decode(&api_id).expect("a global id");
        Target { api_id, id }
    }
}

/// The article update writer `writer` owns, at the version last found stored.
#[derive(Debug, Clone)]
struct OwnedArticle {
    target: Target,
    writer: usize,
    version: u32,
}

/// Headline, standfirst and body of an owned article at `version`. The body carries a word
/// found nowhere else, for the search index check.
fn owned_text(writer: usize, version: u32) -> (String, String, String) {
    (
        format!("Owned article {writer} at version {version}"),
        format!("Standfirst of {writer} at {version}"),
        format!("The text of owned article {writer}: {}.", search_word(writer, version)),
    )
}

fn search_word(writer: usize, version: u32) -> String {
    format!("crashword{writer}v{version}")
}

/// What the burst writes to.
struct Content {
    section: String,
    commented: Vec<Target>,
    owned: Vec<OwnedArticle>,
}

const CREATE_ARTICLE: &str = "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }";
const UPDATE_ARTICLE: &str =
    "mutation($id: ID!, $input: UpdateArticleInput!) { updateArticle(id: $id, input: $input) { id } }";
const ADD_COMMENT: &str = "mutation($input: AddCommentInput!) { addComment(input: $input) { id status } }";

impl Content {
    async fn create(api: &Api, token: &str) -> Content {
        let section = api
            .must(
                Some(token),
                "mutation { createSection(input: { slug: \"crash\", name: \"Crash\" }) { id } }",
                json!({}),
            )
            .await["createSection"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut commented = Vec::new();
        for n in 0..COMMENTED_ARTICLES {
            let input = json!({ "headline": format!("Commented article {n}"), "bodyMarkdown": "Comments welcome.", "sectionId": section });
            let created = api.must(Some(token), CREATE_ARTICLE, json!({ "input": input })).await;
            let target = Target::from_api(&created["createArticle"]["id"]);
            let publish = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
            api.must(Some(token), publish, json!({ "id": target.api_id })).await;
            commented.push(target);
        }
        let mut owned = Vec::new();
        for writer in 0..UPDATE_WRITERS {
            let (headline, standfirst, body) = owned_text(writer, 0);
            let input =
                json!({ "headline": headline, "standfirst": standfirst, "bodyMarkdown": body, "sectionId": section });
            let created = api.must(Some(token), CREATE_ARTICLE, json!({ "input": input })).await;
            owned.push(OwnedArticle { target: Target::from_api(&created["createArticle"]["id"]), writer, version: 0 });
        }
        Content { section, commented, owned }
    }
}

/// One write of the burst.
#[derive(Debug, Clone)]
enum Write {
    /// A reader's comment whose body is unique; a reply names its parent's body.
    Comment { body: String, article: i64, parent: Option<String> },
    /// An owned article set to `version`.
    Update { writer: usize, version: u32 },
    /// A new draft with a unique headline.
    Create { headline: String },
}

#[derive(Debug, Clone)]
struct Sent {
    write: Write,
    outcome: Outcome,
}

/// Shared by the writers of one burst.
#[derive(Clone)]
struct Burst {
    api: Api,
    token: Arc<String>,
    round: u32,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
}

impl Burst {
    async fn send(&self, token: Option<&str>, query: &str, variables: Value) -> (Outcome, Value) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let answer = self.api.send(token, query, variables).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        answer
    }

    fn going(&self) -> bool {
        !self.stop.load(Ordering::SeqCst)
    }

    /// Anonymous comments on one article; every third a reply to this writer's last
    /// acknowledged top-level comment.
    async fn comment(self, writer: usize, article: Target) -> Vec<Sent> {
        let mut sent = Vec::new();
        let mut last_top: Option<(String, String)> = None;
        for n in 1.. {
            if !self.going() {
                break;
            }
            let body = format!("crash comment r{} w{writer} n{n}", self.round);
            let parent = if n % 3 == 0 { last_top.clone() } else { None };
            let input = json!({
                "articleId": article.api_id,
                "parentId": parent.as_ref().map(|(id, _)| id),
                "authorName": format!("Reader {writer}"),
                "body": body,
            });
            let (outcome, data) = self.send(None, ADD_COMMENT, json!({ "input": input })).await;
            if outcome == Outcome::Acknowledged && parent.is_none() {
                last_top = Some((data["addComment"]["id"].as_str().unwrap().to_owned(), body.clone()));
            }
            let done = outcome != Outcome::Acknowledged;
            let write = Write::Comment { body, article: article.id, parent: parent.map(|(_, body)| body) };
            sent.push(Sent { write, outcome });
            if done {
                break;
            }
        }
        sent
    }

    /// Editor updates of one owned article, each to the next version.
    async fn update(self, owned: OwnedArticle) -> Vec<Sent> {
        let mut sent = Vec::new();
        let mut version = owned.version;
        while self.going() {
            version += 1;
            let (headline, standfirst, body) = owned_text(owned.writer, version);
            let input = json!({ "headline": headline, "standfirst": standfirst, "bodyMarkdown": body });
            let variables = json!({ "id": owned.target.api_id, "input": input });
            let (outcome, _) = self.send(Some(self.token.as_str()), UPDATE_ARTICLE, variables).await;
            let done = outcome != Outcome::Acknowledged;
            sent.push(Sent { write: Write::Update { writer: owned.writer, version }, outcome });
            if done {
                break;
            }
        }
        sent
    }

    /// New drafts with unique headlines, all tagged `crash`.
    async fn create(self, writer: usize, section: String) -> Vec<Sent> {
        let mut sent = Vec::new();
        for n in 1.. {
            if !self.going() {
                break;
            }
            let headline = format!("Crash created r{} w{writer} n{n}", self.round);
            let input = json!({
                "headline": headline,
                "bodyMarkdown": format!("Created in round {}.", self.round),
                "sectionId": section,
                "tags": ["crash"],
            });
            let (outcome, _) = self.send(Some(self.token.as_str()), CREATE_ARTICLE, json!({ "input": input })).await;
            let done = outcome != Outcome::Acknowledged;
            sent.push(Sent { write: Write::Create { headline }, outcome });
            if done {
                break;
            }
        }
        sent
    }
}

/// Runs the writers against `server` and kills it after about `burst`, once requests are
/// in flight; every write sent, and how many requests were in flight at the kill.
async fn burst_then_kill(server: &mut Server, content: &Content, token: &str, round: u32, burst: Duration) -> Round {
    let writers = Burst {
        api: Api::new(server),
        token: Arc::new(token.to_owned()),
        round,
        stop: Arc::new(AtomicBool::new(false)),
        in_flight: Arc::new(AtomicUsize::new(0)),
    };
    let mut tasks = Vec::new();
    for writer in 0..COMMENT_WRITERS {
        let article = content.commented[writer % content.commented.len()].clone();
        tasks.push(tokio::spawn(writers.clone().comment(writer, article)));
    }
    for owned in &content.owned {
        tasks.push(tokio::spawn(writers.clone().update(owned.clone())));
    }
    for writer in 0..CREATE_WRITERS {
        tasks.push(tokio::spawn(writers.clone().create(writer, content.section.clone())));
    }
    // Kill at a different point of the burst each round, between half of it and all of it.
    let wait = burst.mul_f64(0.5 + f64::from((round * 37) % 50) / 100.0);
    tokio::time::sleep(wait).await;
    let started = Instant::now();
    let total = tasks.len();
    while writers.in_flight.load(Ordering::SeqCst) < total / 2 {
        assert!(started.elapsed() < DEADLINE, "the writers stalled: {}", server.log());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let in_flight = writers.in_flight.load(Ordering::SeqCst);
    server.kill();
    writers.stop.store(true, Ordering::SeqCst);
    let mut sent = Vec::new();
    for task in tasks {
        let writes = tokio::time::timeout(DEADLINE, task).await.expect("a writer ends after the kill");
        sent.extend(writes.expect("a writer runs to its end"));
    }
    Round { sent, in_flight }
}

struct Round {
    sent: Vec<Sent>,
    /// Requests the client had sent and not seen answered when the kill came.
    in_flight: usize,
}

/// Every write of every round so far.
#[derive(Default)]
struct Ledger {
    sent: Vec<Sent>,
}

impl Ledger {
    fn count(&self, outcome: &Outcome) -> usize {
        self.sent.iter().filter(|s| s.outcome == *outcome).count()
    }

    fn refused(&self) -> Vec<&Sent> {
        self.sent.iter().filter(|s| matches!(s.outcome, Outcome::Refused(_))).collect()
    }
}

/// Everything a check reads from the database.
struct Stored {
    articles: BTreeMap<i64, article::Model>,
    comments: Vec<comment::Model>,
    tallies: Vec<comment_tally::Model>,
    revisions: BTreeMap<i64, Vec<article_revision::Model>>,
    article_tags: Vec<article_tag::Model>,
    tags: Vec<tag::Model>,
}

impl Stored {
    async fn read(db: &DatabaseConnection) -> Stored {
        let articles = article::Entity::find().all(db).await.unwrap().into_iter().map(|a| (a.id, a)).collect();
        let mut revisions: BTreeMap<i64, Vec<article_revision::Model>> = BTreeMap::new();
        let rows = article_revision::Entity::find()
            .order_by_asc(article_revision::Column::ArticleId)
            .order_by_asc(article_revision::Column::Number)
            .all(db)
            .await
            .unwrap();
        for revision in rows {
            revisions.entry(revision.article_id).or_default().push(revision);
        }
        Stored {
            articles,
            comments: comment::Entity::find().all(db).await.unwrap(),
            tallies: comment_tally::Entity::find().all(db).await.unwrap(),
            revisions,
            article_tags: article_tag::Entity::find().all(db).await.unwrap(),
            tags: tag::Entity::find().all(db).await.unwrap(),
        }
    }

    fn comments_by_body(&self) -> HashMap<&str, Vec<&comment::Model>> {
        let mut by_body: HashMap<&str, Vec<&comment::Model>> = HashMap::new();
        for comment in &self.comments {
            by_body.entry(comment.body.as_str()).or_default().push(comment);
        }
        by_body
    }

    fn articles_by_headline(&self) -> HashMap<&str, Vec<&article::Model>> {
        let mut by_headline: HashMap<&str, Vec<&article::Model>> = HashMap::new();
        for article in self.articles.values() {
            by_headline.entry(article.headline.as_str()).or_default().push(article);
        }
        by_headline
    }

    /// The comment counts readers should see, counted from the comments themselves.
    fn recounted_tallies(&self) -> HashMap<(TallyKind, i64), i64> {
        let approved: HashSet<i64> =
            self.comments.iter().filter(|c| c.status == CommentStatus::Approved).map(|c| c.id).collect();
        let mut counts = HashMap::new();
        for comment in self.comments.iter().filter(|c| approved.contains(&c.id)) {
            match comment.parent_id {
                None => {
                    *counts.entry((TallyKind::Article, comment.article_id)).or_insert(0) += 1;
                    *counts.entry((TallyKind::TopLevel, comment.article_id)).or_insert(0) += 1;
                }
                Some(parent) if approved.contains(&parent) => {
                    *counts.entry((TallyKind::Article, comment.article_id)).or_insert(0) += 1;
                    *counts.entry((TallyKind::Replies, parent)).or_insert(0) += 1;
                }
                Some(_) => {}
            }
        }
        counts
    }
}

/// A count of how often a write is found, held against what its outcome allows.
fn expect_presence(write: &Write, outcome: &Outcome, found: usize, failures: &mut Vec<String>) {
    let allowed = match outcome {
        Outcome::Acknowledged => found == 1,
        Outcome::Unanswered => found <= 1,
        Outcome::NotSent | Outcome::Refused(_) => found == 0,
    };
    if !allowed {
        failures.push(format!("{write:?} ({outcome:?}) is stored {found} times"));
    }
}

/// The checks on the database after a restart. Returns how many of the unanswered writes
/// were committed, and the owned articles at their stored versions.
async fn check_database(
    database: &TestDatabase,
    ledger: &Ledger,
    owned: &[OwnedArticle],
    round: &Round,
) -> (usize, Vec<OwnedArticle>) {
    let db = newsroom::db::connect(&database.url, 1).await.expect("the database opens");
    let stored = Stored::read(&db).await;
    let mut failures = Vec::new();
    let committed = check_writes(&stored, ledger, round, &mut failures);
    check_tallies(&stored, &mut failures);
    let owned = check_owned_articles(&stored, owned, round, &mut failures);
    check_created_articles(&stored, &mut failures);
    check_no_orphans(&stored, &mut failures);
    if database.is_sqlite() {
        check_sqlite_file(&db, &mut failures).await;
    }
    let _ = db.close().await;
    assert!(failures.is_empty(), "{} after the kill:\n{}", database.name(), failures.join("\n"));
    (committed, owned)
}

/// Acknowledged comments and new articles are stored once, unanswered ones at most once,
/// and replies hang under the comment they answered.
fn check_writes(stored: &Stored, ledger: &Ledger, round: &Round, failures: &mut Vec<String>) -> usize {
    let comments = stored.comments_by_body();
    let articles = stored.articles_by_headline();
    let by_id: HashMap<i64, &comment::Model> = stored.comments.iter().map(|c| (c.id, c)).collect();
    for sent in &ledger.sent {
        match &sent.write {
            Write::Comment { body, article, parent } => {
                let found = comments.get(body.as_str()).map_or(&[][..], Vec::as_slice);
                expect_presence(&sent.write, &sent.outcome, found.len(), failures);
                for comment in found {
                    let parent_body = comment.parent_id.and_then(|p| by_id.get(&p)).map(|p| p.body.as_str());
                    if comment.article_id != *article || parent_body != parent.as_deref() {
                        failures.push(format!(
                            "{:?} is stored on article {} under {parent_body:?}",
                            sent.write, comment.article_id
                        ));
                    }
                    if comment.status != CommentStatus::Approved {
                        failures.push(format!("{:?} is stored {:?}", sent.write, comment.status));
                    }
                }
            }
            Write::Create { headline } => {
                let found = articles.get(headline.as_str()).map_or(0, Vec::len);
                expect_presence(&sent.write, &sent.outcome, found, failures);
            }
            Write::Update { .. } => {}
        }
    }
    let written: HashSet<&str> = ledger
        .sent
        .iter()
        .filter_map(|s| match &s.write {
            Write::Comment { body, .. } => Some(body.as_str()),
            _ => None,
        })
        .collect();
    for comment in stored.comments.iter().filter(|c| !written.contains(c.body.as_str())) {
        failures.push(format!("comment {} was never written: {:?}", comment.id, comment.body));
    }
    round
        .sent
        .iter()
        .filter(|s| s.outcome == Outcome::Unanswered)
        .filter(|s| match &s.write {
            Write::Comment { body, .. } => comments.contains_key(body.as_str()),
            Write::Create { headline } => articles.contains_key(headline.as_str()),
            Write::Update { writer, version } => {
                let (headline, _, _) = owned_text(*writer, *version);
                articles.contains_key(headline.as_str())
            }
        })
        .count()
}

/// Stored comment counts equal a recount of the visible comments.
fn check_tallies(stored: &Stored, failures: &mut Vec<String>) {
    let recounted = stored.recounted_tallies();
    let kept: HashMap<(TallyKind, i64), i64> =
        stored.tallies.iter().map(|t| ((t.kind, t.subject_id), t.count)).collect();
    let subjects: HashSet<&(TallyKind, i64)> = recounted.keys().chain(kept.keys()).collect();
    for subject in subjects {
        let (want, have) = (recounted.get(subject).copied().unwrap_or(0), kept.get(subject).copied().unwrap_or(0));
        if want != have {
            failures.push(format!("the stored count {subject:?} is {have}, a recount finds {want}"));
        }
    }
}

/// Each owned article holds a version between the last acknowledged and the last sent,
/// whole (headline, standfirst and body of one version), with one revision per version.
fn check_owned_articles(
    stored: &Stored,
    owned: &[OwnedArticle],
    round: &Round,
    failures: &mut Vec<String>,
) -> Vec<OwnedArticle> {
    let mut now = Vec::new();
    for article in owned {
        let versions = round.sent.iter().filter_map(|s| match s.write {
            Write::Update { writer, version } if writer == article.writer => Some((version, &s.outcome)),
            _ => None,
        });
        let (mut acknowledged, mut sent) = (article.version, article.version);
        for (version, outcome) in versions {
            if *outcome == Outcome::Acknowledged {
                acknowledged = acknowledged.max(version);
            }
            if matches!(outcome, Outcome::Acknowledged | Outcome::Unanswered) {
                sent = sent.max(version);
            }
        }
        let Some(row) = stored.articles.get(&article.target.id) else {
            failures.push(format!("owned article {} is gone", article.writer));
            continue;
        };
        let version = (acknowledged..=sent).find(|v| owned_text(article.writer, *v).0 == row.headline);
        let Some(version) = version else {
            failures.push(format!(
                "owned article {} reads {:?}; versions {acknowledged} to {sent} were allowed",
                article.writer, row.headline
            ));
            continue;
        };
        let (headline, standfirst, body) = owned_text(article.writer, version);
        if row.standfirst.as_deref() != Some(standfirst.as_str()) || row.body_markdown != body {
            failures.push(format!("owned article {} is half-written: {row:?}", article.writer));
        }
        let revisions = stored.revisions.get(&row.id).map_or(&[][..], Vec::as_slice);
        let numbers: Vec<i32> = revisions.iter().map(|r| r.number).collect();
        let expected: Vec<i32> = (1..=version as i32 + 1).collect();
        if numbers != expected {
            failures.push(format!("owned article {} at version {version} has revisions {numbers:?}", article.writer));
        }
        for (revision, text_version) in revisions.iter().zip(0..) {
            let (h, s, b) = owned_text(article.writer, text_version);
            if revision.headline != h
                || revision.standfirst.as_deref() != Some(s.as_str())
                || revision.body_markdown != b
            {
                failures
                    .push(format!("owned article {}: revision {} is {revision:?}", article.writer, revision.number));
            }
        }
        if revisions.last().is_some_and(|r| r.headline != headline) {
            failures.push(format!("owned article {}: the last revision is not the article", article.writer));
        }
        now.push(OwnedArticle { version, ..article.clone() });
    }
    now
}

/// Each new article has its one revision and its one tag, `crash`, stored once.
fn check_created_articles(stored: &Stored, failures: &mut Vec<String>) {
    let crash_tags: Vec<i64> = stored.tags.iter().filter(|t| t.name == "crash").map(|t| t.id).collect();
    for created in stored.articles.values().filter(|a| a.headline.starts_with("Crash created")) {
        let revisions = stored.revisions.get(&created.id).map_or(0, Vec::len);
        let tags: Vec<i64> =
            stored.article_tags.iter().filter(|t| t.article_id == created.id).map(|t| t.tag_id).collect();
        if revisions != 1 || tags.len() != 1 || crash_tags != tags {
            failures.push(format!(
                "{:?} has {revisions} revisions and tags {tags:?} (the crash tag: {crash_tags:?})",
                created.headline
            ));
        }
    }
}

/// No comment, revision, tag link or stored count points at a row that is not there.
fn check_no_orphans(stored: &Stored, failures: &mut Vec<String>) {
    let comments: HashMap<i64, &comment::Model> = stored.comments.iter().map(|c| (c.id, c)).collect();
    let tags: HashSet<i64> = stored.tags.iter().map(|t| t.id).collect();
    for comment in &stored.comments {
        let parent_elsewhere =
            comment.parent_id.is_some_and(|p| comments.get(&p).is_none_or(|p| p.article_id != comment.article_id));
        if !stored.articles.contains_key(&comment.article_id) || parent_elsewhere {
            failures.push(format!("comment {} hangs under nothing: {comment:?}", comment.id));
        }
    }
    for article_id in stored.revisions.keys().filter(|id| !stored.articles.contains_key(id)) {
        failures.push(format!("revisions of the missing article {article_id}"));
    }
    for link in &stored.article_tags {
        if !stored.articles.contains_key(&link.article_id) || !tags.contains(&link.tag_id) {
            failures.push(format!("a tag link to nothing: {link:?}"));
        }
    }
    for tally in &stored.tallies {
        let subject_there = match tally.kind {
            TallyKind::Article | TallyKind::TopLevel => stored.articles.contains_key(&tally.subject_id),
            TallyKind::Replies => comments.contains_key(&tally.subject_id),
        };
        if !subject_there {
            failures.push(format!("a stored count of nothing: {tally:?}"));
        }
    }
}

/// `PRAGMA integrity_check` is `ok`, `PRAGMA foreign_key_check` finds nothing, and the
/// search index agrees with the articles it indexes.
async fn check_sqlite_file(db: &DatabaseConnection, failures: &mut Vec<String>) {
    let rows = |sql: &str| db.query_all_raw(Statement::from_string(db.get_database_backend(), sql));
    let integrity = rows("PRAGMA integrity_check").await.unwrap();
    let verdict: Vec<String> = integrity.iter().map(|r| r.try_get::<String>("", "integrity_check").unwrap()).collect();
    if verdict != ["ok"] {
        failures.push(format!("PRAGMA integrity_check: {verdict:?}"));
    }
    let broken_keys = rows("PRAGMA foreign_key_check").await.unwrap();
    if !broken_keys.is_empty() {
        failures.push(format!("PRAGMA foreign_key_check finds {} rows", broken_keys.len()));
    }
    // With rank 1, FTS5 also compares the index with the external content table.
    let fts = "INSERT INTO article_search(article_search, rank) VALUES ('integrity-check', 1)";
    if let Err(error) = db.execute_unprepared(fts).await {
        failures.push(format!("the search index does not match the articles: {error}"));
    }
}

/// What readers and editors see through the API after the restart: comment counts as
/// stored, owned articles at their version with their revisions, and search finding each
/// owned article by its current text only.
async fn check_api(api: &Api, token: &str, content: &Content, database: &TestDatabase) {
    let db = newsroom::db::connect(&database.url, 1).await.expect("the database opens");
    let stored = Stored::read(&db).await;
    let _ = db.close().await;
    let recounted = stored.recounted_tallies();
    let count =
        "query($id: ID!) { node(id: $id) { ... on Article { commentCount comments(first: 1) { totalCount } } } }";
    for target in &content.commented {
        let data = api.must(None, count, json!({ "id": target.api_id })).await;
        let visible = recounted.get(&(TallyKind::Article, target.id)).copied().unwrap_or(0);
        let top_level = recounted.get(&(TallyKind::TopLevel, target.id)).copied().unwrap_or(0);
        assert_eq!(data["node"]["commentCount"], visible, "commentCount of {target:?} on {}", database.name());
        assert_eq!(data["node"]["comments"]["totalCount"], top_level, "top-level comments of {target:?}");
    }
    let revisions = "query($id: ID!) { node(id: $id) { ... on Article { headline revisions { number } } } }";
    let search = "query($q: String!) { searchArticles(query: $q) { nodes { id } } }";
    for owned in &content.owned {
        let data = api.must(Some(token), revisions, json!({ "id": owned.target.api_id })).await;
        assert_eq!(data["node"]["headline"], owned_text(owned.writer, owned.version).0, "{}", database.name());
        let count = data["node"]["revisions"].as_array().map(Vec::len);
        assert_eq!(count, Some(owned.version as usize + 1), "revisions of owned article {}", owned.writer);
        let found = api.must(Some(token), search, json!({ "q": search_word(owned.writer, owned.version) })).await;
        let ids: Vec<&str> =
            found["searchArticles"]["nodes"].as_array().unwrap().iter().filter_map(|n| n["id"].as_str()).collect();
        assert_eq!(
            ids,
            [owned.target.api_id.as_str()],
            "search for the current text of owned article {}",
            owned.writer
        );
        if owned.version > 0 {
            let old = api.must(Some(token), search, json!({ "q": search_word(owned.writer, owned.version - 1) })).await;
            assert_eq!(
                old["searchArticles"]["nodes"],
                json!([]),
                "search still finds the old text of owned article {}",
                owned.writer
            );
        }
    }
}

/// The whole run on one database: content, then rounds of burst, kill, restart and checks.
async fn kill_in_the_middle_of_writes(database: TestDatabase) {
    let settings = Settings::from_env();
    let started = Instant::now();
    database.command(
        &settings.server,
        &["user", "add", "--email", EDITOR_EMAIL, "--name", "Crash Editor", "--role", "editor"],
    );
    let token = database.command(&settings.server, &["token", "--sub", EDITOR_EMAIL, "--ttl", "6h"]);
    let mut server = Server::start(&settings.server, &database).await;
    let mut content = Content::create(&Api::new(&server), &token).await;
    let mut ledger = Ledger::default();
    for number in 1..=settings.rounds {
        let round = burst_then_kill(&mut server, &content, &token, number, settings.burst).await;
        ledger.sent.extend(round.sent.iter().cloned());
        let refused = ledger.refused();
        assert!(refused.is_empty(), "{}: writes answered with errors: {refused:#?}\n{}", database.name(), server.log());
        let restarted = Instant::now();
        server = Server::start(&settings.server, &database).await;
        let (committed, owned) = check_database(&database, &ledger, &content.owned, &round).await;
        content.owned = owned;
        check_api(&Api::new(&server), &token, &content, &database).await;
        let acknowledged = round.sent.iter().filter(|s| s.outcome == Outcome::Acknowledged).count();
        let unanswered = round.sent.iter().filter(|s| s.outcome == Outcome::Unanswered).count();
        eprintln!(
            "crash safety, {} round {number}/{}: {acknowledged} writes acknowledged, {} in flight at the kill \
             ({unanswered} cut off, {committed} of them committed), restart and checks {:.1?}",
            database.name(),
            settings.rounds,
            round.in_flight,
            restarted.elapsed()
        );
    }
    let panics = server.log().matches("panicked").count();
    assert_eq!(panics, 0, "the server panicked: {}", server.log());
    let cut_off = ledger.count(&Outcome::Unanswered);
    assert!(cut_off > 0, "no kill caught a write in flight in {} rounds", settings.rounds);
    eprintln!(
        "crash safety, {}: {} rounds, {} writes acknowledged, {cut_off} cut off by a kill, {:.1?}",
        database.name(),
        settings.rounds,
        ledger.count(&Outcome::Acknowledged),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_through_kills() {
    kill_in_the_middle_of_writes(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn postgres_keeps_every_acknowledged_write_through_kills() {
    let database = TestDatabase::postgres().await;
    kill_in_the_middle_of_writes(database.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built")).await;
}

/// A `synchronous` level the server does not offer stops it at start, naming the levels it does.
#[test]
fn an_unknown_synchronous_level_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_newsroom"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite:{}", dir.path().join("n.db").display()))
        .env("NEWSROOM_LISTEN", "127.0.0.1:0")
        .env("NEWSROOM_SQLITE_SYNCHRONOUS", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("'off'") && stderr.contains("normal, full, extra"), "{stderr}");
    assert!(!dir.path().join("n.db").exists(), "the database was opened before the setting was checked");
}
