//! The publication's feeds: RSS 2.0 (with Dublin Core creators and Media RSS images), Atom
//! and JSON Feed 1.1, of the whole site or of one section (its subsections included), tag
//! or author. A feed holds the newest articles anonymous readers may see, as they see them:
//! never a draft, an article under embargo or one whose time has not come, never an image
//! whose licence has run out, and of a paywalled article never more than its teaser.
//!
//! A feed is read in a fixed number of statements whatever its size: the articles, then
//! the bylines, tags and images of all of them at once.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::article;
use entity::article_author::ContributorRole;
use entity::{image, tag};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::articles::{self, ArticleFilter, ArticleOrder, Shelf};
use super::bylines::{self, Contributor};
use super::changes::Tag;
use super::credit::Credit;
use super::pagination::Window;
use super::sections::SectionTree;
use super::site::Site;
use super::{Error, Viewer, images, markdown};

/// How many articles a feed holds.
pub const FEED_SIZE: u64 = 50;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";
const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";
const GENERATOR: &str = "newsroom";

/// Why a feed cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("no section with slug `{0}`")]
    UnknownSection(String),
    #[error("no tag with slug `{0}`")]
    UnknownTag(String),
    #[error("no author with slug `{0}`")]
    UnknownAuthor(String),
    #[error("a feed takes at most one of `section`, `tag` and `author`")]
    TwoFilters,
    #[error("unknown parameter `{0}`: a feed takes one of `section`, `tag` and `author`, or none")]
    UnknownParameter(String),
    #[error("the feed could not be written: {0}")]
    Write(String),
    #[error(transparent)]
    Domain(#[from] Error),
}

impl FeedError {
    /// What the lookup that found nothing read: a section, tag or author by that slug
    /// may yet be created.
    pub fn read(&self) -> Vec<Tag> {
        match self {
            FeedError::UnknownSection(_) => vec![Tag::Sections],
            FeedError::UnknownTag(_) => vec![Tag::Tags],
            FeedError::UnknownAuthor(_) => vec![Tag::Authors],
            _ => Vec::new(),
        }
    }
}

impl From<sea_orm::DbErr> for FeedError {
    fn from(error: sea_orm::DbErr) -> Self {
        FeedError::Domain(Error::Database(error))
    }
}

/// Whose articles a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Site,
    /// A section by slug, its subsections included.
    Section(String),
    Tag(String),
    Author(String),
}

/// The longest parameter name an error message repeats.
const MAX_NAME_SHOWN: usize = 60;

impl Scope {
    /// The scope a feed's query parameters ask for: none, or one of `section`, `tag` and
    /// `author`.
    pub fn from_query<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Scope, FeedError>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut scope = Scope::Site;
        for (name, value) in pairs {
            let next = match name.as_ref() {
                "section" => Scope::Section(value.into()),
                "tag" => Scope::Tag(value.into()),
                "author" => Scope::Author(value.into()),
                other => {
                    let shown: String = other.chars().take(MAX_NAME_SHOWN).collect();
                    return Err(FeedError::UnknownParameter(shown));
                }
            };
            if scope != Scope::Site {
                return Err(FeedError::TwoFilters);
            }
            scope = next;
        }
        Ok(scope)
    }
}

/// The three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    /// Where the API serves it, and the site with it.
    pub fn path(self) -> &'static str {
        match self {
            Format::Rss => "/feeds/rss.xml",
            Format::Atom => "/feeds/atom.xml",
            Format::Json => "/feeds/feed.json",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }
}

/// A feed as read, before it is written in a format.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The site's name, and the section's, tag's or author's.
    pub title: String,
    pub description: String,
    /// The page the feed follows: the site's home, a section front, a tag or author page.
    pub link: String,
    /// `?section=world` and the like: the query of the feed's own address.
    pub query: String,
    pub language: String,
    /// The newest update of an item (the Unix epoch when there is none).
    pub updated: DateTime<Utc>,
    pub items: Vec<Item>,
    /// The cache tags of what was read.
    pub read: Vec<Tag>,
    /// The site's name.
    publisher: String,
    site_url: String,
}

