//! Markdown article bodies: parsing into blocks, safe HTML rendering and plain text.
//!
//! Raw HTML written in the Markdown is never passed through. HTML blocks (a tag on a
//! line of its own, typically pasted embed code) are dropped; HTML inside a paragraph is
//! kept as literal, escaped text so that the author can see it in the output.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// A reference from the body to an image: `![alt](image:ID "caption")` names a stored image,
/// anything else is an external URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// The ID text after `image:`, exactly as written.
    Stored(String),
    /// The image URL as written.
    External(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// `html` is sanitised inline HTML (links, emphasis, code) without a `<p>` wrapper.
    Paragraph {
        html: String,
        text: String,
    },
    Heading {
        level: u8,
        text: String,
    },
    /// `caption` comes from the image title (`"..."`).
    Image {
        source: ImageSource,
        alt_text: String,
        caption: Option<String>,
    },
    /// `html` holds each inner paragraph wrapped in `<p>`; `text` joins them with blank lines.
    Quote {
        html: String,
        text: String,
    },
    /// Each item is sanitised inline HTML without `<li>`; nested lists are flattened into
    /// their item, separated by `<br>`.
    List {
        ordered: bool,
        items: Vec<String>,
    },
}

/// Words a reader gets through in a minute.
const WORDS_PER_MINUTE: usize = 230;

const STORED_IMAGE_PREFIX: &str = "image:";

/// Quotes and lists nested deeper than this are read as flat text, which keeps the
/// recursion of the parser bounded whatever the input.
const MAX_NESTING: usize = 16;

/// Parses Markdown into blocks.
///
/// A paragraph that consists only of one image becomes an [`Block::Image`]; an image
/// standing between text in a paragraph splits it, while images inside links, lists and
/// quotes are reduced to their alt text. Code blocks become a paragraph whose html is
/// `<code>escaped</code>`. Table rows become paragraphs of their cells. Thematic breaks
/// and HTML blocks are dropped.
pub fn parse_blocks(markdown: &str) -> Vec<Block> {
    parse_nodes(markdown).into_iter().map(Node::into_block).collect()
}

/// The beginning of `markdown` that renders to at most `limit` blocks: whole top-level
/// parts (paragraphs, headings, lists, quotes, ...), as many as fit. A paywalled article
/// shows this much; every rendering of its body starts from it, so none shows more.
pub fn first_blocks(markdown: &str, limit: usize) -> &str {
    let mut depth = 0usize;
    let mut shown = 0usize;
    let mut end = 0usize;
    for (event, range) in Parser::new_ext(markdown, parser_options()).into_offset_iter() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // A paragraph holding images renders as several blocks.
                    let blocks = parse_nodes(&markdown[range.clone()]).len();
                    if shown + blocks > limit {
                        break;
                    }
                    shown += blocks;
                    end = range.end;
                }
            }
            _ => {}
        }
    }
    markdown[..end].trim_end()
}

/// The stored image ids referenced by `image:ID` in the body, in order of appearance,
/// without duplicates.
pub fn stored_image_refs(markdown: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut refs = Vec::new();
    for event in Parser::new_ext(markdown, parser_options()) {
        if let Event::Start(Tag::Image { dest_url, .. }) = event
            && let Some(id) = stored_id(&dest_url)
            && seen.insert(id.to_owned())
        {
            refs.push(id.to_owned());
        }
    }
    refs
}

/// The whole body as sanitised HTML.
///
/// `resolve` maps a stored image ID to its URL; an image it returns `None` for is left
/// out entirely. External images are kept only with an `http` or `https` URL.
pub fn render_html(markdown: &str, resolve: impl Fn(&str) -> Option<String>) -> String {
    let mut html = String::new();
    for node in parse_nodes(markdown) {
        match node {
            Node::Paragraph { html: inline, .. } => {
                html.push_str("<p>");
                html.push_str(&inline);
                html.push_str("</p>");
            }
            Node::Code(code) => {
                html.push_str("<pre><code>");
                html.push_str(&escape(&code));
                html.push_str("</code></pre>");
            }
            Node::Heading { level, text } => {
                html.push_str(&format!("<h{level}>{}</h{level}>", escape(&text)));
            }
            Node::Image { source, alt_text, caption } => {
                let src = match source {
                    ImageSource::Stored(id) => resolve(&id),
                    ImageSource::External(url) => is_web_url(&url).then_some(url),
                };
                let Some(src) = src else { continue };
                html.push_str(&format!("<figure><img src=\"{}\" alt=\"{}\">", escape(&src), escape(&alt_text)));
                if let Some(caption) = caption {
                    html.push_str(&format!("<figcaption>{}</figcaption>", escape(&caption)));
                }
                html.push_str("</figure>");
            }
            Node::Quote(parts) => {
                html.push_str("<blockquote>");
                for part in &parts {
                    html.push_str(&format!("<p>{}</p>", part.html));
                }
                html.push_str("</blockquote>");
            }
            Node::List { start, items } => {
                let tag = match start {
                    Some(1) => "<ol>".to_owned(),
                    Some(n) => format!("<ol start=\"{n}\">"),
                    None => "<ul>".to_owned(),
                };
                html.push_str(&tag);
                for item in &items {
                    html.push_str(&format!("<li>{}</li>", item.html));
                }
                html.push_str(if start.is_some() { "</ol>" } else { "</ul>" });
            }
        }
        html.push('\n');
    }
    BODY_SANITIZER.clean(&html).to_string()
}

