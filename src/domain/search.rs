//! Full-text search over headline, standfirst and body with ranking: FTS5 with bm25 on
//! SQLite, a weighted `tsvector` with `ts_rank_cd` on PostgreSQL, the headline weighing
//! ten times the body and the standfirst four times on both. Both give a score where lower
//! is better, so one keyset (score, id) pages through either.
//!
//! Where the two differ: PostgreSQL leaves English stop words ("the", "or") out of a
//! query, SQLite requires them; SQLite matches "cafe" to "café", PostgreSQL does not; and
//! bm25 weighs words by how rare they are across all articles, so on SQLite the scores,
//! and with them the position a search cursor names, move a little as articles arrive.

use entity::article;
use sea_orm::sea_query::{Expr, JoinType};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect, QueryTrait,
};

use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::{Error, Result, Viewer, articles};

pub const MAX_QUERY_LEN: usize = 500;

pub struct RankedArticle {
    pub article: article::Model,
    pub score: f64,
}

impl FromQueryResult for RankedArticle {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(RankedArticle {
            article: article::Model::from_query_result(row, prefix)?,
            score: row.try_get(prefix, "search_score")?,
        })
    }
}

/// The words of a reader's query. Nothing in it is syntax: every word is required, on
/// both databases alike. A letter standing alone after an apostrophe ("Parliament's",
/// "don't") is dropped, as it carries no meaning of its own.
fn query_words(query: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    for (index, c) in query.char_indices().chain([(query.len(), ' ')]) {
        if c.is_alphanumeric() {
            start.get_or_insert(index);
        } else if let Some(from) = start.take() {
            let word = &query[from..index];
            let after_apostrophe = query[..from].ends_with(['\'', '\u{2019}']);
            if !(after_apostrophe && word.chars().count() == 1) {
                words.push(word);
            }
        }
    }
    words
}

pub async fn search(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    text: &str,
    window: &Window,
) -> Result<Page<article::Model>> {
    let text = text.trim();
    if text.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input("query", format!("must be at most {MAX_QUERY_LEN} characters")));
    }
    let words = query_words(text);
    if words.is_empty() {
        return Err(Error::bad_input("query", "must contain at least one word"));
    }
    let mut query = article::Entity::find().filter(articles::visible_to(viewer, super::now()));
    let score = match db.get_database_backend() {
        DbBackend::Sqlite => {
            QueryTrait::query(&mut query).join(
                JoinType::InnerJoin,
                "article_search",
                Expr::cust("article_search.rowid = articles.id"),
            );
            let terms: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            query = query.filter(Expr::cust_with_values("article_search MATCH ?", [terms.join(" ")]));
            Expr::cust("bm25(article_search, 10.0, 4.0, 1.0)")
        }
        _ => {
            let words = words.join(" ");
            query = query.filter(Expr::cust_with_values(
                "articles.search_vector @@ plainto_tsquery('english', $1)",
                [words.clone()],
            ));
            Expr::cust_with_values(
                "CAST(-ts_rank_cd('{0.1, 0.1, 0.4, 1.0}', articles.search_vector, plainto_tsquery('english', $1), 32) AS DOUBLE PRECISION)",
                [words],
            )
        }
    };
    let total = TotalCount::of(db, query.clone());
    let query = query.expr_as(score.clone(), "search_score");
    let keyset = Keyset {
        list: "search",
        key: SortKey::Float(score),
        id: Expr::col((article::Entity, article::Column::Id)),
        descending: false,
    };
    let page =
        fetch_page(db, query, &keyset, window, total, |r: &RankedArticle| (SortValue::Float(r.score), r.article.id))
            .await?;
    Ok(page.map(|r| r.article))
}

#[cfg(test)]
mod tests {
    use super::query_words;

    #[test]
    fn reader_input_is_only_words() {
        assert_eq!(query_words("Taliban AND \"terror* -list"), ["Taliban", "AND", "terror", "list"]);
        assert_eq!(query_words("Parliament's budget, don\u{2019}t"), ["Parliament", "budget", "don"]);
        assert_eq!(query_words("  ***  "), Vec::<&str>::new());
    }
}
