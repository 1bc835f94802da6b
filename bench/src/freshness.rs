//! Reads while editors write, on PostgreSQL with the response cache on:
//!
//! - `breaking_news_elsewhere`: the cached article page while an editor updates other
//!   articles 20 times a second, beside the same page with no writes;
//! - `breaking_news_live`: the cached article page while 5 comments a second are approved
//!   on it, and how soon a reader's page shows each;
//! - `propagation`: how soon a write made through one server process shows through
//!   another on the same database.
//!
//! PostgreSQL only: a SQLite file has one server process.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::Args;
use crate::load::{self, Call, Client, Outcome, Tally};
use crate::server::Server;
use crate::workload::{self, PageArticle};

pub const SCENARIOS: [&str; 3] = ["breaking_news_elsewhere", "breaking_news_live", "propagation"];

const ELSEWHERE_WRITES_PER_SECOND: f64 = 20.0;
/// How many other articles the editor of `breaking_news_elsewhere` updates in turn.
const ELSEWHERE_ARTICLES: usize = 20;
const COMMENTS_PER_SECOND: f64 = 5.0;
/// How often a reader waiting for a change asks for the page again.
const POLL: Duration = Duration::from_millis(5);
/// The no-write and the busy run take turns this often; each is measured for a share of
/// `--seconds`.
const TURNS: usize = 3;
/// A smoke run's `propagation`: a few writes, each waited for briefly.
const SMOKE_PROPAGATION_WRITES: usize = 4;
const SMOKE_CHANGE_TIMEOUT: Duration = Duration::from_millis(200);

/// The bars.
const ELSEWHERE_SHARE: f64 = 0.8;
const ELSEWHERE_P99_MS: f64 = 10.0;
const LIVE_SHARE: f64 = 0.6;
const LIVE_P99_MS: f64 = 50.0;
const LIVE_SHOWN_MS: f64 = 1000.0;
const PROPAGATION_P99_MS: f64 = 500.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Freshness {
    pub database: String,
    pub turns: usize,
    pub warmup_seconds: f64,
    /// Seconds each run of a turn is measured.
    pub turn_seconds: f64,
    pub poll_ms: f64,
    /// How long a reader waits for a change before it counts as missed.
    pub change_timeout_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_news_elsewhere: Option<PageUnderWrites>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_news_live: Option<LiveComments>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation: Option<Propagation>,
}

