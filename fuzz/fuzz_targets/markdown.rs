//! Markdown bodies: no panic, no hang, and only safe HTML out, whatever the input.
#![no_main]

#[path = "html_check.rs"]
mod html_check;

use libfuzzer_sys::fuzz_target;
use newsroom::domain::markdown::{self, Block};

const TAGS: &[(&str, &[&str])] = &[
    ("p", &[]),
    ("h1", &[]),
    ("h2", &[]),
    ("h3", &[]),
    ("h4", &[]),
    ("h5", &[]),
    ("h6", &[]),
    ("figure", &[]),
    ("figcaption", &[]),
    ("blockquote", &[]),
    ("ul", &[]),
    ("ol", &["start"]),
    ("li", &[]),
    ("pre", &[]),
    ("code", &[]),
    ("em", &[]),
    ("strong", &[]),
    ("del", &[]),
    ("br", &[]),
    ("sup", &[]),
    ("sub", &[]),
    ("a", &["href", "rel"]),
    ("img", &["src", "alt"]),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A stored image id resolves to itself: even a store that handed back whatever the
    // author wrote must not make the body unsafe.
    html_check::assert_safe(&markdown::render_html(text, |id| Some(id.to_owned())), TAGS);
    for block in markdown::parse_blocks(text) {
        match block {
            Block::Paragraph { html, .. } | Block::Quote { html, .. } => html_check::assert_safe(&html, TAGS),
            Block::List { items, .. } => items.iter().for_each(|html| html_check::assert_safe(html, TAGS)),
            Block::Heading { .. } | Block::Image { .. } => {}
        }
    }
    let plain = markdown::plain_text(text);
    let _ = markdown::reading_time_minutes(markdown::word_count(&plain));
    let _ = markdown::stored_image_refs(text);
});
