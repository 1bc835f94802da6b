//! The feeds (RSS 2.0, Atom, JSON Feed 1.1) as a feed reader sees them: read back with
//! feed-rs (and the XML itself where feed-rs leaves something out), against a publication
//! of more than fifty articles with drafts, an embargo, a future article, a subsection, a
//! paywalled article and an image whose licence has run out.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use entity::article::{AccessLevel, ArticleStatus};
use entity::article_author::ContributorRole;
use entity::user::Role;
use entity::{article, article_author, image};
use http_body_util::BodyExt;
use newsroom::graphql::ids::{Kind, encode};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::TestApp;
use crate::common::fixtures::{self, ArticleSpec, ago, now};

const SITE: &str = "http://localhost:3000";
const MEDIA: &str = "http://search.yahoo.com/mrss/";
const ATOM: &str = "http://www.w3.org/2005/Atom";

/// An answer as sent: status, headers and the body's text.
pub(crate) struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The cache tags the answer names, from `Surrogate-Key`.
    pub fn tags(&self) -> Vec<&str> {
        self.header("surrogate-key").split(' ').filter(|t| !t.is_empty()).collect()
    }
}

pub(crate) async fn fetch(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Raw {
    let mut request = Request::builder().method(Method::GET).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.expect("router answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Raw { status, headers, body: String::from_utf8(bytes.to_vec()).expect("UTF-8") }
}

/// What the scenarios look for in the publication.
pub(crate) struct Publication {
    pub world: entity::section::Model,
    pub africa: entity::section::Model,
    pub sport: entity::section::Model,
    pub lead: article::Model,
    pub lead_image: image::Model,
    pub expired_image: image::Model,
    pub writers: [entity::author::Model; 2],
    pub photographer: entity::author::Model,
    pub climate: entity::tag::Model,
    /// The articles readers may see, newest first.
    pub readable: Vec<article::Model>,
    /// Drafts, an embargoed, a future and a scheduled article: never shown.
    pub hidden: Vec<article::Model>,
    /// Articles of two months long past, oldest first.
    pub archive: Vec<article::Model>,
}

async fn set_access(app: &TestApp, article: article::Model, access: AccessLevel, teaser: i32) -> article::Model {
    let mut row = article.into_active_model();
    row.access = Set(access);
    row.teaser_blocks = Set(Some(teaser));
    row.update(&app.db).await.expect("update access")
}

async fn with_licence_until(app: &TestApp, image: image::Model, until: DateTime<Utc>) -> image::Model {
    let mut row = image.into_active_model();
    row.license_expires_at = Set(Some(until));
    row.copyright_holder = Set(Some("Agence France-Presse".into()));
    row.update(&app.db).await.expect("update image")
}

/// The publication: 55 older stories an hour apart (and half an hour off the hour), four
/// recent articles (a lead story with two writers, a photographer and a credited image;
/// a paywalled one; one whose image's licence ran out; one in a subsection), articles
/// readers never see, and three from January 2024 and December 2023.
pub(crate) async fn publication(app: &TestApp) -> Publication {
    let db = &app.db;
    let world = fixtures::section(db, "world", "World", None).await;
    let africa = fixtures::section(db, "africa", "Africa", Some(&world)).await;
    let sport = fixtures::section(db, "sport", "Sport", None).await;
    let writers =
        [fixtures::author(db, "ines-cole", "Ines Cole").await, fixtures::author(db, "tom-park", "Tom Park").await];
    let photographer = fixtures::author(db, "rafael-ortiz", "Rafael Ortiz").await;
    let climate = fixtures::tag(db, "climate", "Climate").await;
    let floods = fixtures::tag(db, "floods", "Floods").await;
    let credited = fixtures::image(db, Some("Wakil Kohsar"), Some("AFP"), Some("Getty Images"), None).await;
    let lead_image = with_licence_until(app, credited, now() + Duration::days(30)).await;
    let lapsed = fixtures::image(db, Some("Ann Lee"), None, None, None).await;
    let expired_image = with_licence_until(app, lapsed, ago(10)).await;

    let lead = fixtures::article(
        db,
        ArticleSpec {
            headline: "Floods reach the delta".into(),
            standfirst: Some("Water rose overnight.".into()),
            body: "A first paragraph about the delta.\n\nA second paragraph.".into(),
            lead_image: Some(&lead_image),
            authors: vec![&writers[0], &writers[1]],
            tags: vec![&climate, &floods],
            ..ArticleSpec::published("lead-story", &world, ago(5))
        },
    )
    .await;
    article_author::ActiveModel {
        article_id: Set(lead.id),
        author_id: Set(photographer.id),
        position: Set(2),
        role: Set(ContributorRole::Photographer),
    }
    .insert(db)
    .await
    .expect("insert photographer byline");
    let paywalled = fixtures::article(
        db,
        ArticleSpec {
            body: "Free teaser paragraph.\n\nSecret paid paragraph.".into(),
            authors: vec![&writers[0]],
            ..ArticleSpec::published("paywalled-story", &world, ago(20))
        },
    )
    .await;
    let paywalled = set_access(app, paywalled, AccessLevel::Subscriber, 1).await;
    let expired = fixtures::article(
        db,
        ArticleSpec {
            lead_image: Some(&expired_image),
            ..ArticleSpec::published("expired-image-story", &world, ago(25))
        },
    )
    .await;
    let in_africa = fixtures::article(
        db,
        ArticleSpec { tags: vec![&climate], ..ArticleSpec::published("africa-story", &africa, ago(30)) },
    )
    .await;
    let mut readable = vec![lead.clone(), paywalled, expired, in_africa];
    for n in 1..=55 {
        let spec = ArticleSpec::published(&format!("story-{n:02}"), &world, ago(n * 60 + 30));
        readable.push(fixtures::article(db, spec).await);
    }

    let mut hidden = vec![fixtures::article(db, ArticleSpec::draft("draft-story", &world)).await];
    let embargoed = fixtures::article(db, ArticleSpec::published("embargoed-story", &world, ago(15))).await;
    let mut row = embargoed.into_active_model();
    row.embargo_until = Set(Some(now() + Duration::days(1)));
    hidden.push(row.update(db).await.expect("embargo"));
    hidden
        .push(fixtures::article(db, ArticleSpec::published("future-story", &world, now() + Duration::hours(2))).await);
    let scheduled = ArticleSpec {
        status: ArticleStatus::Scheduled,
        published_at: None,
        scheduled_at: Some(now() + Duration::hours(3)),
        ..ArticleSpec::published("scheduled-story", &world, now())
    };
    hidden.push(fixtures::article(db, scheduled).await);

    let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
    let old_image = fixtures::image(db, Some("Old Hand"), None, None, None).await;
    let old_lapsed = with_licence_until(app, fixtures::image(db, None, Some("AP"), None, None).await, ago(60)).await;
    let archive = vec![
        fixtures::article(
            db,
            ArticleSpec {
                lead_image: Some(&old_lapsed),
                ..ArticleSpec::published("december-story", &sport, at("2023-12-31T23:30:00Z"))
            },
        )
        .await,
        fixtures::article(db, ArticleSpec::published("january-story", &africa, at("2024-01-15T08:00:00Z"))).await,
        fixtures::article(
            db,
            ArticleSpec {
                lead_image: Some(&old_image),
                ..ArticleSpec::published("late-january-story", &sport, at("2024-01-31T23:59:00Z"))
            },
        )
        .await,
    ];
    Publication {
        world,
        africa,
        sport,
        lead,
        lead_image,
        expired_image,
        writers,
        photographer,
        climate,
        readable,
        hidden,
        archive,
    }
}

fn parsed(raw: &Raw) -> feed_rs::model::Feed {
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.body);
    feed_rs::parser::parse(raw.body.as_bytes()).unwrap_or_else(|e| panic!("the feed does not parse: {e}\n{}", raw.body))
}

const FORMATS: [&str; 3] = ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"];

/// The article addresses of a feed, in order.
fn links(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|entry| {
            let link = entry.links.iter().find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"));
            link.unwrap_or_else(|| panic!("an item without a link: {entry:?}")).href.clone()
        })
        .collect()
}

