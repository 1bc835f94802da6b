//! Read replicas against a real streaming standby: each test makes a primary and a
//! replica of its own (`initdb`, `pg_basebackup -R`) under a temporary folder, on ports
//! of their own, and removes them afterwards.
//!
//! These run where the PostgreSQL tests run; they need PostgreSQL's server programs
//! (`pg_config --bindir`, or `/usr/lib/postgresql/*/bin`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use entity::user::Role;
use newsroom::config::Config;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// A primary and its streaming replica, stopped and removed when dropped.
struct Clusters {
    dir: tempfile::TempDir,
    bin: PathBuf,
    primary_port: u16,
    replica_port: u16,
}

impl Clusters {
    fn start() -> Clusters {
        let dir = tempfile::Builder::new().prefix("newsroom-replicas").tempdir().expect("a temporary folder");
        let clusters = Clusters { bin: server_programs(), primary_port: free_port(), replica_port: free_port(), dir };
        if running_as_root() {
            // PostgreSQL refuses to run as root: the clusters belong to its own user.
            run(Command::new("chown").arg("postgres:").arg(clusters.dir.path()));
        }
        let primary = clusters.path("primary");
        clusters.program("initdb", &["-D", &primary, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        clusters.configure("primary", clusters.primary_port);
        clusters.pg_ctl(&["-D", &primary, "-l", &clusters.path("primary.log"), "-w", "start"]);
        let replica = clusters.path("replica");
        let port = clusters.primary_port.to_string();
        clusters.program(
            "pg_basebackup",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &replica, "-R", "-X", "stream", "-c", "fast"],
        );
        clusters.configure("replica", clusters.replica_port);
        clusters.start_replica();
        clusters
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn configure(&self, cluster: &str, port: u16) {
        let settings = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
             shared_buffers = 16MB\nmax_connections = 50\nwal_level = replica\nhot_standby = on\n",
            self.dir.path().display()
        );
        let file = self.dir.path().join(cluster).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&file).expect("postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&file, text).expect("postgresql.conf written");
    }

    fn start_replica(&self) {
        self.pg_ctl(&["-D", &self.path("replica"), "-l", &self.path("replica.log"), "-w", "start"]);
    }

    fn stop_replica(&self) {
        self.pg_ctl(&["-D", &self.path("replica"), "-m", "fast", "-w", "stop"]);
    }

    fn pg_ctl(&self, args: &[&str]) {
        self.program("pg_ctl", args);
    }

    fn program(&self, name: &str, args: &[&str]) {
        let program = self.bin.join(name);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        run(command.args(args).current_dir(self.dir.path()));
    }

    fn url(&self, port: u16, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{database}?sslmode=disable")
    }

    fn primary_url(&self) -> String {
        self.url(self.primary_port, "newsroom")
    }

    fn replica_url(&self) -> String {
        self.url(self.replica_port, "newsroom")
    }

    /// Waits until the replica has replayed everything the primary has written.
    async fn until_replayed(&self) {
        let primary = connect(&self.url(self.primary_port, "postgres")).await;
        let replica = connect(&self.url(self.replica_port, "postgres")).await;
        let written = lsn(&primary, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn").await;
        let started = Instant::now();
        while lsn(&replica, "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn").await < written {
            assert!(started.elapsed() < Duration::from_secs(10), "the replica did not catch up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn on_replica(&self, sql: &str) {
        let replica = connect(&self.url(self.replica_port, "postgres")).await;
        replica.execute_unprepared(sql).await.expect(sql);
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for cluster in ["replica", "primary"] {
            let data = self.path(cluster);
            let program = self.bin.join("pg_ctl");
            let mut command = if running_as_root() {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            } else {
                Command::new(program)
            };
            let _ = command.args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
        }
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} does not run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Where `initdb`, `pg_ctl` and `pg_basebackup` are.
fn server_programs() -> PathBuf {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|dir| dir.join("initdb").exists());
    let debian = || {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .filter(|dir| dir.join("initdb").exists())
            .collect();
        dirs.sort();
        dirs.pop()
    };
    from_pg_config.or_else(debian).expect("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port()
}

async fn connect(url: &str) -> DatabaseConnection {
    newsroom::db::connect(url, 1).await.expect("the test cluster answers")
}

async fn lsn(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql);
    row.expect("a row").try_get("", "lsn").expect("a position")
}

/// The clusters, the `newsroom` database on the primary, and a server reading from the
/// replica configured by `change`.
async fn server_with_a_replica(change: impl FnOnce(&mut Config)) -> (Clusters, TestApp) {
    let clusters = tokio::task::block_in_place(Clusters::start);
    connect(&clusters.url(clusters.primary_port, "postgres"))
        .await
        .execute_unprepared("CREATE DATABASE newsroom")
        .await
        .expect("create the database");
    let mut config = Config::with_database(clusters.primary_url());
    config.database_read_urls = vec![clusters.replica_url()];
    change(&mut config);
    let app = TestApp::start(config, None).await;
    (clusters, app)
}

const ARTICLE: &str = r#"query($slug: String!) { article(slug: $slug) { headline } }"#;

async fn headline(app: &TestApp, token: Option<&str>, slug: &str) -> Value {
    app.post(token, ARTICLE, json!({ "slug": slug })).await.assert_ok()["article"]["headline"].clone()
}

async fn replica_reads(app: &TestApp) -> f64 {
    app.metric(r#"newsroom_replica_reads_total{replica="1"}"#).await
}

async fn primary_reads(app: &TestApp) -> f64 {
    app.metric("newsroom_replica_primary_reads_total").await
}

/// Waits until `metric` of `app` reads `wanted`, at most `within`.
async fn until_metric(app: &TestApp, metric: &str, within: Duration, wanted: impl Fn(f64) -> bool) {
    let started = Instant::now();
    loop {
        let value = app.metric(metric).await;
        if wanted(value) {
            return;
        }
        assert!(started.elapsed() < within, "{metric} is {value} after {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const USABLE: &str = r#"newsroom_replica_usable{replica="1"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn anonymous_queries_read_from_the_replica_and_staff_and_writes_from_the_primary() {
    let (clusters, app) = server_with_a_replica(|_| {}).await;
    let world = fixtures::section(&app.db, "world", "World", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published("harbour", &world, ago(30))).await;
    clusters.until_replayed().await;
    until_metric(&app, USABLE, Duration::from_secs(5), |v| v == 1.0).await;

    let (replica_before, primary_before) = (replica_reads(&app).await, primary_reads(&app).await);
    for _ in 0..3 {
        assert_eq!(headline(&app, None, "harbour").await, "Headline of harbour");
    }
    assert_eq!(replica_reads(&app).await, replica_before + 3.0, "anonymous queries read from the replica");
    assert_eq!(primary_reads(&app).await, primary_before);

    let (_, editor) = app.staff(Role::Editor).await;
    assert_eq!(headline(&app, Some(&editor), "harbour").await, "Headline of harbour");
    let update =
        r#"mutation($id: ID!) { updateArticle(id: $id, input: { headline: "Harbour reopens" }) { headline } }"#;
    let updated = app.post(Some(&editor), update, json!({ "id": encode(Kind::Article, article.id) })).await;
    assert_eq!(updated.assert_ok()["updateArticle"]["headline"], "Harbour reopens");
    assert_eq!(replica_reads(&app).await, replica_before + 3.0, "the editor's query and mutation used the primary");

    // The writer reads its write at once, from wherever has it.
    assert_eq!(headline(&app, None, "harbour").await, "Harbour reopens");
    // And once the replica has replayed it, from the replica again.
    clusters.until_replayed().await;
    let started = Instant::now();
    loop {
        let before = replica_reads(&app).await;
        assert_eq!(headline(&app, None, "harbour").await, "Harbour reopens");
        if replica_reads(&app).await > before {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "reads did not go back to the replica");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_write_through_one_server_is_never_read_stale_through_another_once_it_arrived() {
    let (clusters, writer) = server_with_a_replica(|_| {}).await;
    let reader = writer.reconnected(|config| config.response_cache_mb = 16).await;
    let world = fixtures::section(&writer.db, "world", "World", None).await;
    let article = fixtures::article(&writer.db, ArticleSpec::published("harbour", &world, ago(30))).await;
    clusters.until_replayed().await;
    until_metric(&reader, USABLE, Duration::from_secs(5), |v| v == 1.0).await;
    assert_eq!(headline(&reader, None, "harbour").await, "Headline of harbour");
    assert_eq!(replica_reads(&reader).await, 1.0, "read from the replica, and cached");

    // The replica stops replaying: from now on it shows nothing new.
    clusters.on_replica("SELECT pg_wal_replay_pause()").await;
    let heard = reader.metric("newsroom_change_notifications_received_total").await;
    let (_, editor) = writer.staff(Role::Editor).await;
    let update =
        r#"mutation($id: ID!) { updateArticle(id: $id, input: { headline: "Harbour reopens" }) { headline } }"#;
    writer.post(Some(&editor), update, json!({ "id": encode(Kind::Article, article.id) })).await.assert_ok();
    until_metric(&reader, "newsroom_change_notifications_received_total", Duration::from_secs(5), |v| v > heard).await;

    let primary_before = primary_reads(&reader).await;
    for _ in 0..3 {
        assert_eq!(headline(&reader, None, "harbour").await, "Harbour reopens", "never the replica's stale row");
    }
    assert_eq!(primary_reads(&reader).await, primary_before + 1.0, "read once from the primary, then cached");
    assert_eq!(replica_reads(&reader).await, 1.0);
    // Any other query goes to the primary too while the replica is behind.
    let section = reader.query(r#"{ section(slug: "world") { name } }"#, json!({})).await;
    assert_eq!(section["section"]["name"], "World");
    assert_eq!(replica_reads(&reader).await, 1.0);

    clusters.on_replica("SELECT pg_wal_replay_resume()").await;
    clusters.until_replayed().await;
    let started = Instant::now();
    let mut turn = 0;
    loop {
        // A document the cache has not seen, so that it is read.
        turn += 1;
        let query = format!(r#"{{ article(slug: "harbour") {{ headline turn{turn}: slug }} }}"#);
        assert_eq!(reader.query(&query, json!({})).await["article"]["headline"], "Harbour reopens");
        if replica_reads(&reader).await > 1.0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "reads did not go back to the replica once it caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
async fn a_replica_that_stops_or_lags_is_left_out_and_taken_back() {
    let (clusters, app) = server_with_a_replica(|config| config.replica_max_lag = Duration::from_secs(1)).await;
    let world = fixtures::section(&app.db, "world", "World", None).await;
    fixtures::article(&app.db, ArticleSpec::published("harbour", &world, ago(30))).await;
    clusters.until_replayed().await;
    until_metric(&app, USABLE, Duration::from_secs(5), |v| v == 1.0).await;

    tokio::task::block_in_place(|| clusters.stop_replica());
    // Whether or not the server has noticed yet, every answer is whole.
    for _ in 0..5 {
        assert_eq!(headline(&app, None, "harbour").await, "Headline of harbour");
    }
    until_metric(&app, USABLE, Duration::from_secs(3), |v| v == 0.0).await;
    let replica_before = replica_reads(&app).await;
    assert_eq!(headline(&app, None, "harbour").await, "Headline of harbour");
    assert_eq!(replica_reads(&app).await, replica_before, "left out");

    tokio::task::block_in_place(|| clusters.start_replica());
    until_metric(&app, USABLE, Duration::from_secs(10), |v| v == 1.0).await;
    assert_eq!(headline(&app, None, "harbour").await, "Headline of harbour");
    assert_eq!(replica_reads(&app).await, replica_before + 1.0, "taken back");

    // Paused while the primary goes on writing (outside the server, which hears nothing
    // of it), the replica falls behind by more than the bound and is left out.
    clusters.on_replica("SELECT pg_wal_replay_pause()").await;
    let primary = connect(&clusters.primary_url()).await;
    primary.execute_unprepared("CREATE TABLE written_elsewhere (id int)").await.expect("a write");
    until_metric(&app, USABLE, Duration::from_secs(5), |v| v == 0.0).await;
    assert!(app.metric(r#"newsroom_replica_lag_seconds{replica="1"}"#).await > 1.0);
    clusters.on_replica("SELECT pg_wal_replay_resume()").await;
    until_metric(&app, USABLE, Duration::from_secs(5), |v| v == 1.0).await;
}
