use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use entity::article::AccessLevel;
use newsroom::auth::{password, token};
use newsroom::config::{Config, LogFormat, parse_duration};
use newsroom::domain::changes::Change;
use newsroom::domain::{newsletter, relay, users};
use newsroom::transfer::{self, ExportOptions};
use newsroom::{app, db, demo, graphql};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "newsroom", version, about = "A headless content API for news publishers, over GraphQL")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Load demo content into an empty database.
        #[arg(long)]
        demo: bool,
        /// Do not run migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Run the database migrations and exit.
    Migrate,
    /// Write the schema's SDL.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: String,
    },
    /// Write the whole content (not the settings) as NDJSON, for `import` into another database.
    Export {
        /// The file to write; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include password hashes and newsletter token hashes (written as null otherwise), and
        /// the outbox, whose emails carry newsletter links (left out otherwise).
        #[arg(long)]
        with_secrets: bool,
    },
    /// Load an export into an empty database, in one transaction.
    Import {
        /// The file `export` wrote; `-` reads standard input.
        file: PathBuf,
    },
    /// List the emails waiting in the outbox, oldest first, with their bodies and how
    /// their tries went. A server with NEWSROOM_SMTP_URL set sends them.
    Outbox {
        /// List the emails sent already as well.
        #[arg(long)]
        all: bool,
        /// List at most this many.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        limit: u64,
    },
    /// Follow what the servers on a PostgreSQL database change: one JSON line per change,
    /// with its cache tags and the tags to purge from a CDN (`purge`: the tags and `all`).
    /// After a lost connection it prints a change of `all`, since changes may have been
    /// missed meanwhile.
    Changes,
    /// Write a deterministic benchmark dataset in the format `import` reads.
    BenchData {
        #[arg(long, default_value_t = 30)]
        sections: u32,
        #[arg(long, default_value_t = 10_000)]
        articles: u32,
        /// Images with credits; one leads each article, others appear in bodies.
        #[arg(long, default_value_t = 10_000)]
        images: u32,
        #[arg(long, default_value_t = 1_000)]
        authors: u32,
        #[arg(long, default_value_t = 500)]
        tags: u32,
        /// Comments; the newest five articles carry 12% of them, with replies.
        #[arg(long, default_value_t = 100_000)]
        comments: u32,
        /// The same seed and counts give the same rows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The file to write; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Mint a token for a script: a staff user's, with `--role reader` a reader's, or with
    /// `--role partner` a syndication partner's.
    Token {
        /// The user the token acts for: an email or a user id. For a reader, whatever
        /// names them; for a partner, the partner's name (no account is needed for either).
        #[arg(long)]
        sub: String,
        /// The role to act as; at most the user's own (default: the user's role), or
        /// `reader`, or `partner`.
        #[arg(long)]
        role: Option<String>,
        /// A reader's access: free, registered or subscriber (default: registered).
        #[arg(long)]
        access: Option<String>,
        /// How long the token lasts, e.g. 1h, 30d.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        ttl: Duration,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from NEWSROOM_PASSWORD, or else from stdin.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// contributor, editor or admin
        #[arg(long)]
        role: String,
    },
    /// Set a new password for an account (read like `add` does), e.g. after an import
    /// without secrets.
    Password {
        #[arg(long)]
        email: String,
    },
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.config.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = cli.config;
    match cli.command {
        Command::Serve { demo, no_migrate } => serve(&config, demo, !no_migrate).await,
        Command::Migrate => {
            let db = connect_for_command(&config, 1).await?;
            db::migrate(&db).await.map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, graphql::sdl()).map_err(|e| format!("cannot write {out}: {e}"))?;
            println!("wrote {out}");
            Ok(())
        }
        Command::Export { out, with_secrets } => export(&config, out, with_secrets).await,
        Command::Import { file } => import(&config, file).await,
        Command::Outbox { all, limit } => outbox(&config, all, limit).await,
        Command::Changes => follow_changes(&config).await,
        Command::BenchData { sections, articles, images, authors, tags, comments, seed, out } => {
            let shape = newsroom::bench_data::Shape { sections, articles, images, authors, tags, comments, seed };
            let counts = match out {
                Some(path) => {
                    let file =
                        std::fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    newsroom::bench_data::write(&shape, file)
                }
                None => newsroom::bench_data::write(&shape, std::io::stdout().lock()),
            }
            .map_err(|e| e.to_string())?;
            eprintln!("wrote {counts}");
            Ok(())
        }
        Command::User(UserCommand::Add { email, name, role }) => {
            let role = token::parse_role(&role).ok_or("--role must be contributor, editor or admin")?;
            let password_hash = new_password_hash().await?;
            let db = open(&config).await?;
            let user = users::create(&db, users::NewUser { email, name, role, password_hash })
                .await
                .map_err(|e| e.to_string())?;
            println!("created user {} ({}) with id {}", user.email, token::role_name(user.role), user.id);
            Ok(())
        }
        Command::User(UserCommand::Password { email }) => {
            let password_hash = new_password_hash().await?;
            let db = open(&config).await?;
            let user = users::set_password(&db, &email, password_hash).await.map_err(|e| e.to_string())?;
            println!("set a new password for {}", user.email);
            Ok(())
        }
        Command::Token { sub, role, access, ttl } if token::is_reader(role.as_deref()) => {
            let access = match access {
                None => AccessLevel::Registered,
                Some(name) => token::parse_access(&name).ok_or("--access must be free, registered or subscriber")?,
            };
            let db = open(&config).await?;
            let tokens = app::token_service(&db, &config).await.map_err(|e| e.to_string())?;
            let (token, _) = tokens.issue_reader(&sub, access, ttl);
            println!("{token}");
            Ok(())
        }
        Command::Token { sub, role, access, ttl } if token::is_partner(role.as_deref()) => {
            if access.is_some() {
                return Err("--access is for reader tokens (--role reader): a partner reads every article whole".into());
            }
            let name = sub.trim();
            if name.is_empty() {
                return Err("--sub must name the partner".into());
            }
            let db = open(&config).await?;
            let tokens = app::token_service(&db, &config).await.map_err(|e| e.to_string())?;
            let (token, _) = tokens.issue_partner(name, ttl);
            println!("{token}");
            Ok(())
        }
        Command::Token { access: Some(_), .. } => Err("--access is for reader tokens (--role reader)".into()),
        Command::Token { sub, role, access: None, ttl } => {
            let db = open(&config).await?;
            let user = match sub.parse::<i64>() {
                Ok(id) => users::find(&db, id).await,
                Err(_) => users::find_by_email(&db, &sub).await,
            }
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("--sub: no user {sub}"))?;
            let role = match role {
                None => user.role,
                Some(name) => {
                    token::parse_role(&name).ok_or("--role must be contributor, editor, admin, reader or partner")?
                }
            };
            if role > user.role {
                return Err(format!("--role: {} is only {}", user.email, token::role_name(user.role)));
            }
            let tokens = app::token_service(&db, &config).await.map_err(|e| e.to_string())?;
            let (token, _) = tokens.issue(user.id, role, ttl);
            println!("{token}");
            Ok(())
        }
    }
}

