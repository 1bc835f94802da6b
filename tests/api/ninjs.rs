//! `GET /ninjs/articles/{id}`: articles as IPTC ninjs 2.1 documents for editors, admins
//! and syndication partners. Every document a test gets is validated against the
//! official ninjs 2.1 JSON Schema, vendored in `ninjs/` from iptc/newsinjson.

use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use entity::article::AccessLevel;
use entity::image;
use entity::user::Role;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

use crate::common::{Answer, TestApp};
use crate::editorial::{create_article, create_author, create_section, id_of, publish, update_article};

/// The official schema. Its one outside reference, GeoJSON for `places`, stands for a
/// schema nothing passes: the documents carry no GeoJSON, and one that did would fail.
static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(include_str!("ninjs/ninjs-schema_2.1.json")).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(NoGeoJson)
        .build(&schema)
        .expect("the official schema compiles")
});

struct NoGeoJson;

impl jsonschema::Retrieve for NoGeoJson {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().starts_with("https://geojson.org/") {
            return Ok(json!({ "not": {} }));
        }
        Err(format!("no network for {uri}").into())
    }
}

/// The schema's complaints about `document`, one line each.
fn schema_errors(document: &Value) -> Vec<String> {
    SCHEMA.iter_errors(document).map(|error| format!("{}: {error}", error.instance_path())).collect()
}

#[track_caller]
fn assert_valid(document: &Value) {
    let errors = schema_errors(document);
    assert!(errors.is_empty(), "not valid ninjs 2.1: {errors:#?}\n{document:#}");
}

async fn ninjs(app: &TestApp, authorization: Option<&str>, id: &str) -> Answer {
    let mut request = Request::get(format!("/ninjs/articles/{id}"));
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    app.request(request.body(Body::empty()).unwrap()).await
}

/// The document `token` gets for article `id`, checked against the schema.
async fn document(app: &TestApp, token: &str, id: &str) -> Value {
    let answer = ninjs(app, Some(&format!("Bearer {token}")), id).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "private, no-store");
    assert_valid(&answer.body);
    answer.body
}

/// A refusal: the status, and a JSON body with the error's words.
#[track_caller]
fn assert_refused(answer: &Answer, status: StatusCode) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json", "{}", answer.body);
    let keys: Vec<&String> = answer.body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["error"], "{}", answer.body);
    answer.body["error"].as_str().unwrap().to_owned()
}

fn partner(app: &TestApp) -> String {
    app.tokens.issue_partner("Wire Service Ltd", Duration::from_secs(600)).0
}

fn number(global_id: &str) -> String {
    newsroom::graphql::ids::decode(global_id).expect("a global id").1.to_string()
}

fn time(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}")).to_utc()
}

const CREATE_IMAGE: &str = "mutation($input: CreateImageInput!) { createImage(input: $input) { id } }";
const PAGE: &str = "query($s: String!) { article(slug: $s) { url updatedAt bodyMarkdown accessible } }";

async fn image(app: &TestApp, editor: &str, url: &str, license: &str) -> String {
    let input = json!({ "url": url, "altText": "Flooded fields", "caption": "Fields under water.",
        "width": 1600, "height": 900, "copyrightHolder": "Example Press Ltd",
        "credit": { "photographer": "Rafael Ortiz", "agency": "Example Press", "license": license } });
    id_of(&app.query_as(editor, CREATE_IMAGE, json!({ "input": input })).await["createImage"])
}

const BODY: &str = "Water rose overnight in the delta.\n\n## What comes next\n\nThe last paragraph, for subscribers.";

