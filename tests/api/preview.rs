//! Preview links: a signed, expiring token shows one draft or scheduled article to
//! whoever holds it, and nothing else.

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec};
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use serde_json::{Value, json};

const PREVIEW: &str = "query($s: String!, $t: String) { article(slug: $s, previewToken: $t) { headline status } }";
const CREATE: &str = "mutation($a: ID!, $m: Int) { createPreviewLink(articleId: $a, ttlMinutes: $m) { token expiresAt article { slug } } }";

async fn a_preview_shows_one_article_to_its_holder(app: TestApp) {
    let section = fixtures::section(&app.db, "politics", "Politics", None).await;
    let (contributor, contributor_token) = app.staff(Role::Contributor).await;
    let draft = fixtures::article(
        &app.db,
        ArticleSpec { created_by: Some(contributor.id), ..ArticleSpec::draft("coalition-talks", &section) },
    )
    .await;
    fixtures::article(&app.db, ArticleSpec::draft("other-draft", &section)).await;
    let draft_id = encode(Kind::Article, draft.id);

    let link = app.query_as(&contributor_token, CREATE, json!({ "a": draft_id.as_str(), "m": 30 })).await;
    let token = link["createPreviewLink"]["token"].as_str().unwrap().to_owned();
    assert_eq!(link["createPreviewLink"]["article"]["slug"], "coalition-talks");

    assert_eq!(
        app.query(PREVIEW, json!({ "s": "coalition-talks" })).await["article"],
        Value::Null,
        "not without the token"
    );
    let seen = app.query(PREVIEW, json!({ "s": "coalition-talks", "t": token })).await;
    assert_eq!(seen["article"], json!({ "headline": "Headline of coalition-talks", "status": "DRAFT" }));
    assert_eq!(
        app.query(PREVIEW, json!({ "s": "other-draft", "t": token })).await["article"],
        Value::Null,
        "the token shows its own article only"
    );

    // A preview token is no sign-in token.
    let as_bearer = app.post(Some(&token), "{ me { email } }", json!({})).await;
    assert_eq!(as_bearer.codes(), ["UNAUTHENTICATED"]);

    let garbage = app.post(None, PREVIEW, json!({ "s": "coalition-talks", "t": "not-a-token" })).await;
    assert_eq!(garbage.codes(), ["BAD_USER_INPUT"]);
    assert_eq!(garbage.body["errors"][0]["extensions"]["field"], "previewToken");
}
on_both!(a_preview_shows_one_article_to_its_holder);

async fn expired_previews_and_who_may_share(app: TestApp) {
    let section = fixtures::section(&app.db, "politics", "Politics", None).await;
    let draft = fixtures::article(&app.db, ArticleSpec::draft("budget-leak", &section)).await;
    let draft_id = encode(Kind::Article, draft.id);

    // A token that expired an hour ago, signed with the server's own secret.
    let secret = newsroom::auth::signing_secret(&app.db, None).await.unwrap();
    let claims = json!({
        "sub": format!("article:{}", draft.id), "iss": "newsroom", "aud": "newsroom#preview",
        "exp": chrono::Utc::now().timestamp() - 3600, "iat": chrono::Utc::now().timestamp() - 7200,
    });
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let answer = app.post(None, PREVIEW, json!({ "s": "budget-leak", "t": expired })).await;
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"]);
    assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("expired"));

    assert_eq!(app.post(None, CREATE, json!({ "a": draft_id.as_str() })).await.codes(), ["UNAUTHENTICATED"]);
    let (_, stranger) = app.staff(Role::Contributor).await;
    assert_eq!(app.post(Some(&stranger), CREATE, json!({ "a": draft_id.as_str() })).await.codes(), ["NOT_FOUND"]);
    let (_, editor) = app.staff(Role::Editor).await;
    for minutes in [0, -5, 7 * 24 * 60 + 1] {
        let refused = app.post(Some(&editor), CREATE, json!({ "a": draft_id.as_str(), "m": minutes })).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{minutes} minutes");
    }
    let link = app.query_as(&editor, CREATE, json!({ "a": draft_id.as_str() })).await;
    let expires: chrono::DateTime<chrono::Utc> =
        link["createPreviewLink"]["expiresAt"].as_str().unwrap().parse().unwrap();
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!((58..=60).contains(&minutes), "default lifetime is an hour, got {minutes} minutes");
}
on_both!(expired_previews_and_who_may_share);
