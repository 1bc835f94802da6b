//! IPTC ninjs 2.1 ("News in JSON") documents of articles, for syndication partners and
//! the newsroom's own distribution tools.
//!
//! Who gets which: editors and admins any article, drafts too (its `pubstatus` says
//! where it stands); partners a published article whose publication time has come,
//! including one still under embargo, which they get ahead with its `embargoed` time to
//! hold it until then. Nobody else: readers and contributors are refused.
//!
//! `pubstatus` follows the IPTC publishing status codes: `usable` for an article that is
//! out (an embargo does not change that: `embargoed` says until when it must be held),
//! `withheld` for one not out yet (a draft, in review, scheduled), `canceled` for one
//! taken down after it went out (archived, or unpublished back to a draft).
//!
//! A document is built from what the article's page shows: its bylines, its section and
//! tags, and its lead image with the credit and rights as structured data gives them; an
//! image whose licence has run out is left out, from the associations and from the body
//! alike, whoever asks. The body is whole for every caller that gets a document.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::article::{self, ArticleStatus};
use entity::article_author::ContributorRole;
use entity::{image, tag};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Map, Value, json};

use super::bylines::{self, Contributor};
use super::global_id::{self, Kind};
use super::sections::SectionTree;
use super::site::Site;
use super::structured_data;
use super::{Error, Result, Viewer, articles, images, markdown};

/// The ninjs version the documents follow.
pub const VERSION: &str = "2.1";
/// The JSON Schema the documents validate against, as their `standard` names it.
pub const SCHEMA: &str = "https://www.iptc.org/std/ninjs/ninjs-schema_2.1.json";

/// The name of the lead image among a document's associations.
pub const LEAD_IMAGE: &str = "leadimage";

/// Refuses a caller who gets no ninjs documents: anonymous callers as unauthenticated,
/// everyone but editors, admins and partners as forbidden.
pub fn require_distribution(viewer: &Viewer) -> Result<()> {
    match viewer {
        Viewer::Partner => Ok(()),
        _ if viewer.is_editor() => Ok(()),
        Viewer::Anonymous => Err(Error::Unauthenticated(
            "ninjs documents need an editor's, an admin's or a syndication partner's token".into(),
        )),
        Viewer::Reader { .. } | Viewer::User { .. } => {
            Err(Error::Forbidden("only editors, admins and syndication partners get ninjs documents".into()))
        }
    }
}

/// Whether `viewer` gets the document of `article`: editors and admins any; partners a
/// published article whose publication time has come, under embargo or not.
pub fn is_distributed_to(viewer: &Viewer, article: &article::Model, now: DateTime<Utc>) -> bool {
    match viewer {
        Viewer::Partner => is_out(article, now),
        _ => viewer.is_editor(),
    }
}

/// Published, and its publication time has come (whatever its embargo).
fn is_out(article: &article::Model, now: DateTime<Utc>) -> bool {
    article.status == ArticleStatus::Published && article.published_at.is_some_and(|at| at <= now)
}

/// The article a path names: its global id, as the API hands it out, or its number.
/// Only the canonical forms count (no sign, no leading zeros).
pub fn article_id(reference: &str) -> Option<i64> {
    if let Some((Kind::Article, id)) = global_id::decode(reference) {
        return (reference == global_id::encode(Kind::Article, id)).then_some(id);
    }
    let id: i64 = reference.parse().ok().filter(|id| *id > 0)?;
    (reference == id.to_string()).then_some(id)
}

/// The ninjs document of the article `reference` names (see [`article_id`]), as
/// `viewer` gets it. Unknown articles and those the viewer does not get are not found
/// alike. Five statements at most, however many bylines, tags and pictures it has.
pub async fn article_document(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    site: &Site,
    reference: &str,
) -> Result<Value> {
    require_distribution(viewer)?;
    let not_found = || Error::NotFound("article".into());
    let id = article_id(reference).ok_or_else(not_found)?;
    let now = super::now();
    let article = article::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|article| is_distributed_to(viewer, article, now))
        .ok_or_else(not_found)?;
    let sections = SectionTree::load(db).await?;
    let contributors: Vec<Contributor> =
        bylines::contributors_of(db, &[id]).await?.into_iter().map(|(_, contributor)| contributor).collect();
    let tags: Vec<tag::Model> = bylines::tags_of(db, &[id]).await?.into_iter().map(|(_, tag)| tag).collect();
    let body = articles::readable_body(viewer, &article);
    let pictures = pictures(db, &article, body).await?;
    Ok(document(
        &Page {
            site,
            article: &article,
            body,
            sections: &sections,
            contributors: &contributors,
            tags: &tags,
            pictures: &pictures,
        },
        now,
    ))
}

