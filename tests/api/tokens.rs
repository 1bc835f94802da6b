//! Forged and broken tokens, table by table: our own HS256 tokens, and those of an outside
//! identity provider signed with an RSA or a P-256 key. Over HTTP every bad token is
//! answered `401` with `UNAUTHENTICATED` and writes nothing; at a WebSocket's
//! `connection_init` it closes the connection unacknowledged.

use crate::common;

use std::time::Duration;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::user::Role;
use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, QueryOrder, Set};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa-public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("keys/ec-private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("keys/ec-public.pem");
const OTHER_RSA_PRIVATE: &[u8] = include_bytes!("keys/other-rsa-private.pem");
const OTHER_EC_PRIVATE: &[u8] = include_bytes!("keys/other-ec-private.pem");

const OUTSIDE_ISSUER: &str = "https://id.example.com/";

/// Two writes: one only staff may make, one anyone may, so that a token that fell back to
/// an anonymous caller would still write something.
const WRITE: &str = r#"mutation($a: ID!) {
  createSection(input: { slug: "forged", name: "Forged" }) { slug }
  addComment(input: { articleId: $a, authorName: "Forger", body: "Written with a forged token" }) { status }
}"#;

/// Who signs the tokens of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signer {
    /// Our HS256 secret; `sub` is the user id.
    Ours,
    /// The outside provider's RSA key (RS256); `sub` is the email address.
    Rsa,
    /// The outside provider's P-256 key (ES256).
    Ec,
}

struct Forge {
    signer: Signer,
    secret: Vec<u8>,
    now: i64,
}

impl Forge {
    fn algorithm(&self) -> Algorithm {
        match self.signer {
            Signer::Ours => Algorithm::HS256,
            Signer::Rsa => Algorithm::RS256,
            Signer::Ec => Algorithm::ES256,
        }
    }

    fn key(&self) -> EncodingKey {
        match self.signer {
            Signer::Ours => EncodingKey::from_secret(&self.secret),
            Signer::Rsa => EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
            Signer::Ec => EncodingKey::from_ec_pem(EC_PRIVATE).unwrap(),
        }
    }

    /// The claims of a good token for `user`: ours always claim a role, outside tokens
    /// claim one only when `role` is given.
    fn claims(&self, user: &entity::user::Model, role: Option<&str>) -> Map<String, Value> {
        let mut claims = Map::new();
        let (sub, iss) = match self.signer {
            Signer::Ours => (json!(user.id.to_string()), "newsroom"),
            Signer::Rsa | Signer::Ec => (json!(user.email), OUTSIDE_ISSUER),
        };
        claims.insert("sub".into(), sub);
        claims.insert("iss".into(), json!(iss));
        claims.insert("aud".into(), json!("newsroom"));
        claims.insert("exp".into(), json!(self.now + 3600));
        claims.insert("iat".into(), json!(self.now));
        match (self.signer, role) {
            (Signer::Ours, role) => {
                claims.insert("role".into(), json!(role.unwrap_or("EDITOR")));
            }
            (_, Some(role)) => {
                claims.insert("role".into(), json!(role));
            }
            (_, None) => {}
        }
        claims
    }

    fn sign(&self, claims: &Map<String, Value>) -> String {
        sign_with(self.algorithm(), &self.key(), claims)
    }

    /// `header.payload.signature` over the segments exactly as given, so that a token can
    /// carry a correct signature over a broken payload.
    fn sign_segments(&self, header: &str, payload: &str) -> String {
        let message = format!("{header}.{payload}");
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &self.key(), self.algorithm()).unwrap();
        format!("{message}.{signature}")
    }

    fn sign_value(&self, value: &Value) -> String {
        jsonwebtoken::encode(&Header::new(self.algorithm()), value, &self.key()).expect("the test signs")
    }

    /// A good token for `user`, changed by `change` before it is signed.
    fn signed(&self, user: &entity::user::Model, change: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = self.claims(user, None);
        change(&mut claims);
        self.sign(&claims)
    }
}

