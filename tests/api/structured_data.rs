//! The site and each article's public address and schema.org structured data: the
//! address follows the configured pattern, and the JSON-LD carries, typed as schema.org
//! says, what search engines require and recommend for the article's kind.
//!
//! "Typed as schema.org says" is checked against schema.org's own vocabulary, vendored in
//! `schemaorg/`: release 30.0 (2026-03-19), the `schemaorg-current-https.jsonld` of
//! github.com/schemaorg/schemaorg reduced to its classes and properties with their `@id`,
//! `@type`, `rdfs:subClassOf`, `schema:domainIncludes` and `schema:rangeIncludes`
//! (schema.org publishes its vocabulary under CC BY-SA 3.0).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate};
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

/// Each kind and its schema.org type.
const KINDS: [(&str, &str); 8] = [
    ("NEWS", "NewsArticle"),
    ("OPINION", "OpinionNewsArticle"),
    ("ANALYSIS", "AnalysisNewsArticle"),
    ("REVIEW", "ReviewNewsArticle"),
    ("LIVE", "LiveBlogPosting"),
    ("FEATURE", "NewsArticle"),
    ("OBITUARY", "NewsArticle"),
    ("SPONSORED", "AdvertiserContentArticle"),
];

/// An image with everything structured data tells of it; answers its id.
async fn create_lead_image(app: &TestApp, token: &str) -> Value {
    app.query_as(
        token,
        r#"mutation { createImage(input: { url: "https://images.example.com/delta.jpg", altText: "Flooded fields",
             caption: "Fields under water.", width: 1600, height: 900, copyrightHolder: "Example Press Ltd",
             credit: { photographer: "Rafael Ortiz", agency: "Example Press", license: "https://example.com/licence" } }) { id } }"#,
        json!({}),
    )
    .await["createImage"]["id"]
        .clone()
}

/// The input of an article of `kind` with every part structured data is made of.
fn full_article(kind: &str, headline: &str, section: &str, image: &Value, writer: &str, photographer: &str) -> Value {
    json!({ "headline": headline, "standfirst": "Water rose overnight.", "bodyMarkdown": "Secret body words.",
        "sectionId": section, "kind": kind, "dateline": "CAIRO", "leadImageId": image, "tags": ["Floods", "Egypt"],
        "bylines": [{ "authorId": writer, "role": "WRITER" }, { "authorId": photographer, "role": "PHOTOGRAPHER" }] })
}

async fn structured_data_is_typed_by_kind(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let writer = create_author(&app, &editor, "Ines Cole").await;
    let photographer = create_author(&app, &editor, "Rafael Ortiz").await;
    let image = create_lead_image(&app, &editor).await;
    for (kind, schema_type) in KINDS {
        let headline = format!("Floods, seen as {kind}");
        let input = full_article(kind, &headline, &section, &image, &writer, &photographer);
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
                "contentUrl": "https://images.example.com/delta.jpg",
                "width": { "@type": "QuantitativeValue", "value": 1600, "unitCode": "E37" },
                "height": { "@type": "QuantitativeValue", "value": 900, "unitCode": "E37" },
                "caption": "Fields under water.", "creditText": "Rafael Ortiz/Example Press",
                "copyrightHolder": { "@type": "Organization", "name": "Example Press Ltd" },
                "license": "https://example.com/licence" }])
        );
        assert_eq!(data["articleSection"], "Section world");
        assert_eq!(data["keywords"], json!(["Egypt", "Floods"]));
        if schema_type.ends_with("NewsArticle") {
            assert_eq!(data["dateline"], "CAIRO");
        } else {
            assert!(data.get("dateline").is_none(), "a dateline is a NewsArticle's: {data}");
        }
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

const ADD_ENTRY: &str =
    "mutation($a: ID!, $input: LiveEntryInput!) { addLiveEntry(articleId: $a, input: $input) { id } }";
const END_COVERAGE: &str = "mutation($a: ID!) { endLiveCoverage(articleId: $a) { coverageEndedAt } }";
const CORRECT: &str =
    "mutation($a: ID!, $k: CorrectionKind!, $t: String!) { addCorrection(articleId: $a, kind: $k, text: $t) { id } }";

fn time_of(value: &Value, what: &str) -> DateTime<chrono::FixedOffset> {
    assert_time(value, what);
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap()
}

