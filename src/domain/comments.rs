//! Reading comments: approved threads for everyone, the moderation queue for editors.
//!
//! Readers see a comment when it is approved and, for a reply, when its parent is
//! approved too: rejecting a comment hides the replies hanging under it.

use std::collections::HashMap;
use std::sync::Arc;

use entity::article;
use entity::comment::{self, CommentStatus};
use entity::comment_tally::{self, TallyKind};
use entity::user::Role;
use sea_orm::sea_query::{Alias, ColumnRef, Expr, ExprTrait, IntoColumnRef, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};

use super::abuse::{ClientKey, RateLimits};
use super::audit::{self, quoted};
use super::changes::{Change, Event, Tag};
use super::global_id::Kind;
use super::pagination::{
    Keyset, Page, SortKey, SortValue, TotalCount, Window, count_each_group, fetch_page, first_of_each_group,
};
use super::pipeline::Pipeline;
use super::{Error, Result, Viewer, articles, users, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CommentOrder {
    #[default]
    OldestFirst,
    NewestFirst,
}

/// A list of comments under one parent: the top of an article's thread, or the replies
/// to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Thread {
    TopLevel {
        article: i64,
        order: CommentOrder,
    },
    /// `article` is the parent's: its comments' tag covers the replies.
    Replies {
        parent: i64,
        article: i64,
    },
}

/// What a count of approved comments covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tally {
    /// Every visible comment on an article, replies included.
    Article(i64),
    /// The visible top-level comments of an article.
    TopLevel(i64),
    /// The visible replies to a comment.
    Replies(i64),
}

impl Tally {
    fn id(self) -> i64 {
        let (Tally::Article(id) | Tally::TopLevel(id) | Tally::Replies(id)) = self;
        id
    }

    fn kind(self) -> TallyKind {
        match self {
            Tally::Article(_) => TallyKind::Article,
            Tally::TopLevel(_) => TallyKind::TopLevel,
            Tally::Replies(_) => TallyKind::Replies,
        }
    }

    fn of(kind: TallyKind, id: i64) -> Tally {
        match kind {
            TallyKind::Article => Tally::Article(id),
            TallyKind::TopLevel => Tally::TopLevel(id),
            TallyKind::Replies => Tally::Replies(id),
        }
    }

    /// What readers see change when `comment` appears, goes or changes status.
    fn touched_by(comment: &comment::Model) -> Vec<Tally> {
        let mut touched = vec![Tally::Article(comment.article_id), Tally::Replies(comment.id)];
        match comment.parent_id {
            Some(parent) => touched.push(Tally::Replies(parent)),
            None => touched.push(Tally::TopLevel(comment.article_id)),
        }
        touched
    }
}

fn keyset(list: &'static str, descending: bool) -> Keyset {
    Keyset {
        list,
        key: SortKey::Time(Expr::col((comment::Entity, comment::Column::CreatedAt))),
        id: Expr::col((comment::Entity, comment::Column::Id)),
        descending,
    }
}

impl Thread {
    fn keyset(self) -> Keyset {
        match self {
            Thread::TopLevel { order: CommentOrder::OldestFirst, .. } => keyset("comments:oldest", false),
            Thread::TopLevel { order: CommentOrder::NewestFirst, .. } => keyset("comments:newest", true),
            Thread::Replies { .. } => keyset("replies", false),
        }
    }

    fn parent_id(self) -> i64 {
        match self {
            Thread::TopLevel { article, .. } => article,
            Thread::Replies { parent, .. } => parent,
        }
    }

    /// The article whose comments the thread is part of: changes to it come under its
    /// [`Tag::Comments`].
    pub fn article(self) -> i64 {
        match self {
            Thread::TopLevel { article, .. } | Thread::Replies { article, .. } => article,
        }
    }

    /// The column that ties a comment to this thread's parent.
    fn group_column(self) -> comment::Column {
        match self {
            Thread::TopLevel { .. } => comment::Column::ArticleId,
            Thread::Replies { .. } => comment::Column::ParentId,
        }
    }

    /// Visible comments of threads of this kind, under any parent.
    fn visible_of_kind(self) -> Select<comment::Entity> {
        match self {
            Thread::TopLevel { .. } => approved().filter(comment::Column::ParentId.is_null()),
            Thread::Replies { .. } => approved().filter(parent_approved()),
        }
    }