fn url_of(slug: &str, path: &str) -> String {
    format!("{SITE}/{path}/{slug}")
}

async fn the_site_feed_holds_the_newest_fifty_readers_may_see(app: TestApp) {
    let paper = publication(&app).await;
    // Newest first: the four recent articles, then the stories down to the 46th.
    let expected: Vec<String> = paper.readable[..50]
        .iter()
        .map(|a| url_of(&a.slug, if a.section_id == paper.africa.id { "world/africa" } else { "world" }))
        .collect();
    assert_eq!(expected[3], format!("{SITE}/world/africa/africa-story"));
    for path in FORMATS {
        let raw = fetch(&app, path, &[]).await;
        let feed = parsed(&raw);
        assert_eq!(feed.entries.len(), 50, "{path}");
        assert_eq!(links(&feed), expected, "{path}: newest first, from the site's address");
        let published: Vec<DateTime<Utc>> = feed.entries.iter().map(|e| e.published.expect("published")).collect();
        assert!(published.windows(2).all(|pair| pair[0] > pair[1]), "{path}: {published:?}");
        assert_eq!(published[0].timestamp(), paper.lead.published_at.unwrap().timestamp(), "{path}");
        assert_eq!(feed.title.as_ref().map(|t| t.content.as_str()), Some("newsroom"), "{path}");
        let newest_update = paper.readable[..50].iter().map(|a| a.updated_at).max().unwrap();
        if !path.ends_with(".json") {
            // JSON Feed has no feed-level date.
            assert_eq!(feed.updated.map(|at| at.timestamp()), Some(newest_update.timestamp()), "{path}");
        }
        for hidden in paper.hidden.iter().chain(&paper.readable[50..]).chain(&paper.archive) {
            assert!(!raw.body.contains(&format!("/{}", hidden.slug)), "{path} shows {}", hidden.slug);
        }
        assert!(!raw.body.contains(&paper.expired_image.url), "{path} shows an image whose licence ran out");
    }
    let rss = parsed(&fetch(&app, "/feeds/rss.xml", &[]).await);
    assert_eq!(rss.language.as_deref(), Some("en"));
    assert_eq!(rss.links.first().map(|l| l.href.trim_end_matches('/')), Some(SITE));
    let atom = fetch(&app, "/feeds/atom.xml", &[]).await;
    let document = roxmltree::Document::parse(&atom.body).unwrap();
    let self_link =
        document.descendants().find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("self"));
    assert_eq!(self_link.and_then(|n| n.attribute("href")), Some("http://localhost:3000/feeds/atom.xml"));
    // Atom wants an author for each entry: the publication, for the stories without a writer.
    let publisher = document.root_element().children().find(|n| n.has_tag_name((ATOM, "author")));
    let name = publisher.and_then(|p| p.children().find(|n| n.has_tag_name((ATOM, "name")))).and_then(|n| n.text());
    assert_eq!(name, Some("newsroom"));
    let json: Value = serde_json::from_str(&fetch(&app, "/feeds/feed.json", &[]).await.body).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], "http://localhost:3000/feeds/feed.json");
    assert_eq!(json["language"], "en");
}
on_both!(the_site_feed_holds_the_newest_fifty_readers_may_see);

