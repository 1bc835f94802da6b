//! Paywalled access: an article asks for FREE, REGISTERED or SUBSCRIBER; callers without
//! that access get its first `teaserBlocks` blocks and nothing more of the body through any
//! field. Readers' access comes in a token (ours, minted by `newsroom token --role reader`,
//! or the publisher's identity provider's), without an account; their answers are never
//! shared with other callers.

use std::time::Duration;

use entity::article::AccessLevel;
use entity::user::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::ws::{Client, MODERN};
use crate::editorial::{create_article, create_section, id_of, publish, update_article};

const BODY: &str =
    "Alpha opens the piece.\n\n## Bravo heading\n\nCharlie explains.\n\n- delta one\n- delta two\n\nEcho closes.";
const PAGE: &str = r#"{ article(slug: "inside-the-budget") {
    access teaserBlocks accessible bodyMarkdown bodyHtml bodyText blocks { __typename }
    wordCount } }"#;

/// Everything of the body a caller was shown, in every field at once.
fn shown(page: &Value) -> String {
    let article = &page["article"];
    format!("{} {} {} {}", article["bodyMarkdown"], article["bodyHtml"], article["bodyText"], article["blocks"])
}

async fn paywalled(app: &TestApp, editor: &str) -> String {
    let section = create_section(app, editor, "politics", None).await;
    let input = json!({ "headline": "Inside the Budget", "bodyMarkdown": BODY, "sectionId": section,
        "access": "SUBSCRIBER", "teaserBlocks": 2, "tags": ["Budget"] });
    let id = id_of(&create_article(app, editor, input).await);
    publish(app, editor, &id).await;
    id
}

async fn readers_without_access_get_the_teaser_and_nothing_more(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    paywalled(&app, &editor).await;
    let (registered, _) = app.tokens.issue_reader("reader-1", AccessLevel::Registered, Duration::from_secs(600));
    let (subscriber, _) = app.tokens.issue_reader("reader-2", AccessLevel::Subscriber, Duration::from_secs(600));

    for (who, token) in [("anonymous", None), ("a registered reader", Some(&registered))] {
        let page = app.post(token.map(String::as_str), PAGE, json!({})).await;
        let article = &page.assert_ok()["article"];
        assert_eq!(article["access"], "SUBSCRIBER");
        assert_eq!(article["teaserBlocks"], 2);
        assert_eq!(article["accessible"], false, "{who}");
        assert_eq!(article["bodyMarkdown"], "Alpha opens the piece.\n\n## Bravo heading", "{who}");
        assert_eq!(article["blocks"].as_array().unwrap().len(), 2, "{who}");
        let seen = shown(&page.body["data"]);
        assert!(seen.contains("Alpha") && seen.contains("Bravo"), "{who}: the teaser: {seen}");
        for hidden in ["Charlie", "delta", "Echo"] {
            assert!(!seen.contains(hidden), "{who} is shown {hidden}: {seen}");
        }
        assert_eq!(article["wordCount"], 14, "the length is no secret");
    }
    // The anonymous answer was kept; the subscriber's is theirs alone, and whole.
    let kept = app.request(http_post(PAGE, None)).await;
    assert!(!shown(&kept.body["data"]).contains("Echo"));
    for token in [&subscriber, &editor] {
        let answer = app.request(http_post(PAGE, Some(token))).await;
        let article = &answer.body["data"]["article"];
        assert_eq!(article["accessible"], true);
        assert_eq!(article["bodyMarkdown"], BODY);
        assert_eq!(article["blocks"].as_array().unwrap().len(), 5);
        assert_eq!(answer.headers["cache-control"], "private, no-store", "never shared");
    }
    assert!(!shown(&app.query(PAGE, json!({})).await).contains("Echo"), "and the anonymous answer is the teaser still");

    // Lists show the teaser too.
    let listed = app.query("{ articles { nodes { bodyText } } }", json!({})).await;
    assert!(!listed["articles"]["nodes"][0]["bodyText"].as_str().unwrap().contains("Echo"), "{listed}");
}
on_both!(readers_without_access_get_the_teaser_and_nothing_more);

fn http_post(query: &str, token: Option<&str>) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(axum::body::Body::from(json!({ "query": query }).to_string())).unwrap()
}

