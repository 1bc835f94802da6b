//! The news desk: what kind of journalism an article is, the kicker above its
//! headline and its dateline (lists filter by kind, cached ones follow a change of kind);
//! authors and tags renamed with their old slugs kept; images deleted only when unused;
//! corrections; related stories.

use crate::common::{Answer, TestApp};
use crate::editorial::{create_article, create_section, id_of, publish, update_article};
use entity::user::Role;
use serde_json::{Value, json};

const LABELS: &str = "query($s: String!) { article(slug: $s) { kind kicker dateline } }";
const OPINION: &str = "{ articles(filter: { kind: OPINION }) { totalCount nodes { slug kind } } }";

fn field_of(answer: &Answer) -> &Value {
    &answer.body["errors"][0]["extensions"]["field"]
}

async fn articles_carry_their_kind_kicker_and_dateline(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let plain =
        create_article(&app, &editor, json!({ "headline": "Quiet Day", "bodyMarkdown": "x", "sectionId": section }))
            .await;
    let labels = app.query_as(&editor, LABELS, json!({ "s": plain["slug"] })).await;
    assert_eq!(labels["article"], json!({ "kind": "NEWS", "kicker": null, "dateline": null }), "news by default");

    let input = json!({
        "headline": "The Case for Night Trains",
        "bodyMarkdown": "Sleep on it.",
        "sectionId": section,
        "kind": "OPINION",
        "kicker": "  Comment ",
        "dateline": "VIENNA"
    });
    let column = create_article(&app, &editor, input).await;
    let labels = app.query_as(&editor, LABELS, json!({ "s": column["slug"] })).await;
    assert_eq!(labels["article"], json!({ "kind": "OPINION", "kicker": "Comment", "dateline": "VIENNA" }));

    // Absent keeps, null or blank removes, a value replaces.
    let id = id_of(&column);
    update_article(&app, &editor, &id, json!({ "headline": "The Case for Night Trains, Again" })).await.assert_ok();
    let labels = app.query_as(&editor, LABELS, json!({ "s": column["slug"] })).await;
    assert_eq!(labels["article"], json!({ "kind": "OPINION", "kicker": "Comment", "dateline": "VIENNA" }));
    update_article(&app, &editor, &id, json!({ "kind": "ANALYSIS", "kicker": null, "dateline": " " }))
        .await
        .assert_ok();
    let labels = app.query_as(&editor, LABELS, json!({ "s": column["slug"] })).await;
    assert_eq!(labels["article"], json!({ "kind": "ANALYSIS", "kicker": null, "dateline": null }));
}
on_both!(articles_carry_their_kind_kicker_and_dateline);

async fn bad_labels_are_refused_and_change_nothing(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let input = json!({ "headline": "Filed", "bodyMarkdown": "x", "sectionId": section, "kicker": "Exclusive" });
    let article = create_article(&app, &editor, input).await;
    let id = id_of(&article);

    for (field, input) in [
        ("kicker", json!({ "kicker": "k".repeat(61) })),
        ("dateline", json!({ "dateline": "D".repeat(61), "headline": "Changed" })),
    ] {
        let refused = update_article(&app, &editor, &id, input).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{}", refused.body);
        assert_eq!(field_of(&refused), field);
    }
    let labels = app.query_as(&editor, LABELS, json!({ "s": article["slug"] })).await;
    assert_eq!(
        labels["article"],
        json!({ "kind": "NEWS", "kicker": "Exclusive", "dateline": null }),
        "nothing changed"
    );
    let headline = app
        .query_as(&editor, "query($s: String!) { article(slug: $s) { headline } }", json!({ "s": article["slug"] }))
        .await;
    assert_eq!(headline["article"]["headline"], "Filed");

    // A kind the schema does not have is refused before anything runs.
    let unknown = update_article(&app, &editor, &id, json!({ "kind": "GOSSIP" })).await;
    assert_eq!(unknown.codes(), ["GRAPHQL_VALIDATION_FAILED"], "{}", unknown.body);
    assert!(unknown.body["errors"][0]["message"].as_str().unwrap().contains("input.kind"), "{}", unknown.body);
    let created = app
        .post(
            Some(&editor),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
            json!({ "input": { "headline": "Long", "bodyMarkdown": "x", "sectionId": section, "kicker": "k".repeat(61) } }),
        )
        .await;
    assert_eq!(created.codes(), ["BAD_USER_INPUT"]);
    let count = app.query_as(&editor, "{ articles { totalCount } }", json!({})).await;
    assert_eq!(count["articles"]["totalCount"], 1, "the refused article was not created");
}
on_both!(bad_labels_are_refused_and_change_nothing);