/// A small pool for a command, without the server's statement timeout.
async fn connect_for_command(config: &Config, max_connections: u32) -> Result<sea_orm::DatabaseConnection, String> {
    let tuning = db::Tuning { statement_timeout: None, sqlite_synchronous: config.sqlite_synchronous };
    db::connect_with(&config.database_url, max_connections, tuning).await.map_err(|e| e.to_string())
}

async fn open(config: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    let db = connect_for_command(config, 2).await?;
    db::migrate(&db).await.map_err(|e| e.to_string())?;
    Ok(db)
}

async fn export(config: &Config, out: Option<PathBuf>, with_secrets: bool) -> Result<(), String> {
    let options = ExportOptions { with_secrets };
    let db = open(config).await?;
    let Some(path) = out else {
        let summary = transfer::export(&db, std::io::stdout(), options).await.map_err(|e| e.to_string())?;
        eprintln!("exported {}", summary.rows);
        return Ok(());
    };
    let file = std::fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    match transfer::export(&db, file, options).await {
        Ok(summary) => {
            println!("exported {} to {}", summary.rows, path.display());
            Ok(())
        }
        Err(error) => {
            // A partial file must not pass for an export.
            let _ = std::fs::remove_file(&path);
            Err(error.to_string())
        }
    }
}

