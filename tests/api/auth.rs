//! Signing in, tokens and who may call what.

use std::time::Duration;

use crate::common::TestApp;
use crate::common::fixtures::{self, ago};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use entity::comment::CommentStatus;
use entity::user::Role;
use newsroom::auth::{TokenService, password};
use newsroom::domain::users;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { email name role } } }";

async fn login_and_me(app: TestApp) {
    let user = users::create(
        &app.db,
        users::NewUser {
            email: "Eda.Editor@Example.com ".into(),
            name: "Eda Editor".into(),
            role: Role::Editor,
            password_hash: password::hash("correct horse battery"),
        },
    )
    .await
    .unwrap();
    assert_eq!(user.email, "eda.editor@example.com");

    let signed_in = app.query(LOGIN, json!({ "e": "eda.editor@example.com", "p": "correct horse battery" })).await;
    let payload = &signed_in["login"];
    assert_eq!(payload["user"], json!({ "email": "eda.editor@example.com", "name": "Eda Editor", "role": "EDITOR" }));
    assert!(payload["expiresAt"].as_str().unwrap().ends_with('Z'));
    let token = payload["token"].as_str().unwrap();
    let me = app.query_as(token, "{ me { email role } }", json!({})).await;
    assert_eq!(me["me"], json!({ "email": "eda.editor@example.com", "role": "EDITOR" }));
    assert_eq!(app.query("{ me { email } }", json!({})).await["me"], Value::Null);

    for (email, password) in
        [("eda.editor@example.com", "wrong password"), ("nobody@example.com", "correct horse battery")]
    {
        let refused = app.post(None, LOGIN, json!({ "e": email, "p": password })).await;
        assert_eq!(refused.codes(), ["UNAUTHENTICATED"]);
        assert_eq!(refused.body["errors"][0]["message"], "email or password is wrong", "the same answer for both");
    }
}
on_both!(login_and_me);

