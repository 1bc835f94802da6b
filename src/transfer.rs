//! Moving the whole content from one database to another, such as from the embedded
//! SQLite file to PostgreSQL: [`export`] writes every content table as NDJSON, and
//! [`import`] loads such a file into an empty database in one transaction.
//!
//! The file is one JSON object per line:
//!
//! ```text
//! {"format":"newsroom-export","version":1,"exported_at":"2026-01-05T10:00:00.123456Z"}
//! {"table":"users","row":{"id":1,"email":"eda@example.com",...}}
//! {"table":"sections","row":{"id":1,"slug":"world",...}}
//! ...
//! {"end":true,"rows":1234}
//! ```
//!
//! Rows come table by table in [`Table::ALL`] order, so that every row follows the rows
//! it refers to; a section follows its parent and a reply follows the comment it answers.
//! A row is the table's entity model as JSON, with the column names as keys, so a
//! column added to an entity travels without further code. The last line counts the
//! rows, so that a file cut short is refused rather than half imported.
//!
//! The `settings` table (the generated token-signing secret, among others) stays behind:
//! it belongs to one installation, and so do the rate limits spent on it. Password hashes
//! and newsletter token hashes are written as `null` unless
//! [`ExportOptions::with_secrets`] asks for them, and the outbox, whose emails carry
//! newsletter tokens in their links, is left out, as are the webhooks, which hold their
//! signing secrets, and their deliveries.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{BufRead, BufWriter, Write};

use chrono::{DateTime, Utc};
use entity::{
    article, article_author, article_revision, article_slug, article_tag, audit_entry, author, author_slug, comment,
    correction, image, live_entry, live_entry_author, newsletter_subscription, outbox_message, related_article,
    section, tag, tag_slug, user, webhook, webhook_delivery,
};
use sea_orm::sea_query::Condition;
use sea_orm::sqlx::{self, postgres::PgDatabaseError};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityName,
    EntityTrait, IdenStatic, IntoActiveModel, IsolationLevel, Iterable, ModelTrait, PaginatorTrait, PrimaryKeyToColumn,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, RuntimeErr, TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The `format` of the first line.
pub const FORMAT: &str = "newsroom-export";
/// The `version` of the first line; an import refuses any other.
pub const VERSION: u64 = 1;

