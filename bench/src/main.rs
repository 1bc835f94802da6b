//! The load benchmark: generates the dataset, imports it into SQLite and PostgreSQL,
//! starts the release server on each, drives the scenarios at a fixed concurrency, and
//! writes `BENCHMARKS.md` and `bench/results.json`.
//!
//! `--smoke` runs the same steps on a tiny dataset for a fraction of a second each, and
//! fails when any request fails: CI runs it so that the benchmark cannot rot.
//!
//! On PostgreSQL it also measures reads while editors write, and how soon a write made
//! through one server process shows through another (see [`freshness`]).
//!
//! `--soak` runs mixed reads and writes for minutes instead (see [`soak`]).
//!
//! `--peer postgraphile` also measures PostGraphile on the same PostgreSQL tables, in
//! turns with newsroom (see [`peer`]).

mod freshness;
mod load;
mod peer;
mod report;
mod server;
mod soak;
mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use serde::{Deserialize, Serialize};

use load::Outcome;
use server::{Rss, Server};
use workload::Workload;

#[derive(Parser)]
#[command(about = "Load benchmark of the newsroom server")]
struct Args {
    /// A tiny dataset and short runs, to check that the benchmark works.
    #[arg(long)]
    smoke: bool,
    /// Seconds each scenario is measured.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds each scenario runs before it is measured.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// The server binary.
    #[arg(long, default_value = "target/release/newsroom")]
    server: PathBuf,
    /// A PostgreSQL server to create the benchmark database on (any database of it);
    /// without it only SQLite is measured.
    #[arg(long, env = "NEWSROOM_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Where the dataset, the SQLite file and the server logs go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// The report to write.
    #[arg(long, default_value = "BENCHMARKS.md")]
    markdown: PathBuf,
    /// The figures to write, for machines.
    #[arg(long, default_value = "bench/results.json")]
    json: PathBuf,
    /// Measure nothing: write the report again from the figures in `--json`, e.g. after
    /// `bench/analysis.md` changed.
    #[arg(long)]
    render_only: bool,
    /// Measure only these scenarios (comma-separated), the page scenarios with the response
    /// cache off, and write the figures to the work directory instead of the report: for
    /// trying a change. `breaking_news_elsewhere`, `breaking_news_live` and `propagation`
    /// run on PostgreSQL only, with the response cache on; `peer` is the comparison of
    /// `--peer` alone.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// A second server binary to compare with `--server`: with `--only`, both run the
    /// scenarios in turn, `--rounds` times each, on the same imported database, and the
    /// median of each is printed. This machine's speed drifts between runs; turns do not.
    #[arg(long, requires = "only")]
    against: Option<PathBuf>,
    /// How many turns each binary gets with `--against`.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// How many writes `propagation` makes through one server process and waits for
    /// through the other.
    #[arg(long, default_value_t = 200)]
    propagation_writes: usize,
    /// Seconds a reader waits for a write to show (an approved comment, a change made
    /// through the other process) before it counts as missed.
    #[arg(long, default_value_t = 5.0)]
    change_timeout: f64,
    /// Run the soak instead of the scenarios: mixed reads and writes for `--soak-seconds`
    /// on each database, reported every `--soak-window` seconds; writes `--soak-json` and
    /// adds its figures to the report.
    #[arg(long)]
    soak: bool,
    /// How long the soak runs on each database.
    #[arg(long, default_value_t = 300.0)]
    soak_seconds: f64,
    /// The soak's reporting window, in seconds.
    #[arg(long, default_value_t = 15.0)]
    soak_window: f64,
    /// The soak's figures, for machines; the report shows them when the file is there.
    #[arg(long, default_value = "bench/soak.json")]
    soak_json: PathBuf,
    /// Also measure this server on the PostgreSQL database after the import, in turns with
    /// newsroom (response cache off): `article_page` and `section_front`, two rounds each.
    /// With `--only`, its figures also go into `--json` and the report, beside the last full
    /// run's.
    #[arg(long, value_enum, requires = "postgres_url", conflicts_with_all = ["against", "soak"])]
    peer: Option<peer::Peer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub date: String,
    pub commit: String,
    pub machine: Machine,
    pub smoke: bool,
    pub connections: usize,
    pub seconds_per_scenario: f64,
    pub warmup_seconds: f64,
    pub dataset: Dataset,
    pub databases: Vec<DatabaseRun>,
    /// Reads under writes and between processes, on PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<freshness::Freshness>,
    /// Newsroom against another server on the same PostgreSQL tables (`--peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<peer::Comparison>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    #[serde(flatten)]
    pub shape: newsroom::bench_data::Shape,
    pub generate_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseRun {
    pub database: String,
    pub import_seconds: f64,
    pub phases: Vec<Phase>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phase {
    pub response_cache: bool,
    pub first_query_ms: f64,
    pub ceiling: Outcome,
    pub scenarios: Vec<Scenario>,
    pub peak_rss_mib: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub sql_per_request: f64,
    pub share_of_ceiling: f64,
    /// The server's processor time per request, in milliseconds: steadier than the rate
    /// when this machine's speed drifts.
    #[serde(default)]
    pub server_cpu_ms: Option<f64>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // Two workers, like the server: the generator and the server share the machine.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    match runtime.expect("a runtime").block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.render_only {
        let results: Results = read_json(&args.json)?;
        return write(&args.markdown, &report::markdown(&results, soak::recorded(&args.soak_json)?.as_ref()));
    }
    std::fs::create_dir_all(&args.work_dir).map_err(|e| format!("cannot create {}: {e}", args.work_dir.display()))?;
    let shape = shape(args.smoke);
    if args.soak {
        return soak::run(&args, shape).await;
    }
    let (seconds, warmup) = if args.smoke { (0.3, 0.1) } else { (args.seconds, args.warmup) };
    let (pages_wanted, freshness_wanted) = wanted(&args)?;
    let (data, generate_seconds) = dataset(&args, &shape)?;
    let mut databases = Vec::new();
    let mut freshness = None;
    let mut against_peer = None;
    for (name, url) in databases_to_measure(&args).await? {
        let postgres = name == "postgres";
        if !pages_wanted && !postgres {
            continue;
        }
        eprintln!("== {name}");
        let started = Instant::now();
        run_cli(&args.server, &["--database-url", &url, "import", path_str(&data)?])?;
        let import_seconds = started.elapsed().as_secs_f64();
        eprintln!("imported in {import_seconds:.1} s");
        if let Some(against) = &args.against {
            compare(&args, &url, against, seconds, warmup).await?;
            continue;
        }
        let mut phases = Vec::new();
        let cache_settings: &[bool] = match (pages_wanted, args.only.is_empty()) {
            (false, _) => &[],
            (true, true) => &[false, true],
            (true, false) => &[false],
        };
        for &response_cache in cache_settings {
            let log =
                args.work_dir.join(format!("server-{name}-{}.log", if response_cache { "cached" } else { "uncached" }));
            let phase = measure(&args, &args.server, &url, response_cache, &log, seconds, warmup).await?;
            phases.push(phase);
        }
        if postgres && freshness_wanted {
            eprintln!("reads under writes, response cache on:");
            freshness = Some(freshness::run(&args, &url, seconds, warmup).await?);
        }
        if let (true, Some(peer)) = (postgres, args.peer) {
            against_peer = Some(peer::compare(&args, peer, &url, seconds, warmup).await?);
        }
        databases.push(DatabaseRun { database: name, import_seconds, phases });
    }
    if args.against.is_some() {
        return Ok(());
    }
    let mut results = Results {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(),
        machine: machine(),
        smoke: args.smoke,
        connections: args.connections,
        seconds_per_scenario: seconds,
        warmup_seconds: warmup,
        dataset: Dataset { shape, generate_seconds },
        databases,
        freshness,
        peer: against_peer,
    };
    let (markdown, json) = if args.smoke || !args.only.is_empty() {
        (args.work_dir.join("BENCHMARKS.md"), args.work_dir.join("results.json"))
    } else {
        (args.markdown.clone(), args.json.clone())
    };
    let soak = if args.smoke { None } else { soak::recorded(&args.soak_json)? };
    if !args.smoke && args.only.is_empty() && results.peer.is_none() && args.json.exists() {
        // A full run without `--peer` keeps the comparison recorded before (it has its own date).
        results.peer = read_json::<Results>(&args.json)?.peer;
    }
    write(&json, &serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    write(&markdown, &report::markdown(&results, soak.as_ref()))?;
    eprintln!("wrote {} and {}", markdown.display(), json.display());
    let succeeded = |comparison: &&peer::Comparison| comparison.failures().is_empty();
    if let (false, false, Some(comparison)) =
        (args.smoke, args.only.is_empty(), results.peer.as_ref().filter(succeeded))
    {
        // `--only` with `--peer`: the comparison goes beside the last full run's figures.
        let mut recorded: Results = read_json(&args.json)?;
        recorded.peer = Some(comparison.clone());
        write(&args.json, &serde_json::to_string_pretty(&recorded).map_err(|e| e.to_string())?)?;
        write(&args.markdown, &report::markdown(&recorded, soak::recorded(&args.soak_json)?.as_ref()))?;
        eprintln!(
            "wrote the comparison with {} into {} and {}",
            comparison.peer,
            args.markdown.display(),
            args.json.display()
        );
    }
    let failed: Vec<String> = results
        .databases
        .iter()
        .flat_map(|db| db.phases.iter().map(move |phase| (db, phase)))
        .flat_map(|(db, phase)| phase.scenarios.iter().map(move |s| (db, phase, s)))
        .filter(|(_, _, s)| s.outcome.errors > 0 || s.outcome.requests == 0)
        .map(|(db, phase, s)| {
            format!(
                "{} {} (cache {}): {} errors of {} requests; first: {}",
                db.database,
                s.name,
                phase.response_cache,
                s.outcome.errors,
                s.outcome.requests,
                s.outcome.first_error.as_deref().unwrap_or("-")
            )
        })
        .chain(results.freshness.iter().flat_map(freshness::Freshness::failures))
        .chain(results.peer.iter().flat_map(peer::Comparison::failures))
        .collect();
    if failed.is_empty() { Ok(()) } else { Err(format!("requests failed:\n{}", failed.join("\n"))) }
}

/// Whether `--only` asks for page scenarios, and for the scenarios of [`freshness`] (both
/// when it is not given); refuses names of no scenario, and combinations that cannot run.
fn wanted(args: &Args) -> Result<(bool, bool), String> {
    if args.only.is_empty() {
        return Ok((true, args.postgres_url.is_some()));
    }
    let is_freshness = |name: &String| freshness::SCENARIOS.contains(&name.as_str());
    let is_page = |name: &String| workload::SCENARIOS.contains(&name.as_str());
    let is_peer = |name: &String| name == "peer";
    if let Some(unknown) = args.only.iter().find(|name| !is_freshness(name) && !is_page(name) && !is_peer(name)) {
        let known = [&workload::SCENARIOS[..], &freshness::SCENARIOS[..], &["peer"]].concat().join(", ");
        return Err(format!("--only: no scenario {unknown} (there are {known})"));
    }
    if args.only.iter().any(is_peer) && args.peer.is_none() {
        return Err("--only peer measures the server of --peer: give --peer".into());
    }
    let freshness_wanted = args.only.iter().any(is_freshness);
    if freshness_wanted && args.postgres_url.is_none() {
        return Err(format!("{} run on PostgreSQL only: give --postgres-url", freshness::SCENARIOS.join(", ")));
    }
    if freshness_wanted && args.against.is_some() {
        return Err("--against compares the page scenarios only".into());
    }
    Ok((args.only.iter().any(is_page), freshness_wanted))
}

/// Measures `--server` and `against` in turns on one database and prints the median
/// throughput and p99 of each scenario for each binary.
async fn compare(args: &Args, url: &str, against: &Path, seconds: f64, warmup: f64) -> Result<(), String> {
    let binaries = [args.server.as_path(), against];
    let mut runs: Vec<Vec<Scenario>> = vec![Vec::new(), Vec::new()];
    let mut peak_rss: Vec<Vec<f64>> = vec![Vec::new(), Vec::new()];
    for round in 1..=args.rounds {
        for (turn, binary) in binaries.iter().enumerate() {
            eprintln!("round {round}: {}", binary.display());
            let log = args.work_dir.join(format!("server-compare-{turn}.log"));
            let phase = measure(args, binary, url, false, &log, seconds, warmup).await?;
            runs[turn].extend(phase.scenarios);
            peak_rss[turn].extend(phase.peak_rss_mib);
        }
    }
    eprintln!("medians of {} rounds:", args.rounds);
    for (binary, peaks) in binaries.iter().zip(&peak_rss) {
        let highest = peaks.iter().copied().fold(f64::NAN, f64::max);
        eprintln!("  peak RSS     {highest:>9.0} MiB  {}", binary.display());
    }
    for name in &args.only {
        for (binary, scenarios) in binaries.iter().zip(&runs) {
            let of = |figure: fn(&Scenario) -> f64| {
                let mut values: Vec<f64> = scenarios.iter().filter(|s| &s.name == name).map(figure).collect();
                values.sort_by(f64::total_cmp);
                values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
            };
            eprintln!(
                "  {name:<14}{:>9.0} req/s  {:>5.1}%  p99 {:.2} ms  server cpu/req {:.3} ms  {}",
                of(|s| s.outcome.requests_per_second),
                of(|s| s.share_of_ceiling) * 100.0,
                of(|s| s.outcome.p99_ms),
                of(|s| s.server_cpu_ms.unwrap_or(f64::NAN)),
                binary.display()
            );
        }
    }
    Ok(())
}

/// Runs every scenario against a fresh server process.
async fn measure(
    args: &Args,
    binary: &Path,
    url: &str,
    response_cache: bool,
    log: &Path,
    seconds: f64,
    warmup: f64,
) -> Result<Phase, String> {
    let mut settings = rate_limits_lifted();
    if !response_cache {
        settings.push(("NEWSROOM_RESPONSE_CACHE_MB", "0".to_owned()));
    }
    let probe = workload::probe();
    let server = Server::start(binary, url, &settings, &probe, log).await?;
    let first_query_ms = server.first_query.as_secs_f64() * 1000.0;
    eprintln!("cache {response_cache}: first query answered {first_query_ms:.0} ms after start");
    let workload = Workload::discover(server.addr, args.smoke).await?;
    // The scheduler's statements (a few a second) run meanwhile; they are not the requests'.
    let idle = Duration::from_secs_f64(if args.smoke { 0.5 } else { 2.0 });
    let idle_start = server.sql_statements().await?;
    tokio::time::sleep(idle).await;
    let background_per_second = (server.sql_statements().await? - idle_start) as f64 / idle.as_secs_f64();
    let measured = Duration::from_secs_f64(seconds);
    let warm = Duration::from_secs_f64(warmup);
    let page_bytes = load::fetch(server.addr, &workload.article_page).await?.1.len();
    let ceiling_request = load::Call::Get(format!("/bench/ceiling/{page_bytes}"));
    load::run(server.addr, &ceiling_request, args.connections, warm).await;
    let ceiling = load::run(server.addr, &ceiling_request, args.connections, measured).await;
    eprintln!("  ceiling {:>9.0} req/s  p99 {:.2} ms", ceiling.requests_per_second, ceiling.p99_ms);
    let mut scenarios = Vec::new();
    for (name, send) in workload.scenarios(response_cache) {
        if !args.only.is_empty() && !args.only.iter().any(|only| only == name) {
            continue;
        }
        load::run(server.addr, &send, args.connections, warm).await;
        let before = server.sql_statements().await?;
        let cpu_before = server.cpu_seconds();
        let outcome = load::run(server.addr, &send, args.connections, measured).await;
        let cpu = server.cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
        let statements = server.sql_statements().await?.saturating_sub(before) as f64;
        let server_cpu_ms = cpu.map(|seconds| seconds * 1000.0 / outcome.requests.max(1) as f64);
        let background = background_per_second * outcome.seconds;
        let sql_per_request = (statements - background).max(0.0) / outcome.requests.max(1) as f64;
        let share_of_ceiling = outcome.requests_per_second / ceiling.requests_per_second;
        eprintln!(
            "  {name:<14}{:>9.0} req/s  {:>5.1}%  p50 {:.2} ms  p99 {:.2} ms  errors {}  sql/req {:.2}  server cpu/req {:.3} ms",
            outcome.requests_per_second,
            share_of_ceiling * 100.0,
            outcome.p50_ms,
            outcome.p99_ms,
            outcome.errors,
            sql_per_request,
            server_cpu_ms.unwrap_or(f64::NAN)
        );
        scenarios.push(Scenario { name: name.to_owned(), outcome, sql_per_request, share_of_ceiling, server_cpu_ms });
    }
    let peak_rss_mib = server.rss_mib(Rss::Peak);
    server.stop().await;
    Ok(Phase { response_cache, first_query_ms, ceiling, scenarios, peak_rss_mib })
}

/// The server's settings under load: one client sends every comment, so its rate limits
/// are lifted.
fn rate_limits_lifted() -> Vec<(&'static str, String)> {
    vec![
        ("NEWSROOM_COMMENT_LIMIT_PER_MINUTE", "1000000000".to_owned()),
        ("NEWSROOM_COMMENT_LIMIT_PER_HOUR", "1000000000".to_owned()),
    ]
}

/// A token of the dataset's administrator acting as an editor, lasting `ttl` (e.g. `12h`).
fn editor_token(server: &Path, url: &str, ttl: &str) -> Result<String, String> {
    let email = newsroom::bench_data::ADMIN_EMAIL;
    let token = run_cli(server, &["--database-url", url, "token", "--sub", email, "--role", "editor", "--ttl", ttl])?;
    Ok(token.trim().to_owned())
}

/// The dataset's shape: the full one, or a tiny one for `--smoke`.
fn shape(smoke: bool) -> newsroom::bench_data::Shape {
    if smoke {
        newsroom::bench_data::Shape {
            sections: 12,
            articles: 400,
            images: 100,
            authors: 20,
            tags: 20,
            comments: 4_000,
            seed: 1,
        }
    } else {
        newsroom::bench_data::Shape::default()
    }
}

/// The databases to measure, by name and URL: a fresh SQLite file, and a fresh PostgreSQL
/// database when `--postgres-url` is given.
async fn databases_to_measure(args: &Args) -> Result<Vec<(String, String)>, String> {
    let mut targets = vec![("sqlite".to_owned(), sqlite_url(&args.work_dir)?)];
    if let Some(admin) = &args.postgres_url {
        let name = if args.smoke { "newsroom_bench_smoke" } else { "newsroom_bench" };
        targets.push(("postgres".to_owned(), postgres_database(admin, name).await?));
    }
    Ok(targets)
}

/// The dataset file for `shape`, generated unless it is there already.
fn dataset(args: &Args, shape: &newsroom::bench_data::Shape) -> Result<(PathBuf, Option<f64>), String> {
    let path = args.work_dir.join(format!("data-{}-{}-{}.ndjson", shape.articles, shape.comments, shape.seed));
    if path.exists() {
        return Ok((path, None));
    }
    let started = Instant::now();
    let count = |n: u32| n.to_string();
    run_cli(
        &args.server,
        &[
            "bench-data",
            "--sections",
            &count(shape.sections),
            "--articles",
            &count(shape.articles),
            "--images",
            &count(shape.images),
            "--authors",
            &count(shape.authors),
            "--tags",
            &count(shape.tags),
            "--comments",
            &count(shape.comments),
            "--seed",
            &shape.seed.to_string(),
            "--out",
            path_str(&path)?,
        ],
    )?;
    Ok((path, Some(started.elapsed().as_secs_f64())))
}

/// The SQLite database the benchmark and the soak measure.
fn sqlite_file(work_dir: &Path) -> PathBuf {
    work_dir.join("bench.db")
}

fn sqlite_url(work_dir: &Path) -> Result<String, String> {
    let file = sqlite_file(work_dir);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(format!("sqlite:{}", path_str(&file)?))
}

/// A new, empty database `name` on the server of `admin`; answers its URL.
async fn postgres_database(admin: &str, name: &str) -> Result<String, String> {
    use sea_orm::ConnectionTrait;
    let db = newsroom::db::connect(admin, 1).await.map_err(|e| e.to_string())?;
    for statement in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")] {
        db.execute_unprepared(&statement).await.map_err(|e| format!("{statement}: {e}"))?;
    }
    let (prefix, query) = admin.split_once('?').map(|(p, q)| (p, format!("?{q}"))).unwrap_or((admin, String::new()));
    let server = prefix.rsplit_once('/').map(|(server, _)| server).unwrap_or(prefix);
    Ok(format!("{server}/{name}{query}"))
}

/// Runs the server binary's command `args`; answers what it printed.
fn run_cli(binary: &Path, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(binary)
        .args(args)
        .env("NEWSROOM_LOG", "warn")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("{} {}: {}", binary.display(), args.join(" "), String::from_utf8_lossy(&output.stderr)))
    }
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str().ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The commit measured, `-dirty` when the working tree has changes of its own.
fn commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=7"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu,
        memory_gib: memory_kib / 1024.0 / 1024.0,
    }
}
