//! URL slugs: lower-case ASCII words joined by single hyphens.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("may contain only lower-case letters a-z, digits and single hyphens between them")]
    BadFormat,
}

pub const MAX_SLUG_LEN: usize = 120;

/// Derives a slug from free text such as a headline.
///
/// Non-ASCII letters are transliterated; the result is cut at [`MAX_SLUG_LEN`] at a word
/// boundary where possible. Returns `None` when nothing usable is left (e.g. `"!!!"`).
pub fn derive_slug(text: &str) -> Option<String> {
    let slug = ::slug::slugify(text);
    let slug = truncate_at_word(&slug, MAX_SLUG_LEN);
    (!slug.is_empty()).then(|| slug.to_owned())
}

/// Checks a slug given by a user, without rewriting it.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    if slug.is_empty() {
        return Err(SlugError::Empty);
    }
    if slug.len() > MAX_SLUG_LEN {
        return Err(SlugError::TooLong(MAX_SLUG_LEN));
    }
    let well_formed = slug
        .split('-')
        .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if well_formed { Ok(()) } else { Err(SlugError::BadFormat) }
}

/// `base`, or `base-2`, `base-3`, ...: the first candidate for which `taken` is false.
///
/// `base` is shortened where needed so that every candidate fits in [`MAX_SLUG_LEN`].
/// Keeps counting for as long as `taken` says yes.
pub fn unique_slug(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let first = truncate_at_word(base, MAX_SLUG_LEN);
    if !first.is_empty() && !taken(first) {
        return first.to_owned();
    }
    (2u64..)
        .map(|n| {
            let suffix = n.to_string();
            let stem = truncate_at_word(base, MAX_SLUG_LEN - suffix.len() - 1);
            if stem.is_empty() { suffix } else { format!("{stem}-{suffix}") }
        })
        .find(|candidate| !taken(candidate))
        .expect("the candidates never run out")
}

/// `slug` cut to at most `max` bytes, at the last hyphen before the limit when there is
/// one, without a trailing hyphen.
fn truncate_at_word(slug: &str, max: usize) -> &str {
    if slug.len() <= max {
        return slug.trim_end_matches('-');
    }
    let mut end = max;
    while !slug.is_char_boundary(end) {
        end -= 1;
    }
    let cut = if slug[end..].starts_with('-') {
        &slug[..end]
    } else {
        match slug[..end].rfind('-') {
            Some(hyphen) if hyphen > 0 => &slug[..hyphen],
            _ => &slug[..end],
        }
    };
    cut.trim_end_matches('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn headline() {
        assert_eq!(
            derive_slug("Russia to Remove Taliban from Terrorist List, Seeks Closer Ties with Afghanistan").as_deref(),
            Some("russia-to-remove-taliban-from-terrorist-list-seeks-closer-ties-with-afghanistan")
        );
    }

    #[test]
    fn accents_are_transliterated() {
        assert_eq!(derive_slug("Café Société").as_deref(), Some("cafe-societe"));
        assert_eq!(derive_slug("Straße in Zürich").as_deref(), Some("strasse-in-zurich"));
    }

    #[test]
    fn punctuation_runs_become_one_hyphen() {
        assert_eq!(
            derive_slug("  --Breaking!!! -- \"Quotes\" & (brackets)...  ").as_deref(),
            Some("breaking-quotes-brackets")
        );
        assert_eq!(derive_slug("U.S. 2024: a_b").as_deref(), Some("u-s-2024-a-b"));
    }

    #[test]
    fn nothing_usable() {
        assert_eq!(derive_slug(""), None);
        assert_eq!(derive_slug("!!!"), None);
        assert_eq!(derive_slug(" - _ - "), None);
    }

    #[test]
    fn long_text_is_cut_at_a_word_boundary() {
        let text = "word ".repeat(40);
        let slug = derive_slug(&text).unwrap();
        assert!(slug.len() <= MAX_SLUG_LEN);
        assert!(slug.split('-').all(|w| w == "word"), "{slug}");
        assert_eq!(slug.len(), 119);

        let text = format!("{} tail", "x".repeat(130));
        assert_eq!(derive_slug(&text).unwrap(), "x".repeat(MAX_SLUG_LEN));

        // The limit falls exactly before a hyphen.
        let text = format!("{} next", "a".repeat(MAX_SLUG_LEN));
        assert_eq!(derive_slug(&text).unwrap(), "a".repeat(MAX_SLUG_LEN));
    }

    #[test]
    fn validation() {
        assert_eq!(validate_slug("cafe-societe-2"), Ok(()));
        assert_eq!(validate_slug("a"), Ok(()));
        assert_eq!(validate_slug(""), Err(SlugError::Empty));
        assert_eq!(validate_slug(&"a".repeat(MAX_SLUG_LEN + 1)), Err(SlugError::TooLong(MAX_SLUG_LEN)));
        assert_eq!(validate_slug(&"a".repeat(MAX_SLUG_LEN)), Ok(()));
        for bad in ["Cafe", "cafe--societe", "-cafe", "cafe-", "café", "a b", "a_b", "-"] {
            assert_eq!(validate_slug(bad), Err(SlugError::BadFormat), "{bad}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(SlugError::Empty.to_string(), "must not be empty");
        assert_eq!(SlugError::TooLong(120).to_string(), "must be at most 120 characters");
    }

    #[test]
    fn unique_slug_counts_up() {
        assert_eq!(unique_slug("news", |_| false), "news");
        let taken: HashSet<&str> = ["news", "news-2", "news-3"].into();
        assert_eq!(unique_slug("news", |s| taken.contains(s)), "news-4");
    }

    #[test]
    fn unique_slug_stays_within_the_limit() {
        let base = format!("{}-{}", "a".repeat(100), "b".repeat(19));
        assert_eq!(base.len(), MAX_SLUG_LEN);
        assert_eq!(unique_slug(&base, |_| false), base);
        let with_suffix = unique_slug(&base, |s| s == base);
        assert_eq!(with_suffix, format!("{}-2", "a".repeat(100)));

        let base = "c".repeat(MAX_SLUG_LEN);
        let taken: HashSet<String> =
            (2..=9).map(|n| format!("{}-{n}", "c".repeat(MAX_SLUG_LEN - 2))).chain([base.clone()]).collect();
        let slug = unique_slug(&base, |s| taken.contains(s));
        assert_eq!(slug, format!("{}-10", "c".repeat(MAX_SLUG_LEN - 3)));
        assert_eq!(slug.len(), MAX_SLUG_LEN);
    }

    proptest! {
        #[test]
        fn derived_slugs_are_valid(text in any::<String>()) {
            if let Some(slug) = derive_slug(&text) {
                prop_assert_eq!(validate_slug(&slug), Ok(()));
            }
        }

        #[test]
        fn derived_slugs_from_words_are_valid(text in "[A-Za-zÀ-ÿ0-9 !?.,'-]{0,300}") {
            if let Some(slug) = derive_slug(&text) {
                prop_assert_eq!(validate_slug(&slug), Ok(()));
            }
        }

        #[test]
        fn unique_slugs_are_valid_and_free(text in "[a-z ]{1,200}", taken_count in 0usize..5) {
            let Some(base) = derive_slug(&text) else { return Ok(()) };
            let mut taken = HashSet::from([base.clone()]);
            for _ in 0..taken_count {
                let next = unique_slug(&base, |s| taken.contains(s));
                taken.insert(next);
            }
            let slug = unique_slug(&base, |s| taken.contains(s));
            prop_assert_eq!(validate_slug(&slug), Ok(()));
            prop_assert!(!taken.contains(&slug));
        }
    }
}