/// Rows read from the database at a time, by keyset on the primary key.
const PAGE_SIZE: u64 = 500;
/// Rows written to the database in one statement, at most. Few large statements: over
/// TCP, each statement larger than the driver's write buffer can wait for a delayed
/// acknowledgement (some 40 ms, as the driver does not set `TCP_NODELAY`), so their
/// number sets the time of an import into PostgreSQL.
const BATCH_SIZE: usize = 1000;
/// Bytes of rows (as read) written in one statement, at most.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("cannot write the export: {0}")]
    Write(#[source] std::io::Error),
    #[error("cannot read line {line}: {source}")]
    Read {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("the database is not empty ({table} has {rows} rows): import only into a new, empty database")]
    NotEmpty { table: &'static str, rows: u64 },
    #[error("line {line}: not a newsroom export: {reason}")]
    Header { line: u64, reason: String },
    #[error("line {line}: not a JSON object: {reason}")]
    NotJson { line: u64, reason: String },
    #[error("line {line}: unknown table {table:?}")]
    UnknownTable { line: u64, table: String },
    #[error("line {line}: bad {table} row: {reason}")]
    BadRow { line: u64, table: &'static str, reason: String },
    #[error("line {line}: the {table} row cannot be inserted: {reason}")]
    Insert {
        line: u64,
        table: &'static str,
        /// What the database said, e.g. `FOREIGN KEY constraint failed`.
        reason: String,
        #[source]
        source: DbErr,
    },
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("the file ends after line {line} without its closing line: the export was cut short")]
    Truncated { line: u64 },
    #[error("{rows} {table} rows refer to parents that are missing or form a cycle, such as ids {some_ids:?}")]
    Cycle { table: &'static str, rows: usize, some_ids: Vec<i64> },
}

impl TransferError {
    /// The line of the file the error is about, counting from 1.
    pub fn line(&self) -> Option<u64> {
        match self {
            TransferError::Read { line, .. }
            | TransferError::Header { line, .. }
            | TransferError::NotJson { line, .. }
            | TransferError::UnknownTable { line, .. }
            | TransferError::BadRow { line, .. }
            | TransferError::Insert { line, .. }
            | TransferError::Malformed { line, .. }
            | TransferError::Truncated { line } => Some(*line),
            _ => None,
        }
    }
}

/// The content tables, in the order an export writes them: each after those it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Users,
    Sections,
    Images,
    Authors,
    AuthorSlugs,
    Tags,
    TagSlugs,
    Articles,
    ArticleAuthors,
    ArticleTags,
    ArticleRevisions,
    ArticleSlugs,
    RelatedArticles,
    Corrections,
    /// Live blog entries, deleted ones included: they tell pollers what went.
    LiveEntries,
    LiveEntryAuthors,
    Comments,
    NewsletterSubscriptions,
    /// Who did what: summaries only, never a secret.
    AuditLog,
    /// Emails queued and sent. Their bodies carry live confirmation and unsubscribe
    /// links, so they travel only with the secrets.
    Outbox,
    /// Endpoints with their signing secrets: only with the secrets.
    Webhooks,
    /// The webhook outbox and its log, with the endpoints.
    WebhookDeliveries,
}

/// Runs `$body` with `$entity` standing for the entity type of `$table`.
macro_rules! with_entity {
    ($table:expr, $entity:ident => $body:expr) => {
        match $table {
            Table::Users => {
                type $entity = user::Entity;
                $body
            }
            Table::Sections => {
                type $entity = section::Entity;
                $body
            }
            Table::Images => {
                type $entity = image::Entity;
                $body
            }
            Table::Authors => {
                type $entity = author::Entity;
                $body
            }
            Table::AuthorSlugs => {
                type $entity = author_slug::Entity;
                $body
            }
            Table::Tags => {
                type $entity = tag::Entity;
                $body
            }
            Table::TagSlugs => {
                type $entity = tag_slug::Entity;
                $body
            }
            Table::Articles => {
                type $entity = article::Entity;
                $body
            }
            Table::ArticleAuthors => {
                type $entity = article_author::Entity;
                $body
            }
            Table::ArticleTags => {
                type $entity = article_tag::Entity;
                $body
            }
            Table::ArticleRevisions => {
                type $entity = article_revision::Entity;
                $body
            }
            Table::ArticleSlugs => {
                type $entity = article_slug::Entity;
                $body
            }
            Table::RelatedArticles => {
                type $entity = related_article::Entity;
                $body
            }
            Table::Corrections => {
                type $entity = correction::Entity;
                $body
            }
            Table::LiveEntries => {
                type $entity = live_entry::Entity;
                $body
            }
            Table::LiveEntryAuthors => {
                type $entity = live_entry_author::Entity;
                $body
            }
            Table::Comments => {
                type $entity = comment::Entity;
                $body
            }
            Table::NewsletterSubscriptions => {
                type $entity = newsletter_subscription::Entity;
                $body
            }
            Table::AuditLog => {
                type $entity = audit_entry::Entity;
                $body
            }
            Table::Outbox => {
                type $entity = outbox_message::Entity;
                $body
            }
            Table::Webhooks => {
                type $entity = webhook::Entity;
                $body
            }
            Table::WebhookDeliveries => {
                type $entity = webhook_delivery::Entity;
                $body
            }
        }
    };
}

impl Table {
    pub const ALL: [Table; 22] = [
        Table::Users,
        Table::Sections,
        Table::Images,
        Table::Authors,
        Table::AuthorSlugs,
        Table::Tags,
        Table::TagSlugs,
        Table::Articles,
        Table::ArticleAuthors,
        Table::ArticleTags,
        Table::ArticleRevisions,
        Table::ArticleSlugs,
        Table::RelatedArticles,
        Table::Corrections,
        Table::LiveEntries,
        Table::LiveEntryAuthors,
        Table::Comments,
        Table::NewsletterSubscriptions,
        Table::AuditLog,
        Table::Outbox,
        Table::Webhooks,
        Table::WebhookDeliveries,
    ];

    /// The table's name in the database and in the file.
    pub fn name(self) -> &'static str {
        with_entity!(self, E => E::default().table_name())
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether the table's key is a number the database hands out.
    fn has_id_sequence(self) -> bool {
        with_entity!(self, E => <<E as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::auto_increment())
    }

    async fn count(self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        with_entity!(self, E => E::find().count(db).await)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Rows per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCounts([u64; Table::ALL.len()]);

impl RowCounts {
    pub fn get(&self, table: Table) -> u64 {
        self.0[table.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn add(&mut self, table: Table, rows: u64) {
        self.0[table.index()] += rows;
    }
}

/// `1234 rows (3 users, 9 sections, ...)`, leaving out empty tables.
impl fmt::Display for RowCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows", self.total())?;
        let parts: Vec<String> = Table::ALL
            .into_iter()
            .filter(|table| self.get(*table) > 0)
            .map(|table| format!("{} {table}", self.get(table)))
            .collect();
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Include password hashes and newsletter token hashes, and the outbox; without it
    /// the hashes are `null` and the outbox stays behind.
    pub with_secrets: bool,
}

#[derive(Debug, Clone)]
pub struct ExportSummary {
    pub rows: RowCounts,
    pub with_secrets: bool,
}

#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub rows: RowCounts,
    /// Users imported without a password hash: they cannot sign in with a password.
    pub users_without_password: u64,
}

#[derive(Serialize)]
struct Header<'a> {
    format: &'a str,
    version: u64,
    exported_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct RowLine<'a, M> {
    table: &'static str,
    row: &'a M,
}

#[derive(Serialize)]
struct EndLine {
    end: bool,
    rows: u64,
}

/// Writes the whole content to `out` as NDJSON, reading each table page by page from
/// one consistent snapshot of the database.
pub async fn export(
    db: &DatabaseConnection,
    out: impl Write,
    options: ExportOptions,
) -> Result<ExportSummary, TransferError> {
    // A snapshot, so that rows written meanwhile cannot refer to rows already passed.
    // SQLite in WAL mode reads from one snapshot for the whole transaction anyway.
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    };
    let mut writer = RowWriter::start(out)?;
    let secrets = options.with_secrets;
    for table in Table::ALL {
        match table {
            Table::Users => {
                plain::<user::Entity>(&txn, &mut writer, table, |mut row| {
                    if !secrets {
                        row.password_hash = None;
                    }
                    row
                })
                .await?
            }
            Table::Sections => tree::<section::Entity>(&txn, &mut writer, table, |row| (row.id, row.parent_id)).await?,
            Table::Images => plain::<image::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Authors => plain::<author::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::AuthorSlugs => plain::<author_slug::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Tags => plain::<tag::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::TagSlugs => plain::<tag_slug::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Articles => plain::<article::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::ArticleAuthors => plain::<article_author::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::ArticleTags => plain::<article_tag::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::ArticleRevisions => plain::<article_revision::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::ArticleSlugs => plain::<article_slug::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::RelatedArticles => plain::<related_article::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Corrections => plain::<correction::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::LiveEntries => plain::<live_entry::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::LiveEntryAuthors => plain::<live_entry_author::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::AuditLog => plain::<audit_entry::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Comments => tree::<comment::Entity>(&txn, &mut writer, table, |row| (row.id, row.parent_id)).await?,
            Table::NewsletterSubscriptions => {
                plain::<newsletter_subscription::Entity>(&txn, &mut writer, table, |mut row| {
                    if !secrets {
                        row.confirm_token_hash = None;
                        row.unsubscribe_token_hash = None;
                    }
                    row
                })
                .await?
            }
            Table::Outbox if secrets => plain::<outbox_message::Entity>(&txn, &mut writer, table, |row| row).await?,
            Table::Outbox => {}
            // A claim belongs to a sender of the installation the file came from.
            Table::Webhooks if secrets => {
                plain::<webhook::Entity>(&txn, &mut writer, table, |row| webhook::Model {
                    claimed_until: None,
                    claimed_by: None,
                    ..row
                })
                .await?
            }
            Table::WebhookDeliveries if secrets => {
                plain::<webhook_delivery::Entity>(&txn, &mut writer, table, |row| row).await?
            }
            Table::Webhooks | Table::WebhookDeliveries => {}
        }
    }
    txn.commit().await?;
    Ok(ExportSummary { rows: writer.finish()?, with_secrets: secrets })
}

/// Writes a file in the export format: the header, then rows, then the closing count.
/// Rows must come in [`Table::ALL`] order, each after the rows it refers to.
pub struct RowWriter<W: Write> {
    out: BufWriter<W>,
    rows: RowCounts,
}

impl<W: Write> RowWriter<W> {
    pub fn start(out: W) -> Result<RowWriter<W>, TransferError> {
        let mut writer = RowWriter { out: BufWriter::new(out), rows: RowCounts::default() };
        writer.line(&Header { format: FORMAT, version: VERSION, exported_at: crate::domain::now() })?;
        Ok(writer)
    }

    fn line(&mut self, value: &impl Serialize) -> Result<(), TransferError> {
        serde_json::to_writer(&mut self.out, value).map_err(|e| TransferError::Write(e.into()))?;
        self.out.write_all(b"\n").map_err(TransferError::Write)
    }

    /// Writes `row`, an entity model of `table`.
    pub fn row<M: Serialize>(&mut self, table: Table, row: &M) -> Result<(), TransferError> {
        self.line(&RowLine { table: table.name(), row })?;
        self.rows.add(table, 1);
        Ok(())
    }

    /// Writes the closing count; answers how many rows of each table were written.
    pub fn finish(mut self) -> Result<RowCounts, TransferError> {
        self.line(&EndLine { end: true, rows: self.rows.total() })?;
        self.out.flush().map_err(TransferError::Write)?;
        Ok(self.rows)
    }
}

/// Calls `each` with every row of `E` in primary key order, a page at a time.
async fn for_each_row<E, F>(txn: &DatabaseTransaction, mut each: F) -> Result<(), TransferError>
where
    E: EntityTrait,
    F: FnMut(E::Model) -> Result<(), TransferError>,
{
    let key: Vec<E::Column> = E::PrimaryKey::iter().map(|column| column.into_column()).collect();
    let mut after: Option<Vec<sea_orm::Value>> = None;
    loop {
        let mut query = E::find();
        for column in &key {
            query = query.order_by_asc(*column);
        }
        if let Some(last) = &after {
            query = query.filter(keyset_after(&key, last));
        }
        let rows = query.limit(PAGE_SIZE).all(txn).await?;
        let full_page = rows.len() as u64 == PAGE_SIZE;
        after = rows.last().map(|last| key.iter().map(|column| last.get(*column)).collect());
        for row in rows {
            each(row)?;
        }
        if !full_page {
            return Ok(());
        }
    }
}

/// Rows whose key comes after `last` in the order of `key`:
/// `k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...`.
fn keyset_after<C: ColumnTrait>(key: &[C], last: &[sea_orm::Value]) -> Condition {
    let mut any = Condition::any();
    for (position, column) in key.iter().enumerate() {
        let mut all = Condition::all();
        for (earlier, value) in key.iter().zip(last).take(position) {
            all = all.add(earlier.eq(value.clone()));
        }
        any = any.add(all.add(column.gt(last[position].clone())));
    }
    any
}

async fn plain<E>(
    txn: &DatabaseTransaction,
    writer: &mut RowWriter<impl Write>,
    table: Table,
    mut shape: impl FnMut(E::Model) -> E::Model,
) -> Result<(), TransferError>
where
    E: EntityTrait,
    E::Model: Serialize,
{
    for_each_row::<E, _>(txn, |row| writer.row(table, &shape(row))).await
}

/// Writes the rows of a table whose rows may have a parent row in the same table, each
/// after its parent. Rows come in id order, where a parent nearly always precedes its
/// children; the few that come before their parent wait in memory until it is written.
async fn tree<E>(
    txn: &DatabaseTransaction,
    writer: &mut RowWriter<impl Write>,
    table: Table,
    key: impl Fn(&E::Model) -> (i64, Option<i64>),
) -> Result<(), TransferError>
where
    E: EntityTrait,
    E::Model: Serialize,
{
    // Ids read but not yet written, and the rows waiting for each parent.
    let mut pending: HashSet<i64> = HashSet::new();
    let mut waiting: HashMap<i64, Vec<E::Model>> = HashMap::new();
    for_each_row::<E, _>(txn, |row| {
        let (id, parent) = key(&row);
        match parent {
            // A parent with a higher id has not been read yet; one that is pending waits itself.
            Some(parent) if parent >= id || pending.contains(&parent) => {
                pending.insert(id);
                waiting.entry(parent).or_default().push(row);
                Ok(())
            }
            _ => {
                writer.row(table, &row)?;
                let mut written = vec![id];
                while let Some(parent) = written.pop() {
                    for child in waiting.remove(&parent).unwrap_or_default() {
                        let (child_id, _) = key(&child);
                        writer.row(table, &child)?;
                        pending.remove(&child_id);
                        written.push(child_id);
                    }
                }
                Ok(())
            }
        }
    })
    .await?;
    if pending.is_empty() {
        Ok(())
    } else {
        let mut ids: Vec<i64> = pending.into_iter().collect();
        ids.sort_unstable();
        Err(TransferError::Cycle { table: table.name(), rows: ids.len(), some_ids: ids.into_iter().take(10).collect() })
    }
}

/// Loads an export into an empty database in one transaction: on any error nothing is
/// kept. `progress` is called with the number of bytes read so far. Rows keep their ids;
/// on PostgreSQL the id sequences then continue after the highest imported id.
pub async fn import(
    db: &DatabaseConnection,
    input: impl BufRead,
    progress: impl Fn(u64),
) -> Result<ImportSummary, TransferError> {
    let txn = db.begin().await?;
    match import_into(&txn, input, progress).await {
        Ok(summary) => {
            crate::domain::comments::rebuild_tallies(&txn).await?;
            txn.commit().await?;
            refresh_statistics(db).await?;
            Ok(summary)
        }
        Err(error) => {
            // The error that stopped the import is the one to tell; should the rollback
            // fail too, the database drops the transaction with the connection anyway.
            let _ = txn.rollback().await;
            Err(error)
        }
    }
}

/// Gathers the statistics the query planner chooses indexes by. Without them, right
/// after a large import, PostgreSQL took the status index for a lookup by primary key
/// and spent milliseconds where a tenth of one does; `VACUUM` also lets its index-only
/// scans skip the table.
async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), TransferError> {
    let statements: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres => &["VACUUM ANALYZE"],
        // The import went to the write-ahead log; readers look every page up there until
        // it is copied into the database file.
        _ => &["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"],
    };
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Rows of one table, waiting to be inserted together, with their line numbers.
struct Batch {
    table: Table,
    rows: Vec<(u64, Map<String, Value>)>,
    bytes: usize,
}