/// The cached article page with no writes (`quiet`) and under writes (`busy`), in turns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageUnderWrites {
    pub quiet: Outcome,
    pub busy: Outcome,
    /// The busy rate over the quiet one.
    pub share_of_quiet: f64,
    pub writes: Writes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Writes {
    pub asked_per_second: f64,
    pub acknowledged: u64,
    /// Acknowledged writes per second of the busy runs.
    pub per_second: f64,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveComments {
    #[serde(flatten)]
    pub page: PageUnderWrites,
    /// From each approval's acknowledgement until a reader's page showed the comment.
    pub shown: Delays,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Propagation {
    /// From each write's acknowledgement by the first process until the second showed it.
    pub delays: Delays,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// How long changes took to show; `None` where the quantile fell on a change that did not
/// show within the timeout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delays {
    pub changes: usize,
    pub missed: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// One bar and whether a run met it.
pub struct Verdict {
    pub scenario: &'static str,
    pub bar: String,
    pub measured: String,
    pub met: bool,
}

/// How long each part runs.
struct Plan {
    connections: usize,
    turns: usize,
    warmup: Duration,
    measured: Duration,
    propagation_writes: usize,
    change_timeout: Duration,
}

/// Numbers the writes of the whole run, so that no two comments have the same body.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Runs the scenarios `--only` asks for (all by default) on the imported PostgreSQL
/// database `url`.
pub async fn run(args: &Args, url: &str, seconds: f64, warmup: f64) -> Result<Freshness, String> {
    let turns = if args.smoke { 1 } else { TURNS };
    let plan = Plan {
        connections: args.connections,
        turns,
        warmup: Duration::from_secs_f64(warmup),
        measured: Duration::from_secs_f64(seconds / turns as f64),
        propagation_writes: if args.smoke { SMOKE_PROPAGATION_WRITES } else { args.propagation_writes },
        change_timeout: if args.smoke { SMOKE_CHANGE_TIMEOUT } else { Duration::from_secs_f64(args.change_timeout) },
    };
    let token: Arc<str> = crate::editor_token(&args.server, url, "12h")?.into();
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|only| only == name);
    let mut freshness = Freshness {
        database: "postgres".into(),
        turns,
        warmup_seconds: warmup,
        turn_seconds: plan.measured.as_secs_f64(),
        poll_ms: POLL.as_secs_f64() * 1000.0,
        change_timeout_seconds: plan.change_timeout.as_secs_f64(),
        breaking_news_elsewhere: None,
        breaking_news_live: None,
        propagation: None,
    };
    if wanted("breaking_news_elsewhere") {
        let server = start(args, url, "breaking_news_elsewhere").await?;
        let measured = breaking_news_elsewhere(server.addr, &token, &plan).await;
        server.stop().await;
        freshness.breaking_news_elsewhere = Some(measured?);
    }
    if wanted("breaking_news_live") {
        let server = start(args, url, "breaking_news_live").await?;
        let measured = breaking_news_live(server.addr, &token, &plan).await;
        server.stop().await;
        freshness.breaking_news_live = Some(measured?);
    }
    if wanted("propagation") {
        let (a, b) = (start(args, url, "propagation-a").await?, start(args, url, "propagation-b").await?);
        let measured = propagation(a.addr, b.addr, &token, &plan).await;
        a.stop().await;
        b.stop().await;
        freshness.propagation = Some(measured?);
    }
    Ok(freshness)
}

/// A server with its default settings (response cache on) and comment rate limits lifted,
/// logging to a file named after `name`.
async fn start(args: &Args, url: &str, name: &str) -> Result<Server, String> {
    let log = args.work_dir.join(format!("server-postgres-{name}.log"));
    Server::start(&args.server, url, &crate::rate_limits_lifted(), &workload::probe(), &log).await
}

async fn breaking_news_elsewhere(addr: SocketAddr, token: &Arc<str>, plan: &Plan) -> Result<PageUnderWrites, String> {
    let article = PageArticle::find(addr).await?;
    let others: Arc<[String]> = article.elsewhere(addr, ELSEWHERE_ARTICLES).await?.into();
    let token = token.clone();
    let update = move |n: u64| {
        let id = &others[(n % others.len() as u64) as usize];
        let call = workload::update_standfirst(&token, id, &format!("Standfirst as of update {n} elsewhere."));
        async move { Client::new(addr).data(&call).await.map(|_| ()) }
    };
    let (measured, _) = page_under_writes(addr, &article.page(), plan, ELSEWHERE_WRITES_PER_SECOND, update).await;
    print("breaking_news_elsewhere", &figures(&measured), &[elsewhere_verdict(&measured)]);
    Ok(measured)
}

async fn breaking_news_live(addr: SocketAddr, token: &Arc<str>, plan: &Plan) -> Result<LiveComments, String> {
    let article = PageArticle::find(addr).await?;
    let (article_id, token, change_timeout) =
        (Arc::<str>::from(article.id.as_str()), token.clone(), plan.change_timeout);
    let reader_page = article.page_newest_comments_first();
    let approve_and_watch = move |n: u64| {
        let add = workload::add_comment(&article_id, &format!("Live comment number {n}."));
        let (token, reader_page) = (token.clone(), reader_page.clone());
        async move {
            let mut client = Client::new(addr);
            let added = client.data(&add).await?;
            let id = added["addComment"]["id"].as_str().ok_or("addComment answered no id")?.to_owned();
            client.data(&workload::approve_comment(&token, &id)).await?;
            watch(&mut client, &reader_page, &format!("\"{id}\""), Instant::now(), change_timeout).await
        }
    };
    let (page, delays) = page_under_writes(addr, &article.page(), plan, COMMENTS_PER_SECOND, approve_and_watch).await;
    let timeout = plan.change_timeout.as_secs_f64();
    let live = LiveComments { shown: Delays::of(&delays), page };
    print(
        "breaking_news_live",
        &format!("{}; {}", figures(&live.page), live.shown.text(timeout)),
        &live_verdicts(&live, timeout),
    );
    Ok(live)
}

async fn propagation(a: SocketAddr, b: SocketAddr, token: &Arc<str>, plan: &Plan) -> Result<Propagation, String> {
    let article = PageArticle::find(a).await?;
    let page = article.page();
    let (mut writer, mut reader) = (Client::new(a), Client::new(b));
    // B holds the page in its cache before the first write, as a busy site's would.
    reader.body(&page).await?;
    let (mut delays, mut errors, mut first_error) = (Vec::new(), 0, None);
    for i in 0..plan.propagation_writes {
        let (write, shows) = propagation_write(token, &article, i);
        let delay = match writer.data(&write).await {
            Ok(_) => watch(&mut reader, &page, &shows, Instant::now(), plan.change_timeout).await,
            Err(error) => Err(error),
        };
        match delay {
            Ok(delay) => delays.push(delay),
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(error);
            }
        }
    }
    let timeout = plan.change_timeout.as_secs_f64();
    let measured = Propagation { delays: Delays::of(&delays), errors, first_error };
    let figures = format!("{}; {errors} errors", measured.delays.text(timeout));
    print("propagation", &figures, &[propagation_verdict(&measured, timeout)]);
    Ok(measured)
}

/// The `i`th write of `propagation`, and what the page shows once it is seen: a new
/// standfirst of the article, or every other time a new name of its section (which the
/// server keeps in its section tree rather than in the response cache).
fn propagation_write(token: &Arc<str>, article: &PageArticle, i: usize) -> (Call, String) {
    if i.is_multiple_of(2) {
        let standfirst = format!("Standfirst of propagation write {i}.");
        (workload::update_standfirst(token, &article.id, &standfirst), format!("\"{standfirst}\""))
    } else {
        let name = format!("Section renamed by propagation write {i}");
        (workload::rename_section(token, &article.section_id, &name), format!("\"{name}\""))
    }
}

/// Asks for `page` as an anonymous reader every [`POLL`] until its answer holds `needle`:
/// how long after `since` it first did, or `None` when it did not within `timeout`.
async fn watch(
    client: &mut Client,
    page: &Call,
    needle: &str,
    since: Instant,
    timeout: Duration,
) -> Result<Option<Duration>, String> {
    loop {
        let body = client.body(page).await?;
        let waited = since.elapsed();
        if waited > timeout {
            return Ok(None);
        }
        if memchr::memmem::find(&body, needle.as_bytes()).is_some() {
            return Ok(Some(waited));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Reads `page` in turns: with no writes, then while `write(n)` runs `per_second` times a
/// second. Answers the figures, and what the writes that succeeded answered.
async fn page_under_writes<T, W, F>(
    addr: SocketAddr,
    page: &Call,
    plan: &Plan,
    per_second: f64,
    write: W,
) -> (PageUnderWrites, Vec<T>)
where
    T: Send + 'static,
    W: Fn(u64) -> F + Clone + Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    let (mut quiet, mut busy) = (Tally::default(), Tally::default());
    let (mut answers, mut writing_seconds) = (Vec::new(), 0.0);
    for _ in 0..plan.turns {
        quiet.add(read(addr, page, plan).await);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = at_rate(per_second, stop.clone(), write.clone());
        busy.add(read(addr, page, plan).await);
        stop.store(true, Ordering::Relaxed);
        let (written, seconds) = writer.await.unwrap_or_else(|error| (vec![Err(error.to_string())], 0.0));
        answers.extend(written);
        writing_seconds += seconds;
    }
    let (quiet, busy) = (quiet.outcome(), busy.outcome());
    let (writes, succeeded) = tally_writes(answers, per_second, writing_seconds);
    let share_of_quiet = busy.requests_per_second / quiet.requests_per_second;
    (PageUnderWrites { quiet, busy, share_of_quiet, writes }, succeeded)
}

/// `page` at the plan's concurrency: warmed up, then measured.
async fn read(addr: SocketAddr, page: &Call, plan: &Plan) -> Tally {
    load::measure(addr, page, plan.connections, plan.warmup).await;
    load::measure(addr, page, plan.connections, plan.measured).await
}

/// Starts `job(n)` `per_second` times a second until `stop` is set, each in a task of its
/// own so that a slow one does not hold the next back. Answers what they answered, once
/// all have, and for how many seconds they were started.
fn at_rate<T, W, F>(per_second: f64, stop: Arc<AtomicBool>, job: W) -> JoinHandle<(Vec<Result<T, String>>, f64)>
where
    T: Send + 'static,
    W: Fn(u64) -> F + Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    tokio::spawn(async move {
        let started = Instant::now();
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
        let mut jobs = Vec::new();
        loop {
            ticks.tick().await;
            if stop.load(Ordering::Relaxed) {
                break;
            }
            jobs.push(tokio::spawn(job(WRITES.fetch_add(1, Ordering::Relaxed))));
        }
        let seconds = started.elapsed().as_secs_f64();
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            answers.push(job.await.unwrap_or_else(|error| Err(error.to_string())));
        }
        (answers, seconds)
    })
}

/// The writes' figures, and the answers of those that succeeded.
fn tally_writes<T>(answers: Vec<Result<T, String>>, asked_per_second: f64, seconds: f64) -> (Writes, Vec<T>) {
    let (mut succeeded, mut errors, mut first_error) = (Vec::new(), 0, None);
    for answer in answers {
        match answer {
            Ok(answer) => succeeded.push(answer),
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(error);
            }
        }
    }
    let acknowledged = succeeded.len() as u64;
    let per_second = acknowledged as f64 / seconds;
    (Writes { asked_per_second, acknowledged, per_second, errors, first_error }, succeeded)
}

