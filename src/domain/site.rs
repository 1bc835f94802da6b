//! The publication's public site: its name, address and language, and where each page
//! lives on it. Every link the API hands out (an article's `url`, and later its feeds,
//! sitemaps, structured data and ninjs documents) comes from here.

use chrono::{DateTime, Utc};
use entity::article;

/// The site as configured.
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    /// Without a trailing slash, e.g. `https://news.example.com`.
    pub url: String,
    /// A BCP 47 language tag, e.g. `en` or `en-GB`.
    pub language: String,
    article_pattern: UrlPattern,
}

impl Site {
    pub fn new(name: &str, url: &str, language: &str, article_pattern: UrlPattern) -> Site {
        Site {
            name: name.to_owned(),
            url: url.trim_end_matches('/').to_owned(),
            language: language.to_owned(),
            article_pattern,
        }
    }

    /// An article's public address. `section_path` is the path of its section
    /// (`world/africa`), `section_slug` the section's own slug.
    pub fn article_url(&self, article: &article::Model, section_path: &str, section_slug: &str) -> String {
        let address =
            Address { id: article.id, slug: &article.slug, dated: article.published_at.unwrap_or(article.created_at) };
        self.address_url(&address, section_path, section_slug)
    }

    /// [`article_url`](Self::article_url) from the parts of an article it uses, for lists
    /// that read only those columns (sitemaps).
    pub fn address_url(&self, article: &Address<'_>, section_path: &str, section_slug: &str) -> String {
        let dated = article.dated;
        let mut url = String::new();
        for piece in &self.article_pattern.0 {
            match piece {
                Piece::Text(text) => url.push_str(text),
                Piece::Site => url.push_str(&self.url),
                Piece::SectionPath => url.push_str(section_path),
                Piece::Section => url.push_str(section_slug),
                Piece::Slug => url.push_str(article.slug),
                Piece::Id => url.push_str(&article.id.to_string()),
                Piece::Year => url.push_str(&dated.format("%Y").to_string()),
                Piece::Month => url.push_str(&dated.format("%m").to_string()),
                Piece::Day => url.push_str(&dated.format("%d").to_string()),
            }
        }
        url
    }

    /// An author's page: `{site}/authors/{slug}`.
    pub fn author_url(&self, slug: &str) -> String {
        format!("{}/authors/{slug}", self.url)
    }

    /// A tag's page: `{site}/tags/{slug}`.
    pub fn tag_url(&self, slug: &str) -> String {
        format!("{}/tags/{slug}", self.url)
    }

    /// A section's front: `{site}/{section_path}`.
    pub fn section_url(&self, path: &str) -> String {
        format!("{}/{path}", self.url)
    }

    /// A path the site serves from the API (feeds, sitemaps), e.g. `/feeds/rss.xml`.
    pub fn served_url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The site's host name, as tag URIs name their authority (RFC 4151).
    pub fn host(&self) -> Option<String> {
        url::Url::parse(&self.url).ok()?.host_str().map(str::to_owned)
    }
}

/// What an article's address is made of.
#[derive(Debug, Clone, Copy)]
pub struct Address<'a> {
    pub id: i64,
    pub slug: &'a str,
    /// When it was published, or for one never published, created.
    pub dated: DateTime<Utc>,
}

/// Where articles live: text with placeholders, e.g. `{site}/{section_path}/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPattern(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Site,
    SectionPath,
    Section,
    Slug,
    Id,
    Year,
    Month,
    Day,
}

pub const DEFAULT_ARTICLE_PATTERN: &str = "{site}/{section_path}/{slug}";

const PLACEHOLDERS: &str = "{site}, {section_path}, {section}, {slug}, {id}, {yyyy}, {mm}, {dd}";

impl UrlPattern {
    /// Reads a pattern; it must start with `{site}` or an absolute http(s) address, and name
    /// the article by `{slug}` or `{id}`.
    pub fn parse(text: &str) -> Result<UrlPattern, String> {
        let mut pieces = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest.find('}').ok_or_else(|| format!("an unclosed {{ in {text:?}"))?;
                    let piece = match &rest[1..end] {
                        "site" => Piece::Site,
                        "section_path" => Piece::SectionPath,
                        "section" => Piece::Section,
                        "slug" => Piece::Slug,
                        "id" => Piece::Id,
                        "yyyy" => Piece::Year,
                        "mm" => Piece::Month,
                        "dd" => Piece::Day,
                        other => return Err(format!("unknown placeholder {{{other}}}; use {PLACEHOLDERS}")),
                    };
                    pieces.push(piece);
                    rest = &rest[end + 1..];
                }
                Some(start) => {
                    pieces.push(Piece::Text(rest[..start].to_owned()));
                    rest = &rest[start..];
                }
                None => {
                    pieces.push(Piece::Text(rest.to_owned()));
                    rest = "";
                }
            }
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Slug | Piece::Id)) {
            return Err("the pattern must name the article with {slug} or {id}".into());
        }
        let absolute = match pieces.first() {
            Some(Piece::Site) => true,
            Some(Piece::Text(start)) => start.starts_with("https://") || start.starts_with("http://"),
            _ => false,
        };
        if !absolute {
            return Err("the pattern must start with {site} or an http(s) address".into());
        }
        Ok(UrlPattern(pieces))
    }
}

impl Default for UrlPattern {
    fn default() -> Self {
        UrlPattern::parse(DEFAULT_ARTICLE_PATTERN).expect("the default pattern parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article() -> article::Model {
        let at = "2026-03-07T10:00:00Z".parse().unwrap();
        article::Model {
            id: 42,
            slug: "floods-reach-the-delta".into(),
            headline: "Floods".into(),
            standfirst: None,
            body_markdown: String::new(),
            status: article::ArticleStatus::Published,
            section_id: 1,
            lead_image_id: None,
            comments_open: true,
            seo_title: None,
            seo_description: None,
            canonical_url: None,
            created_by: None,
            created_at: at,
            updated_at: at,
            published_at: Some(at),
            scheduled_at: None,
            kind: Default::default(),
            kicker: None,
            dateline: None,
            embargo_until: None,
            access: Default::default(),
            teaser_blocks: None,
            coverage_ended_at: None,
        }
    }

    #[test]
    fn patterns_place_each_part() {
        let site =
            |pattern: &str| Site::new("Daily", "https://news.example.com/", "en", UrlPattern::parse(pattern).unwrap());
        let url = |pattern: &str| site(pattern).article_url(&article(), "world/africa", "africa");
        assert_eq!(url(DEFAULT_ARTICLE_PATTERN), "https://news.example.com/world/africa/floods-reach-the-delta");
        assert_eq!(url("{site}/{yyyy}/{mm}/{dd}/{slug}"), "https://news.example.com/2026/03/07/floods-reach-the-delta");
        assert_eq!(url("https://amp.example.com/{section}/{id}.html"), "https://amp.example.com/africa/42.html");
        assert_eq!(site(DEFAULT_ARTICLE_PATTERN).author_url("ines-cole"), "https://news.example.com/authors/ines-cole");
        assert_eq!(site(DEFAULT_ARTICLE_PATTERN).tag_url("floods"), "https://news.example.com/tags/floods");
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        for (pattern, says) in [
            ("{site}/{headline}", "unknown placeholder {headline}"),
            ("{site}/{section_path}", "{slug} or {id}"),
            ("/news/{slug}", "start with {site}"),
            ("{site}/{slug", "unclosed"),
        ] {
            let error = UrlPattern::parse(pattern).unwrap_err();
            assert!(error.contains(says), "{pattern}: {error}");
        }
    }
}