/// The lead image and the pictures of the body, as readers get them: an image whose
/// licence has run out is not among them, whoever asks, since a document is for
/// publishing. One statement, none without pictures.
async fn pictures(db: &impl ConnectionTrait, article: &article::Model, body: &str) -> Result<Vec<image::Model>> {
    let mut ids: Vec<i64> =
        markdown::stored_image_refs(body).iter().filter_map(|reference| images::referenced_id(reference)).collect();
    ids.extend(article.lead_image_id);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    images::shown_in_articles(db, &Viewer::Anonymous, &ids).await
}

/// What a document is made of, each part loaded.
struct Page<'a> {
    site: &'a Site,
    article: &'a article::Model,
    /// The part of the body the caller reads (all of it, for everyone who gets a document).
    body: &'a str,
    sections: &'a SectionTree,
    contributors: &'a [Contributor],
    tags: &'a [tag::Model],
    /// The lead image and the body's pictures that may be published.
    pictures: &'a [image::Model],
}

/// A time as RFC 3339, to the microsecond the database keeps.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A `tag:` URI (RFC 4151) under the site's host, dated by when the thing was made:
/// stable whatever its slug, section or the site's URL pattern become.
fn tag_uri(site: &Site, made: DateTime<Utc>, what: &str, id: i64) -> String {
    let host = match url::Url::parse(&site.url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(domain)) => domain.to_ascii_lowercase(),
        _ => "localhost".to_owned(),
    };
    format!("tag:{host},{}:{what}:{id}", made.format("%Y-%m-%d"))
}

fn pubstatus(article: &article::Model, now: DateTime<Utc>) -> &'static str {
    match article.status {
        _ if is_out(article, now) => "usable",
        ArticleStatus::Archived => "canceled",
        // Unpublished after it went out: withdrawn.
        ArticleStatus::Draft | ArticleStatus::InReview if article.published_at.is_some() => "canceled",
        _ => "withheld",
    }
}

/// The names of the writers, as a byline reads: "A", "A and B", "A, B and C".
fn byline(contributors: &[Contributor]) -> Option<String> {
    let names: Vec<&str> =
        contributors.iter().filter(|c| c.role == ContributorRole::Writer).map(|c| c.author.name.as_str()).collect();
    match names.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        [first @ .., last] => Some(format!("{} and {last}", first.join(", "))),
    }
}

fn text(role: &str, value: &str) -> Value {
    json!({ "role": role, "contenttype": "text/plain", "value": value })
}

/// An image as an association: its rendition, caption, credit and rights.
fn picture(site: &Site, image: &image::Model, name: &str) -> Value {
    let mut rendition = json!({ "name": "original", "href": image.url });
    let fields = rendition.as_object_mut().expect("an object");
    if let Some(width) = image.width {
        fields.insert("width".into(), json!(width));
    }
    if let Some(height) = image.height {
        fields.insert("height".into(), json!(height));
    }
    if let Some(media_type) = images::media_type_of(&image.url) {
        fields.insert("contenttype".into(), json!(media_type));
    }
    let mut association = Map::new();
    association.insert("name".into(), json!(name));
    association.insert("uri".into(), json!(tag_uri(site, image.created_at, "image", image.id)));
    association.insert("type".into(), json!("picture"));
    association.insert("versioncreated".into(), json!(time(image.updated_at)));
    let mut descriptions = Vec::new();
    if let Some(caption) = image.caption.as_deref().filter(|c| !c.trim().is_empty()) {
        descriptions.push(text("caption", caption));
    }
    if !image.alt_text.trim().is_empty() {
        descriptions.push(text("alttext", &image.alt_text));
    }
    if !descriptions.is_empty() {
        association.insert("descriptions".into(), json!(descriptions));
    }
    if let Some(credit) = structured_data::credit_text(image) {
        association.insert("by".into(), json!(credit));
    }
    if let Some(holder) = image.copyright_holder.as_deref().filter(|h| !h.trim().is_empty()) {
        association.insert("copyrightholder".into(), json!(holder));
    }
    if let Some(license) = image.license.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        association.insert("usageterms".into(), json!(license));
        if license.starts_with("https://") || license.starts_with("http://") {
            association.insert("rightsinfo".into(), json!({ "linkedrights": license }));
        }
    }
    association.insert("renditions".into(), json!([rendition]));
    Value::Object(association)
}