/// Readers filter by kind and see published articles only; a change of kind moves an
/// article between the lists, cached ones included.
async fn lists_filter_by_kind_and_follow_a_change_of_kind(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let mut ids = Vec::new();
    for (headline, kind) in [("Column One", "OPINION"), ("Report", "NEWS"), ("Column Two", "OPINION")] {
        let input = json!({ "headline": headline, "bodyMarkdown": "x", "sectionId": section, "kind": kind });
        let article = create_article(&app, &editor, input).await;
        ids.push(id_of(&article));
    }
    publish(&app, &editor, &ids[0]).await;
    publish(&app, &editor, &ids[1]).await;
    let opinion = app.query(OPINION, json!({})).await;
    assert_eq!(opinion["articles"]["totalCount"], 1, "the unpublished column is not listed: {opinion}");
    assert_eq!(opinion["articles"]["nodes"][0]["slug"], "column-one");
    assert_eq!(app.query(OPINION, json!({})).await, opinion, "and again, from the cache");

    update_article(&app, &editor, &ids[1], json!({ "kind": "OPINION" })).await.assert_ok();
    let moved = app.query(OPINION, json!({})).await;
    let slugs: Vec<&str> =
        moved["articles"]["nodes"].as_array().unwrap().iter().map(|n| n["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["report", "column-one"], "newest first, the report among the columns now");
    let news = app.query("{ articles(filter: { kind: NEWS }) { totalCount } }", json!({})).await;
    assert_eq!(news["articles"]["totalCount"], 0);
}
on_both!(lists_filter_by_kind_and_follow_a_change_of_kind);

const AUTHOR_PAGE: &str = "query($s: String!) { author(slug: $s) { id slug name bio } }";
const TAG_PAGE: &str = "query($s: String!) { tag(slug: $s) { id slug name } }";
const UPDATE_AUTHOR: &str =
    "mutation($id: ID!, $input: UpdateAuthorInput!) { updateAuthor(id: $id, input: $input) { slug name bio } }";
const UPDATE_TAG: &str =
    "mutation($id: ID!, $input: UpdateTagInput!) { updateTag(id: $id, input: $input) { slug name } }";

/// Renamed authors and tags keep their old pages: the old slug finds them, and for a tag
/// the old name written on an article finds it too instead of making a new one.
async fn authors_and_tags_are_renamed_and_their_old_slugs_resolve(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let author = app
        .query_as(
            &editor,
            "mutation { createAuthor(input: { name: \"Mira Hale\", bio: \"Reports.\" }) { id } }",
            json!({}),
        )
        .await["createAuthor"]["id"]
        .clone();
    let input = json!({ "headline": "Storm", "bodyMarkdown": "x", "sectionId": section, "tags": ["Weather"] });
    let article = create_article(&app, &editor, input).await;
    publish(&app, &editor, &id_of(&article)).await;
    let by_tag = "query($t: String!) { articles(filter: { tag: $t }) { nodes { slug } } }";
    let climate = app.query(by_tag, json!({ "t": "climate" })).await;
    assert_eq!(climate["articles"]["nodes"], json!([]), "no tag has that slug yet (and the answer is kept)");

    let renamed = app
        .query_as(
            &editor,
            UPDATE_AUTHOR,
            json!({ "id": author, "input": { "slug": "mira-hale-berg", "name": "Mira Hale-Berg", "bio": null } }),
        )
        .await;
    assert_eq!(renamed["updateAuthor"], json!({ "slug": "mira-hale-berg", "name": "Mira Hale-Berg", "bio": null }));
    for slug in ["mira-hale", "mira-hale-berg"] {
        let page = app.query(AUTHOR_PAGE, json!({ "s": slug })).await;
        assert_eq!(page["author"]["id"], author, "{slug} finds the author");
        assert_eq!(page["author"]["slug"], "mira-hale-berg");
    }

    let tag = app.query(TAG_PAGE, json!({ "s": "weather" })).await["tag"]["id"].clone();
    let renamed = app
        .query_as(&editor, UPDATE_TAG, json!({ "id": tag, "input": { "slug": "climate", "name": "Climate" } }))
        .await;
    assert_eq!(renamed["updateTag"], json!({ "slug": "climate", "name": "Climate" }));
    assert_eq!(app.query(TAG_PAGE, json!({ "s": "weather" })).await["tag"]["slug"], "climate", "the old slug resolves");
    for slug in ["climate", "weather"] {
        let listed = app.query(by_tag, json!({ "t": slug })).await;
        assert_eq!(listed["articles"]["nodes"], json!([{ "slug": "storm" }]), "the list by {slug}, cached or not");
    }
    let tagged = update_article(&app, &editor, &id_of(&article), json!({ "tags": ["Weather", "Floods"] })).await;
    assert_eq!(
        tagged.assert_ok()["updateArticle"]["tags"],
        json!([{ "slug": "climate", "name": "Climate" }, { "slug": "floods", "name": "Floods" }]),
        "the old name finds the renamed tag"
    );

    // A slug in use, now or before, by another author or tag is refused; nothing changes.
    let other = app
        .query_as(&editor, "mutation { createAuthor(input: { name: \"Tomas Berg\" }) { id } }", json!({}))
        .await["createAuthor"]["id"]
        .clone();
    for taken in ["mira-hale", "mira-hale-berg"] {
        let refused = app.post(Some(&editor), UPDATE_AUTHOR, json!({ "id": other, "input": { "slug": taken } })).await;
        assert_eq!(refused.codes(), ["CONFLICT"], "{taken}: {}", refused.body);
    }
    assert_eq!(app.query(AUTHOR_PAGE, json!({ "s": "tomas-berg" })).await["author"]["id"], other);
    let taken =
        app.post(Some(&editor), "mutation { createAuthor(input: { name: \"Mira Hale\" }) { id } }", json!({})).await;
    assert_eq!(taken.codes(), ["CONFLICT"], "an old slug is not free for a new author: {}", taken.body);
    // Taking back its own old slug is allowed.
    let back = app.query_as(&editor, UPDATE_AUTHOR, json!({ "id": author, "input": { "slug": "mira-hale" } })).await;
    assert_eq!(back["updateAuthor"]["slug"], "mira-hale");
    assert_eq!(app.query(AUTHOR_PAGE, json!({ "s": "mira-hale-berg" })).await["author"]["id"], author);

    for (input, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "slug": "Not A Slug" }), "slug"),
        (json!({ "bio": "b".repeat(2001) }), "bio"),
    ] {
        let refused = app.post(Some(&editor), UPDATE_AUTHOR, json!({ "id": author, "input": input })).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{}", refused.body);
        assert_eq!(field_of(&refused), field);
    }
    let (_, contributor) = app.staff(Role::Contributor).await;
    let refused = app.post(Some(&contributor), UPDATE_TAG, json!({ "id": tag, "input": { "name": "Mine" } })).await;
    assert_eq!(refused.codes(), ["FORBIDDEN"]);
    let refused = app.post(None, UPDATE_TAG, json!({ "id": tag, "input": { "name": "Mine" } })).await;
    assert_eq!(refused.codes(), ["UNAUTHENTICATED"]);
    assert_eq!(app.query(TAG_PAGE, json!({ "s": "climate" })).await["tag"]["name"], "Climate", "nothing changed");
}
on_both!(authors_and_tags_are_renamed_and_their_old_slugs_resolve);

