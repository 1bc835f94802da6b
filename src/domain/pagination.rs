//! Relay cursor pagination over keyset conditions: a cursor names the sort key and id of
//! an item, so pages stay stable while rows are inserted.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, ColumnRef, Expr, ExprTrait, Query, Value, Values};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Statement,
};
use serde::de::DeserializeOwned;

use super::{Error, Result, json_rows};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The arguments a client sends for a page.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        PageArgs { first, after, ..Default::default() }
    }
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Forward { limit: u64, after: Option<Cursor> },
    Backward { limit: u64, before: Option<Cursor> },
}

impl Window {
    pub fn parse(args: PageArgs) -> Result<Window> {
        let size = |field: &str, value: Option<i32>| -> Result<u64> {
            match value {
                None => Ok(DEFAULT_PAGE_SIZE),
                Some(n) if n < 0 => Err(Error::bad_input(field, "must not be negative")),
                Some(n) if n as u64 > MAX_PAGE_SIZE => {
                    Err(Error::bad_input(field, format!("must be at most {MAX_PAGE_SIZE}, got {n}")))
                }
                Some(n) => Ok(n as u64),
            }
        };
        let backward = args.last.is_some() || args.before.is_some();
        let forward = args.first.is_some() || args.after.is_some();
        if forward && backward {
            return Err(Error::bad_input(
                if args.first.is_some() { "first" } else { "after" },
                "page forward with first/after or backward with last/before, not both",
            ));
        }
        if backward {
            Ok(Window::Backward {
                limit: size("last", args.last)?,
                before: args.before.as_deref().map(|c| Cursor::decode("before", c)).transpose()?,
            })
        } else {
            Ok(Window::Forward {
                limit: size("first", args.first)?,
                after: args.after.as_deref().map(|c| Cursor::decode("after", c)).transpose()?,
            })
        }
    }

    pub fn limit(&self) -> u64 {
        match self {
            Window::Forward { limit, .. } | Window::Backward { limit, .. } => *limit,
        }
    }
}

/// The sort key of one item.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum SortValue {
    Time(DateTime<Utc>),
    Float(f64),
}

/// A position in a list: the name of the list's kind and ordering, the sort key and the
/// id of an item. Lists of another kind or ordering refuse it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub list: String,
    pub key: SortValue,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let key = match &self.key {
            SortValue::Time(at) => format!("t|{}", at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            SortValue::Float(value) => format!("f|{value}"),
        };
        URL_SAFE_NO_PAD.encode(format!("{}|{key}|{}", self.list, self.id))
    }

    /// `field` names the argument in the error a client gets for a cursor that is not ours.
    pub fn decode(field: &str, text: &str) -> Result<Cursor> {
        let invalid = || Error::bad_input(field, "is not a valid cursor");
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(4, '|');
        let (Some(list), Some(kind), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let id = id.parse::<i64>().map_err(|_| invalid())?;
        let key = match kind {
            // Times are stored and written to the microsecond: a finer one is no cursor of ours.
            "t" => SortValue::Time(
                DateTime::parse_from_rfc3339(key)
                    .ok()
                    .filter(|at| at.timestamp_subsec_nanos() % 1000 == 0)
                    .ok_or_else(invalid)?
                    .to_utc(),
            ),
            "f" => SortValue::Float(key.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(invalid)?),
            _ => return Err(invalid()),
        };
        Ok(Cursor { list: list.to_owned(), key, id })
    }
}

/// What a list is ordered by before its id.
#[derive(Debug, Clone)]
pub enum SortKey {
    Time(Expr),
    Float(Expr),
}

/// How a list is ordered: by `key`, then by `id`, both in one direction. `list` names the
/// list and ordering in its cursors.
#[derive(Debug, Clone)]
pub struct Keyset {
    pub list: &'static str,
    pub key: SortKey,
    pub id: Expr,
    pub descending: bool,
}