    /// Visible comments of threads of this kind whose parent is one of `parents`.
    fn query(self, parents: &[i64]) -> Select<comment::Entity> {
        match self {
            Thread::TopLevel { .. } => top_level_of(parents),
            Thread::Replies { .. } => replies_to(parents),
        }
    }

    pub fn page(self, rows: Vec<Arc<comment::Model>>, limit: u64, total: TotalCount) -> Page<Arc<comment::Model>> {
        self.keyset().first_page(rows, limit, total, |c| key(c))
    }
}

fn key(c: &comment::Model) -> (SortValue, i64) {
    (SortValue::Time(c.created_at), c.id)
}

fn approved() -> Select<comment::Entity> {
    comment::Entity::find().filter(comment::Column::Status.eq(CommentStatus::Approved))
}

/// Whether a comment's parent is approved: one lookup by primary key per comment.
fn parent_approved() -> SimpleExpr {
    let parent = Alias::new("parent");
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(comment::Entity, parent.clone())
            .and_where(
                Expr::col((parent.clone(), comment::Column::Id)).equals((comment::Entity, comment::Column::ParentId)),
            )
            .and_where(Expr::col((parent, comment::Column::Status)).eq(Expr::value(CommentStatus::Approved)))
            .to_owned(),
    )
}

/// Approved comments that are top-level or reply to an approved comment.
fn visible() -> Select<comment::Entity> {
    approved().filter(Condition::any().add(comment::Column::ParentId.is_null()).add(parent_approved()))
}

fn top_level_of(articles: &[i64]) -> Select<comment::Entity> {
    approved()
        .filter(comment::Column::ArticleId.is_in(articles.iter().copied()))
        .filter(comment::Column::ParentId.is_null())
}

/// The ids of approved comments that `condition` picks: a small set to test parents
/// against in one go, where a lookup per comment costs thousands on a busy thread.
fn approved_ids(condition: SimpleExpr) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(comment::Column::Id)
        .from(comment::Entity)
        .and_where(comment::Column::Status.eq(CommentStatus::Approved))
        .and_where(condition)
        .to_owned()
}

fn replies_to(parents: &[i64]) -> Select<comment::Entity> {
    let approved_parents = approved_ids(comment::Column::Id.is_in(parents.iter().copied()));
    approved().filter(comment::Column::ParentId.in_subquery(approved_parents))
}

/// Every visible comment on `articles`, replies included.
fn visible_on(articles: &[i64]) -> Select<comment::Entity> {
    let approved_there = approved_ids(comment::Column::ArticleId.is_in(articles.iter().copied()));
    approved().filter(comment::Column::ArticleId.is_in(articles.iter().copied())).filter(
        Condition::any()
            .add(comment::Column::ParentId.is_null())
            .add(comment::Column::ParentId.in_subquery(approved_there)),
    )
}

/// One page of a thread. `total` is the thread's size, which callers usually have from a
/// batch already.
pub async fn page(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    thread: Thread,
    window: &Window,
    total: TotalCount,
) -> Result<Page<comment::Model>> {
    fetch_page(db, thread.query(&[thread.parent_id()]), &thread.keyset(), window, total, key).await
}

/// The first `per_thread` visible comments of many threads of one kind, in one query;
/// with `reply_counts`, each comment comes with its stored number of visible replies
/// (what [`tally`] gives for [`Tally::Replies`]), read by the same statement.
pub async fn first_of_threads(
    db: &impl ConnectionTrait,
    threads: &[Thread],
    per_thread: u64,
    reply_counts: bool,
) -> Result<HashMap<Thread, Vec<(comment::Model, i64)>>> {
    let Some(first) = threads.first() else {
        return Ok(HashMap::new());
    };
    let parents: Vec<i64> = threads.iter().map(|t| t.parent_id()).collect();
    let group = (comment::Entity, first.group_column()).into_column_ref();
    // Each group's branch filters by its own parent.
    let visible = first.visible_of_kind();
    let extra = reply_counts.then(stored_reply_count);
    let mut rows = first_of_each_group(db, visible, group, &parents, &first.keyset(), per_thread, extra, key).await?;
    Ok(threads
        .iter()
        .map(|t| {
            let rows = rows.remove(&t.parent_id()).unwrap_or_default();
            (*t, rows.into_iter().map(|(comment, replies)| (comment, replies.unwrap_or(0))).collect())
        })
        .collect())
}

