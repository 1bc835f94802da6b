//! The write side an editor uses: sections, authors and images with who may change them,
//! articles with slugs, tags, bylines, SEO fields and revisions, images whose rights run
//! out, and bad input refused with the field named and nothing written.

use crate::common::fixtures::now;
use crate::common::{Answer, TestApp};
use entity::user::Role;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Documents and helpers
// ---------------------------------------------------------------------------------------

const SECTION_FIELDS: &str = "id slug name description path parent { slug }";

fn create_section_doc() -> String {
    format!("mutation($input: CreateSectionInput!) {{ createSection(input: $input) {{ {SECTION_FIELDS} }} }}")
}

fn update_section_doc() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateSectionInput!) {{ updateSection(id: $id, input: $input) {{ {SECTION_FIELDS} }} }}"
    )
}

const DELETE_SECTION: &str = "mutation($id: ID!) { deleteSection(id: $id) }";

const CREATE_AUTHOR: &str = "mutation($input: CreateAuthorInput!) { createAuthor(input: $input) { id slug name bio } }";

const IMAGE_FIELDS: &str = "id url altText caption width height copyrightHolder licenseExpiresAt licenseExpired \
                            credit { photographer agency distributor license creditLine }";

fn create_image_doc() -> String {
    format!("mutation($input: CreateImageInput!) {{ createImage(input: $input) {{ {IMAGE_FIELDS} }} }}")
}

fn update_image_doc() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateImageInput!) {{ updateImage(id: $id, input: $input) {{ {IMAGE_FIELDS} }} }}"
    )
}

const ARTICLE_FIELDS: &str = "fragment ArticleFields on Article {
  id slug headline standfirst bodyMarkdown status commentsOpen updatedAt publishedAt
  section { slug } leadImage { id } authors { id slug } tags { slug name }
  seo { title description canonicalUrl }
}";

fn create_article_doc() -> String {
    format!(
        "mutation($input: CreateArticleInput!) {{ createArticle(input: $input) {{ ...ArticleFields }} }} {ARTICLE_FIELDS}"
    )
}

fn update_article_doc() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateArticleInput!) {{ updateArticle(id: $id, input: $input) {{ ...ArticleFields }} }} {ARTICLE_FIELDS}"
    )
}

const PUBLISH: &str = "mutation($id: ID!) { publishArticle(id: $id) { id status } }";

const RESTORE: &str = "mutation($id: ID!, $number: Int!) {
  restoreArticleRevision(id: $id, number: $number) { headline standfirst bodyMarkdown }
}";

const REVISIONS: &str = "query($slug: String!) {
  article(slug: $slug) { headline revisions { number headline standfirst bodyMarkdown createdAt editor { id } } }
}";

const BY_SLUG: &str = "query($slug: String!) { article(slug: $slug) { slug headline } }";

const DRAFT_COUNT: &str = "{ articles(filter: { status: DRAFT }) { totalCount } }";

const IMAGE_COUNT: &str = "{ images(first: 100) { totalCount } }";

pub(crate) fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

/// `base` with the keys of `changes` replaced.
fn merged(base: &Value, changes: Value) -> Value {
    let mut out = base.clone();
    for (key, value) in changes.as_object().expect("changes are an object") {
        out[key] = value.clone();
    }
    out
}

#[track_caller]
fn assert_code(answer: &Answer, code: &str) {
    assert_eq!(answer.codes(), [code], "{}", answer.body);
}

