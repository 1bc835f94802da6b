//! What the fuzz targets demand of rendered HTML: every `<` opens a well-formed tag of
//! `allowed`, no attribute is an event handler, and no URL has a scheme other than http,
//! https or mailto once a browser decoded it. The same rules as tests/api/properties.rs.

pub fn assert_safe(html: &str, allowed: &[(&str, &[&str])]) {
    assert!(!html.to_ascii_lowercase().contains("<script"), "a script tag in {html:?}");
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let tag = &rest[at + 1..];
        let (closing, body) = match tag.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, tag),
        };
        assert!(body.starts_with(|c: char| c.is_ascii_alphabetic()), "a `<` that opens no tag in {html:?}");
        let name_end = body.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase();
        let attributes_allowed = allowed
            .iter()
            .find(|(tag, _)| *tag == name)
            .map(|(_, attributes)| *attributes)
            .unwrap_or_else(|| panic!("tag <{name}> in {html:?}"));
        let mut at = &body[name_end..];
        loop {
            at = at.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
            if let Some(after) = at.strip_prefix('>') {
                at = after;
                break;
            }
            assert!(!at.is_empty(), "an unterminated tag in {html:?}");
            assert!(!closing, "a closing tag with attributes in {html:?}");
            let attr_end = at[1..]
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>' || c == '=')
                .map_or(at.len(), |i| i + 1);
            let attribute = at[..attr_end].to_ascii_lowercase();
            assert!(!attribute.starts_with("on"), "event handler {attribute} in {html:?}");
            assert!(attributes_allowed.contains(&attribute.as_str()), "<{name} {attribute}> in {html:?}");
            at = at[attr_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
            let mut value = "";
            if let Some(after) = at.strip_prefix('=') {
                let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
                match after.chars().next() {
                    Some(quote @ ('"' | '\'')) => {
                        let close = after[1..].find(quote).expect("a closed attribute value") + 1;
                        value = &after[1..close];
                        at = &after[close + 1..];
                    }
                    _ => {
                        let end = after.find(|c: char| c.is_ascii_whitespace() || c == '>').unwrap_or(after.len());
                        value = &after[..end];
                        at = &after[end..];
                    }
                }
            }
            if (attribute == "href" || attribute == "src")
                && let Some(scheme) = scheme(value)
            {
                assert!(["http", "https", "mailto"].contains(&scheme.as_str()), "a {scheme}: URL in {html:?}");
            }
        }
        rest = at;
    }
}

fn scheme(url: &str) -> Option<String> {
    let decoded = html_escape::decode_html_entities(url);
    let cleaned: String = decoded
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme = &cleaned[..cleaned.find(':')?];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_owned())
}