/// The stored count of visible replies to the comment of the row.
fn stored_reply_count() -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(comment_tally::Column::Count)
                .from(comment_tally::Entity)
                .and_where(comment_tally::Column::Kind.eq(TallyKind::Replies))
                .and_where(
                    Expr::col((comment_tally::Entity, comment_tally::Column::SubjectId))
                        .equals((comment::Entity, comment::Column::Id)),
                )
                .to_owned()
                .into(),
        ),
    )
}

/// Counts of visible comments, as stored: one statement for any mix of kinds.
pub async fn tally(db: &impl ConnectionTrait, tallies: &[Tally]) -> Result<HashMap<Tally, i64>> {
    if tallies.is_empty() {
        return Ok(HashMap::new());
    }
    let mut wanted = Condition::any();
    for (kind, group) in by_kind(tallies) {
        wanted = wanted.add(
            comment_tally::Column::Kind
                .eq(kind)
                .and(comment_tally::Column::SubjectId.is_in(group.iter().map(|t| t.id()))),
        );
    }
    let stored: HashMap<Tally, i64> = comment_tally::Entity::find()
        .filter(wanted)
        .all(db)
        .await?
        .into_iter()
        .map(|row| (Tally::of(row.kind, row.subject_id), row.count))
        .collect();
    Ok(tallies.iter().map(|t| (*t, stored.get(t).copied().unwrap_or(0))).collect())
}

/// Counts again, and stores, the tallies that `comment` is part of. Every write that
/// changes whether a comment is visible calls it in the same transaction.
pub async fn recount_around(conn: &impl ConnectionTrait, comment: &comment::Model) -> Result<()> {
    refresh_tallies(conn, &Tally::touched_by(comment)).await
}

