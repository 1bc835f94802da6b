//! `BENCHMARKS.md`: the figures of a run, and each bar of the performance issue with
//! whether this run met it.

use std::fmt::Write;

use crate::freshness::{Freshness, PageUnderWrites};
use crate::soak::{MAX_RSS_GROWTH, Soak};
use crate::{DatabaseRun, Phase, Results};

/// Uncached pages must reach this share of the ceiling.
const UNCACHED_SHARE: f64 = 0.03;
const UNCACHED_P99_MS: f64 = 40.0;
/// Cached pages must reach this share of the ceiling.
const CACHED_SHARE: f64 = 0.5;
const CACHED_P99_MS: f64 = 5.0;
/// The deep page's median latency, at most this many times the first page's.
const DEEP_PAGE_FACTOR: f64 = 1.5;
const MAX_SQL_PER_REQUEST: f64 = 12.0;
const FIRST_QUERY_MS: f64 = 100.0;
const SQLITE_PEAK_RSS_MIB: f64 = 100.0;
const PEAK_RSS_MIB: f64 = 200.0;
const IMPORT_SECONDS: f64 = 60.0;
/// The scenarios the throughput bars apply to.
const PAGES: [&str; 2] = ["article_page", "section_front"];

/// The report of `results`, with the soak's figures at the end when there are some.
pub fn markdown(results: &Results, soak: Option<&Soak>) -> String {
    let mut out = String::new();
    let d = &results.dataset.shape;
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Run on {} at commit `{}`{}: {} cores ({}), {:.0} GiB of memory. The load generator \
         (`bench/`, {} keep-alive HTTP/1.1 connections, each sending its next request when the \
         last answer is read) runs on the same machine as the server and the database, and \
         shares its cores. Each scenario runs {} s to warm up, then {} s measured.\n",
        results.date,
        results.commit,
        if results.smoke { " (smoke run: tiny dataset, short runs; not a measurement)" } else { "" },
        results.machine.cores,
        results.machine.cpu,
        results.machine.memory_gib,
        results.connections,
        results.warmup_seconds,
        results.seconds_per_scenario,
    );
    let _ = writeln!(out, "Reproduce with `bench/run` (see docs/benchmarks.md).\n");
    let _ = writeln!(
        out,
        "Dataset (`newsroom bench-data`): {} sections, {} articles, {} images with credits, {} authors, \
         {} tags, {} comments (the newest article carries {}).{}\n",
        d.sections,
        d.articles,
        d.images,
        d.authors,
        d.tags,
        d.comments,
        (d.comments as f64 * 0.05) as u64,
        results.dataset.generate_seconds.map(|s| format!(" Generated in {s:.1} s.")).unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "SQL statements per request are counted by the server (`/metrics`), less the \
         statements its scheduler runs meanwhile (measured while idle).\n\nScenarios: `article_page` (article by slug with breadcrumbs, lead image and credit, authors, \
         tags, blocks, first 20 comments with their first 5 replies), `section_front` (20 newest \
         articles of the largest section with lead image, credit and authors), `deep_page` (page 200 \
         of that section by cursor), `home` (50 newest articles), `add_comment` (an anonymous \
         comment, rate limits lifted). Queries go as `GET /graphql`; the ceiling is the same server \
         answering a fixed JSON body as large as the article page on a plain route.\n"
    );
    for run in &results.databases {
        database(&mut out, run);
    }
    under_writes(&mut out, results);
    against_peer(&mut out, results);
    bars(&mut out, results);
    if !results.smoke {
        out.push_str(ANALYSIS);
    }
    if let Some(soak) = soak {
        out.push('\n');
        out.push_str(&self::soak(soak));
    }
    out
}

/// What the profiles of the last full run showed, kept by hand beside the code.
const ANALYSIS: &str = include_str!("../analysis.md");

fn database(out: &mut String, run: &DatabaseRun) {
    let _ = writeln!(out, "## {}\n", run.database);
    let _ = writeln!(out, "Import of the dataset: {:.1} s.\n", run.import_seconds);
    for phase in &run.phases {
        let _ = writeln!(
            out,
            "### Response cache {}\n\nFirst query answered {:.0} ms after the process started; peak RSS {}.\n",
            if phase.response_cache { "on (warm)" } else { "off" },
            phase.first_query_ms,
            phase.peak_rss_mib.map(|m| format!("{m:.0} MiB")).unwrap_or_else(|| "unknown".into())
        );
        let _ =
            writeln!(out, "| scenario | req/s | of ceiling | p50 ms | p99 ms | errors | SQL/request | body bytes |");
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        let c = &phase.ceiling;
        let _ = writeln!(
            out,
            "| ceiling | {:.0} | 100% | {:.2} | {:.2} | {} | 0 | {} |",
            c.requests_per_second, c.p50_ms, c.p99_ms, c.errors, c.response_bytes
        );
        for s in &phase.scenarios {
            let o = &s.outcome;
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1}% | {:.2} | {:.2} | {} | {:.2} | {} |",
                s.name,
                o.requests_per_second,
                s.share_of_ceiling * 100.0,
                o.p50_ms,
                o.p99_ms,
                o.errors,
                s.sql_per_request,
                o.response_bytes
            );
        }
        let _ = writeln!(out);
    }
}