async fn subscribers_and_outside_readers_read_the_whole_body(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let id = paywalled(&app, &editor).await;

    // Minted for a script: no account is needed.
    let minted = std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
        .env_remove("DATABASE_URL")
        .env("NEWSROOM_LOG", "warn")
        .args(["--database-url", &app.config.database_url])
        .args(["token", "--role", "reader", "--access", "subscriber", "--sub", "reader-42", "--ttl", "10m"])
        .output()
        .expect("the newsroom binary runs");
    assert!(minted.status.success(), "{minted:?}");
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let page = app.post(Some(&token), PAGE, json!({})).await;
    assert_eq!(page.assert_ok()["article"]["bodyMarkdown"], BODY);

    // From the publisher's identity provider, with its key.
    let outside = app
        .reconfigured(|config| {
            let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/keys");
            config.jwt_public_key = Some(keys.join("rsa-public.pem"));
            config.jwt_public_key_issuer = Some("https://id.example.com/".into());
        })
        .await;
    let now = chrono::Utc::now().timestamp();
    let sign = |access: &str| {
        let claims = json!({ "sub": "reader@example.org", "role": "reader", "access": access,
            "iss": "https://id.example.com/", "aud": "newsroom", "exp": now + 600, "iat": now });
        let key = EncodingKey::from_rsa_pem(include_bytes!("keys/rsa-private.pem")).unwrap();
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
    };
    let whole = outside.post(Some(&sign("SUBSCRIBER")), PAGE, json!({})).await;
    assert_eq!(whole.assert_ok()["article"]["accessible"], true);
    let teaser = outside.post(Some(&sign("REGISTERED")), PAGE, json!({})).await;
    assert_eq!(teaser.assert_ok()["article"]["accessible"], false);
    let unknown = outside.post(Some(&sign("PLATINUM")), PAGE, json!({})).await;
    assert_eq!(unknown.codes(), ["UNAUTHENTICATED"], "{}", unknown.body);

    // A subscription shows each subscriber what their access allows.
    let at = app.serve().await;
    let (subscriber, _) = app.tokens.issue_reader("reader-2", AccessLevel::Subscriber, Duration::from_secs(600));
    let mut anonymous = Client::connect(at, MODERN, json!({})).await;
    let mut paying = Client::connect(at, MODERN, json!({ "token": subscriber })).await;
    let updated = "subscription($id: ID!) { articleUpdated(id: $id) { bodyMarkdown } }";
    let first = anonymous.subscribe(updated, json!({ "id": id })).await;
    let second = paying.subscribe(updated, json!({ "id": id })).await;
    app.until_subscribed(2).await;
    update_article(&app, &editor, &id, json!({ "headline": "Inside the Budget, Revised" })).await.assert_ok();
    let teaser = anonymous.next_result(&first).await;
    assert_eq!(teaser["data"]["articleUpdated"]["bodyMarkdown"], "Alpha opens the piece.\n\n## Bravo heading");
    let whole = paying.next_result(&second).await;
    assert_eq!(whole["data"]["articleUpdated"]["bodyMarkdown"], BODY);
}
on_both!(subscribers_and_outside_readers_read_the_whole_body);

async fn access_is_set_by_editors_within_bounds(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let id = paywalled(&app, &editor).await;
    let settings = r#"{ article(slug: "inside-the-budget") { access teaserBlocks } }"#;
    for (input, field) in [
        (json!({ "teaserBlocks": 51 }), "teaserBlocks"),
        (json!({ "teaserBlocks": -1, "headline": "Changed" }), "teaserBlocks"),
    ] {
        let refused = update_article(&app, &editor, &id, input).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["extensions"]["field"], field);
    }
    let unknown = update_article(&app, &editor, &id, json!({ "access": "PLATINUM" })).await;
    assert_eq!(unknown.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(
        app.query(settings, json!({})).await["article"],
        json!({ "access": "SUBSCRIBER", "teaserBlocks": 2 }),
        "nothing changed"
    );

    // Registered readers only, with the default teaser; then free for all.
    update_article(&app, &editor, &id, json!({ "access": "REGISTERED", "teaserBlocks": null })).await.assert_ok();
    assert_eq!(app.query(settings, json!({})).await["article"], json!({ "access": "REGISTERED", "teaserBlocks": 3 }));
    let (registered, _) = app.tokens.issue_reader("reader-1", AccessLevel::Registered, Duration::from_secs(600));
    assert_eq!(app.post(Some(&registered), PAGE, json!({})).await.assert_ok()["article"]["accessible"], true);
    update_article(&app, &editor, &id, json!({ "access": "FREE" })).await.assert_ok();
    let free = app.query(PAGE, json!({})).await;
    assert_eq!(free["article"]["teaserBlocks"], Value::Null);
    assert_eq!(free["article"]["bodyMarkdown"], BODY);
}
on_both!(access_is_set_by_editors_within_bounds);