async fn import(config: &Config, file: PathBuf) -> Result<(), String> {
    let (input, size): (Box<dyn BufRead>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let opened = std::fs::File::open(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 16, opened)), size)
    };
    let db = open(config).await?;
    let bar = progress_bar(size);
    let result = transfer::import(&db, input, |bytes| bar.set_position(bytes)).await;
    bar.finish_and_clear();
    let summary = result.map_err(|e| e.to_string())?;
    println!("imported {} from {}", summary.rows, file.display());
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Servers running on the database drop what they kept.
        let told = relay::announce(db.get_postgres_connection_pool(), &Change::everything()).await;
        if let Err(error) = told {
            println!("could not tell running servers to drop what they cached ({error}): restart them");
        }
    }
    if summary.users_without_password > 0 {
        println!(
            "{} users have no password (exported without --with-secrets): they cannot sign in with a password",
            summary.users_without_password
        );
    }
    Ok(())
}

async fn outbox(config: &Config, all: bool, limit: u64) -> Result<(), String> {
    let db = open(config).await?;
    let messages = newsletter::list_outbox(&db, all, limit.saturating_add(1)).await.map_err(|e| e.to_string())?;
    let what = if all { "emails" } else { "unsent emails" };
    if messages.is_empty() {
        println!("no {what} in the outbox");
        return Ok(());
    }
    let more = messages.len() as u64 > limit;
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for message in messages.iter().take(limit as usize) {
        let tries = match message.attempts {
            1 => "1 try".to_owned(),
            n => format!("{n} tries"),
        };
        let state = match (message.sent_at, message.failed_at, message.next_attempt_at) {
            (Some(at), ..) if message.attempts > 1 => format!("sent {}, after {tries}", time(at)),
            (Some(at), ..) => format!("sent {}", time(at)),
            (None, Some(at), _) => format!("failed {}, given up after {tries}", time(at)),
            (None, None, Some(next)) if message.attempts > 0 => format!("unsent, {tries} so far, next {}", time(next)),
            (None, None, _) => "unsent".to_owned(),
        };
        println!("#{} {} ({state})", message.id, message.kind);
        if let Some(error) = &message.last_error {
            println!("Last error: {error}");
        }
        println!("To: {}", message.recipient);
        println!("Subject: {}", message.subject);
        println!("Queued: {}", message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        println!();
        println!("{}", message.body.trim_end());
        println!();
    }
    if more {
        println!("there are more {what} than these {limit}: list them with a higher --limit");
    }
    Ok(())
}

async fn follow_changes(config: &Config) -> Result<(), String> {
    use futures_util::StreamExt;
    use std::io::Write;
    if !db::is_postgres(&config.database_url) {
        return Err("on SQLite one server serves the file and no other process hears its changes: \
                    follow changes on PostgreSQL"
            .into());
    }
    let db = connect_for_command(config, 1).await?;
    let pipeline = std::sync::Arc::new(newsroom::domain::pipeline::Pipeline::default());
    relay::start(&pipeline, db.get_postgres_connection_pool(), Default::default()).await;
    let mut out = std::io::stdout().lock();
    loop {
        let mut changes = pipeline.subscribe();
        while let Some(next) = changes.next().await {
            // Falling behind ends the subscription: what was missed may be anything.
            let change = next.map_or_else(|_| Change::everything(), |change| Change::clone(&change));
            let tags: Vec<String> = change.tags.iter().map(ToString::to_string).collect();
            let mut purge = tags.clone();
            if !purge.iter().any(|tag| tag == "all") {
                purge.push("all".into());
            }
            let line = serde_json::json!({ "tags": tags, "purge": purge, "events": change.events });
            writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| format!("cannot write: {e}"))?;
        }
    }
}

/// A bar of bytes read on a terminal; nothing at all when stderr goes elsewhere.
fn progress_bar(size: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template("importing {wide_bar} {binary_bytes}/{binary_total_bytes} ({eta})")
                .expect("a valid progress template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("importing {spinner} {binary_bytes}").expect("a valid progress template"),
        ),
    }
}

