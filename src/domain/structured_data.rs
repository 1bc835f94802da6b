//! An article page's schema.org JSON-LD, as search engines read it: `NewsArticle` or the
//! type of its kind, with its headline, images and their credits, dates, authors,
//! publisher, section, keywords, corrections and, for paywalled articles, which part is
//! free. Built from what the caller may see; it never holds the body.

use entity::article::{self, AccessLevel, ArticleKind};
use entity::article_author::ContributorRole;
use entity::{correction, image, live_entry, section, tag};
use serde_json::{Value, json};

use super::bylines::Contributor;
use super::credit::Credit;
use super::site::Site;

/// What an article's structured data is made of, each part already loaded.
pub struct ArticlePage<'a> {
    pub site: &'a Site,
    pub article: &'a article::Model,
    pub url: &'a str,
    pub section: Option<&'a section::Model>,
    pub contributors: &'a [Contributor],
    pub tags: &'a [tag::Model],
    pub corrections: &'a [correction::Model],
    /// The lead image, when the caller may see it.
    pub lead_image: Option<&'a image::Model>,
    /// A live blog's first entries, as its page shows them.
    pub live_entries: &'a [live_entry::Model],
}

/// The schema.org type of each kind.
pub fn schema_type(kind: ArticleKind) -> &'static str {
    match kind {
        ArticleKind::Opinion => "OpinionNewsArticle",
        ArticleKind::Analysis => "AnalysisNewsArticle",
        ArticleKind::Review => "ReviewNewsArticle",
        ArticleKind::Live => "LiveBlogPosting",
        ArticleKind::Sponsored => "AdvertiserContentArticle",
        ArticleKind::News | ArticleKind::Feature | ArticleKind::Obituary => "NewsArticle",
    }
}

/// Whether the kind's type is `NewsArticle` or one of its subtypes, which alone take a
/// `dateline`: a live blog is a `BlogPosting`, sponsored content an `Article`.
fn is_news_article(kind: ArticleKind) -> bool {
    !matches!(kind, ArticleKind::Live | ArticleKind::Sponsored)
}

/// Longest headline search engines show; a longer one is cut at a word.
const MAX_HEADLINE_CHARS: usize = 110;

fn headline(text: &str) -> String {
    if text.chars().count() <= MAX_HEADLINE_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_HEADLINE_CHARS - 1).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", at_word.trim_end())
}

/// Who to credit for an image, as a caption shows it: `Photographer/Agency via
/// Distributor`, without the licence (which goes with the rights); `None` when nothing
/// is known.
pub fn credit_text(image: &image::Model) -> Option<String> {
    let credit = Credit::from_parts(image.photographer.clone(), image.agency.clone(), image.distributor.clone(), None)?;
    Some(credit.credit_line()).filter(|line| !line.is_empty())
}

/// A length in pixels, as schema.org types `width` and `height` (a `QuantitativeValue` or a
/// `Distance`, never a bare number): the unit is UN/CEFACT's `E37`, the pixel.
fn pixels(count: i32) -> Value {
    json!({ "@type": "QuantitativeValue", "value": count, "unitCode": "E37" })
}

fn image_object(image: &image::Model) -> Value {
    let mut object = json!({ "@type": "ImageObject", "url": image.url, "contentUrl": image.url });
    let fields = object.as_object_mut().expect("an object");
    if let Some(width) = image.width {
        fields.insert("width".into(), pixels(width));
    }
    if let Some(height) = image.height {
        fields.insert("height".into(), pixels(height));
    }
    if let Some(caption) = &image.caption {
        fields.insert("caption".into(), json!(caption));
    }
    if let Some(credit) = credit_text(image) {
        fields.insert("creditText".into(), json!(credit));
    }
    if let Some(holder) = &image.copyright_holder {
        fields.insert("copyrightHolder".into(), json!({ "@type": "Organization", "name": holder }));
    }
    // schema.org's `license` is a URL; a licence written as words stays in the credit.
    if let Some(license) = image.license.as_deref().filter(|l| l.starts_with("https://") || l.starts_with("http://")) {
        fields.insert("license".into(), json!(license));
    }
    object
}

