//! Checks of what editors send: each failure names the field and the rule.

use super::slug;
use super::{Error, Result};
use chrono::{DateTime, Utc};

pub const MAX_NAME_LEN: usize = 120;
pub const MAX_HEADLINE_LEN: usize = 300;
pub const MAX_STANDFIRST_LEN: usize = 1000;
pub const MAX_BODY_BYTES: usize = 200 * 1024;
pub const MAX_TEXT_LEN: usize = 2000;
pub const MAX_CREDIT_LEN: usize = 200;
pub const MAX_URL_LEN: usize = 2000;
/// A kicker ("Exclusive", "Analysis") and a dateline ("KABUL") are labels, not sentences.
pub const MAX_LABEL_LEN: usize = 60;

/// Required text, trimmed, of `min` to `max` characters.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String> {
    let value = value.trim();
    let length = value.chars().count();
    if length < min || length > max {
        let rule = if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        };
        return Err(Error::bad_input(field, format!("{rule}, got {length}")));
    }
    Ok(value.to_owned())
}

/// Optional text, trimmed, at most `max` characters; blank becomes `None`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => text(field, value, 1, max).map(Some),
        None => Ok(None),
    }
}

pub fn name(field: &str, value: &str) -> Result<String> {
    text(field, value, 1, MAX_NAME_LEN)
}

pub fn headline(value: &str) -> Result<String> {
    text("headline", value, 1, MAX_HEADLINE_LEN)
}

/// A short label of an article (`kicker`, `dateline`); blank clears it.
pub fn label(field: &str, value: &str) -> Result<Option<String>> {
    optional_text(field, Some(value), MAX_LABEL_LEN)
}

/// A time that must still be to come, such as an embargo's end.
pub fn future(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if at <= now {
        return Err(Error::bad_input(field, "must be in the future"));
    }
    Ok(at)
}

pub fn standfirst(value: Option<&str>) -> Result<Option<String>> {
    optional_text("standfirst", value, MAX_STANDFIRST_LEN)
}

/// The Markdown body: kept exactly as written, at most 200 KB.
pub fn body(value: &str) -> Result<String> {
    if value.len() > MAX_BODY_BYTES {
        return Err(Error::bad_input(
            "bodyMarkdown",
            format!("must be at most {MAX_BODY_BYTES} bytes, got {}", value.len()),
        ));
    }
    Ok(value.to_owned())
}

/// A slug as given: lower-case ASCII letters and digits with single hyphens between.
pub fn slug(field: &str, value: &str) -> Result<String> {
    slug::validate_slug(value).map_err(|e| Error::bad_input(field, e.to_string()))?;
    Ok(value.to_owned())
}

/// The slug given, or else one derived from `source` (the headline or name).
pub fn slug_or_derived(field: &str, given: Option<&str>, source: &str) -> Result<String> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(given) => slug(field, given),
        None => slug::derive_slug(source).ok_or_else(|| {
            Error::bad_input(field, format!("cannot be derived from {source:?}: give one of a-z, 0-9 and hyphens"))
        }),
    }
}

/// An absolute http(s) URL.
pub fn web_url(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let parsed = url::Url::parse(value).map_err(|_| Error::bad_input(field, "must be an absolute http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::bad_input(field, "must be an absolute http(s) URL"));
    }
    if value.len() > MAX_URL_LEN {
        return Err(Error::bad_input(field, format!("must be at most {MAX_URL_LEN} characters")));
    }
    Ok(value.to_owned())
}

pub fn optional_web_url(field: &str, value: Option<&str>) -> Result<Option<String>> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(|v| web_url(field, v)).transpose()
}

/// A width or height: a positive number of pixels.
pub fn dimension(field: &str, value: Option<i32>) -> Result<Option<i32>> {
    match value {
        Some(n) if n <= 0 => Err(Error::bad_input(field, format!("must be a positive number of pixels, got {n}"))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_counted_in_characters_and_trimmed() {
        assert_eq!(text("name", "  Café  ", 1, 4).unwrap(), "Café");
        assert!(text("name", "   ", 1, 4).is_err());
        assert!(headline(&"x".repeat(301)).is_err());
        assert!(headline(&"é".repeat(300)).is_ok());
        assert_eq!(standfirst(Some("  ")).unwrap(), None);
    }

    #[test]
    fn slugs_urls_and_dimensions() {
        assert_eq!(slug_or_derived("slug", None, "Café Society!").unwrap(), "cafe-society");
        assert!(slug_or_derived("slug", Some("Not A Slug"), "x").is_err());
        assert!(slug_or_derived("slug", None, "!!!").is_err());
        assert!(web_url("url", "https://images.example.com/a.jpg").is_ok());
        for bad in ["/relative.jpg", "javascript:alert(1)", "ftp://example.com/a", "https://", "not a url"] {
            assert!(web_url("url", bad).is_err(), "{bad}");
        }
        assert!(dimension("width", Some(0)).is_err());
        assert_eq!(dimension("width", Some(10)).unwrap(), Some(10));
    }
}