#[track_caller]
fn assert_bad_input(answer: &Answer, field: &str) {
    assert_eq!(answer.codes(), ["BAD_USER_INPUT"], "expected a refusal naming {field}: {}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["field"], field, "{}", answer.body);
}

pub(crate) async fn create_section(app: &TestApp, token: &str, slug: &str, parent: Option<&str>) -> String {
    let input = json!({ "slug": slug, "name": format!("Section {slug}"), "parentId": parent });
    let data = app.query_as(token, &create_section_doc(), json!({ "input": input })).await;
    id_of(&data["createSection"])
}

pub(crate) async fn create_author(app: &TestApp, token: &str, name: &str) -> String {
    let data = app.query_as(token, CREATE_AUTHOR, json!({ "input": { "name": name } })).await;
    id_of(&data["createAuthor"])
}

async fn create_image(app: &TestApp, token: &str, input: Value) -> Value {
    app.query_as(token, &create_image_doc(), json!({ "input": input })).await["createImage"].clone()
}

async fn update_image(app: &TestApp, token: &str, id: &str, input: Value) -> Value {
    app.query_as(token, &update_image_doc(), json!({ "id": id, "input": input })).await["updateImage"].clone()
}

pub(crate) async fn create_article(app: &TestApp, token: &str, input: Value) -> Value {
    app.query_as(token, &create_article_doc(), json!({ "input": input })).await["createArticle"].clone()
}

pub(crate) async fn update_article(app: &TestApp, token: &str, id: &str, input: Value) -> Answer {
    app.post(Some(token), &update_article_doc(), json!({ "id": id, "input": input })).await
}

pub(crate) async fn publish(app: &TestApp, token: &str, id: &str) {
    let data = app.query_as(token, PUBLISH, json!({ "id": id })).await;
    assert_eq!(data["publishArticle"]["status"], "PUBLISHED");
}

async fn revisions(app: &TestApp, token: &str, slug: &str) -> Vec<Value> {
    let data = app.query_as(token, REVISIONS, json!({ "slug": slug })).await;
    data["article"]["revisions"].as_array().unwrap_or_else(|| panic!("no revisions: {data}")).clone()
}

async fn draft_count(app: &TestApp, editor: &str) -> i64 {
    app.query_as(editor, DRAFT_COUNT, json!({})).await["articles"]["totalCount"].as_i64().unwrap()
}

async fn image_count(app: &TestApp, editor: &str) -> i64 {
    app.query_as(editor, IMAGE_COUNT, json!({})).await["images"]["totalCount"].as_i64().unwrap()
}

async fn rows<E: EntityTrait<Model: Sync>>(app: &TestApp, _: E) -> u64 {
    E::find().count(&app.db).await.expect("count rows")
}

fn user_id(user: &entity::user::Model) -> String {
    encode(Kind::User, user.id).to_string()
}

fn in_days(days: i64) -> String {
    (now() + chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------

async fn sections_are_created_updated_and_deleted(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, admin) = app.staff(Role::Admin).await;

    let world = app
        .query_as(&editor, &create_section_doc(), json!({ "input": { "slug": "world", "name": "World" } }))
        .await["createSection"]
        .clone();
    assert_eq!(world["path"], "world");
    assert_eq!(world["parent"], Value::Null);
    let world_id = id_of(&world);
    let input = json!({ "slug": "europe", "name": "Europe", "description": "The continent", "parentId": world_id });
    let europe = app.query_as(&editor, &create_section_doc(), json!({ "input": input })).await["createSection"].clone();
    assert_eq!(
        (&europe["slug"], &europe["name"], &europe["description"], &europe["path"], &europe["parent"]),
        (
            &json!("europe"),
            &json!("Europe"),
            &json!("The continent"),
            &json!("world/europe"),
            &json!({ "slug": "world" })
        )
    );
    let europe_id = id_of(&europe);
    let readers_see = async || app.query("{ sections { slug name path } }", json!({})).await["sections"].clone();
    assert_eq!(readers_see().await[1], json!({ "slug": "europe", "name": "Europe", "path": "world/europe" }));

    let changes = json!({ "name": "Europe and the EU", "description": null, "slug": "europe-eu" });
    let updated =
        app.query_as(&editor, &update_section_doc(), json!({ "id": europe_id, "input": changes })).await["updateSection"]
            .clone();
    assert_eq!(updated["name"], "Europe and the EU");
    assert_eq!(updated["description"], Value::Null, "null clears the description");
    assert_eq!(updated["path"], "world/europe-eu");
    assert_eq!(updated["id"], europe_id.as_str(), "the id stays");
    // Queries keep the section tree between them; the next one sees the change.
    assert_eq!(
        readers_see().await[1],
        json!({ "slug": "europe-eu", "name": "Europe and the EU", "path": "world/europe-eu" })
    );

    let duplicate = app
        .post(Some(&editor), &create_section_doc(), json!({ "input": { "slug": "world", "name": "Second world" } }))
        .await;
    assert_code(&duplicate, "CONFLICT");
    let taken = json!({ "id": europe_id, "input": { "slug": "world", "name": "Not saved" } });
    assert_code(&app.post(Some(&editor), &update_section_doc(), taken).await, "CONFLICT");
    let unchanged = app.query(r#"{ section(slug: "europe-eu") { name } }"#, json!({})).await;
    assert_eq!(unchanged["section"]["name"], "Europe and the EU");

    // Deleting is refused while a subsection remains ...
    let refused = app.post(Some(&admin), DELETE_SECTION, json!({ "id": world_id })).await;
    assert_code(&refused, "CONFLICT");
    assert_eq!(app.query(r#"{ section(slug: "world") { slug } }"#, json!({})).await["section"]["slug"], "world");

    // ... and while an article remains, even a draft.
    let article = create_article(
        &app,
        &editor,
        json!({ "headline": "Summit in Brussels", "bodyMarkdown": "Text.", "sectionId": europe_id }),
    )
    .await;
    let refused = app.post(Some(&admin), DELETE_SECTION, json!({ "id": europe_id })).await;
    assert_code(&refused, "CONFLICT");
    assert_eq!(
        app.query(r#"{ section(slug: "europe-eu") { slug } }"#, json!({})).await["section"]["slug"],
        "europe-eu"
    );

    // Moving the article out and the subsection to the root empties both.
    let sport = create_section(&app, &editor, "sport", None).await;
    update_article(&app, &editor, &id_of(&article), json!({ "sectionId": sport })).await.assert_ok();
    let rooted =
        app.query_as(&editor, &update_section_doc(), json!({ "id": europe_id, "input": { "parentId": null } })).await;
    assert_eq!(rooted["updateSection"]["path"], "europe-eu", "null parentId makes the section a root");
    assert_eq!(rooted["updateSection"]["parent"], Value::Null);

    for id in [&world_id, &europe_id] {
        let deleted = app.post(Some(&admin), DELETE_SECTION, json!({ "id": id })).await;
        assert_eq!(deleted.assert_ok()["deleteSection"], true);
    }
    let sections = app.query("{ sections { slug } }", json!({})).await;
    assert_eq!(sections["sections"], json!([{ "slug": "sport" }]));
    let again = app.post(Some(&admin), DELETE_SECTION, json!({ "id": world_id })).await;
    assert_code(&again, "NOT_FOUND");
}
on_both!(sections_are_created_updated_and_deleted);

async fn a_section_never_becomes_its_own_ancestor(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let world = create_section(&app, &editor, "world", None).await;
    let europe = create_section(&app, &editor, "europe", Some(&world)).await;
    let france = create_section(&app, &editor, "france", Some(&europe)).await;

    for (id, parent) in [(&world, &world), (&world, &france), (&world, &europe), (&europe, &france)] {
        let answer = app
            .post(
                Some(&editor),
                &update_section_doc(),
                json!({ "id": id, "input": { "parentId": parent, "name": "Moved" } }),
            )
            .await;
        assert_bad_input(&answer, "parentId");
    }
    let paths = app.query("{ sections { path name } }", json!({})).await;
    assert_eq!(
        paths["sections"],
        json!([
            { "path": "world", "name": "Section world" },
            { "path": "world/europe", "name": "Section europe" },
            { "path": "world/europe/france", "name": "Section france" }
        ]),
        "the tree and the names are as they were"
    );

    let moved =
        app.query_as(&editor, &update_section_doc(), json!({ "id": france, "input": { "parentId": world } })).await;
    assert_eq!(moved["updateSection"]["path"], "world/france", "moving sideways is fine");
}
on_both!(a_section_never_becomes_its_own_ancestor);

// ---------------------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------------------

/// The four kinds of caller, lowest first, with their tokens (`None` is anonymous).
async fn callers(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let mut callers = vec![("anonymous", None)];
    for (name, role) in [("contributor", Role::Contributor), ("editor", Role::Editor), ("admin", Role::Admin)] {
        callers.push((name, Some(app.staff(role).await.1)));
    }
    callers
}

/// What each caller gets, in the order of `callers`: `None` is success.
const EDITORS_AND_UP: [Option<&str>; 4] = [Some("UNAUTHENTICATED"), Some("FORBIDDEN"), None, None];
const ADMINS_ONLY: [Option<&str>; 4] = [Some("UNAUTHENTICATED"), Some("FORBIDDEN"), Some("FORBIDDEN"), None];
const CONTRIBUTORS_AND_UP: [Option<&str>; 4] = [Some("UNAUTHENTICATED"), None, None, None];

#[track_caller]
fn assert_outcome(what: &str, caller: &str, answer: &Answer, expected: Option<&str>) {
    match expected {
        None => assert!(answer.body.get("errors").is_none(), "{what} as {caller}: {}", answer.body),
        Some(code) => assert_eq!(answer.codes(), [code], "{what} as {caller}: {}", answer.body),
    }
}

async fn sections_authors_and_images_by_role(app: TestApp) {
    let callers = callers(&app).await;
    let editor = callers[2].1.clone().unwrap();
    let target_section = create_section(&app, &editor, "target", None).await;
    let doomed_section = create_section(&app, &editor, "doomed", None).await;
    let target_image = id_of(
        &create_image(&app, &editor, json!({ "url": "https://images.example.com/t.jpg", "altText": "original" })).await,
    );

    for (index, (caller, token)) in callers.iter().enumerate() {
        let token = token.as_deref();
        let slug = format!("by-{caller}");

        let input = json!({ "slug": slug, "name": format!("Made by {caller}") });
        let answer = app.post(token, &create_section_doc(), json!({ "input": input })).await;
        assert_outcome("createSection", caller, &answer, EDITORS_AND_UP[index]);

        let input = json!({ "name": format!("Renamed by {caller}") });
        let answer = app.post(token, &update_section_doc(), json!({ "id": target_section, "input": input })).await;
        assert_outcome("updateSection", caller, &answer, EDITORS_AND_UP[index]);

        let answer = app.post(token, DELETE_SECTION, json!({ "id": doomed_section })).await;
        assert_outcome("deleteSection", caller, &answer, ADMINS_ONLY[index]);

        let input = json!({ "name": format!("Writer {caller}"), "slug": slug });
        let answer = app.post(token, CREATE_AUTHOR, json!({ "input": input })).await;
        assert_outcome("createAuthor", caller, &answer, EDITORS_AND_UP[index]);

        let input = json!({ "url": format!("https://images.example.com/{caller}.jpg"), "altText": caller });
        let answer = app.post(token, &create_image_doc(), json!({ "input": input })).await;
        assert_outcome("createImage", caller, &answer, CONTRIBUTORS_AND_UP[index]);

        let input = json!({ "altText": format!("changed by {caller}") });
        let answer = app.post(token, &update_image_doc(), json!({ "id": target_image, "input": input })).await;
        assert_outcome("updateImage", caller, &answer, EDITORS_AND_UP[index]);
    }

    // Only what the allowed callers did is there.
    let data = app
        .query(
            r#"{ sections { slug name }
                 a: author(slug: "by-anonymous") { slug } c: author(slug: "by-contributor") { slug }
                 e: author(slug: "by-editor") { name } ad: author(slug: "by-admin") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["sections"],
        json!([
            { "slug": "target", "name": "Renamed by admin" },
            { "slug": "by-editor", "name": "Made by editor" },
            { "slug": "by-admin", "name": "Made by admin" }
        ]),
        "the doomed section is gone, refused ones never came"
    );
    assert_eq!((&data["a"], &data["c"]), (&Value::Null, &Value::Null));
    assert_eq!((&data["e"]["name"], &data["ad"]["name"]), (&json!("Writer editor"), &json!("Writer admin")));
    assert_eq!(image_count(&app, &editor).await, 4, "the target and those of contributor, editor and admin");
    let node = "query($id: ID!) { node(id: $id) { ... on Image { altText } } }";
    let image = app.query_as(&editor, node, json!({ "id": target_image })).await;
    assert_eq!(image["node"]["altText"], "changed by admin");
}
on_both!(sections_authors_and_images_by_role);

// ---------------------------------------------------------------------------------------
// Authors and images
// ---------------------------------------------------------------------------------------

async fn authors_get_a_slug_from_their_name(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let input = json!({ "name": "Inès Moreau", "bio": "Covers culture." });
    let author = app.query_as(&editor, CREATE_AUTHOR, json!({ "input": input })).await["createAuthor"].clone();
    assert_eq!(
        (&author["slug"], &author["name"], &author["bio"]),
        (&json!("ines-moreau"), &json!("Inès Moreau"), &json!("Covers culture."))
    );

    let input = json!({ "name": "Ines Moreau", "slug": "ines-moreau" });
    assert_code(&app.post(Some(&editor), CREATE_AUTHOR, json!({ "input": input })).await, "CONFLICT");

    let input = json!({ "name": "Ines Moreau", "slug": "ines-moreau-sport" });
    let second = app.query_as(&editor, CREATE_AUTHOR, json!({ "input": input })).await;
    assert_eq!(second["createAuthor"]["slug"], "ines-moreau-sport");

    let found = app.query(r#"{ author(slug: "ines-moreau") { id name bio } }"#, json!({})).await;
    assert_eq!(found["author"], json!({ "id": author["id"], "name": "Inès Moreau", "bio": "Covers culture." }));
}
on_both!(authors_get_a_slug_from_their_name);

async fn images_are_created_and_updated(app: TestApp) {
    let (_, contributor) = app.staff(Role::Contributor).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let input = json!({
        "url": "https://images.example.com/kabul.jpg",
        "altText": "Crowds in Kabul",
        "caption": "Kabul in August",
        "width": 1600,
        "height": 900,
        "credit": { "photographer": "Wakil Kohsar", "agency": "AFP", "distributor": "Getty Images" },
        "copyrightHolder": "AFP"
    });
    let image = create_image(&app, &contributor, input).await;
    assert_eq!(image["credit"]["creditLine"], "Wakil Kohsar/AFP via Getty Images");
    assert_eq!(
        (&image["width"], &image["height"], &image["caption"]),
        (&json!(1600), &json!(900), &json!("Kabul in August"))
    );
    assert_eq!((&image["licenseExpiresAt"], &image["licenseExpired"]), (&Value::Null, &json!(false)));
    let id = id_of(&image);

    // A new credit replaces the whole credit; fields not sent stay.
    let changed = update_image(
        &app,
        &editor,
        &id,
        json!({ "credit": { "photographer": "Ana Ruiz", "license": "CC BY 4.0" }, "caption": "Kabul" }),
    )
    .await;
    assert_eq!(
        changed["credit"],
        json!({ "photographer": "Ana Ruiz", "agency": null, "distributor": null, "license": "CC BY 4.0", "creditLine": "Ana Ruiz (CC BY 4.0)" })
    );
    assert_eq!(
        (&changed["caption"], &changed["altText"], &changed["url"]),
        (&json!("Kabul"), &json!("Crowds in Kabul"), &json!("https://images.example.com/kabul.jpg"))
    );

    let past = (now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expired = update_image(&app, &editor, &id, json!({ "licenseExpiresAt": past })).await;
    assert_eq!((&expired["licenseExpiresAt"], &expired["licenseExpired"]), (&json!(past), &json!(true)));
    assert_eq!(expired["credit"]["photographer"], "Ana Ruiz", "the credit stays when not sent");

    let future = in_days(30);
    let renewed = update_image(&app, &editor, &id, json!({ "licenseExpiresAt": future })).await;
    assert_eq!((&renewed["licenseExpiresAt"], &renewed["licenseExpired"]), (&json!(future), &json!(false)));

    let cleared =
        update_image(&app, &editor, &id, json!({ "licenseExpiresAt": null, "credit": null, "width": null })).await;
    assert_eq!(cleared["licenseExpiresAt"], Value::Null, "null clears the expiry");
    assert_eq!(cleared["licenseExpired"], false);
    assert_eq!(cleared["credit"], Value::Null, "null removes the credit");
    assert_eq!((&cleared["width"], &cleared["height"]), (&Value::Null, &json!(900)));

    let node = "query($id: ID!) { node(id: $id) { ... on Image { credit { creditLine } licenseExpiresAt caption } } }";
    let stored = app.query_as(&editor, node, json!({ "id": id })).await;
    assert_eq!(stored["node"], json!({ "credit": null, "licenseExpiresAt": null, "caption": "Kabul" }), "as stored");

    let missing = encode(Kind::Image, 999_999).to_string();
    let answer =
        app.post(Some(&editor), &update_image_doc(), json!({ "id": missing, "input": { "altText": "x" } })).await;
    assert_code(&answer, "NOT_FOUND");
}
on_both!(images_are_created_and_updated);

const READER_VIEW: &str = r#"query($slug: String!) {
  article(slug: $slug) {
    leadImage { id url licenseExpired }
    bodyHtml
    blocks { __typename ... on ImageBlock { url image { id licenseExpired } } }
  }
}"#;

const IMAGE_NODE: &str = "query($id: ID!) { node(id: $id) { ... on Image { id licenseExpired } } }";

async fn images_whose_licence_ran_out_are_hidden_from_readers(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news", None).await;
    let past = (now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expired = create_image(
        &app,
        &editor,
        json!({ "url": "https://images.example.com/expired.jpg", "altText": "Old", "licenseExpiresAt": past }),
    )
    .await;
    assert_eq!(expired["licenseExpired"], true);
    let licensed = create_image(
        &app,
        &editor,
        json!({ "url": "https://images.example.com/licensed.jpg", "altText": "New", "licenseExpiresAt": in_days(7) }),
    )
    .await;
    assert_eq!(licensed["licenseExpired"], false);
    let (expired_id, licensed_id) = (id_of(&expired), id_of(&licensed));

    let body = format!("Before.\n\n![x](image:{expired_id})\n\n![y](image:{licensed_id})\n\nAfter.\n");
    let story = create_article(
        &app,
        &editor,
        json!({ "headline": "Rights run out", "bodyMarkdown": body, "sectionId": section, "leadImageId": expired_id }),
    )
    .await;
    publish(&app, &editor, &id_of(&story)).await;
    // A second story leads with the licensed image, so readers may reach it by id.
    let other = create_article(
        &app,
        &editor,
        json!({ "headline": "Still licensed", "bodyMarkdown": "Text.", "sectionId": section, "leadImageId": licensed_id }),
    )
    .await;
    publish(&app, &editor, &id_of(&other)).await;

    let reader = app.query(READER_VIEW, json!({ "slug": "rights-run-out" })).await;
    let page = &reader["article"];
    assert_eq!(page["leadImage"], Value::Null, "an expired lead image is null for readers");
    assert_eq!(
        page["blocks"],
        json!([
            { "__typename": "ParagraphBlock" },
            { "__typename": "ImageBlock", "url": "https://images.example.com/licensed.jpg", "image": { "id": licensed_id, "licenseExpired": false } },
            { "__typename": "ParagraphBlock" }
        ]),
        "the expired image block drops out"
    );
    let html = page["bodyHtml"].as_str().unwrap();
    assert!(!html.contains("expired.jpg"), "{html}");
    assert!(html.contains("https://images.example.com/licensed.jpg"), "{html}");
    assert_eq!(app.query(IMAGE_NODE, json!({ "id": expired_id })).await["node"], Value::Null);
    assert_eq!(
        app.query(IMAGE_NODE, json!({ "id": licensed_id })).await["node"],
        json!({ "id": licensed_id, "licenseExpired": false })
    );

    let staff = app.query_as(&editor, READER_VIEW, json!({ "slug": "rights-run-out" })).await;
    assert_eq!(
        staff["article"]["leadImage"],
        json!({ "id": expired_id, "url": "https://images.example.com/expired.jpg", "licenseExpired": true })
    );
    let types: Vec<&str> =
        staff["article"]["blocks"].as_array().unwrap().iter().map(|b| b["__typename"].as_str().unwrap()).collect();
    assert_eq!(types, ["ParagraphBlock", "ImageBlock", "ImageBlock", "ParagraphBlock"]);
    assert_eq!(staff["article"]["blocks"][1]["image"], json!({ "id": expired_id, "licenseExpired": true }));
    assert!(staff["article"]["bodyHtml"].as_str().unwrap().contains("expired.jpg"));
    assert_eq!(
        app.query_as(&editor, IMAGE_NODE, json!({ "id": expired_id })).await["node"],
        json!({ "id": expired_id, "licenseExpired": true })
    );

    // Renewing the licence brings the image back; letting the other one run out hides it.
    update_image(&app, &editor, &expired_id, json!({ "licenseExpiresAt": null })).await;
    update_image(&app, &editor, &licensed_id, json!({ "licenseExpiresAt": past })).await;
    let reader = app.query(READER_VIEW, json!({ "slug": "rights-run-out" })).await;
    assert_eq!(reader["article"]["leadImage"]["id"], expired_id.as_str());
    let urls: Vec<&str> =
        reader["article"]["blocks"].as_array().unwrap().iter().filter_map(|b| b["url"].as_str()).collect();
    assert_eq!(urls, ["https://images.example.com/expired.jpg"]);
    assert_eq!(app.query(IMAGE_NODE, json!({ "id": licensed_id })).await["node"], Value::Null);
}
on_both!(images_whose_licence_ran_out_are_hidden_from_readers);

// ---------------------------------------------------------------------------------------
// Articles
// ---------------------------------------------------------------------------------------

async fn articles_are_created_with_tags_authors_image_and_seo(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "climate", None).await;
    let mira = create_author(&app, &editor, "Mira Hale").await;
    let tomas = create_author(&app, &editor, "Tomas Berg").await;
    let image = id_of(
        &create_image(&app, &editor, json!({ "url": "https://images.example.com/f.jpg", "altText": "Flood" })).await,
    );

    let input = json!({
        "headline": "Floods Reach the Capital",
        "standfirst": "Rivers burst their banks.",
        "bodyMarkdown": "## Rising water\n\nThe river rose overnight.\n",
        "sectionId": section,
        "leadImageId": image,
        "authorIds": [tomas, mira],
        "tags": ["Climate Change", "Floods"],
        "commentsOpen": false
    });
    let article = create_article(&app, &editor, input).await;
    assert_eq!(article["slug"], "floods-reach-the-capital");
    assert_eq!(article["status"], "DRAFT");
    assert_eq!(article["publishedAt"], Value::Null);
    assert_eq!(article["standfirst"], "Rivers burst their banks.");
    assert_eq!(article["section"]["slug"], "climate");
    assert_eq!(article["leadImage"]["id"], image.as_str());
    assert_eq!(
        article["authors"],
        json!([{ "id": tomas, "slug": "tomas-berg" }, { "id": mira, "slug": "mira-hale" }]),
        "in the order given"
    );
    assert_eq!(
        article["tags"],
        json!([{ "slug": "climate-change", "name": "Climate Change" }, { "slug": "floods", "name": "Floods" }])
    );
    assert_eq!(article["commentsOpen"], false);
    assert_eq!(
        article["seo"],
        json!({ "title": "Floods Reach the Capital", "description": "Rivers burst their banks.", "canonicalUrl": null }),
        "the SEO title defaults to the headline"
    );

    // The same tag is found again whatever its case and spacing.
    let input = json!({
        "headline": "Drought Follows",
        "bodyMarkdown": "Dry.",
        "sectionId": section,
        "tags": ["  climate   CHANGE ", "climate change", "Heat"],
        "seo": { "title": "Drought: what to know", "canonicalUrl": "https://example.org/drought" }
    });
    let second = create_article(&app, &editor, input).await;
    assert_eq!(
        second["tags"],
        json!([{ "slug": "climate-change", "name": "Climate Change" }, { "slug": "heat", "name": "Heat" }])
    );
    assert_eq!(second["commentsOpen"], true, "comments are open unless closed");
    assert_eq!(second["authors"], json!([]));
    assert_eq!(
        second["seo"],
        json!({ "title": "Drought: what to know", "description": null, "canonicalUrl": "https://example.org/drought" })
    );
    // Cleared, the SEO title falls back to the headline again, and follows it.
    let input = json!({ "seo": { "title": null }, "headline": "Drought Deepens" });
    let cleared = update_article(&app, &editor, &id_of(&second), input).await;
    assert_eq!(cleared.assert_ok()["updateArticle"]["seo"]["title"], "Drought Deepens");
    assert_eq!(cleared.assert_ok()["updateArticle"]["seo"]["canonicalUrl"], "https://example.org/drought");

    let tag = app.query(r#"{ tag(slug: "climate-change") { id name } }"#, json!({})).await;
    assert_eq!(tag["tag"]["name"], "Climate Change");
    assert_eq!(rows(&app, entity::tag::Entity).await, 3, "climate-change, floods and heat");

    // Reading back shows the same.
    let read = app
        .query_as(
            &editor,
            "query($s: String!) { article(slug: $s) { authors { slug } tags { slug } leadImage { id } commentsOpen } }",
            json!({ "s": "floods-reach-the-capital" }),
        )
        .await;
    assert_eq!(
        read["article"],
        json!({
            "authors": [{ "slug": "tomas-berg" }, { "slug": "mira-hale" }],
            "tags": [{ "slug": "climate-change" }, { "slug": "floods" }],
            "leadImage": { "id": image },
            "commentsOpen": false
        })
    );
}
on_both!(articles_are_created_with_tags_authors_image_and_seo);

async fn derived_slugs_are_numbered_and_given_slugs_must_be_free(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "money", None).await;
    let input = json!({ "headline": "Budget Day: What Changes", "bodyMarkdown": "Text.", "sectionId": section });
    let mut slugs = Vec::new();
    for _ in 0..3 {
        slugs.push(create_article(&app, &editor, input.clone()).await["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs, ["budget-day-what-changes", "budget-day-what-changes-2", "budget-day-what-changes-3"]);

    let taken = merged(&input, json!({ "slug": "budget-day-what-changes-2" }));
    let answer = app.post(Some(&editor), &create_article_doc(), json!({ "input": taken })).await;
    assert_code(&answer, "CONFLICT");
    let message = answer.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("budget-day-what-changes-2"), "the message names the slug: {message}");
    assert_eq!(draft_count(&app, &editor).await, 3, "nothing written");

    let free = merged(&input, json!({ "slug": "budget-explainer" }));
    assert_eq!(create_article(&app, &editor, free).await["slug"], "budget-explainer");
}
on_both!(derived_slugs_are_numbered_and_given_slugs_must_be_free);

async fn every_change_of_text_is_a_revision(app: TestApp) {
    let (first_editor, first) = app.staff(Role::Editor).await;
    let (second_editor, second) = app.staff(Role::Editor).await;
    let news = create_section(&app, &first, "news", None).await;
    let weather = create_section(&app, &first, "weather", None).await;
    let input = json!({
        "headline": "Storm Nears",
        "slug": "storm",
        "standfirst": "Winds of 100 km/h.",
        "bodyMarkdown": "First version.",
        "sectionId": news
    });
    let article = create_article(&app, &first, input).await;
    let id = id_of(&article);
    let history = revisions(&app, &first, "storm").await;
    assert_eq!(history.len(), 1);
    assert_eq!(
        (&history[0]["number"], &history[0]["headline"], &history[0]["standfirst"], &history[0]["bodyMarkdown"]),
        (&json!(1), &json!("Storm Nears"), &json!("Winds of 100 km/h."), &json!("First version."))
    );
    assert_eq!(history[0]["editor"]["id"], user_id(&first_editor).as_str());

    let mut update_times = vec![];
    for change in [
        json!({ "headline": "Storm Hits the Coast" }),
        json!({ "tags": ["Weather"], "sectionId": weather, "commentsOpen": false }),
        json!({ "standfirst": "Winds of 140 km/h." }),
        json!({ "headline": "Storm Hits the Coast" }),
        json!({ "bodyMarkdown": "Second version." }),
    ] {
        let answer = update_article(&app, &second, &id, change).await;
        update_times.push(answer.assert_ok()["updateArticle"]["updatedAt"].clone());
    }
    let history = revisions(&app, &first, "storm").await;
    let numbers: Vec<i64> = history.iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [4, 3, 2, 1], "tags, section and an unchanged headline add no revision; newest first");
    let headlines: Vec<&str> = history.iter().map(|r| r["headline"].as_str().unwrap()).collect();
    assert_eq!(headlines, ["Storm Hits the Coast", "Storm Hits the Coast", "Storm Hits the Coast", "Storm Nears"]);
    let standfirsts: Vec<&str> = history.iter().map(|r| r["standfirst"].as_str().unwrap()).collect();
    assert_eq!(standfirsts, ["Winds of 140 km/h.", "Winds of 140 km/h.", "Winds of 100 km/h.", "Winds of 100 km/h."]);
    let bodies: Vec<&str> = history.iter().map(|r| r["bodyMarkdown"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Second version.", "First version.", "First version.", "First version."]);
    let editors: Vec<&str> = history.iter().map(|r| r["editor"]["id"].as_str().unwrap()).collect();
    let (a, b) = (user_id(&first_editor), user_id(&second_editor));
    assert_eq!(editors, [b.as_str(), b.as_str(), b.as_str(), a.as_str()]);
    assert_eq!(history[0]["createdAt"], update_times[4], "when: the time of the change");
    assert_eq!(history[1]["createdAt"], update_times[2]);
    assert_eq!(history[2]["createdAt"], update_times[0]);

    // Restoring makes the first text current again, as a new revision.
    let restored = app.query_as(&first, RESTORE, json!({ "id": id, "number": 1 })).await;
    assert_eq!(
        restored["restoreArticleRevision"],
        json!({ "headline": "Storm Nears", "standfirst": "Winds of 100 km/h.", "bodyMarkdown": "First version." })
    );
    let history = revisions(&app, &first, "storm").await;
    assert_eq!(history.len(), 5);
    assert_eq!(
        (&history[0]["number"], &history[0]["headline"], &history[0]["bodyMarkdown"], &history[0]["editor"]["id"]),
        (&json!(5), &json!("Storm Nears"), &json!("First version."), &json!(a))
    );

    let answer = app.post(Some(&first), RESTORE, json!({ "id": id, "number": 99 })).await;
    assert_bad_input(&answer, "number");
    let history = revisions(&app, &first, "storm").await;
    assert_eq!(history.len(), 5, "a refused restore adds nothing");

    // Revisions are for editors: the public cannot ask, contributors are refused.
    let (_, contributor) = app.staff(Role::Contributor).await;
    publish(&app, &first, &id).await;
    let answer = app.post(Some(&contributor), REVISIONS, json!({ "slug": "storm" })).await;
    assert_code(&answer, "FORBIDDEN");
    let answer = app.post(None, REVISIONS, json!({ "slug": "storm" })).await;
    assert_code(&answer, "UNAUTHENTICATED");
}
on_both!(every_change_of_text_is_a_revision);

async fn a_published_article_keeps_its_old_slugs(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "science", None).await;
    let input = json!({ "headline": "Comet Returns", "bodyMarkdown": "It is back.", "sectionId": section });
    let comet = create_article(&app, &editor, input.clone()).await;
    assert_eq!(comet["slug"], "comet-returns");
    let id = id_of(&comet);
    publish(&app, &editor, &id).await;

    let renamed = update_article(&app, &editor, &id, json!({ "slug": "comet-is-back" })).await;
    assert_eq!(renamed.assert_ok()["updateArticle"]["slug"], "comet-is-back");
    for slug in ["comet-returns", "comet-is-back"] {
        let found = app.query(BY_SLUG, json!({ "slug": slug })).await;
        assert_eq!(found["article"], json!({ "slug": "comet-is-back", "headline": "Comet Returns" }), "{slug}");
    }

    // The old slug stays this article's: given, it is refused; derived, it is skipped.
    let answer = app
        .post(
            Some(&editor),
            &create_article_doc(),
            json!({ "input": merged(&input, json!({ "slug": "comet-returns" })) }),
        )
        .await;
    assert_code(&answer, "CONFLICT");
    assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("comet-returns"), "{}", answer.body);
    let other = create_article(&app, &editor, input.clone()).await;
    assert_eq!(other["slug"], "comet-returns-2");
    let answer = update_article(&app, &editor, &id_of(&other), json!({ "slug": "comet-returns" })).await;
    assert_code(&answer, "CONFLICT");
    let answer = update_article(&app, &editor, &id_of(&other), json!({ "slug": "comet-is-back" })).await;
    assert_code(&answer, "CONFLICT");

    // Changing back takes the old slug again, and the newer one keeps finding it.
    let back = update_article(&app, &editor, &id, json!({ "slug": "comet-returns" })).await;
    assert_eq!(back.assert_ok()["updateArticle"]["slug"], "comet-returns");
    for slug in ["comet-returns", "comet-is-back"] {
        let found = app.query(BY_SLUG, json!({ "slug": slug })).await;
        assert_eq!(found["article"]["slug"], "comet-returns", "{slug}");
    }
    let again = update_article(&app, &editor, &id, json!({ "slug": "comet-is-back" })).await;
    assert_eq!(again.assert_ok()["updateArticle"]["slug"], "comet-is-back", "and forth again");
    assert_eq!(app.query(BY_SLUG, json!({ "slug": "comet-returns" })).await["article"]["slug"], "comet-is-back");
}
on_both!(a_published_article_keeps_its_old_slugs);

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

async fn bad_article_input_names_the_field_and_writes_nothing(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news", None).await;
    let image =
        id_of(&create_image(&app, &editor, json!({ "url": "https://images.example.com/a.jpg", "altText": "A" })).await);
    let valid = json!({ "headline": "A fine headline", "bodyMarkdown": "Text.", "sectionId": section });
    let long_tag = "t".repeat(121);
    let cases = [
        (json!({ "headline": "" }), "headline"),
        (json!({ "headline": "   " }), "headline"),
        (json!({ "headline": "h".repeat(301) }), "headline"),
        (json!({ "standfirst": "s".repeat(1001) }), "standfirst"),
        (json!({ "bodyMarkdown": "b".repeat(200 * 1024 + 1) }), "bodyMarkdown"),
        (json!({ "slug": "Upper-Case" }), "slug"),
        (json!({ "slug": "with space" }), "slug"),
        (json!({ "slug": "double--hyphen" }), "slug"),
        (json!({ "sectionId": image }), "sectionId"),
        (json!({ "sectionId": "garbage" }), "sectionId"),
        (json!({ "sectionId": encode(Kind::Section, 999_999).to_string() }), "sectionId"),
        (json!({ "leadImageId": section }), "leadImageId"),
        (json!({ "leadImageId": encode(Kind::Image, 999_999).to_string() }), "leadImageId"),
        (json!({ "authorIds": ["garbage"] }), "authorIds"),
        (json!({ "authorIds": [section] }), "authorIds"),
        (json!({ "tags": [""] }), "tags"),
        (json!({ "tags": ["Fine", long_tag] }), "tags"),
        (json!({ "seo": { "canonicalUrl": "javascript:alert(1)" } }), "seo.canonicalUrl"),
        (json!({ "seo": { "title": "t".repeat(301) } }), "seo.title"),
    ];
    for (change, field) in cases {
        let answer = app.post(Some(&editor), &create_article_doc(), json!({ "input": merged(&valid, change) })).await;
        assert_bad_input(&answer, field);
    }
    assert_eq!(draft_count(&app, &editor).await, 0);
    assert_eq!(rows(&app, entity::article_revision::Entity).await, 0);
    assert_eq!(rows(&app, entity::tag::Entity).await, 0, "not even the fine tag of a refused article");

    // The limits themselves are allowed.
    let at_limits = merged(
        &valid,
        json!({
            "headline": "h".repeat(300),
            "standfirst": "s".repeat(1000),
            "bodyMarkdown": "b".repeat(200 * 1024),
            "tags": ["t".repeat(120)]
        }),
    );
    let created = create_article(&app, &editor, at_limits).await;
    assert_eq!(created["headline"].as_str().unwrap().len(), 300);
    assert_eq!(created["bodyMarkdown"].as_str().unwrap().len(), 200 * 1024);
    let id = id_of(&created);
    let slug = created["slug"].as_str().unwrap().to_owned();

    // A refused update leaves the article and its history as they were.
    let cases = [
        (json!({ "headline": "" }), "headline"),
        (json!({ "headline": "Changed", "standfirst": "s".repeat(1001) }), "standfirst"),
        (json!({ "headline": "Changed", "bodyMarkdown": "b".repeat(200 * 1024 + 1) }), "bodyMarkdown"),
        (json!({ "headline": "Changed", "slug": "Not A Slug" }), "slug"),
        (json!({ "headline": "Changed", "sectionId": image }), "sectionId"),
        (json!({ "headline": "Changed", "tags": ["New tag", ""] }), "tags"),
        (json!({ "headline": "Changed", "authorIds": [encode(Kind::Author, 999_999).to_string()] }), "authorIds"),
    ];
    for (change, field) in cases {
        assert_bad_input(&update_article(&app, &editor, &id, change).await, field);
    }
    let history = revisions(&app, &editor, &slug).await;
    assert_eq!(history.len(), 1);
    assert_eq!(app.query_as(&editor, BY_SLUG, json!({ "slug": slug })).await["article"]["headline"], "h".repeat(300));
    assert_eq!(rows(&app, entity::tag::Entity).await, 1, "no new tag");
}
on_both!(bad_article_input_names_the_field_and_writes_nothing);

async fn bad_section_author_and_image_input_names_the_field(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, admin) = app.staff(Role::Admin).await;
    let world = create_section(&app, &editor, "world", None).await;
    let image =
        id_of(&create_image(&app, &editor, json!({ "url": "https://images.example.com/a.jpg", "altText": "A" })).await);

    let section = json!({ "slug": "europe", "name": "Europe" });
    let cases = [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "n".repeat(121) }), "name"),
        (json!({ "slug": "" }), "slug"),
        (json!({ "slug": "Europe" }), "slug"),
        (json!({ "slug": "west europe" }), "slug"),
        (json!({ "parentId": "garbage" }), "parentId"),
        (json!({ "parentId": image }), "parentId"),
        (json!({ "parentId": encode(Kind::Section, 999_999).to_string() }), "parentId"),
        (json!({ "description": "d".repeat(2001) }), "description"),
    ];
    for (change, field) in cases {
        let answer = app.post(Some(&editor), &create_section_doc(), json!({ "input": merged(&section, change) })).await;
        assert_bad_input(&answer, field);
    }
    for (change, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "slug": "World" }), "slug"),
        (json!({ "name": "Renamed", "parentId": image }), "parentId"),
        (json!({ "name": "Renamed", "parentId": encode(Kind::Section, 999_999).to_string() }), "parentId"),
    ] {
        let answer = app.post(Some(&editor), &update_section_doc(), json!({ "id": world, "input": change })).await;
        assert_bad_input(&answer, field);
    }
    for id in ["garbage", image.as_str()] {
        assert_bad_input(&app.post(Some(&admin), DELETE_SECTION, json!({ "id": id })).await, "id");
    }
    let sections = app.query("{ sections { slug name } }", json!({})).await;
    assert_eq!(sections["sections"], json!([{ "slug": "world", "name": "Section world" }]));

    let author = json!({ "name": "Mira Hale" });
    for (change, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "n".repeat(121) }), "name"),
        (json!({ "slug": "Mira Hale" }), "slug"),
        (json!({ "slug": "MIRA" }), "slug"),
    ] {
        let answer = app.post(Some(&editor), CREATE_AUTHOR, json!({ "input": merged(&author, change) })).await;
        assert_bad_input(&answer, field);
    }
    assert_eq!(rows(&app, entity::author::Entity).await, 0);
    let at_limit = app.query_as(&editor, CREATE_AUTHOR, json!({ "input": { "name": "n".repeat(120) } })).await;
    assert_eq!(at_limit["createAuthor"]["name"], "n".repeat(120));

    let picture = json!({ "url": "https://images.example.com/b.jpg", "altText": "B" });
    for (change, field) in [
        (json!({ "url": "/relative.jpg" }), "url"),
        (json!({ "url": "images/b.jpg" }), "url"),
        (json!({ "url": "javascript:alert(1)" }), "url"),
        (json!({ "url": "ftp://example.com/b.jpg" }), "url"),
        (json!({ "width": 0 }), "width"),
        (json!({ "width": -5 }), "width"),
        (json!({ "height": 0 }), "height"),
        (json!({ "altText": "" }), "altText"),
        (json!({ "credit": { "photographer": "p".repeat(201) } }), "credit.photographer"),
    ] {
        let answer = app.post(Some(&editor), &create_image_doc(), json!({ "input": merged(&picture, change) })).await;
        assert_bad_input(&answer, field);
    }
    for (change, field) in [
        (json!({ "url": "ftp://example.com/b.jpg" }), "url"),
        (json!({ "altText": "Changed", "width": 0 }), "width"),
        (json!({ "altText": "Changed", "height": -1 }), "height"),
    ] {
        let answer = app.post(Some(&editor), &update_image_doc(), json!({ "id": image, "input": change })).await;
        assert_bad_input(&answer, field);
    }
    assert_bad_input(
        &app.post(Some(&editor), &update_image_doc(), json!({ "id": world, "input": { "altText": "x" } })).await,
        "id",
    );
    assert_eq!(image_count(&app, &editor).await, 1);
    let node = "query($id: ID!) { node(id: $id) { ... on Image { url altText width } } }";
    assert_eq!(
        app.query_as(&editor, node, json!({ "id": image })).await["node"],
        json!({ "url": "https://images.example.com/a.jpg", "altText": "A", "width": null })
    );
}
on_both!(bad_section_author_and_image_input_names_the_field);