const DELETE_IMAGE: &str = "mutation($id: ID!) { deleteImage(id: $id) }";

/// An image is deleted only when no article, whatever its status, leads with it or shows it
/// in its body.
async fn images_in_use_are_not_deleted(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let new_image = async |url: &str| {
        let input = json!({ "url": url, "altText": "A picture" });
        let created = app
            .query_as(
                &editor,
                "mutation($input: CreateImageInput!) { createImage(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        created["createImage"]["id"].as_str().unwrap().to_owned()
    };
    let lead = new_image("https://images.example.com/lead.jpg").await;
    let inline = new_image("https://images.example.com/inline.jpg").await;
    let spare = new_image("https://images.example.com/spare.jpg").await;
    let body = format!("Before.\n\n![Inline](image:{inline})\n");
    let input =
        json!({ "headline": "Draft With Pictures", "bodyMarkdown": body, "sectionId": section, "leadImageId": lead });
    let draft = create_article(&app, &editor, input).await;

    for used in [&lead, &inline] {
        let refused = app.post(Some(&editor), DELETE_IMAGE, json!({ "id": used })).await;
        assert_eq!(refused.codes(), ["CONFLICT"], "{}", refused.body);
    }
    let (_, contributor) = app.staff(Role::Contributor).await;
    assert_eq!(app.post(Some(&contributor), DELETE_IMAGE, json!({ "id": spare })).await.codes(), ["FORBIDDEN"]);
    assert_eq!(app.query_as(&editor, DELETE_IMAGE, json!({ "id": spare })).await["deleteImage"], true);
    let node = "query($id: ID!) { node(id: $id) { id } }";
    assert_eq!(app.query_as(&editor, node, json!({ "id": spare })).await["node"], Value::Null, "gone");
    assert_eq!(app.post(Some(&editor), DELETE_IMAGE, json!({ "id": spare })).await.codes(), ["NOT_FOUND"]);

    // Once the article no longer uses them, they may go.
    let input = json!({ "leadImageId": null, "bodyMarkdown": "No pictures now." });
    update_article(&app, &editor, &id_of(&draft), input).await.assert_ok();
    for unused in [&lead, &inline] {
        assert_eq!(app.query_as(&editor, DELETE_IMAGE, json!({ "id": unused })).await["deleteImage"], true);
    }
}
on_both!(images_in_use_are_not_deleted);

const ADD_CORRECTION: &str = "mutation($a: ID!, $k: CorrectionKind!, $t: String!) {
  addCorrection(articleId: $a, kind: $k, text: $t) { id kind text createdAt article { slug } } }";
