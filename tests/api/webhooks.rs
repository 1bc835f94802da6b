//! Webhooks against a local receiver: what admins set up over GraphQL, what the receiver
//! gets (verified with the Standard Webhooks library), retries, refusals, redelivery,
//! several servers sending from one outbox, and a server killed before it could send.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::user::Role;
use newsroom::webhook_sender::Sender;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::editorial::{create_article, create_section, id_of, publish};

const CREATE: &str = "mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events active } } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { id url events active } }";
const DELETE: &str = "mutation($id: ID!) { deleteWebhook(id: $id) }";
const REDELIVER: &str = "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status nextAttemptAt } }";
const LOG: &str = "query($status: WebhookDeliveryStatus) { webhooks { id url deliveries(status: $status) { totalCount
  nodes { id event status attempts responseStatus lastError createdAt deliveredAt nextAttemptAt } } } }";
/// Longest the tests wait for a delivery.
const DEADLINE: Duration = Duration::from_secs(30);

/// What the receiver does with a request.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// The status with `Retry-After: <seconds>`.
    RetryAfter(u16, u64),
    /// Never answers.
    Hang,
}

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
    at: Instant,
}

impl Received {
    fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().unwrap()
    }

    fn payload(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    /// Replies to give, in order; 200 once they run out.
    script: Arc<Mutex<VecDeque<Reply>>>,
}

/// A webhook endpoint on a loopback port.
struct Receiver {
    address: SocketAddr,
    inbox: Inbox,
}

