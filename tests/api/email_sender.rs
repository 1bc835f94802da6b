//! The outbox's sender against a small SMTP receiver written here: a confirmation email
//! arrives whole, a transient refusal is tried again, a permanent one gives the email up
//! at once, two servers on one database send each email once, and the server binary
//! sends with `NEWSROOM_SMTP_URL` and stops cleanly.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::outbox_message;
use newsroom::domain::newsletter;
use newsroom::domain::retry::Backoff;
use newsroom::mailer::Mailer;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::common::TestApp;

/// A message the receiver accepted.
#[derive(Debug, Clone)]
struct Received {
    from: String,
    to: Vec<String>,
    /// The message as sent after `DATA`, dot-stuffing undone.
    data: String,
}

impl Received {
    /// A header's value, unfolded.
    fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded
            .split("\r\n")
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The body, its transfer encoding undone.
    fn body(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some("quoted-printable") => quoted_printable(body),
            Some("base64") => {
                use base64::Engine;
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap()).unwrap()
            }
            _ => body.to_owned(),
        }
        .replace("\r\n", "\n")
    }
}

fn quoted_printable(text: &str) -> String {
    let mut bytes = Vec::new();
    let raw = text.replace("=\r\n", "");
    let mut chars = raw.bytes().peekable();
    while let Some(byte) = chars.next() {
        if byte == b'=' {
            let hex: Vec<u8> = chars.by_ref().take(2).collect();
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// A loopback SMTP server speaking just enough of the protocol: greeting, EHLO/HELO,
/// MAIL, RCPT, DATA, RSET, NOOP, QUIT. It answers the end of each message's data with the
/// next of `answers`, then with `250` once they run out, and keeps what it accepted.
#[derive(Clone)]
struct Receiver {
    address: SocketAddr,
    accepted: Arc<Mutex<Vec<Received>>>,
    /// Messages whose data it got, accepted or not.
    tries: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(answers: &[&str]) -> Receiver {
        Receiver::start_slow(answers, Duration::ZERO).await
    }

    /// A receiver that takes `pause` before answering each message's data.
    async fn start_slow(answers: &[&str], pause: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver =
            Receiver { address: listener.local_addr().unwrap(), accepted: Arc::default(), tries: Arc::default() };
        let answers: Arc<Mutex<VecDeque<String>>> =
            Arc::new(Mutex::new(answers.iter().map(|a| (*a).to_owned()).collect()));
        let shared = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (receiver, answers) = (shared.clone(), answers.clone());
                tokio::spawn(async move { receiver.converse(stream, answers, pause).await });
            }
        });
        receiver
    }

    async fn converse(&self, stream: tokio::net::TcpStream, answers: Arc<Mutex<VecDeque<String>>>, pause: Duration) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let mut reply = async |text: &str| write.write_all(format!("{text}\r\n").as_bytes()).await.is_ok();
        if !reply("220 receiver.test ESMTP").await {
            return;
        }
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_owned();
            let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
            let answer = match verb.as_str() {
                "EHLO" | "HELO" => "250 receiver.test".to_owned(),
                "MAIL" => {
                    from = address_in(&command);
                    to.clear();
                    "250 2.1.0 ok".to_owned()
                }
                "RCPT" => {
                    to.push(address_in(&command));
                    "250 2.1.5 ok".to_owned()
                }
                "DATA" => {
                    if !reply("354 end with <CRLF>.<CRLF>").await {
                        return;
                    }
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                    }
                    tokio::time::sleep(pause).await;
                    *self.tries.lock().unwrap() += 1;
                    let answer = answers.lock().unwrap().pop_front().unwrap_or_else(|| "250 2.0.0 queued".to_owned());
                    if answer.starts_with("250") {
                        self.accepted.lock().unwrap().push(Received { from: from.clone(), to: to.clone(), data });
                    }
                    answer
                }
                "RSET" | "NOOP" => "250 2.0.0 ok".to_owned(),
                "QUIT" => {
                    reply("221 2.0.0 bye").await;
                    return;
                }
                _ => "502 5.5.1 not implemented".to_owned(),
            };
            if !reply(&answer).await {
                return;
            }
        }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    fn tries(&self) -> usize {
        *self.tries.lock().unwrap()
    }

    /// Waits until it accepted `count` messages.
    async fn until_accepted(&self, count: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count {
                return accepted;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{} of {count} accepted", accepted.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=1` or `RCPT TO:<a@b>`.
fn address_in(command: &str) -> String {
    let start = command.find('<').map_or(0, |at| at + 1);
    let end = command[start..].find('>').map_or(command.len(), |at| start + at);
    command[start..end].to_owned()
}

/// A quick schedule, so that retries come within a test.
fn quick() -> Backoff {
    Backoff { first: Duration::from_millis(100), ..Backoff::default() }
}

/// A sender for `app` through `receiver`, looking every 50 ms; stopped when the token is.
fn start_sender(app: &TestApp, receiver: &Receiver) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let mut config = app.config.clone();
    config.smtp_url = Some(receiver.url());
    config.smtp_retry_first = quick().first;
    let mut mailer = Mailer::from_config(&config, &config.site()).unwrap().expect("a sender");
    mailer.every = Duration::from_millis(50);
    let stop = CancellationToken::new();
    let task = tokio::spawn(newsroom::mailer::run(app.db.clone(), mailer, stop.clone()));
    (stop, task)
}

async fn outbox(db: &DatabaseConnection) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().order_by_asc(outbox_message::Column::Id).all(db).await.unwrap()
}

