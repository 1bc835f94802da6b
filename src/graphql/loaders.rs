//! Batched loading: every relation a resolver follows goes through one per-request
//! `DataLoader`, so a request's SQL count does not grow with the page size.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{article, article_revision, author, comment, correction, image, live_entry, tag, user};
use sea_orm::DatabaseConnection;

use crate::domain::articles::{self, Shelf};
use crate::domain::bylines::Contributor;
use crate::domain::changes::{ReadTags, Tag};
use crate::domain::comments::{self, Tally, Thread};
use crate::domain::kept_rows::{Bytes, KeptBy, KeptRows, LaterPage, Lookup, ThreadPage};
use crate::domain::pagination::{Page, TotalCount};
use crate::domain::pipeline::{Pipeline, Stamp};
use crate::domain::reader::{Fallback, Reader, RequestConnection};
use crate::domain::sections::{KeptSectionTree, SectionTree};
use crate::domain::{Error, Viewer, bylines, corrections, editorial, images, live, related, users};
use crate::replicas::{ReadFrom, ReadReplicas};

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// What queries take from the server instead of reading it each time.
pub struct Kept<'a> {
    pub sections: &'a Arc<KeptSectionTree>,
    pub rows: &'a Arc<KeptRows>,
}

/// Runs `request` with loaders of its own.
///
/// The loaders' batches run inside the request's own task, and only once the request
/// has settled: every resolver of a level of the query has asked for its keys and none
/// can go on without an answer. So each level costs one query per relation whatever the
/// page size. (Batches spawned on other threads after a fixed delay are split whenever
/// the resolvers take longer than the delay to ask, which on a busy machine they do.)
/// `cache` keeps what was loaded for the rest of the request, has every read of the
/// request go through one connection ([`RequestConnection`]) and takes the section tree
/// from `kept.sections` and articles, bylines, tags and images from `kept.rows`; a mutation turns
/// all four off, since each of its steps may change what the next one reads. The loaders
/// and resolvers register the tags of what they read in `read`. With `replicas`, a query
/// anyone may be shown reads from a replica that has replayed every change heard so far
/// (see [`crate::replicas`]).
pub async fn execute(
    schema: &super::NewsroomSchema,
    request: async_graphql::Request,
    db: DatabaseConnection,
    replicas: Option<(&Arc<ReadReplicas>, &Pipeline)>,
    kept: Kept<'_>,
    read: Arc<ReadTags>,
    cache: bool,
) -> async_graphql::Response {
    let Kept { sections, rows: kept } = kept;
    let viewer = request
        .data
        .get(&std::any::TypeId::of::<Viewer>())
        .and_then(|viewer| viewer.downcast_ref::<Viewer>())
        .copied()
        .unwrap_or(Viewer::Anonymous);
    let (batches, mut pending) = tokio::sync::mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
    // Before the replica is chosen by the changes heard so far, so that anything kept as
    // of this stamp is outdated by any change the choice did not account for.
    let read_since = sections.now();
    let connection = match replicas.filter(|_| cache && viewer.user_id().is_none()) {
        Some((replicas, pipeline)) => match replicas.choose(pipeline.wal()) {
            ReadFrom::Replica(index) => {
                let left_out = replicas.clone();
                let fallback =
                    Fallback { primary: db, replica_failed: Box::new(move || left_out.members()[index].leave_out()) };
                RequestConnection::shared_on_replica(replicas.members()[index].db().clone(), fallback)
            }
            ReadFrom::Primary => RequestConnection::shared(db),
        },
        None if cache => RequestConnection::shared(db),
        None => RequestConnection::per_statement(db),
    };
    let loaders = DataLoader::with_cache(
        DbLoader {
            connection: connection.clone(),
            viewer,
            // Before the request's first read, which begins its transaction.
            read_since,
            sections: cache.then(|| sections.clone()),
            kept: cache.then(|| kept.clone()),
            read: read.clone(),
        },
        move |batch| {
            let _ = batches.send(batch);
        },
        HashMapCache::default(),
    )
    .delay(Duration::ZERO);
    loaders.enable_all_cache(cache);
    let mut response = std::pin::pin!(schema.execute(request.data(loaders).data(connection).data(read)));
    let mut running = FuturesUnordered::new();
    let mut watch: Option<Arc<ResponseWatch>> = None;
    std::future::poll_fn(|cx| {
        let watch = watch.get_or_insert_with(|| Arc::new(ResponseWatch::new(cx.waker())));
        watch.follow(cx.waker());
        loop {
            // The task is woken for each row a batch receives; the response, a tree of
            // hundreds of pending resolvers, is polled only when one of them was woken.
            if watch.woken.swap(false, Ordering::SeqCst) {
                let response_waker = Waker::from(watch.clone());
                if let Poll::Ready(answer) = response.as_mut().poll(&mut Context::from_waker(&response_waker)) {
                    return Poll::Ready(answer);
                }
                // A response that woke itself while being polled has more to do before it
                // needs the batches (a large list yields part-way through its items).
                if watch.woken.load(Ordering::SeqCst) {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            while let Poll::Ready(Some(batch)) = pending.poll_recv(cx) {
                running.push(batch);
            }
            while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
            // Unless a batch has just answered some resolvers, wait.
            if !watch.woken.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
    })
    .await
}

/// Loaders for the events of a WebSocket connection: each event runs on its own, so
/// batches run as tasks of their own, and nothing is cached, so every event reads what
/// is current.
pub fn for_subscriptions(db: DatabaseConnection, viewer: Viewer) -> Loaders {
    let loaders = DataLoader::with_cache(
        DbLoader {
            connection: RequestConnection::per_statement(db),
            viewer,
            sections: None,
            kept: None,
            read_since: Stamp::default(),
            read: Arc::default(),
        },
        |batch| {
            tokio::spawn(batch);
        },
        HashMapCache::default(),
    );
    loaders.enable_all_cache(false);
    loaders
}

/// The response's waker: notes that a resolver was woken, then wakes the request's task.
struct ResponseWatch {
    woken: AtomicBool,
    task: std::sync::Mutex<Waker>,
}

impl ResponseWatch {
    fn new(task: &Waker) -> Self {
        ResponseWatch { woken: AtomicBool::new(true), task: std::sync::Mutex::new(task.clone()) }
    }

    /// Keeps the task's current waker (a task may move between threads).
    fn follow(&self, task: &Waker) {
        let mut held = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if !held.will_wake(task) {
            *held = task.clone();
        }
    }
}

impl Wake for ResponseWatch {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.lock().unwrap_or_else(|e| e.into_inner()).wake_by_ref();
    }
}

pub struct DbLoader {
    connection: Arc<RequestConnection>,
    /// Who asks: every read applies the domain's rule of what they may see.
    viewer: Viewer,
    /// Where a query takes the section tree; `None`: read it.
    sections: Option<Arc<KeptSectionTree>>,
    /// Where a query takes rows kept between queries; `None`: read them.
    kept: Option<Arc<KeptRows>>,
    /// The change clock before the request's first read.
    read_since: Stamp,
    read: Arc<ReadTags>,
}

impl DbLoader {
    async fn reader(&self) -> Result<Reader, Arc<Error>> {
        self.connection.reader().await.map_err(failed)
    }

    async fn section_tree(&self) -> Result<Arc<SectionTree>, Arc<Error>> {
        self.read.add(Tag::Sections);
        let reader = self.reader().await?;
        match &self.sections {
            Some(kept) => kept.get(&reader, self.read_since).await,
            None => SectionTree::load(&reader).await.map(Arc::new),
        }
        .map_err(Arc::new)
    }

    /// What `ids` have kept in `kind` and current, and the ids to read.
    fn kept_of<K: Eq + Hash + Clone, V: Bytes + Clone>(
        &self,
        kind: impl Fn(&KeptRows) -> &KeptBy<K, V>,
        ids: Vec<K>,
    ) -> Lookup<K, V> {
        match &self.kept {
            Some(kept) => kept.lookup(kind(kept), ids),
            None => Lookup { found: Vec::new(), missing: ids },
        }
    }

    /// Keeps `value` of `id` in `kind`, read under `tags`.
    fn keep<K: Eq + Hash + Clone, V: Bytes>(
        &self,
        kind: impl Fn(&KeptRows) -> &KeptBy<K, V>,
        id: K,
        value: V,
        tags: &[Tag],
    ) {
        if let Some(kept) = &self.kept {
            kept.keep(kind(kept), id, value, tags, self.read_since);
        }
    }

    /// The lists of `ids` (an article's bylines, its tags), kept or read with `read`; each
    /// list read is kept under the article's tag and the `row_tag` of each of its rows.
    async fn lists_of<V: Bytes + Clone, F>(
        &self,
        kind: impl Fn(&KeptRows) -> &KeptBy<i64, Vec<V>>,
        ids: Vec<i64>,
        read: impl FnOnce(Reader, Vec<i64>) -> F,
        row_tag: impl Fn(&V) -> Tag,
    ) -> LoadResult<i64, Vec<V>>
    where
        F: Future<Output = crate::domain::Result<Vec<(i64, V)>>>,
    {
        let Lookup { found, missing } = self.kept_of(&kind, ids);
        let mut lists: HashMap<i64, Vec<V>> = found.into_iter().collect();
        if !missing.is_empty() {
            let rows = read(self.reader().await?, missing.clone()).await.map_err(Arc::new)?;
            let mut read: HashMap<i64, Vec<V>> = missing.iter().map(|id| (*id, Vec::new())).collect();
            for (id, row) in rows {
                read.entry(id).or_default().push(row);
            }
            for (id, list) in &read {
                let tags: Vec<Tag> = std::iter::once(Tag::Article(*id)).chain(list.iter().map(&row_tag)).collect();
                self.keep(&kind, *id, list.clone(), &tags);
            }
            lists.extend(read);
        }
        self.read.extend(lists.keys().map(|id| Tag::Article(*id)));
        self.read.extend(lists.values().flatten().map(row_tag));
        Ok(lists)
    }

    /// A later page of a shelf (`after` a cursor), kept or read with `read` and kept,
    /// under `tags`: the shelf's and the section tree's.
    pub async fn later_shelf_page<F, E>(
        &self,
        key: (Shelf, u64, String),
        tags: Vec<Tag>,
        read: F,
    ) -> Result<Page<article::Model>, E>
    where
        F: Future<Output = Result<Page<article::Model>, E>>,
    {
        let page = match self.kept_of(|kept| &kept.later_shelf_pages, vec![key.clone()]).found.pop() {
            Some((_, kept)) => kept.page(TotalCount::known(0)),
            None => {
                let page = read.await?;
                let tags: Vec<Tag> =
                    tags.iter().copied().chain(page.edges.iter().map(|e| Tag::Article(e.node.id))).collect();
                self.keep(|kept| &kept.later_shelf_pages, key, LaterPage::of(&page), &tags);
                page
            }
        };
        self.read.extend(tags.into_iter().chain(page.edges.iter().map(|e| Tag::Article(e.node.id))));
        Ok(page)
    }

    /// The article `slug` names, if the viewer may see it (or `preview` names it): kept
    /// or read. Only a current slug's article is kept; one found by an old slug is read.
    pub async fn article_by_slug(
        &self,
        slug: &str,
        preview: Option<i64>,
    ) -> Result<Option<article::Model>, Arc<Error>> {
        let kept = match preview {
            None => self.kept_of(|kept| &kept.articles, vec![slug.to_owned()]).found.pop().map(|(_, row)| row),
            Some(_) => None,
        };
        let found = match kept {
            Some(row) => Some(row),
            None => {
                let found = articles::named_by_slug(&self.reader().await?, slug).await.map_err(Arc::new)?;
                if let Some(articles::Named { article, current: true }) = &found {
                    self.keep(|kept| &kept.articles, slug.to_owned(), article.clone(), &[Tag::Article(article.id)]);
                }
                found.map(|named| named.article)
            }
        };
        Ok(found.filter(|article| articles::shown_by_slug(&self.viewer, article, preview, crate::domain::now())))
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<Error>>;

fn failed(error: sea_orm::DbErr) -> Arc<Error> {
    Arc::new(Error::Database(error))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllSections;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArticleId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParentId(pub i64);
/// The byline of an article, in order: every contributor with their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BylinesOf(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOf(pub i64);
impl Loader<AllSections> for DbLoader {
    type Value = Arc<SectionTree>;
    type Error = Arc<Error>;

    async fn load(&self, _: &[AllSections]) -> LoadResult<AllSections, Arc<SectionTree>> {
        Ok(HashMap::from([(AllSections, self.section_tree().await?)]))
    }
}

/// Rows by id, each under the domain's rule of who may see it; the tags of what is looked
/// for (found or not) are registered.
macro_rules! by_id {
    ($key:ident, $model:ty, $read:path, $tags:expr) => {
        impl Loader<$key> for DbLoader {
            type Value = $model;
            type Error = Arc<Error>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $model> {
                self.read.extend(keys.iter().flat_map(|key| $tags(key.0)));
                let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
                let rows = $read(&self.reader().await?, &self.viewer, &ids).await.map_err(Arc::new)?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }
    };
}

// Users are shown to staff only, whose answers are never shared.
by_id!(UserId, user::Model, users::visible_by_ids, |_| []);
by_id!(ArticleId, article::Model, articles::visible_by_ids, |id| [Tag::Article(id)]);
by_id!(ParentId, comment::Model, comments::parents_by_ids, |id| [Tag::Comment(id)]);

/// Rows of many articles at once, grouped by article (every key gets a list, perhaps empty).
fn by_article<K: std::hash::Hash + Eq + Copy, V>(
    keys: &[K],
    key: impl Fn(i64) -> K,
    rows: impl IntoIterator<Item = (i64, V)>,
) -> HashMap<K, Vec<V>> {
    let mut grouped: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (article, row) in rows {
        grouped.entry(key(article)).or_default().push(row);
    }
    grouped
}

/// Images by id, kept between queries; whether the viewer gets each is asked as it is served.
impl Loader<ImageId> for DbLoader {
    type Value = image::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[ImageId]) -> LoadResult<ImageId, image::Model> {
        self.read.extend(keys.iter().map(|key| Tag::Image(key.0)));
        let Lookup { found, missing } = self.kept_of(|kept| &kept.images, keys.iter().map(|key| key.0).collect());
        let mut rows: Vec<image::Model> = found.into_iter().map(|(_, row)| row).collect();
        if !missing.is_empty() {
            let read = images::by_ids(&self.reader().await?, &missing).await.map_err(Arc::new)?;
            for row in &read {
                self.keep(|kept| &kept.images, row.id, row.clone(), &[Tag::Image(row.id)]);
            }
            rows.extend(read);
        }
        let now = crate::domain::now();
        Ok(rows
            .into_iter()
            .filter(|row| images::shown_to(&self.viewer, row, now))
            .map(|row| (ImageId(row.id), row))
            .collect())
    }
}

impl Loader<BylinesOf> for DbLoader {
    type Value = Vec<Contributor>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[BylinesOf]) -> LoadResult<BylinesOf, Vec<Contributor>> {
        let ids = keys.iter().map(|key| key.0).collect();
        let read = |reader: Reader, ids: Vec<i64>| async move { bylines::contributors_of(&reader, &ids).await };
        let lists = self.lists_of(|kept| &kept.bylines, ids, read, |byline| Tag::Author(byline.author.id)).await?;
        Ok(lists.into_iter().map(|(id, list)| (BylinesOf(id), list)).collect())
    }
}

impl Loader<TagsOf> for DbLoader {
    type Value = Vec<tag::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[TagsOf]) -> LoadResult<TagsOf, Vec<tag::Model>> {
        let ids = keys.iter().map(|key| key.0).collect();
        let read = |reader: Reader, ids: Vec<i64>| async move { bylines::tags_of(&reader, &ids).await };
        let lists = self.lists_of(|kept| &kept.tags, ids, read, |tag| Tag::Tag(tag.id)).await?;
        Ok(lists.into_iter().map(|(id, list)| (TagsOf(id), list)).collect())
    }
}

/// Keys split by `kind`: each batched query serves keys of one kind.
fn by_kind<K: Copy, G: std::hash::Hash + Eq>(keys: &[K], kind: impl Fn(&K) -> G) -> HashMap<G, Vec<K>> {
    let mut groups: HashMap<G, Vec<K>> = HashMap::new();
    for key in keys {
        groups.entry(kind(key)).or_default().push(*key);
    }
    groups
}

impl Loader<Tally> for DbLoader {
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Tally]) -> LoadResult<Tally, i64> {
        // A count of replies belongs to a comment, whose thread was registered when it was
        // read; it is not kept, since its key does not name the article.
        let article_of = |tally: &Tally| match tally {
            Tally::Article(article) | Tally::TopLevel(article) => Some(*article),
            Tally::Replies(_) => None,
        };
        self.read.extend(keys.iter().filter_map(article_of).map(Tag::Comments));
        let Lookup { found, missing } = self.kept_of(|kept| &kept.comment_tallies, keys.to_vec());
        let mut counts: HashMap<Tally, i64> = found.into_iter().collect();
        if !missing.is_empty() {
            let read = comments::tally(&self.reader().await?, &missing).await.map_err(Arc::new)?;
            for (tally, count) in &read {
                if let Some(article) = article_of(tally) {
                    self.keep(|kept| &kept.comment_tallies, *tally, *count, &[Tag::Comments(article)]);
                }
            }
            counts.extend(read);
        }
        Ok(counts)
    }
}

/// The first `limit` comments of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstComments {
    pub thread: Thread,
    pub limit: u64,
    /// Read one more, to tell whether more follow: only when the client asks.
    pub peek: bool,
    /// Read each comment's number of replies with it: only when the client asks.
    pub reply_counts: bool,
}