impl Delays {
    fn of(delays: &[Option<Duration>]) -> Delays {
        // Missed changes sort last, as longer than any seen.
        let mut ms: Vec<Option<f64>> = delays.iter().map(|d| d.map(|d| d.as_secs_f64() * 1000.0)).collect();
        ms.sort_by(|a, b| match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(b),
            _ => a.is_none().cmp(&b.is_none()),
        });
        let quantile = |q: f64| {
            let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len().max(1));
            ms.get(rank - 1).copied().flatten()
        };
        Delays {
            changes: ms.len(),
            missed: ms.iter().filter(|d| d.is_none()).count(),
            p50_ms: quantile(0.50),
            p99_ms: quantile(0.99),
            max_ms: ms.last().copied().flatten(),
        }
    }

    pub fn text(&self, timeout_seconds: f64) -> String {
        format!(
            "{} of {} shown within {timeout_seconds} s; p50 {}, p99 {}, at most {}",
            self.changes - self.missed,
            self.changes,
            delay_text(self.p50_ms, timeout_seconds),
            delay_text(self.p99_ms, timeout_seconds),
            delay_text(self.max_ms, timeout_seconds)
        )
    }
}

/// A delay in milliseconds, or that it was past the timeout.
fn delay_text(ms: Option<f64>, timeout_seconds: f64) -> String {
    match ms {
        Some(ms) => format!("{ms:.1} ms"),
        None => format!("over {timeout_seconds} s"),
    }
}

