//! Rows kept between queries: articles by slug, their bylines and tags, images, and the
//! first pages of comment threads with their counts. Each is kept
//! as of the change clock before the read that found it and served again only while none
//! of the tags it was read under has changed since (see [`super::changes`]); another
//! server's write reaches the clock through the relay, so kept rows are exactly as current
//! as the response cache's answers. What a viewer may see of a row is decided when it is
//! served, not when it is kept: a kept row is what any viewer's read would have found.

use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::{article, comment, image, tag};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::articles::Shelf;
use super::bylines::Contributor;
use super::changes::Tag;
use super::comments::{Tally, Thread};
use super::pagination::{Cursor, Edge, Page, TotalCount};
use super::pipeline::{Pipeline, Stamp, slots_of};

/// About how many bytes of each kind of row are kept at most (articles four times as
/// many, comment and shelf pages twice): past it the least used go.
pub const BYTES: u64 = 8 << 20;

struct Kept<V> {
    read_at: Stamp,
    stored: Instant,
    slots: Box<[u32]>,
    value: V,
}

/// About how much memory a kept row takes.
pub trait Bytes {
    fn bytes(&self) -> u64;
}

fn text(text: &Option<String>) -> usize {
    text.as_ref().map_or(0, String::len)
}

impl Bytes for article::Model {
    fn bytes(&self) -> u64 {
        let texts = [&self.standfirst, &self.seo_title, &self.seo_description, &self.canonical_url, &self.kicker];
        let texts: usize = texts.into_iter().map(text).sum::<usize>() + text(&self.dateline);
        (size_of::<Self>() + self.slug.len() * 2 + self.headline.len() + self.body_markdown.len() + texts) as u64
    }
}

impl Bytes for image::Model {
    fn bytes(&self) -> u64 {
        let texts = [&self.caption, &self.photographer, &self.agency, &self.distributor, &self.license];
        let texts: usize = texts.into_iter().map(text).sum::<usize>() + text(&self.copyright_holder);
        (size_of::<Self>() + self.url.len() + self.alt_text.len() + texts) as u64
    }
}

impl Bytes for Contributor {
    fn bytes(&self) -> u64 {
        let author = &self.author;
        (size_of::<Self>() + author.slug.len() + author.name.len() + text(&author.bio)) as u64
    }
}

impl Bytes for tag::Model {
    fn bytes(&self) -> u64 {
        (size_of::<Self>() + self.slug.len() + self.name.len()) as u64
    }
}

impl Bytes for comment::Model {
    fn bytes(&self) -> u64 {
        let texts = text(&self.author_email) + text(&self.client_hash);
        (size_of::<Self>() + self.author_name.len() + self.body.len() + texts) as u64
    }
}

impl Bytes for i64 {
    fn bytes(&self) -> u64 {
        size_of::<Self>() as u64
    }
}

impl<V: Bytes> Bytes for Arc<V> {
    fn bytes(&self) -> u64 {
        V::bytes(self)
    }
}

impl<A: Bytes, B: Bytes> Bytes for (A, B) {
    fn bytes(&self) -> u64 {
        self.0.bytes() + self.1.bytes()
    }
}

impl<V: Bytes> Bytes for Vec<V> {
    fn bytes(&self) -> u64 {
        size_of::<Self>() as u64 + self.iter().map(Bytes::bytes).sum::<u64>()
    }
}

#[derive(Clone)]
struct ByBytes;

impl<K, V: Bytes> Weighter<K, Arc<Kept<V>>> for ByBytes {
    fn weight(&self, _: &K, kept: &Arc<Kept<V>>) -> u64 {
        (size_of::<Kept<V>>() + kept.slots.len() * 4) as u64 + kept.value.bytes()
    }
}

/// Rows of one kind, by key, up to a number of bytes.
pub struct KeptBy<K, V>(Cache<K, Arc<Kept<V>>, ByBytes>);