/// A comment, and its number of visible replies when they were asked for (else 0).
pub type CommentWithReplies = (Arc<comment::Model>, i64);

impl Loader<FirstComments> for DbLoader {
    type Value = Vec<CommentWithReplies>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[FirstComments]) -> LoadResult<FirstComments, Vec<CommentWithReplies>> {
        let page_of = |key: &FirstComments| ThreadPage {
            thread: key.thread,
            rows: key.limit + u64::from(key.peek),
            reply_counts: key.reply_counts,
        };
        // Replies belong to a comment, whose thread was registered when it was read.
        self.read.extend(keys.iter().filter_map(|key| match key.thread {
            Thread::TopLevel { article, .. } => Some(Tag::Comments(article)),
            Thread::Replies { .. } => None,
        }));
        let found = self.kept_of(|kept| &kept.comment_pages, keys.iter().map(page_of).collect()).found;
        let kept: HashMap<ThreadPage, Vec<CommentWithReplies>> = found.into_iter().collect();
        let mut pages = HashMap::new();
        let mut unread = Vec::new();
        for key in keys {
            match kept.get(&page_of(key)) {
                Some(rows) => {
                    pages.insert(*key, rows.clone());
                }
                None => unread.push(*key),
            }
        }
        let kind = |key: &FirstComments| {
            let order = match key.thread {
                Thread::TopLevel { order, .. } => Some(order),
                Thread::Replies { .. } => None,
            };
            (order, key.limit, key.peek, key.reply_counts)
        };
        for group in by_kind(&unread, kind).into_values() {
            let FirstComments { limit, peek, reply_counts, .. } = group[0];
            let threads: Vec<Thread> = group.iter().map(|k| k.thread).collect();
            let rows =
                comments::first_of_threads(&self.reader().await?, &threads, limit + u64::from(peek), reply_counts)
                    .await
                    .map_err(Arc::new)?;
            for (thread, rows) in rows {
                let rows: Vec<CommentWithReplies> =
                    rows.into_iter().map(|(comment, replies)| (Arc::new(comment), replies)).collect();
                let key = FirstComments { thread, limit, peek, reply_counts };
                let tags = [Tag::Comments(thread.article())];
                self.keep(|kept| &kept.comment_pages, page_of(&key), rows.clone(), &tags);
                pages.insert(key, rows);
            }
        }
        Ok(pages)
    }
}