const CORRECTIONS_PAGE: &str = "query($after: String) { corrections(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { text article { slug } } } }";

/// Corrections: editors add them to published articles, they are public at once, newest
/// first on the article and on the site's corrections page, and they move `updatedAt`.
async fn corrections_are_public_notes_on_published_articles(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let mut ids = Vec::new();
    for headline in ["Envoy Named", "Bridge Reopens"] {
        let article =
            create_article(&app, &editor, json!({ "headline": headline, "bodyMarkdown": "x", "sectionId": section }))
                .await;
        publish(&app, &editor, &id_of(&article)).await;
        ids.push(id_of(&article));
    }
    let page = "query($s: String!) { article(slug: $s) { updatedAt corrections { kind text } } }";
    let before = app.query(page, json!({ "s": "envoy-named" })).await;
    assert_eq!(before["article"]["corrections"], json!([]));
    assert_eq!(app.query(CORRECTIONS_PAGE, json!({})).await["corrections"]["totalCount"], 0, "cached empty page");

    let notes = [
        (&ids[0], "CORRECTION", "An earlier version misspelled the envoy's name."),
        (&ids[1], "UPDATE", "The bridge reopened on Tuesday, not Monday."),
        (&ids[0], "EDITORS_NOTE", "The envoy has since resigned."),
    ];
    for (article, kind, text) in notes {
        let added = app.query_as(&editor, ADD_CORRECTION, json!({ "a": article, "k": kind, "t": text })).await;
        assert_eq!(added["addCorrection"]["kind"], kind);
        assert_eq!(added["addCorrection"]["text"], text);
    }
    let after = app.query(page, json!({ "s": "envoy-named" })).await;
    assert_eq!(
        after["article"]["corrections"],
        json!([
            { "kind": "EDITORS_NOTE", "text": "The envoy has since resigned." },
            { "kind": "CORRECTION", "text": "An earlier version misspelled the envoy's name." }
        ]),
        "public at once, newest first"
    );
    assert!(after["article"]["updatedAt"].as_str() > before["article"]["updatedAt"].as_str(), "updatedAt moved");

    // The site's corrections page, newest first, in pages.
    let first = app.query(CORRECTIONS_PAGE, json!({})).await;
    assert_eq!(first["corrections"]["totalCount"], 3);
    let texts = |page: &Value| -> Vec<String> {
        page["corrections"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&first), ["The envoy has since resigned.", "The bridge reopened on Tuesday, not Monday."]);
    let second = app.query(CORRECTIONS_PAGE, json!({ "after": first["corrections"]["pageInfo"]["endCursor"] })).await;
    assert_eq!(texts(&second), ["An earlier version misspelled the envoy's name."]);
    assert_eq!(second["corrections"]["pageInfo"]["hasNextPage"], false);

    // Each resolves by its id; an unpublished article takes its corrections off the page.
    let id =
        app.query_as(&editor, "{ corrections(first: 1) { nodes { id } } }", json!({})).await["corrections"]["nodes"][0]
            ["id"]
            .clone();
    let node = "query($id: ID!) { node(id: $id) { ... on Correction { text } } }";
    assert_eq!(app.query(node, json!({ "id": id })).await["node"]["text"], "The envoy has since resigned.");
    let unpublish = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
    app.query_as(&editor, unpublish, json!({ "id": ids[0] })).await;
    let left = app.query(CORRECTIONS_PAGE, json!({})).await;
    assert_eq!(texts(&left), ["The bridge reopened on Tuesday, not Monday."], "only those of articles readers see");
    assert_eq!(app.query(node, json!({ "id": id })).await["node"], Value::Null);
}
on_both!(corrections_are_public_notes_on_published_articles);