fn figures(page: &PageUnderWrites) -> String {
    format!(
        "{:.0} req/s ({:.1}% of {:.0} with no writes), p99 {:.2} ms, {} errors; writes {} at {:.1}/s, {} failed",
        page.busy.requests_per_second,
        page.share_of_quiet * 100.0,
        page.quiet.requests_per_second,
        page.busy.p99_ms,
        page.busy.errors + page.quiet.errors,
        page.writes.acknowledged,
        page.writes.per_second,
        page.writes.errors
    )
}

impl Freshness {
    /// Each bar of the scenarios that ran, and whether this run met it.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let timeout = self.change_timeout_seconds;
        let mut verdicts = Vec::new();
        verdicts.extend(self.breaking_news_elsewhere.as_ref().map(elsewhere_verdict));
        verdicts.extend(self.breaking_news_live.as_ref().into_iter().flat_map(|live| live_verdicts(live, timeout)));
        verdicts.extend(self.propagation.as_ref().map(|propagation| propagation_verdict(propagation, timeout)));
        verdicts
    }

    /// The failed requests, for the run to fail on.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |what: &str, requests: u64, errors: u64, first_error: &Option<String>| {
            if errors > 0 || requests == 0 {
                let first = first_error.as_deref().unwrap_or("-");
                failures
                    .push(format!("{} {what}: {errors} errors of {requests} requests; first: {first}", self.database));
            }
        };
        let pages = [
            ("breaking_news_elsewhere", self.breaking_news_elsewhere.as_ref()),
            ("breaking_news_live", self.breaking_news_live.as_ref().map(|live| &live.page)),
        ];
        for (name, page) in pages {
            let Some(page) = page else { continue };
            for (run, o) in [("with no writes", &page.quiet), ("under writes", &page.busy)] {
                check(&format!("{name} {run}"), o.requests, o.errors, &o.first_error);
            }
            let w = &page.writes;
            check(&format!("{name} writes"), w.acknowledged + w.errors, w.errors, &w.first_error);
        }
        if let Some(p) = &self.propagation {
            check("propagation", p.delays.changes as u64 + p.errors, p.errors, &p.first_error);
        }
        failures
    }
}

