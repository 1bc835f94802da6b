//! The newsletter over GraphQL: the same answer for every well-formed address, the
//! single-use confirmation link, unsubscribe, and the per-client limit.

use crate::common::TestApp;
use newsroom::domain::newsletter;
use serde_json::json;

const SUBSCRIBE: &str = "mutation($e: String!) { subscribeNewsletter(email: $e) }";
const CONFIRM: &str = "mutation($t: String!) { confirmNewsletterSubscription(token: $t) }";
const UNSUBSCRIBE: &str = "mutation($t: String!) { unsubscribeNewsletter(token: $t) }";

/// The token after `?{parameter}=` in the newest queued email to `recipient`.
async fn token_in_outbox(app: &TestApp, recipient: &str, parameter: &str) -> String {
    let messages = newsletter::list_outbox(&app.db, true, 100).await.unwrap();
    let message = messages.iter().rev().find(|m| m.recipient == recipient).expect("an email was queued");
    let prefix = format!("{}?{parameter}=", app.config.newsletter_url);
    let start = message.body.find(&prefix).expect("the link") + prefix.len();
    message.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

async fn sign_up_confirm_and_leave(app: TestApp) {
    let known = app.post_from("203.0.113.40", None, SUBSCRIBE, json!({ "e": "reader@example.org" })).await;
    assert_eq!(known.body, json!({ "data": { "subscribeNewsletter": true } }));
    let token = token_in_outbox(&app, "reader@example.org", "token").await;
    assert_eq!(app.query(CONFIRM, json!({ "t": token })).await["confirmNewsletterSubscription"], true);

    // A confirmed address and a new one get the very same answer.
    let again = app.post_from("203.0.113.41", None, SUBSCRIBE, json!({ "e": "reader@example.org" })).await;
    let fresh = app.post_from("203.0.113.42", None, SUBSCRIBE, json!({ "e": "someone.new@example.org" })).await;
    assert_eq!(again.body, fresh.body);
    assert_eq!(again.status, fresh.status);

    let reused = app.post(None, CONFIRM, json!({ "t": token })).await;
    let garbage = app.post(None, CONFIRM, json!({ "t": "not-a-token" })).await;
    assert_eq!(reused.codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        reused.body["errors"][0]["message"], garbage.body["errors"][0]["message"],
        "nothing tells the two apart"
    );

    let leave = token_in_outbox(&app, "reader@example.org", "unsubscribe").await;
    assert_eq!(app.query(UNSUBSCRIBE, json!({ "t": leave })).await["unsubscribeNewsletter"], true);
    assert_eq!(app.post(None, UNSUBSCRIBE, json!({ "t": "nonsense" })).await.codes(), ["BAD_USER_INPUT"]);

    let malformed = app.post_from("203.0.113.43", None, SUBSCRIBE, json!({ "e": "not an address" })).await;
    assert_eq!(malformed.codes(), ["BAD_USER_INPUT"]);
}
on_both!(sign_up_confirm_and_leave);

async fn sign_ups_are_rate_limited_per_client(app: TestApp) {
    for n in 0..5 {
        app.post_from("203.0.113.50", None, SUBSCRIBE, json!({ "e": format!("r{n}@example.org") })).await.assert_ok();
    }
    let refused = app.post_from("203.0.113.50", None, SUBSCRIBE, json!({ "e": "r5@example.org" })).await;
    assert_eq!(refused.codes(), ["RATE_LIMITED"]);
    assert!(refused.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().is_some_and(|s| s >= 1));
    app.post_from("203.0.113.51", None, SUBSCRIBE, json!({ "e": "r5@example.org" })).await.assert_ok();
}
on_both!(sign_ups_are_rate_limited_per_client);
