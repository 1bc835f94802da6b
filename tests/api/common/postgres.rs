//! PostgreSQL databases for tests, on the server of `NEWSROOM_TEST_POSTGRES_URL`. Each test
//! gets a database of its own, cloned from a migrated template (`CREATE DATABASE ...
//! TEMPLATE`, far quicker than running the migrations again), and drops it when done.
//!
//! The template is named after a hash of the migrations' sources (`build.rs`), so runs with
//! the same migrations share it and a changed migration gets a new one. The other names
//! start with the second they were made, so that databases of runs that were killed before
//! they could drop theirs are dropped by a later run once they are a day old.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::OnceCell;

/// A database of one test, dropped (with its connections) when this is.
pub struct TestDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    /// A new database with every migration run, or `None` when no server is configured.
    pub async fn migrated() -> Option<TestDatabase> {
        let admin_url = admin_url()?;
        let template = TEMPLATE.get_or_init(|| migrated_template(admin_url.clone())).await;
        Some(Self::create(admin_url, &format!("TEMPLATE {template}")).await)
    }

    /// A new empty database, or `None` when no server is configured.
    pub async fn empty() -> Option<TestDatabase> {
        Some(Self::create(admin_url()?, "").await)
    }

    async fn create(admin_url: String, options: &str) -> TestDatabase {
        let name = format!("newsroom_test_{}", unique_suffix());
        let admin = connect(&admin_url).await;
        admin.execute_unprepared(&format!("CREATE DATABASE {name} {options}")).await.expect("create a test database");
        let _ = admin.close().await;
        TestDatabase { url: url_of(&admin_url, &name), name, admin_url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with a
        // runtime of its own can.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let admin = connect(&admin_url).await;
                let dropped = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                let _ = admin.close().await;
                dropped
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) && !std::thread::panicking() {
            panic!("the test database was not dropped: {dropped:?}");
        }
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The name of the migrated template, made by the first test that needs it (in this run or
/// an earlier one).
async fn migrated_template(admin_url: String) -> String {
    let template = format!("newsroom_test_template_{}", env!("NEWSROOM_MIGRATIONS_HASH"));
    let admin = connect(&admin_url).await;
    drop_abandoned(&admin).await;
    if !exists(&admin, &template).await {
        // Built under a name of its own and renamed when complete, so that a run that
        // stops halfway, or another one building at the same time, leaves no half-migrated
        // template behind.
        let building = format!("newsroom_test_building_{}", unique_suffix());
        admin.execute_unprepared(&format!("CREATE DATABASE {building}")).await.expect("create the template");
        let db = connect(&url_of(&admin_url, &building)).await;
        newsroom::db::migrate(&db).await.expect("migrations run");
        let _ = db.close().await;
        let renamed = admin.execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}")).await;
        if renamed.is_err() {
            assert!(exists(&admin, &template).await, "the template could not be renamed: {renamed:?}");
            admin.execute_unprepared(&format!("DROP DATABASE {building} WITH (FORCE)")).await.expect("drop a spare");
        }
    }
    let _ = admin.close().await;
    template
}

/// Drops the test databases made more than a day ago: a run never lasts that long, so
/// they belong to runs that were killed.
async fn drop_abandoned(admin: &DatabaseConnection) {
    const DAY: u64 = 24 * 60 * 60;
    let listed = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'newsroom\\_test\\_%'",
        ))
        .await
        .expect("list databases");
    let now = seconds_now();
    for row in listed {
        let name: String = row.try_get("", "datname").expect("a name");
        let made = name
            .trim_start_matches("newsroom_test_")
            .trim_start_matches("building_")
            .split('_')
            .next()
            .and_then(|seconds| seconds.parse::<u64>().ok());
        if made.is_some_and(|made| made + DAY < now) {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

fn seconds_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn exists(admin: &DatabaseConnection, name: &str) -> bool {
    let found = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("list databases");
    found.is_some()
}

fn admin_url() -> Option<String> {
    std::env::var("NEWSROOM_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty())
}

async fn connect(url: &str) -> DatabaseConnection {
    newsroom::db::connect(url, 1).await.expect("NEWSROOM_TEST_POSTGRES_URL must be reachable")
}

/// `admin_url` with its database replaced by `name`, its parameters kept.
fn url_of(admin_url: &str, name: &str) -> String {
    let (prefix, query) = match admin_url.split_once('?') {
        Some((prefix, query)) => (prefix, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let server = prefix.rsplit_once('/').map(|(server, _)| server).unwrap_or(prefix);
    format!("{server}/{name}{query}")
}

/// The second it is made, then what tells apart databases made in the same second.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{}_{}_{count}_{nanos}", seconds_now(), std::process::id())
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