/// A body parsed once: its blocks and its plain text.
#[derive(Debug)]
pub struct Parsed {
    pub blocks: Vec<Block>,
    pub text: String,
}

impl Parsed {
    fn bytes(&self) -> usize {
        let block_bytes: usize = self
            .blocks
            .iter()
            .map(|block| match block {
                Block::Paragraph { html, text } | Block::Quote { html, text } => html.len() + text.len(),
                Block::Heading { text, .. } => text.len(),
                Block::Image { source: ImageSource::Stored(s) | ImageSource::External(s), alt_text, caption } => {
                    s.len() + alt_text.len() + caption.as_ref().map_or(0, String::len)
                }
                Block::List { items, .. } => items.iter().map(String::len).sum(),
            } + 64)
            .sum();
        block_bytes + self.text.len()
    }
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<u128, Arc<Parsed>> for ByBytes {
    fn weight(&self, _: &u128, parsed: &Arc<Parsed>) -> u64 {
        parsed.bytes() as u64 + 64
    }
}

/// Parsed bodies, by a hash of their Markdown: parsing sanitises each paragraph, which
/// costs more than the rest of an article page, and a body is read far more often than
/// it changes.
static PARSED: LazyLock<quick_cache::sync::Cache<u128, Arc<Parsed>, ByBytes>> =
    LazyLock::new(|| quick_cache::sync::Cache::with_weighter(1024, 16 * 1024 * 1024, ByBytes));

/// The blocks and plain text of a body, parsed once for as long as it stays in memory.
pub fn parsed(markdown: &str) -> Arc<Parsed> {
    let key = xxhash_rust::xxh3::xxh3_128(markdown.as_bytes());
    if let Some(found) = PARSED.get(&key) {
        return found;
    }
    let parsed = Arc::new(Parsed { blocks: parse_blocks(markdown), text: plain_text(markdown) });
    PARSED.insert(key, parsed.clone());
    parsed
}

/// Plain text of the body: block texts separated by blank lines, no markup. Images are
/// left out.
pub fn plain_text(markdown: &str) -> String {
    parse_nodes(markdown)
        .into_iter()
        .filter_map(|node| match node {
            Node::Paragraph { text, .. } | Node::Code(text) | Node::Heading { text, .. } => Some(text),
            Node::Image { .. } => None,
            Node::Quote(parts) => Some(join_text(&parts, "\n\n")),
            Node::List { items, .. } => Some(join_text(&items, "\n")),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Number of whitespace-separated words.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Minutes at 230 words a minute, rounded up, at least 1.
pub fn reading_time_minutes(words: usize) -> u32 {
    let minutes = words.div_ceil(WORDS_PER_MINUTE).max(1);
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// Sanitiser for the inline HTML of a block.
static INLINE_SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(HashSet::from(["a", "em", "strong", "code", "del", "br", "sup", "sub"]))
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// Sanitiser for a whole rendered body. Relative URLs pass because a stored image may
/// resolve to a path on the same host; links had relative URLs removed already by
/// [`INLINE_SANITIZER`].
static BODY_SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "figure",
            "img",
            "figcaption",
            "blockquote",
            "ul",
            "ol",
            "li",
            "pre",
            "code",
            "a",
            "em",
            "strong",
            "del",
            "br",
            "sup",
            "sub",
        ]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("img", HashSet::from(["src", "alt"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// Inline HTML and plain text of one piece of a quote or list item.
#[derive(Debug, Clone)]
struct Part {
    html: String,
    text: String,
}

/// Like [`Block`], but keeping what the rendered HTML and the plain text need.
#[derive(Debug, Clone)]
enum Node {
    Paragraph { html: String, text: String },
    Code(String),
    Heading { level: u8, text: String },
    Image { source: ImageSource, alt_text: String, caption: Option<String> },
    Quote(Vec<Part>),
    List { start: Option<u64>, items: Vec<Part> },
}

impl Node {
    fn into_block(self) -> Block {
        match self {
            Node::Paragraph { html, text } => Block::Paragraph { html, text },
            Node::Code(code) => Block::Paragraph { html: format!("<code>{}</code>", escape(&code)), text: code },
            Node::Heading { level, text } => Block::Heading { level, text },
            Node::Image { source, alt_text, caption } => Block::Image { source, alt_text, caption },
            Node::Quote(parts) => Block::Quote {
                html: parts.iter().map(|part| format!("<p>{}</p>", part.html)).collect(),
                text: join_text(&parts, "\n\n"),
            },
            Node::List { start, items } => {
                Block::List { ordered: start.is_some(), items: items.into_iter().map(|item| item.html).collect() }
            }
        }
    }

    /// The node as pieces of a quote or list item; images cannot be part of those.
    fn into_parts(self, parts: &mut Vec<Part>) {
        match self {
            Node::Paragraph { html, text } => parts.push(Part { html, text }),
            Node::Code(code) => parts.push(Part { html: format!("<code>{}</code>", escape(&code)), text: code }),
            Node::Heading { text, .. } => parts.push(Part { html: escape(&text), text }),
            Node::Image { .. } => {}
            Node::Quote(inner) | Node::List { items: inner, .. } => parts.extend(inner),
        }
    }
}

fn parser_options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES
}

fn parse_nodes(markdown: &str) -> Vec<Node> {
    let mut events = Parser::new_ext(markdown, parser_options());
    parse_container(&mut events, 0)
}

/// Reads block-level content up to the end of the enclosing container (or of the input);
/// `depth` counts the containers around it. Inline events met directly in a container, as
/// in the items of a tight list, form an implicit paragraph.
fn parse_container<'a>(events: &mut impl Iterator<Item = Event<'a>>, depth: usize) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut loose = Inline::default();
    while let Some(event) = events.next() {
        match event {
            Event::Start(tag) if is_block(&tag) => {
                loose.flush_into(&mut nodes);
                parse_block(tag, events, depth, &mut nodes);
            }
            Event::End(end) if is_block_end(end) => break,
            Event::Rule | Event::Html(_) => loose.flush_into(&mut nodes),
            event => loose.push(event),
        }
    }
    loose.flush_into(&mut nodes);
    nodes
}

fn parse_block<'a>(tag: Tag<'a>, events: &mut impl Iterator<Item = Event<'a>>, depth: usize, nodes: &mut Vec<Node>) {
    if depth >= MAX_NESTING && is_container(&tag) {
        let Part { html, text } = collect_flat(events);
        if !text.is_empty() {
            nodes.push(Node::Paragraph { html, text });
        }
        return;
    }
    match tag {
        Tag::Paragraph => parse_paragraph(events, depth == 0, nodes),
        Tag::Heading { level, .. } => {
            let text = collect_inline(events).text;
            let text = text.trim();
            if !text.is_empty() {
                nodes.push(Node::Heading { level: level as u8, text: text.to_owned() });
            }
        }
        Tag::BlockQuote(_) => {
            let parts = flatten(parse_container(events, depth + 1));
            if !parts.is_empty() {
                nodes.push(Node::Quote(parts));
            }
        }
        Tag::CodeBlock(_) => {
            let code = collect_plain(events);
            let code = code.trim_end_matches(['\n', '\r']);
            if !code.trim().is_empty() {
                nodes.push(Node::Code(code.to_owned()));
            }
        }
        Tag::List(start) => {
            let items = parse_list_items(events, depth + 1);
            if !items.is_empty() {
                nodes.push(Node::List { start, items });
            }
        }
        Tag::Table(_) => parse_table(events, nodes),
        Tag::HtmlBlock | Tag::MetadataBlock(_) => skip_to_end(events),
        // Footnotes, definition lists and stray items are not enabled or expected; keep
        // whatever text they hold.
        _ => nodes.extend(parse_container(events, depth + 1)),
    }
}

/// Reads a paragraph. At the top level an image directly in the paragraph becomes an
/// image node of its own, splitting the text around it.
fn parse_paragraph<'a>(events: &mut impl Iterator<Item = Event<'a>>, top_level: bool, nodes: &mut Vec<Node>) {
    let mut inline = Inline::default();
    while let Some(event) = events.next() {
        match event {
            Event::End(TagEnd::Paragraph) => break,
            Event::Start(Tag::Image { dest_url, title, .. }) if top_level && inline.open == 0 => {
                inline.flush_into(nodes);
                let alt_text = collect_plain(events);
                if let Some(node) = image_node(&dest_url, &title, &alt_text) {
                    nodes.push(node);
                }
            }
            event => inline.push(event),
        }
    }
    inline.flush_into(nodes);
}

fn parse_list_items<'a>(events: &mut impl Iterator<Item = Event<'a>>, depth: usize) -> Vec<Part> {
    let mut items = Vec::new();
    while let Some(event) = events.next() {
        match event {
            Event::Start(Tag::Item) => {
                let parts = flatten(parse_container(events, depth));
                let item = Part {
                    html: parts.iter().map(|part| part.html.as_str()).collect::<Vec<_>>().join("<br>"),
                    text: join_text(&parts, "\n"),
                };
                if !item.text.trim().is_empty() {
                    items.push(item);
                }
            }
            Event::End(TagEnd::List(_)) => break,
            Event::Start(_) => skip_to_end(events),
            _ => {}
        }
    }
    items
}

/// Each table row (the header included) becomes a paragraph of its cells.
fn parse_table<'a>(events: &mut impl Iterator<Item = Event<'a>>, nodes: &mut Vec<Node>) {
    let mut cells: Vec<Part> = Vec::new();
    while let Some(event) = events.next() {
        match event {
            Event::Start(Tag::TableCell) => {
                let cell = collect_inline(events);
                if !cell.text.trim().is_empty() {
                    cells.push(cell);
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) if !cells.is_empty() => {
                let html = cells.iter().map(|cell| cell.html.as_str()).collect::<Vec<_>>().join(" | ");
                // A tab keeps cells apart in plain text without adding a "word".
                let text = join_text(&cells, "\t");
                nodes.push(Node::Paragraph { html, text });
                cells.clear();
            }
            Event::End(TagEnd::Table) => break,
            _ => {}
        }
    }
}

fn flatten(nodes: Vec<Node>) -> Vec<Part> {
    let mut parts = Vec::new();
    for node in nodes {
        node.into_parts(&mut parts);
    }
    parts
}

fn join_text(parts: &[Part], separator: &str) -> String {
    parts.iter().map(|part| part.text.as_str()).collect::<Vec<_>>().join(separator)
}

fn image_node(dest_url: &str, title: &str, alt_text: &str) -> Option<Node> {
    let source = if let Some(id) = dest_url.strip_prefix(STORED_IMAGE_PREFIX) {
        // `image:` with nothing after it names no image at all.
        if id.is_empty() {
            return None;
        }
        ImageSource::Stored(id.to_owned())
    } else if is_web_url(dest_url) {
        ImageSource::External(dest_url.to_owned())
    } else {
        // Only images on the web: no `javascript:`, `data:` or relative URLs for clients.
        return None;
    };
    let caption = title.trim();
    Some(Node::Image {
        source,
        alt_text: alt_text.trim().to_owned(),
        caption: (!caption.is_empty()).then(|| caption.to_owned()),
    })
}

fn stored_id(dest_url: &str) -> Option<&str> {
    dest_url.strip_prefix(STORED_IMAGE_PREFIX).filter(|id| !id.is_empty())
}

/// Reads inline events up to the end of the enclosing element.
fn collect_inline<'a>(events: &mut impl Iterator<Item = Event<'a>>) -> Part {
    let mut inline = Inline::default();
    let mut depth = 0usize;
    for event in events.by_ref() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => break,
            Event::End(_) => depth -= 1,
            _ => {}
        }
        inline.push(event);
    }
    inline.finish()
}