/// Reads a new password and hashes it.
async fn new_password_hash() -> Result<String, String> {
    let password = read_password()?;
    if password.chars().count() < password::MIN_PASSWORD_LEN {
        return Err(format!("the password must be at least {} characters", password::MIN_PASSWORD_LEN));
    }
    tokio::task::spawn_blocking(move || password::hash(&password)).await.map_err(|e| e.to_string())
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("NEWSROOM_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("password: ").map_err(|e| format!("cannot read the password: {e}"));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn serve(config: &Config, demo: bool, migrate: bool) -> Result<(), String> {
    let (router, state) = app::build(config, migrate).await.map_err(|e| e.to_string())?;
    if demo {
        if demo::load(&state.db).await.map_err(|e| format!("cannot load the demo content: {e}"))? {
            state.pipeline.publish(Change::everything());
            tracing::info!("loaded the demo content");
        } else {
            tracing::info!("the database has content already; demo content not loaded");
        }
    }
    let mailer = newsroom::mailer::Mailer::from_config(config, &state.site)?;
    let stop = shutdown_signal();
    let scheduler =
        tokio::spawn(newsroom::scheduler::run(state.db.clone(), state.pipeline.clone(), newsroom::scheduler::EVERY));
    let webhook_sender =
        newsroom::webhook_sender::Sender::new(state.db.clone(), config.webhook_reach(), config.webhook_backoff());
    let webhook_sender = tokio::spawn(webhook_sender.run(state.pipeline.clone()));
    let stop_mailing = tokio_util::sync::CancellationToken::new();
    let mut mailing = match mailer {
        Some(mailer) => {
            tracing::info!("sending the outbox's emails");
            Some(tokio::spawn(newsroom::mailer::run(state.db.clone(), mailer, stop_mailing.clone())))
        }
        None => {
            tracing::info!("NEWSROOM_SMTP_URL is not set: emails wait in the outbox, unsent");
            None
        }
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on NEWSROOM_LISTEN={}: {e}", config.listen))?;
    tracing::info!("newsroom listening on http://{}/graphql", config.listen);
    let (stop_accepting, stopped_accepting) = tokio::sync::oneshot::channel::<()>();
    let mut serving = tokio::spawn(
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped_accepting.await;
            })
            .into_future(),
    );
    tokio::select! {
        served = &mut serving => {
            scheduler.abort();
            webhook_sender.abort();
            if let Some(mailing) = &mailing {
                mailing.abort();
            }
            return served.map_err(|e| e.to_string())?.map_err(|e| e.to_string());
        }
        () = stop => {}
    }
    // No email is taken from now on; one being sent is finished below.
    stop_mailing.cancel();
    tracing::info!(grace = ?config.shutdown_grace, "shutting down: finishing in-flight requests, closing subscriptions");
    state.shutdown.begin();
    let _ = stop_accepting.send(());
    let drained = async {
        let _ = (&mut serving).await;
        state.shutdown.closed().await;
    };
    if tokio::time::timeout(config.shutdown_grace, drained).await.is_err() {
        tracing::warn!(grace = ?config.shutdown_grace, "requests still in flight after the grace period are cut off");
        serving.abort();
    }
    scheduler.abort();
    // A delivery cut off mid-send goes out again once its claim runs out.
    webhook_sender.abort();
    if let Some(mailing) = &mut mailing
        && tokio::time::timeout(config.shutdown_grace, &mut *mailing).await.is_err()
    {
        tracing::warn!("an email still being sent after the grace period is cut off; it is sent again later");
        mailing.abort();
    }
    tracing::info!("newsroom stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM. The handlers are in place when this returns, before the server
/// answers anything: a SIGTERM sent as soon as it is ready must find them, or the process
/// dies at once instead of shutting down gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let received = async |handler: Option<tokio::signal::unix::Signal>| match handler {
                Some(mut handler) => {
                    handler.recv().await;
                }
                None => std::future::pending::<()>().await,
            };
            let (interrupt, terminate) = handlers;
            tokio::select! {
                _ = received(interrupt) => {},
                _ = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