async fn refresh_tallies(conn: &impl ConnectionTrait, tallies: &[Tally]) -> Result<()> {
    for (kind, group) in by_kind(tallies) {
        let ids: Vec<i64> = group.iter().map(|t| t.id()).collect();
        let counted = count_each_group(conn, visible_for(kind, Some(&ids)), group_column(kind)).await?;
        let rows = ids.iter().map(|id| comment_tally::ActiveModel {
            kind: Set(kind),
            subject_id: Set(*id),
            count: Set(counted.get(id).copied().unwrap_or(0)),
        });
        comment_tally::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([comment_tally::Column::Kind, comment_tally::Column::SubjectId])
                    .update_column(comment_tally::Column::Count)
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Counts every tally again from the comments, as after an import.
pub async fn rebuild_tallies(conn: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    comment_tally::Entity::delete_many().exec(conn).await?;
    for kind in [TallyKind::Article, TallyKind::TopLevel, TallyKind::Replies] {
        let group = group_column(kind);
        let counts = visible_for(kind, None)
            .select_only()
            .expr(Expr::val(kind.to_value()))
            .expr(Expr::col(group.clone()))
            .expr(Expr::cust("COUNT(*)"))
            .group_by(Expr::col(group))
            .into_query();
        let insert = Query::insert()
            .into_table(comment_tally::Entity)
            .columns([comment_tally::Column::Kind, comment_tally::Column::SubjectId, comment_tally::Column::Count])
            .select_from(counts)
            .map_err(|e| sea_orm::DbErr::Custom(format!("tally rebuild: {e}")))?
            .to_owned();
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// Holds an article's row until the transaction ends, so that the writers of one thread
/// count it one after the other (on PostgreSQL; SQLite runs one writer at a time anyway).
async fn lock_thread(txn: &DatabaseTransaction, article_id: i64) -> Result<()> {
    article::Entity::find_by_id(article_id).lock_exclusive().one(txn).await?;
    Ok(())
}

/// Tallies by kind, each group in the order given.
fn by_kind(tallies: &[Tally]) -> Vec<(TallyKind, Vec<Tally>)> {
    let mut groups: Vec<(TallyKind, Vec<Tally>)> = Vec::new();
    for tally in tallies {
        match groups.iter_mut().find(|(kind, _)| *kind == tally.kind()) {
            Some((_, group)) => group.push(*tally),
            None => groups.push((tally.kind(), vec![*tally])),
        }
    }
    groups
}

/// The visible comments a tally of `kind` counts, for the given subjects or for all.
fn visible_for(kind: TallyKind, ids: Option<&[i64]>) -> Select<comment::Entity> {
    match (kind, ids) {
        (TallyKind::Article, Some(ids)) => visible_on(ids),
        (TallyKind::Article, None) => visible(),
        (TallyKind::TopLevel, Some(ids)) => top_level_of(ids),
        (TallyKind::TopLevel, None) => approved().filter(comment::Column::ParentId.is_null()),
        (TallyKind::Replies, Some(ids)) => replies_to(ids),
        (TallyKind::Replies, None) => approved().filter(parent_approved()),
    }
}

/// The column a tally of `kind` groups comments by.
fn group_column(kind: TallyKind) -> ColumnRef {
    let column = match kind {
        TallyKind::Article | TallyKind::TopLevel => comment::Column::ArticleId,
        TallyKind::Replies => comment::Column::ParentId,
    };
    (comment::Entity, column).into_column_ref()
}

/// Comments awaiting a decision (or of another status), oldest first. Editors and up.
pub async fn moderation_queue(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    status: CommentStatus,
    window: &Window,
) -> Result<Page<comment::Model>> {
    if !viewer.is_staff() {
        return Err(Error::Unauthenticated("the moderation queue is for signed-in editors".into()));
    }
    if !viewer.is_editor() {
        return Err(Error::Forbidden("the moderation queue is for editors and admins".into()));
    }
    let query = comment::Entity::find().filter(comment::Column::Status.eq(status));
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset("queue", false), window, total, key).await
}

/// A comment the viewer may see: editors see every comment; others visible comments on
/// articles they may see.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<comment::Model>> {
    if viewer.is_editor() {
        return Ok(comment::Entity::find_by_id(id).one(db).await?);
    }
    let Some(found) = visible().filter(comment::Column::Id.eq(id)).one(db).await? else {
        return Ok(None);
    };
    let article_visible = articles::find_by_id(db, viewer, found.article_id).await?.is_some();
    Ok(article_visible.then_some(found))
}

/// The article comment `id` belongs to, whether or not anyone may see it.
pub async fn article_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>> {
    let article = comment::Entity::find_by_id(id).select_only().column(comment::Column::ArticleId);
    Ok(article.into_tuple().one(db).await?)
}

/// The comments of `ids` the viewer may see as the parents of replies they see.
pub async fn parents_by_ids(db: &impl ConnectionTrait, viewer: &Viewer, ids: &[i64]) -> Result<Vec<comment::Model>> {
    let found = comment::Entity::find().filter(comment::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(found.into_iter().filter(|parent| parent_visible_to(viewer, parent)).collect())
}

/// Whether a reader may see this comment as the parent of a visible reply.
pub fn parent_visible_to(viewer: &Viewer, parent: &comment::Model) -> bool {
    viewer.is_editor() || parent.status == CommentStatus::Approved
}

/// A plain-text comment body as safe HTML: everything escaped, blank lines separate
/// paragraphs, single line breaks stay, bare web addresses become links that pass no
/// reputation (`rel="nofollow ugc noopener"`).
pub fn body_html(body: &str) -> String {
    let normalized = match body.contains('\r') {
        true => std::borrow::Cow::Owned(body.replace("\r\n", "\n")),
        false => std::borrow::Cow::Borrowed(body),
    };
    let mut html = String::with_capacity(body.len() + body.len() / 8 + 16);
    for paragraph in normalized.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        for (number, line) in paragraph.split('\n').enumerate() {
            if number > 0 {
                html.push_str("<br>");
            }
            push_linkified(&mut html, line);
        }
        html.push_str("</p>");
    }
    html
}

/// Appends `text` escaped, each `http://` or `https://` address in it turned into a link.
fn push_linkified(html: &mut String, text: &str) {
    let mut rest = text;
    while let Some(start) = next_web_address(rest) {
        let tail = &rest[start..];
        let mut end = tail.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(tail.len());
        end = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']).len();
        let url = &tail[..end];
        html_escape::encode_safe_to_string(&rest[..start], html);
        if url.len() > "https://".len() {
            html.push_str("<a href=\"");
            html_escape::encode_double_quoted_attribute_to_string(url, html);
            html.push_str("\" rel=\"nofollow ugc noopener\">");
            html_escape::encode_text_to_string(url, html);
            html.push_str("</a>");
        } else {
            html_escape::encode_safe_to_string(url, html);
        }
        rest = &tail[end..];
    }
    html_escape::encode_safe_to_string(rest, html);
}

/// Where the first `http://` or `https://` in `text` starts.
fn next_web_address(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("http") {
        let at = from + found;
        let after = &text[at + 4..];
        if after.starts_with("://") || after.starts_with("s://") {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

pub const MAX_NAME_LEN: usize = 80;
pub const MAX_BODY_LEN: usize = 5000;
/// More links than this hold a comment back for a moderator, whatever the policy.
pub const MAX_LINKS: usize = 2;
/// The same body from the same client within this many minutes is refused.
pub const DUPLICATE_MINUTES: i64 = 10;
/// How many of the client's latest comments the duplicate check compares. A double
/// submission is among the last few; comparing all of a busy client's comments (many
/// readers behind one address, or rate limits lifted) would make each new one slower
/// than the last, inside the write transaction.
const DUPLICATE_LOOKBACK: u64 = 20;

fn links_in(body: &str) -> usize {
    body.matches("http://").count() + body.matches("https://").count() + body.matches("www.").count()
}

pub struct NewComment {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: Option<String>,
    pub body: String,
}

/// How reader comments are received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Readers' comments go live at once instead of waiting for a moderator.
    pub auto_approve: bool,
}

/// Adds a comment. Readers' comments arrive PENDING unless the policy approves them (but
/// never with more than two links); editors' arrive APPROVED.
pub async fn add(
    db: &DatabaseConnection,
    viewer: &Viewer,
    client: &ClientKey,
    limits: &RateLimits,
    policy: Policy,
    pipeline: &Pipeline,
    new: NewComment,
) -> Result<comment::Model> {
    let author_name = validate::text("authorName", &new.author_name, 1, MAX_NAME_LEN)?;
    let body = new.body.trim().to_owned();
    let length = body.chars().count();
    if length == 0 || length > MAX_BODY_LEN {
        return Err(Error::bad_input("body", format!("must be 1 to {MAX_BODY_LEN} characters, got {length}")));
    }
    let author_email = match new.author_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => Some(
            users::validate_email(email)
                .map_err(|_| Error::bad_input("authorEmail", "must be an email address like name@example.com"))?,
        ),
        None => None,
    };
    let now = super::now();
    let article =
        articles::find_by_id(db, viewer, new.article_id).await?.ok_or_else(|| Error::NotFound("article".into()))?;
    if !articles::is_visible(&Viewer::Anonymous, &article, now) {
        return Err(Error::Forbidden("comments open once the article is published".into()));
    }
    if !article.comments_open {
        return Err(Error::Forbidden("comments are closed on this article".into()));
    }
    if let Some(parent_id) = new.parent_id {
        let parent = comment::Entity::find_by_id(parent_id).one(db).await?;
        match parent {
            None => return Err(Error::bad_input("parentId", "no comment has this id")),
            Some(p) if p.article_id != article.id => {
                return Err(Error::bad_input("parentId", "the comment belongs to another article"));
            }
            Some(p) if p.status != CommentStatus::Approved => {
                return Err(Error::bad_input("parentId", "replies go to approved comments only"));
            }
            Some(_) => {}
        }
    }
    if !viewer.is_editor() {
        limits.spend(db, client).await?;
    }
    let txn = super::begin_write(db).await?;
    if let Some(hash) = &client.0 {
        let since = now - chrono::Duration::minutes(DUPLICATE_MINUTES);
        let latest: Vec<String> = comment::Entity::find()
            .select_only()
            .column(comment::Column::Body)
            .filter(comment::Column::ClientHash.eq(hash.as_str()))
            .filter(comment::Column::CreatedAt.gte(since))
            .order_by_desc(comment::Column::CreatedAt)
            .limit(DUPLICATE_LOOKBACK)
            .into_tuple()
            .all(&txn)
            .await?;
        if latest.contains(&body) {
            return Err(Error::Conflict("you posted this comment already".into()));
        }
    }
    let status = if viewer.is_editor() || (policy.auto_approve && links_in(&body) <= MAX_LINKS) {
        CommentStatus::Approved
    } else {
        CommentStatus::Pending
    };
    if status == CommentStatus::Approved {
        lock_thread(&txn, article.id).await?;
    }
    let created = comment::ActiveModel {
        article_id: Set(article.id),
        parent_id: Set(new.parent_id),
        user_id: Set(viewer.user_id()),
        author_name: Set(author_name),
        author_email: Set(author_email),
        body: Set(body),
        status: Set(status),
        client_hash: Set(client.0.clone()),
        created_at: Set(now),
        moderated_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if created.status == CommentStatus::Approved {
        recount_around(&txn, &created).await?;
    }
    if viewer.is_staff() {
        let summary = format!("commented on {}", quoted(&article.headline));
        audit::record(&txn, viewer, "addComment", Some((Kind::Comment, created.id)), summary).await?;
    }
    let mut change = Change::of([Tag::Comment(created.id)]);
    if created.status == CommentStatus::Approved {
        change.tags.insert(Tag::Comments(created.article_id));
        change = change.with_event(Event::CommentApproved { article_id: created.article_id, comment_id: created.id });
    }
    super::commit(txn, change, pipeline).await?;
    Ok(created)
}

fn status_name(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Pending => "PENDING",
        CommentStatus::Approved => "APPROVED",
        CommentStatus::Rejected => "REJECTED",
        CommentStatus::Spam => "SPAM",
    }
}

/// Sets a comment's status. Editors and admins.
pub async fn moderate(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    status: CommentStatus,
    pipeline: &Pipeline,
) -> Result<comment::Model> {
    viewer.require(Role::Editor, "moderate comments")?;
    let txn = super::begin_write(db).await?;
    let found = comment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("comment".into()))?;
    lock_thread(&txn, found.article_id).await?;
    let approved_before = found.status == CommentStatus::Approved;
    let approved_now = status == CommentStatus::Approved && !approved_before;
    let mut row: comment::ActiveModel = found.into();
    row.status = Set(status);
    row.moderated_at = Set(Some(super::now()));
    let moderated = row.update(&txn).await?;
    if approved_before != (moderated.status == CommentStatus::Approved) {
        recount_around(&txn, &moderated).await?;
    }
    audit::record(
        &txn,
        viewer,
        "moderateComment",
        Some((Kind::Comment, id)),
        format!("set a comment by {} to {}", quoted(&moderated.author_name), status_name(moderated.status)),
    )
    .await?;
    let mut change = Change::of([Tag::Comment(moderated.id), Tag::Comments(moderated.article_id)]);
    if approved_now {
        change =
            change.with_event(Event::CommentApproved { article_id: moderated.article_id, comment_id: moderated.id });
    }
    super::commit(txn, change, pipeline).await?;
    Ok(moderated)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bare_addresses_become_links_that_pass_no_reputation() {
        assert_eq!(
            super::body_html("See https://example.com/a?b=1&c=2. Or <http://x.org>!"),
            "<p>See <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">https://example.com/a?b=1&amp;c=2</a>. \
             Or &lt;<a href=\"http://x.org\" rel=\"nofollow ugc noopener\">http://x.org</a>&gt;!</p>"
        );
        assert_eq!(
            super::body_html("javascript:alert(1) https://\"onmouseover=x"),
            "<p>javascript:alert(1) https:&#x2F;&#x2F;&quot;onmouseover=x</p>"
        );
    }

    #[test]
    fn comment_bodies_are_escaped_into_paragraphs() {
        assert_eq!(
            super::body_html("Hello <script>alert(1)</script>\nsecond line\n\n\"Next\" & last"),
            "<p>Hello &lt;script&gt;alert(1)&lt;&#x2F;script&gt;<br>second line</p><p>&quot;Next&quot; &amp; last</p>"
        );
    }
}