/// A paywalled article with two writers and a photographer, a dateline, tags, and a lead
/// image with its credit and licence; the body shows a second picture.
async fn floods(app: &TestApp, editor: &str) -> (Value, String, String) {
    let world = create_section(app, editor, "world", None).await;
    let africa = create_section(app, editor, "africa", Some(&world)).await;
    let ines = create_author(app, editor, "Ines Cole").await;
    let omar = create_author(app, editor, "Omar Haddad").await;
    let rafael = create_author(app, editor, "Rafael Ortiz").await;
    let lead = image(app, editor, "https://images.example.com/delta.jpg", "https://example.com/licence").await;
    let inline = image(app, editor, "https://images.example.com/river.png", "CC BY 4.0").await;
    let body = format!("{BODY}\n\n![The river](image:{inline})");
    let input = json!({ "headline": "Floods Reach the Delta", "standfirst": "Water rose overnight.",
        "bodyMarkdown": body, "sectionId": africa, "dateline": "CAIRO", "leadImageId": lead,
        "tags": ["Floods", "Egypt"], "access": "SUBSCRIBER", "teaserBlocks": 1,
        "bylines": [{ "authorId": ines, "role": "WRITER" }, { "authorId": omar, "role": "WRITER" },
                    { "authorId": rafael, "role": "PHOTOGRAPHER" }] });
    let article = create_article(app, editor, input).await;
    publish(app, editor, &id_of(&article)).await;
    (article, lead, inline)
}