impl<K: Eq + Hash + Clone, V: Bytes> KeptBy<K, V> {
    fn new(bytes: u64) -> Self {
        KeptBy(Cache::with_weighter(((bytes / 1024) as usize).max(1), bytes.max(1), ByBytes))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub struct KeptRows {
    pipeline: Arc<Pipeline>,
    max_age: Duration,
    /// Articles by their current slug, read under `article-{id}`; whether a viewer may
    /// see one is asked each time ([`super::articles::is_visible`]). No other article can
    /// take a slug while its article holds it, and a change of slug changes the article.
    pub articles: KeptBy<String, article::Model>,
    /// The byline of an article, by article id, read under `article-{id}` and the
    /// `author-{id}` of each contributor.
    pub bylines: KeptBy<i64, Vec<Contributor>>,
    /// The tags of an article, by article id, read under `article-{id}` and each `tag-{id}`.
    pub tags: KeptBy<i64, Vec<tag::Model>>,
    /// Images found, by id, read under `image-{id}`; whether a viewer gets one is asked
    /// each time ([`super::images::shown_to`]).
    pub images: KeptBy<i64, image::Model>,
    /// The first rows of a comment thread (how many, and whether with each comment's number
    /// of replies), read under the article's `comments-{id}`. Comments are visible to
    /// every viewer alike, or to none.
    pub comment_pages: KeptBy<ThreadPage, Vec<(Arc<comment::Model>, i64)>>,
    /// The numbers of comments on articles and of their top-level comments, read under
    /// `comments-{id}`. (The numbers of replies come with the pages that list them.)
    pub comment_tallies: KeptBy<Tally, i64>,
    /// The first rows of a shelf (a section front, an author's or a tag's page), by how many,
    /// read under the shelf's tags, the section tree's and each article's. The rows are
    /// those every reader sees: scheduled articles and lifted embargoes change their tags
    /// when they appear.
    pub shelf_pages: KeptBy<(Shelf, u64), Vec<article::Model>>,
    /// Later pages of a shelf, by how many rows and the cursor they follow as the client
    /// sent it, read under the same tags as a first page.
    pub later_shelf_pages: KeptBy<(Shelf, u64, String), LaterPage>,
}

/// A page of articles after a cursor, without its total (which is counted when asked).
#[derive(Clone)]
pub struct LaterPage {
    edges: Vec<(Cursor, article::Model)>,
    has_next_page: bool,
}

impl LaterPage {
    pub fn of(page: &Page<article::Model>) -> LaterPage {
        LaterPage {
            edges: page.edges.iter().map(|edge| (edge.cursor.clone(), edge.node.clone())).collect(),
            has_next_page: page.has_next_page,
        }
    }

    /// The page again, with `total` for its size.
    pub fn page(self, total: TotalCount) -> Page<article::Model> {
        Page {
            edges: self.edges.into_iter().map(|(cursor, node)| Edge { cursor, node }).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: true,
            total,
        }
    }
}

impl Bytes for LaterPage {
    fn bytes(&self) -> u64 {
        let cursors = self.edges.len() * size_of::<Cursor>();
        (size_of::<Self>() + cursors) as u64 + self.edges.iter().map(|(_, row)| row.bytes()).sum::<u64>()
    }
}

/// The first `rows` of `thread`, each with its number of replies when `reply_counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThreadPage {
    pub thread: Thread,
    pub rows: u64,
    pub reply_counts: bool,
}

/// What is kept of some keys, and the keys that must be read.
pub struct Lookup<K, V> {
    pub found: Vec<(K, V)>,
    pub missing: Vec<K>,
}

impl KeptRows {
    /// Keeps rows no longer than `max_age` (the response cache's), about `bytes` of each
    /// kind (of articles four times as many, of comment and shelf pages twice each, of counts an eighth).
    pub fn new(pipeline: Arc<Pipeline>, max_age: Duration, bytes: u64) -> KeptRows {
        KeptRows {
            pipeline,
            max_age,
            articles: KeptBy::new(bytes * 4),
            bylines: KeptBy::new(bytes),
            tags: KeptBy::new(bytes),
            images: KeptBy::new(bytes),
            comment_pages: KeptBy::new(bytes * 2),
            comment_tallies: KeptBy::new(bytes / 8),
            shelf_pages: KeptBy::new(bytes * 2),
            later_shelf_pages: KeptBy::new(bytes * 2),
        }
    }