/// What Google's article structured data asks of every kind: a headline it shows whole,
/// images, both dates, authors with name and page, and the publisher.
fn assert_what_google_asks(data: &Value, what: &str) {
    let headline = data["headline"].as_str().unwrap_or_else(|| panic!("{what}: no headline"));
    assert!(!headline.is_empty() && headline.chars().count() <= 110, "{what}: {headline}");
    let images = data["image"].as_array().unwrap_or_else(|| panic!("{what}: no image"));
    assert!(!images.is_empty() && images.iter().all(|i| i["url"].is_string()), "{what}: {images:?}");
    time_of(&data["datePublished"], what);
    time_of(&data["dateModified"], what);
    let authors = data["author"].as_array().unwrap_or_else(|| panic!("{what}: no author"));
    assert!(!authors.is_empty(), "{what}: no author");
    for author in authors {
        assert!(matches!(author["@type"].as_str(), Some("Person" | "Organization")), "{what}: {author}");
        assert!(author["name"].as_str().is_some_and(|n| !n.is_empty()), "{what}: {author}");
        assert!(author["url"].is_string(), "{what}: {author}");
    }
    let publisher = &data["publisher"];
    assert_eq!(publisher["@type"], "NewsMediaOrganization", "{what}");
    assert!(publisher["name"].is_string() && publisher["url"].is_string(), "{what}: {publisher}");
}

/// One article of each kind, a paywalled one and a corrected one: each page's JSON-LD is
/// sound by schema.org's own vocabulary, and has what Google asks of its kind.
async fn every_kind_is_sound_schema_org_with_what_google_asks(app: TestApp) {
    let (_, editor) = app.staff(Role::Editor).await;
    let section = create_section(&app, &editor, "world", None).await;
    let writer = create_author(&app, &editor, "Ines Cole").await;
    let photographer = create_author(&app, &editor, "Rafael Ortiz").await;
    let image = create_lead_image(&app, &editor).await;
    let mut pages = Vec::new();
    for (kind, schema_type) in KINDS {
        let input = full_article(kind, &format!("Floods, seen as {kind}"), &section, &image, &writer, &photographer);
        let article = create_article(&app, &editor, input).await;
        let id = id_of(&article);
        publish(&app, &editor, &id).await;
        if kind == "LIVE" {
            let first = json!({ "headline": "Water reaches the delta", "bodyMarkdown": "The *first* villages empty." });
            app.query_as(&editor, ADD_ENTRY, json!({ "a": id, "input": first })).await;
            let second = json!({ "bodyMarkdown": "Boats take the last families out." });
            app.query_as(&editor, ADD_ENTRY, json!({ "a": id, "input": second })).await;
            app.query_as(&editor, END_COVERAGE, json!({ "a": id })).await;
        }
        pages.push((kind, schema_type, article["slug"].clone()));
    }
    let paywalled = json!({ "headline": "Inside the Budget", "bodyMarkdown": "Free part.\n\nPaid part.",
        "sectionId": section, "leadImageId": image, "bylines": [{ "authorId": writer, "role": "WRITER" }],
        "access": "SUBSCRIBER", "teaserBlocks": 1 });
    let paywalled = create_article(&app, &editor, paywalled).await;
    publish(&app, &editor, &id_of(&paywalled)).await;
    pages.push(("paywalled", "NewsArticle", paywalled["slug"].clone()));
    let corrected = json!({ "headline": "Rates Held", "bodyMarkdown": "Rates stay.", "sectionId": section,
        "leadImageId": image, "bylines": [{ "authorId": writer, "role": "WRITER" }] });
    let corrected = create_article(&app, &editor, corrected).await;
    publish(&app, &editor, &id_of(&corrected)).await;
    for (kind, text) in [("CORRECTION", "The rate was 4.5%."), ("CLARIFICATION", "The vote was 7-2.")] {
        app.query_as(&editor, CORRECT, json!({ "a": id_of(&corrected), "k": kind, "t": text })).await;
    }
    pages.push(("corrected", "NewsArticle", corrected["slug"].clone()));

    for (what, schema_type, slug) in pages {
        let page = app.query(DATA, json!({ "s": slug })).await;
        let data = &page["article"]["structuredData"];
        assert_eq!(data["@type"], schema_type, "{what}");
        let violations = schema_org_violations(data);
        assert!(violations.is_empty(), "{what} breaks schema.org: {violations:#?}\n{data:#}");
        assert_what_google_asks(data, what);
        match what {
            "LIVE" => {
                let started = time_of(&data["coverageStartTime"], "coverageStartTime");
                let ended = time_of(&data["coverageEndTime"], "coverageEndTime");
                assert!(started <= ended, "{data}");
                let updates = data["liveBlogUpdate"].as_array().expect("liveBlogUpdate");
                assert_eq!(updates.len(), 2, "{data}");
                for update in updates {
                    assert_eq!(update["@type"], "BlogPosting");
                    assert!(update["headline"].as_str().is_some_and(|h| !h.is_empty()), "{update}");
                    time_of(&update["datePublished"], "an update's datePublished");
                    assert!(update["articleBody"].is_string(), "a free blog's updates say what they are: {update}");
                }
                let headlines: Vec<&Value> = updates.iter().map(|u| &u["headline"]).collect();
                assert!(headlines.contains(&&json!("Water reaches the delta")), "{headlines:?}");
                assert!(
                    headlines.contains(&&json!("Floods, seen as LIVE")),
                    "untitled takes the blog's: {headlines:?}"
                );
            }
            "paywalled" => {
                assert_eq!(data["isAccessibleForFree"], false);
                let part = &data["hasPart"];
                assert_eq!(part["@type"], "WebPageElement");
                assert_eq!(part["isAccessibleForFree"], false);
                assert!(part["cssSelector"].as_str().is_some_and(|s| !s.is_empty()), "{part}");
                assert!(!data.to_string().contains("Paid part"));
            }
            "corrected" => {
                let corrections = data["correction"].as_array().expect("corrections");
                assert_eq!(corrections.len(), 2, "{data}");
                assert!(corrections.iter().all(|c| c["@type"] == "CorrectionComment" && c["text"].is_string()));
            }
            _ => assert_eq!(data["isAccessibleForFree"], true, "{what}"),
        }
    }
}
on_both!(every_kind_is_sound_schema_org_with_what_google_asks);