impl Keyset {
    /// Rows that come after `cursor` in the direction given.
    fn after(&self, cursor: &Cursor, descending: bool, field: &str) -> Result<Condition> {
        let past = |column: Expr, value: Value| {
            if descending { column.lt(value) } else { column.gt(value) }
        };
        let (key, value) = match (&self.key, &cursor.key) {
            _ if cursor.list != self.list => {
                return Err(Error::bad_input(field, "is a cursor of another list or ordering"));
            }
            (SortKey::Time(key), SortValue::Time(at)) => (key, Value::from(*at)),
            (SortKey::Float(key), SortValue::Float(value)) => (key, Value::from(*value)),
            _ => return Err(Error::bad_input(field, "is not a valid cursor")),
        };
        let after = Condition::any()
            .add(past(key.clone(), value.clone()))
            .add(Condition::all().add(key.clone().eq(value.clone())).add(past(self.id.clone(), cursor.id.into())));
        // The same rows, plus a bound on the key alone that an index range can start from:
        // without it PostgreSQL walked every row before the cursor, so page 200 read 4,000.
        let bound = if descending { key.clone().lte(value) } else { key.clone().gte(value) };
        Ok(Condition::all().add(bound).add(after))
    }

    fn cursor(&self, (key, id): (SortValue, i64)) -> Cursor {
        Cursor { list: self.list.to_owned(), key, id }
    }

    /// The first page of a forward window from rows fetched elsewhere (a batch): at most
    /// `limit + 1` rows in this keyset's order.
    pub fn first_page<M>(
        &self,
        mut rows: Vec<M>,
        limit: u64,
        total: TotalCount,
        key_of: impl Fn(&M) -> (SortValue, i64),
    ) -> Page<M> {
        let has_next_page = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Page {
            edges: rows.into_iter().map(|node| Edge { cursor: self.cursor(key_of(&node)), node }).collect(),
            has_next_page,
            has_previous_page: false,
            total,
        }
    }
}

pub type CountFuture = Pin<Box<dyn Future<Output = Result<u64, DbErr>> + Send>>;

/// The size of the whole list, counted only when a client asks for it.
#[derive(Clone)]
pub struct TotalCount(Arc<dyn Fn() -> CountFuture + Send + Sync>);

impl TotalCount {
    pub fn of<C, E>(db: &C, query: Select<E>) -> Self
    where
        C: sea_orm::ConnectionTrait + Clone + Send + 'static,
        E: EntityTrait,
        E::Model: Sync,
    {
        let db = db.clone();
        TotalCount(Arc::new(move || {
            let db = db.clone();
            let query = query.clone();
            Box::pin(async move { sea_orm::PaginatorTrait::count(query, &db).await })
        }))
    }

    pub fn known(count: u64) -> Self {
        TotalCount(Arc::new(move || Box::pin(async move { Ok(count) })))
    }

    pub async fn get(&self) -> Result<u64> {
        Ok((self.0)().await?)
    }
}

pub struct Edge<T> {
    /// Encoded only when a client asks for it: most pages show one cursor, `endCursor`.
    pub cursor: Cursor,
    pub node: T,
}

pub struct Page<T> {
    pub edges: Vec<Edge<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total: TotalCount,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            edges: self.edges.into_iter().map(|e| Edge { cursor: e.cursor, node: f(e.node) }).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }
}

/// Runs `query` (already filtered) for one page of `window`, ordered by `keyset`.
/// `key_of` must read the same key that `keyset.key` orders by.
pub async fn fetch_page<E, M, C>(
    db: &C,
    query: Select<E>,
    keyset: &Keyset,
    window: &Window,
    total: TotalCount,
    key_of: impl Fn(&M) -> (SortValue, i64),
) -> Result<Page<M>>
where
    E: EntityTrait,
    M: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let (limit, cursor, descending, field) = match window {
        Window::Forward { limit, after } => (*limit, after.as_ref(), keyset.descending, "after"),
        Window::Backward { limit, before } => (*limit, before.as_ref(), !keyset.descending, "before"),
    };
    let mut query = query;
    if let Some(cursor) = cursor {
        query = query.filter(keyset.after(cursor, descending, field)?);
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    let (SortKey::Time(key) | SortKey::Float(key)) = &keyset.key;
    query = query.order_by(key.clone(), order.clone());
    let mut rows: Vec<M> = query.order_by(keyset.id.clone(), order).limit(limit + 1).into_model::<M>().all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let (has_next_page, has_previous_page) = match window {
        Window::Forward { .. } => (more, cursor.is_some()),
        Window::Backward { .. } => {
            rows.reverse();
            (cursor.is_some(), more)
        }
    };
    Ok(Page {
        edges: rows.into_iter().map(|node| Edge { cursor: keyset.cursor(key_of(&node)), node }).collect(),
        has_next_page,
        has_previous_page,
        total,
    })
}

