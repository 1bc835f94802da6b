//! What a committed write changed, named as cache tags: the one vocabulary of the change
//! pipeline. A read registers the tags of what it read, a write names the tags of what it
//! changed, and an answer is outdated by a change exactly when the two share a tag. The
//! response cache, the section tree and the rows kept between queries, the other servers
//! (over PostgreSQL) and CDNs (`Surrogate-Key`, `Cache-Tag`) all speak it.
//!
//! | tag | names | a read registers it when it | a write touches it when it |
//! | --- | --- | --- | --- |
//! | `all` | everything | is too large to list its tags (CDN headers) | cannot name what it changed (an import, a lost connection) |
//! | `sections` | the section tree: names, slugs, descriptions, order, parents | reads any section | creates, changes or deletes a section |
//! | `article-{id}` | one article as readers see it: its fields, body, byline, tags, lead image, live blog entries | reads the article, or looks it up by id | changes the article in any way |
//! | `comments-{article}` | an article's comment thread: comments, replies, counts | reads its comments or counts | adds, approves, rejects a comment on it |
//! | `comment-{id}` | one comment | looks the comment up by id | adds or moderates the comment |
//! | `image-{id}` | one image: URL, caption, credit, licence | reads the image | changes the image, or its licence runs out |
//! | `author-{id}` | one author: name, slug, bio | reads the author | creates or changes the author |
//! | `tag-{id}` | one tag: name, slug | reads the tag | creates or renames the tag |
//! | `section-articles-{id}` | the articles filed directly in one section | lists a section's articles (each section of its subtree) | moves a readable article into or out of the section |
//! | `author-articles-{id}` | the articles in one author's bylines | lists an author's articles | moves a readable article into or out of the list |
//! | `tag-articles-{id}` | the articles with one tag | lists a tag's articles | moves a readable article into or out of the list |
//! | `articles` | the site-wide lists in order of publication (`articles`, any filter) | lists articles site-wide | moves a readable article into or out of a list, or within one |
//! | `search` | whatever any change to a readable article may change: search results, lists in order of last update, lookups by slug that found nothing | searches, lists by last update, finds no article | changes an article readers can see, before or after |
//! | `authors` | which author a slug names | finds no author, lists articles by an author's slug | creates or renames an author |
//! | `tags` | which tag a slug names | finds no tag, lists articles by a tag's slug | creates or renames a tag |
//! | `corrections` | the site's corrections page: the corrections of readable articles | lists corrections site-wide | adds a correction, or makes an article readable or unreadable |
//!
//! "Readable" is what anonymous readers may see. Changes to drafts touch only their own
//! `article-{id}`: no answer anyone may share shows them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use entity::article::ArticleKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    All,
    Sections,
    Articles,
    Search,
    Authors,
    Tags,
    Corrections,
    Article(i64),
    Comments(i64),
    Comment(i64),
    Image(i64),
    Author(i64),
    Tag(i64),
    SectionArticles(i64),
    AuthorArticles(i64),
    TagArticles(i64),
}

impl Tag {
    /// The name of the tag's kind, and its id when it has one.
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Tag::All => ("all", None),
            Tag::Sections => ("sections", None),
            Tag::Articles => ("articles", None),
            Tag::Search => ("search", None),
            Tag::Authors => ("authors", None),
            Tag::Tags => ("tags", None),
            Tag::Corrections => ("corrections", None),
            Tag::Article(id) => ("article", Some(id)),
            Tag::Comments(id) => ("comments", Some(id)),
            Tag::Comment(id) => ("comment", Some(id)),
            Tag::Image(id) => ("image", Some(id)),
            Tag::Author(id) => ("author", Some(id)),
            Tag::Tag(id) => ("tag", Some(id)),
            Tag::SectionArticles(id) => ("section-articles", Some(id)),
            Tag::AuthorArticles(id) => ("author-articles", Some(id)),
            Tag::TagArticles(id) => ("tag-articles", Some(id)),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (kind, Some(id)) => write!(f, "{kind}-{id}"),
            (kind, None) => f.write_str(kind),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a cache tag")]
pub struct UnknownTag(pub String);

impl FromStr for Tag {
    type Err = UnknownTag;

