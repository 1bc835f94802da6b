//! Full-text search over headline, standfirst and body with ranking: FTS5 with bm25 on
//! SQLite, a weighted `tsvector` with `ts_rank_cd` on PostgreSQL. Both give a score where
//! lower is better, so one keyset (score, id) pages through either.

use entity::article;
use sea_orm::sea_query::{Expr, JoinType};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect, QueryTrait};

use super::pagination::{Cursor, Keyset, Page, SortValue, TotalCount, Window, fetch_page};
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

/// The words of a reader's query, each quoted for FTS5 so that no input is read as
/// FTS5 syntax. Empty when the query has no word at all.
fn fts5_terms(query: &str) -> String {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn search(db: &DatabaseConnection, viewer: &Viewer, text: &str, window: &Window) -> Result<Page<article::Model>> {
    let text = text.trim();
    if text.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input("query", format!("must be at most {MAX_QUERY_LEN} characters")));
    }
    let terms = fts5_terms(text);
    if terms.is_empty() {
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
            query = query.filter(Expr::cust_with_values("article_search MATCH ?", [terms]));
            Expr::cust("bm25(article_search, 10.0, 4.0, 1.0)")
        }
        _ => {
            query = query.filter(Expr::cust_with_values(
                "articles.search_vector @@ websearch_to_tsquery('english', $1)",
                [text.to_owned()],
            ));
            Expr::cust_with_values(
                "CAST(-ts_rank_cd(articles.search_vector, websearch_to_tsquery('english', $1), 32) AS DOUBLE PRECISION)",
                [text.to_owned()],
            )
        }
    };
    let total = TotalCount::of(db, query.clone());
    let query = query.expr_as(score.clone(), "search_score");
    let keyset = Keyset { key: Some(score), id: Expr::col((article::Entity, article::Column::Id)), descending: false };
    let page = fetch_page(db, query, &keyset, window, total, |r: &RankedArticle| Cursor {
        key: SortValue::Float(r.score),
        id: r.article.id,
    })
    .await?;
    Ok(page.map(|r| r.article))
}

#[cfg(test)]
mod tests {
    use super::fts5_terms;

    #[test]
    fn reader_input_is_never_fts5_syntax() {
        assert_eq!(fts5_terms("Taliban AND \"terror* -list"), "\"Taliban\" \"AND\" \"terror\" \"list\"");
        assert_eq!(fts5_terms("  ***  "), "");
    }
}