/// A row of a batched query, with the group it was fetched for and the value of the
/// query's extra column.
struct Grouped<M> {
    group: i64,
    row: M,
    extra: Option<i64>,
}

impl<M: FromQueryResult> FromQueryResult for Grouped<M> {
    fn from_query_result(result: &sea_orm::QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Grouped {
            group: result.try_get(prefix, "page_group")?,
            row: M::from_query_result(result, prefix)?,
            extra: result.try_get(prefix, "page_extra")?,
        })
    }
}

/// The rows of each group, each with the value of the extra column.
pub type GroupedRows<M> = HashMap<i64, Vec<(M, Option<i64>)>>;

/// The first `per_group` rows of `query` in each of the `groups` (values of the `group`
/// column), in `keyset` order, in one statement: each group reads only its first rows
/// along an index, and a list of parents costs one query whatever its length. PostgreSQL
/// runs a `LATERAL` subquery per group; SQLite, which has none, a `UNION ALL` of one
/// `LIMIT`ed branch per group, whose rows come back as one JSON array ([`json_rows`]).
///
/// `extra`, an integer expression over the row (a count kept elsewhere, say), comes back
/// with each row, so that it costs no statement of its own.
#[allow(clippy::too_many_arguments)]
pub async fn first_of_each_group<E, C>(
    db: &C,
    query: Select<E>,
    group: ColumnRef,
    groups: &[i64],
    keyset: &Keyset,
    per_group: u64,
    extra: Option<Expr>,
    key_of: impl Fn(&E::Model) -> (SortValue, i64),
) -> Result<GroupedRows<E::Model>>
where
    E: EntityTrait,
    E::Model: DeserializeOwned + Sync,
    C: ConnectionTrait,
{
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let (SortKey::Time(key) | SortKey::Float(key)) = &keyset.key;
    let order = if keyset.descending { Order::Desc } else { Order::Asc };
    let first_rows = |query: Select<E>| {
        query.order_by(key.clone(), order.clone()).order_by(keyset.id.clone(), order.clone()).limit(per_group)
    };
    let extra = extra.unwrap_or_else(|| Expr::cust("CAST(NULL AS BIGINT)"));
    let rows: Vec<(i64, E::Model, Option<i64>)> = match db.get_database_backend() {
        DbBackend::Postgres => {
            // One small plan, where a UNION of many branches costs PostgreSQL milliseconds
            // to plan on every execution.
            let wanted = (Alias::new("wanted"), Alias::new("id"));
            let inner =
                first_rows(query.filter(Expr::col(group).equals(wanted))).expr_as(extra, "page_extra").into_query();
            let built = DbBackend::Postgres.build(&inner);
            let mut values = built.values.map(|v| v.0).unwrap_or_default();
            let rows: Vec<String> = groups
                .iter()
                .map(|id| {
                    values.push(Value::BigInt(Some(*id)));
                    format!("(${})", values.len())
                })
                .collect();
            let sql = format!(
                r#"SELECT "grouped".*, "wanted"."id" AS "page_group" FROM (VALUES {}) AS "wanted"("id") CROSS JOIN LATERAL ({}) AS "grouped""#,
                rows.join(", "),
                built.sql
            );
            let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
            let rows = Grouped::<E::Model>::find_by_statement(statement).all(db).await?;
            rows.into_iter().map(|Grouped { group, row, extra }| (group, row, extra)).collect()
        }
        _ => {
            // Every branch is the same statement but for its group, so it is built once
            // and written once per group. Its placeholders, in the order of the text: the
            // group in the select list, the values of `extra` and of `query` (joins,
            // conditions), the group in the condition added last, and the limit, the last
            // clause.
            let placeholder = || Expr::cust("?");
            let branch = first_rows(query.filter(Expr::col(group).eq(placeholder())))
                .expr_as(placeholder(), "page_group")
                .expr_as(extra, "page_extra")
                .into_query();
            // SQLite takes ORDER BY and LIMIT in a branch of a UNION only inside a subquery.
            let wrapped = Query::select().column(Asterisk).from_subquery(branch, "grouped").to_owned();
            let built = DbBackend::Sqlite.build(&wrapped);
            let mut middle = built.values.map(|v| v.0).unwrap_or_default();
            let limit = middle.pop();
            let mut values = Vec::with_capacity(groups.len() * (middle.len() + 3));
            for id in groups {
                values.push(Value::BigInt(Some(*id)));
                values.extend(middle.iter().cloned());
                values.push(Value::BigInt(Some(*id)));
                values.extend(limit.iter().cloned());
            }
            let union = vec![built.sql.as_str(); groups.len()].join(" UNION ALL ");
            json_rows::grouped_models::<E>(db, union, Values(values)).await?
        }
    };
    let mut found: GroupedRows<E::Model> = HashMap::new();
    for (group, row, extra) in rows {
        found.entry(group).or_default().push((row, extra));
    }
    // Neither form promises an order; put each group back in keyset order.
    for rows in found.values_mut() {
        rows.sort_by(|(a, _), (b, _)| {
            let ordering = key_of(a).partial_cmp(&key_of(b)).unwrap_or(std::cmp::Ordering::Equal);
            if keyset.descending { ordering.reverse() } else { ordering }
        });
    }
    Ok(found)
}