/// The first `limit` (+1) articles of a shelf: a section front, an author's or a tag's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstArticles {
    pub shelf: Shelf,
    pub limit: u64,
}

/// The number of articles on a shelf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShelfSize(pub Shelf);

impl DbLoader {
    /// The section tree, read only when section shelves need it.
    async fn tree_for(&self, shelves: &[Shelf]) -> Result<Arc<SectionTree>, Arc<Error>> {
        if shelves.iter().any(|s| matches!(s, Shelf::Section(_))) {
            self.section_tree().await
        } else {
            Ok(Arc::default())
        }
    }
}

impl Loader<FirstArticles> for DbLoader {
    type Value = Vec<article::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[FirstArticles]) -> LoadResult<FirstArticles, Vec<article::Model>> {
        let tree = self.tree_for(&keys.iter().map(|k| k.shelf).collect::<Vec<_>>()).await?;
        self.read.extend(keys.iter().flat_map(|key| articles::shelf_tags(key.shelf, &tree)));
        let found = self.kept_of(|kept| &kept.shelf_pages, keys.iter().map(|k| (k.shelf, k.limit)).collect()).found;
        let mut pages: HashMap<FirstArticles, Vec<article::Model>> =
            found.into_iter().map(|((shelf, limit), rows)| (FirstArticles { shelf, limit }, rows)).collect();
        let unread: Vec<FirstArticles> = keys.iter().filter(|key| !pages.contains_key(key)).copied().collect();
        for group in by_kind(&unread, |k| (std::mem::discriminant(&k.shelf), k.limit)).into_values() {
            let limit = group[0].limit;
            let shelves: Vec<Shelf> = group.iter().map(|k| k.shelf).collect();
            let rows =
                articles::first_on_shelves(&self.reader().await?, &shelves, &tree, limit).await.map_err(Arc::new)?;
            for (shelf, rows) in rows {
                let tags: Vec<Tag> = articles::shelf_tags(shelf, &tree)
                    .into_iter()
                    .chain([Tag::Sections])
                    .chain(rows.iter().map(|row| Tag::Article(row.id)))
                    .collect();
                self.keep(|kept| &kept.shelf_pages, (shelf, limit), rows.clone(), &tags);
                pages.insert(FirstArticles { shelf, limit }, rows);
            }
        }
        self.read.extend(pages.values().flatten().map(|row| Tag::Article(row.id)));
        Ok(pages)
    }
}