async fn import_into(
    txn: &DatabaseTransaction,
    mut input: impl BufRead,
    progress: impl Fn(u64),
) -> Result<ImportSummary, TransferError> {
    for table in Table::ALL {
        let rows = table.count(txn).await?;
        if rows > 0 {
            return Err(TransferError::NotEmpty { table: table.name(), rows });
        }
    }

    let mut rows = RowCounts::default();
    let mut users_without_password = 0;
    let mut batch: Option<Batch> = None;
    let mut text = String::new();
    let mut line = 0u64;
    let mut bytes = 0u64;
    let mut header_seen = false;
    let mut end_seen = false;
    loop {
        text.clear();
        let read = input.read_line(&mut text).map_err(|source| TransferError::Read { line: line + 1, source })?;
        if read == 0 {
            break;
        }
        line += 1;
        bytes += read as u64;
        progress(bytes);
        let content = text.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(content) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return Err(TransferError::NotJson { line, reason: format!("found {}", json_kind(&other)) });
            }
            Err(error) => {
                // serde_json counts lines within the text it was given: here always 1.
                let reason = error.to_string();
                let position = format!(" at line {} column {}", error.line(), error.column());
                let reason = match reason.strip_suffix(&position) {
                    Some(message) => format!("{message} at column {}", error.column()),
                    None => reason,
                };
                return Err(TransferError::NotJson { line, reason });
            }
        };
        if !header_seen {
            check_header(line, &object)?;
            header_seen = true;
            continue;
        }
        if end_seen {
            return Err(TransferError::Malformed { line, reason: "nothing may follow the closing line".to_owned() });
        }
        match parse_line(line, object)? {
            Line::End { rows: expected } => {
                if let Some(batch) = batch.take() {
                    flush(txn, batch).await?;
                }
                if expected != rows.total() {
                    return Err(TransferError::Malformed {
                        line,
                        reason: format!("the closing line counts {expected} rows, the file has {}", rows.total()),
                    });
                }
                end_seen = true;
            }
            Line::Row { table, row } => {
                if table == Table::Users && row.get("password_hash").is_none_or(Value::is_null) {
                    users_without_password += 1;
                }
                rows.add(table, 1);
                if let Some(current) = batch.take_if(|b| b.table != table) {
                    flush(txn, current).await?;
                }
                let current =
                    batch.get_or_insert_with(|| Batch { table, rows: Vec::with_capacity(BATCH_SIZE), bytes: 0 });
                current.rows.push((line, row));
                current.bytes += read;
                if current.rows.len() >= BATCH_SIZE || current.bytes >= BATCH_BYTES {
                    flush(txn, batch.take().expect("a batch")).await?;
                }
            }
        }
    }
    if !header_seen {
        return Err(TransferError::Header { line: 1, reason: "the file is empty".to_owned() });
    }
    if !end_seen {
        return Err(TransferError::Truncated { line });
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        reset_sequences(txn).await?;
    }
    Ok(ImportSummary { rows, users_without_password })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_header(line: u64, object: &Map<String, Value>) -> Result<(), TransferError> {
    let header = |reason: String| TransferError::Header { line, reason };
    match object.get("format") {
        Some(Value::String(format)) if format == FORMAT => {}
        Some(other) => {
            return Err(header(format!("the format is {other}, expected \"{FORMAT}\"")));
        }
        None => {
            return Err(header(format!(
                "the first line must be the header {{\"format\":\"{FORMAT}\",\"version\":{VERSION},...}}"
            )));
        }
    }
    match object.get("version").and_then(Value::as_u64) {
        Some(VERSION) => Ok(()),
        Some(version) => {
            Err(header(format!("version {version} is not supported; this newsroom reads version {VERSION}")))
        }
        None => Err(header(format!("the header needs \"version\":{VERSION}"))),
    }
}