/// The number of rows of `query` in each group.
pub async fn count_each_group<E, C>(db: &C, query: Select<E>, group: ColumnRef) -> Result<HashMap<i64, i64>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    #[derive(FromQueryResult)]
    struct GroupCount {
        page_group: i64,
        page_count: i64,
    }
    let counts = query
        .select_only()
        .column_as(Expr::col(group.clone()), "page_group")
        .column_as(Expr::cust("COUNT(*)"), "page_count")
        .group_by(Expr::col(group))
        .into_model::<GroupCount>()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|c| (c.page_group, c.page_count)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = DateTime::parse_from_rfc3339("2024-08-14T09:30:00.123456Z").unwrap().to_utc();
        for (list, key) in [("articles", SortValue::Time(at)), ("search", SortValue::Float(-1.25e-7))] {
            let cursor = Cursor { list: list.into(), key, id: 42 };
            assert_eq!(Cursor::decode("after", &cursor.encode()).unwrap(), cursor);
        }
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        for text in [
            "",
            "!!!",
            "dA",
            &URL_SAFE_NO_PAD.encode("articles|t|yesterday|1"),
            &URL_SAFE_NO_PAD.encode("articles|t|2024-08-14T09:30:00.123450245Z|42"),
            &URL_SAFE_NO_PAD.encode("search|f|NaN|1"),
            &URL_SAFE_NO_PAD.encode("articles|x|1|1"),
        ] {
            assert!(matches!(Cursor::decode("after", text), Err(Error::BadInput { .. })), "{text}");
        }
    }

    #[test]
    fn a_cursor_is_refused_by_another_list() {
        let keyset =
            |list| Keyset { list, key: SortKey::Float(Expr::col("score")), id: Expr::col("id"), descending: false };
        let cursor = Cursor { list: "search".into(), key: SortValue::Float(1.0), id: 1 };
        assert!(keyset("search").after(&cursor, false, "after").is_ok());
        assert!(matches!(keyset("articles").after(&cursor, false, "after"), Err(Error::BadInput { .. })));
    }

    #[test]
    fn page_sizes_are_bounded() {
        let window = |first, last| Window::parse(PageArgs { first, last, ..Default::default() });
        assert_eq!(window(None, None).unwrap().limit(), 20);
        assert_eq!(window(Some(100), None).unwrap().limit(), 100);
        assert!(window(Some(101), None).is_err());
        assert!(window(Some(-1), None).is_err());
        assert!(window(None, Some(101)).is_err());
        assert!(window(Some(1), Some(1)).is_err());
    }
}
