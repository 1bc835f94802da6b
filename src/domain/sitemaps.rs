//! Sitemaps for search engines (sitemaps.org 0.9, with Google's image and news
//! extensions): an index of one article sitemap per month of publication and one of the
//! section fronts, and a news sitemap of the last 48 hours. They list what anonymous
//! readers may see: never a draft, an article under embargo or one whose time has not
//! come, never an image whose licence has run out.
//!
//! A month holds at most [`MAX_URLS`] articles a file: a busier month is split into pages,
//! `articles-2026-03.xml` (the newest), `articles-2026-03-2.xml` and on, each listed in the
//! index with the month's newest update as its `lastmod`.

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use entity::{article, image};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JoinType, Order, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
};

use super::changes::Tag;
use super::feeds::xml_text;
use super::sections::SectionTree;
use super::site::{Address, Site};
use super::{Error, Viewer, articles, images};

/// The most URLs one sitemap file holds (the protocol's limit). At the usual length of
/// article and image addresses (a few hundred bytes an entry) a full file stays well
/// under the protocol's 50 MB.
pub const MAX_URLS: u64 = 50_000;

/// How far back the news sitemap reaches, as Google News asks.
pub const NEWS_WINDOW: Duration = Duration::hours(48);

/// The most articles the news sitemap lists (Google News' limit).
pub const NEWS_MAX: u64 = 1_000;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const IMAGE_NS: &str = "http://www.google.com/schemas/sitemap-image/1.1";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// Why a sitemap cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("no sitemap `{0}`")]
    NotFound(String),
    #[error("the sitemap could not be written: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Domain(#[from] Error),
}

impl From<sea_orm::DbErr> for SitemapError {
    fn from(error: sea_orm::DbErr) -> Self {
        SitemapError::Domain(Error::Database(error))
    }
}

/// A sitemap as written, and the cache tags of what it read.
#[derive(Debug)]
pub struct Sitemap {
    pub xml: Vec<u8>,
    pub read: Vec<Tag>,
}

/// A file under `/sitemaps/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// One page of the articles published in a month.
    Month(MonthPage),
    Sections,
    News,
}

/// A page of a month's articles: page 1 is the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthPage {
    pub year: i32,
    pub month: u32,
    pub page: u64,
}

impl File {
    /// The file a name under `/sitemaps/` names: `articles-2026-03.xml`,
    /// `articles-2026-03-2.xml`, `sections.xml` or `news.xml`.
    pub fn parse(name: &str) -> Option<File> {
        match name {
            "sections.xml" => return Some(File::Sections),
            "news.xml" => return Some(File::News),
            _ => {}
        }
        let rest = name.strip_prefix("articles-")?.strip_suffix(".xml")?;
        let (year, rest) = rest.split_once('-')?;
        let (month, page) = match rest.split_once('-') {
            Some((month, page)) => (month, Some(page)),
            None => (rest, None),
        };
        let digits = |text: &str, length: usize| text.len() == length && text.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let page = match page {
            None => 1,
            // One name for each page: no `-1`, no leading zeros.
            Some(page) if page.starts_with('0') || page.len() > 6 || !page.bytes().all(|b| b.is_ascii_digit()) => {
                return None;
            }
            Some(page) => page.parse().ok().filter(|page| *page >= 2)?,
        };
        let page = MonthPage { year: year.parse().ok()?, month: month.parse().ok()?, page };
        page.range()?;
        Some(File::Month(page))
    }

    /// Where the file is, from the site's root.
    pub fn path(&self) -> String {
        match self {
            File::Sections => "/sitemaps/sections.xml".into(),
            File::News => "/sitemaps/news.xml".into(),
            File::Month(MonthPage { year, month, page: 1 }) => format!("/sitemaps/articles-{year:04}-{month:02}.xml"),
            File::Month(MonthPage { year, month, page }) => {
                format!("/sitemaps/articles-{year:04}-{month:02}-{page}.xml")
            }
        }
    }
}

