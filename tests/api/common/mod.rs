//! The test harness: a fresh database (a SQLite file, or a PostgreSQL database when
//! `NEWSROOM_TEST_POSTGRES_URL` is set) with the real router in front of it, driven with
//! real GraphQL documents over in-process HTTP.
#![allow(dead_code)]

pub mod fixtures;
pub mod postgres;
pub mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use entity::user::Role;
use http_body_util::BodyExt;
use newsroom::auth::TokenService;
use newsroom::config::Config;
use newsroom::domain::pipeline::Pipeline;
use prometheus_client::metrics::counter::Counter;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct TestApp {
    /// SQL statements run so far: the app's own count, as `/metrics` shows it.
    pub statements: Counter,
    pub router: Router,
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenService>,
    /// Where the app announces every change it commits.
    pub pipeline: Arc<Pipeline>,
    pub config: Config,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database this app made, dropped with it (last, after its pool).
    _database: Option<postgres::TestDatabase>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The codes of the errors, in order.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned()).collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {}", self.body);
        &self.body["data"]
    }
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("newsroom.db").display());
        TestApp::start(Config::with_database(url), Some(dir)).await
    }

    /// A fresh PostgreSQL database, or `None` when no server is configured for tests.
    pub async fn postgres() -> Option<TestApp> {
        let database = postgres::TestDatabase::migrated().await?;
        let mut app = TestApp::start(Config::with_database(database.url.clone()), None).await;
        app._database = Some(database);
        Some(app)
    }

    pub async fn start(mut config: Config, dir: Option<tempfile::TempDir>) -> TestApp {
        config.db_max_connections = Some(4);
        // Requests come from 127.0.0.1, as from a trusted proxy: a test names its client
        // with `X-Forwarded-For` (see `post_from`).
        config.trusted_proxies = vec![std::net::Ipv4Addr::LOCALHOST.into()];
        // Fixtures write to the database directly, past the writes that move the content
        // version on; the response cache's own tests turn it on (tests/api/http_caching.rs).
        config.response_cache_mb = 0;
        let db = newsroom::app::connect(&config).await.expect("database opens");
        newsroom::db::migrate(&db).await.expect("migrations run");
        let state = newsroom::app::state(db, &config).await.expect("app starts");
        let statements = state.metrics.sql_statements.clone();
        let router = Self::router_for(state.clone(), &config);
        TestApp {
            statements,
            router,
            db: state.db.clone(),
            tokens: state.tokens.clone(),
            pipeline: state.pipeline.clone(),
            config,
            _dir: dir,
            _database: None,
        }
    }

    fn router_for(state: newsroom::http::AppState, config: &Config) -> Router {
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
        newsroom::app::router(state, config).layer(axum::extract::connect_info::MockConnectInfo(peer))
    }

    /// A second server on the same database with changed settings.
    pub async fn reconfigured(&self, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        change(&mut config);
        let state = newsroom::app::state(self.db.clone(), &config).await.expect("app starts");
        let router = Self::router_for(state.clone(), &config);
        TestApp {
            statements: state.metrics.sql_statements.clone(),
            router,
            db: state.db,
            tokens: state.tokens,
            pipeline: state.pipeline,
            config,
            _dir: None,
            _database: None,
        }
    }

    /// A second server on the same database with changed settings and a pool of its own,
    /// opened as the server opens it (for the database settings).
    pub async fn reconnected(&self, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        change(&mut config);
        let db = newsroom::app::connect(&config).await.expect("database opens");
        let state = newsroom::app::state(db, &config).await.expect("app starts");
        let router = Self::router_for(state.clone(), &config);
        TestApp {
            statements: state.metrics.sql_statements.clone(),
            router,
            db: state.db,
            tokens: state.tokens,
            pipeline: state.pipeline,
            config,
            _dir: None,
            _database: None,
        }
    }

    /// POSTs a GraphQL document as the client at `address` (behind the trusted proxy).
    pub async fn post_from(&self, address: &str, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", address);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.request(request.body(Body::from(body)).unwrap()).await
    }

    /// Serves the app on a loopback port, for clients that need a real connection
    /// (WebSocket); the server stops when the test's runtime does.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().unwrap();
        let service = self.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        address
    }

    /// The SQL statements one request runs, and its answer.
    pub async fn count_statements(&self, query: &str, variables: Value) -> (usize, Value) {
        let before = self.statements.get();
        let data = self.query(query, variables).await;
        ((self.statements.get() - before) as usize, data)
    }

    /// The value of a series of `/metrics`, e.g. `newsroom_response_cache_hits_total`.
    pub async fn metric(&self, series: &str) -> f64 {
        let scraped = self.get("/metrics").await;
        let text = scraped.body.as_str().expect("a text body");
        text.lines()
            .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
    }

    /// Waits until the app has `count` live subscriptions, so no event is published
    /// before its subscribers listen.
    pub async fn until_subscribed(&self, count: usize) {
        let started = std::time::Instant::now();
        while self.pipeline.subscribers() < count {
            assert!(started.elapsed() < Duration::from_secs(10), "only {} subscribed", self.pipeline.subscribers());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.config.database_url.starts_with("postgres")
    }

    pub async fn request(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, headers, body }
    }

    /// POSTs a GraphQL document, with a bearer token when one is given.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let mut request =
            Request::builder().method(Method::POST).uri("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.request(request.body(Body::from(body)).unwrap()).await
    }

    /// An anonymous query that must succeed; returns its data.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.post(None, query, variables).await.assert_ok().clone()
    }

    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(Some(token), query, variables).await.assert_ok().clone()
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.request(Request::builder().method(Method::GET).uri(uri).body(Body::empty()).unwrap()).await
    }

    /// A new staff account with a token for it.
    pub async fn staff(&self, role: Role) -> (entity::user::Model, String) {
        let user = fixtures::user(&self.db, role).await;
        let (token, _) = self.tokens.issue(user.id, role, Duration::from_secs(3600));
        (user, token)
    }
}

/// Runs one scenario on SQLite and on PostgreSQL: `on_both!(scenario)` makes the tests
/// `scenario::sqlite` and `scenario::postgres` from `async fn scenario(app: TestApp)`. The PostgreSQL one runs where
/// `NEWSROOM_TEST_POSTGRES_URL` was set when the tests were built (CI sets it), and shows as ignored elsewhere.
macro_rules! on_both {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario($crate::common::TestApp::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
            async fn postgres() {
                let app = $crate::common::TestApp::postgres().await;
                super::$scenario(app.expect("NEWSROOM_TEST_POSTGRES_URL was set when the tests were built")).await
            }
        }
    };
}