fn phase(run: &DatabaseRun, cached: bool) -> Option<&Phase> {
    run.phases.iter().find(|p| p.response_cache == cached)
}

fn bars(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## The bars\n");
    let _ = writeln!(out, "| bar | database | measured | met |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    let mut row = |bar: String, database: &str, measured: String, met: bool| {
        let _ = writeln!(out, "| {bar} | {database} | {measured} | {} |", if met { "yes" } else { "**no**" });
    };
    for run in &results.databases {
        let db = run.database.as_str();
        row(
            format!("import under {IMPORT_SECONDS:.0} s"),
            db,
            format!("{:.1} s", run.import_seconds),
            run.import_seconds < IMPORT_SECONDS,
        );
        for (cached, share, p99) in [(false, UNCACHED_SHARE, UNCACHED_P99_MS), (true, CACHED_SHARE, CACHED_P99_MS)] {
            let Some(phase) = phase(run, cached) else { continue };
            let label = if cached { "cached" } else { "uncached" };
            for s in phase.scenarios.iter().filter(|s| PAGES.contains(&s.name.as_str())) {
                let o = &s.outcome;
                row(
                    format!(
                        "{label} {}: at least {:.0}% of the ceiling, p99 under {p99:.0} ms, no errors",
                        s.name,
                        share * 100.0
                    ),
                    db,
                    format!("{:.1}%, p99 {:.2} ms, {} errors", s.share_of_ceiling * 100.0, o.p99_ms, o.errors),
                    s.share_of_ceiling >= share && o.p99_ms < p99 && o.errors == 0,
                );
            }
        }
        if let Some(uncached) = phase(run, false) {
            let find = |name: &str| uncached.scenarios.iter().find(|s| s.name == name);
            if let (Some(first), Some(deep)) = (find("section_front"), find("deep_page")) {
                let factor = deep.outcome.p50_ms / first.outcome.p50_ms;
                row(
                    format!("deep_page p50 within {DEEP_PAGE_FACTOR}x of the first page's"),
                    db,
                    format!("{:.2} ms vs {:.2} ms ({factor:.2}x)", deep.outcome.p50_ms, first.outcome.p50_ms),
                    factor <= DEEP_PAGE_FACTOR,
                );
            }
            let most = uncached.scenarios.iter().map(|s| s.sql_per_request).fold(0.0, f64::max);
            row(
                format!("at most {MAX_SQL_PER_REQUEST:.0} SQL statements per request"),
                db,
                format!("at most {most:.2}"),
                most <= MAX_SQL_PER_REQUEST,
            );
        }
        for phase in &run.phases {
            let cache = if phase.response_cache { "response cache on" } else { "response cache off" };
            row(
                format!("first query within {FIRST_QUERY_MS:.0} ms of start ({cache})"),
                db,
                format!("{:.0} ms", phase.first_query_ms),
                phase.first_query_ms <= FIRST_QUERY_MS,
            );
        }
        // SQLite's bar is the older, stricter one; the 10,000-article dataset on either
        // database is to stay under 200 MB.
        let most = if db == "sqlite" { SQLITE_PEAK_RSS_MIB } else { PEAK_RSS_MIB };
        let peak = run.phases.iter().filter_map(|p| p.peak_rss_mib).fold(0.0, f64::max);
        row(format!("peak RSS under {most:.0} MB"), db, format!("{peak:.0} MiB"), peak < most);
    }
    for verdict in results.freshness.iter().flat_map(Freshness::verdicts) {
        row(verdict.bar, "postgres", verdict.measured, verdict.met);
    }
    let _ = writeln!(out);
}

/// Answer bodies of the two servers must be this close in size for the comparison to hold.
const PEER_BODY_TOLERANCE: f64 = 0.10;

