//! Properties of everything that turns client text into HTML or parses an opaque value:
//! Markdown bodies, comment bodies, slugs, cursors and global ids. None panics on any
//! input; rendered HTML holds only allowed tags and attributes, no event handler and no
//! URL outside http, https and mailto, however the input hides it; what can round-trip,
//! does.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use newsroom::domain::comments::body_html;
use newsroom::domain::markdown::{self, Block};
use newsroom::domain::pagination::{Cursor, SortValue};
use newsroom::domain::slug::{derive_slug, validate_slug};
use newsroom::graphql::ids::{self, Kind};
use proptest::prelude::*;

/// One piece of HTML as a browser's tokenizer sees it.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Start { name: String, attributes: Vec<(String, String)> },
    End(String),
}

/// Splits `html` the way a browser starts to: `<` and a letter opens a tag, `</` and a
/// letter closes one. Anything else after a `<` (a comment, a doctype, a stray `<`) is
/// an error here, since safe output escapes every `<` it does not mean as a tag.
fn tokenize(html: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(rest_of_tag) = rest.strip_prefix('<') else {
            let end = rest.find('<').unwrap_or(rest.len());
            tokens.push(Token::Text(rest[..end].to_owned()));
            rest = &rest[end..];
            continue;
        };
        let (closing, body) = match rest_of_tag.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, rest_of_tag),
        };
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(format!("a `<` that opens no tag: {rest:.40}"));
        }
        let name_end = body.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase();
        let mut at = &body[name_end..];
        let mut attributes = Vec::new();
        loop {
            at = at.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
            if let Some(after) = at.strip_prefix('>') {
                at = after;
                break;
            }
            if at.is_empty() {
                return Err(format!("an unterminated tag: {rest:.60}"));
            }
            let attr_end = at[1..]
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>' || c == '=')
                .map_or(at.len(), |i| i + 1);
            let attr = at[..attr_end].to_ascii_lowercase();
            at = at[attr_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
            let mut value = String::new();
            if let Some(after) = at.strip_prefix('=') {
                let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
                if let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                    let inner = &after[1..];
                    let close = inner.find(quote).ok_or_else(|| format!("an unterminated value: {rest:.60}"))?;
                    value = inner[..close].to_owned();
                    at = &inner[close + 1..];
                } else {
                    let end = after.find(|c: char| c.is_ascii_whitespace() || c == '>').unwrap_or(after.len());
                    value = after[..end].to_owned();
                    at = &after[end..];
                }
            }
            attributes.push((attr, value));
        }
        tokens.push(if closing { Token::End(name) } else { Token::Start { name, attributes } });
        rest = at;
    }
    Ok(tokens)
}

/// The scheme a browser would follow `url` with, after it decoded the entities of the
/// attribute and dropped the tabs, newlines and control characters it ignores.
fn browser_scheme(url: &str) -> Option<String> {
    let decoded = html_escape::decode_html_entities(url);
    let cleaned: String = decoded
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    // Only a letter followed by letters, digits, `+`, `-` and `.` is a scheme; with anything
    // else before the colon the URL is relative.
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| scheme.to_owned())
}

/// Checks `html` against an allow-list of tags and their attributes.
fn assert_safe(html: &str, allowed: &HashMap<&str, &[&str]>) -> Result<(), TestCaseError> {
    let lower = html.to_ascii_lowercase();
    prop_assert!(!lower.contains("<script"), "a script tag in {html}");
    let tokens = tokenize(html).map_err(|e| TestCaseError::fail(format!("{e} in {html}")))?;
    for token in tokens {
        let Token::Start { name, attributes } = token else { continue };
        let allowed_attributes =
            allowed.get(name.as_str()).ok_or_else(|| TestCaseError::fail(format!("tag <{name}> in {html}")))?;
        for (attribute, value) in attributes {
            prop_assert!(!attribute.starts_with("on"), "event handler {attribute} in {html}");
            prop_assert!(allowed_attributes.contains(&attribute.as_str()), "<{name} {attribute}> in {html}");
            if (attribute == "href" || attribute == "src")
                && let Some(scheme) = browser_scheme(&value)
            {
                prop_assert!(["http", "https", "mailto"].contains(&scheme.as_str()), "a {scheme}: URL in {html}");
            }
        }
    }
    Ok(())
}

