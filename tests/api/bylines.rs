//! Bylines with roles: every contributor in order, people without an account included;
//! `authors` stays the writers, and an author's page lists every article they worked on.

use crate::common::TestApp;
use crate::editorial::{create_article, create_author, create_section, id_of, publish, update_article};
use entity::user::Role;
use serde_json::{Value, json};

const BYLINES: &str = "query($s: String!) { article(slug: $s) {
    authors { name } bylines { role author { name } } } }";
const AUTHOR_ARTICLES: &str = "query($s: String!) { author(slug: $s) { articles { totalCount nodes { slug } } } }";

fn byline(name: &str, role: &str) -> Value {
    json!({ "role": role, "author": { "name": name } })
}

async fn bylines_name_every_contributor_with_a_role(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let writer = create_author(&app, &editor, "Ines Cole").await;
    let photographer = create_author(&app, &editor, "Rafael Ortiz").await;
    let reporter = create_author(&app, &editor, "June Park").await;
    let input = json!({
        "headline": "Floods Reach the Delta",
        "bodyMarkdown": "Water rose overnight.",
        "sectionId": section,
        "bylines": [
            { "authorId": writer, "role": "WRITER" },
            { "authorId": photographer, "role": "PHOTOGRAPHER" },
            { "authorId": reporter, "role": "ADDITIONAL_REPORTING" },
        ],
    });
    let article = create_article(&app, &editor, input).await;
    publish(&app, &editor, &id_of(&article)).await;

    let page = app.query(BYLINES, json!({ "s": "floods-reach-the-delta" })).await;
    assert_eq!(page["article"]["authors"], json!([{ "name": "Ines Cole" }]), "authors are the writers");
    assert_eq!(
        page["article"]["bylines"],
        json!([
            byline("Ines Cole", "WRITER"),
            byline("Rafael Ortiz", "PHOTOGRAPHER"),
            byline("June Park", "ADDITIONAL_REPORTING")
        ]),
        "in the order given"
    );
    for slug in ["ines-cole", "rafael-ortiz", "june-park"] {
        let listed = app.query(AUTHOR_ARTICLES, json!({ "s": slug })).await;
        assert_eq!(
            listed["author"]["articles"]["nodes"],
            json!([{ "slug": "floods-reach-the-delta" }]),
            "{slug} contributed in some role"
        );
    }

    // `authorIds` still writes a byline of writers; the same author twice counts once.
    let id = id_of(&article);
    update_article(&app, &editor, &id, json!({ "authorIds": [reporter, writer, reporter] })).await.assert_ok();
    let page = app.query(BYLINES, json!({ "s": "floods-reach-the-delta" })).await;
    assert_eq!(page["article"]["authors"], json!([{ "name": "June Park" }, { "name": "Ines Cole" }]));
    assert_eq!(page["article"]["bylines"], json!([byline("June Park", "WRITER"), byline("Ines Cole", "WRITER")]));
    let listed = app.query(AUTHOR_ARTICLES, json!({ "s": "rafael-ortiz" })).await;
    assert_eq!(listed["author"]["articles"]["totalCount"], 0, "off the byline, off the author's list");
}
on_both!(bylines_name_every_contributor_with_a_role);

async fn bad_bylines_are_refused_and_change_nothing(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let writer = create_author(&app, &editor, "Ines Cole").await;
    let other = create_author(&app, &editor, "Rafael Ortiz").await;
    let input = json!({
        "headline": "Filed",
        "bodyMarkdown": "x",
        "sectionId": section,
        "bylines": [{ "authorId": writer, "role": "WRITER" }],
    });
    let article = create_article(&app, &editor, input).await;
    let id = id_of(&article);
    let unknown_author = "QXV0aG9yOjk5OTk="; // Author:9999
    let refusals = [
        json!({ "bylines": [{ "authorId": other, "role": "WRITER" }, { "authorId": other, "role": "EDITOR" }] }),
        json!({ "bylines": [{ "authorId": other, "role": "WRITER" }], "authorIds": [other] }),
        json!({ "bylines": [{ "authorId": unknown_author, "role": "WRITER" }] }),
        json!({ "bylines": [{ "authorId": id, "role": "WRITER" }], "headline": "Changed" }),
    ];
    for input in refusals {
        let refused = update_article(&app, &editor, &id, input.clone()).await;
        assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{input}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["extensions"]["field"], "bylines", "{input}");
    }
    let unknown_role =
        update_article(&app, &editor, &id, json!({ "bylines": [{ "authorId": other, "role": "CHEF" }] })).await;
    assert_eq!(unknown_role.codes(), ["GRAPHQL_VALIDATION_FAILED"], "{}", unknown_role.body);

    let page = app.query_as(&editor, BYLINES, json!({ "s": "filed" })).await;
    assert_eq!(page["article"]["bylines"], json!([byline("Ines Cole", "WRITER")]), "nothing changed");
    let headline = app.query_as(&editor, "query { articles { nodes { headline } } }", json!({})).await;
    assert_eq!(headline["articles"]["nodes"], json!([{ "headline": "Filed" }]));

    let created = app
        .post(
            Some(&editor),
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
            json!({ "input": { "headline": "Twice", "bodyMarkdown": "x", "sectionId": section,
                "bylines": [{ "authorId": writer, "role": "WRITER" }, { "authorId": writer, "role": "PHOTOGRAPHER" }] } }),
        )
        .await;
    assert_eq!(created.codes(), ["BAD_USER_INPUT"], "{}", created.body);
    let count = app.query_as(&editor, "{ articles { totalCount } }", json!({})).await;
    assert_eq!(count["articles"]["totalCount"], 1, "the refused article was not created");
}
on_both!(bad_bylines_are_refused_and_change_nothing);