/// One article of a feed.
#[derive(Debug, Clone)]
pub struct Item {
    pub article_id: i64,
    /// Stable across changes of the article's address: a tag URI (RFC 4151) of the site's
    /// host, the day the article was created and its id, or the address when the site has
    /// no host name.
    pub guid: String,
    pub url: String,
    pub title: String,
    pub summary: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// The writers of the byline, in order.
    pub authors: Vec<Person>,
    /// The other contributors (photographers, translators, ...), in byline order.
    pub contributors: Vec<Person>,
    /// The section's name, then the tags' names.
    pub categories: Vec<String>,
    pub image: Option<LeadImage>,
    /// The body as HTML, when the site gives full text: of a paywalled article, its teaser.
    pub content_html: Option<String>,
}

impl Item {
    /// Whether the guid is the article's address.
    pub fn guid_is_permalink(&self) -> bool {
        self.guid == self.url
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub url: String,
}

/// A lead image readers may be shown.
#[derive(Debug, Clone)]
pub struct LeadImage {
    pub id: i64,
    pub url: String,
    pub media_type: Option<&'static str>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt_text: String,
    pub caption: Option<String>,
    pub credit: Option<Credit>,
    pub copyright_holder: Option<String>,
    /// The licence, when it is written as an address.
    pub license_url: Option<String>,
}

impl LeadImage {
    fn of(image: &image::Model) -> LeadImage {
        let credit =
            Credit::from_parts(image.photographer.clone(), image.agency.clone(), image.distributor.clone(), None);
        let license_url = image.license.as_deref().filter(|l| l.starts_with("https://") || l.starts_with("http://"));
        LeadImage {
            id: image.id,
            url: image.url.clone(),
            media_type: images::media_type_of(&image.url),
            width: image.width,
            height: image.height,
            alt_text: image.alt_text.clone(),
            caption: image.caption.clone(),
            credit,
            copyright_holder: image.copyright_holder.clone(),
            license_url: license_url.map(str::to_owned),
        }
    }