/// The section comparing newsroom with another server on the same PostgreSQL tables.
fn against_peer(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "## Against PostGraphile
"
    );
    let Some(c) = &results.peer else {
        let _ = writeln!(
            out,
            "Not measured in this run (`bench/run --peer postgraphile`).
"
        );
        return;
    };
    let rounds = c.runs.iter().map(|r| r.round).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "{} (`bench/peer`, installed with `npm ci` from its lock file; default options, \
         `NODE_ENV=production`) serving the PostgreSQL tables newsroom reads, newsroom with its \
         response cache off. Measured {} at commit `{}`{}, on the dataset of {} articles and {} \
         comments: each server in turn (newsroom, then the peer, {rounds} rounds), each scenario \
         {} s to warm up and {} s measured, {} connections, every request a `POST /graphql`. \
         PostGraphile's documents (`bench/src/peer.rs`) ask, in its inferred names, for what \
         newsroom's `article_page` and `section_front` ask for, on the same article and section. \
         Ratios are newsroom's figure over PostGraphile's in the same round, lowest to highest: \
         above 1 is more requests a second for newsroom, below 1 lower latency.\n",
        c.peer,
        c.date,
        c.commit,
        if c.smoke { " (smoke run: not a measurement)" } else { "" },
        c.dataset.articles,
        c.dataset.comments,
        c.warmup_seconds,
        c.seconds,
        c.connections,
    );
    let _ = writeln!(out, "| scenario | round | server | req/s | p50 ms | p99 ms | errors | body bytes |");
    let _ = writeln!(out, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    let mut scenarios: Vec<&str> = Vec::new();
    for run in &c.runs {
        if !scenarios.contains(&run.scenario.as_str()) {
            scenarios.push(&run.scenario);
        }
    }
    for scenario in &scenarios {
        for r in c.runs.iter().filter(|r| r.scenario == *scenario) {
            let o = &r.outcome;
            let server = if r.server == "peer" { c.peer.as_str() } else { "newsroom" };
            let _ = writeln!(
                out,
                "| {scenario} | {} | {server} | {:.0} | {:.2} | {:.2} | {} | {} |",
                r.round, o.requests_per_second, o.p50_ms, o.p99_ms, o.errors, o.response_bytes
            );
        }
    }
    let _ = writeln!(
        out,
        "\n| scenario | req/s, ours / peer | p50 | p99 | body bytes | bodies within {:.0}% |",
        PEER_BODY_TOLERANCE * 100.0
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |");
    let mut bars: Vec<(String, String, bool)> = Vec::new();
    for scenario in &scenarios {
        let pairs: Vec<_> = (1..=rounds)
            .filter_map(|round| {
                let of = |server: &str| {
                    c.runs.iter().find(|r| r.round == round && r.server == server && r.scenario == *scenario)
                };
                Some((&of("newsroom")?.outcome, &of("peer")?.outcome))
            })
            .collect();
        let range = |figure: fn(&crate::load::Outcome) -> f64| {
            let ratios = pairs.iter().map(|(ours, theirs)| figure(ours) / figure(theirs));
            let (low, high) = ratios.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
            if pairs.is_empty() { "-".to_owned() } else { format!("{low:.2}-{high:.2}") }
        };
        let bodies = pairs.iter().all(|(ours, theirs)| {
            (ours.response_bytes as f64 / theirs.response_bytes as f64 - 1.0).abs() <= PEER_BODY_TOLERANCE
        });
        let _ = writeln!(
            out,
            "| {scenario} | {} | {} | {} | {} | {} |",
            range(|o| o.requests_per_second),
            range(|o| o.p50_ms),
            range(|o| o.p99_ms),
            range(|o| o.response_bytes as f64),
            if bodies { "yes" } else { "**no**" }
        );
        if let Some(wanted) = PEER_RATE_BARS.iter().find(|(name, _)| name == scenario).map(|(_, times)| *times) {
            let lowest = pairs.iter().map(|(ours, theirs)| ours.requests_per_second / theirs.requests_per_second);
            let lowest = lowest.fold(f64::INFINITY, f64::min);
            let p99_under_p50 = pairs.iter().all(|(ours, theirs)| ours.p99_ms < theirs.p50_ms);
            bars.push((
                format!("{scenario}: at least {wanted:.0}x the peer's rate"),
                format!("{lowest:.2}x"),
                lowest >= wanted,
            ));
            let worst = pairs.iter().map(|(ours, theirs)| ours.p99_ms / theirs.p50_ms).fold(0.0, f64::max);
            bars.push((
                format!("{scenario}: our p99 below the peer's p50"),
                format!("{:.0}% of it at most", worst * 100.0),
                p99_under_p50 && !pairs.is_empty(),
            ));
        }
    }
    let _ = writeln!(out);
    if !bars.is_empty() {
        let _ = writeln!(out, "| bar (every round) | measured | met |\n| --- | --- | --- |");
        for (bar, measured, met) in bars {
            let _ = writeln!(out, "| {bar} | {measured} | {} |", if met { "yes" } else { "**no**" });
        }
        let _ = writeln!(out);
    }
}

/// How many times the peer's rate newsroom's uncached pages are to reach, per scenario.
const PEER_RATE_BARS: [(&str, f64); 2] = [("article_page", 5.0), ("section_front", 4.0)];

/// The section of the scenarios of reads under writes, or why they did not run.
fn under_writes(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Reads under writes (PostgreSQL, response cache on)\n");
    let _ = writeln!(
        out,
        "These scenarios run on PostgreSQL only: several server processes can share a PostgreSQL \
         database, while a SQLite file is served by one.\n"
    );
    let Some(f) = &results.freshness else {
        let measured_postgres = results.databases.iter().any(|run| run.database == "postgres");
        let why = if measured_postgres { "Not measured in this run." } else { "Not run: this run had no PostgreSQL." };
        let _ = writeln!(out, "{why}\n");
        return;
    };
    let _ = writeln!(
        out,
        "Each scenario starts its server (`propagation` two) afresh on the database measured above, with its default settings \
         (response cache on, answers kept up to their `max-age`) and comment rate limits lifted; \
         editors sign in with a token from `newsroom token`. The page is `article_page`'s request \
         at {} connections, read with no writes and then under writes, {} times in turn, each \
         run {} s to warm up and {:.1} s measured. A reader waiting for a change asks for its \
         page every {:.0} ms, and counts the change as missed after {} s.\n",
        results.connections, f.turns, f.warmup_seconds, f.turn_seconds, f.poll_ms, f.change_timeout_seconds
    );
    let timeout = f.change_timeout_seconds;
    let verdicts = f.verdicts();
    let bars_of = |out: &mut String, scenario: &str| {
        for verdict in verdicts.iter().filter(|verdict| verdict.scenario == scenario) {
            let met = if verdict.met { "met" } else { "**not met**" };
            let _ = writeln!(out, "Bar: {}. Measured: {} ({met}).\n", verdict.bar, verdict.measured);
        }
    };
    if let Some(page) = &f.breaking_news_elsewhere {
        let _ = writeln!(
            out,
            "### breaking_news_elsewhere\n\nThe cached article page while an editor updates the \
             standfirst of other published articles (of other sections than the page's), {:.0} a \
             second (`updateArticle`).\n",
            page.writes.asked_per_second
        );
        page_table(out, page, "updates elsewhere");
        bars_of(out, "breaking_news_elsewhere");
    }
    if let Some(live) = &f.breaking_news_live {
        let _ = writeln!(
            out,
            "### breaking_news_live\n\nThe cached article page while readers' comments on its \
             article are approved, {:.0} a second: each added anonymously (`addComment`, held for \
             moderation) and approved by an editor (`moderateComment(status: APPROVED)`). After \
             each approval is acknowledged, a reader asks for the article page with the newest \
             comments first until it shows the comment.\n",
            live.page.writes.asked_per_second
        );
        page_table(out, &live.page, "comments approved");
        let _ = writeln!(out, "Approved comments on the reader's page: {}.\n", live.shown.text(timeout));
        bars_of(out, "breaking_news_live");
    }
    if let Some(propagation) = &f.propagation {
        let _ = writeln!(
            out,
            "### propagation\n\nTwo server processes, A and B, on the database. A takes {} writes \
             one after another, alternately a new standfirst of the article (`updateArticle`) and a \
             new name of its section (`updateSection`); after each is acknowledged, an anonymous \
             reader asks B for the article page (in B's cache since before the first write) until \
             it shows the change.\n",
            propagation.delays.changes as u64 + propagation.errors
        );
        let _ =
            writeln!(out, "Writes on B's page: {}; {} errors.\n", propagation.delays.text(timeout), propagation.errors);
        bars_of(out, "propagation");
    }
}

fn page_table(out: &mut String, page: &PageUnderWrites, busy: &str) {
    let _ = writeln!(out, "| run | req/s | of no writes | p50 ms | p99 ms | max ms | errors |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (run, o, share) in [("no writes", &page.quiet, 1.0), (busy, &page.busy, page.share_of_quiet)] {
        let _ = writeln!(
            out,
            "| {run} | {:.0} | {:.1}% | {:.2} | {:.2} | {:.1} | {} |",
            o.requests_per_second,
            share * 100.0,
            o.p50_ms,
            o.p99_ms,
            o.max_ms,
            o.errors
        );
    }
    let w = &page.writes;
    let _ = writeln!(
        out,
        "\nWrites: {} acknowledged ({:.1} a second of the {:.0} asked), {} failed.\n",
        w.acknowledged, w.per_second, w.asked_per_second, w.errors
    );
}

/// The soak's section: what ran, whether it met its bars, and each window.
pub fn soak(soak: &Soak) -> String {
    let mut out = String::new();
    let mix: Vec<String> = soak.mix.iter().map(|share| format!("`{}` {:.0}%", share.name, share.percent)).collect();
    let _ = writeln!(out, "## Soak\n");
    let _ = writeln!(
        out,
        "Run on {} at commit `{}`{}: {} cores ({}), {:.0} GiB of memory, with `bench/soak` (see docs/benchmarks.md). \
         Mixed reads and writes at {} connections for {:.0} s on each database, against the release \
         server with its default settings (response cache on) and comment rate limits lifted, on the \
         benchmark's dataset. The windows are {:.0} s long and run back to back, each on {} new \
         connections; resident memory (`VmRSS`) is read at the end of each, and counts as warm at the \
         end of the first window past {:.0} s.\n",
        soak.date,
        soak.commit,
        if soak.smoke { " (smoke run: tiny dataset, seconds; not a measurement)" } else { "" },
        soak.machine.cores,
        soak.machine.cpu,
        soak.machine.memory_gib,
        soak.connections,
        soak.seconds,
        soak.window_seconds,
        soak.connections,
        soak.warmup_seconds,
    );
    let _ = writeln!(
        out,
        "Mix: {}. Reads are pages of the {} newest articles, the fronts of every section, pages 2 to \
         {} of the largest section (`deep_page`) and the home page, each picked at random. Writes are \
         anonymous comments on those articles (held for moderation, as by default, so they leave the \
         response cache alone) and an editor's updates of their standfirst (signed in with a token \
         from `newsroom token`): each update moves the response cache on to a new content version.\n",
        mix.join(", "),
        soak.articles,
        soak.deep_page
    );
    let _ = writeln!(
        out,
        "| database | requests | req/s | errors | p99 per window | RSS warm | RSS at end | growth | load average | met |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |");
    for run in &soak.runs {
        let range = |values: Vec<f64>| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(0.0, f64::max);
            (low, high)
        };
        let (p99_low, p99_high) = range(run.windows.iter().map(|w| w.p99_ms).collect());
        let (load_low, load_high) = range(run.windows.iter().map(|w| w.load_average).collect());
        let seconds: f64 = run.windows.last().map_or(0.0, |w| w.end_seconds);
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {p99_low:.1}-{p99_high:.1} ms | {:.1} MiB | {:.1} MiB | {:+.1}% | {load_low:.1}-{load_high:.1} | {} |",
            run.database,
            run.requests,
            run.requests as f64 / seconds.max(f64::MIN_POSITIVE),
            run.errors,
            run.rss_start_mib,
            run.rss_end_mib,
            run.rss_growth_percent,
            if run.met(soak.smoke) { "yes" } else { "**no**" }
        );
    }
    let _ = writeln!(
        out,
        "\nThe bars: no failed request, and resident memory at the end less than {:.0}% above the warm \
         figure. Load average: the machine's, over a minute, at the ends of the windows (2 means both \
         cores busy).\n",
        MAX_RSS_GROWTH * 100.0
    );
    for run in &soak.runs {
        let _ = writeln!(out, "### Soak on {}\n", run.database);
        if let Some(error) = &run.first_error {
            let _ = writeln!(out, "First failed request: `{}`\n", error.replace(['`', '\n'], " "));
        }
        let _ = writeln!(
            out,
            "| end s | requests | req/s | errors | p50 ms | p99 ms | max ms | RSS MiB | cache MiB | cache hits | WAL MiB | load |"
        );
        let _ = writeln!(out, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for w in &run.windows {
            let _ = writeln!(
                out,
                "| {:.0} | {} | {:.0} | {} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1}% | {} | {:.2} |",
                w.end_seconds,
                w.requests,
                w.requests_per_second,
                w.errors,
                w.p50_ms,
                w.p99_ms,
                w.max_ms,
                w.rss_mib,
                w.cache_mib,
                w.cache_hit_percent,
                w.wal_mib.map_or("-".to_owned(), |wal| format!("{wal:.1}")),
                w.load_average
            );
        }
        let _ = writeln!(out);
    }
    out
}