    fn from_str(text: &str) -> Result<Tag, UnknownTag> {
        let unknown = || UnknownTag(text.to_owned());
        let with_id = |id: &str| id.parse::<i64>().ok().filter(|id| *id >= 0);
        let tag = match text.rsplit_once('-').and_then(|(kind, id)| Some((kind, with_id(id)?))) {
            Some((kind, id)) => match kind {
                "article" => Tag::Article(id),
                "comments" => Tag::Comments(id),
                "comment" => Tag::Comment(id),
                "image" => Tag::Image(id),
                "author" => Tag::Author(id),
                "tag" => Tag::Tag(id),
                "section-articles" => Tag::SectionArticles(id),
                "author-articles" => Tag::AuthorArticles(id),
                "tag-articles" => Tag::TagArticles(id),
                _ => return Err(unknown()),
            },
            None => match text {
                "all" => Tag::All,
                "sections" => Tag::Sections,
                "articles" => Tag::Articles,
                "search" => Tag::Search,
                "authors" => Tag::Authors,
                "tags" => Tag::Tags,
                "corrections" => Tag::Corrections,
                _ => return Err(unknown()),
            },
        };
        Ok(tag)
    }
}

/// What happens in the publication that readers may be waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A comment became visible to readers: approved on arrival or by a moderator.
    CommentApproved { article_id: i64, comment_id: i64 },
    /// An article went live, published by an editor or by the scheduler.
    ArticlePublished { article_id: i64, section_id: i64 },
    /// An entry of a live blog was added, edited or deleted. Whether a reader may see it
    /// is its article's business: subscribers check that when the event arrives.
    LiveEntryChanged { article_id: i64, entry_id: i64, change: EntryChange },
    /// An article readers see was changed and they still see it.
    ArticleUpdated { article_id: i64 },
    /// An article readers saw was taken back (unpublished or archived).
    ArticleUnpublished { article_id: i64 },
    /// An article readers saw was deleted.
    ArticleDeleted { article_id: i64 },
    /// A correction was added to a published article.
    CorrectionAdded { article_id: i64, correction_id: i64 },
}

/// What happened to a live blog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryChange {
    Added,
    Updated,
    Deleted,
}

/// One committed write: the tags of what it changed, and what readers may be waiting for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub tags: BTreeSet<Tag>,
    pub events: Vec<Event>,
}

impl Change {
    pub fn of(tags: impl IntoIterator<Item = Tag>) -> Change {
        Change { tags: tags.into_iter().collect(), events: Vec::new() }
    }

    /// A change that may have touched anything.
    pub fn everything() -> Change {
        Change::of([Tag::All])
    }

    pub fn with_event(mut self, event: Event) -> Change {
        self.events.push(event);
        self
    }

    pub fn and(mut self, other: Change) -> Change {
        self.tags.extend(other.tags);
        self.events.extend(other.events);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.events.is_empty()
    }

    /// Whether this change outdates what was read under `tags`.
    pub fn touches<'a>(&self, tags: impl IntoIterator<Item = &'a Tag>) -> bool {
        self.tags.contains(&Tag::All) || tags.into_iter().any(|tag| *tag == Tag::All || self.tags.contains(tag))
    }
}

/// A change that no write made, noticed by each server on its own as time passes (an
/// embargo lifting, a licence running out). `key` names it the same on every server, so
/// that webhooks hear of it once; none when a write announced it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noticed {
    pub key: Option<String>,
    pub change: Change,
}

/// Where an article stands for readers: whether they may see it, and the lists that
/// hold it when they may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub readable: bool,
    /// Lists filter by kind: a change of kind moves an article between them.
    pub kind: ArticleKind,
    pub section_id: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub authors: Vec<i64>,
    pub tags: Vec<i64>,
}

/// The change of a write to article `id` that found it as `before` and left it as
/// `after` (`None`: it did not exist). A draft's change touches only the article; one
/// readers see, before or after, also search; and one that moves in or out of lists, or
/// within them, those lists. An article readers saw and still see was updated; one they
/// saw and no longer do was unpublished or deleted. (One coming into view is announced
/// by whoever published it, with its section: [`Event::ArticlePublished`].)
pub fn article_written(id: i64, before: Option<&Listing>, after: Option<&Listing>) -> Change {
    let mut change = Change::of([Tag::Article(id)]);
    let (was, is) = (before.filter(|l| l.readable), after.filter(|l| l.readable));
    if was.is_none() && is.is_none() {
        return change;
    }
    match (was.is_some(), is.is_some(), after.is_some()) {
        (true, true, _) => change.events.push(Event::ArticleUpdated { article_id: id }),
        (true, false, true) => change.events.push(Event::ArticleUnpublished { article_id: id }),
        (true, false, false) => change.events.push(Event::ArticleDeleted { article_id: id }),
        (false, _, _) => {}
    }
    change.tags.insert(Tag::Search);
    if was.is_some() != is.is_some() {
        // Its corrections join or leave the site's corrections page.
        change.tags.insert(Tag::Corrections);
    }
    if was == is {
        return change;
    }
    change.tags.insert(Tag::Articles);
    for listing in [was, is].into_iter().flatten() {
        change.tags.insert(Tag::SectionArticles(listing.section_id));
        change.tags.extend(listing.authors.iter().map(|id| Tag::AuthorArticles(*id)));
        change.tags.extend(listing.tags.iter().map(|id| Tag::TagArticles(*id)));
    }
    change
}