enum Line {
    Row { table: Table, row: Map<String, Value> },
    End { rows: u64 },
}

fn parse_line(line: u64, mut object: Map<String, Value>) -> Result<Line, TransferError> {
    let malformed = |reason: &str| TransferError::Malformed { line, reason: reason.to_owned() };
    if object.get("end") == Some(&Value::Bool(true)) {
        let rows = object
            .get("rows")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("the closing line needs \"rows\": a count"))?;
        return Ok(Line::End { rows });
    }
    let table = match object.remove("table") {
        Some(Value::String(name)) => {
            Table::from_name(&name).ok_or(TransferError::UnknownTable { line, table: name })?
        }
        Some(_) => return Err(malformed("\"table\" must be a table name")),
        None => {
            return Err(malformed(
                "expected {\"table\":...,\"row\":{...}} or the closing line {\"end\":true,\"rows\":...}",
            ));
        }
    };
    let row = match object.remove("row") {
        Some(Value::Object(row)) => row,
        _ => {
            return Err(TransferError::BadRow {
                line,
                table: table.name(),
                reason: "\"row\" must be an object".to_owned(),
            });
        }
    };
    if let Some(extra) = object.keys().next() {
        return Err(malformed(&format!("unexpected key {extra:?} beside the row")));
    }
    Ok(Line::Row { table, row })
}

