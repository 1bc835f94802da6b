//! Rate limits counted in the database: they hold across servers on one database, each
//! action has its own budget, a refused write spends nothing, concurrent writes never get
//! past the allowance, and rows that no longer count are pruned.

use crate::common;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use chrono::{DateTime, Duration, Utc};
use entity::rate_limit::{self, LimitedAction};
use entity::{comment, newsletter_subscription};
use newsroom::domain::Error;
use newsroom::domain::abuse::{self, Allowance, ClientKey, RateLimits};
use newsroom::domain::newsletter;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const DEFAULTS: Allowance = Allowance { per_minute: 5, per_hour: 30 };

const ADD: &str = r#"mutation($a: ID!, $b: String!) {
  addComment(input: { articleId: $a, authorName: "Reader", body: $b }) { id }
}"#;
const SUBSCRIBE: &str = "mutation($e: String!) { subscribeNewsletter(email: $e) }";

fn client(name: &str) -> ClientKey {
    ClientKey(Some(name.into()))
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T12:00:00Z").unwrap().to_utc() + Duration::seconds(seconds)
}

/// A spend's outcome: allowed, or refused with its message and wait in seconds.
async fn spend(
    limits: &RateLimits,
    db: &DatabaseConnection,
    who: &str,
    when: DateTime<Utc>,
) -> Result<(), (String, u64)> {
    match limits.spend_at(db, &client(who), when).await {
        Ok(()) => Ok(()),
        Err(Error::RateLimited { message, retry_after_seconds }) => Err((message, retry_after_seconds)),
        Err(other) => panic!("expected an allowed or a refused write, got {other:?}"),
    }
}

/// Two more servers on `app`'s database, each with a pool of its own.
async fn two_more_servers(app: &TestApp) -> [TestApp; 2] {
    [app.reconnected(|_| {}).await, app.reconnected(|_| {}).await]
}

fn refusal(what: &str, seconds: u64) -> Result<(), (String, u64)> {
    Err((format!("too many {what}; try again in {seconds} seconds"), seconds))
}

async fn the_allowance_runs_out_and_comes_back(app: TestApp) {
    let comments = RateLimits::new(LimitedAction::Comment, DEFAULTS);
    let sign_ups = RateLimits::new(LimitedAction::NewsletterSignUp, DEFAULTS);
    for _ in 0..5 {
        assert_eq!(spend(&comments, &app.db, "a", at(0)).await, Ok(()));
    }
    assert_eq!(spend(&comments, &app.db, "a", at(0)).await, refusal("comments", 12), "one write per 12 s after 5");
    assert_eq!(spend(&comments, &app.db, "a", at(11)).await, refusal("comments", 1));
    assert_eq!(spend(&comments, &app.db, "a", at(12)).await, Ok(()));
    assert_eq!(spend(&comments, &app.db, "a", at(12)).await, refusal("comments", 12));

    assert_eq!(spend(&comments, &app.db, "b", at(12)).await, Ok(()), "other clients have their own");
    for _ in 0..5 {
        assert_eq!(spend(&sign_ups, &app.db, "a", at(12)).await, Ok(()), "sign-ups have their own");
    }
    assert_eq!(spend(&sign_ups, &app.db, "a", at(12)).await, refusal("sign-ups", 12));

    let unknown = RateLimits::new(LimitedAction::Comment, Allowance { per_minute: 1, per_hour: 30 });
    unknown.spend_at(&app.db, &ClientKey(None), at(0)).await.unwrap();
    assert!(
        matches!(unknown.spend_at(&app.db, &ClientKey(None), at(0)).await, Err(Error::RateLimited { .. })),
        "clients without a known address share one budget"
    );
}
on_both!(the_allowance_runs_out_and_comes_back);

async fn a_refused_write_spends_nothing_and_waits_for_both_allowances(app: TestApp) {
    let limits = RateLimits::new(LimitedAction::Comment, Allowance { per_minute: 2, per_hour: 3 });
    assert_eq!(spend(&limits, &app.db, "a", at(0)).await, Ok(()));
    assert_eq!(spend(&limits, &app.db, "a", at(0)).await, Ok(()));
    for second in 0..30 {
        assert_eq!(spend(&limits, &app.db, "a", at(second)).await, refusal("comments", 30 - second as u64));
    }
    assert_eq!(spend(&limits, &app.db, "a", at(30)).await, Ok(()), "the refusals spent nothing");
    // Both allowances refuse: the wait is the longer one, the hour's.
    assert_eq!(spend(&limits, &app.db, "a", at(30)).await, refusal("comments", 1170));
    // The minute would allow it, the hour does not.
    assert_eq!(spend(&limits, &app.db, "a", at(60)).await, refusal("comments", 1140));
    assert_eq!(spend(&limits, &app.db, "a", at(1200)).await, Ok(()));
}
on_both!(a_refused_write_spends_nothing_and_waits_for_both_allowances);

