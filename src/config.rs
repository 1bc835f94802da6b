//! One `Config` from flags and `NEWSROOM_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database to use: a SQLite file (`sqlite:newsroom.db`, created on first start) or
    /// PostgreSQL (`postgres://user@host/db`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:newsroom.db", global = true)]
    pub database_url: String,

    /// How SQLite makes a commit durable (`PRAGMA synchronous`; ignored on PostgreSQL).
    /// `normal`: a crash of the process never loses an acknowledged write, a power cut or
    /// crash of the operating system may lose the last ones (the file is never corrupted).
    /// `full` and `extra`: acknowledged writes survive a power cut too, at the cost of a
    /// flush to disk on every commit.
    #[arg(long, env = "NEWSROOM_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSynchronous::Normal, global = true)]
    pub sqlite_synchronous: SqliteSynchronous,

    /// PostgreSQL read replicas (streaming standbys of DATABASE_URL), comma-separated.
    /// Anonymous, reader and partner queries read from one of them; mutations, staff and
    /// preview reads use DATABASE_URL. A replica that has not replayed a change this
    /// server has heard of is not read from until it has; one that is down or lags more
    /// than NEWSROOM_REPLICA_MAX_LAG is left out until it is back.
    #[arg(long, env = "NEWSROOM_DATABASE_READ_URLS", value_delimiter = ',', hide_env_values = true, global = true)]
    pub database_read_urls: Vec<String>,

    /// How far a read replica may fall behind the primary before it is left out.
    #[arg(long, env = "NEWSROOM_REPLICA_MAX_LAG", default_value = "5s", value_parser = parse_duration, global = true)]
    pub replica_max_lag: Duration,

    /// Most database connections the server opens. Unset: twice the machine's cores.
    #[arg(long, env = "NEWSROOM_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// Address the server listens on.
    #[arg(long, env = "NEWSROOM_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,

    /// Secret that signs HS256 tokens. When unset, a random secret is generated once and
    /// kept in the database, so tokens survive restarts.
    #[arg(long, env = "NEWSROOM_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// `iss` claim tokens are issued with and must carry.
    #[arg(long, env = "NEWSROOM_JWT_ISSUER", default_value = "newsroom", global = true)]
    pub jwt_issuer: String,

    /// `aud` claim tokens are issued with and must carry.
    #[arg(long, env = "NEWSROOM_JWT_AUDIENCE", default_value = "newsroom", global = true)]
    pub jwt_audience: String,

    /// PEM file with the public key of an outside identity provider whose tokens are
    /// accepted besides our own; their `sub` is the email address of an account.
    #[arg(long, env = "NEWSROOM_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<PathBuf>,

    /// Algorithm of the outside tokens (RS256, RS384, RS512, PS256, PS384, PS512, ES256,
    /// ES384 or EdDSA). By default the key decides: RS256 for RSA, ES256 for P-256, ES384
    /// for P-384, EdDSA for Ed25519.
    #[arg(long, env = "NEWSROOM_JWT_PUBLIC_KEY_ALGORITHM", value_parser = parse_public_key_algorithm, global = true)]
    pub jwt_public_key_algorithm: Option<jsonwebtoken::Algorithm>,

    /// `iss` that outside tokens must carry (by default NEWSROOM_JWT_ISSUER).
    #[arg(long, env = "NEWSROOM_JWT_PUBLIC_KEY_ISSUER", global = true)]
    pub jwt_public_key_issuer: Option<String>,

    /// `aud` that outside tokens must carry (by default NEWSROOM_JWT_AUDIENCE).
    #[arg(long, env = "NEWSROOM_JWT_PUBLIC_KEY_AUDIENCE", global = true)]
    pub jwt_public_key_audience: Option<String>,

    /// How long a token from the `login` mutation lasts (e.g. `12h`, `30m`).
    #[arg(long, env = "NEWSROOM_LOGIN_TTL", default_value = "12h", value_parser = parse_duration, global = true)]
    pub login_ttl: Duration,

    /// Deepest query nesting accepted.
    #[arg(long, env = "NEWSROOM_MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Highest query complexity accepted.
    #[arg(long, env = "NEWSROOM_MAX_COMPLEXITY", default_value_t = 5000, global = true)]
    pub max_complexity: usize,

    /// Most aliases (`name: field`) one query may use, fragments expanded.
    #[arg(long, env = "NEWSROOM_MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,

    /// Most root fields one operation may ask for, fragments expanded.
    #[arg(long, env = "NEWSROOM_MAX_ROOT_FIELDS", default_value_t = 20, global = true)]
    pub max_root_fields: usize,

    /// Most directives (`@include`, `@skip`, ...) one query may use, fragments expanded.
    #[arg(long, env = "NEWSROOM_MAX_DIRECTIVES", default_value_t = 50, global = true)]
    pub max_directives: usize,

    /// Most tokens a query document may have (names, punctuation and values; whitespace,
    /// commas and comments do not count). Counted before the document is parsed.
    #[arg(long, env = "NEWSROOM_MAX_TOKENS", default_value_t = 5_000, global = true)]
    pub max_tokens: usize,

    /// Most operations one POST may batch as a JSON array.
    #[arg(long, env = "NEWSROOM_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,

    /// Answer introspection (`__schema`, `__type`, `GET /schema.graphql`) and suggest field
    /// names in error messages ("Did you mean ..."). `false` switches all of it off.
    #[arg(long, env = "NEWSROOM_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "NEWSROOM_BODY_LIMIT", default_value_t = 256 * 1024, global = true)]
    pub body_limit: usize,

    /// Longest a request may take (e.g. `10s`).
    #[arg(long, env = "NEWSROOM_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub request_timeout: Duration,

    /// PostgreSQL cancels a statement of the server that runs longer than this
    /// (`statement_timeout`); `0s` lets statements run without end. SQLite has no such
    /// limit, and migrations, imports and exports run without it.
    #[arg(long, env = "NEWSROOM_DB_STATEMENT_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub db_statement_timeout: Duration,

    /// SQL statements that take at least this long are logged as warnings.
    #[arg(long, env = "NEWSROOM_SLOW_SQL", default_value = "100ms", value_parser = parse_duration, global = true)]
    pub slow_sql: Duration,

    /// Log format.
    #[arg(long, env = "NEWSROOM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Readers' comments go live at once instead of waiting for a moderator (comments with
    /// more than two links still wait).
    #[arg(long, env = "NEWSROOM_COMMENTS_AUTO_APPROVE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub comments_auto_approve: bool,

    /// Comments one client may post a minute.
    #[arg(long, env = "NEWSROOM_COMMENT_LIMIT_PER_MINUTE", default_value_t = 5, global = true)]
    pub comment_limit_per_minute: u32,

    /// Comments one client may post an hour.
    #[arg(long, env = "NEWSROOM_COMMENT_LIMIT_PER_HOUR", default_value_t = 30, global = true)]
    pub comment_limit_per_hour: u32,

    /// Addresses of reverse proxies whose `X-Forwarded-For` header names the client
    /// (comma-separated). Without them the client is the connection's peer address.
    #[arg(long, env = "NEWSROOM_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// The site's newsletter page: confirmation and unsubscribe emails link to it with
    /// `?token=...` and `?unsubscribe=...`.
    #[arg(long, env = "NEWSROOM_NEWSLETTER_URL", default_value = "http://localhost:3000/newsletter", global = true)]
    pub newsletter_url: String,

    /// The publication's public site, where readers find the articles: every link the API
    /// gives out starts here.
    #[arg(long, env = "NEWSROOM_SITE_URL", default_value = "http://localhost:3000", value_parser = parse_site_url, global = true)]
    pub site_url: String,

    /// The publication's name, as feeds and structured data show it.
    #[arg(long, env = "NEWSROOM_SITE_NAME", default_value = "newsroom", global = true)]
    pub site_name: String,

    /// The language of the publication, a BCP 47 tag such as `en` or `en-GB`.
    #[arg(long, env = "NEWSROOM_SITE_LANGUAGE", default_value = "en", value_parser = parse_language, global = true)]
    pub site_language: String,

    /// Where each article lives: {site}, {section_path}, {section}, {slug}, {id}, {yyyy},
    /// {mm} and {dd} are filled in.
    #[arg(long, env = "NEWSROOM_ARTICLE_URL_PATTERN", default_value = crate::domain::site::DEFAULT_ARTICLE_PATTERN, value_parser = parse_article_pattern, global = true)]
    pub article_url_pattern: String,

    /// Feeds carry each article's body (`content:encoded`, Atom `content`, JSON Feed
    /// `content_html`); of a paywalled article only its teaser. Off: headline, standfirst,
    /// image and link only.
    #[arg(long, env = "NEWSROOM_FEED_FULL_TEXT", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub feed_full_text: bool,

    /// How long browsers, CDNs and the response cache may reuse an anonymous query answer
    /// (`Cache-Control: public, max-age=...`).
    #[arg(long, env = "NEWSROOM_CACHE_MAX_AGE", default_value = "30s", value_parser = parse_duration, global = true)]
    pub cache_max_age: Duration,

    /// How long after `max-age` a CDN may still serve an answer while it fetches a fresh one.
    #[arg(long, env = "NEWSROOM_CACHE_STALE_WHILE_REVALIDATE", default_value = "60s", value_parser = parse_duration, global = true)]
    pub cache_stale_while_revalidate: Duration,

    /// Megabytes of anonymous query answers kept in memory; 0 turns the response cache off.
    #[arg(long, env = "NEWSROOM_RESPONSE_CACHE_MB", default_value_t = 64, global = true)]
    pub response_cache_mb: u64,

    /// Response headers that name the cache tags an anonymous answer read, so that a CDN
    /// can purge every answer a change outdates: comma-separated header names.
    /// `Surrogate-Key` (Fastly, Varnish xkey) lists the tags separated by spaces,
    /// `Cache-Tag` (Cloudflare) and `Edge-Cache-Tag` (Akamai) by commas, any other header by
    /// spaces. Empty: no such header.
    #[arg(long, env = "NEWSROOM_CACHE_TAG_HEADERS", default_value = "Surrogate-Key,Cache-Tag", value_parser = parse_header_names, global = true)]
    pub cache_tag_headers: String,

    /// Origins whose web pages may call the API from a browser (CORS), comma-separated, e.g.
    /// `https://www.example.com,https://app.example.com`; `*` allows every origin. Tokens
    /// travel in the `Authorization` header, never in cookies, so no origin gains a
    /// signed-in user's rights from this.
    #[arg(long, env = "NEWSROOM_CORS_ORIGINS", default_value = "*", value_delimiter = ',', value_parser = parse_origin, global = true)]
    pub cors_origins: Vec<String>,

    /// The mail server the outbox's emails go out through: `smtps://user:password@host`
    /// (TLS, port 465 by default), `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), or `smtp://host:25` (unencrypted, for a relay on the same machine).
    /// Unset: nothing is sent, and `newsroom outbox` lists what waits.
    #[arg(long, env = "NEWSROOM_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The From of the emails, e.g. `"Daily News" <news@example.com>`. Unset: the site's
    /// name at `newsroom@` the site's host.
    #[arg(long, env = "NEWSROOM_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,

    /// The wait before an email that failed is tried again; each later wait doubles it, up
    /// to an hour, and an email still failing a day after its first try is given up. For
    /// tests, which cannot wait seconds.
    #[arg(long, env = "NEWSROOM_SMTP_RETRY_FIRST", default_value = "5s", value_parser = parse_duration, hide = true, global = true)]
    pub smtp_retry_first: Duration,

    /// On SIGTERM or Ctrl-C, how long in-flight requests may take to finish before the
    /// server stops anyway; open subscriptions are closed at once.
    #[arg(long, env = "NEWSROOM_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration, global = true)]
    pub shutdown_grace: Duration,

    /// Let webhooks go to loopback, private and link-local addresses (a receiver on the
    /// same machine or network). Off, such endpoints are refused, when they are added and
    /// at each send.
    #[arg(long, env = "NEWSROOM_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_private: bool,

    /// The wait after a webhook delivery's first failed attempt; each later wait doubles,
    /// up to an hour, for a day. Shorter only in tests.
    #[arg(long, env = "NEWSROOM_WEBHOOK_RETRY_FIRST", default_value = "5s", value_parser = parse_duration, hide = true, global = true)]
    pub webhook_retry_first: Duration,

    /// Serve `GET /bench/ceiling/{bytes}`, a fixed JSON body of that many bytes, so that the
    /// benchmark can measure what the HTTP stack alone answers. Off in production.
    #[arg(long, env = "NEWSROOM_BENCH_ROUTES", default_value_t = false, action = clap::ArgAction::Set, hide = true, global = true)]
    pub bench_routes: bool,
}