    /// The credit line, as pages show it.
    pub fn credit_line(&self) -> Option<String> {
        self.credit.as_ref().map(Credit::credit_line).filter(|line| !line.is_empty())
    }
}

/// The articles of a feed, newest first: those readers may see, of the scope.
pub async fn load<C>(db: &C, tree: &SectionTree, site: &Site, scope: &Scope, full_text: bool) -> Result<Feed, FeedError>
where
    C: ConnectionTrait + Clone + Send + 'static,
{
    // Every item's address has its section's path.
    let mut read = vec![Tag::Sections];
    let mut filter = ArticleFilter::default();
    let (heading, description, link, query) = match scope {
        Scope::Site => {
            read.push(Tag::Articles);
            (None, format!("The latest from {}", site.name), site.url.clone(), String::new())
        }
        Scope::Section(slug) => {
            let section = tree.by_slug(slug).ok_or_else(|| FeedError::UnknownSection(slug.clone()))?;
            read.extend(articles::shelf_tags(Shelf::Section(section.id), tree));
            filter.section = Some(section.slug.clone());
            let description = section
                .description
                .clone()
                .unwrap_or_else(|| format!("The latest in {} from {}", section.name, site.name));
            (
                Some(section.name.clone()),
                description,
                site.section_url(&tree.path(section.id)),
                query("section", &section.slug),
            )
        }
        Scope::Tag(slug) => {
            let tag = bylines::tag_by_slug(db, slug).await?.ok_or_else(|| FeedError::UnknownTag(slug.clone()))?;
            read.extend([Tag::Tags, Tag::Tag(tag.id), Tag::TagArticles(tag.id)]);
            filter.tag = Some(tag.slug.clone());
            let description = format!("The latest on {} from {}", tag.name, site.name);
            (Some(tag.name.clone()), description, site.tag_url(&tag.slug), query("tag", &tag.slug))
        }
        Scope::Author(slug) => {
            let author =
                bylines::author_by_slug(db, slug).await?.ok_or_else(|| FeedError::UnknownAuthor(slug.clone()))?;
            read.extend([Tag::Authors, Tag::Author(author.id), Tag::AuthorArticles(author.id)]);
            filter.author = Some(author.slug.clone());
            let description = format!("The latest by {} from {}", author.name, site.name);
            (Some(author.name.clone()), description, site.author_url(&author.slug), query("author", &author.slug))
        }
    };
    let window = Window::Forward { limit: FEED_SIZE, after: None };
    let page = articles::list(db, &Viewer::Anonymous, &filter, ArticleOrder::default(), &window, tree).await?;
    let mut found: Vec<article::Model> = page.edges.into_iter().map(|edge| edge.node).collect();
    found.truncate(FEED_SIZE as usize);
    let items = items(db, tree, site, &found, full_text, &mut read).await?;
    let updated = items.iter().map(|item| item.updated).max().unwrap_or(DateTime::UNIX_EPOCH);
    let title = match heading {
        Some(heading) => format!("{}: {heading}", site.name),
        None => site.name.clone(),
    };
    read.sort_unstable();
    read.dedup();
    Ok(Feed {
        title,
        description,
        link,
        query,
        language: site.language.clone(),
        updated,
        items,
        read,
        publisher: site.name.clone(),
        site_url: site.url.clone(),
    })
}

fn query(name: &str, value: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair(name, value);
    format!("?{}", query.finish())
}

/// The items of `found`, with their bylines, tags and images read for all at once.
async fn items(
    db: &impl ConnectionTrait,
    tree: &SectionTree,
    site: &Site,
    found: &[article::Model],
    full_text: bool,
    read: &mut Vec<Tag>,
) -> Result<Vec<Item>, FeedError> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = found.iter().map(|a| a.id).collect();
    read.extend(ids.iter().map(|id| Tag::Article(*id)));
    let mut bylines: HashMap<i64, Vec<Contributor>> = HashMap::new();
    for (article, contributor) in bylines::contributors_of(db, &ids).await? {
        read.push(Tag::Author(contributor.author.id));
        bylines.entry(article).or_default().push(contributor);
    }
    let mut tags: HashMap<i64, Vec<tag::Model>> = HashMap::new();
    for (article, tag) in bylines::tags_of(db, &ids).await? {
        read.push(Tag::Tag(tag.id));
        tags.entry(article).or_default().push(tag);
    }
    // What of each body readers may read: the teaser of a paywalled article.
    let bodies: HashMap<i64, &str> = match full_text {
        true => found.iter().map(|a| (a.id, articles::readable_body(&Viewer::Anonymous, a))).collect(),
        false => HashMap::new(),
    };
    let mut image_ids: Vec<i64> = found.iter().filter_map(|a| a.lead_image_id).collect();
    for body in bodies.values() {
        image_ids.extend(markdown::stored_image_refs(body).iter().filter_map(|r| images::referenced_id(r)));
    }
    image_ids.sort_unstable();
    image_ids.dedup();
    // Those whose licence has run out are left out, and named: a new licence brings them back.
    read.extend(image_ids.iter().map(|id| Tag::Image(*id)));
    let shown: HashMap<i64, image::Model> = match image_ids.is_empty() {
        true => HashMap::new(),
        false => images::shown_in_articles(db, &Viewer::Anonymous, &image_ids)
            .await?
            .into_iter()
            .map(|image| (image.id, image))
            .collect(),
    };
    let host = site.host();
    Ok(found
        .iter()
        .map(|article| {
            let section = tree.get(article.section_id);
            let url = site.article_url(article, &tree.path(article.section_id), section.map_or("", |s| &s.slug));
            let (writers, others): (Vec<&Contributor>, Vec<&Contributor>) =
                bylines.get(&article.id).into_iter().flatten().partition(|c| c.role == ContributorRole::Writer);
            let person =
                |c: &&Contributor| Person { name: c.author.name.clone(), url: site.author_url(&c.author.slug) };
            let mut categories: Vec<String> = section.map(|s| s.name.clone()).into_iter().collect();
            categories.extend(tags.get(&article.id).into_iter().flatten().map(|t| t.name.clone()));
            let content_html = bodies.get(&article.id).map(|body| {
                markdown::render_html(body, |reference| {
                    images::referenced_id(reference).and_then(|id| shown.get(&id)).map(|image| image.url.clone())
                })
            });
            let guid = match &host {
                Some(host) => format!("tag:{host},{}:article:{}", article.created_at.format("%Y-%m-%d"), article.id),
                None => url.clone(),
            };
            Item {
                article_id: article.id,
                guid,
                url,
                title: article.headline.clone(),
                summary: article.standfirst.clone(),
                published: article.published_at.unwrap_or(article.created_at),
                updated: article.updated_at,
                authors: writers.iter().map(person).collect(),
                contributors: others.iter().map(person).collect(),
                categories,
                image: article.lead_image_id.and_then(|id| shown.get(&id)).map(LeadImage::of),
                content_html,
            }
        })
        .collect())
}