fn markdown_tags() -> HashMap<&'static str, &'static [&'static str]> {
    let plain: &[&str] = &[];
    let mut tags: HashMap<&str, &[&str]> = [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "figcaption",
        "blockquote",
        "ul",
        "li",
        "pre",
        "code",
        "em",
        "strong",
        "del",
        "br",
        "sup",
        "sub",
    ]
    .into_iter()
    .map(|tag| (tag, plain))
    .collect();
    tags.insert("a", &["href", "rel"]);
    tags.insert("img", &["src", "alt"]);
    tags.insert("ol", &["start"]);
    tags
}

fn comment_tags() -> HashMap<&'static str, &'static [&'static str]> {
    HashMap::from([("p", &[][..]), ("br", &[][..]), ("a", &["href", "rel"][..])])
}

/// Pieces that, joined in any order, make Markdown an attacker would write: raw HTML,
/// script URLs hidden by case, entities, whitespace and control characters, and the
/// Markdown constructs that carry URLs.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<ScRiPt>",
    "</script>",
    "<<script>",
    "<scr<script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=javascript:alert(1)>",
    "<!-- x -->",
    "<style>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " \u{1}javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "jav&#x09;ascript:alert(1)",
    "javascript&#58;alert(1)",
    "%6Aavascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "[link](",
    "[link](<",
    "](",
    ")",
    ">)",
    "![alt](",
    "![alt](image:",
    "image:",
    "\"title\"",
    " 'title'",
    "[ref]: ",
    "[ref]",
    "[ref][]",
    "<",
    ">",
    "<javascript:alert(1)>",
    "<http://example.com/\">",
    "<mailto:a@b.c>",
    "<a@b.c>",
    "http://example.com/",
    "https://example.com/a?b=1&c=\"2\"",
    "mailto:",
    "//example.com",
    " onclick=alert(1) ",
    "\" onmouseover=\"alert(1)",
    "' onfocus='x",
    "&",
    "&amp;",
    "&lt;script&gt;",
    "*",
    "**",
    "_",
    "~~",
    "^",
    "`",
    "```\n",
    "\\",
    "|",
    "| a | b |\n|---|---|\n",
    "\n",
    "\n\n",
    "> ",
    "- ",
    "1. ",
    "    ",
    "# ",
    "---\n",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "x",
    " ",
];

fn hostile(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(HOSTILE), 0..max).prop_map(|parts| parts.concat())
}

fn block_html(block: &Block) -> Vec<String> {
    match block {
        Block::Paragraph { html, .. } | Block::Quote { html, .. } => vec![html.clone()],
        Block::List { items, .. } => items.clone(),
        Block::Heading { .. } | Block::Image { .. } => Vec::new(),
    }
}

/// Everything the Markdown module gives clients for `markdown`, checked. Stored image ids
/// resolve to themselves, as if a store handed back whatever the author wrote.
fn check_markdown(markdown: &str) -> Result<(), TestCaseError> {
    let tags = markdown_tags();
    let html = markdown::render_html(markdown, |id| Some(id.to_owned()));
    assert_safe(&html, &tags)?;
    let html = markdown::render_html(markdown, |id| Some(format!("https://cdn.example.com/{id}")));
    assert_safe(&html, &tags)?;
    for block in markdown::parse_blocks(markdown) {
        for html in block_html(&block) {
            assert_safe(&html, &tags)?;
        }
        if let Block::Image { source: markdown::ImageSource::External(url), .. } = &block {
            let scheme = browser_scheme(url);
            prop_assert!(matches!(scheme.as_deref(), Some("http" | "https")), "an image at {url}");
        }
    }
    let text = markdown::plain_text(markdown);
    let _ = markdown::reading_time_minutes(markdown::word_count(&text));
    let _ = markdown::stored_image_refs(markdown);
    Ok(())
}

/// The paragraphs a reader sees in a comment's HTML, as text: tags dropped, `<br>` as a
/// line break, entities decoded.
fn comment_paragraphs(html: &str) -> Result<Vec<String>, TestCaseError> {
    let mut paragraphs = Vec::new();
    let mut current: Option<String> = None;
    for token in tokenize(html).map_err(TestCaseError::fail)? {
        match token {
            Token::Start { name, .. } if name == "p" => current = Some(String::new()),
            Token::End(name) if name == "p" => paragraphs.extend(current.take()),
            Token::Start { name, .. } if name == "br" => current.get_or_insert_default().push('\n'),
            Token::Text(text) => current.get_or_insert_default().push_str(&html_escape::decode_html_entities(&text)),
            _ => {}
        }
    }
    Ok(paragraphs)
}