/// schema.org's classes and properties, as much of them as checking a document needs.
struct Vocabulary {
    /// Each class, data types included, with its direct superclasses.
    classes: HashMap<String, Vec<String>>,
    /// Each property with the types it belongs to (`domainIncludes`) and the types of its
    /// values (`rangeIncludes`).
    properties: HashMap<String, (Vec<String>, Vec<String>)>,
}

impl Vocabulary {
    fn get() -> &'static Vocabulary {
        static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
            let file: Value = serde_json::from_str(SCHEMA_ORG).expect("the vocabulary is JSON");
            let mut vocabulary = Vocabulary { classes: HashMap::new(), properties: HashMap::new() };
            for node in file["@graph"].as_array().expect("a @graph") {
                let id = name_of(&node["@id"]);
                let kinds = as_list(&node["@type"]);
                if kinds.contains(&&json!("rdfs:Class")) {
                    vocabulary.classes.insert(id.clone(), references(&node["rdfs:subClassOf"]));
                }
                if kinds.contains(&&json!("rdf:Property")) {
                    let domains = references(&node["schema:domainIncludes"]);
                    vocabulary.properties.insert(id, (domains, references(&node["schema:rangeIncludes"])));
                }
            }
            vocabulary
        });
        &VOCABULARY
    }

    /// Whether `class` is `ancestor` or one of its subclasses, however far down.
    fn is_a(&self, class: &str, ancestor: &str) -> bool {
        class == ancestor || self.classes.get(class).is_some_and(|up| up.iter().any(|c| self.is_a(c, ancestor)))
    }
}

/// schema.org release 30.0: `data/releases/30.0/schemaorg-current-https.jsonld` with only
/// its `rdfs:Class` and `rdf:Property` nodes in the schema.org namespace, each with only
/// the five keys the check reads (references outside schema.org dropped), sorted by `@id`.
const SCHEMA_ORG: &str = include_str!("schemaorg/schemaorg-current-https-30.0-reduced.jsonld");

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn name_of(id: &Value) -> String {
    let id = id.as_str().expect("an @id");
    id.strip_prefix("schema:").expect("a schema.org term").to_owned()
}

fn references(value: &Value) -> Vec<String> {
    as_list(value).into_iter().map(|r| name_of(&r["@id"])).collect()
}

/// What is wrong with `document` by schema.org's vocabulary, each at its path (`$` is the
/// document): nothing when every `@type` is a class, every property belongs to its
/// node's type or a supertype, and every value fits the property's range. Objects must
/// say their `@type`: a string never stands for a thing. `@context` and `@id` are not
/// checked.
fn schema_org_violations(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    check_node(Vocabulary::get(), document, "$", &mut found);
    found
}

fn types_of(node: &Value) -> Vec<&str> {
    as_list(&node["@type"]).into_iter().filter_map(Value::as_str).collect()
}

fn check_node(vocabulary: &Vocabulary, node: &Value, path: &str, found: &mut Vec<String>) {
    let Some(fields) = node.as_object() else {
        return found.push(format!("{path}: not an object: {node}"));
    };
    let types = types_of(node);
    if types.is_empty() {
        return found.push(format!("{path}: no @type"));
    }
    for class in types.iter().filter(|t| !vocabulary.classes.contains_key(**t)) {
        found.push(format!("{path}: @type {class} is not a schema.org class"));
    }
    for (name, value) in fields.iter().filter(|(name, _)| !matches!(name.as_str(), "@context" | "@id" | "@type")) {
        let at = format!("{path}.{name}");
        let Some((domains, ranges)) = vocabulary.properties.get(name) else {
            found.push(format!("{at}: not a schema.org property"));
            continue;
        };
        if !types.iter().any(|t| domains.iter().any(|d| vocabulary.is_a(t, d))) {
            found.push(format!("{at}: not a property of {}, only of {}", types.join(", "), domains.join(", ")));
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_value(vocabulary, item, ranges, &format!("{at}[{i}]"), found);
                }
            }
            one => check_value(vocabulary, one, ranges, &at, found),
        }
    }
}