async fn flush(txn: &DatabaseTransaction, batch: Batch) -> Result<(), TransferError> {
    with_entity!(batch.table, E => insert_rows::<E>(txn, batch.table, batch.rows).await)
}

/// Inserts the rows in one statement. When that fails, inserts them one by one to name
/// the line of the row at fault (the batch is undone through a savepoint first).
async fn insert_rows<E>(
    txn: &DatabaseTransaction,
    table: Table,
    rows: Vec<(u64, Map<String, Value>)>,
) -> Result<(), TransferError>
where
    E: EntityTrait,
    E::Model: DeserializeOwned + IntoActiveModel<E::ActiveModel>,
{
    let columns: HashSet<&'static str> = E::Column::iter().map(|c| c.as_str()).collect();
    let mut models = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let bad_row = |reason: String| TransferError::BadRow { line, table: table.name(), reason };
        if let Some(unknown) = row.keys().find(|key| !columns.contains(key.as_str())) {
            return Err(bad_row(format!("no column {unknown:?} in this version of newsroom")));
        }
        let model: E::Model = serde_json::from_value(Value::Object(row)).map_err(|e| bad_row(e.to_string()))?;
        models.push((line, model));
    }
    let Some(&(first_line, _)) = models.first() else {
        return Ok(());
    };

    let savepoint = txn.begin().await?;
    let batch = models.iter().map(|(_, model)| model.clone().into_active_model());
    match E::insert_many(batch).exec_without_returning(&savepoint).await {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(())
        }
        Err(batch_error) => {
            savepoint.rollback().await?;
            for (line, model) in models {
                E::insert(model.into_active_model()).exec_without_returning(txn).await.map_err(|source| {
                    TransferError::Insert { line, table: table.name(), reason: refusal(&source), source }
                })?;
            }
            Err(TransferError::Insert {
                line: first_line,
                table: table.name(),
                reason: refusal(&batch_error),
                source: batch_error,
            })
        }
    }
}