/// A comment body of prose, addresses and everything HTML treats specially.
fn comment_body() -> impl Strategy<Value = String> {
    let pieces: &[&str] = &[
        "hello",
        " ",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        "<",
        ">",
        "&",
        "\"",
        "'",
        "<script>alert(1)</script>",
        "<b onclick=alert(1)>",
        "javascript:alert(1)",
        "http://",
        "https://",
        "https://example.com/a?b=1&c=2",
        "http://x.org/\"onmouseover=alert(1)",
        "https://'onfocus='x",
        "https://<script>",
        "https://a.b/&#x6A;",
        "www.example.com",
        ".",
        ",",
        ")",
        "é",
        "\u{0}",
    ];
    prop_oneof![
        prop::collection::vec(prop::sample::select(pieces), 0..30).prop_map(|parts| parts.concat()),
        any::<String>(),
    ]
}

fn kinds() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::Article,
        Kind::Section,
        Kind::Image,
        Kind::Author,
        Kind::Tag,
        Kind::Comment,
        Kind::User,
    ])
}

/// Sort keys as stored: instants of years 1 to 9999 to the microsecond, or finite floats.
fn sort_values() -> impl Strategy<Value = SortValue> {
    let first = DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap().timestamp_micros();
    let last = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999Z").unwrap().timestamp_micros();
    prop_oneof![
        (first..=last).prop_map(|micros| SortValue::Time(DateTime::from_timestamp_micros(micros).unwrap())),
        any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(SortValue::Float),
    ]
}