impl Receiver {
    async fn start(script: &[Reply]) -> Receiver {
        Self::start_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), script).await
    }

    async fn start_on(listener: tokio::net::TcpListener, script: &[Reply]) -> Receiver {
        let inbox = Inbox::default();
        inbox.script.lock().unwrap().extend(script.iter().copied());
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { address, inbox }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.address)
    }

    fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }

    /// What came, once at least `count` requests have.
    async fn until(&self, count: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(started.elapsed() < DEADLINE, "{} of {count} requests came: {received:?}", received.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> Response {
    inbox.received.lock().unwrap().push(Received { headers, body, at: Instant::now() });
    let reply = inbox.script.lock().unwrap().pop_front().unwrap_or(Reply::Status(200));
    let status = |code: u16| StatusCode::from_u16(code).unwrap();
    match reply {
        Reply::Status(code) => (status(code), "receiver says so").into_response(),
        Reply::RetryAfter(code, seconds) => (status(code), [("retry-after", seconds.to_string())], "").into_response(),
        Reply::Hang => std::future::pending().await,
    }
}

/// The app as a server that may send webhooks to loopback addresses, retrying fast, with
/// its sender running.
async fn sending(app: &TestApp) -> TestApp {
    let sending = app
        .reconfigured(|config| {
            config.webhook_allow_private = true;
            config.webhook_retry_first = Duration::from_millis(100);
        })
        .await;
    start_sender(&sending);
    sending
}

fn start_sender(app: &TestApp) {
    let sender = Sender::new(app.db.clone(), app.config.webhook_reach(), app.config.webhook_backoff());
    tokio::spawn(sender.run(app.pipeline.clone()));
}

async fn subscribe(app: &TestApp, admin: &str, url: &str, events: &[&str]) -> (String, String) {
    let created = app.query_as(admin, CREATE, json!({ "input": { "url": url, "events": events } })).await;
    let created = &created["createWebhook"];
    (id_of(&created["webhook"]), created["secret"].as_str().unwrap().to_owned())
}

/// A new published article's global id.
async fn published_article(app: &TestApp, editor: &str, section: &str, headline: &str) -> String {
    let input = json!({ "headline": headline, "sectionId": section, "bodyMarkdown": "Text." });
    let id = id_of(&create_article(app, editor, input).await);
    publish(app, editor, &id).await;
    id
}

fn database_id(global: &str) -> i64 {
    let (_, id) = newsroom::domain::global_id::decode(global).expect("a global id");
    id
}

/// The endpoint's deliveries as admins see them, newest first, once none is pending.
async fn settled_log(app: &TestApp, admin: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let data = app.query_as(admin, LOG, json!({})).await;
        let deliveries = data["webhooks"][0]["deliveries"]["nodes"].as_array().unwrap().clone();
        if deliveries.iter().all(|d| d["status"] != "PENDING") {
            return deliveries;
        }
        assert!(started.elapsed() < DEADLINE, "deliveries still pending: {deliveries:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries_are_signed_and_logged(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let server = sending(&app).await;
    let (_, admin) = server.staff(Role::Admin).await;
    let (_, editor) = server.staff(Role::Editor).await;
    let (_, secret) = subscribe(&server, &admin, &receiver.url(), &["ARTICLE_PUBLISHED", "CONTENT_CHANGED"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let section = create_section(&server, &editor, "world", None).await;
    let article = published_article(&server, &editor, &section, "Talks resume").await;
    // The section and the draft each changed content; the publication is the fourth event.
    let received = receiver.until(4).await;
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    for request in &received {
        verifier.verify(request.body.as_bytes(), &request.headers).expect("the signature verifies");
        assert_eq!(request.headers["content-type"], "application/json");
        assert!(request.id().starts_with("msg_"));
    }
    let wrong = standardwebhooks::Webhook::new("whsec_c2VjcmV0IG9mIHNvbWVib2R5IGVsc2U=").unwrap();
    assert!(wrong.verify(received[0].body.as_bytes(), &received[0].headers).is_err(), "another key does not verify");

    assert!(docs_check_verifies(&secret, &received[0]), "the receiver's check in docs/api.md verifies it");
    let mut forged = received[0].clone();
    forged.body.push(' ');
    assert!(!docs_check_verifies(&secret, &forged), "and refuses a changed body");

    let types: Vec<Value> = received.iter().map(|r| r.payload()["type"].clone()).collect();
    assert_eq!(types, ["content.changed", "content.changed", "article.published", "content.changed"]);
    let published = received[2].payload();
    assert_eq!(published["data"]["id"], article);
    assert_eq!(published["data"]["databaseId"], database_id(&article));
    assert_eq!(published["data"]["object"], "Article");
    let purged = received[3].payload();
    let tags = purged["data"]["tags"].as_array().unwrap();
    for tag in [format!("article-{}", database_id(&article)), "articles".into(), "search".into()] {
        assert!(tags.contains(&json!(tag)), "{tag} in {tags:?}");
    }
    assert_eq!(received[0].payload()["data"]["tags"], json!(["sections"]));

    let log = settled_log(&server, &admin).await;
    assert_eq!(log.len(), 4);
    let newest = &log[0];
    assert_eq!((newest["event"].as_str(), newest["status"].as_str()), (Some("CONTENT_CHANGED"), Some("DELIVERED")));
    assert_eq!((newest["attempts"].as_i64(), newest["responseStatus"].as_i64()), (Some(1), Some(200)));
    assert!(newest["deliveredAt"].is_string() && newest["lastError"].is_null() && newest["nextAttemptAt"].is_null());
    assert_eq!(log[1]["event"], "ARTICLE_PUBLISHED");
}
on_both!(deliveries_are_signed_and_logged);

/// Runs the signature check that docs/api.md gives receivers (Python) on a request.
fn docs_check_verifies(secret: &str, request: &Received) -> bool {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    let check = docs.split("```python\n").nth(1).and_then(|rest| rest.split("```").next()).expect("the check");
    let headers: HashMap<&str, &str> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .map(|h| (h, request.headers[h].to_str().unwrap()))
        .into();
    let script = format!(
        "{check}\nimport json, sys\nheaders = json.loads(sys.argv[1])\n\
         sys.exit(0 if verified(sys.argv[2], headers, sys.stdin.buffer.read()) else 1)"
    );
    let mut python = std::process::Command::new("python3")
        .args(["-c", &script, &serde_json::to_string(&headers).unwrap(), secret])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    python.stdin.take().unwrap().write_all(request.body.as_bytes()).unwrap();
    python.wait().unwrap().success()
}

async fn a_failing_receiver_gets_the_same_message_until_it_takes_it(app: TestApp) {
    let receiver = Receiver::start(&[Reply::Status(500), Reply::Status(500), Reply::Status(200)]).await;
    let server = sending(&app).await;
    let (_, admin) = server.staff(Role::Admin).await;
    let (_, editor) = server.staff(Role::Editor).await;
    let section = create_section(&server, &editor, "world", None).await;
    subscribe(&server, &admin, &receiver.url(), &["ARTICLE_PUBLISHED"]).await;
    published_article(&server, &editor, &section, "Talks resume").await;

    let received = receiver.until(3).await;
    let ids: Vec<&str> = received.iter().map(Received::id).collect();
    assert_eq!(ids, [ids[0]; 3], "each attempt carries the same webhook-id");
    let waits: Vec<Duration> = received.windows(2).map(|pair| pair[1].at - pair[0].at).collect();
    assert!(waits[0] >= Duration::from_millis(50), "the first retry waits: {waits:?}");
    let log = settled_log(&server, &admin).await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("DELIVERED"), Some(3)));
    assert_eq!(log[0]["responseStatus"], 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3, "nothing more once delivered");
}
on_both!(a_failing_receiver_gets_the_same_message_until_it_takes_it);

async fn a_refusal_fails_at_once_and_retry_after_is_honoured(app: TestApp) {
    let refusing = Receiver::start(&[Reply::Status(410)]).await;
    let busy = Receiver::start(&[Reply::RetryAfter(429, 2)]).await;
    let server = sending(&app).await;
    let (_, admin) = server.staff(Role::Admin).await;
    let (_, editor) = server.staff(Role::Editor).await;
    let section = create_section(&server, &editor, "world", None).await;
    subscribe(&server, &admin, &refusing.url(), &["ARTICLE_PUBLISHED"]).await;
    subscribe(&server, &admin, &busy.url(), &["ARTICLE_PUBLISHED"]).await;
    published_article(&server, &editor, &section, "Talks resume").await;

    let busy_received = busy.until(2).await;
    let waited = busy_received[1].at - busy_received[0].at;
    assert!(waited >= Duration::from_millis(1900), "Retry-After: 2 was honoured, not {waited:?}");
    assert_eq!(busy_received[0].id(), busy_received[1].id());

    let data = server.query_as(&admin, LOG, json!({})).await;
    let refused = &data["webhooks"][0]["deliveries"]["nodes"][0];
    assert_eq!((refused["status"].as_str(), refused["attempts"].as_i64()), (Some("FAILED"), Some(1)));
    assert_eq!(refused["responseStatus"], 410);
    assert!(refused["lastError"].as_str().unwrap().contains("410"), "{refused}");
    assert_eq!(refusing.received().len(), 1, "a 410 is not tried again");
    let failed = server.query_as(&admin, LOG, json!({ "status": "FAILED" })).await;
    assert_eq!(failed["webhooks"][0]["deliveries"]["totalCount"], 1);
    assert_eq!(failed["webhooks"][1]["deliveries"]["totalCount"], 0);
}
on_both!(a_refusal_fails_at_once_and_retry_after_is_honoured);

async fn a_delivery_is_sent_again_on_request(app: TestApp) {
    let receiver = Receiver::start(&[Reply::Status(400)]).await;
    let server = sending(&app).await;
    let (_, admin) = server.staff(Role::Admin).await;
    let (_, editor) = server.staff(Role::Editor).await;
    let section = create_section(&server, &editor, "world", None).await;
    subscribe(&server, &admin, &receiver.url(), &["ARTICLE_PUBLISHED"]).await;
    published_article(&server, &editor, &section, "Talks resume").await;
    let log = settled_log(&server, &admin).await;
    assert_eq!(log[0]["status"], "FAILED");

    let again = server.query_as(&admin, REDELIVER, json!({ "id": log[0]["id"] })).await;
    assert_eq!(again["redeliverWebhook"]["status"], "PENDING");
    let received = receiver.until(2).await;
    assert_eq!(received[0].id(), received[1].id(), "a redelivery keeps its webhook-id");
    assert_eq!(received[0].body, received[1].body);
    let log = settled_log(&server, &admin).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("DELIVERED"), Some(2)));

    // Only admins see or touch webhooks.
    let refused = server.post(Some(&editor), REDELIVER, json!({ "id": log[0]["id"] })).await;
    assert_eq!(refused.codes(), ["FORBIDDEN"]);
    let refused = server.post(Some(&editor), LOG, json!({})).await;
    assert_eq!(refused.codes(), ["FORBIDDEN"]);
    let node =
        server.query_as(&editor, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": log[0]["id"] })).await;
    assert!(node["node"].is_null());
}
on_both!(a_delivery_is_sent_again_on_request);

async fn endpoints_get_only_their_events_while_active(app: TestApp) {
    let publications = Receiver::start(&[]).await;
    let corrections = Receiver::start(&[]).await;
    let server = sending(&app).await;
    let (_, admin) = server.staff(Role::Admin).await;
    let (_, editor) = server.staff(Role::Editor).await;
    let section = create_section(&server, &editor, "world", None).await;
    let (publications_id, _) = subscribe(&server, &admin, &publications.url(), &["ARTICLE_PUBLISHED"]).await;
    subscribe(&server, &admin, &corrections.url(), &["CORRECTION_ADDED", "ARTICLE_UPDATED"]).await;

    let first = published_article(&server, &editor, &section, "First").await;
    let correction = server
        .query_as(
            &editor,
            "mutation($id: ID!) { addCorrection(articleId: $id, kind: CORRECTION, text: \"A date was wrong.\") { id } }",
            json!({ "id": first }),
        )
        .await;
    let received = corrections.until(1).await;
    assert_eq!(received[0].payload()["type"], "correction.added");
    assert_eq!(received[0].payload()["data"]["id"], correction["addCorrection"]["id"]);
    assert_eq!(received[0].payload()["data"]["article"]["id"], first);

    // Paused: no new deliveries.
    let paused = server.query_as(&admin, UPDATE, json!({ "id": publications_id, "input": { "active": false } })).await;
    assert_eq!(paused["updateWebhook"]["active"], false);
    published_article(&server, &editor, &section, "Second").await;
    let update = json!({ "headline": "First, edited" });
    crate::editorial::update_article(&server, &editor, &first, update).await.assert_ok();
    let received = corrections.until(2).await;
    assert_eq!(received[1].payload()["type"], "article.updated");
    let published = publications.until(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(publications.received().len(), 1, "nothing while paused: {published:?}");
    assert_eq!(corrections.received().len(), 2, "no publications for an endpoint that did not ask");

    let deleted = server.query_as(&admin, DELETE, json!({ "id": publications_id })).await;
    assert_eq!(deleted["deleteWebhook"], true);
    let listed = server.query_as(&admin, "{ webhooks { url events } }", json!({})).await;
    assert_eq!(
        listed["webhooks"],
        json!([{ "url": corrections.url(), "events": ["ARTICLE_UPDATED", "CORRECTION_ADDED"] }])
    );
}
on_both!(endpoints_get_only_their_events_while_active);

async fn private_addresses_are_refused(app: TestApp) {
    let (_, admin) = app.staff(Role::Admin).await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd00:ec2::254]/",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ] {
        let refused =
            app.post(Some(&admin), CREATE, json!({ "input": { "url": url, "events": ["ARTICLE_PUBLISHED"] } })).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{url}: {}", refused.body);
    }
    let none =
        app.post(Some(&admin), CREATE, json!({ "input": { "url": "https://example.com/hook", "events": [] } })).await;
    assert_eq!(none.codes(), ["BAD_USER_INPUT"]);
    assert_eq!(app.query_as(&admin, "{ webhooks { id } }", json!({})).await["webhooks"], json!([]));

    // An endpoint that turned private after it was added (here written past the check) is
    // refused at send time, and the receiver hears nothing.
    let receiver = Receiver::start(&[]).await;
    entity::webhook::ActiveModel {
        url: Set(receiver.url()),
        events: Set("CONTENT_CHANGED".into()),
        secret: Set("whsec_c2VjcmV0".into()),
        active: Set(true),
        created_at: Set(newsroom::domain::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    start_sender(&app);
    let (_, editor) = app.staff(Role::Editor).await;
    create_section(&app, &editor, "world", None).await;
    let log = settled_log(&app, &admin).await;
    assert_eq!(log[0]["status"], "FAILED");
    assert!(log[0]["lastError"].as_str().unwrap().contains("private address"), "{}", log[0]);
    assert!(receiver.received().is_empty());
}
on_both!(private_addresses_are_refused);

async fn two_servers_deliver_each_event_once_and_in_order(app: TestApp) {
    let receiver = Receiver::start(&[]).await;
    let first = sending(&app).await;
    let second = first.reconnected(|_| {}).await;
    start_sender(&second);
    let (_, admin) = first.staff(Role::Admin).await;
    let (_, editor) = first.staff(Role::Editor).await;
    subscribe(&first, &admin, &receiver.url(), &["CONTENT_CHANGED"]).await;
    let section = create_section(&first, &editor, "world", None).await;
    // Writes through both servers.
    let mut headlines = Vec::new();
    for n in 0..12 {
        let server = if n % 2 == 0 { &first } else { &second };
        let input = json!({ "headline": format!("Story {n}"), "sectionId": section, "bodyMarkdown": "Text." });
        create_article(server, &editor, input).await;
        headlines.push(n);
    }
    let received = receiver.until(13).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received_after = receiver.received();
    assert_eq!(received_after.len(), 13, "each event once: {received_after:?}");
    let mut seen = HashMap::new();
    for request in &received {
        *seen.entry(request.id().to_owned()).or_insert(0) += 1;
    }
    assert!(seen.values().all(|count| *count == 1), "{seen:?}");
    // In order: the outbox's order, which is the order of the writes.
    let stamps: Vec<String> = received.iter().map(|r| r.payload()["timestamp"].as_str().unwrap().to_owned()).collect();
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_eq!(stamps, sorted);
    let log = settled_log(&first, &admin).await;
    assert!(log.iter().all(|d| d["status"] == "DELIVERED" && d["attempts"] == 1), "{log:?}");
}
on_both!(two_servers_deliver_each_event_once_and_in_order);

/// The real binary, killed with SIGKILL while a delivery is under way (the receiver takes
/// it and never answers), delivers it after a restart.
async fn a_delivery_survives_a_killed_server(database: crate::crash_safety::TestDatabase) {
    let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_newsroom"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let receiver = Receiver::start_on(tokio::net::TcpListener::bind(address).await.unwrap(), &[Reply::Hang]).await;
    let envs = [("NEWSROOM_WEBHOOK_ALLOW_PRIVATE", "true"), ("NEWSROOM_WEBHOOK_RETRY_FIRST", "100ms")];
    let mut server = crate::crash_safety::Server::start_with(&binary, &database, &envs).await;
    database.command(&binary, &["user", "add", "--email", "hooks@example.com", "--name", "Hooks", "--role", "admin"]);
    let admin = database.command(&binary, &["token", "--sub", "hooks@example.com", "--role", "admin", "--ttl", "1h"]);
    let client = reqwest::Client::new();
    let post = async |query: &str, variables: Value| -> Value {
        let body = json!({ "query": query, "variables": variables });
        let answer = client.post(server.graphql_url()).bearer_auth(&admin).json(&body).send().await.unwrap();
        let answer: Value = answer.json().await.unwrap();
        assert!(answer["errors"].is_null(), "{answer}");
        answer["data"].clone()
    };
    let url = format!("http://{address}/hook");
    post(CREATE, json!({ "input": { "url": url, "events": ["CONTENT_CHANGED"] } })).await;
    let section = "mutation { createSection(input: { slug: \"world\", name: \"World\" }) { id } }";
    post(section, json!({})).await;
    let first = receiver.until(1).await;
    server.kill();

    let mut server = crate::crash_safety::Server::start_with(&binary, &database, &envs).await;
    // The claim of the killed server runs out (the send timeout and a margin), then the
    // same message goes out again.
    let received = receiver.until(2).await;
    assert_eq!(received[1].id(), first[0].id(), "the same delivery, not a new one");
    assert_eq!(received[1].body, first[0].body);
    let waited = received[1].at - first[0].at;
    assert!(waited < Duration::from_secs(25), "delivered {waited:?} later");
    let log = "{ webhooks { deliveries { nodes { status attempts } } } }";
    let started = Instant::now();
    loop {
        let body = json!({ "query": log });
        let answer = client.post(server.graphql_url()).bearer_auth(&admin).json(&body).send().await.unwrap();
        let answer: Value = answer.json().await.unwrap();
        if answer["data"]["webhooks"][0]["deliveries"]["nodes"][0]["status"] == "DELIVERED" {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
}

mod a_delivery_survives_a_killed_server {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_delivery_survives_a_killed_server(crate::crash_safety::TestDatabase::sqlite()).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(postgres_tests), ignore = "needs NEWSROOM_TEST_POSTGRES_URL when the tests are built")]
    async fn postgres() {
        let database = crate::crash_safety::TestDatabase::postgres().await;
        super::a_delivery_survives_a_killed_server(database.expect("NEWSROOM_TEST_POSTGRES_URL is set")).await
    }
}

async fn the_log_keeps_a_month_and_every_pending_delivery(app: TestApp) {
    let (_, admin) = app.staff(Role::Admin).await;
    let (id, _) = subscribe(&app, &admin, "https://hooks.example.com/newsroom", &["CONTENT_CHANGED"]).await;
    let (_, editor) = app.staff(Role::Editor).await;
    for slug in ["world", "europe", "africa"] {
        create_section(&app, &editor, slug, None).await;
    }
    let rows = entity::webhook_delivery::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 3);
    let long_ago = newsroom::domain::now() - chrono::Duration::days(31);
    let aged = |row: &entity::webhook_delivery::Model, status| entity::webhook_delivery::ActiveModel {
        id: Set(row.id),
        status: Set(status),
        created_at: Set(long_ago),
        ..Default::default()
    };
    use entity::webhook_delivery::DeliveryStatus::{Delivered, Failed, Pending};
    for (row, status) in rows.iter().zip([Delivered, Failed, Pending]) {
        aged(row, status).update(&app.db).await.unwrap();
    }
    let pruned = newsroom::domain::webhooks::prune(&app.db, newsroom::domain::now()).await.unwrap();
    assert_eq!(pruned, 2);
    let log = app.query_as(&admin, LOG, json!({})).await;
    assert_eq!(log["webhooks"][0]["id"], id);
    assert_eq!(log["webhooks"][0]["deliveries"]["nodes"][0]["status"], "PENDING", "{log}");
    assert_eq!(log["webhooks"][0]["deliveries"]["totalCount"], 1);
}
on_both!(the_log_keeps_a_month_and_every_pending_delivery);