async fn items_carry_their_authors_categories_and_credited_image(app: TestApp) {
    let paper = publication(&app).await;
    let image = &paper.lead_image;
    let lead_url = url_of("lead-story", "world");
    for path in FORMATS {
        let feed = parsed(&fetch(&app, path, &[]).await);
        let lead = &feed.entries[0];
        assert_eq!(lead.title.as_ref().unwrap().content, "Floods reach the delta", "{path}");
        assert_eq!(lead.summary.as_ref().map(|s| s.content.as_str()), Some("Water rose overnight."), "{path}");
        let authors: Vec<&str> = lead.authors.iter().filter_map(|p| p.name.as_deref()).collect();
        assert_eq!(authors, ["Ines Cole", "Tom Park"], "{path}: every writer, and only the writers");
        let categories: Vec<&str> = lead.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(categories, ["World", "Climate", "Floods"], "{path}");
        assert!(
            lead.id.starts_with("tag:localhost,") && lead.id.ends_with(&format!(":article:{}", paper.lead.id)),
            "{}",
            lead.id
        );
        // The item without an image carries none: its licence ran out.
        let expired =
            feed.entries.iter().find(|e| links_of(e).contains(&url_of("expired-image-story", "world"))).unwrap();
        assert!(expired.media.iter().all(|m| m.content.is_empty() && m.thumbnails.is_empty()), "{path}: {expired:?}");
    }
    assert_eq!(links_of(&parsed(&fetch(&app, "/feeds/rss.xml", &[]).await).entries[0]), vec![lead_url]);

    // RSS: Media RSS with its size, caption, every part of the credit and the rights.
    let rss = fetch(&app, "/feeds/rss.xml", &[]).await;
    let feed = parsed(&rss);
    let media = &feed.entries[0].media[0];
    assert_eq!(media.content[0].url.as_ref().map(|u| u.as_str()), Some(image.url.as_str()));
    assert_eq!((media.content[0].width, media.content[0].height), (Some(1600), Some(900)));
    let document = roxmltree::Document::parse(&rss.body).unwrap();
    let item = document.descendants().find(|n| n.has_tag_name("item")).unwrap();
    let guid = item.children().find(|n| n.has_tag_name("guid")).unwrap();
    assert_eq!(guid.attribute("isPermaLink"), Some("false"), "a tag URI is no address");
    let creators: Vec<&str> = item
        .children()
        .filter(|n| n.has_tag_name(("http://purl.org/dc/elements/1.1/", "creator")))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(creators, ["Ines Cole", "Tom Park"]);
    let content = item.children().find(|n| n.has_tag_name((MEDIA, "content"))).expect("media:content");
    assert_eq!(content.attribute("medium"), Some("image"));
    assert_eq!(content.attribute("type"), Some("image/jpeg"));
    assert_eq!((content.attribute("width"), content.attribute("height")), (Some("1600"), Some("900")));
    let child = |name: &'static str| content.children().filter(move |n| n.has_tag_name((MEDIA, name)));
    let credits: Vec<(Option<&str>, Option<&str>)> = child("credit").map(|n| (n.attribute("role"), n.text())).collect();
    assert_eq!(
        credits,
        [
            (Some("photographer"), Some("Wakil Kohsar")),
            (Some("agency"), Some("AFP")),
            (Some("distributor"), Some("Getty Images"))
        ]
    );
    assert_eq!(child("description").next().and_then(|n| n.text()), image.caption.as_deref());
    assert_eq!(child("copyright").next().and_then(|n| n.text()), Some("Agence France-Presse"));
    let updated = item.children().find(|n| n.has_tag_name((ATOM, "updated"))).and_then(|n| n.text());
    assert!(updated.is_some(), "the update time rides along as atom:updated");

    // Atom: each author, the photographer as a contributor, the image as an enclosure.
    let atom = parsed(&fetch(&app, "/feeds/atom.xml", &[]).await);
    let lead = &atom.entries[0];
    assert_eq!(lead.authors[0].uri.as_deref(), Some("http://localhost:3000/authors/ines-cole"));
    assert_eq!(lead.contributors.iter().filter_map(|p| p.name.as_deref()).collect::<Vec<_>>(), ["Rafael Ortiz"]);
    let enclosure = lead.links.iter().find(|l| l.rel.as_deref() == Some("enclosure")).expect("an enclosure");
    assert_eq!(enclosure.href, image.url);
    assert_eq!(
        lead.media[0].credits.iter().map(|c| c.entity.as_str()).collect::<Vec<_>>(),
        ["Wakil Kohsar", "AFP", "Getty Images"]
    );

    // JSON Feed: the image, and its credit in an extension.
    let json: Value = serde_json::from_str(&fetch(&app, "/feeds/feed.json", &[]).await.body).unwrap();
    let lead = &json["items"][0];
    assert_eq!(lead["image"], image.url.as_str());
    assert_eq!(lead["_image"]["credit"], "Wakil Kohsar/AFP via Getty Images");
    assert_eq!(lead["authors"][1], json!({ "name": "Tom Park", "url": "http://localhost:3000/authors/tom-park" }));
    assert_eq!(lead["tags"], json!(["World", "Climate", "Floods"]));
    let expired =
        json["items"].as_array().unwrap().iter().find(|i| i["url"] == url_of("expired-image-story", "world")).unwrap();
    assert!(expired.get("image").is_none() && expired.get("_image").is_none(), "{expired}");
}
on_both!(items_carry_their_authors_categories_and_credited_image);