/// Instants as a client might write them: any precision down to the nanosecond, any
/// offset.
fn written_times() -> impl Strategy<Value = String> {
    use chrono::{FixedOffset, SecondsFormat};
    let formats = vec![SecondsFormat::Secs, SecondsFormat::Millis, SecondsFormat::Micros, SecondsFormat::Nanos];
    (0i64..=253_402_300_799, 0u32..1_000_000_000, prop::sample::select(formats), -1439i32..=1439).prop_map(
        |(seconds, nanos, format, offset_minutes)| {
            let at = DateTime::from_timestamp(seconds, nanos).unwrap();
            let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
            at.with_timezone(&offset).to_rfc3339_opts(format, false)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn markdown_from_hostile_pieces_renders_safe_html(markdown in hostile(40)) {
        check_markdown(&markdown)?;
    }

    #[test]
    fn markdown_from_any_text_renders_safe_html(markdown in any::<String>()) {
        check_markdown(&markdown)?;
    }

    #[test]
    fn markdown_links_and_images_to_any_url_render_safe_html(
        url in prop_oneof![hostile(6), "[ -~\t\n]{0,40}"],
        text in "[a-z <>&\"]{0,10}",
        title in "[a-z \"']{0,10}",
    ) {
        for markdown in [
            format!("[{text}]({url})"),
            format!("[{text}](<{url}> \"{title}\")"),
            format!("![{text}]({url} \"{title}\")"),
            format!("![{text}](image:{url})"),
            format!("<{url}>"),
            format!("[{text}][r]\n\n[r]: {url} \"{title}\""),
            format!("> - [{text}]({url})"),
        ] {
            check_markdown(&markdown)?;
        }
    }

    #[test]
    fn comment_html_is_safe_and_shows_the_text_as_sent(body in comment_body()) {
        let html = body_html(&body);
        assert_safe(&html, &comment_tags())?;
        for link in tokenize(&html).unwrap().into_iter().filter_map(|t| match t {
            Token::Start { name, attributes } if name == "a" => Some(attributes),
            _ => None,
        }) {
            prop_assert!(link.contains(&("rel".to_owned(), "nofollow ugc noopener".to_owned())), "{html}");
        }
        // Escaping loses nothing: the paragraphs read back are the body's.
        let normalized = body.replace("\r\n", "\n");
        let expected: Vec<&str> = normalized.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
        prop_assert_eq!(comment_paragraphs(&html)?, expected);
    }

    #[test]
    fn derived_slugs_are_valid_and_stable(text in prop_oneof![any::<String>(), hostile(20), "[A-Za-zÀ-ÿ0-9 _.-]{0,200}"]) {
        if let Some(slug) = derive_slug(&text) {
            prop_assert_eq!(validate_slug(&slug), Ok(()));
            prop_assert_eq!(derive_slug(&slug), Some(slug.clone()), "derived again from {:?}", text);
        }
    }

    #[test]
    fn cursors_round_trip(list in "[a-z_]{1,20}", key in sort_values(), id in any::<i64>()) {
        let cursor = Cursor { list, key, id };
        let decoded = Cursor::decode("after", &cursor.encode()).expect("our own cursor decodes");
        prop_assert_eq!(decoded, cursor);
    }

    #[test]
    fn any_cursor_text_is_decoded_or_refused(
        text in prop_oneof![
            any::<String>(),
            any::<Vec<u8>>().prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
            ("[a-z|]{0,12}", "[tf]", "[-+0-9.:TZe|a-z]{0,40}", "[-0-9|]{0,22}")
                .prop_map(|(l, k, v, i)| URL_SAFE_NO_PAD.encode(format!("{l}|{k}|{v}|{i}"))),
            written_times().prop_map(|at| URL_SAFE_NO_PAD.encode(format!("articles|t|{at}|7"))),
        ]
    ) {
        if let Ok(cursor) = Cursor::decode("after", &text) {
            // What decodes encodes again to a cursor that decodes to the same position.
            prop_assert_eq!(Cursor::decode("after", &cursor.encode()).unwrap(), cursor);
        }
    }

    #[test]
    fn global_ids_round_trip(kind in kinds(), id in 1..=i64::MAX) {
        let encoded = ids::encode(kind, id);
        prop_assert_eq!(ids::decode(&encoded), Some((kind, id)));
        prop_assert_eq!(ids::decode_as(kind, "id", &encoded).ok(), Some(id));
        for other in [Kind::Article, Kind::Comment].into_iter().filter(|k| *k != kind) {
            prop_assert!(ids::decode_as(other, "id", &encoded).is_err());
        }
    }

    #[test]
    fn any_global_id_text_is_decoded_or_refused(
        text in prop_oneof![
            any::<String>(),
            any::<Vec<u8>>().prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
            ("[A-Za-z]{0,10}", "[-+0-9:]{0,22}").prop_map(|(k, n)| URL_SAFE_NO_PAD.encode(format!("{k}:{n}"))),
        ]
    ) {
        if let Some((kind, id)) = ids::decode(&text) {
            prop_assert!(id > 0);
            prop_assert_eq!(ids::decode(&ids::encode(kind, id)), Some((kind, id)));
        } else {
            prop_assert!(ids::decode_as(Kind::Article, "id", &text).is_err());
        }
    }
}

/// The checks themselves catch what they are meant to: each of these is refused.
#[test]
fn the_checker_sees_unsafe_html() {
    let tags = markdown_tags();
    for unsafe_html in [
        "<script>alert(1)</script>",
        "<p onclick=\"x\">a</p>",
        "<p/onclick=x>a</p>",
        "<a href=\"javascript:alert(1)\">a</a>",
        "<a href=\"JaVa&#x09;Script&colon;alert(1)\">a</a>",
        "<a href=\"&#106;avascript:alert(1)\">a</a>",
        "<a href=\" \u{1}java\nscript:alert(1)\">a</a>",
        "<a href=data:text/html,x>a</a>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=\"https://x\"></iframe>",
        "<p>a <!-- comment --></p>",
        "<p>1 < 2</p>",
        "<p title=\"x\">a</p>",
    ] {
        let verdict = proptest::test_runner::TestRunner::default().run(&Just(()), |()| assert_safe(unsafe_html, &tags));
        assert!(verdict.is_err(), "{unsafe_html} passed the checker");
    }
    let safe = "<p>a <a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener noreferrer\">b</a><br></p>";
    assert!(proptest::test_runner::TestRunner::default().run(&Just(()), |()| assert_safe(safe, &tags)).is_ok());
    assert_eq!(browser_scheme("/relative:path"), None);
    assert_eq!(browser_scheme("  HTTP://x"), Some("http".into()));
}