/// Reads everything up to the end of the enclosing container as one run of inline
/// content, with a line break between blocks. HTML blocks are dropped as elsewhere.
fn collect_flat<'a>(events: &mut impl Iterator<Item = Event<'a>>) -> Part {
    let mut inline = Inline::default();
    let mut depth = 0usize;
    let mut pending_break = false;
    for event in events.by_ref() {
        match event {
            Event::Start(tag) if is_block(&tag) => {
                depth += 1;
                pending_break |= !inline.text.is_empty();
            }
            Event::End(end) if is_block_end(end) => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                pending_break |= !inline.text.is_empty();
            }
            Event::Html(_) => {}
            event => {
                if pending_break {
                    inline.push(Event::HardBreak);
                    pending_break = false;
                }
                inline.push(event);
            }
        }
    }
    inline.finish()
}

/// Reads the text up to the end of the enclosing element, dropping all markup.
fn collect_plain<'a>(events: &mut impl Iterator<Item = Event<'a>>) -> String {
    let mut text = String::new();
    let mut depth = 0usize;
    for event in events.by_ref() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => break,
            Event::End(_) => depth -= 1,
            Event::Text(t)
            | Event::Code(t)
            | Event::InlineHtml(t)
            | Event::Html(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

fn skip_to_end<'a>(events: &mut impl Iterator<Item = Event<'a>>) {
    collect_plain(events);
}

/// Blocks that hold other blocks.
fn is_container(tag: &Tag<'_>) -> bool {
    is_block(tag)
        && !matches!(
            tag,
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::Table(_)
                | Tag::MetadataBlock(_)
        )
}

fn is_block(tag: &Tag<'_>) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_block_end(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// Builds the HTML and the plain text of inline content event by event.
#[derive(Default)]
struct Inline {
    html: String,
    text: String,
    /// Inline elements (emphasis, links, ...) currently open.
    open: usize,
    /// Closing tags of open links; `None` for a link left out as unsafe.
    links: Vec<Option<&'static str>>,
}

impl Inline {
    fn push(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => {
                let html = match tag {
                    Tag::Emphasis => "<em>",
                    Tag::Strong => "<strong>",
                    Tag::Strikethrough => "<del>",
                    Tag::Superscript => "<sup>",
                    Tag::Subscript => "<sub>",
                    Tag::Link { link_type, dest_url, .. } => {
                        self.open += 1;
                        let href = if link_type == LinkType::Email {
                            format!("mailto:{dest_url}")
                        } else {
                            dest_url.to_string()
                        };
                        if is_link_url(&href) {
                            self.html.push_str(&format!("<a href=\"{}\">", escape(&href)));
                            self.links.push(Some("</a>"));
                        } else {
                            self.links.push(None);
                        }
                        return;
                    }
                    // An image inside other content shows as its alt text.
                    _ => return,
                };
                self.open += 1;
                self.html.push_str(html);
            }
            Event::End(end) => {
                let html = match end {
                    TagEnd::Emphasis => "</em>",
                    TagEnd::Strong => "</strong>",
                    TagEnd::Strikethrough => "</del>",
                    TagEnd::Superscript => "</sup>",
                    TagEnd::Subscript => "</sub>",
                    TagEnd::Link => self.links.pop().flatten().unwrap_or_default(),
                    _ => return,
                };
                self.open = self.open.saturating_sub(1);
                self.html.push_str(html);
            }
            Event::Code(code) => {
                self.html.push_str(&format!("<code>{}</code>", escape(&code)));
                self.text.push_str(&code);
            }
            Event::Text(text)
            | Event::InlineHtml(text)
            | Event::Html(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text)
            | Event::FootnoteReference(text) => {
                self.html.push_str(&escape(&text));
                self.text.push_str(&text);
            }
            Event::SoftBreak => {
                self.html.push('\n');
                self.text.push(' ');
            }
            Event::HardBreak => {
                self.html.push_str("<br>");
                self.text.push('\n');
            }
            Event::Rule | Event::TaskListMarker(_) => {}
        }
    }

    /// Sanitised inline HTML and trimmed text, leaving the builder empty.
    fn finish(&mut self) -> Part {
        let html = INLINE_SANITIZER.clean(self.html.trim()).to_string();
        let text = self.text.trim().to_owned();
        *self = Inline::default();
        Part { html, text }
    }

    fn flush_into(&mut self, nodes: &mut Vec<Node>) {
        let Part { html, text } = self.finish();
        if !text.is_empty() {
            nodes.push(Node::Paragraph { html, text });
        }
    }
}

fn has_scheme(url: &str, schemes: &[&str]) -> bool {
    let url = url.trim();
    schemes.iter().any(|scheme| url.get(..scheme.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme)))
}