async fn bad_tokens_are_unauthenticated(app: TestApp) {
    let (user, good) = app.staff(Role::Editor).await;
    let secret_of_someone_else = TokenService::new(b"another secret that is long enough", "newsroom", "newsroom");
    let (forged, _) = secret_of_someone_else.issue(user.id, Role::Admin, Duration::from_secs(60));
    let other_audience = TokenService::new(b"x".repeat(40).as_slice(), "newsroom", "elsewhere");
    let (wrong_audience, _) = other_audience.issue(user.id, Role::Editor, Duration::from_secs(60));
    let expired = {
        let claims = newsroom::auth::Claims {
            sub: user.id.to_string(),
            role: "EDITOR".into(),
            iss: "newsroom".into(),
            aud: "newsroom".into(),
            exp: chrono::Utc::now().timestamp() - 3600,
            iat: chrono::Utc::now().timestamp() - 7200,
            access: None,
        };
        // Signed with the real secret, so only the expiry is wrong.
        let secret = newsroom::auth::signing_secret(&app.db, None).await.unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&secret),
        )
        .unwrap()
    };
    let payload = good.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");

    for (name, header_value) in [
        ("forged", format!("Bearer {forged}")),
        ("wrong audience", format!("Bearer {wrong_audience}")),
        ("expired", format!("Bearer {expired}")),
        ("alg none", format!("Bearer {unsigned}")),
        ("garbage", "Bearer not.a.token".into()),
        ("not bearer", format!("Basic {good}")),
        ("empty", "Bearer ".into()),
    ] {
        let answer = app
            .request(
                Request::builder()
                    .method(Method::POST)
                    .uri("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, header_value)
                    .body(Body::from(json!({ "query": "{ me { email } }" }).to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.codes(), ["UNAUTHENTICATED"], "{name}");
        assert!(answer.body.get("data").is_none(), "{name}");
    }
    assert_eq!(app.query_as(&good, "{ me { email } }", json!({})).await["me"]["email"], user.email.as_str());

    // A token outlives neither its user nor a demotion.
    let mut demoted =
        entity::user::Entity::find_by_id(user.id).one(&app.db).await.unwrap().unwrap().into_active_model();
    demoted.role = Set(Role::Contributor);
    demoted.update(&app.db).await.unwrap();
    assert_eq!(app.post(Some(&good), "{ me { email } }", json!({})).await.codes(), ["UNAUTHENTICATED"]);
    entity::user::Entity::delete_by_id(user.id).exec(&app.db).await.unwrap();
    assert_eq!(app.post(Some(&good), "{ me { email } }", json!({})).await.codes(), ["UNAUTHENTICATED"]);
}
on_both!(bad_tokens_are_unauthenticated);

async fn staff_only_fields(app: TestApp) {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let article = fixtures::article(&app.db, fixtures::ArticleSpec::published("story", &section, ago(30))).await;
    fixtures::comment(&app.db, &article, None, CommentStatus::Pending, "Awaiting", ago(20)).await;
    fixtures::comment(&app.db, &article, None, CommentStatus::Spam, "Spam", ago(10)).await;
    fixtures::image(&app.db, Some("A"), None, None, None).await;
    let (_, contributor) = app.staff(Role::Contributor).await;
    let (_, editor) = app.staff(Role::Editor).await;

    let images = "{ images { totalCount nodes { url } } }";
    assert_eq!(app.post(None, images, json!({})).await.codes(), ["UNAUTHENTICATED"]);
    assert_eq!(app.query_as(&contributor, images, json!({})).await["images"]["totalCount"], 1);

    let queue = "query($s: CommentStatus) { moderationQueue(status: $s) { totalCount nodes { body authorEmail } } }";
    assert_eq!(app.post(None, queue, json!({})).await.codes(), ["UNAUTHENTICATED"]);
    assert_eq!(app.post(Some(&contributor), queue, json!({})).await.codes(), ["FORBIDDEN"]);
    let pending = app.query_as(&editor, queue, json!({})).await;
    assert_eq!(pending["moderationQueue"]["totalCount"], 1);
    assert_eq!(pending["moderationQueue"]["nodes"][0]["body"], "Awaiting");
    assert!(pending["moderationQueue"]["nodes"][0]["authorEmail"].as_str().is_some());
    let spam = app.query_as(&editor, queue, json!({ "s": "SPAM" })).await;
    assert_eq!(spam["moderationQueue"]["nodes"][0]["body"], "Spam");

    let revisions = r#"{ article(slug: "story") { revisions { number headline editor { email } } } }"#;
    assert_eq!(app.post(None, revisions, json!({})).await.codes(), ["UNAUTHENTICATED"]);
    assert_eq!(app.post(Some(&contributor), revisions, json!({})).await.codes(), ["FORBIDDEN"]);
    let history = app.query_as(&editor, revisions, json!({})).await;
    assert_eq!(
        history["article"]["revisions"],
        json!([{ "number": 1, "headline": "Headline of story", "editor": null }])
    );
}
on_both!(staff_only_fields);

async fn a_new_password_replaces_the_old_one(app: TestApp) {
    users::create(
        &app.db,
        users::NewUser {
            email: "moved@example.com".into(),
            name: "Moved".into(),
            role: Role::Editor,
            password_hash: password::hash("the old password"),
        },
    )
    .await
    .unwrap();
    users::set_password(&app.db, "Moved@Example.com", password::hash("the new password")).await.unwrap();
    let old = app.post(None, LOGIN, json!({ "e": "moved@example.com", "p": "the old password" })).await;
    assert_eq!(old.codes(), ["UNAUTHENTICATED"]);
    let new = app.query(LOGIN, json!({ "e": "moved@example.com", "p": "the new password" })).await;
    assert_eq!(new["login"]["user"]["email"], "moved@example.com");
    assert!(users::set_password(&app.db, "nobody@example.com", password::hash("whatever it is")).await.is_err());
}
on_both!(a_new_password_replaces_the_old_one);