fn links_of(entry: &feed_rs::model::Entry) -> Vec<String> {
    entry
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .map(|l| l.href.clone())
        .collect()
}

async fn full_text_only_when_the_site_turns_it_on_and_never_past_a_teaser(app: TestApp) {
    publication(&app).await;
    for path in FORMATS {
        let raw = fetch(&app, path, &[]).await;
        let feed = parsed(&raw);
        if path.ends_with(".json") {
            let json: Value = serde_json::from_str(&raw.body).unwrap();
            let items = json["items"].as_array().unwrap();
            assert!(items.iter().all(|i| i.get("content_html").is_none()), "no body by default");
            // JSON Feed wants content of some kind: the standfirst stands in.
            assert_eq!(items[0]["content_text"], "Water rose overnight.");
        } else {
            assert!(feed.entries.iter().all(|e| e.content.is_none()), "{path}: no body by default");
        }
        for words in ["A first paragraph about the delta", "Free teaser paragraph", "Secret paid paragraph"] {
            assert!(!raw.body.contains(words), "{path}: {words}");
        }
    }
    let full = app.reconfigured(|config| config.feed_full_text = true).await;
    for path in FORMATS {
        let raw = fetch(&full, path, &[]).await;
        let feed = parsed(&raw);
        let body = |slug: &str| {
            let entry = feed.entries.iter().find(|e| links_of(e).iter().any(|l| l.ends_with(&format!("/{slug}"))));
            entry.and_then(|e| e.content.as_ref()).and_then(|c| c.body.clone()).unwrap_or_default()
        };
        assert!(body("lead-story").contains("<p>A second paragraph.</p>"), "{path}: {}", body("lead-story"));
        assert!(body("paywalled-story").contains("Free teaser paragraph."), "{path}");
        assert!(!raw.body.contains("Secret paid paragraph"), "{path}: the paywalled body past its teaser");
    }
}
on_both!(full_text_only_when_the_site_turns_it_on_and_never_past_a_teaser);

