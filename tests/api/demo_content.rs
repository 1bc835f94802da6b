//! The demo publication that `serve --demo` loads, read the way the README reads it.

use crate::common::TestApp;
use entity::user::Role;
use serde_json::{Value, json};

const SEED: &str = "russia-moves-to-drop-taliban-from-banned-list-as-moscow-courts-kabul";

/// The README's article page query, as a reader pastes it.
fn readme_query() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("{\"query\": \"query ArticlePage").expect("README has the article page example");
    let end = start + readme[start..].find("\nJSON").unwrap();
    readme[start..end].to_owned()
}

async fn demo_loads_once_and_answers_the_readme_query(app: TestApp) {
    assert!(newsroom::demo::load(&app.db).await.unwrap(), "loads into an empty database");
    assert!(!newsroom::demo::load(&app.db).await.unwrap(), "never twice");

    let request: Value = serde_json::from_str(&readme_query()).expect("the README example is valid JSON");
    let answer = app.post(None, request["query"].as_str().unwrap(), request["variables"].clone()).await;
    let article = &answer.assert_ok()["article"];
    assert_eq!(article["section"]["name"], "International News");
    let crumbs: Vec<&str> =
        article["section"]["breadcrumbs"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(crumbs, ["world", "world/international-news"]);
    assert_eq!(article["leadImage"]["credit"]["creditLine"], "Wakil Kohsar/AFP via Getty Images");
    assert!(article["blocks"].as_array().unwrap().iter().filter(|b| b["__typename"] == "HeadingBlock").count() >= 4);
    assert!(
        article["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["__typename"] == "ImageBlock" && b["url"].as_str().unwrap().starts_with("https://"))
    );
    assert_eq!(article["commentCount"], 8, "approved comments and replies only");
    assert_eq!(article["comments"]["totalCount"], 4);
    let replies: usize = article["comments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["replies"]["nodes"].as_array().unwrap().len())
        .sum();
    assert_eq!(replies, 4);

    let (_, editor) = app.staff(Role::Editor).await;
    let queue = app.query_as(&editor, "{ moderationQueue { totalCount } }", json!({})).await;
    assert_eq!(queue["moderationQueue"]["totalCount"], 2, "pending comments wait for an editor");

    let columns = app.query("{ articles(filter: { kind: OPINION }) { nodes { kicker } } }", json!({})).await;
    assert_eq!(columns["articles"]["nodes"], json!([{ "kicker": "Comment" }]), "the demo has a column");
    let seed = app
        .query("query($s: String!) { article(slug: $s) { kind dateline corrections { kind } } }", json!({ "s": SEED }))
        .await;
    assert_eq!(
        seed["article"],
        json!({ "kind": "NEWS", "dateline": "MOSCOW", "corrections": [{ "kind": "CORRECTION" }] }),
        "the lead story was corrected once"
    );
    let corrections = app.query("{ corrections { totalCount } }", json!({})).await;
    assert_eq!(corrections["corrections"]["totalCount"], 1);
    let photographed = app
        .query(
            r#"{ article(slug: "low-water-on-the-danube-leaves-barges-half-empty") { authors { name } bylines { role author { name } } } }"#,
            json!({}),
        )
        .await;
    let bylines = photographed["article"]["bylines"].as_array().unwrap();
    assert_eq!(bylines.last().unwrap(), &json!({ "role": "PHOTOGRAPHER", "author": { "name": "Mateo Alvarez" } }));
    assert_eq!(photographed["article"]["authors"].as_array().unwrap().len(), bylines.len() - 1, "writers only");
    let paywalled = app
        .query(
            r#"{ articles(first: 50) { nodes { access teaserBlocks accessible blocks { __typename } } } }"#,
            json!({}),
        )
        .await;
    let teaser = paywalled["articles"]["nodes"].as_array().unwrap().iter().find(|a| a["access"] == "SUBSCRIBER");
    let teaser = teaser.expect("a subscriber article");
    assert_eq!(teaser["accessible"], false);
    assert_eq!(teaser["blocks"].as_array().unwrap().len() as i64, teaser["teaserBlocks"].as_i64().unwrap());

    let home = app.query("{ articles(first: 50) { totalCount } sections { slug } }", json!({})).await;
    assert!(home["articles"]["totalCount"].as_i64().unwrap() >= 8);
    assert!(home["sections"].as_array().unwrap().len() >= 6);
    let hidden = app
        .query(
            r#"{ draft: article(slug: "how-a-coalition-government-is-formed") { slug }
             scheduled: article(slug: "week-ahead-central-bank-decisions-and-inflation-data-in-focus") { slug } }"#,
            json!({}),
        )
        .await;
    assert_eq!(hidden, json!({ "draft": null, "scheduled": null }));
    let live = app
        .query(
            r#"{ articles(filter: { kind: LIVE }) { nodes { slug coverageEndedAt
                 liveEntries { totalCount nodes { headline pinned authors { slug } blocks { __typename } } } } } }"#,
            json!({}),
        )
        .await;
    let blog = &live["articles"]["nodes"][0];
    assert_eq!(blog["slug"], "eu-leaders-meet-in-brussels-on-energy-prices-live", "the demo has a live blog");
    assert_eq!(blog["coverageEndedAt"], Value::Null, "still live");
    let entries = blog["liveEntries"]["nodes"].as_array().unwrap();
    assert_eq!(blog["liveEntries"]["totalCount"], entries.len());
    assert!(entries.len() >= 4);
    let pinned: Vec<bool> = entries.iter().map(|e| e["pinned"].as_bool().unwrap()).collect();
    assert!(pinned[0] && pinned[1] && !pinned[2..].iter().any(|p| *p), "pinned entries first: {pinned:?}");
    assert_eq!(entries[0]["headline"], "Latest: agreement on joint gas purchases", "the newest pinned one leads");
    assert!(entries.iter().all(|e| !e["authors"].as_array().unwrap().is_empty()), "every entry has its authors");
    assert!(entries.iter().any(|e| e["blocks"].as_array().unwrap().iter().any(|b| b["__typename"] == "ListBlock")));

    let found = app.query(r#"{ searchArticles(query: "Taliban") { nodes { slug } } }"#, json!({})).await;
    assert_eq!(found["searchArticles"]["nodes"][0]["slug"], SEED);
}
on_both!(demo_loads_once_and_answers_the_readme_query);
