//! Comment bodies: escaped into paragraphs and links that are always safe HTML.
#![no_main]

#[path = "html_check.rs"]
mod html_check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let html = newsroom::domain::comments::body_html(body);
    html_check::assert_safe(&html, &[("p", &[]), ("br", &[]), ("a", &["href", "rel"])]);
});