impl Loader<ShelfSize> for DbLoader {
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[ShelfSize]) -> LoadResult<ShelfSize, i64> {
        let tree = self.tree_for(&keys.iter().map(|k| k.0).collect::<Vec<_>>()).await?;
        self.read.extend(keys.iter().flat_map(|key| articles::shelf_tags(key.0, &tree)));
        let mut sizes = HashMap::new();
        for group in by_kind(keys, |k| std::mem::discriminant(&k.0)).into_values() {
            let shelves: Vec<Shelf> = group.iter().map(|k| k.0).collect();
            let counts = articles::count_on_shelves(&self.reader().await?, &shelves, &tree).await.map_err(Arc::new)?;
            sizes.extend(counts.into_iter().map(|(shelf, count)| (ShelfSize(shelf), count)));
        }
        Ok(sizes)
    }
}

/// The first `limit` related stories of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelatedOf {
    pub article: i64,
    pub limit: u64,
}

impl Loader<RelatedOf> for DbLoader {
    type Value = Vec<article::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[RelatedOf]) -> LoadResult<RelatedOf, Vec<article::Model>> {
        // The picks are the article's own; the others come and go as articles are
        // published, tagged or taken down, which `articles` follows.
        self.read.extend(keys.iter().map(|key| Tag::Article(key.article)));
        self.read.add(Tag::Articles);
        let mut lists = HashMap::new();
        for group in by_kind(keys, |key| key.limit).into_values() {
            let limit = group[0].limit;
            let ids: Vec<i64> = group.iter().map(|key| key.article).collect();
            let found = related::of_articles(&self.reader().await?, &ids, limit).await.map_err(Arc::new)?;
            self.read.extend(found.values().flatten().map(|article| Tag::Article(article.id)));
            lists.extend(found.into_iter().map(|(article, rows)| (RelatedOf { article, limit }, rows)));
        }
        Ok(lists)
    }
}