impl MonthPage {
    /// From the start of the month to the start of the next, when the month exists.
    fn range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !(1..=12).contains(&self.month) || self.year < 1 {
            return None;
        }
        let start = Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0).single()?;
        let (year, month) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        let end = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()?;
        Some((start, end))
    }

    fn name(&self) -> String {
        File::Month(*self).path().trim_start_matches("/sitemaps/").to_owned()
    }
}

/// A W3C datetime at the second, as sitemaps write them.
fn w3c(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `YYYY-MM` of an article's publication, in UTC, as each database writes it.
fn month_of_publication(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust(r#"to_char("articles"."published_at" AT TIME ZONE 'UTC', 'YYYY-MM')"#),
        _ => Expr::cust(r#"strftime('%Y-%m', "articles"."published_at")"#),
    }
}

fn readable() -> sea_orm::Condition {
    articles::visible_to(&Viewer::Anonymous, super::now())
}

/// Each month with articles readers may see, newest first: how many, and their newest update.
async fn months(db: &impl ConnectionTrait) -> Result<Vec<(i32, u32, u64, DateTime<Utc>)>, SitemapError> {
    let month = month_of_publication(db.get_database_backend());
    let rows: Vec<(String, i64, DateTime<Utc>)> = article::Entity::find()
        .select_only()
        .column_as(month.clone(), "month")
        .column_as(SimpleExpr::from(Func::count(Expr::col((article::Entity, article::Column::Id)))), "count")
        .column_as(SimpleExpr::from(Func::max(Expr::col((article::Entity, article::Column::UpdatedAt)))), "lastmod")
        .filter(readable())
        .group_by(month.clone())
        .order_by(month, Order::Desc)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(month, count, lastmod)| {
            let (year, month) = month.split_once('-')?;
            Some((year.parse().ok()?, month.parse().ok()?, u64::try_from(count).ok()?, lastmod))
        })
        .collect())
}

/// Each section's newest update: its own, or that of an article readers may see in it or
/// below it.
async fn section_updates(db: &impl ConnectionTrait, tree: &SectionTree) -> Result<Vec<(i64, DateTime<Utc>)>, Error> {
    let newest: Vec<(i64, DateTime<Utc>)> = article::Entity::find()
        .select_only()
        .column(article::Column::SectionId)
        .column_as(SimpleExpr::from(Func::max(Expr::col((article::Entity, article::Column::UpdatedAt)))), "lastmod")
        .filter(readable())
        .group_by(article::Column::SectionId)
        .into_tuple()
        .all(db)
        .await?;
    let newest: std::collections::HashMap<i64, DateTime<Utc>> = newest.into_iter().collect();
    Ok(tree
        .all_roots_first()
        .into_iter()
        .map(|section| {
            let articles = tree.subtree_ids(section.id).into_iter().filter_map(|id| newest.get(&id).copied()).max();
            (section.id, articles.map_or(section.updated_at, |at| at.max(section.updated_at)))
        })
        .collect())
}

/// A sitemap document: the declaration, then `root` with its namespaces around what
/// `inner` writes.
fn document(
    root: &str,
    namespaces: &[(&str, &str)],
    inner: impl FnOnce(&mut Writer<Vec<u8>>) -> std::io::Result<()>,
) -> Result<Vec<u8>, SitemapError> {
    let mut writer = Writer::new(Vec::new());
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut element = writer.create_element(root);
    for (name, namespace) in namespaces {
        element = element.with_attribute((*name, *namespace));
    }
    element.write_inner_content(inner)?;
    Ok(writer.into_inner())
}