async fn a_failed_create_leaves_no_partial_rows(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news", None).await;
    let mira = create_author(&app, &editor, "Mira Hale").await;
    let valid = json!({
        "headline": "Harbour Reopens",
        "standfirst": "Ships return.",
        "bodyMarkdown": "The harbour reopened today.",
        "sectionId": section,
        "authorIds": [mira],
        "tags": ["Fresh Tag", "Shipping"]
    });
    let unknown_author = encode(Kind::Author, 999_999).to_string();
    let cases = [
        (json!({ "authorIds": [mira, unknown_author] }), "authorIds"),
        (json!({ "tags": ["Fresh Tag", "Shipping", "x".repeat(121)] }), "tags"),
        (json!({ "tags": ["Fresh Tag", "!!!"] }), "tags"),
    ];
    for (change, field) in cases {
        let answer = app.post(Some(&editor), &create_article_doc(), json!({ "input": merged(&valid, change) })).await;
        assert_bad_input(&answer, field);
        assert_eq!(draft_count(&app, &editor).await, 0, "no article after a refusal on {field}");
        let left = app
            .query_as(
                &editor,
                r#"{ fresh: tag(slug: "fresh-tag") { id } shipping: tag(slug: "shipping") { id } article(slug: "harbour-reopens") { id } }"#,
                json!({}),
            )
            .await;
        assert_eq!(left, json!({ "fresh": null, "shipping": null, "article": null }), "{field}");
        assert_eq!(rows(&app, entity::article_revision::Entity).await, 0);
        assert_eq!(rows(&app, entity::article_author::Entity).await, 0);
        assert_eq!(rows(&app, entity::article_tag::Entity).await, 0);
    }

    // The same input without the fault goes through, slug and all.
    let created = create_article(&app, &editor, valid).await;
    assert_eq!(created["slug"], "harbour-reopens", "no slug was used up by the refused attempts");
    assert_eq!(draft_count(&app, &editor).await, 1);
    assert_eq!(rows(&app, entity::tag::Entity).await, 2);
}
on_both!(a_failed_create_leaves_no_partial_rows);