async fn a_published_article_is_a_whole_ninjs_document(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (article, lead, _) = floods(&app, &editor).await;
    let id = id_of(&article);
    let page = app.query_as(&editor, PAGE, json!({ "s": "floods-reach-the-delta" })).await;
    let partner = partner(&app);
    let doc = document(&app, &partner, &id).await;

    assert_eq!(doc, document(&app, &partner, &number(&id)).await, "by global id or by number alike");
    let uri = doc["uri"].as_str().unwrap();
    assert!(uri.starts_with("tag:localhost,") && uri.ends_with(&format!(":article:{}", number(&id))), "{uri}");
    assert_eq!(
        doc["standard"],
        json!({ "name": "ninjs", "version": "2.1", "schema": "https://www.iptc.org/std/ninjs/ninjs-schema_2.1.json" })
    );
    assert_eq!(doc["type"], "text");
    assert_eq!(doc["pubstatus"], "usable");
    assert!(doc.get("embargoed").is_none(), "{doc}");
    let updated = time(&page["article"]["updatedAt"]);
    assert_eq!(doc["version"], updated.timestamp_micros().to_string());
    assert_eq!(time(&doc["versioncreated"]), updated);
    assert!(time(&doc["firstcreated"]) <= updated);
    assert_eq!(doc["language"], "en");
    assert_eq!(
        doc["headlines"],
        json!([{ "role": "main", "contenttype": "text/plain", "value": "Floods Reach the Delta" },
               { "role": "subhead", "contenttype": "text/plain", "value": "Water rose overnight." }])
    );
    let bodies = doc["bodies"].as_array().unwrap();
    assert_eq!(bodies.len(), 1, "{doc}");
    assert_eq!((&bodies[0]["role"], &bodies[0]["contenttype"]), (&json!("main"), &json!("text/html")));
    let html = bodies[0]["value"].as_str().unwrap();
    assert!(html.starts_with("<p>Water rose overnight in the delta.</p>"), "{html}");
    assert!(html.contains("<h2>What comes next</h2>"), "{html}");
    assert!(html.contains("The last paragraph, for subscribers."), "the whole paywalled body: {html}");
    assert!(html.contains(r#"src="https://images.example.com/river.png""#), "the body's picture: {html}");
    assert_eq!(bodies[0]["wordcount"], 14);
    assert_eq!(doc["by"], "Ines Cole and Omar Haddad", "the writers, not the photographer");
    assert_eq!(doc["located"], "CAIRO");
    assert_eq!(doc["slugline"], "floods-reach-the-delta");
    assert_eq!(
        doc["subjects"],
        json!([
            { "name": "Section africa", "rel": "section", "uri": "http://localhost:3000/world/africa" },
            { "name": "Egypt", "rel": "about", "uri": "http://localhost:3000/tags/egypt" },
            { "name": "Floods", "rel": "about", "uri": "http://localhost:3000/tags/floods" },
        ])
    );
    assert_eq!(
        doc["altids"],
        json!([{ "role": "url", "value": page["article"]["url"] }, { "role": "id", "value": id }])
    );
    let associations = doc["associations"].as_array().unwrap();
    assert_eq!(associations.len(), 1, "the lead image: {doc}");
    let picture = &associations[0];
    assert!(picture["uri"].as_str().unwrap().ends_with(&format!(":image:{}", number(&lead))), "{picture}");
    let mut expected = json!({
        "name": "leadimage",
        "type": "picture",
        "by": "Rafael Ortiz/Example Press",
        "copyrightholder": "Example Press Ltd",
        "usageterms": "https://example.com/licence",
        "rightsinfo": { "linkedrights": "https://example.com/licence" },
        "descriptions": [
            { "role": "caption", "contenttype": "text/plain", "value": "Fields under water." },
            { "role": "alttext", "contenttype": "text/plain", "value": "Flooded fields" },
        ],
        "renditions": [{ "name": "original", "href": "https://images.example.com/delta.jpg",
                         "width": 1600, "height": 900, "contenttype": "image/jpeg" }],
    });
    expected["uri"] = picture["uri"].clone();
    expected["versioncreated"] = picture["versioncreated"].clone();
    assert_eq!(picture, &expected);

    // Editors and admins get the same document.
    let (_, admin) = app.staff(Role::Admin).await;
    assert_eq!(document(&app, &editor, &id).await, doc);
    assert_eq!(document(&app, &admin, &id).await, doc);

    // The validator is no pushover: the same document with a wrong value, or a
    // property ninjs 2.1 does not have, fails.
    let mut wrong = doc.clone();
    wrong["pubstatus"] = json!("published");
    assert!(!schema_errors(&wrong).is_empty());
    let mut extra = doc.clone();
    extra["$schema"] = json!("https://www.iptc.org/std/ninjs/ninjs-schema_2.1.json");
    assert!(!schema_errors(&extra).is_empty(), "ninjs 2.1 declares its version in `standard` only");
    let mut bad_uri = doc.clone();
    bad_uri["associations"][0]["renditions"][0]["href"] = json!("not a uri");
    assert!(!schema_errors(&bad_uri).is_empty());
}
on_both!(a_published_article_is_a_whole_ninjs_document);

/// Partners get an article put under embargo after it went out, with the embargo's
/// time, while readers (and partners on GraphQL) still do not see it.
async fn partners_get_embargoed_articles_ahead(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (article, _, _) = floods(&app, &editor).await;
    let id = id_of(&article);
    let until = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    update_article(&app, &editor, &id, json!({ "embargoUntil": until })).await.assert_ok();
    let partner = partner(&app);

    let doc = document(&app, &partner, &id).await;
    assert_eq!(time(&doc["embargoed"]), time(&json!(until)));
    assert_eq!(doc["pubstatus"], "usable", "usable once the embargo lifts");
    assert!(doc["bodies"][0]["value"].as_str().unwrap().contains("for subscribers"));
    let editors = document(&app, &editor, &id).await;
    assert_eq!(editors["embargoed"], doc["embargoed"]);

    let hidden = json!({ "article": null });
    assert_eq!(app.query(PAGE, json!({ "s": "floods-reach-the-delta" })).await, hidden, "readers do not see it");
    let on_graphql = app.query_as(&partner, PAGE, json!({ "s": "floods-reach-the-delta" })).await;
    assert_eq!(on_graphql, hidden, "on GraphQL a partner reads as a reader");
}
on_both!(partners_get_embargoed_articles_ahead);

const UNPUBLISH: &str = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
const ARCHIVE: &str = "mutation($id: ID!) { archiveArticle(id: $id) { status } }";
const SCHEDULE: &str = "mutation($id: ID!, $at: DateTime!) { scheduleArticle(id: $id, publishAt: $at) { status } }";

/// Editors get articles that are not out, their state in `pubstatus`; partners are told
/// they do not exist.
async fn drafts_are_for_editors_only(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let partner = partner(&app);
    let section = create_section(&app, &editor, "world", None).await;
    let new = |headline: &str| json!({ "headline": headline, "bodyMarkdown": "Not out yet.", "sectionId": section });

    let draft = id_of(&create_article(&app, &editor, new("A Draft")).await);
    let scheduled = id_of(&create_article(&app, &editor, new("A Scheduled Piece")).await);
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    app.query_as(&editor, SCHEDULE, json!({ "id": scheduled, "at": at })).await;
    let archived = id_of(&create_article(&app, &editor, new("An Archived Piece")).await);
    publish(&app, &editor, &archived).await;
    app.query_as(&editor, ARCHIVE, json!({ "id": archived })).await;
    let withdrawn = id_of(&create_article(&app, &editor, new("A Withdrawn Piece")).await);
    publish(&app, &editor, &withdrawn).await;
    app.query_as(&editor, UNPUBLISH, json!({ "id": withdrawn })).await;

    for (id, status) in
        [(&draft, "withheld"), (&scheduled, "withheld"), (&archived, "canceled"), (&withdrawn, "canceled")]
    {
        let doc = document(&app, &editor, id).await;
        assert_eq!(doc["pubstatus"], status, "{doc}");
        assert_eq!(doc["bodies"][0]["value"], "<p>Not out yet.</p>\n");
        let refused = ninjs(&app, Some(&format!("Bearer {partner}")), id).await;
        let words = assert_refused(&refused, StatusCode::NOT_FOUND);
        assert_eq!(words, "article not found");
    }
}
on_both!(drafts_are_for_editors_only);

/// An image whose licence has run out is in no document, as lead image or in the body,
/// whoever asks.
async fn images_whose_licence_ran_out_are_left_out(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (article, lead, inline) = floods(&app, &editor).await;
    let id = id_of(&article);
    for image_id in [&lead, &inline] {
        let row = image::Entity::find_by_id(number(image_id).parse::<i64>().unwrap()).one(&app.db).await.unwrap();
        let mut row = row.unwrap().into_active_model();
        row.license_expires_at = Set(Some(Utc::now() - chrono::Duration::minutes(1)));
        row.update(&app.db).await.unwrap();
    }
    for token in [partner(&app), editor.clone()] {
        let doc = document(&app, &token, &id).await;
        assert!(doc.get("associations").is_none(), "{doc}");
        let text = doc.to_string();
        assert!(!text.contains("delta.jpg") && !text.contains("river.png"), "{doc}");
        assert!(doc["bodies"][0]["value"].as_str().unwrap().contains("for subscribers"));
    }
}
on_both!(images_whose_licence_ran_out_are_left_out);

/// 401 without a valid token, 403 for tokens that get no documents, 404 for what is not
/// there or not theirs: always JSON, never a panic, whatever the path holds.
async fn refusals_say_who_and_what(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, contributor) = app.staff(Role::Contributor).await;
    let (article, _, _) = floods(&app, &editor).await;
    let id = id_of(&article);
    let section = create_section(&app, &editor, "desk", None).await;
    let own = json!({ "headline": "My Draft", "bodyMarkdown": "x", "sectionId": section });
    let own_draft = id_of(&create_article(&app, &contributor, own).await);
    let (reader, _) = app.tokens.issue_reader("reader-1", AccessLevel::Subscriber, Duration::from_secs(600));

    for authorization in [None, Some("Bearer not-a-token"), Some("Basic d2lyZTpwYXNz"), Some("Bearer")] {
        let answer = ninjs(&app, authorization, &id).await;
        assert_refused(&answer, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    assert_refused(&ninjs(&app, None, "abc").await, StatusCode::UNAUTHORIZED);

    for token in [&contributor, &reader] {
        for target in [&id, &own_draft, &"abc".to_owned()] {
            let words =
                assert_refused(&ninjs(&app, Some(&format!("Bearer {token}")), target).await, StatusCode::FORBIDDEN);
            assert!(words.contains("editors, admins and syndication partners"), "{words}");
        }
    }

    let partner = format!("Bearer {}", partner(&app));
    let other_kind = newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Section, 1);
    for missing in [
        "999999",
        "abc",
        "0",
        "-1",
        "042",
        "99999999999999999999999999",
        &i64::MAX.to_string(),
        &other_kind,
        "%FF%FE",
        "%00",
        &"9".repeat(5000),
    ] {
        for token in [&partner, &format!("Bearer {editor}")] {
            let words = assert_refused(&ninjs(&app, Some(token), missing).await, StatusCode::NOT_FOUND);
            assert_eq!(words, "article not found", "{missing}");
        }
    }
}
on_both!(refusals_say_who_and_what);

/// However many bylines, tags and pictures an article has, its document takes the same
/// statements.
async fn statements_do_not_grow_with_the_article(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let mut authors = Vec::new();
    for n in 0..6 {
        authors.push(create_author(&app, &editor, &format!("Writer {n}")).await);
    }
    let mut pictures = Vec::new();
    for n in 0..4 {
        pictures.push(image(&app, &editor, &format!("https://images.example.com/{n}.jpg"), "CC BY 4.0").await);
    }
    let small = json!({ "headline": "Small", "bodyMarkdown": "One paragraph.", "sectionId": section,
        "authorIds": [authors[0]], "tags": ["One"], "leadImageId": pictures[0] });
    let body: String = pictures[1..].iter().map(|p| format!("![A picture](image:{p})\n\n")).collect();
    let large = json!({ "headline": "Large", "bodyMarkdown": format!("{body}The end."), "sectionId": section,
        "authorIds": authors, "tags": ["A", "B", "C", "D", "E", "F", "G", "H"], "leadImageId": pictures[0] });
    let mut counts = Vec::new();
    let partner = partner(&app);
    for input in [small, large] {
        let id = id_of(&create_article(&app, &editor, input).await);
        publish(&app, &editor, &id).await;
        let before = app.statements.get();
        let doc = document(&app, &partner, &id).await;
        counts.push(app.statements.get() - before);
        assert!(doc["associations"].is_array(), "{doc}");
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    assert!(counts[0] <= 5, "{counts:?}");
}
on_both!(statements_do_not_grow_with_the_article);

/// A partner's token, minted by the CLI: on GraphQL it reads paywalled bodies whole and
/// writes nothing.
async fn partners_read_like_subscribers_and_write_nothing(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    floods(&app, &editor).await;
    let mint = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_newsroom"))
            .env_remove("DATABASE_URL")
            .env("NEWSROOM_LOG", "warn")
            .args(["--database-url", &app.config.database_url, "token", "--role", "partner"])
            .args(args)
            .output()
            .expect("the newsroom binary runs")
    };
    let minted = mint(&["--sub", "Wire Service Ltd", "--ttl", "10m"]);
    assert!(minted.status.success(), "{minted:?}");
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let refused = mint(&["--sub", "Wire Service Ltd", "--access", "subscriber"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--access"));
    let nameless = mint(&["--sub", "  "]);
    assert!(!nameless.status.success() && String::from_utf8_lossy(&nameless.stderr).contains("name the partner"));

    let page = app.query_as(&token, PAGE, json!({ "s": "floods-reach-the-delta" })).await;
    assert_eq!(page["article"]["accessible"], true);
    assert!(page["article"]["bodyMarkdown"].as_str().unwrap().contains("for subscribers"), "{page}");
    let anonymous = app.query(PAGE, json!({ "s": "floods-reach-the-delta" })).await;
    assert!(!anonymous["article"]["bodyMarkdown"].as_str().unwrap().contains("for subscribers"), "{anonymous}");

    let write = r#"mutation { createSection(input: { slug: "wire", name: "Wire" }) { slug } }"#;
    let answer = app.post(Some(&token), write, json!({})).await;
    assert_eq!(answer.codes(), ["FORBIDDEN"], "{}", answer.body);
    assert!(answer.body["errors"][0]["message"].as_str().unwrap().starts_with("partners may not"), "{}", answer.body);
    let drafts = app.post(Some(&token), "{ articles(filter: { status: DRAFT }) { totalCount } }", json!({})).await;
    assert!(drafts.body.get("errors").is_some(), "no drafts for partners: {}", drafts.body);

    // And the same token reads ninjs documents.
    let id = app.query("{ articles { nodes { id } } }", json!({})).await["articles"]["nodes"][0]["id"].clone();
    document(&app, &token, id.as_str().unwrap()).await;
}
on_both!(partners_read_like_subscribers_and_write_nothing);