/// Text as XML 1.0 may hold it: without the control characters it forbids.
pub fn xml_text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    match text.chars().all(allowed) {
        true => Cow::Borrowed(text),
        false => Cow::Owned(text.chars().filter(|c| allowed(*c)).collect()),
    }
}

fn owned(text: &str) -> String {
    xml_text(text).into_owned()
}

/// One element of Media RSS, in the shape both feed crates' extensions have.
struct Media {
    name: &'static str,
    value: Option<String>,
    attrs: Vec<(&'static str, String)>,
    children: Vec<Media>,
}

impl Media {
    fn new(name: &'static str) -> Media {
        Media { name, value: None, attrs: Vec::new(), children: Vec::new() }
    }

    fn text(name: &'static str, value: &str) -> Media {
        Media { value: Some(owned(value)), ..Media::new(name) }
    }

    fn attr(mut self, name: &'static str, value: impl Into<String>) -> Media {
        self.attrs.push((name, owned(&value.into())));
        self
    }

    /// `media:content` for the lead image, with its caption, credits and rights inside.
    fn of(image: &LeadImage) -> Media {
        let mut content = Media::new("media:content").attr("url", &image.url).attr("medium", "image");
        if let Some(media_type) = image.media_type {
            content = content.attr("type", media_type);
        }
        if let Some(width) = image.width {
            content = content.attr("width", width.to_string());
        }
        if let Some(height) = image.height {
            content = content.attr("height", height.to_string());
        }
        if let Some(caption) = &image.caption {
            content.children.push(Media::text("media:description", caption).attr("type", "plain"));
        }
        content.children.push(Media::text("media:title", &image.alt_text).attr("type", "plain"));
        if let Some(credit) = &image.credit {
            let roles = [
                ("photographer", &credit.photographer),
                ("agency", &credit.agency),
                ("distributor", &credit.distributor),
            ];
            for (role, name) in roles {
                if let Some(name) = name {
                    content.children.push(Media::text("media:credit", name).attr("role", role));
                }
            }
        }
        // The holder of the rights, else who is credited; the licence, when it is an address.
        let notice = image.copyright_holder.clone().or_else(|| image.credit_line());
        if notice.is_some() || image.license_url.is_some() {
            let mut copyright = Media::text("media:copyright", notice.as_deref().unwrap_or_default());
            if let Some(license) = &image.license_url {
                copyright = copyright.attr("url", license);
            }
            content.children.push(copyright);
        }
        content
    }

    fn local_name(&self) -> String {
        self.name.split_once(':').map_or(self.name, |(_, local)| local).to_owned()
    }

    fn into_rss(self) -> rss::extension::Extension {
        let mut children: BTreeMap<String, Vec<rss::extension::Extension>> = BTreeMap::new();
        for child in self.children {
            children.entry(child.local_name()).or_default().push(child.into_rss());
        }
        rss::extension::Extension {
            name: self.name.to_owned(),
            value: self.value,
            attrs: self.attrs.into_iter().map(|(name, value)| (name.to_owned(), value)).collect(),
            children,
        }
    }

    fn into_atom(self) -> atom_syndication::extension::Extension {
        let mut children: BTreeMap<String, Vec<atom_syndication::extension::Extension>> = BTreeMap::new();
        for child in self.children {
            children.entry(child.local_name()).or_default().push(child.into_atom());
        }
        atom_syndication::extension::Extension {
            name: self.name.to_owned(),
            value: self.value,
            // The Atom crate writes attribute values as they are given: escaped here.
            attrs: self
                .attrs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), quick_xml::escape::escape(value.as_str()).into_owned()))
                .collect(),
            children,
        }
    }
}

fn write_error(error: impl std::fmt::Display) -> FeedError {
    FeedError::Write(error.to_string())
}

impl Feed {
    /// The feed's own address in `format`.
    pub fn self_url(&self, format: Format) -> String {
        format!("{}{}{}", self.site_url, format.path(), self.query)
    }

