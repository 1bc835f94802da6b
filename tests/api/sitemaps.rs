//! Sitemaps as a search engine reads them: the index of monthly article sitemaps and the
//! sections', each month's articles with their lead images while the licences last, and
//! the Google News sitemap of the last 48 hours. Read back with an XML parser.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::section;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use crate::common::TestApp;
use crate::common::fixtures::now;
use crate::feeds::{Raw, fetch, publication};

const SITE: &str = "http://localhost:3000";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const IMAGE: &str = "http://www.google.com/schemas/sitemap-image/1.1";
const NEWS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

fn w3c(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One `<url>` or `<sitemap>` entry: its `loc`, `lastmod` and image addresses.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    loc: String,
    lastmod: Option<String>,
    images: Vec<String>,
}

fn entries(raw: &Raw, root: &str) -> Vec<Entry> {
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.body);
    assert_eq!(raw.header("content-type"), "application/xml; charset=utf-8");
    let document = roxmltree::Document::parse(&raw.body).unwrap_or_else(|e| panic!("{e}\n{}", raw.body));
    assert!(document.root_element().has_tag_name((SITEMAP, root)), "{}", raw.body);
    let text = |node: roxmltree::Node, ns: &str, name: &str| {
        node.children().find(|n| n.has_tag_name((ns, name))).and_then(|n| n.text()).map(str::to_owned)
    };
    document
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|entry| Entry {
            loc: text(entry, SITEMAP, "loc").expect("a loc"),
            lastmod: text(entry, SITEMAP, "lastmod"),
            images: entry
                .children()
                .filter(|n| n.has_tag_name((IMAGE, "image")))
                .map(|image| text(image, IMAGE, "loc").expect("image:loc"))
                .collect(),
        })
        .collect()
}

fn month_of(time: DateTime<Utc>) -> String {
    time.format("%Y-%m").to_string()
}

async fn the_index_lists_every_month_and_the_sections(app: TestApp) {
    let paper = publication(&app).await;
    let mut months: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for article in paper.readable.iter().chain(&paper.archive) {
        let newest = months.entry(month_of(article.published_at.unwrap())).or_insert(article.updated_at);
        *newest = (*newest).max(article.updated_at);
    }
    assert!(months.contains_key("2023-12") && months.contains_key("2024-01"));
    let index = entries(&fetch(&app, "/sitemap.xml", &[]).await, "sitemapindex");
    let mut expected: Vec<Entry> = months
        .iter()
        .rev()
        .map(|(month, newest)| Entry {
            loc: format!("{SITE}/sitemaps/articles-{month}.xml"),
            lastmod: Some(w3c(*newest)),
            images: vec![],
        })
        .collect();
    let sections_updated = [&paper.world, &paper.africa, &paper.sport].iter().map(|s| s.updated_at).max().unwrap();
    let newest_article = months.values().max().copied().unwrap();
    expected.push(Entry {
        loc: format!("{SITE}/sitemaps/sections.xml"),
        lastmod: Some(w3c(sections_updated.max(newest_article))),
        images: vec![],
    });
    assert_eq!(index, expected);

    // Every article readers may see is in its month's sitemap, once; no other is anywhere.
    let mut listed = Vec::new();
    for entry in &index[..index.len() - 1] {
        let path = entry.loc.trim_start_matches(SITE);
        listed.extend(entries(&fetch(&app, path, &[]).await, "urlset").into_iter().map(|e| e.loc));
    }
    let mut expected: Vec<String> = paper
        .readable
        .iter()
        .chain(&paper.archive)
        .map(|a| {
            let path = match a.section_id {
                id if id == paper.africa.id => "world/africa",
                id if id == paper.sport.id => "sport",
                _ => "world",
            };
            format!("{SITE}/{path}/{}", a.slug)
        })
        .collect();
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
}
on_both!(the_index_lists_every_month_and_the_sections);