/// The SQLite `synchronous` levels the server offers; `OFF`, which may corrupt the
/// database on a power cut, is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SqliteSynchronous {
    #[default]
    Normal,
    Full,
    Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The longest lifetime a token or a setting may be given: ten years.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("{e} (write it like 30s, 15m, 12h or 7d)"))?;
    if duration > MAX_DURATION {
        return Err("must be at most 10 years".into());
    }
    Ok(duration)
}

/// A public-key algorithm for outside tokens; the HS algorithms are our own secret's.
pub fn parse_public_key_algorithm(text: &str) -> Result<jsonwebtoken::Algorithm, String> {
    use jsonwebtoken::{Algorithm, AlgorithmFamily};
    let algorithm: Algorithm =
        text.parse().map_err(|_| "must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA")?;
    if algorithm.family() == AlgorithmFamily::Hmac {
        return Err("must be a public-key algorithm; HS256 tokens are signed with NEWSROOM_JWT_SECRET".into());
    }
    Ok(algorithm)
}

/// An origin as browsers send it (`https://www.example.com`, `http://localhost:3000`), or `*`.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(text.to_owned());
    }
    const FORM: &str = "write an origin like https://www.example.com or http://localhost:3000, or *";
    let url = url::Url::parse(text).map_err(|e| format!("{e} ({FORM})"))?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !bare || !url.username().is_empty() {
        return Err(FORM.into());
    }
    Ok(url.origin().ascii_serialization())
}