    /// The rows of `keys` kept and still current; the others are to be read.
    pub fn lookup<K: Eq + Hash + Clone, V: Bytes + Clone>(&self, kept: &KeptBy<K, V>, keys: Vec<K>) -> Lookup<K, V> {
        let clock = self.pipeline.clock();
        let mut lookup = Lookup { found: Vec::with_capacity(keys.len()), missing: Vec::new() };
        for key in keys {
            match kept.0.get(&key) {
                Some(row) if row.stored.elapsed() < self.max_age && clock.unchanged_since(row.read_at, &row.slots) => {
                    lookup.found.push((key, row.value.clone()));
                }
                _ => lookup.missing.push(key),
            }
        }
        lookup
    }

    /// Keeps `value`, read under `tags` by a read that began after the clock showed
    /// `read_since` (a transaction may see the database as it was at its first read).
    pub fn keep<K: Eq + Hash + Clone, V: Bytes>(
        &self,
        kept: &KeptBy<K, V>,
        key: K,
        value: V,
        tags: &[Tag],
        read_since: Stamp,
    ) {
        if self.max_age.is_zero() || self.pipeline.clock().is_blind() {
            return;
        }
        let slots = slots_of(tags).into_boxed_slice();
        kept.0.insert(key, Arc::new(Kept { read_at: read_since, stored: Instant::now(), slots, value }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::changes::Change;

    fn kept() -> (Arc<Pipeline>, KeptRows) {
        let pipeline = Arc::new(Pipeline::default());
        (pipeline.clone(), KeptRows::new(pipeline, Duration::from_secs(30), 1024))
    }

    fn tag(id: i64) -> tag::Model {
        tag::Model {
            id,
            name: format!("Tag {id}"),
            slug: format!("tag-{id}"),
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_row_is_served_until_one_of_its_tags_changes() {
        let (pipeline, rows) = kept();
        let since = pipeline.clock().now();
        rows.keep(&rows.tags, 1, vec![tag(7)], &[Tag::Article(1), Tag::Tag(7)], since);
        assert_eq!(rows.lookup(&rows.tags, vec![1, 2]).found, [(1, vec![tag(7)])]);
        assert_eq!(rows.lookup(&rows.tags, vec![1, 2]).missing, [2]);
        pipeline.publish(Change::of([Tag::Article(2)]));
        assert_eq!(rows.lookup(&rows.tags, vec![1]).found.len(), 1, "another article's change");
        pipeline.receive(Change::of([Tag::Tag(7)]), None);
        assert_eq!(rows.lookup(&rows.tags, vec![1]).missing, [1], "a change heard from another server");
    }

    #[test]
    fn a_change_between_the_stamp_and_the_keeping_outdates_the_row() {
        let (pipeline, rows) = kept();
        let since = pipeline.clock().now();
        pipeline.publish(Change::of([Tag::Article(1)]));
        rows.keep(&rows.tags, 1, vec![], &[Tag::Article(1)], since);
        assert_eq!(rows.lookup(&rows.tags, vec![1]).missing, [1]);
    }

    #[test]
    fn nothing_is_kept_or_served_while_changes_go_unheard() {
        let (pipeline, rows) = kept();
        rows.keep(&rows.tags, 1, vec![], &[Tag::Article(1)], pipeline.clock().now());
        pipeline.unheard();
        assert_eq!(rows.lookup(&rows.tags, vec![1]).missing, [1]);
        rows.keep(&rows.tags, 2, vec![], &[Tag::Article(2)], pipeline.clock().now());
        pipeline.heard_again();
        assert_eq!(rows.lookup(&rows.tags, vec![1, 2]).missing, [1, 2]);
    }

    #[test]
    fn the_number_of_rows_kept_is_bounded() {
        let (pipeline, rows) = kept();
        for id in 0..100 {
            rows.keep(&rows.tags, id, vec![tag(id)], &[Tag::Article(id)], pipeline.clock().now());
        }
        let kept = rows.tags.len();
        assert!(kept <= 10, "{kept} tag lists of about two hundred bytes kept in a kilobyte");
    }
}