/// What the database said about a row, without the driver's wrapping (PostgreSQL's
/// display adds a line of its own source code): the message, and on PostgreSQL the
/// detail naming the key, e.g. `Key (id)=(5) already exists.`
fn refusal(error: &DbErr) -> String {
    if let DbErr::Exec(RuntimeErr::SqlxError(sqlx_error)) | DbErr::Query(RuntimeErr::SqlxError(sqlx_error)) = error
        && let sqlx::Error::Database(database_error) = sqlx_error.as_ref()
    {
        let message = database_error.message();
        return match database_error.try_downcast_ref::<PgDatabaseError>().and_then(PgDatabaseError::detail) {
            Some(detail) => format!("{message}: {detail}"),
            None => message.to_owned(),
        };
    }
    error.to_string()
}

/// Makes each id sequence continue after the highest id imported (PostgreSQL only:
/// SQLite takes the next rowid after the highest one by itself).
async fn reset_sequences(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    for table in Table::ALL.into_iter().filter(|t| t.has_id_sequence()) {
        let name = table.name();
        txn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {name}"
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum;

    /// The file carries enums as the database stores them.
    fn same_as_stored<T: ActiveEnum<Value = String> + Iterable + Serialize>() {
        for value in T::iter() {
            assert_eq!(serde_json::to_value(&value).unwrap(), Value::String(value.to_value()));
        }
    }

    #[test]
    fn enums_serialise_as_stored() {
        same_as_stored::<article::ArticleStatus>();
        same_as_stored::<article::ArticleKind>();
        same_as_stored::<correction::CorrectionKind>();
        same_as_stored::<comment::CommentStatus>();
        same_as_stored::<newsletter_subscription::SubscriptionStatus>();
        same_as_stored::<user::Role>();
    }

    #[test]
    fn tables_know_their_names() {
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
        }
        assert_eq!(Table::Comments.name(), "comments");
        assert_eq!(Table::from_name("settings"), None);
        assert!(Table::Articles.has_id_sequence());
        assert!(!Table::ArticleTags.has_id_sequence());
        assert!(!Table::ArticleSlugs.has_id_sequence());
    }

    #[test]
    fn keyset_of_a_composite_key() {
        use sea_orm::QueryTrait;
        let condition = keyset_after(
            &[article_author::Column::ArticleId, article_author::Column::AuthorId],
            &[3i64.into(), 7i64.into()],
        );
        let sql = article_author::Entity::find().filter(condition).build(DbBackend::Sqlite).to_string();
        assert!(
            sql.ends_with(
                r#"WHERE "article_authors"."article_id" > 3 OR ("article_authors"."article_id" = 3 AND "article_authors"."author_id" > 7)"#
            ),
            "{sql}"
        );
    }

    #[test]
    fn counts_read_as_a_sentence() {
        let mut rows = RowCounts::default();
        assert_eq!(rows.to_string(), "0 rows");
        rows.add(Table::Sections, 2);
        rows.add(Table::Comments, 5);
        assert_eq!(rows.to_string(), "7 rows (2 sections, 5 comments)");
    }
}