async fn concurrent_writes_through_several_pools_get_the_allowance_only(app: TestApp) {
    let [second, third] = two_more_servers(&app).await;
    let pools = [app.db.clone(), second.db.clone(), third.db.clone()];
    let limits = RateLimits::new(LimitedAction::Comment, DEFAULTS);
    let now = Utc::now();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let writes: Vec<_> = (0..20)
        .map(|n| {
            let db = pools[n % pools.len()].clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                limits.spend_at(&db, &client("busy"), now).await
            })
        })
        .collect();
    let (mut allowed, mut refused) = (0, 0);
    for write in writes {
        match write.await.unwrap() {
            Ok(()) => allowed += 1,
            Err(Error::RateLimited { .. }) => refused += 1,
            Err(other) => panic!("a write failed: {other:?}"),
        }
    }
    assert_eq!((allowed, refused), (5, 15));
}
on_both!(concurrent_writes_through_several_pools_get_the_allowance_only);

async fn rows_that_no_longer_count_are_pruned(app: TestApp) {
    let limits = RateLimits::new(LimitedAction::Comment, DEFAULTS);
    for _ in 0..5 {
        spend(&limits, &app.db, "early", at(0)).await.unwrap();
    }
    spend(&limits, &app.db, "later", at(500)).await.unwrap();
    let rows = || rate_limit::Entity::find().count(&app.db);
    assert_eq!(abuse::prune(&app.db, at(599)).await.unwrap(), 0, "the hour still counts the early writes");
    assert_eq!(rows().await.unwrap(), 2);
    assert_eq!(abuse::prune(&app.db, at(600)).await.unwrap(), 1);
    assert_eq!(rows().await.unwrap(), 1, "the later client's row stays");
    for _ in 0..5 {
        assert_eq!(spend(&limits, &app.db, "early", at(600)).await, Ok(()), "a pruned client has its whole allowance");
    }
    assert_eq!(spend(&limits, &app.db, "early", at(600)).await, refusal("comments", 12));
}
on_both!(rows_that_no_longer_count_are_pruned);

async fn published(app: &TestApp) -> String {
    let section = fixtures::section(&app.db, "desk", "Desk", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(60))).await;
    encode(Kind::Article, article.id).to_string()
}

fn comment(article: &str, body: &str) -> Value {
    json!({ "a": article, "b": body })
}

/// The refusal's wait, after checking its code and message.
#[track_caller]
fn rate_limited(answer: &common::Answer, what: &str) -> u64 {
    assert_eq!(answer.codes(), ["RATE_LIMITED"], "{}", answer.body);
    let error = &answer.body["errors"][0];
    let wait = error["extensions"]["retryAfterSeconds"].as_u64().expect("a retry time");
    assert!((1..=12).contains(&wait), "{wait}");
    assert_eq!(error["message"], format!("too many {what}; try again in {wait} seconds"));
    wait
}

async fn comments_are_limited_across_servers(app: TestApp) {
    let article = published(&app).await;
    let [second, third] = two_more_servers(&app).await;
    let servers = [&app, &second, &third];
    for n in 0..5 {
        servers[n % 3]
            .post_from("203.0.113.60", None, ADD, comment(&article, &format!("comment {n}")))
            .await
            .assert_ok();
    }
    let refused = servers[5 % 3].post_from("203.0.113.60", None, ADD, comment(&article, "comment 5")).await;
    rate_limited(&refused, "comments");
    for server in servers {
        let again = server.post_from("203.0.113.60", None, ADD, comment(&article, "comment 5")).await;
        rate_limited(&again, "comments");
    }

    let mut stored: Vec<String> =
        comment::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| c.body).collect();
    stored.sort();
    assert_eq!(
        stored,
        ["comment 0", "comment 1", "comment 2", "comment 3", "comment 4"],
        "refused ones are not stored"
    );

    servers[2].post_from("203.0.113.61", None, ADD, comment(&article, "comment 5")).await.assert_ok();
    let sign_up = servers[1].post_from("203.0.113.60", None, SUBSCRIBE, json!({ "e": "reader@example.org" })).await;
    assert_eq!(sign_up.assert_ok()["subscribeNewsletter"], true, "sign-ups are counted apart from comments");
}
on_both!(comments_are_limited_across_servers);

async fn sign_ups_are_limited_across_servers(app: TestApp) {
    let article = published(&app).await;
    let [second, third] = two_more_servers(&app).await;
    let servers = [&app, &second, &third];
    for n in 0..5 {
        let email = format!("r{n}@example.org");
        servers[n % 3].post_from("203.0.113.70", None, SUBSCRIBE, json!({ "e": email })).await.assert_ok();
    }
    let refused = servers[5 % 3].post_from("203.0.113.70", None, SUBSCRIBE, json!({ "e": "r5@example.org" })).await;
    rate_limited(&refused, "sign-ups");

    assert_eq!(newsletter_subscription::Entity::find().count(&app.db).await.unwrap(), 5);
    let outbox = newsletter::list_outbox(&app.db, true, 100).await.unwrap();
    assert_eq!(outbox.len(), 5);
    assert!(outbox.iter().all(|m| m.recipient != "r5@example.org"), "no email for the refused sign-up");

    servers[1].post_from("203.0.113.71", None, SUBSCRIBE, json!({ "e": "r5@example.org" })).await.assert_ok();
    let remark = servers[2].post_from("203.0.113.70", None, ADD, comment(&article, "A remark")).await;
    remark.assert_ok();
}
on_both!(sign_ups_are_limited_across_servers);