    /// The feed written in `format`.
    pub fn render(&self, format: Format) -> Result<Vec<u8>, FeedError> {
        match format {
            Format::Rss => self.rss(),
            Format::Atom => self.atom(),
            Format::Json => self.json(),
        }
    }

    fn rss(&self) -> Result<Vec<u8>, FeedError> {
        use rss::extension::{Extension, ExtensionMap};
        let extension = |name: &str, value: Option<String>, attrs: &[(&str, String)]| Extension {
            name: name.to_owned(),
            value,
            attrs: attrs.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect(),
            children: BTreeMap::new(),
        };
        let one = |prefix: &str, local: &str, element: Extension| -> ExtensionMap {
            BTreeMap::from([(prefix.to_owned(), BTreeMap::from([(local.to_owned(), vec![element])]))])
        };
        let self_link = extension(
            "atom:link",
            None,
            &[("href", self.self_url(Format::Rss)), ("rel", "self".into()), ("type", Format::Rss.media_type().into())],
        );
        let items = self
            .items
            .iter()
            .map(|item| {
                let mut extensions =
                    one("atom", "updated", extension("atom:updated", Some(item.updated.to_rfc3339()), &[]));
                if let Some(image) = &item.image {
                    extensions.insert(
                        "media".into(),
                        BTreeMap::from([("content".into(), vec![Media::of(image).into_rss()])]),
                    );
                }
                let categories =
                    item.categories.iter().map(|name| rss::Category { name: owned(name), domain: None }).collect();
                rss::Item {
                    title: Some(owned(&item.title)),
                    link: Some(item.url.clone()),
                    description: item.summary.as_deref().map(owned),
                    categories,
                    guid: Some(rss::Guid { value: item.guid.clone(), permalink: item.guid_is_permalink() }),
                    pub_date: Some(item.published.to_rfc2822()),
                    content: item.content_html.as_deref().map(owned),
                    extensions,
                    dublin_core_ext: Some(rss::extension::dublincore::DublinCoreExtension {
                        creators: item.authors.iter().map(|p| owned(&p.name)).collect(),
                        contributors: item.contributors.iter().map(|p| owned(&p.name)).collect(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            })
            .collect();
        let channel = rss::Channel {
            title: owned(&self.title),
            link: self.link.clone(),
            description: owned(&self.description),
            language: Some(self.language.clone()),
            last_build_date: Some(self.updated.to_rfc2822()),
            generator: Some(GENERATOR.into()),
            namespaces: BTreeMap::from([
                ("atom".to_owned(), ATOM_NS.to_owned()),
                ("dc".to_owned(), DC_NS.to_owned()),
                ("media".to_owned(), MEDIA_NS.to_owned()),
            ]),
            extensions: one("atom", "link", self_link),
            items,
            ..Default::default()
        };
        channel.write_to(Vec::new()).map_err(write_error)
    }

    fn atom(&self) -> Result<Vec<u8>, FeedError> {
        use atom_syndication::{Category, Content, Entry, Generator, Link, Person as AtomPerson, Text};
        let person = |p: &Person| AtomPerson {
            name: owned(&p.name),
            email: None,
            uri: Some(p.url.clone()),
            ..Default::default()
        };
        let entries = self
            .items
            .iter()
            .map(|item| {
                let mut links = vec![Link { href: item.url.clone(), rel: "alternate".into(), ..Default::default() }];
                let mut extensions = BTreeMap::new();
                if let Some(image) = &item.image {
                    links.push(Link {
                        href: image.url.clone(),
                        rel: "enclosure".into(),
                        mime_type: image.media_type.map(str::to_owned),
                        title: Some(owned(&image.alt_text)),
                        ..Default::default()
                    });
                    extensions.insert(
                        "media".to_owned(),
                        BTreeMap::from([("content".to_owned(), vec![Media::of(image).into_atom()])]),
                    );
                }
                Entry {
                    title: Text::plain(owned(&item.title)),
                    id: item.guid.clone(),
                    updated: item.updated.fixed_offset(),
                    published: Some(item.published.fixed_offset()),
                    authors: item.authors.iter().map(person).collect(),
                    contributors: item.contributors.iter().map(person).collect(),
                    categories: item
                        .categories
                        .iter()
                        .map(|name| Category { term: owned(name), scheme: None, label: None })
                        .collect(),
                    links,
                    summary: item.summary.as_deref().map(|s| Text::plain(owned(s))),
                    content: item.content_html.as_deref().map(|html| Content {
                        value: Some(owned(html)),
                        content_type: Some("html".into()),
                        ..Default::default()
                    }),
                    extensions,
                    ..Default::default()
                }
            })
            .collect();
        let feed = atom_syndication::Feed {
            title: Text::plain(owned(&self.title)),
            id: self.self_url(Format::Atom),
            updated: self.updated.fixed_offset(),
            // Atom wants an author for every entry: the publication stands for those
            // without a writer.
            authors: vec![AtomPerson {
                name: owned(&self.publisher),
                email: None,
                uri: Some(self.site_url.clone()),
                ..Default::default()
            }],
            generator: Some(Generator { value: GENERATOR.into(), uri: None, version: None }),
            links: vec![
                Link { href: self.link.clone(), rel: "alternate".into(), ..Default::default() },
                Link {
                    href: self.self_url(Format::Atom),
                    rel: "self".into(),
                    mime_type: Some(Format::Atom.media_type().into()),
                    ..Default::default()
                },
            ],
            subtitle: Some(Text::plain(owned(&self.description))),
            entries,
            namespaces: BTreeMap::from([("media".to_owned(), MEDIA_NS.to_owned())]),
            lang: Some(self.language.clone()),
            ..Default::default()
        };
        let config = atom_syndication::WriteConfig { write_document_declaration: true, indent_size: None };
        feed.write_with_config(Vec::new(), config).map_err(write_error)
    }

    fn json(&self) -> Result<Vec<u8>, FeedError> {
        let items = self
            .items
            .iter()
            .map(|item| JsonItem {
                id: &item.guid,
                url: &item.url,
                title: &item.title,
                summary: item.summary.as_deref(),
                content_html: item.content_html.as_deref(),
                // Every item has content of one kind: without the body, its standfirst or headline.
                content_text: match item.content_html {
                    Some(_) => None,
                    None => Some(item.summary.as_deref().unwrap_or(&item.title)),
                },
                image: item.image.as_ref().map(|image| image.url.as_str()),
                date_published: item.published.to_rfc3339(),
                date_modified: item.updated.to_rfc3339(),
                authors: item.authors.iter().map(|p| JsonAuthor { name: &p.name, url: &p.url }).collect(),
                tags: item.categories.iter().map(String::as_str).collect(),
                image_details: item.image.as_ref().map(|image| JsonImage {
                    width: image.width,
                    height: image.height,
                    alt_text: &image.alt_text,
                    caption: image.caption.as_deref(),
                    credit: image.credit_line(),
                    copyright_holder: image.copyright_holder.as_deref(),
                }),
            })
            .collect();
        let feed = JsonFeed {
            version: JSON_FEED_VERSION,
            title: &self.title,
            home_page_url: &self.link,
            feed_url: self.self_url(Format::Json),
            description: &self.description,
            language: &self.language,
            items,
        };
        serde_json::to_vec(&feed).map_err(write_error)
    }
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor<'a>>,
    tags: Vec<&'a str>,
    /// An extension (JSON Feed names them with a leading `_`): the image's size and rights.
    #[serde(rename = "_image", skip_serializing_if = "Option::is_none")]
    image_details: Option<JsonImage<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonImage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<i32>,
    alt_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyright_holder: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_takes_at_most_one_filter() {
        let scope = |pairs: &[(&str, &str)]| Scope::from_query(pairs.iter().copied());
        assert_eq!(scope(&[]).unwrap(), Scope::Site);
        assert_eq!(scope(&[("section", "world")]).unwrap(), Scope::Section("world".into()));
        assert_eq!(scope(&[("tag", "climate")]).unwrap(), Scope::Tag("climate".into()));
        assert_eq!(scope(&[("author", "ines")]).unwrap(), Scope::Author("ines".into()));
        assert!(matches!(scope(&[("section", "a"), ("tag", "b")]), Err(FeedError::TwoFilters)));
        assert!(matches!(scope(&[("section", "a"), ("section", "b")]), Err(FeedError::TwoFilters)));
        assert!(matches!(scope(&[("page", "2")]), Err(FeedError::UnknownParameter(name)) if name == "page"));
    }

    #[test]
    fn forbidden_characters_are_dropped_from_xml_text() {
        assert_eq!(xml_text("plain <text> & more\n"), "plain <text> & more\n");
        assert_eq!(xml_text("a\u{0}b\u{1b}c\u{FFFF}"), "abc");
    }

    #[test]
    fn image_types_come_from_the_extension() {
        assert_eq!(images::media_type_of("https://img.example.com/a.JPG?w=10"), Some("image/jpeg"));
        assert_eq!(images::media_type_of("https://img.example.com/a.webp"), Some("image/webp"));
        assert_eq!(images::media_type_of("https://img.example.com/photo"), None);
    }

    fn feed_with_an_awkward_image() -> Feed {
        let at = "2026-03-07T10:00:00Z".parse().unwrap();
        let image = LeadImage {
            id: 1,
            url: "https://img.example.com/a.jpg?w=1&h=2\"".into(),
            media_type: Some("image/jpeg"),
            width: Some(1600),
            height: Some(900),
            alt_text: "Fields & \"water\"".into(),
            caption: Some("<b>Caption</b> & \u{1}more".into()),
            credit: Credit::from_parts(Some("A & B".into()), Some("AFP".into()), Some("Getty".into()), None),
            copyright_holder: Some("Press <Ltd>".into()),
            license_url: Some("https://example.com/licence?a=1&b=2".into()),
        };
        Feed {
            title: "Daily & Co".into(),
            description: "All the <news>".into(),
            link: "https://news.example.com".into(),
            query: "?tag=a%26b".into(),
            language: "en".into(),
            updated: at,
            items: vec![Item {
                article_id: 1,
                guid: "tag:news.example.com,2026-03-07:article:1".into(),
                url: "https://news.example.com/world/a?b=1&c=2".into(),
                title: "Floods & \"rain\" ]]> <here>".into(),
                summary: Some("Water ]]> rose".into()),
                published: at,
                updated: at,
                authors: vec![Person { name: "Ines & Co".into(), url: "https://news.example.com/authors/ines".into() }],
                contributors: vec![],
                categories: vec!["World & more".into()],
                image: Some(image),
                content_html: Some("<p>Body ]]> text</p>".into()),
            }],
            read: vec![],
            publisher: "Daily & Co".into(),
            site_url: "https://news.example.com".into(),
        }
    }

    #[test]
    fn awkward_text_is_escaped_in_every_format() {
        let feed = feed_with_an_awkward_image();
        for format in [Format::Rss, Format::Atom] {
            let written = String::from_utf8(feed.render(format).unwrap()).unwrap();
            let document =
                roxmltree::Document::parse(&written).unwrap_or_else(|e| panic!("{format:?}: {e}\n{written}"));
            let media = document.descendants().find(|n| n.has_tag_name((MEDIA_NS, "content"))).expect("media:content");
            assert_eq!(media.attribute("url"), Some("https://img.example.com/a.jpg?w=1&h=2\""), "{format:?}");
            let copyright = media.children().find(|n| n.has_tag_name((MEDIA_NS, "copyright"))).unwrap();
            assert_eq!(copyright.attribute("url"), Some("https://example.com/licence?a=1&b=2"));
            assert_eq!(copyright.text(), Some("Press <Ltd>"));
            let titles: Vec<&str> =
                document.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
            assert!(titles.contains(&"Floods & \"rain\" ]]> <here>"), "{format:?}: {titles:?}");
            let body = document.descendants().find(|n| {
                n.has_tag_name(("http://purl.org/rss/1.0/modules/content/", "encoded"))
                    || n.has_tag_name((ATOM_NS, "content"))
            });
            assert_eq!(body.and_then(|n| n.text()), Some("<p>Body ]]> text</p>"), "{format:?}");
            let caption = document.descendants().find(|n| n.has_tag_name((MEDIA_NS, "description"))).unwrap();
            assert_eq!(caption.text(), Some("<b>Caption</b> & more"));
        }
        let json: serde_json::Value = serde_json::from_slice(&feed.render(Format::Json).unwrap()).unwrap();
        assert_eq!(json["items"][0]["title"], "Floods & \"rain\" ]]> <here>");
        assert_eq!(json["items"][0]["_image"]["credit"], "A & B/AFP via Getty");
    }
}