/// The corrections of an article, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CorrectionsOf(pub i64);

impl Loader<CorrectionsOf> for DbLoader {
    type Value = Vec<correction::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[CorrectionsOf]) -> LoadResult<CorrectionsOf, Vec<correction::Model>> {
        self.read.extend(keys.iter().map(|key| Tag::Article(key.0)));
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let rows = corrections::of_articles(&self.reader().await?, &ids).await.map_err(Arc::new)?;
        Ok(by_article(keys, CorrectionsOf, rows.into_iter().map(|row| (row.article_id, row))))
    }
}

/// Every saved version of an article, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RevisionsOf(pub i64);

impl Loader<RevisionsOf> for DbLoader {
    type Value = Vec<article_revision::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[RevisionsOf]) -> LoadResult<RevisionsOf, Vec<article_revision::Model>> {
        self.read.extend(keys.iter().map(|key| Tag::Article(key.0)));
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let rows = editorial::revisions_of(&self.reader().await?, &self.viewer, &ids).await.map_err(Arc::new)?;
        Ok(by_article(keys, RevisionsOf, rows.into_iter().map(|row| (row.article_id, row))))
    }
}

/// The first `limit` (+1) entries of a live blog: pinned first, then newest first; with
/// `since`, the entries changed after it, oldest change first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstLiveEntries {
    pub article: i64,
    pub limit: u64,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Loader<FirstLiveEntries> for DbLoader {
    type Value = Vec<live_entry::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[FirstLiveEntries]) -> LoadResult<FirstLiveEntries, Vec<live_entry::Model>> {
        self.read.extend(keys.iter().map(|key| Tag::Article(key.article)));
        let mut pages = HashMap::new();
        for group in by_kind(keys, |key| (key.limit, key.since)).into_values() {
            let (limit, since) = (group[0].limit, group[0].since);
            let ids: Vec<i64> = group.iter().map(|key| key.article).collect();
            let reader = self.reader().await?;
            let found = match since {
                None => live::first_of_blogs(&reader, &ids, limit + 1).await,
                Some(since) => live::first_changed(&reader, &ids, since, limit + 1).await,
            }
            .map_err(Arc::new)?;
            pages.extend(found.into_iter().map(|(article, rows)| (FirstLiveEntries { article, limit, since }, rows)));
        }
        Ok(pages)
    }
}