fn is_link_url(url: &str) -> bool {
    has_scheme(url, &["http://", "https://", "mailto:"])
}

fn is_web_url(url: &str) -> bool {
    has_scheme(url, &["http://", "https://"])
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_teaser_is_the_first_whole_blocks() {
        let body = "First paragraph.\n\n## A heading\n\n- one\n- two\n\n> quoted\n\nLast *words*.\n";
        assert_eq!(first_blocks(body, 0), "");
        assert_eq!(first_blocks(body, 1), "First paragraph.");
        assert_eq!(first_blocks(body, 3), "First paragraph.\n\n## A heading\n\n- one\n- two");
        assert_eq!(first_blocks(body, 50), body.trim_end());
        for limit in 0..6 {
            assert_eq!(parse_blocks(first_blocks(body, limit)).len(), limit.min(5));
        }
        // Text around an image is a block of its own on each side: never half a paragraph.
        let split = "Intro.\n\nBefore ![alt](https://example.com/a.jpg) after.\n\nMore.";
        assert_eq!(parse_blocks(split).len(), 5);
        assert_eq!(first_blocks(split, 2), "Intro.", "the split paragraph does not fit in two");
        assert_eq!(first_blocks(split, 4), "Intro.\n\nBefore ![alt](https://example.com/a.jpg) after.");
    }
    use proptest::prelude::*;

    const ARTICLE: &str = "\
Russia has moved to take the Taliban off its list of terrorist organisations.

## A shift in Moscow

The decision, reported by [state media](https://example.com/news?id=1&lang=en), \
marks a *significant* change in **policy**.

![Taliban fighters in Kabul](image:SW1hZ2U6MQ \"Crowds in Kabul\")

## What comes next

Officials said talks would continue.
";

    fn resolve(id: &str) -> Option<String> {
        (id == "SW1hZ2U6MQ").then(|| "https://cdn.example.com/images/1.jpg".to_owned())
    }

    #[test]
    fn article_with_subheadings() {
        let blocks = parse_blocks(ARTICLE);
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph {
                    html: "Russia has moved to take the Taliban off its list of terrorist \
                           organisations."
                        .to_owned(),
                    text: "Russia has moved to take the Taliban off its list of terrorist \
                           organisations."
                        .to_owned(),
                },
                Block::Heading { level: 2, text: "A shift in Moscow".to_owned() },
                Block::Paragraph {
                    html: "The decision, reported by <a href=\"https://example.com/news?id=1&amp;lang=en\" \
                           rel=\"noopener noreferrer\">state media</a>, marks a <em>significant</em> \
                           change in <strong>policy</strong>."
                        .to_owned(),
                    text: "The decision, reported by state media, marks a significant change \
                           in policy."
                        .to_owned(),
                },
                Block::Image {
                    source: ImageSource::Stored("SW1hZ2U6MQ".to_owned()),
                    alt_text: "Taliban fighters in Kabul".to_owned(),
                    caption: Some("Crowds in Kabul".to_owned()),
                },
                Block::Heading { level: 2, text: "What comes next".to_owned() },
                Block::Paragraph {
                    html: "Officials said talks would continue.".to_owned(),
                    text: "Officials said talks would continue.".to_owned(),
                },
            ]
        );
    }

    #[test]
    fn article_renders_to_html() {
        let html = render_html(ARTICLE, resolve);
        assert!(html.contains("<h2>A shift in Moscow</h2>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://example.com/news?id=1&amp;lang=en\" rel=\"noopener noreferrer\">\
                 state media</a>"
            ),
            "{html}"
        );
        assert!(html.contains(
            "<figure><img src=\"https://cdn.example.com/images/1.jpg\" \
             alt=\"Taliban fighters in Kabul\"><figcaption>Crowds in Kabul</figcaption></figure>"
        ));
        assert!(html.starts_with("<p>Russia has moved"));
        assert_eq!(html.matches("rel=").count(), 1);
    }

    #[test]
    fn unresolved_stored_image_is_left_out() {
        let html = render_html(ARTICLE, |_| None);
        assert!(!html.contains("<img"));
        assert!(!html.contains("<figure"));
        assert!(!html.contains("Crowds in Kabul"));
    }

    #[test]
    fn stored_image_refs_in_order_without_duplicates() {
        let md = "![a](image:B)\n\ntext ![b](image:A) more\n\n![c](image:B)\n\n\
                  - ![d](image:C)\n\n![e](https://example.com/x.png) ![f](image:)";
        assert_eq!(stored_image_refs(md), vec!["B", "A", "C"]);
        assert!(stored_image_refs("no images").is_empty());
    }

    #[test]
    fn stored_image_block() {
        let blocks = parse_blocks("![Taliban fighters in Kabul](image:SW1hZ2U6MQ \"Crowds in Kabul\")");
        assert_eq!(
            blocks,
            vec![Block::Image {
                source: ImageSource::Stored("SW1hZ2U6MQ".to_owned()),
                alt_text: "Taliban fighters in Kabul".to_owned(),
                caption: Some("Crowds in Kabul".to_owned()),
            }]
        );
    }

    #[test]
    fn external_image_without_caption() {
        let md = "![A map of *Afghanistan*](https://example.com/map.png)";
        assert_eq!(
            parse_blocks(md),
            vec![Block::Image {
                source: ImageSource::External("https://example.com/map.png".to_owned()),
                alt_text: "A map of Afghanistan".to_owned(),
                caption: None,
            }]
        );
        assert_eq!(
            parse_blocks("![x](https://example.com/a.png \"  \")"),
            vec![Block::Image {
                source: ImageSource::External("https://example.com/a.png".to_owned()),
                alt_text: "x".to_owned(),
                caption: None,
            }]
        );
        let html = render_html(md, |_| None);
        assert_eq!(html, "<figure><img src=\"https://example.com/map.png\" alt=\"A map of Afghanistan\"></figure>\n");
    }

    #[test]
    fn external_image_needs_a_web_url() {
        for md in ["![x](javascript:alert(1))", "![x](data:image/png;base64,AAAA)", "![x](/relative.png)"] {
            assert!(!render_html(md, |_| None).contains("<img"), "{md}");
        }
    }

    #[test]
    fn image_between_text_splits_the_paragraph() {
        let blocks = parse_blocks("Before\n![pic](image:X)\nafter");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph { html: "Before".to_owned(), text: "Before".to_owned() },
                Block::Image { source: ImageSource::Stored("X".to_owned()), alt_text: "pic".to_owned(), caption: None },
                Block::Paragraph { html: "after".to_owned(), text: "after".to_owned() },
            ]
        );
    }

    #[test]
    fn image_inside_link_becomes_alt_text() {
        let blocks = parse_blocks("[![logo](image:L)](https://example.com)");
        assert_eq!(
            blocks,
            vec![Block::Paragraph {
                html: "<a href=\"https://example.com\" rel=\"noopener noreferrer\">logo</a>".to_owned(),
                text: "logo".to_owned(),
            }]
        );
    }

    #[test]
    fn blockquote() {
        let md = "> \"We will *not* allow it,\" he said.\n>\n> Second paragraph.";
        let expected = Block::Quote {
            html: "<p>\"We will <em>not</em> allow it,\" he said.</p><p>Second paragraph.</p>".to_owned(),
            text: "\"We will not allow it,\" he said.\n\nSecond paragraph.".to_owned(),
        };
        assert_eq!(parse_blocks(md), vec![expected]);
        assert_eq!(
            render_html(md, |_| None),
            "<blockquote><p>\"We will <em>not</em> allow it,\" he said.</p>\
             <p>Second paragraph.</p></blockquote>\n"
        );
    }

    #[test]
    fn unordered_and_ordered_lists() {
        let md = "- one\n- **two**\n- [three](https://example.com)\n\n1. first\n2. second\n";
        assert_eq!(
            parse_blocks(md),
            vec![
                Block::List {
                    ordered: false,
                    items: vec![
                        "one".to_owned(),
                        "<strong>two</strong>".to_owned(),
                        "<a href=\"https://example.com\" rel=\"noopener noreferrer\">three</a>".to_owned(),
                    ],
                },
                Block::List { ordered: true, items: vec!["first".to_owned(), "second".to_owned()] },
            ]
        );
        let html = render_html(md, |_| None);
        assert!(html.contains("<ul><li>one</li><li><strong>two</strong></li>"));
        assert!(html.contains("<ol><li>first</li><li>second</li></ol>"));
        assert_eq!(plain_text(md), "one\ntwo\nthree\n\nfirst\nsecond");
    }

    #[test]
    fn ordered_list_keeps_its_start() {
        let md = "3. third\n4. fourth";
        assert!(render_html(md, |_| None).contains("<ol start=\"3\"><li>third</li>"));
    }

    #[test]
    fn loose_and_nested_lists() {
        let md = "- one\n\n  more of one\n- two\n  - two a\n  - two b\n";
        assert_eq!(
            parse_blocks(md),
            vec![Block::List {
                ordered: false,
                items: vec!["one<br>more of one".to_owned(), "two<br>two a<br>two b".to_owned()],
            }]
        );
    }

    #[test]
    fn code_block_is_an_escaped_paragraph() {
        let md = "```\nlet x = a < b && c;\n```";
        assert_eq!(
            parse_blocks(md),
            vec![Block::Paragraph {
                html: "<code>let x = a &lt; b &amp;&amp; c;</code>".to_owned(),
                text: "let x = a < b && c;".to_owned(),
            }]
        );
        assert_eq!(render_html(md, |_| None), "<pre><code>let x = a &lt; b &amp;&amp; c;</code></pre>\n");
    }

    #[test]
    fn table_rows_become_paragraphs() {
        let md = "| Name | Votes |\n|---|---|\n| Ann | 12 |\n";
        assert_eq!(
            parse_blocks(md),
            vec![
                Block::Paragraph { html: "Name | Votes".to_owned(), text: "Name\tVotes".to_owned() },
                Block::Paragraph { html: "Ann | 12".to_owned(), text: "Ann\t12".to_owned() },
            ]
        );
    }

    #[test]
    fn thematic_break_is_dropped() {
        assert_eq!(plain_text("one\n\n---\n\ntwo"), "one\n\ntwo");
    }

    #[test]
    fn script_block_is_dropped() {
        let md = "Intro\n\n<script>alert(1)</script>\n\nOutro";
        let html = render_html(md, |_| None);
        assert_eq!(html, "<p>Intro</p>\n<p>Outro</p>\n");
        assert_eq!(parse_blocks(md).len(), 2);
    }

    #[test]
    fn inline_script_is_escaped() {
        let md = "Hello <script>alert(1)</script> world";
        let blocks = parse_blocks(md);
        let Block::Paragraph { html, text } = &blocks[0] else { panic!("{blocks:?}") };
        assert_eq!(html, "Hello &lt;script&gt;alert(1)&lt;/script&gt; world");
        assert_eq!(text, "Hello <script>alert(1)</script> world");
        assert!(!render_html(md, |_| None).contains("<script"));
    }

    #[test]
    fn javascript_link_loses_its_href() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](<java\tscript:alert(1)>)",
            "[x](/relative/path)",
        ] {
            let blocks = parse_blocks(md);
            assert_eq!(blocks, vec![Block::Paragraph { html: "x".to_owned(), text: "x".to_owned() }], "{md}");
            let html = render_html(md, |_| None);
            assert_eq!(html, "<p>x</p>\n", "{md}");
        }
    }

    #[test]
    fn autolinks_and_mailto() {
        let html = render_html("Write to <news@example.com> or see <https://example.com>.", |_| None);
        assert!(html.contains("<a href=\"mailto:news@example.com\" rel=\"noopener noreferrer\">"));
        assert!(html.contains("<a href=\"https://example.com\" rel=\"noopener noreferrer\">"));
    }

    #[test]
    fn img_onerror_is_neutralised() {
        for md in [
            "<img src=x onerror=alert(1)>",
            "Look: <img src=x onerror=alert(1)> here",
            "<b onclick=alert(1)>bold</b> text",
        ] {
            let html = render_html(md, |_| None);
            assert_inert(&html);
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("<b "), "{html}");
            for block in parse_blocks(md) {
                assert_inert(&block_html(&block));
            }
        }
        assert_eq!(
            render_html("Look: <img src=x onerror=alert(1)> here", |_| None),
            "<p>Look: &lt;img src=x onerror=alert(1)&gt; here</p>\n"
        );
    }

    #[test]
    fn heading_and_alt_text_are_plain() {
        let md = "# Breaking: <em>[news](https://example.com)</em> `now`\n\n![a <b>bold</b> \"alt\"](https://example.com/x.png)";
        let blocks = parse_blocks(md);
        assert_eq!(blocks[0], Block::Heading { level: 1, text: "Breaking: <em>news</em> now".to_owned() });
        let html = render_html(md, |_| None);
        assert!(html.contains("<h1>Breaking: &lt;em&gt;news&lt;/em&gt; now</h1>"), "{html}");
        assert!(html.contains("alt=\"a &lt;b&gt;bold&lt;/b&gt; &quot;alt&quot;\""), "{html}");
    }

    #[test]
    fn plain_text_of_article() {
        assert_eq!(
            plain_text(ARTICLE),
            "Russia has moved to take the Taliban off its list of terrorist organisations.\n\n\
             A shift in Moscow\n\n\
             The decision, reported by state media, marks a significant change in policy.\n\n\
             What comes next\n\n\
             Officials said talks would continue."
        );
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn word_count_and_reading_time() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("  one\ttwo\nthree  "), 3);
        assert_eq!(word_count(&plain_text(ARTICLE)), 37);
        assert_eq!(reading_time_minutes(0), 1);
        assert_eq!(reading_time_minutes(1), 1);
        assert_eq!(reading_time_minutes(230), 1);
        assert_eq!(reading_time_minutes(231), 2);
        assert_eq!(reading_time_minutes(1150), 5);
        assert_eq!(reading_time_minutes(usize::MAX), u32::MAX);
    }

    #[test]
    fn deep_nesting_is_read_as_flat_text() {
        let quote = format!("{} deep\n{}\n{} deeper", ">".repeat(40), ">".repeat(40), ">".repeat(40));
        assert_eq!(
            parse_blocks(&quote),
            vec![Block::Quote { html: "<p>deep<br>deeper</p>".to_owned(), text: "deep\ndeeper".to_owned() }]
        );
        for md in [
            ">".repeat(100_000) + " x",
            "- ".repeat(50_000) + "x",
            "1. ".repeat(50_000) + "x",
            "> - ".repeat(30_000) + "x",
            "*".repeat(50_000) + "x" + &"*".repeat(50_000),
        ] {
            assert_eq!(plain_text(&md), "x");
            assert!(render_html(&md, |_| None).contains('x'));
        }
    }

    fn block_html(block: &Block) -> String {
        match block {
            Block::Paragraph { html, .. } | Block::Quote { html, .. } => html.clone(),
            Block::List { items, .. } => items.concat(),
            Block::Heading { .. } | Block::Image { .. } => String::new(),
        }
    }

    /// The tags in serialised HTML; attribute values never hold `>`, as the serialiser
    /// escapes it.
    fn tags(html: &str) -> impl Iterator<Item = &str> {
        html.split('<').skip(1).filter_map(|rest| {
            let first = rest.chars().next()?;
            (first.is_ascii_alphabetic() || first == '/').then(|| rest.split('>').next().unwrap_or(rest))
        })
    }

    /// Whether a tag has an `on...=` attribute; text inside quoted values is not one
    /// (an alt text may read `onerror=`, escaped and inert).
    fn has_event_handler(tag: &str) -> bool {
        let mut quoted = false;
        let tag: String = tag
            .chars()
            .filter(|c| {
                if *c == '"' {
                    quoted = !quoted;
                }
                !quoted && *c != '"'
            })
            .collect();
        tag.match_indices(" on").any(|(i, _)| {
            let rest = &tag[i + 3..];
            let letters = rest.chars().take_while(char::is_ascii_alphabetic).count();
            letters > 0 && rest[letters..].starts_with('=')
        })
    }

    fn has_script_url(tag: &str) -> bool {
        tag.split("=\"").skip(1).any(|value| {
            let value: String = value
                .trim_start_matches(|c: char| c.is_whitespace() || c.is_control())
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .take(16)
                .collect::<String>()
                .to_ascii_lowercase();
            ["javascript:", "vbscript:", "data:"].iter().any(|scheme| value.starts_with(scheme))
        })
    }

    /// No script element, no event handler attribute and no script URL.
    fn assert_inert(html: &str) {
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
        for tag in tags(html) {
            let tag = tag.to_ascii_lowercase();
            assert!(!has_event_handler(&tag), "{html}");
            assert!(!has_script_url(&tag), "{html}");
        }
    }

    #[test]
    fn inertness_checks_catch_bad_html() {
        let bad = [
            "<script>x</script>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\" JavaScript:alert(1)\">x</a>",
            "<img src=\"x\" onerror=\"alert(1)\">",
            "<b onclick=x>",
        ];
        for html in bad {
            let caught = std::panic::catch_unwind(|| assert_inert(html)).is_err();
            assert!(caught, "{html}");
        }
        assert_inert("<p>on=x javascript:alert(1) onload=1</p>");
    }

    const HOSTILE: &[&str] = &[
        "<script>",
        "</script>",
        "alert(1)",
        "<img src=x onerror=alert(1)>",
        "<b onclick=alert(1)>",
        "</b>",
        "javascript:",
        "JaVaScRiPt:",
        "java\tscript:",
        "&#106;avascript:",
        "[x](",
        "](",
        ")",
        "![",
        "image:",
        "image:abc",
        "https://example.com/",
        "<",
        ">",
        "\"",
        "'",
        "\n",
        "\n\n",
        "> ",
        "- ",
        "1. ",
        "## ",
        "```\n",
        "`",
        "*",
        "**",
        "~~",
        "<a href=\"javascript:alert(1)\">",
        "</a>",
        "<svg onload=alert(1)>",
        "<iframe src=javascript:alert(1)>",
        " onmouseover=",
        "<<script>",
        "\\",
        "|",
        "---",
        "[ref]: javascript:alert(1)\n",
        "[ref]",
        "<javascript:alert(1)>",
        "data:text/html,<script>alert(1)</script>",
        "text ",
        "\"title\"",
    ];

    fn hostile_markdown() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(HOSTILE), 0..32).prop_map(|parts| parts.concat())
    }

    /// Resolves stored ids the way a store would: only ids it could have issued.
    fn store_resolve(id: &str) -> Option<String> {
        id.chars().all(|c| c.is_ascii_alphanumeric()).then(|| format!("https://cdn.example.com/{id}.jpg"))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_input(markdown in any::<String>()) {
            let blocks = parse_blocks(&markdown);
            let html = render_html(&markdown, |id| Some(format!("https://cdn.example.com/{id}")));
            let text = plain_text(&markdown);
            let _ = stored_image_refs(&markdown);
            let _ = reading_time_minutes(word_count(&text));
            prop_assert!(!html.contains("<script"));
            prop_assert!(!html.contains("javascript:"));
            for tag in tags(&html) {
                prop_assert!(!has_event_handler(tag));
            }
            for block in &blocks {
                prop_assert!(!block_html(block).contains("<script"));
            }
        }

        #[test]
        fn never_panics_on_markdown_like_input(markdown in "[ -~\\n]{0,200}") {
            let _ = parse_blocks(&markdown);
            assert_inert(&render_html(&markdown, store_resolve));
            let _ = plain_text(&markdown);
        }

        #[test]
        fn hostile_input_renders_inert(markdown in hostile_markdown()) {
            assert_inert(&render_html(&markdown, store_resolve));
            for block in parse_blocks(&markdown) {
                assert_inert(&block_html(&block));
            }
        }
    }
}
