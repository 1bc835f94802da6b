//! The site and each article's public address and schema.org structured data: the
//! address follows the configured pattern, and the JSON-LD carries, typed as schema.org
//! says, what search engines require and recommend for the article's kind.

use chrono::DateTime;
use entity::user::Role;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::editorial::{create_article, create_author, create_section, id_of, publish};

const DATA: &str = "query($s: String!) { article(slug: $s) { url structuredData } }";

async fn the_site_and_article_addresses_follow_the_configuration(app: TestApp) {
    let app = app
        .reconfigured(|config| {
            config.site_url = "https://news.example.com".into();
            config.site_name = "The Daily Example".into();
            config.site_language = "en-GB".into();
        })
        .await;
    let site = app.query("{ site { name url language } }", json!({})).await;
    assert_eq!(
        site["site"],
        json!({ "name": "The Daily Example", "url": "https://news.example.com", "language": "en-GB" })
    );
    let (_, editor) = app.staff(Role::Editor).await;
    let world = create_section(&app, &editor, "world", None).await;
    let africa = create_section(&app, &editor, "africa", Some(&world)).await;
    let input = json!({ "headline": "Floods Reach the Delta", "bodyMarkdown": "x", "sectionId": africa });
    let id = id_of(&create_article(&app, &editor, input).await);
    publish(&app, &editor, &id).await;
    let page = app.query(DATA, json!({ "s": "floods-reach-the-delta" })).await;
    assert_eq!(page["article"]["url"], "https://news.example.com/world/africa/floods-reach-the-delta");

    let dated = app.reconfigured(|config| config.article_url_pattern = "{site}/{yyyy}/{mm}/{id}-{slug}".into()).await;
    let page = dated.query(DATA, json!({ "s": "floods-reach-the-delta" })).await;
    let url = page["article"]["url"].as_str().unwrap();
    let number = newsroom::graphql::ids::decode(&id).unwrap().1;
    let year_month = chrono::Utc::now().format("%Y/%m").to_string();
    assert_eq!(url, format!("https://news.example.com/{year_month}/{number}-floods-reach-the-delta"));
}
on_both!(the_site_and_article_addresses_follow_the_configuration);

fn assert_time(value: &Value, what: &str) {
    let text = value.as_str().unwrap_or_else(|| panic!("{what} is not text: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{what} {text}: {e}"));
}

fn assert_person(value: &Value, name: &str) {
    assert_eq!(value["@type"], "Person");
    assert_eq!(value["name"], name);
    assert!(value["url"].as_str().unwrap().starts_with("http://localhost:3000/authors/"), "{value}");
}

async fn structured_data_is_typed_by_kind(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let writer = create_author(&app, &editor, "Ines Cole").await;
    let photographer = create_author(&app, &editor, "Rafael Ortiz").await;
    let image = app
        .query_as(
            &editor,
            r#"mutation { createImage(input: { url: "https://images.example.com/delta.jpg", altText: "Flooded fields",
                 caption: "Fields under water.", width: 1600, height: 900, copyrightHolder: "Example Press Ltd",
                 credit: { photographer: "Rafael Ortiz", agency: "Example Press", license: "https://example.com/licence" } }) { id } }"#,
            json!({}),
        )
        .await["createImage"]["id"]
        .clone();
    let kinds = [
        ("NEWS", "NewsArticle"),
        ("OPINION", "OpinionNewsArticle"),
        ("ANALYSIS", "AnalysisNewsArticle"),
        ("REVIEW", "ReviewNewsArticle"),
        ("LIVE", "LiveBlogPosting"),
        ("FEATURE", "NewsArticle"),
        ("SPONSORED", "AdvertiserContentArticle"),
    ];
    for (kind, schema_type) in kinds {
        let headline = format!("Floods, seen as {kind}");
        let input = json!({ "headline": headline, "standfirst": "Water rose overnight.", "bodyMarkdown": "Secret body words.",
            "sectionId": section, "kind": kind, "dateline": "CAIRO", "leadImageId": image, "tags": ["Floods", "Egypt"],
            "bylines": [{ "authorId": writer, "role": "WRITER" }, { "authorId": photographer, "role": "PHOTOGRAPHER" }] });
        let article = create_article(&app, &editor, input).await;
        publish(&app, &editor, &id_of(&article)).await;
        let page = app.query(DATA, json!({ "s": article["slug"] })).await;
        let data = &page["article"]["structuredData"];
        assert_eq!(data["@context"], "https://schema.org");
        assert_eq!(data["@type"], schema_type, "{kind}");
        assert_eq!(data["headline"], headline);
        assert_eq!(data["url"], page["article"]["url"]);
        assert_eq!(data["mainEntityOfPage"], json!({ "@type": "WebPage", "@id": page["article"]["url"] }));
        assert_time(&data["datePublished"], "datePublished");
        assert_time(&data["dateModified"], "dateModified");
        assert_eq!(data["author"].as_array().unwrap().len(), 1, "writers are the authors: {data}");
        assert_person(&data["author"][0], "Ines Cole");
        assert_person(&data["contributor"][0], "Rafael Ortiz");
        assert_eq!(
            data["publisher"],
            json!({ "@type": "NewsMediaOrganization", "name": "newsroom", "url": "http://localhost:3000" })
        );
        assert_eq!(
            data["image"],
            json!([{ "@type": "ImageObject", "url": "https://images.example.com/delta.jpg",
                "contentUrl": "https://images.example.com/delta.jpg", "width": 1600, "height": 900,
                "caption": "Fields under water.", "creditText": "Rafael Ortiz/Example Press",
                "copyrightHolder": { "@type": "Organization", "name": "Example Press Ltd" },
                "license": "https://example.com/licence" }])
        );
        assert_eq!(data["articleSection"], "Section world");
        assert_eq!(data["keywords"], json!(["Egypt", "Floods"]));
        assert_eq!(data["dateline"], "CAIRO");
        assert_eq!(data["description"], "Water rose overnight.");
        assert_eq!(data["inLanguage"], "en");
        assert_eq!(data["isAccessibleForFree"], true);
        assert!(data.get("hasPart").is_none());
        if kind == "LIVE" {
            assert_time(&data["coverageStartTime"], "coverageStartTime");
        }
        assert!(!data.to_string().contains("Secret body"), "never the body: {data}");
    }
}
on_both!(structured_data_is_typed_by_kind);

async fn paywalled_and_corrected_articles_say_so(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let input = json!({ "headline": "Inside the Budget", "bodyMarkdown": "Free part.\n\nPaid part.", "sectionId": section,
        "access": "SUBSCRIBER", "teaserBlocks": 1 });
    let id = id_of(&create_article(&app, &editor, input).await);
    publish(&app, &editor, &id).await;
    app.query_as(
        &editor,
        r#"mutation($a: ID!) { addCorrection(articleId: $a, kind: CORRECTION, text: "A figure was wrong.") { id } }"#,
        json!({ "a": id }),
    )
    .await;
    let data = &app.query(DATA, json!({ "s": "inside-the-budget" })).await["article"]["structuredData"];
    assert_eq!(data["isAccessibleForFree"], false);
    assert_eq!(
        data["hasPart"],
        json!({ "@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywall" })
    );
    assert_eq!(data["correction"][0]["@type"], "CorrectionComment");
    assert_eq!(data["correction"][0]["text"], "A figure was wrong.");
    assert_time(&data["correction"][0]["datePublished"], "a correction's date");
    assert!(data.get("image").is_none(), "no lead image, no image");
    assert!(!data.to_string().contains("Paid part"));
}
on_both!(paywalled_and_corrected_articles_say_so);