/// Who may add corrections, and to what; a refused one writes nothing.
async fn corrections_are_refused_clearly(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let (_, contributor) = app.staff(Role::Contributor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let draft =
        create_article(&app, &editor, json!({ "headline": "Draft", "bodyMarkdown": "x", "sectionId": section })).await;
    let live =
        create_article(&app, &editor, json!({ "headline": "Live", "bodyMarkdown": "x", "sectionId": section })).await;
    publish(&app, &editor, &id_of(&live)).await;
    let note = |article: &Value, text: &str| json!({ "a": id_of(article), "k": "CORRECTION", "t": text });

    let cases = [
        (None, note(&live, "A fix."), "UNAUTHENTICATED", None),
        (Some(&contributor), note(&live, "A fix."), "FORBIDDEN", None),
        (Some(&editor), note(&draft, "A fix."), "BAD_USER_INPUT", Some("articleId")),
        (Some(&editor), note(&live, "   "), "BAD_USER_INPUT", Some("text")),
        (Some(&editor), note(&live, &"x".repeat(2001)), "BAD_USER_INPUT", Some("text")),
        (Some(&editor), json!({ "a": "QXJ0aWNsZTo5OTk5", "k": "CORRECTION", "t": "A fix." }), "NOT_FOUND", None),
    ];
    for (token, variables, code, field) in cases {
        let refused = app.post(token.map(String::as_str), ADD_CORRECTION, variables).await;
        assert_eq!(refused.codes(), [code], "{}", refused.body);
        if let Some(field) = field {
            assert_eq!(field_of(&refused), field);
        }
    }
    let count = app.query_as(&editor, "{ corrections { totalCount } }", json!({})).await;
    assert_eq!(count["corrections"]["totalCount"], 0, "nothing was written");
}
on_both!(corrections_are_refused_clearly);

const RELATED: &str = "query($s: String!) { article(slug: $s) { related(first: 4) { slug } } }";

fn slugs(answer: &Value, list: &str) -> Vec<String> {
    answer["article"][list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}: {answer}"))
        .iter()
        .map(|a| a["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Related stories: the editor's picks first, in order, then published articles sharing
/// the most tags, newest first among equals; never the article itself, never a hidden one.
async fn related_stories_are_picks_then_shared_tags(app: TestApp) {
    let app = app.reconfigured(|config| config.response_cache_mb = 16).await;
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let mut id = std::collections::HashMap::new();
    // Oldest first, so that each is newer than the one before.
    for (slug, tags, publish_it) in [
        ("floods-two-tags", vec!["Floods", "Climate"], true),
        ("floods-one-tag", vec!["Floods"], true),
        ("climate-one-tag", vec!["Climate"], true),
        ("floods-draft", vec!["Floods", "Climate"], false),
        ("unrelated", vec!["Sport"], true),
        ("the-pick", vec!["Sport"], true),
        ("the-story", vec!["Floods", "Climate"], true),
    ] {
        let input = json!({ "headline": slug, "slug": slug, "bodyMarkdown": "x", "sectionId": section, "tags": tags });
        let article = create_article(&app, &editor, input).await;
        if publish_it {
            publish(&app, &editor, &id_of(&article)).await;
        }
        id.insert(slug, id_of(&article));
    }
    let shared = app.query(RELATED, json!({ "s": "the-story" })).await;
    assert_eq!(
        slugs(&shared, "related"),
        ["floods-two-tags", "climate-one-tag", "floods-one-tag"],
        "most shared tags, then newest"
    );

    let picks = json!({ "relatedIds": [id["the-pick"], id["floods-draft"], id["climate-one-tag"]] });
    update_article(&app, &editor, &id["the-story"], picks).await.assert_ok();
    let picked = app.query(RELATED, json!({ "s": "the-story" })).await;
    assert_eq!(
        slugs(&picked, "related"),
        ["the-pick", "climate-one-tag", "floods-two-tags", "floods-one-tag"],
        "picks first in order, a draft pick left out, no article twice"
    );

    // A newly published article sharing both tags comes in, cached answers included.
    let input = json!({ "headline": "Newer", "slug": "floods-newest", "bodyMarkdown": "x", "sectionId": section, "tags": ["Floods", "Climate"] });
    let newest = create_article(&app, &editor, input).await;
    publish(&app, &editor, &id_of(&newest)).await;
    let after = app.query(RELATED, json!({ "s": "the-story" })).await;
    assert_eq!(slugs(&after, "related"), ["the-pick", "climate-one-tag", "floods-newest", "floods-two-tags"]);

    // Never itself, and bad picks are refused with the field named.
    let myself = update_article(&app, &editor, &id["the-story"], json!({ "relatedIds": [id["the-story"]] })).await;
    assert_eq!((myself.codes(), field_of(&myself).clone()), (vec!["BAD_USER_INPUT".to_owned()], json!("relatedIds")));
    let many: Vec<String> =
        (1..=11).map(|n| newsroom::graphql::ids::encode(newsroom::graphql::ids::Kind::Article, n).0).collect();
    let too_many = update_article(&app, &editor, &id["the-story"], json!({ "relatedIds": many })).await;
    assert_eq!(too_many.codes(), ["BAD_USER_INPUT"], "{}", too_many.body);
    let unknown = update_article(&app, &editor, &id["the-story"], json!({ "relatedIds": ["QXJ0aWNsZTo5OTk5"] })).await;
    assert_eq!(unknown.codes(), ["BAD_USER_INPUT"], "{}", unknown.body);
    assert_eq!(slugs(&app.query(RELATED, json!({ "s": "the-story" })).await, "related")[0], "the-pick", "picks kept");
    let bad_first = app.post(None, "{ articles(first: 1) { nodes { related(first: 21) { slug } } } }", json!({})).await;
    assert_eq!(bad_first.codes(), ["BAD_USER_INPUT"]);
}
on_both!(related_stories_are_picks_then_shared_tags);