// ---------------------------------------------------------------------------------------
// Several mutations in one document
// ---------------------------------------------------------------------------------------

async fn a_section_created_earlier_in_the_document_is_in_the_tree(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let world = create_section(&app, &editor, "world", None).await;
    let answer = app
        .post(
            Some(&editor),
            r#"mutation($world: ID!) {
                 one: createSection(input: { slug: "asia", name: "Asia", parentId: $world }) { path parent { slug } }
                 two: createSection(input: { slug: "africa", name: "Africa", parentId: $world }) { path parent { slug } }
               }"#,
            json!({ "world": world }),
        )
        .await;
    let data = answer.assert_ok();
    assert_eq!(data["one"], json!({ "path": "world/asia", "parent": { "slug": "world" } }));
    // Mutation fields run one after the other; the second answer must see what the first wrote.
    assert_eq!(data["two"], json!({ "path": "world/africa", "parent": { "slug": "world" } }), "{}", answer.body);
}
on_both!(a_section_created_earlier_in_the_document_is_in_the_tree);

async fn a_revision_added_earlier_in_the_document_is_listed(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "news", None).await;
    let input = json!({ "headline": "Twice Edited", "bodyMarkdown": "One.", "sectionId": section });
    let article = create_article(&app, &editor, input).await;
    let answer = app
        .post(
            Some(&editor),
            r#"mutation($id: ID!) {
                 first: updateArticle(id: $id, input: { bodyMarkdown: "Two." }) { bodyMarkdown revisions { number } }
                 second: updateArticle(id: $id, input: { bodyMarkdown: "Three." }) { bodyMarkdown revisions { number } }
               }"#,
            json!({ "id": id_of(&article) }),
        )
        .await;
    let data = answer.assert_ok();
    assert_eq!(data["first"], json!({ "bodyMarkdown": "Two.", "revisions": [{ "number": 2 }, { "number": 1 }] }));
    // The second answer lists the revision the second update added.
    assert_eq!(
        data["second"],
        json!({ "bodyMarkdown": "Three.", "revisions": [{ "number": 3 }, { "number": 2 }, { "number": 1 }] }),
        "{}",
        answer.body
    );
    assert_eq!(revisions(&app, &editor, "twice-edited").await.len(), 3, "the rows themselves are all there");
}
on_both!(a_revision_added_earlier_in_the_document_is_listed);

