//! The soak: mixed reads and writes ([`workload::SOAK_MIX`]) against the release server
//! with its default settings (response cache on; rate limits lifted) for a fixed time on
//! each database, reported window by window: requests, errors, latency, the server's
//! resident memory and the response cache's hits.
//!
//! It fails when any request fails, and (except in a smoke run, too short for memory to
//! settle) when the resident memory at the end is 10% or more above what it was once warm.
//! Its figures go to `--soak-json`, and the report (`BENCHMARKS.md`) shows them, also when
//! the benchmark writes the report again.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::load::{self, Call};
use crate::server::{Rss, Server};
use crate::workload::{self, Workload};
use crate::{Args, Machine, write};

/// The end's resident memory must stay below the warm start's by this factor.
pub const MAX_RSS_GROWTH: f64 = 0.10;
/// The share of the run before the resident memory counts as warm.
const WARMUP_SHARE: f64 = 0.2;

const MIB: f64 = 1024.0 * 1024.0;
/// How many of the newest articles the soak reads, comments on and updates.
const ARTICLES: usize = 1_000;
const SMOKE_ARTICLES: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Soak {
    pub date: String,
    pub commit: String,
    pub machine: Machine,
    pub smoke: bool,
    pub connections: usize,
    pub seconds: f64,
    pub window_seconds: f64,
    pub warmup_seconds: f64,
    /// Of the newest articles, how many the soak reads, comments on and updates.
    pub articles: usize,
    /// The deepest page of the largest section the soak reads.
    pub deep_page: usize,
    pub dataset: newsroom::bench_data::Shape,
    pub mix: Vec<Share>,
    pub runs: Vec<SoakRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Share {
    pub name: String,
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoakRun {
    pub database: String,
    pub requests: u64,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Resident memory at the end of the first window past the warm-up, and of the last.
    pub rss_start_mib: f64,
    pub rss_end_mib: f64,
    pub rss_growth_percent: f64,
    pub peak_rss_mib: f64,
    pub windows: Vec<Window>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Window {
    /// Seconds from the start of the soak to the end of this window.
    pub end_seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub rss_mib: f64,
    /// Anonymous queries answered from the response cache, of all anonymous queries.
    pub cache_hit_percent: f64,
    /// What the response cache held at the end of the window.
    #[serde(default)]
    pub cache_mib: f64,
    /// The size of SQLite's write-ahead log at the end of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_mib: Option<f64>,
    /// The machine's load average over the last minute, at the end of the window.
    pub load_average: f64,
}

impl SoakRun {
    /// Whether the run met the bars: no failed request, and (for a full run) resident
    /// memory grown by less than [`MAX_RSS_GROWTH`] once warm.
    pub fn met(&self, smoke: bool) -> bool {
        self.requests > 0 && self.errors == 0 && (smoke || self.rss_growth_percent < MAX_RSS_GROWTH * 100.0)
    }
}

/// The soak's figures recorded at `path`, if there are any.
pub fn recorded(path: &Path) -> Result<Option<Soak>, String> {
    if path.exists() { crate::read_json(path).map(Some) } else { Ok(None) }
}

pub async fn run(args: &Args, shape: newsroom::bench_data::Shape) -> Result<(), String> {
    let (seconds, window, articles) =
        if args.smoke { (3.0, 1.0, SMOKE_ARTICLES) } else { (args.soak_seconds, args.soak_window, ARTICLES) };
    let (data, _) = crate::dataset(args, &shape)?;
    let mut runs = Vec::new();
    for (database, url) in crate::databases_to_measure(args).await? {
        eprintln!("== soak on {database}");
        crate::run_cli(&args.server, &["--database-url", &url, "import", crate::path_str(&data)?])?;
        let ttl = format!("{}s", seconds.ceil() as u64 + 3600);
        let token = crate::editor_token(&args.server, &url, &ttl)?;
        let log = args.work_dir.join(format!("server-{database}-soak.log"));
        let server = Server::start(&args.server, &url, &crate::rate_limits_lifted(), &workload::probe(), &log).await?;
        let result = soak_one(args, &server, database, articles, &token, seconds, window).await;
        server.stop().await;
        runs.push(result?);
    }
    let soak = Soak {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: crate::commit(),
        machine: crate::machine(),
        smoke: args.smoke,
        connections: args.connections,
        seconds,
        window_seconds: window,
        warmup_seconds: seconds * WARMUP_SHARE,
        articles,
        deep_page: workload::deep_page(args.smoke),
        dataset: shape,
        mix: workload::SOAK_MIX
            .iter()
            .map(|(name, twentieths)| Share { name: (*name).to_owned(), percent: f64::from(*twentieths) * 5.0 })
            .collect(),
        runs,
    };
    record(args, &soak)?;
    let failed: Vec<String> = soak
        .runs
        .iter()
        .filter(|run| !run.met(soak.smoke))
        .map(|run| {
            format!(
                "{}: {} errors of {} requests (first: {}); resident memory {:.1} -> {:.1} MiB ({:+.1}%)",
                run.database,
                run.errors,
                run.requests,
                run.first_error.as_deref().unwrap_or("-"),
                run.rss_start_mib,
                run.rss_end_mib,
                run.rss_growth_percent
            )
        })
        .collect();
    if failed.is_empty() { Ok(()) } else { Err(format!("the soak failed:\n{}", failed.join("\n"))) }
}

/// Writes the figures, and the report with them; a smoke run writes the figures and its
/// section of the report to the work directory instead.
fn record(args: &Args, soak: &Soak) -> Result<(), String> {
    let json = serde_json::to_string_pretty(soak).map_err(|e| e.to_string())?;
    if soak.smoke {
        let (json_path, markdown_path) = (args.work_dir.join("soak.json"), args.work_dir.join("soak.md"));
        write(&json_path, &json)?;
        write(&markdown_path, &crate::report::soak(soak))?;
        eprintln!("wrote {} and {}", json_path.display(), markdown_path.display());
        return Ok(());
    }
    write(&args.soak_json, &json)?;
    let results: crate::Results = crate::read_json(&args.json)?;
    write(&args.markdown, &crate::report::markdown(&results, Some(soak)))?;
    eprintln!("wrote {} and {}", args.soak_json.display(), args.markdown.display());
    Ok(())
}

/// Drives the mix at `server` for `seconds`, window by window.
async fn soak_one(
    args: &Args,
    server: &Server,
    database: String,
    articles: usize,
    token: &str,
    seconds: f64,
    window: f64,
) -> Result<SoakRun, String> {
    let workload = Workload::discover(server.addr, args.smoke).await?;
    let calls = workload.soak_calls(server.addr, articles, token).await?;
    check_each(server, &calls).await?;
    let mix = workload::soak_mix(&calls);
    let warmup = seconds * WARMUP_SHARE;
    let started = Instant::now();
    let mut windows: Vec<Window> = Vec::new();
    let mut first_error = None;
    let mut cache = CacheCounts::read(server).await?;
    let mut wal = crate::sqlite_file(&args.work_dir).into_os_string();
    wal.push("-wal");
    while started.elapsed().as_secs_f64() < seconds {
        let left = seconds - started.elapsed().as_secs_f64();
        let outcome = load::run(server.addr, &mix, args.connections, Duration::from_secs_f64(window.min(left))).await;
        let now = CacheCounts::read(server).await?;
        let rss_mib = server.rss_mib(Rss::Now).ok_or("cannot read the server's resident memory")?;
        let cache_mib = server.counter("newsroom_response_cache_bytes").await? as f64 / MIB;
        let wal_mib = (database == "sqlite").then(|| std::fs::metadata(&wal).map_or(0.0, |m| m.len() as f64 / MIB));
        let measured = Window {
            end_seconds: started.elapsed().as_secs_f64(),
            requests: outcome.requests,
            errors: outcome.errors,
            requests_per_second: outcome.requests_per_second,
            p50_ms: outcome.p50_ms,
            p99_ms: outcome.p99_ms,
            max_ms: outcome.max_ms,
            rss_mib,
            cache_hit_percent: now.hit_percent_since(&cache),
            cache_mib,
            wal_mib,
            load_average: load_average(),
        };
        eprintln!(
            "  {:>5.0} s {:>7} req {:>3} errors  p50 {:>7.2} ms  p99 {:>7.2} ms  RSS {:>6.1} MiB  cache {:>5.1} MiB, hits {:>4.1}%  WAL {:>6} MiB  load {:.2}",
            measured.end_seconds,
            measured.requests,
            measured.errors,
            measured.p50_ms,
            measured.p99_ms,
            measured.rss_mib,
            measured.cache_mib,
            measured.cache_hit_percent,
            measured.wal_mib.map_or("-".to_owned(), |wal| format!("{wal:.1}")),
            measured.load_average
        );
        first_error = first_error.or(outcome.first_error);
        cache = now;
        windows.push(measured);
    }
    let warm = windows.iter().find(|w| w.end_seconds >= warmup).or(windows.last()).ok_or("no window ran")?;
    let (rss_start_mib, rss_end_mib) = (warm.rss_mib, windows.last().map_or(warm.rss_mib, |w| w.rss_mib));
    Ok(SoakRun {
        database,
        requests: windows.iter().map(|w| w.requests).sum(),
        errors: windows.iter().map(|w| w.errors).sum(),
        first_error,
        rss_start_mib,
        rss_end_mib,
        rss_growth_percent: (rss_end_mib / rss_start_mib - 1.0) * 100.0,
        peak_rss_mib: server.rss_mib(Rss::Peak).unwrap_or(0.0),
        windows,
    })
}

/// Sends one request of each kind, so that a refused token or a wrong document fails at
/// once rather than as the soak's errors.
async fn check_each(server: &Server, calls: &[(&'static str, Call)]) -> Result<(), String> {
    for (name, call) in calls {
        let (status, body) = load::fetch(server.addr, call).await?;
        if status != 200 || memchr::memmem::find(&body, b"\"errors\"").is_some() {
            return Err(format!("{name} failed ({status}): {}", String::from_utf8_lossy(&body)));
        }
    }
    Ok(())
}

/// The response cache's counters at one moment.
struct CacheCounts {
    hits: u64,
    misses: u64,
}

impl CacheCounts {
    async fn read(server: &Server) -> Result<CacheCounts, String> {
        Ok(CacheCounts {
            hits: server.counter("newsroom_response_cache_hits_total").await?,
            misses: server.counter("newsroom_response_cache_misses_total").await?,
        })
    }

    fn hit_percent_since(&self, earlier: &CacheCounts) -> f64 {
        let hits = self.hits.saturating_sub(earlier.hits) as f64;
        let misses = self.misses.saturating_sub(earlier.misses) as f64;
        if hits + misses == 0.0 { 0.0 } else { hits * 100.0 / (hits + misses) }
    }
}

/// The machine's load average over the last minute: other work on it slows the soak.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}