/// Waits until every email in the outbox is sent or given up.
async fn until_settled(db: &DatabaseConnection) -> Vec<outbox_message::Model> {
    let started = Instant::now();
    loop {
        let rows = outbox(db).await;
        if rows.iter().all(|row| row.sent_at.is_some() || row.failed_at.is_some()) {
            return rows;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "not settled: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const SUBSCRIBE: &str = "mutation($e: String!) { subscribeNewsletter(email: $e) }";
const CONFIRM: &str = "mutation($t: String!) { confirmNewsletterSubscription(token: $t) }";

async fn a_confirmation_email_arrives(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let (stop, task) = start_sender(&app, &receiver);
    app.query(SUBSCRIBE, json!({ "e": "reader@example.org" })).await;

    let message = receiver.until_accepted(1).await.remove(0);
    assert_eq!(message.to, ["reader@example.org"]);
    assert_eq!(message.from, "newsroom@localhost");
    assert_eq!(message.header("To").as_deref(), Some("reader@example.org"));
    assert_eq!(message.header("From").as_deref(), Some("newsroom <newsroom@localhost>"));
    assert_eq!(message.header("Subject").as_deref(), Some("Confirm your newsletter subscription"));
    let id = outbox(&app.db).await[0].id;
    let message_id = message.header("Message-ID").unwrap();
    assert!(message_id.starts_with(&format!("<outbox.{id}.")) && message_id.ends_with("@localhost>"), "{message_id}");
    assert!(message.header("Content-Type").unwrap().starts_with("text/plain"), "{:?}", message.header("Content-Type"));
    let body = message.body();
    assert!(
        body.starts_with("Someone, probably you, asked to receive our newsletter at reader@example.org."),
        "{body}"
    );
    let link = "http://localhost:3000/newsletter?token=";
    let token: String = body[body.find(link).unwrap_or_else(|| panic!("no link in {body}")) + link.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(app.query(CONFIRM, json!({ "t": token })).await["confirmNewsletterSubscription"], true);

    let row = until_settled(&app.db).await.remove(0);
    assert!(row.sent_at.is_some(), "{row:?}");
    assert_eq!((row.attempts, row.failed_at, row.last_error), (1, None, None));
    assert_eq!(receiver.tries(), 1);

    // Stopping is prompt, and nothing is sent after.
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("the sender stops").unwrap();
    newsletter::subscribe(&app.db, "later@example.org", "https://news.example.com/newsletter").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.accepted().len(), 1);
    assert!(outbox(&app.db).await[1].sent_at.is_none());
}
on_both!(a_confirmation_email_arrives);

async fn a_transient_refusal_is_tried_again(app: TestApp) {
    let receiver = Receiver::start(&["451 4.3.0 try again later", "421 4.7.0 busy"]).await;
    let (stop, _task) = start_sender(&app, &receiver);
    app.query(SUBSCRIBE, json!({ "e": "patient@example.org" })).await;

    let accepted = receiver.until_accepted(1).await;
    assert_eq!(accepted[0].to, ["patient@example.org"]);
    let row = until_settled(&app.db).await.remove(0);
    assert_eq!(row.attempts, 3, "{row:?}");
    assert_eq!(receiver.tries(), 3);
    assert!(row.failed_at.is_none(), "{row:?}");
    let (first, sent) = (row.first_attempt_at.unwrap(), row.sent_at.unwrap());
    // Two waits of the schedule: at least half of 100 ms, then of 200 ms.
    assert!(sent - first >= chrono::Duration::milliseconds(150), "{first} .. {sent}");
    assert!(row.last_error.as_deref().unwrap_or("").contains("421"), "the last refusal is kept: {row:?}");
    stop.cancel();
}
on_both!(a_transient_refusal_is_tried_again);

async fn a_permanent_refusal_gives_up_at_once(app: TestApp) {
    let receiver = Receiver::start(&["550 5.1.1 no such mailbox"]).await;
    let (stop, _task) = start_sender(&app, &receiver);
    app.query(SUBSCRIBE, json!({ "e": "nobody@example.org" })).await;

    let row = until_settled(&app.db).await.remove(0);
    assert!(row.failed_at.is_some() && row.sent_at.is_none(), "{row:?}");
    assert_eq!(row.attempts, 1);
    let error = row.last_error.clone().unwrap();
    assert!(error.contains("550") && error.contains("no such mailbox"), "{error}");
    // Not tried again, though the schedule would have come round several times.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.tries(), 1);
    assert_eq!(outbox(&app.db).await[0], row);
    stop.cancel();

    // `newsroom outbox` tells what became of it.
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
        .env_remove("DATABASE_URL")
        .env("NEWSROOM_LOG", "warn")
        .args(["--database-url", &app.config.database_url, "outbox"])
        .output()
        .expect("the newsroom binary runs");
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("given up after 1 try") && listed.contains("Last error: ") && listed.contains("550"),
        "{listed}"
    );
}
on_both!(a_permanent_refusal_gives_up_at_once);

/// Two servers on one database (their own pools, as two processes have), each with its
/// sender, through one receiver that takes its time: every email arrives exactly once.
async fn two_servers_send_each_email_once(app: TestApp) {
    let other = app.reconnected(|_| {}).await;
    let receiver = Receiver::start_slow(&[], Duration::from_millis(15)).await;
    let senders = [start_sender(&app, &receiver), start_sender(&other, &receiver)];
    let count = 30;
    for n in 0..count {
        let db = if n % 2 == 0 { &app.db } else { &other.db };
        newsletter::subscribe(db, &format!("reader{n}@example.org"), "https://news.example.com/newsletter")
            .await
            .unwrap();
    }
    receiver.until_accepted(count).await;
    let rows = until_settled(&app.db).await;
    // Time for a second delivery of anything, were there one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut by_recipient: HashMap<String, usize> = HashMap::new();
    for message in receiver.accepted() {
        *by_recipient.entry(message.to.join(",")).or_default() += 1;
    }
    assert_eq!(by_recipient.len(), count, "{by_recipient:?}");
    assert!(by_recipient.values().all(|sent| *sent == 1), "{by_recipient:?}");
    assert_eq!(receiver.tries(), count);
    assert!(rows.iter().all(|row| row.sent_at.is_some() && row.attempts == 1), "{rows:#?}");
    for (stop, _) in &senders {
        stop.cancel();
    }
}
on_both!(two_servers_send_each_email_once);

/// Without `NEWSROOM_SMTP_URL` there is no sender; a malformed URL or From is refused at
/// start without echoing a password.
#[tokio::test]
async fn settings_are_checked_at_start() {
    let mut config = newsroom::config::Config::with_database("sqlite::memory:");
    let site = config.site();
    assert!(Mailer::from_config(&config, &site).unwrap().is_none());
    config.smtp_url = Some("ftp://user:secret-password@mail.example.com".into());
    let refused = Mailer::from_config(&config, &site).err().expect("refused");
    assert!(refused.contains("NEWSROOM_SMTP_URL") && !refused.contains("secret-password"), "{refused}");
    config.smtp_url = Some("smtps://user:secret-password@mail.example.com".into());
    config.smtp_from = Some("not an address".into());
    let refused = Mailer::from_config(&config, &site).err().expect("refused");
    assert!(refused.contains("NEWSROOM_SMTP_FROM"), "{refused}");
    config.smtp_from = Some("\"Daily News\" <news@example.com>".into());
    assert!(Mailer::from_config(&config, &site).unwrap().is_some());
}

/// The server binary sends with `NEWSROOM_SMTP_URL` set, and stops cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sends_and_stops_cleanly() {
    let receiver = Receiver::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let address = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let log = dir.path().join("server.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite:{}", dir.path().join("newsroom.db").display()))
        .env("NEWSROOM_LISTEN", address.to_string())
        .env("NEWSROOM_SMTP_URL", receiver.url())
        .env("NEWSROOM_SMTP_FROM", "\"Daily News\" <news@example.com>")
        .env("NEWSROOM_SITE_NAME", "Daily News")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the server binary starts");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let subscribed = client
            .post(format!("http://{address}/graphql"))
            .json(&json!({ "query": SUBSCRIBE, "variables": { "e": "first@example.org" } }))
            .send()
            .await;
        if let Ok(answer) = subscribed {
            assert_eq!(answer.json::<serde_json::Value>().await.unwrap()["data"]["subscribeNewsletter"], true);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "not ready: {}", read_log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = receiver.until_accepted(1).await.remove(0);
    assert_eq!(message.to, ["first@example.org"]);
    assert_eq!(message.header("From").as_deref(), Some("\"Daily News\" <news@example.com>"));

    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(stopping.elapsed() < Duration::from_secs(10), "still running: {}", read_log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}: {}", read_log());
    assert!(read_log().contains("newsroom stopped"), "{}", read_log());
}