/// The news desk's mutations and the audit log, for every caller: anonymous callers are
/// asked to sign in, readers (who hold a token but no account) and staff below the role
/// are refused, and nothing changes.
async fn the_news_desk_permission_matrix(app: TestApp) {
    let (_, admin) = app.staff(Role::Admin).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, contributor) = app.staff(Role::Contributor).await;
    let (reader, _) = app.tokens.issue_reader("reader-2", AccessLevel::Subscriber, Duration::from_secs(600));
    let id = paywalled(&app, &editor).await;
    let author = app
        .query_as(&editor, r#"mutation { createAuthor(input: { name: "Ines Cole" }) { id } }"#, json!({}))
        .await["createAuthor"]["id"]
        .clone();
    let tag = app.query(r#"{ tag(slug: "budget") { id } }"#, json!({})).await["tag"]["id"].clone();
    let image = app
        .query_as(
            &editor,
            r#"mutation { createImage(input: { url: "https://images.example.com/a.jpg", altText: "A", width: 10, height: 10 }) { id } }"#,
            json!({}),
        )
        .await["createImage"]["id"]
        .clone();
    let operations = [
        (
            r#"mutation($a: ID!) { addCorrection(articleId: $a, kind: UPDATE, text: "Updated.") { id } }"#,
            json!({ "a": id }),
            Role::Editor,
        ),
        (
            r#"mutation($a: ID!) { updateAuthor(id: $a, input: { name: "I. Cole" }) { id } }"#,
            json!({ "a": author }),
            Role::Editor,
        ),
        (
            r#"mutation($a: ID!) { updateTag(id: $a, input: { name: "Renamed" }) { id } }"#,
            json!({ "a": tag }),
            Role::Editor,
        ),
        (r#"mutation($a: ID!) { deleteImage(id: $a) }"#, json!({ "a": image }), Role::Editor),
        (
            r#"mutation($a: ID!) { updateArticle(id: $a, input: { embargoUntil: "2099-01-01T00:00:00Z" }) { id } }"#,
            json!({ "a": id }),
            Role::Editor,
        ),
        (r#"{ auditLog { totalCount } }"#, json!({}), Role::Admin),
    ];
    let before = app.query_as(&admin, "{ auditLog { totalCount } }", json!({})).await;
    for (document, variables, least) in &operations {
        let callers = [
            ("anonymous", None, "UNAUTHENTICATED"),
            ("reader", Some(&reader), "FORBIDDEN"),
            ("contributor", Some(&contributor), "FORBIDDEN"),
            ("editor", Some(&editor), if *least == Role::Admin { "FORBIDDEN" } else { "" }),
        ];
        for (who, token, code) in callers.into_iter().filter(|(_, _, code)| !code.is_empty()) {
            let refused = app.post(token.map(String::as_str), document, variables.clone()).await;
            assert_eq!(refused.codes(), [code], "{who}: {document}: {}", refused.body);
        }
    }
    let after = app.query_as(&admin, "{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(after, before, "no refused call wrote anything");
    for (document, variables, _) in &operations {
        app.post(Some(&admin), document, variables.clone()).await.assert_ok();
    }
}
on_both!(the_news_desk_permission_matrix);

/// A paywalled live blog's entries are its body: callers without the access see none of
/// them, by any path.
async fn a_paywalled_live_blog_shows_its_entries_to_subscribers_only(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "politics", None).await;
    let input = json!({ "headline": "Budget Night", "bodyMarkdown": "Follow the night here.", "sectionId": section,
        "kind": "LIVE", "access": "SUBSCRIBER", "teaserBlocks": 1 });
    let id = id_of(&create_article(&app, &editor, input).await);
    publish(&app, &editor, &id).await;
    let entry = app
        .query_as(
            &editor,
            r#"mutation($a: ID!) { addLiveEntry(articleId: $a, input: { bodyMarkdown: "The vote is close." }) { id } }"#,
            json!({ "a": id }),
        )
        .await["addLiveEntry"]["id"]
        .clone();
    let blog = r#"query($e: ID!) { article(slug: "budget-night") { liveEntries { totalCount nodes { bodyMarkdown } }
        structuredData } node(id: $e) { id } }"#;
    let (subscriber, _) = app.tokens.issue_reader("reader-2", AccessLevel::Subscriber, Duration::from_secs(600));
    let (registered, _) = app.tokens.issue_reader("reader-1", AccessLevel::Registered, Duration::from_secs(600));
    for token in [None, Some(&registered)] {
        let page = app.post(token.map(String::as_str), blog, json!({ "e": entry })).await;
        let data = page.assert_ok();
        assert_eq!(data["article"]["liveEntries"]["totalCount"], 0, "{data}");
        assert_eq!(data["node"], Value::Null);
        assert!(!data.to_string().contains("The vote is close"), "{data}");
    }
    let page = app.post(Some(&subscriber), blog, json!({ "e": entry })).await;
    let data = page.assert_ok();
    assert_eq!(data["article"]["liveEntries"]["nodes"], json!([{ "bodyMarkdown": "The vote is close." }]));
    assert_eq!(data["node"]["id"], entry);
}
on_both!(a_paywalled_live_blog_shows_its_entries_to_subscribers_only);