fn document(page: &Page<'_>, now: DateTime<Utc>) -> Value {
    let (site, article) = (page.site, page.article);
    let section = page.sections.get(article.section_id);
    let section_path = page.sections.path(article.section_id);
    let url = site.article_url(article, &section_path, section.map_or("", |s| s.slug.as_str()));

    let mut doc = Map::new();
    doc.insert("uri".into(), json!(tag_uri(site, article.created_at, "article", article.id)));
    doc.insert("standard".into(), json!({ "name": "ninjs", "version": VERSION, "schema": SCHEMA }));
    doc.insert("type".into(), json!("text"));
    doc.insert("representationtype".into(), json!("full"));
    // Every change to the article moves its update stamp: the version is that moment,
    // in microseconds since 1970, so a later version always has a greater number.
    doc.insert("version".into(), json!(article.updated_at.timestamp_micros().to_string()));
    doc.insert("firstcreated".into(), json!(time(article.created_at)));
    doc.insert("versioncreated".into(), json!(time(article.updated_at)));
    if let Some(until) = article.embargo_until {
        doc.insert("embargoed".into(), json!(time(until)));
    }
    doc.insert("pubstatus".into(), json!(pubstatus(article, now)));
    doc.insert("language".into(), json!(site.language));
    doc.insert("copyrightholder".into(), json!(site.name));
    doc.insert("slugline".into(), json!(article.slug));

    let mut headlines = vec![text("main", &article.headline)];
    if let Some(standfirst) = article.standfirst.as_deref().filter(|s| !s.trim().is_empty()) {
        headlines.push(text("subhead", standfirst));
    }
    doc.insert("headlines".into(), json!(headlines));

    let by_reference: std::collections::HashMap<i64, &image::Model> =
        page.pictures.iter().map(|image| (image.id, image)).collect();
    let html = markdown::render_html(page.body, |reference| {
        images::referenced_id(reference).and_then(|id| by_reference.get(&id)).map(|image| image.url.clone())
    });
    let plain = &markdown::parsed(page.body).text;
    doc.insert(
        "bodies".into(),
        json!([{
            "role": "main",
            "contenttype": "text/html",
            "charcount": plain.chars().count(),
            "wordcount": markdown::word_count(plain),
            "value": html,
        }]),
    );
    if let Some(by) = byline(page.contributors) {
        doc.insert("by".into(), json!(by));
    }
    if let Some(dateline) = article.dateline.as_deref().filter(|d| !d.trim().is_empty()) {
        doc.insert("located".into(), json!(dateline));
    }

    let mut subjects = Vec::new();
    if let Some(section) = section {
        subjects.push(json!({ "name": section.name, "rel": "section", "uri": site.section_url(&section_path) }));
    }
    for tag in page.tags {
        subjects.push(json!({ "name": tag.name, "rel": "about", "uri": site.tag_url(&tag.slug) }));
    }
    if !subjects.is_empty() {
        doc.insert("subjects".into(), json!(subjects));
    }
    doc.insert(
        "altids".into(),
        json!([
            { "role": "url", "value": url },
            { "role": "id", "value": global_id::encode(Kind::Article, article.id) },
        ]),
    );
    let lead = article.lead_image_id.and_then(|id| by_reference.get(&id));
    if let Some(image) = lead {
        doc.insert("associations".into(), json!([picture(site, image, LEAD_IMAGE)]));
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_articles_one_way() {
        let global = global_id::encode(Kind::Article, 42);
        assert_eq!(article_id(&global), Some(42));
        assert_eq!(article_id("42"), Some(42));
        for other in [
            "042",
            "+42",
            "-42",
            "0",
            "",
            "abc",
            "99999999999999999999999",
            &global_id::encode(Kind::Image, 42),
            &format!("{global}="),
        ] {
            assert_eq!(article_id(other), None, "{other}");
        }
        assert_eq!(article_id(&i64::MAX.to_string()), Some(i64::MAX));
    }

    #[test]
    fn bylines_read_as_a_sentence() {
        let writer = |name: &str| Contributor {
            author: entity::author::Model {
                id: 1,
                slug: name.to_lowercase(),
                name: name.into(),
                bio: None,
                user_id: None,
                created_at: Utc::now(),
            },
            role: ContributorRole::Writer,
        };
        assert_eq!(byline(&[]), None);
        assert_eq!(byline(&[writer("Ines Cole")]).as_deref(), Some("Ines Cole"));
        assert_eq!(byline(&[writer("A"), writer("B")]).as_deref(), Some("A and B"));
        assert_eq!(byline(&[writer("A"), writer("B"), writer("C")]).as_deref(), Some("A, B and C"));
    }

    #[test]
    fn image_types_come_from_the_extension() {
        assert_eq!(images::media_type_of("https://images.example.com/a.JPG?w=100"), Some("image/jpeg"));
        assert_eq!(images::media_type_of("https://images.example.com/a.webp#x"), Some("image/webp"));
        assert_eq!(images::media_type_of("https://images.example.com/picture"), None);
    }
}