fn text(writer: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    writer.create_element(name).write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

/// `/sitemap.xml`: every month's article sitemap (each of its pages) and the sections'.
pub async fn index(db: &impl ConnectionTrait, tree: &SectionTree, site: &Site) -> Result<Sitemap, SitemapError> {
    let months = months(db).await?;
    let sections = section_updates(db, tree).await?;
    let xml = document("sitemapindex", &[("xmlns", SITEMAP_NS)], |w| {
        for (year, month, count, lastmod) in &months {
            for page in 1..=count.div_ceil(MAX_URLS).max(1) {
                let file = File::Month(MonthPage { year: *year, month: *month, page });
                w.create_element("sitemap").write_inner_content(|w| {
                    text(w, "loc", &site.served_url(&file.path()))?;
                    text(w, "lastmod", &w3c(*lastmod))
                })?;
            }
        }
        w.create_element("sitemap").write_inner_content(|w| {
            text(w, "loc", &site.served_url(&File::Sections.path()))?;
            match sections.iter().map(|(_, at)| *at).max() {
                Some(lastmod) => text(w, "lastmod", &w3c(lastmod)),
                None => Ok(()),
            }
        })?;
        Ok(())
    })?;
    Ok(Sitemap { xml, read: vec![Tag::Sections, Tag::Articles, Tag::Search] })
}

/// What a month's sitemap lists of an article.
#[derive(Debug, FromQueryResult)]
struct Listed {
    id: i64,
    slug: String,
    section_id: i64,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    lead_image_id: Option<i64>,
    image_url: Option<String>,
    image_license_expires_at: Option<DateTime<Utc>>,
}

fn lead_image() -> RelationDef {
    article::Entity::belongs_to(image::Entity).from(article::Column::LeadImageId).to(image::Column::Id).into()
}

fn article_url(site: &Site, tree: &SectionTree, id: i64, slug: &str, dated: DateTime<Utc>, section_id: i64) -> String {
    let section = tree.get(section_id).map_or("", |s| s.slug.as_str());
    site.address_url(&Address { id, slug, dated }, &tree.path(section_id), section)
}

/// One page of the articles published in a month, newest first, with their lead images
/// while their licences last.
pub async fn month(
    db: &impl ConnectionTrait,
    tree: &SectionTree,
    site: &Site,
    page: MonthPage,
) -> Result<Sitemap, SitemapError> {
    let not_found = || SitemapError::NotFound(page.name());
    let (start, end) = page.range().ok_or_else(not_found)?;
    let listed = article::Entity::find()
        .select_only()
        .columns([
            article::Column::Id,
            article::Column::Slug,
            article::Column::SectionId,
            article::Column::PublishedAt,
            article::Column::CreatedAt,
            article::Column::UpdatedAt,
            article::Column::LeadImageId,
        ])
        .column_as(Expr::col((image::Entity, image::Column::Url)), "image_url")
        .column_as(Expr::col((image::Entity, image::Column::LicenseExpiresAt)), "image_license_expires_at")
        .join(JoinType::LeftJoin, lead_image())
        .filter(readable())
        .filter(article::Column::PublishedAt.gte(start))
        .filter(article::Column::PublishedAt.lt(end))
        .order_by_desc(article::Column::PublishedAt)
        .order_by_desc(article::Column::Id)
        .limit(MAX_URLS)
        .offset((page.page - 1).saturating_mul(MAX_URLS))
        .into_model::<Listed>()
        .all(db)
        .await?;
    if listed.is_empty() {
        return Err(not_found());
    }
    let now = super::now();
    let mut read = vec![Tag::Sections, Tag::Articles, Tag::Search];
    let xml = document("urlset", &[("xmlns", SITEMAP_NS), ("xmlns:image", IMAGE_NS)], |w| {
        for row in &listed {
            let dated = row.published_at.unwrap_or(row.created_at);
            w.create_element("url").write_inner_content(|w| {
                text(w, "loc", &article_url(site, tree, row.id, &row.slug, dated, row.section_id))?;
                text(w, "lastmod", &w3c(row.updated_at))?;
                let expired = images::expired(row.image_license_expires_at, now);
                if let Some(url) = row.image_url.as_deref().filter(|_| !expired) {
                    w.create_element("image:image").write_inner_content(|w| text(w, "image:loc", url))?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    read.extend(listed.iter().filter_map(|row| row.lead_image_id).map(Tag::Image));
    read.sort_unstable();
    read.dedup();
    Ok(Sitemap { xml, read })
}

/// Every section front, with its newest update.
pub async fn sections(db: &impl ConnectionTrait, tree: &SectionTree, site: &Site) -> Result<Sitemap, SitemapError> {
    let updates = section_updates(db, tree).await?;
    let xml = document("urlset", &[("xmlns", SITEMAP_NS)], |w| {
        for (id, lastmod) in &updates {
            w.create_element("url").write_inner_content(|w| {
                text(w, "loc", &site.section_url(&tree.path(*id)))?;
                text(w, "lastmod", &w3c(*lastmod))
            })?;
        }
        Ok(())
    })?;
    Ok(Sitemap { xml, read: vec![Tag::Sections, Tag::Articles, Tag::Search] })
}

/// What the news sitemap lists of an article.
#[derive(Debug, FromQueryResult)]
struct News {
    id: i64,
    slug: String,
    headline: String,
    section_id: i64,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// The language as Google News names it: an ISO 639 code, but `zh-cn` and `zh-tw` for
/// Chinese.
pub fn news_language(language: &str) -> String {
    let language = language.to_ascii_lowercase();
    match language.as_str() {
        "zh-cn" | "zh-hans" | "zh-hans-cn" => "zh-cn".into(),
        "zh-tw" | "zh-hant" | "zh-hant-tw" => "zh-tw".into(),
        other => other.split('-').next().unwrap_or(other).to_owned(),
    }
}

/// The articles published in the last 48 hours, newest first, at most 1,000.
pub async fn news(db: &impl ConnectionTrait, tree: &SectionTree, site: &Site) -> Result<Sitemap, SitemapError> {
    let since = super::now() - NEWS_WINDOW;
    let found = article::Entity::find()
        .select_only()
        .columns([
            article::Column::Id,
            article::Column::Slug,
            article::Column::Headline,
            article::Column::SectionId,
            article::Column::PublishedAt,
            article::Column::CreatedAt,
        ])
        .filter(readable())
        .filter(article::Column::PublishedAt.gte(since))
        .order_by_desc(article::Column::PublishedAt)
        .order_by_desc(article::Column::Id)
        .limit(NEWS_MAX)
        .into_model::<News>()
        .all(db)
        .await?;
    let language = news_language(&site.language);
    let xml = document("urlset", &[("xmlns", SITEMAP_NS), ("xmlns:news", NEWS_NS)], |w| {
        for row in &found {
            let published = row.published_at.unwrap_or(row.created_at);
            w.create_element("url").write_inner_content(|w| {
                text(w, "loc", &article_url(site, tree, row.id, &row.slug, published, row.section_id))?;
                w.create_element("news:news").write_inner_content(|w| {
                    w.create_element("news:publication").write_inner_content(|w| {
                        text(w, "news:name", &site.name)?;
                        text(w, "news:language", &language)
                    })?;
                    text(w, "news:publication_date", &w3c(published))?;
                    text(w, "news:title", &row.headline)
                })?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(Sitemap { xml, read: vec![Tag::Sections, Tag::Articles, Tag::Search] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_read_back_as_written() {
        for name in
            ["articles-2026-03.xml", "articles-2026-12-2.xml", "articles-0999-01-17.xml", "sections.xml", "news.xml"]
        {
            let file = File::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(file.path(), format!("/sitemaps/{name}"));
        }
        assert_eq!(File::parse("articles-2026-03.xml"), Some(File::Month(MonthPage { year: 2026, month: 3, page: 1 })));
        for bad in [
            "articles-2026-13.xml",
            "articles-2026-00.xml",
            "articles-2026-3.xml",
            "articles-26-03.xml",
            "articles-2026-03-1.xml",
            "articles-2026-03-02.xml",
            "articles-2026-03-x.xml",
            "articles-2026-03-99999999999999999999.xml",
            "articles-2026-03",
            "articles-0000-01.xml",
            "articles-+026-01.xml",
            "sitemap.xml",
            "",
        ] {
            assert_eq!(File::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_month_runs_to_the_next() {
        let december = MonthPage { year: 2025, month: 12, page: 1 }.range().unwrap();
        assert_eq!(december.0.to_rfc3339(), "2025-12-01T00:00:00+00:00");
        assert_eq!(december.1.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }

    #[test]
    fn google_news_languages() {
        assert_eq!(news_language("en"), "en");
        assert_eq!(news_language("en-GB"), "en");
        assert_eq!(news_language("pt-BR"), "pt");
        assert_eq!(news_language("zh-TW"), "zh-tw");
        assert_eq!(news_language("zh-Hans"), "zh-cn");
    }
}