fn sign_with(algorithm: Algorithm, key: &EncodingKey, claims: &Map<String, Value>) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, key).expect("the test signs")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` with the header as given and the payload of `token`.
fn with_header(token: &str, header: Value, signature: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    format!("{}.{payload}.{signature}", b64(header.to_string().as_bytes()))
}

/// An `Authorization` header value and what it stands for.
struct Case {
    name: String,
    authorization: String,
}

fn bearer(name: impl Into<String>, token: impl AsRef<str>) -> Case {
    Case { name: name.into(), authorization: format!("Bearer {}", token.as_ref()) }
}

/// The accounts and content a table is run against.
struct World {
    editor: entity::user::Model,
    deleted: entity::user::Model,
    demoted: entity::user::Model,
    article_id: String,
}

async fn world(app: &TestApp) -> World {
    let section = fixtures::section(&app.db, "news", "News", None).await;
    let article = fixtures::article(&app.db, ArticleSpec::published("story", &section, ago(30))).await;
    let (editor, _) = app.staff(Role::Editor).await;
    let (deleted, _) = app.staff(Role::Editor).await;
    let (demoted, _) = app.staff(Role::Admin).await;
    World {
        editor,
        deleted,
        demoted,
        article_id: newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Article, article.id).0,
    }
}

/// Deletes one account and demotes another from admin to editor, after their tokens were made.
async fn delete_and_demote(app: &TestApp, world: &World) {
    entity::user::Entity::delete_by_id(world.deleted.id).exec(&app.db).await.unwrap();
    let mut demoted =
        entity::user::Entity::find_by_id(world.demoted.id).one(&app.db).await.unwrap().unwrap().into_active_model();
    demoted.role = Set(Role::Editor);
    demoted.update(&app.db).await.unwrap();
}

/// Every forged or broken variant of a good token of `forge`.
fn table(forge: &Forge, world: &World, configured_public_key: Option<&[u8]>) -> Vec<Case> {
    let user = &world.editor;
    let good = forge.signed(user, |_| {});
    let algorithm = format!("{:?}", forge.algorithm());
    let [header, payload, signature]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();
    let now = forge.now;
    let mut cases = Vec::new();

    for none in ["none", "None", "NONE", "nOnE"] {
        let unsigned = with_header(&good, json!({ "alg": none, "typ": "JWT" }), "");
        cases.push(bearer(format!("alg {none}, no signature"), unsigned));
        let resigned = with_header(&good, json!({ "alg": none, "typ": "JWT" }), signature);
        cases.push(bearer(format!("alg {none}, the good signature kept"), resigned));
    }
    cases.push(bearer("alg missing", with_header(&good, json!({ "typ": "JWT" }), signature)));
    cases.push(bearer("alg in lower case", with_header(&good, json!({ "alg": algorithm.to_lowercase() }), signature)));

    // Key confusion: HMAC keyed with a public key that an attacker can read.
    let public_keys: Vec<&[u8]> = configured_public_key.into_iter().chain([RSA_PUBLIC, EC_PUBLIC]).collect();
    for (index, public) in public_keys.into_iter().enumerate() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let claims = forge.claims(user, None);
            let token = sign_with(alg, &EncodingKey::from_secret(public), &claims);
            cases.push(bearer(format!("{alg:?} keyed with public key #{index}"), token));
        }
    }
    // Our secret, with an algorithm outside the allow-list.
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign_with(alg, &EncodingKey::from_secret(&forge.secret), &forge.claims(user, None));
        cases.push(bearer(format!("{alg:?} with our secret"), token));
    }
    // Public-key algorithms the server is not configured for (or not with that key).
    let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let ec = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
    for (alg, key) in [
        (Algorithm::RS256, &rsa),
        (Algorithm::RS384, &rsa),
        (Algorithm::RS512, &rsa),
        (Algorithm::PS256, &rsa),
        (Algorithm::ES256, &ec),
    ] {
        if alg != forge.algorithm() {
            cases.push(bearer(format!("{alg:?} unconfigured"), sign_with(alg, key, &forge.claims(user, None))));
        }
    }

    // Signatures.
    // The last character holds the final bits of the signature in its high bits ('A' is
    // 000000, 'Q' 010000): a change there is a changed signature, not bad padding.
    let mut flipped = signature.to_owned();
    let last = if flipped.ends_with('A') { "Q" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    cases.push(bearer("signature changed at the end", format!("{header}.{payload}.{flipped}")));
    let mut first = signature.to_owned();
    let lead = if first.starts_with('A') { "B" } else { "A" };
    first.replace_range(..1, lead);
    cases.push(bearer("signature changed at the start", format!("{header}.{payload}.{first}")));
    cases.push(bearer("signature missing", format!("{header}.{payload}.")));
    cases.push(bearer(
        "signature of another token",
        format!(
            "{header}.{payload}.{}",
            forge
                .signed(user, |c| {
                    c.insert("iat".into(), json!(now - 1));
                })
                .rsplit('.')
                .next()
                .unwrap()
        ),
    ));
    let other_key = match forge.signer {
        Signer::Ours => EncodingKey::from_secret(b"another secret that is long enough!!"),
        Signer::Rsa => EncodingKey::from_rsa_pem(OTHER_RSA_PRIVATE).unwrap(),
        Signer::Ec => EncodingKey::from_ec_pem(OTHER_EC_PRIVATE).unwrap(),
    };
    let claims = forge.claims(user, None);
    cases.push(bearer("signed with another key", sign_with(forge.algorithm(), &other_key, &claims)));
    let mut altered = forge.claims(user, None);
    altered.insert("role".into(), json!("ADMIN"));
    cases.push(bearer(
        "payload altered after signing",
        format!("{header}.{}.{signature}", b64(Value::Object(altered).to_string().as_bytes())),
    ));

    // Shape and encoding.
    cases.push(bearer("two segments", format!("{header}.{payload}")));
    cases.push(bearer("one segment", header));
    cases.push(bearer("four segments", format!("{good}.{signature}")));
    cases.push(bearer("an empty segment in front", format!(".{good}")));
    cases.push(bearer("only dots", ".."));
    cases.push(bearer("header not base64", format!("{}*.{payload}.{signature}", &header[..header.len() - 1])));
    cases.push(bearer("payload not base64", format!("{header}.{}!.{signature}", &payload[1..])));
    cases.push(bearer("signature not base64", format!("{header}.{payload}.{}$", &signature[1..])));
    cases.push(bearer("padded standard base64", format!("{header}==.{payload}.{signature}")));
    cases.push(bearer("header not JSON", format!("{}.{payload}.{signature}", b64(b"alg=HS256"))));
    cases.push(bearer("payload not JSON", format!("{header}.{}.{signature}", b64(b"sub=1"))));
    cases.push(bearer("payload not base64, signed", forge.sign_segments(header, "!!!")));
    cases.push(bearer("payload not JSON, signed", forge.sign_segments(header, &b64(b"sub=1"))));
    cases.push(bearer("payload empty, signed", forge.sign_segments(header, "")));
    cases.push(bearer("payload a JSON array", forge.sign_value(&json!([1, 2, 3]))));
    cases.push(bearer("header not UTF-8", format!("{}.{payload}.{signature}", b64(&[0xff, 0xfe, 0x7b]))));

    // Times.
    cases.push(bearer(
        "expired beyond the leeway",
        forge.signed(user, |c| {
            c.insert("exp".into(), json!(now - 120));
        }),
    ));
    cases.push(bearer(
        "expired long ago",
        forge.signed(user, |c| {
            c.insert("exp".into(), json!(1));
        }),
    ));
    cases.push(bearer(
        "not valid for another five minutes",
        forge.signed(user, |c| {
            c.insert("nbf".into(), json!(now + 300));
        }),
    ));
    cases.push(bearer(
        "exp missing",
        forge.signed(user, |c| {
            c.remove("exp");
        }),
    ));
    cases.push(bearer(
        "exp not a number",
        forge.signed(user, |c| {
            c.insert("exp".into(), json!("tomorrow"));
        }),
    ));
    cases.push(bearer(
        "exp negative",
        forge.signed(user, |c| {
            c.insert("exp".into(), json!(-1));
        }),
    ));
    cases.push(bearer(
        "nbf not a number",
        forge.signed(user, |c| {
            c.insert("nbf".into(), json!("now"));
        }),
    ));

    // Issuer, audience, subject.
    for (claim, wrong) in
        [("iss", json!("someone-else")), ("aud", json!("someone-else")), ("aud", json!(["someone-else"]))]
    {
        cases.push(bearer(
            format!("{claim} {wrong}"),
            forge.signed(user, |c| {
                c.insert(claim.into(), wrong.clone());
            }),
        ));
    }
    for claim in ["iss", "aud", "sub"] {
        cases.push(bearer(
            format!("{claim} missing"),
            forge.signed(user, |c| {
                c.remove(claim);
            }),
        ));
    }
    let (ours_swapped, another_kind) = match forge.signer {
        Signer::Ours => ("the user's email as sub", json!(user.email)),
        _ => ("the user's id as sub", json!(user.id.to_string())),
    };
    cases.push(bearer(
        ours_swapped,
        forge.signed(user, |c| {
            c.insert("sub".into(), another_kind);
        }),
    ));
    cases.push(bearer(
        "sub of nobody",
        forge.signed(user, |c| {
            let nobody = if forge.signer == Signer::Ours { json!("987654321") } else { json!("nobody@example.com") };
            c.insert("sub".into(), nobody);
        }),
    ));
    cases.push(bearer(
        "sub a number, not a string",
        forge.signed(user, |c| {
            c.insert("sub".into(), json!(user.id));
        }),
    ));
    cases.push(bearer(
        "sub with a NUL",
        forge.signed(user, |c| {
            let with_nul = format!("{}\u{0}", c["sub"].as_str().unwrap());
            c.insert("sub".into(), json!(with_nul));
        }),
    ));
    cases.push(bearer(
        "the preview audience",
        forge.signed(user, |c| {
            c.insert("aud".into(), json!("newsroom#preview"));
        }),
    ));

    // Roles and accounts.
    cases.push(bearer(
        "role unknown",
        forge.signed(user, |c| {
            c.insert("role".into(), json!("SUPERUSER"));
        }),
    ));
    cases.push(bearer(
        "role unknown and long",
        forge.signed(user, |c| {
            c.insert("role".into(), json!("R".repeat(500)));
        }),
    ));
    cases.push(bearer(
        "role not a string",
        forge.signed(user, |c| {
            c.insert("role".into(), json!(["ADMIN"]));
        }),
    ));
    if forge.signer == Signer::Ours {
        cases.push(bearer(
            "role missing",
            forge.signed(user, |c| {
                c.remove("role");
            }),
        ));
    }
    cases.push(bearer(
        "role above the user's",
        forge.signed(user, |c| {
            c.insert("role".into(), json!("ADMIN"));
        }),
    ));
    cases.push(bearer("a deleted user", forge.sign(&forge.claims(&world.deleted, Some("EDITOR")))));
    cases.push(bearer("a demoted user", forge.sign(&forge.claims(&world.demoted, Some("ADMIN")))));

    // Size: a correctly signed token made huge.
    cases.push(bearer(
        "64 KiB, correctly signed",
        forge.signed(user, |c| {
            c.insert("padding".into(), json!("x".repeat(64 * 1024)));
        }),
    ));
    cases.push(bearer("64 KiB of garbage", "A".repeat(64 * 1024)));

    // The header itself.
    cases.push(Case { name: "Basic scheme".into(), authorization: format!("Basic {good}") });
    cases.push(Case { name: "no token".into(), authorization: "Bearer ".into() });
    cases.push(Case { name: "token without scheme".into(), authorization: good.clone() });
    cases.push(Case { name: "two tokens".into(), authorization: format!("Bearer {good} {good}") });
    cases
}

/// Everything a forged write could have touched, row by row.
async fn snapshot(app: &TestApp) -> Value {
    use entity::{article, article_revision, comment, newsletter_subscription, outbox_message, section, user};
    json!({
        "sections": section::Entity::find().order_by_asc(section::Column::Id).into_json().all(&app.db).await.unwrap(),
        "articles": article::Entity::find().order_by_asc(article::Column::Id).into_json().all(&app.db).await.unwrap(),
        "revisions": article_revision::Entity::find().order_by_asc(article_revision::Column::Id).into_json().all(&app.db).await.unwrap(),
        "comments": comment::Entity::find().order_by_asc(comment::Column::Id).into_json().all(&app.db).await.unwrap(),
        "users": user::Entity::find().order_by_asc(user::Column::Id).into_json().all(&app.db).await.unwrap(),
        "subscriptions": newsletter_subscription::Entity::find().order_by_asc(newsletter_subscription::Column::Id).into_json().all(&app.db).await.unwrap(),
        "outbox": outbox_message::Entity::find().order_by_asc(outbox_message::Column::Id).into_json().all(&app.db).await.unwrap(),
    })
}

async fn write_with(app: &TestApp, authorization: &str, article_id: &str) -> common::Answer {
    send(app, authorization, WRITE, json!({ "a": article_id })).await
}

/// Sends the write with each case and checks the answer a client sees and that nothing
/// was written.
async fn assert_all_refused(app: &TestApp, cases: &[Case], article_id: &str) {
    let before = snapshot(app).await;
    for case in cases {
        let answer = write_with(app, &case.authorization, article_id).await;
        let name = &case.name;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}: {}", answer.body);
        assert_eq!(answer.codes(), ["UNAUTHENTICATED"], "{name}: {}", answer.body);
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer", "{name}");
        assert!(answer.body.get("data").is_none(), "{name}: {}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.len() < 200, "{name}: the message stays short: {message}");
        assert_eq!(snapshot(app).await, before, "{name}: nothing is written");
    }
}

/// The same cases at a WebSocket's `connection_init`: the server closes the connection
/// without acknowledging it.
async fn assert_all_refused_over_websocket(app: &TestApp, cases: &[Case]) {
    let at = app.serve().await;
    for case in cases {
        let mut request = format!("ws://{at}/graphql/ws").into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
        let init = json!({ "type": "connection_init", "payload": { "Authorization": case.authorization } });
        socket.send(Message::text(init.to_string())).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("an answer within 10 s");
        match answer {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert!(frame.reason.contains("token"), "{}: {}", case.name, frame.reason)
            }
            other => panic!("{}: expected the connection to close, got {other:?}", case.name),
        }
    }
}

/// A good token works: the cases fail for their flaw alone.
async fn assert_good(app: &TestApp, authorization: &str) {
    let me = send(app, authorization, "{ me { email role } }", json!({})).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert!(me.assert_ok()["me"]["email"].is_string(), "{}", me.body);
}

async fn send(app: &TestApp, authorization: &str, query: &str, variables: Value) -> common::Answer {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, authorization)
        .body(Body::from(body))
        .unwrap();
    app.request(request).await
}

async fn forge_for(app: &TestApp, signer: Signer) -> Forge {
    let secret = newsroom::auth::signing_secret(&app.db, None).await.unwrap();
    Forge { signer, secret, now: chrono::Utc::now().timestamp() }
}

async fn run_table(app: &TestApp, signer: Signer, configured_public_key: Option<&[u8]>) {
    let world = world(app).await;
    let forge = forge_for(app, signer).await;
    let cases = table(&forge, &world, configured_public_key);
    delete_and_demote(app, &world).await;

    let good = format!("Bearer {}", forge.signed(&world.editor, |_| {}));
    assert_good(app, &good).await;
    // Within the leeway of 30 seconds a token still passes.
    let late = forge.signed(&world.editor, |c| {
        c.insert("exp".into(), json!(forge.now - 10));
    });
    assert_good(app, &format!("Bearer {late}")).await;
    let early = forge.signed(&world.editor, |c| {
        c.insert("nbf".into(), json!(forge.now + 10));
    });
    assert_good(app, &format!("Bearer {early}")).await;

    assert_all_refused(app, &cases, &world.article_id).await;
    assert_all_refused_over_websocket(app, &cases).await;

    // The same write with the good token goes through, and the snapshot sees it.
    let before = snapshot(app).await;
    let written = write_with(app, &good, &world.article_id).await;
    assert_eq!(written.assert_ok()["createSection"]["slug"], "forged");
    assert_eq!(written.data()["addComment"]["status"], "APPROVED", "an editor's comment");
    assert_ne!(snapshot(app).await, before);
}

async fn our_tokens(app: TestApp) {
    run_table(&app, Signer::Ours, None).await;
}
on_both!(our_tokens);

fn key_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/keys").join(name)
}

async fn with_outside_key(app: &TestApp, key: &str) -> TestApp {
    app.reconfigured(|config| {
        config.jwt_public_key = Some(key_path(key));
        config.jwt_public_key_issuer = Some(OUTSIDE_ISSUER.into());
    })
    .await
}

/// Outside tokens signed with an RSA key: the same table.
async fn outside_rs256_tokens(app: TestApp) {
    let outside = with_outside_key(&app, "rsa-public.pem").await;
    run_table(&outside, Signer::Rsa, Some(RSA_PUBLIC)).await;
}
on_both!(outside_rs256_tokens);

/// Outside tokens signed with a P-256 key: the same table.
async fn outside_es256_tokens(app: TestApp) {
    let outside = with_outside_key(&app, "ec-public.pem").await;
    run_table(&outside, Signer::Ec, Some(EC_PUBLIC)).await;
}
on_both!(outside_es256_tokens);

/// An outside token names its account by email; its role is the account's unless it
/// claims a lower one, and our own tokens keep working beside it.
async fn outside_roles_are_capped_by_the_database(app: TestApp) {
    let outside = with_outside_key(&app, "rsa-public.pem").await;
    let world = world(&outside).await;
    let forge = forge_for(&outside, Signer::Rsa).await;
    let as_editor = format!("Bearer {}", forge.sign(&forge.claims(&world.editor, None)));
    let me = send(&outside, &as_editor, "{ me { email role } }", json!({})).await;
    assert_eq!(me.assert_ok()["me"], json!({ "email": world.editor.email, "role": "EDITOR" }));

    // Claiming less than the account holds acts with less: a contributor may not create
    // sections.
    let as_contributor = format!("Bearer {}", forge.sign(&forge.claims(&world.editor, Some("contributor"))));
    let create = r#"mutation { createSection(input: { slug: "desk", name: "Desk" }) { slug } }"#;
    let refused = send(&outside, &as_contributor, create, json!({})).await;
    assert_eq!(refused.codes(), ["FORBIDDEN"], "{}", refused.body);
    assert_eq!(send(&outside, &as_editor, create, json!({})).await.assert_ok()["createSection"]["slug"], "desk");

    // Email addresses match as accounts store them.
    let shouting = forge.signed(&world.editor, |c| {
        c.insert("sub".into(), json!(world.editor.email.to_uppercase()));
    });
    let me = send(&outside, &format!("Bearer {shouting}"), "{ me { email } }", json!({})).await;
    assert_eq!(me.assert_ok()["me"]["email"], world.editor.email.as_str());

    let (_, ours) = outside.staff(Role::Editor).await;
    assert!(outside.query_as(&ours, "{ me { email } }", json!({})).await["me"]["email"].is_string());

    // Without the setting, the same outside token is refused.
    let answer = send(&app, &as_editor, "{ me { email } }", json!({})).await;
    assert_eq!((answer.status, answer.codes()), (StatusCode::UNAUTHORIZED, vec!["UNAUTHENTICATED".to_owned()]));
}
on_both!(outside_roles_are_capped_by_the_database);

/// Over a real connection a 64 KiB header reaches the server and gets the same answer.
async fn an_oversized_header_over_a_real_connection(app: TestApp) {
    let at = app.serve().await;
    let answer = reqwest::Client::new()
        .post(format!("http://{at}/graphql"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", "A".repeat(64 * 1024)))
        .body(json!({ "query": "{ me { email } }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
}
on_both!(an_oversized_header_over_a_real_connection);

/// Bad settings stop the server at start with a message that names the setting.
#[tokio::test]
async fn bad_public_key_settings_are_refused_at_start() {
    use newsroom::auth::OutsideKey;
    use newsroom::auth::token::KeyError;
    let outside = |pem: &[u8], alg| OutsideKey::from_pem(pem, alg, OUTSIDE_ISSUER, "newsroom").map(|k| k.algorithm());
    assert_eq!(outside(RSA_PUBLIC, None), Ok(Algorithm::RS256));
    assert_eq!(outside(RSA_PUBLIC, Some(Algorithm::PS256)), Ok(Algorithm::PS256));
    assert_eq!(outside(EC_PUBLIC, None), Ok(Algorithm::ES256));
    assert_eq!(outside(RSA_PRIVATE, None), Err(KeyError::Private));
    assert_eq!(outside(EC_PRIVATE, None), Err(KeyError::Private));
    assert_eq!(outside(b"not a key", None), Err(KeyError::NotAPublicKey));
    assert!(matches!(outside(EC_PUBLIC, Some(Algorithm::RS256)), Err(KeyError::WrongAlgorithm { .. })));
    assert!(matches!(outside(RSA_PUBLIC, Some(Algorithm::ES256)), Err(KeyError::WrongAlgorithm { .. })));
    assert!(newsroom::config::parse_public_key_algorithm("HS256").is_err());
    assert!(newsroom::config::parse_public_key_algorithm("none").is_err());
    assert_eq!(newsroom::config::parse_public_key_algorithm("ES256"), Ok(Algorithm::ES256));

    let dir = tempfile::tempdir().unwrap();
    let mut config = newsroom::config::Config::with_database(format!("sqlite:{}", dir.path().join("n.db").display()));
    config.jwt_public_key = Some(key_path("rsa-private.pem"));
    let error = newsroom::app::build(&config, true).await.err().expect("a private key is refused");
    assert!(error.to_string().contains("NEWSROOM_JWT_PUBLIC_KEY"), "{error}");
    config.jwt_public_key = Some(dir.path().join("missing.pem"));
    let error = newsroom::app::build(&config, true).await.err().expect("a missing file is refused");
    assert!(error.to_string().contains("cannot be read"), "{error}");
}

/// Each kind of key verifies the tokens its private half signs, with the algorithm it
/// implies, and no other.
#[test]
fn every_kind_of_key_verifies_its_own_tokens() {
    use newsroom::auth::{Identity, OutsideKey, Subject, TokenService};
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": "eda@example.com", "iss": OUTSIDE_ISSUER, "aud": "newsroom", "exp": now + 60 });
    let keys: [(&[u8], EncodingKey, Algorithm); 4] = [
        (RSA_PUBLIC, EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(), Algorithm::RS256),
        (EC_PUBLIC, EncodingKey::from_ec_pem(EC_PRIVATE).unwrap(), Algorithm::ES256),
        (
            include_bytes!("keys/ec384-public.pem"),
            EncodingKey::from_ec_pem(include_bytes!("keys/ec384-private.pem")).unwrap(),
            Algorithm::ES384,
        ),
        (
            include_bytes!("keys/ed25519-public.pem"),
            EncodingKey::from_ed_pem(include_bytes!("keys/ed25519-private.pem")).unwrap(),
            Algorithm::EdDSA,
        ),
    ];
    for (public, private, algorithm) in &keys {
        let outside = OutsideKey::from_pem(public, None, OUTSIDE_ISSUER, "newsroom").unwrap();
        assert_eq!(outside.algorithm(), *algorithm);
        let service = TokenService::new(&[7; 32], "newsroom", "newsroom").with_outside_key(outside);
        let token = jsonwebtoken::encode(&Header::new(*algorithm), &claims, private).unwrap();
        let expected = Identity { subject: Subject::Email("eda@example.com".into()), role: None, access: None };
        assert_eq!(service.verify(&token), Ok(expected), "{algorithm:?}");
        for (_, other, other_algorithm) in keys.iter().filter(|(_, _, a)| a != algorithm) {
            let token = jsonwebtoken::encode(&Header::new(*other_algorithm), &claims, other).unwrap();
            assert!(service.verify(&token).is_err(), "{other_algorithm:?} under a {algorithm:?} key");
        }
    }
}