fn elsewhere_verdict(page: &PageUnderWrites) -> Verdict {
    page_verdict("breaking_news_elsewhere", page, ELSEWHERE_SHARE, ELSEWHERE_P99_MS)
}

fn live_verdicts(live: &LiveComments, timeout_seconds: f64) -> [Verdict; 2] {
    let shown = &live.shown;
    let each_shown = Verdict {
        scenario: "breaking_news_live",
        bar: format!("breaking_news_live: each approved comment on the page within {LIVE_SHOWN_MS:.0} ms"),
        measured: format!(
            "{} comments, at most {}, p99 {}",
            shown.changes,
            delay_text(shown.max_ms, timeout_seconds),
            delay_text(shown.p99_ms, timeout_seconds)
        ),
        met: shown.changes > 0 && shown.max_ms.is_some_and(|max| max < LIVE_SHOWN_MS),
    };
    [page_verdict("breaking_news_live", &live.page, LIVE_SHARE, LIVE_P99_MS), each_shown]
}

fn propagation_verdict(propagation: &Propagation, timeout_seconds: f64) -> Verdict {
    let delays = &propagation.delays;
    Verdict {
        scenario: "propagation",
        bar: format!("propagation: p99 under {PROPAGATION_P99_MS:.0} ms from one process to the other"),
        measured: format!(
            "p99 {} of {} writes ({} not within {timeout_seconds} s)",
            delay_text(delays.p99_ms, timeout_seconds),
            delays.changes,
            delays.missed
        ),
        met: delays.changes > 0 && delays.p99_ms.is_some_and(|p99| p99 < PROPAGATION_P99_MS),
    }
}

fn page_verdict(name: &'static str, page: &PageUnderWrites, share: f64, p99_ms: f64) -> Verdict {
    let o = &page.busy;
    Verdict {
        scenario: name,
        bar: format!(
            "{name}: at least {:.0}% of the no-write cached rate, p99 under {p99_ms:.0} ms, no errors",
            share * 100.0
        ),
        measured: format!(
            "{:.1}% ({:.0} of {:.0} req/s), p99 {:.2} ms, {} errors",
            page.share_of_quiet * 100.0,
            o.requests_per_second,
            page.quiet.requests_per_second,
            o.p99_ms,
            o.errors
        ),
        met: page.share_of_quiet >= share && o.p99_ms < p99_ms && o.errors == 0,
    }
}

/// Prints a scenario's figures with its bars beside them.
fn print(name: &str, figures: &str, verdicts: &[Verdict]) {
    eprintln!("  {name}: {figures}");
    for verdict in verdicts {
        eprintln!("    bar {}: {}: {}", verdict.bar, verdict.measured, if verdict.met { "met" } else { "NOT met" });
    }
}