// ---------------------------------------------------------------------------------------
// Editors working at the same time
// ---------------------------------------------------------------------------------------

/// Creates an article per headline, all at once, by two editors taking turns.
async fn create_at_once(app: &TestApp, headlines: &[&str]) -> Vec<Answer> {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, other) = app.staff(Role::Editor).await;
    let section = create_section(app, &editor, "news", None).await;
    let document = create_article_doc();
    let attempts = headlines.iter().enumerate().map(|(n, headline)| {
        let input = json!({ "headline": headline, "bodyMarkdown": "Counting starts.", "sectionId": section });
        let token = if n % 2 == 0 { &editor } else { &other };
        app.post(Some(token), &document, json!({ "input": input }))
    });
    futures_util::future::join_all(attempts).await
}

fn slugs_of(answers: &[Answer]) -> Vec<String> {
    let mut slugs: Vec<String> =
        answers.iter().map(|answer| answer.assert_ok()["createArticle"]["slug"].as_str().unwrap().to_owned()).collect();
    slugs.sort();
    slugs
}

async fn editors_writing_at_the_same_time_all_succeed(app: TestApp) {
    let answers =
        create_at_once(&app, &["Polls Open", "Turnout High", "Queues Form", "Rain Stops", "Count Begins"]).await;
    // Concurrent writers wait for each other (on SQLite a write transaction takes the lock at once).
    assert_eq!(slugs_of(&answers), ["count-begins", "polls-open", "queues-form", "rain-stops", "turnout-high"]);
}
on_both!(editors_writing_at_the_same_time_all_succeed);

async fn one_headline_at_the_same_time_gets_numbered_slugs(app: TestApp) {
    let answers = create_at_once(&app, &["Polls Close"; 8]).await;
    // Writers that derive the same slug at the same moment get numbered slugs, not an error.
    let numbered = (2..=8).map(|n| format!("polls-close-{n}"));
    let expected: Vec<String> = std::iter::once("polls-close".to_owned()).chain(numbered).collect();
    assert_eq!(slugs_of(&answers), expected);
}
on_both!(one_headline_at_the_same_time_gets_numbered_slugs);