/// The JSON-LD of an article page.
pub fn of_article(page: &ArticlePage<'_>) -> Value {
    let article = page.article;
    let site = page.site;
    let publisher = json!({ "@type": "NewsMediaOrganization", "name": site.name, "url": site.url });
    let authors: Vec<Value> = page
        .contributors
        .iter()
        .filter(|c| c.role == ContributorRole::Writer)
        .map(|c| json!({ "@type": "Person", "name": c.author.name, "url": site.author_url(&c.author.slug) }))
        .collect();
    let mut data = json!({
        "@context": "https://schema.org",
        "@type": schema_type(article.kind),
        "headline": headline(&article.headline),
        "url": page.url,
        "mainEntityOfPage": { "@type": "WebPage", "@id": page.url },
        "dateModified": article.updated_at.to_rfc3339(),
        "author": authors,
        "publisher": publisher,
        "inLanguage": site.language,
        "isAccessibleForFree": article.access == AccessLevel::Free,
    });
    let fields = data.as_object_mut().expect("an object");
    if let Some(published) = article.published_at {
        fields.insert("datePublished".into(), json!(published.to_rfc3339()));
    }
    if let Some(standfirst) = &article.standfirst {
        fields.insert("description".into(), json!(standfirst));
    }
    if let Some(image) = page.lead_image {
        fields.insert("image".into(), json!([image_object(image)]));
    }
    if let Some(section) = page.section {
        fields.insert("articleSection".into(), json!(section.name));
    }
    if !page.tags.is_empty() {
        let keywords: Vec<&str> = page.tags.iter().map(|t| t.name.as_str()).collect();
        fields.insert("keywords".into(), json!(keywords));
    }
    if let Some(dateline) = article.dateline.as_ref().filter(|_| is_news_article(article.kind)) {
        fields.insert("dateline".into(), json!(dateline));
    }
    let others: Vec<Value> = page
        .contributors
        .iter()
        .filter(|c| c.role != ContributorRole::Writer)
        .map(|c| json!({ "@type": "Person", "name": c.author.name, "url": site.author_url(&c.author.slug) }))
        .collect();
    if !others.is_empty() {
        fields.insert("contributor".into(), json!(others));
    }
    if !page.corrections.is_empty() {
        let corrections: Vec<Value> = page
            .corrections
            .iter()
            .map(
                |c| json!({ "@type": "CorrectionComment", "text": c.text, "datePublished": c.created_at.to_rfc3339() }),
            )
            .collect();
        fields.insert("correction".into(), json!(corrections));
    }
    if article.access != AccessLevel::Free {
        // The part behind the paywall, as frontends mark it up.
        fields.insert(
            "hasPart".into(),
            json!({ "@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywall" }),
        );
    }
    if article.kind == ArticleKind::Live {
        if let Some(started) = article.published_at {
            fields.insert("coverageStartTime".into(), json!(started.to_rfc3339()));
        }
        if let Some(ended) = article.coverage_ended_at {
            fields.insert("coverageEndTime".into(), json!(ended.to_rfc3339()));
        }
        let free = article.access == AccessLevel::Free;
        let updates: Vec<Value> = page
            .live_entries
            .iter()
            .map(|entry| {
                let mut update = json!({
                    "@type": "BlogPosting",
                    "headline": headline(entry.headline.as_deref().unwrap_or(&article.headline)),
                    "datePublished": entry.created_at.to_rfc3339(),
                    "dateModified": entry.updated_at.to_rfc3339(),
                    "url": format!("{}#entry-{}", page.url, entry.id),
                });
                if free {
                    let text = super::markdown::parsed(&entry.body_markdown).text.clone();
                    update.as_object_mut().expect("an object").insert("articleBody".into(), json!(text));
                }
                update
            })
            .collect();
        fields.insert("liveBlogUpdate".into(), json!(updates));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_headlines_are_cut_at_a_word() {
        assert_eq!(headline("Short"), "Short");
        let long = "word ".repeat(40);
        let cut = headline(long.trim());
        assert!(cut.chars().count() <= MAX_HEADLINE_CHARS, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
    }
}