/// The tags a request read, registered by its loaders and resolvers as they read.
#[derive(Debug, Default)]
pub struct ReadTags(Mutex<Vec<Tag>>);

impl ReadTags {
    pub fn add(&self, tag: Tag) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(tag);
    }

    pub fn extend(&self, tags: impl IntoIterator<Item = Tag>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend(tags);
    }

    /// Every tag read, each once, in order.
    pub fn take(&self) -> Vec<Tag> {
        let mut tags = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_back_as_written() {
        let all = [
            Tag::All,
            Tag::Sections,
            Tag::Articles,
            Tag::Search,
            Tag::Authors,
            Tag::Tags,
            Tag::Corrections,
            Tag::Article(12),
            Tag::Comments(0),
            Tag::Comment(7),
            Tag::Image(3),
            Tag::Author(4),
            Tag::Tag(5),
            Tag::SectionArticles(6),
            Tag::AuthorArticles(8),
            Tag::TagArticles(9),
        ];
        for tag in all {
            assert_eq!(tag.to_string().parse::<Tag>(), Ok(tag), "{tag}");
            assert!(tag.to_string().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        assert_eq!(Tag::SectionArticles(6).to_string(), "section-articles-6");
        for bad in ["", "article", "article-", "article--1", "article-x", "nothing-1", "section-articles", "ALL"] {
            assert!(bad.parse::<Tag>().is_err(), "{bad}");
        }
    }

    fn listing(readable: bool, section_id: i64, authors: &[i64]) -> Listing {
        Listing {
            readable,
            kind: ArticleKind::News,
            section_id,
            published_at: None,
            authors: authors.to_vec(),
            tags: vec![40],
        }
    }

    #[test]
    fn a_draft_touches_only_itself() {
        let draft = listing(false, 1, &[2]);
        assert_eq!(article_written(9, Some(&draft), Some(&draft)), Change::of([Tag::Article(9)]));
    }

    #[test]
    fn an_edit_in_place_touches_the_article_and_search_only() {
        let live = listing(true, 1, &[2]);
        let change = article_written(9, Some(&live), Some(&live));
        assert_eq!(change.tags, Change::of([Tag::Article(9), Tag::Search]).tags);
        assert_eq!(change.events, [Event::ArticleUpdated { article_id: 9 }]);
    }

    #[test]
    fn what_readers_lose_is_an_unpublication_or_a_deletion_and_what_they_gain_no_update() {
        let (live, draft) = (listing(true, 1, &[2]), listing(false, 1, &[2]));
        assert_eq!(article_written(9, Some(&live), Some(&draft)).events, [Event::ArticleUnpublished { article_id: 9 }]);
        assert_eq!(article_written(9, Some(&live), None).events, [Event::ArticleDeleted { article_id: 9 }]);
        assert_eq!(article_written(9, Some(&draft), Some(&live)).events, []);
        assert_eq!(article_written(9, Some(&draft), None).events, []);
    }

    #[test]
    fn a_move_touches_the_lists_it_leaves_and_enters() {
        let change = article_written(9, Some(&listing(true, 1, &[2])), Some(&listing(true, 3, &[2, 5])));
        for tag in [Tag::SectionArticles(1), Tag::SectionArticles(3), Tag::AuthorArticles(2), Tag::AuthorArticles(5)] {
            assert!(change.tags.contains(&tag), "{tag}");
        }
        assert!(change.tags.contains(&Tag::Articles) && change.tags.contains(&Tag::TagArticles(40)));
        let published = article_written(9, Some(&listing(false, 1, &[2])), Some(&listing(true, 1, &[2])));
        assert!(published.tags.contains(&Tag::SectionArticles(1)) && published.tags.contains(&Tag::Articles));
        let deleted = article_written(9, Some(&listing(true, 1, &[2])), None);
        assert!(deleted.tags.contains(&Tag::SectionArticles(1)));
        // Its corrections join or leave the corrections page; a move leaves them there.
        assert!(published.tags.contains(&Tag::Corrections) && deleted.tags.contains(&Tag::Corrections));
        assert!(!change.tags.contains(&Tag::Corrections));
    }

    #[test]
    fn a_change_touches_what_shares_a_tag_and_all_touches_everything() {
        let change = Change::of([Tag::Article(1)]);
        assert!(change.touches(&[Tag::Sections, Tag::Article(1)]));
        assert!(!change.touches(&[Tag::Article(2)]));
        assert!(change.touches(&[Tag::All]));
        assert!(Change::everything().touches(&[Tag::Image(4)]));
    }
}