/// The number of entries a live blog shows; with `since`, of those changed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LiveEntryCount {
    pub article: i64,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Loader<LiveEntryCount> for DbLoader {
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[LiveEntryCount]) -> LoadResult<LiveEntryCount, i64> {
        self.read.extend(keys.iter().map(|key| Tag::Article(key.article)));
        let mut counts = HashMap::new();
        for group in by_kind(keys, |key| key.since).into_values() {
            let since = group[0].since;
            let ids: Vec<i64> = group.iter().map(|key| key.article).collect();
            let found = live::count_of_blogs(&self.reader().await?, &ids, since).await.map_err(Arc::new)?;
            counts.extend(
                ids.iter().map(|id| (LiveEntryCount { article: *id, since }, found.get(id).copied().unwrap_or(0))),
            );
        }
        Ok(counts)
    }
}

/// The entries of a live blog deleted after a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeletedLiveEntries {
    pub article: i64,
    pub since: chrono::DateTime<chrono::Utc>,
}

impl Loader<DeletedLiveEntries> for DbLoader {
    type Value = Vec<i64>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[DeletedLiveEntries]) -> LoadResult<DeletedLiveEntries, Vec<i64>> {
        self.read.extend(keys.iter().map(|key| Tag::Article(key.article)));
        let mut lists = HashMap::new();
        for group in by_kind(keys, |key| key.since).into_values() {
            let since = group[0].since;
            let ids: Vec<i64> = group.iter().map(|key| key.article).collect();
            let found = live::deleted_since(&self.reader().await?, &ids, since).await.map_err(Arc::new)?;
            lists.extend(by_article(&group, |article| DeletedLiveEntries { article, since }, found));
        }
        Ok(lists)
    }
}

/// The authors of a live blog entry, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryAuthorsOf(pub i64);

impl Loader<EntryAuthorsOf> for DbLoader {
    type Value = Vec<author::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[EntryAuthorsOf]) -> LoadResult<EntryAuthorsOf, Vec<author::Model>> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let found = live::authors_of(&self.reader().await?, &ids).await.map_err(Arc::new)?;
        // The entries were read under their article's tag; the authors' names are theirs.
        self.read.extend(found.iter().map(|(_, author)| Tag::Author(author.id)));
        Ok(by_article(keys, EntryAuthorsOf, found))
    }
}