async fn a_month_lists_its_articles_with_their_images_while_the_licences_last(app: TestApp) {
    let paper = publication(&app).await;
    let [december, january, late_january] = [&paper.archive[0], &paper.archive[1], &paper.archive[2]];
    let old_image = fetch(&app, "/sitemaps/articles-2024-01.xml", &[]).await;
    let urls = entries(&old_image, "urlset");
    assert_eq!(
        urls,
        [
            Entry {
                loc: format!("{SITE}/sport/late-january-story"),
                lastmod: Some(w3c(late_january.updated_at)),
                images: vec![image_url(&app, late_january.lead_image_id.unwrap()).await],
            },
            Entry {
                loc: format!("{SITE}/world/africa/january-story"),
                lastmod: Some(w3c(january.updated_at)),
                images: vec![]
            },
        ],
        "newest first; an article published at 23:59 UTC on the 31st is January's"
    );
    // Published half an hour before the new year (UTC); its image's licence has run out.
    let urls = entries(&fetch(&app, "/sitemaps/articles-2023-12.xml", &[]).await, "urlset");
    assert_eq!(
        urls,
        [Entry {
            loc: format!("{SITE}/sport/december-story"),
            lastmod: Some(w3c(december.updated_at)),
            images: vec![]
        }]
    );

    let this_month = format!("/sitemaps/articles-{}.xml", month_of(paper.lead.published_at.unwrap()));
    let raw = fetch(&app, &this_month, &[]).await;
    let urls = entries(&raw, "urlset");
    let lead = urls.iter().find(|e| e.loc == format!("{SITE}/world/lead-story")).expect("the lead story");
    assert_eq!(lead.images, vec![paper.lead_image.url.clone()]);
    assert_eq!(lead.lastmod, Some(w3c(paper.lead.updated_at)));
    assert!(!raw.body.contains(&paper.expired_image.url), "an image whose licence ran out");
    for hidden in &paper.hidden {
        assert!(!raw.body.contains(&format!("/{}<", hidden.slug)), "{}", hidden.slug);
    }
    let document = roxmltree::Document::parse(&raw.body).unwrap();
    assert_eq!(document.root_element().lookup_namespace_uri(Some("image")), Some(IMAGE));
    let tags = raw.tags();
    for tag in ["articles", "search", "sections"]
        .into_iter()
        .map(String::from)
        .chain([format!("image-{}", paper.lead_image.id)])
    {
        assert!(tags.contains(&tag.as_str()), "{tag} in {tags:?}");
    }

    for missing in [
        "/sitemaps/articles-2020-05.xml",
        "/sitemaps/articles-2024-01-2.xml",
        "/sitemaps/articles-2024-13.xml",
        "/sitemaps/other.xml",
    ] {
        let answer = fetch(&app, missing, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(answer.header("content-type"), "text/plain; charset=utf-8", "{missing}");
        assert!(answer.body.starts_with("no sitemap `"), "{missing}: {}", answer.body);
    }
}
on_both!(a_month_lists_its_articles_with_their_images_while_the_licences_last);

async fn image_url(app: &TestApp, id: i64) -> String {
    use sea_orm::EntityTrait;
    entity::image::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().url
}

async fn the_sections_sitemap_lists_every_front_with_its_newest_update(app: TestApp) {
    let paper = publication(&app).await;
    // Sections last changed long ago: their articles' updates date them.
    let long_ago: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    for section in [&paper.world, &paper.africa, &paper.sport] {
        let mut row: section::ActiveModel = section.clone().into_active_model();
        row.updated_at = Set(long_ago);
        row.update(&app.db).await.unwrap();
    }
    let mut urls = entries(&fetch(&app, "/sitemaps/sections.xml", &[]).await, "urlset");
    urls.sort_by(|a, b| a.loc.cmp(&b.loc));
    let newest_in = |section: i64| {
        paper
            .readable
            .iter()
            .chain(&paper.archive)
            .filter(|a| a.section_id == section)
            .map(|a| a.updated_at)
            .max()
            .unwrap()
    };
    let (world, africa, sport) = (newest_in(paper.world.id), newest_in(paper.africa.id), newest_in(paper.sport.id));
    assert_eq!(
        urls,
        [
            Entry { loc: format!("{SITE}/sport"), lastmod: Some(w3c(sport)), images: vec![] },
            Entry { loc: format!("{SITE}/world"), lastmod: Some(w3c(world.max(africa))), images: vec![] },
            Entry { loc: format!("{SITE}/world/africa"), lastmod: Some(w3c(africa)), images: vec![] },
        ]
    );
    assert_eq!(w3c(sport), "2024-01-31T23:59:00Z");
}
on_both!(the_sections_sitemap_lists_every_front_with_its_newest_update);

async fn the_news_sitemap_holds_the_last_48_hours(app: TestApp) {
    let paper = publication(&app).await;
    let app = app.reconfigured(|config| config.site_language = "en-GB".into()).await;
    let raw = fetch(&app, "/sitemaps/news.xml", &[]).await;
    let urls = entries(&raw, "urlset");
    let since = now() - Duration::hours(48);
    let expected: Vec<&entity::article::Model> =
        paper.readable.iter().filter(|a| a.published_at.unwrap() >= since).collect();
    assert_eq!(expected.len(), 51, "four recent articles and 47 stories");
    let locs: Vec<&str> = urls.iter().map(|e| e.loc.rsplit('/').next().unwrap()).collect();
    assert_eq!(locs, expected.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(), "newest first");
    assert!(!locs.contains(&"story-48"), "published 48 and a half hours ago");

    let document = roxmltree::Document::parse(&raw.body).unwrap();
    assert_eq!(document.root_element().lookup_namespace_uri(Some("news")), Some(NEWS));
    let first = document.root_element().children().find(|n| n.is_element()).unwrap();
    let news = first.children().find(|n| n.has_tag_name((NEWS, "news"))).expect("news:news");
    let field = |parent: roxmltree::Node, name: &str| {
        parent.children().find(|n| n.has_tag_name((NEWS, name))).and_then(|n| n.text()).map(str::to_owned)
    };
    let publication = news.children().find(|n| n.has_tag_name((NEWS, "publication"))).expect("news:publication");
    assert_eq!(field(publication, "name").as_deref(), Some("newsroom"));
    assert_eq!(field(publication, "language").as_deref(), Some("en"), "an ISO 639 code, as Google News asks");
    assert_eq!(field(news, "publication_date"), Some(w3c(paper.lead.published_at.unwrap())));
    assert_eq!(field(news, "title").as_deref(), Some("Floods reach the delta"));
    for hidden in &paper.hidden {
        assert!(!raw.body.contains(&format!("/{}<", hidden.slug)), "{}", hidden.slug);
    }
}
on_both!(the_news_sitemap_holds_the_last_48_hours);

async fn sitemaps_carry_validators_cache_control_and_tags(app: TestApp) {
    publication(&app).await;
    for path in ["/sitemap.xml", "/sitemaps/sections.xml", "/sitemaps/news.xml", "/sitemaps/articles-2024-01.xml"] {
        let first = fetch(&app, path, &[]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        assert_eq!(first.header("cache-control"), "public, max-age=30, stale-while-revalidate=60", "{path}");
        let etag = first.header("etag").to_owned();
        let again = fetch(&app, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty(), "{path}");
        for tag in ["articles", "search", "sections"] {
            assert!(first.tags().contains(&tag), "{path}: {tag} in {:?}", first.tags());
        }
        assert!(!first.header("cache-tag").is_empty(), "{path}");
    }
}
on_both!(sitemaps_carry_validators_cache_control_and_tags);
