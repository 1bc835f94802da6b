//! The server under test: a `newsroom serve` process on a free port.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::load::{self, Call};

/// Which resident set size [`Server::rss_mib`] reads.
pub enum Rss {
    Now,
    Peak,
}

pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    /// From the start of the process to the first answered query.
    pub first_query: Duration,
}

impl Server {
    /// Starts `binary` on `database_url` with `settings` (environment variables) and waits
    /// until it answers `probe`, a query.
    pub async fn start(
        binary: &Path,
        database_url: &str,
        settings: &[(&str, String)],
        probe: &Call,
        log: &Path,
    ) -> Result<Server, String> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::fs::File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--no-migrate")
            .env("DATABASE_URL", database_url)
            .env("NEWSROOM_LISTEN", addr.to_string())
            .env("NEWSROOM_BENCH_ROUTES", "true")
            .env("NEWSROOM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        for (name, value) in settings {
            command.env(name, value);
        }
        let started = Instant::now();
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Server { addr, child, first_query: Duration::ZERO };
        loop {
            if let Ok((200, body)) = load::fetch(addr, probe).await
                && memchr::memmem::find(&body, b"\"errors\"").is_none()
            {
                server.first_query = started.elapsed();
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the server exited at start ({status}); see its log"));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err("the server did not answer within a minute".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The memory the process holds now (`VmRSS`) or has held at most so far (`VmHWM`), in MiB.
    pub fn rss_mib(&self, which: Rss) -> Option<f64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = match which {
            Rss::Now => "VmRSS:",
            Rss::Peak => "VmHWM:",
        };
        let line = status.lines().find(|line| line.starts_with(field))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// The processor time the process has used so far, in seconds (user and system, all
    /// threads; `/proc` counts it in hundredths of a second).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
        Some((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// The SQL statements the server has run so far, from `/metrics`.
    pub async fn sql_statements(&self) -> Result<u64, String> {
        self.counter("newsroom_sql_statements_total").await
    }

    /// A counter of `/metrics`, e.g. `newsroom_response_cache_hits_total`.
    pub async fn counter(&self, name: &str) -> Result<u64, String> {
        let (_, body) = load::fetch(self.addr, &Call::Get("/metrics".into())).await?;
        let text = String::from_utf8_lossy(&body);
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| format!("no {name} in /metrics"))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