async fn a_correction_shows_as_the_items_update(app: TestApp) {
    let paper = publication(&app).await;
    let before = fetch(&app, "/feeds/atom.xml", &[]).await;
    let first = parsed(&before).entries[0].clone();
    assert_eq!(first.updated.map(|at| at.timestamp()), Some(paper.lead.updated_at.timestamp()));
    let (_, editor) = app.staff(Role::Editor).await;
    app.query_as(
        &editor,
        r#"mutation($a: ID!) { addCorrection(articleId: $a, kind: CORRECTION, text: "The river was misnamed.") { id } }"#,
        json!({ "a": encode(Kind::Article, paper.lead.id) }),
    )
    .await;
    let corrected =
        newsroom::domain::articles::find_by_id(&app.db, &newsroom::domain::Viewer::Anonymous, paper.lead.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at;
    assert!(corrected > paper.lead.updated_at);
    for path in FORMATS {
        let feed = parsed(&fetch(&app, path, &[]).await);
        let lead = &feed.entries[0];
        assert_eq!(lead.updated.map(|at| at.timestamp()), Some(corrected.timestamp()), "{path}");
        assert_eq!(lead.published.map(|at| at.timestamp()), paper.lead.published_at.map(|at| at.timestamp()), "{path}");
        if !path.ends_with(".json") {
            assert_eq!(feed.updated.map(|at| at.timestamp()), Some(corrected.timestamp()), "{path}: the feed's update");
        }
    }
    let after = fetch(&app, "/feeds/atom.xml", &[("if-none-match", before.header("etag"))]).await;
    assert_eq!(after.status, StatusCode::OK, "the old validator no longer matches");
}
on_both!(a_correction_shows_as_the_items_update);

async fn section_tag_and_author_feeds(app: TestApp) {
    publication(&app).await;
    let africa_story = format!("{SITE}/world/africa/africa-story");
    let world = parsed(&fetch(&app, "/feeds/rss.xml?section=world", &[]).await);
    assert_eq!(world.title.as_ref().unwrap().content, "newsroom: World");
    assert_eq!(world.entries.len(), 50);
    assert!(links(&world).contains(&africa_story), "a section's feed has its subsections' articles");
    assert_eq!(world.links[0].href, format!("{SITE}/world"));
    for path in FORMATS {
        let africa = parsed(&fetch(&app, &format!("{path}?section=africa"), &[]).await);
        assert_eq!(links(&africa), [africa_story.clone(), format!("{SITE}/world/africa/january-story")], "{path}");
        let sport = parsed(&fetch(&app, &format!("{path}?section=sport"), &[]).await);
        assert_eq!(links(&sport), [format!("{SITE}/sport/late-january-story"), format!("{SITE}/sport/december-story")]);

        let climate = parsed(&fetch(&app, &format!("{path}?tag=climate"), &[]).await);
        assert_eq!(climate.title.as_ref().unwrap().content, "newsroom: Climate", "{path}");
        assert_eq!(links(&climate), [url_of("lead-story", "world"), africa_story.clone()], "{path}");

        let ines = parsed(&fetch(&app, &format!("{path}?author=ines-cole"), &[]).await);
        assert_eq!(ines.title.as_ref().unwrap().content, "newsroom: Ines Cole", "{path}");
        assert_eq!(links(&ines), [url_of("lead-story", "world"), url_of("paywalled-story", "world")], "{path}");
        // A photographer's articles are theirs too.
        let rafael = parsed(&fetch(&app, &format!("{path}?author=rafael-ortiz"), &[]).await);
        assert_eq!(links(&rafael), [url_of("lead-story", "world")], "{path}");
    }
    let atom = fetch(&app, "/feeds/atom.xml?tag=climate", &[]).await;
    let document = roxmltree::Document::parse(&atom.body).unwrap();
    let link = |rel: &str| {
        let found = document
            .root_element()
            .children()
            .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some(rel));
        found.and_then(|n| n.attribute("href")).map(str::to_owned)
    };
    assert_eq!(link("self").as_deref(), Some("http://localhost:3000/feeds/atom.xml?tag=climate"));
    assert_eq!(link("alternate").as_deref(), Some("http://localhost:3000/tags/climate"));
    let json: Value = serde_json::from_str(&fetch(&app, "/feeds/feed.json?author=ines-cole", &[]).await.body).unwrap();
    assert_eq!(json["home_page_url"], "http://localhost:3000/authors/ines-cole");
    assert_eq!(json["feed_url"], "http://localhost:3000/feeds/feed.json?author=ines-cole");
}
on_both!(section_tag_and_author_feeds);