/// The site's address: an absolute http(s) URL without query or fragment; a trailing slash
/// is dropped.
pub fn parse_site_url(text: &str) -> Result<String, String> {
    const FORM: &str = "write the site's address like https://news.example.com";
    let url = url::Url::parse(text.trim()).map_err(|e| format!("{e} ({FORM})"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(FORM.into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A BCP 47 language tag, as far as its shape goes: letters, digits and hyphens.
pub fn parse_language(text: &str) -> Result<String, String> {
    let text = text.trim();
    let shaped =
        text.split('-').all(|part| (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !shaped || !text.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return Err("write a language tag like en, en-GB or pt-BR".into());
    }
    Ok(text.to_owned())
}

pub fn parse_article_pattern(text: &str) -> Result<String, String> {
    crate::domain::site::UrlPattern::parse(text)?;
    Ok(text.trim().to_owned())
}

impl Config {
    /// Where webhooks may be sent.
    pub fn webhook_reach(&self) -> crate::domain::webhooks::Reach {
        crate::domain::webhooks::Reach { allow_private: self.webhook_allow_private }
    }

    /// When failed webhook deliveries are tried again.
    pub fn webhook_backoff(&self) -> crate::domain::retry::Backoff {
        crate::domain::retry::Backoff { first: self.webhook_retry_first, ..Default::default() }
    }

    /// The site the configuration describes.
    pub fn site(&self) -> crate::domain::site::Site {
        let pattern = crate::domain::site::UrlPattern::parse(&self.article_url_pattern).unwrap_or_default();
        crate::domain::site::Site::new(&self.site_name, &self.site_url, &self.site_language, pattern)
    }
}

/// Header names, comma-separated (see `NEWSROOM_CACHE_TAG_HEADERS`); empty for none.
pub fn parse_header_names(text: &str) -> Result<String, String> {
    for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        axum::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name (write names like Surrogate-Key,Cache-Tag)"))?;
    }
    Ok(text.trim().to_owned())
}

impl Config {
    /// The headers that carry an answer's cache tags, as configured.
    pub fn tag_headers(&self) -> Vec<axum::http::HeaderName> {
        let names = self.cache_tag_headers.split(',').map(str::trim).filter(|name| !name.is_empty());
        names.filter_map(|name| axum::http::HeaderName::from_bytes(name.as_bytes()).ok()).collect()
    }

    /// The size of the server's connection pool: `db_max_connections`, or twice the cores.
    /// A query's statements are work for the same cores as the rest of the request (each
    /// SQLite connection runs them on a thread of its own; a PostgreSQL server on the same
    /// machine runs a process per connection): more connections than twice the cores only
    /// add switches between threads and requests that overtake each other. On 2 cores the
    /// article page's p99 was 42-44 ms with 10 SQLite connections against 36-37 ms with 4;
    /// on PostgreSQL 4 connections served 1,529 req/s at a p99 of 30 ms where 10 served
    /// 1,313 at 51 ms.
    pub fn pool_size(&self) -> u32 {
        self.db_max_connections
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |cores| 2 * cores.get() as u32))
    }

    /// The defaults, as if no flag or variable were set (for tests and embedding).
    pub fn with_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            sqlite_synchronous: SqliteSynchronous::Normal,
            database_read_urls: Vec::new(),
            replica_max_lag: Duration::from_secs(5),
            db_max_connections: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            jwt_issuer: "newsroom".into(),
            jwt_audience: "newsroom".into(),
            jwt_public_key: None,
            jwt_public_key_algorithm: None,
            jwt_public_key_issuer: None,
            jwt_public_key_audience: None,
            login_ttl: Duration::from_secs(12 * 3600),
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 50,
            max_tokens: 5_000,
            max_batch: 10,
            introspection: true,
            body_limit: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            db_statement_timeout: Duration::from_secs(5),
            slow_sql: Duration::from_millis(100),
            log_format: LogFormat::Text,
            comments_auto_approve: false,
            comment_limit_per_minute: 5,
            comment_limit_per_hour: 30,
            trusted_proxies: Vec::new(),
            newsletter_url: "http://localhost:3000/newsletter".into(),
            site_url: "http://localhost:3000".into(),
            site_name: "newsroom".into(),
            site_language: "en".into(),
            article_url_pattern: crate::domain::site::DEFAULT_ARTICLE_PATTERN.into(),
            feed_full_text: false,
            cache_max_age: Duration::from_secs(30),
            cache_stale_while_revalidate: Duration::from_secs(60),
            response_cache_mb: 64,
            cache_tag_headers: "Surrogate-Key,Cache-Tag".into(),
            cors_origins: vec!["*".into()],
            smtp_url: None,
            smtp_from: None,
            smtp_retry_first: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            webhook_allow_private: false,
            webhook_retry_first: Duration::from_secs(5),
            bench_routes: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Config, parse_origin};

    #[test]
    fn the_pool_is_twice_the_cores_unless_set() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        assert_eq!(Config::with_database("sqlite:newsroom.db").pool_size(), 2 * cores);
        assert_eq!(Config::with_database("postgres://localhost/newsroom").pool_size(), 2 * cores);
        let mut set = Config::with_database("sqlite:newsroom.db");
        set.db_max_connections = Some(7);
        assert_eq!(set.pool_size(), 7);
    }

    #[test]
    fn cache_tag_headers_are_header_names_or_none() {
        let mut config = Config::with_database("sqlite:newsroom.db");
        assert_eq!(config.tag_headers(), ["surrogate-key", "cache-tag"]);
        config.cache_tag_headers = super::parse_header_names(" ").unwrap();
        assert!(config.tag_headers().is_empty());
        assert_eq!(super::parse_header_names("xkey").as_deref(), Ok("xkey"));
        assert!(super::parse_header_names("Surrogate Key").is_err());
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(parse_origin("https://www.example.com").as_deref(), Ok("https://www.example.com"));
        assert_eq!(parse_origin(" HTTPS://WWW.Example.com ").as_deref(), Ok("https://www.example.com"));
        assert_eq!(parse_origin("http://localhost:3000").as_deref(), Ok("http://localhost:3000"));
        assert_eq!(parse_origin("https://example.com:443/").as_deref(), Ok("https://example.com"));
        assert_eq!(parse_origin("*").as_deref(), Ok("*"));
        for bad in [
            "example.com",
            "https://example.com/page",
            "ftp://example.com",
            "https://a@example.com",
            "https://example.com?x",
            "",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