fn check_value(vocabulary: &Vocabulary, value: &Value, ranges: &[String], at: &str, found: &mut Vec<String>) {
    let fits = match value {
        Value::Object(_) => {
            check_node(vocabulary, value, at, found);
            let types = types_of(value);
            // An untyped object has been reported as such.
            types.is_empty() || types.iter().any(|t| ranges.iter().any(|r| vocabulary.is_a(t, r)))
        }
        Value::String(text) => ranges.iter().any(|range| match range.as_str() {
            "URL" => url::Url::parse(text).is_ok(),
            "Date" => NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            // ISO 8601 with the offset, as Google asks.
            "DateTime" => DateTime::parse_from_rfc3339(text).is_ok(),
            other => vocabulary.is_a(other, "Text"),
        }),
        Value::Bool(_) => ranges.iter().any(|r| vocabulary.is_a(r, "Boolean")),
        Value::Number(number) => ranges.iter().any(|range| match range.as_str() {
            "Integer" => number.is_i64() || number.is_u64(),
            other => vocabulary.is_a(other, "Number"),
        }),
        Value::Null | Value::Array(_) => false,
    };
    if !fits {
        found.push(format!("{at}: {value} fits none of {}", ranges.join(", ")));
    }
}

/// The checker finds each kind of mistake, and nothing in a sound document.
#[test]
fn the_schema_org_check_finds_what_is_wrong() {
    let sound = json!({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Floods",
        "url": "https://news.example.com/floods", "datePublished": "2026-03-19T10:00:00+01:00",
        "dateModified": "2026-03-19", "dateline": "CAIRO", "isAccessibleForFree": true, "keywords": ["a", "b"],
        "author": [{ "@type": "Person", "name": "Ines Cole", "url": "https://news.example.com/authors/ines-cole" }],
        "image": [{ "@type": "ImageObject", "url": "https://images.example.com/a.jpg",
            "width": { "@type": "QuantitativeValue", "value": 1600, "unitCode": "E37" } }],
        "hasPart": { "@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywall" },
    });
    assert_eq!(schema_org_violations(&sound), Vec::<String>::new());
    let mistakes = [
        (json!({ "byline": "Ines Cole" }), "$.byline: not a schema.org property"),
        (json!({ "@type": "NewsStory" }), "$: @type NewsStory is not a schema.org class"),
        (json!({ "@type": "LiveBlogPosting" }), "$.dateline: not a property of LiveBlogPosting, only of NewsArticle"),
        (json!({ "author": [{ "@type": "Place", "name": "Cairo" }] }), "$.author[0]: "),
        (json!({ "author": ["Ines Cole"] }), "$.author[0]: \"Ines Cole\" fits none of Organization, Person"),
        (json!({ "author": [{ "name": "Ines Cole" }] }), "$.author[0]: no @type"),
        (json!({ "datePublished": "yesterday" }), "$.datePublished: \"yesterday\" fits none of Date, DateTime"),
        (json!({ "dateModified": "2026-02-30" }), "$.dateModified: "),
        (json!({ "datePublished": "2026-03-19T10:00:00" }), "$.datePublished: "),
        (json!({ "url": "/floods" }), "$.url: \"/floods\" fits none of URL"),
        (json!({ "isAccessibleForFree": "false" }), "$.isAccessibleForFree: \"false\" fits none of Boolean"),
        (json!({ "headline": 7 }), "$.headline: 7 fits none of Text"),
        (
            json!({ "image": [{ "@type": "ImageObject", "url": "https://images.example.com/a.jpg", "width": 1600 }] }),
            "$.image[0].width: 1600 fits none of QuantitativeValue, Distance",
        ),
        (json!({ "hasPart": { "@type": "WebPageElement", "cssSelector": false } }), "$.hasPart.cssSelector: false"),
    ];
    for (change, expected) in mistakes {
        let mut document = sound.clone();
        for (key, value) in change.as_object().unwrap() {
            document[key] = value.clone();
        }
        let found = schema_org_violations(&document);
        assert!(found.iter().any(|f| f.starts_with(expected)), "{change}: expected {expected:?}, found {found:#?}");
    }
}