async fn unknown_slugs_and_queries_a_feed_does_not_take_are_refused_in_plain_text(app: TestApp) {
    publication(&app).await;
    for path in FORMATS {
        for (query, status, says) in [
            ("section=nowhere", StatusCode::NOT_FOUND, "no section with slug `nowhere`"),
            ("tag=nothing", StatusCode::NOT_FOUND, "no tag with slug `nothing`"),
            ("author=nobody", StatusCode::NOT_FOUND, "no author with slug `nobody`"),
            ("section=world&tag=climate", StatusCode::BAD_REQUEST, "at most one of `section`, `tag` and `author`"),
            ("section=world&section=africa", StatusCode::BAD_REQUEST, "at most one"),
            ("page=2", StatusCode::BAD_REQUEST, "unknown parameter `page`"),
        ] {
            let answer = fetch(&app, &format!("{path}?{query}"), &[]).await;
            assert_eq!(answer.status, status, "{path}?{query}: {}", answer.body);
            assert_eq!(answer.header("content-type"), "text/plain; charset=utf-8", "{path}?{query}");
            assert!(answer.body.contains(says), "{path}?{query}: {}", answer.body);
        }
    }
    // Until a section by that slug exists.
    let missing = fetch(&app, "/feeds/rss.xml?section=nowhere", &[]).await;
    assert_eq!(missing.tags(), ["sections"]);
    let refused = fetch(&app, "/feeds/rss.xml?page=2", &[]).await;
    assert_eq!(refused.header("cache-control"), "no-store");
}
on_both!(unknown_slugs_and_queries_a_feed_does_not_take_are_refused_in_plain_text);

async fn feeds_carry_validators_cache_control_and_the_tags_of_what_they_read(app: TestApp) {
    let paper = publication(&app).await;
    for (path, media_type) in FORMATS.iter().zip([
        "application/rss+xml; charset=utf-8",
        "application/atom+xml; charset=utf-8",
        "application/feed+json; charset=utf-8",
    ]) {
        let first = fetch(&app, path, &[]).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("content-type"), media_type);
        assert_eq!(first.header("cache-control"), "public, max-age=30, stale-while-revalidate=60");
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.len() == 34, "{path}: {etag}");
        let again = fetch(&app, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
        assert_eq!(fetch(&app, path, &[("if-none-match", "\"other\"")]).await.status, StatusCode::OK);

        let tags = first.tags();
        let lead = paper.lead.id;
        for tag in [
            "articles".to_owned(),
            "sections".to_owned(),
            format!("article-{lead}"),
            format!("image-{}", paper.lead_image.id),
            format!("author-{}", paper.writers[1].id),
            format!("author-{}", paper.photographer.id),
            format!("tag-{}", paper.climate.id),
        ] {
            assert!(tags.contains(&tag.as_str()), "{path}: {tag} in {tags:?}");
        }
        assert_eq!(first.header("cache-tag").split(',').count(), tags.len(), "{path}: Cache-Tag names the same");
    }
    let world = fetch(&app, "/feeds/rss.xml?section=world", &[]).await.tags().join(" ");
    for tag in [format!("section-articles-{}", paper.world.id), format!("section-articles-{}", paper.africa.id)] {
        assert!(world.split(' ').any(|t| t == tag), "{tag} in {world}");
    }
    assert!(!world.split(' ').any(|t| t == "articles"), "{world}");
    let climate = fetch(&app, "/feeds/atom.xml?tag=climate", &[]).await.tags().join(" ");
    assert!(climate.split(' ').any(|t| t == format!("tag-articles-{}", paper.climate.id)), "{climate}");
    let ines = fetch(&app, "/feeds/feed.json?author=ines-cole", &[]).await.tags().join(" ");
    assert!(ines.split(' ').any(|t| t == format!("author-articles-{}", paper.writers[0].id)), "{ines}");
}
on_both!(feeds_carry_validators_cache_control_and_the_tags_of_what_they_read);

async fn a_feed_reads_in_as_many_statements_whatever_its_size(app: TestApp) {
    publication(&app).await;
    let full = app.reconfigured(|config| config.feed_full_text = true).await;
    // The section tree is read once and kept.
    fetch(&full, "/feeds/rss.xml", &[]).await;
    let statements = |uri: &'static str| {
        let full = &full;
        async move {
            let before = full.statements.get();
            let raw = fetch(full, uri, &[]).await;
            assert_eq!(raw.status, StatusCode::OK, "{uri}");
            full.statements.get() - before
        }
    };
    let (two, fifty) = (statements("/feeds/rss.xml?section=sport").await, statements("/feeds/rss.xml").await);
    assert_eq!(two, fifty, "two items and fifty (with bylines, tags, images and bodies) read alike");
    assert!(fifty <= 8, "{fifty} statements");
    let (tag, author) =
        (statements("/feeds/atom.xml?tag=climate").await, statements("/feeds/feed.json?author=ines-cole").await);
    assert_eq!(tag, author);
    assert!(tag <= fifty + 2, "{tag}: the slug's lookup and no more");
}
on_both!(a_feed_reads_in_as_many_statements_whatever_its_size);

async fn the_readme_feed_example_answers_on_the_demo(app: TestApp) {
    assert!(newsroom::demo::load(&app.db).await.unwrap());
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("http://127.0.0.1:8080/feeds/").expect("the README shows a feed");
    let end = start + readme[start..].find('`').unwrap();
    let path = readme[start..end].trim_start_matches("http://127.0.0.1:8080");
    assert_eq!(path, "/feeds/rss.xml?section=world");
    let feed = parsed(&fetch(&app, path, &[]).await);
    assert!(feed.entries.len() >= 3, "{}", feed.entries.len());
    assert!(links(&feed).iter().all(|link| link.starts_with(&format!("{SITE}/world/"))), "{:?}", links(&feed));
    assert!(feed.entries.iter().any(|e| !e.media.is_empty()), "demo articles lead with credited images");
}
on_both!(the_readme_feed_example_answers_on_the_demo);
