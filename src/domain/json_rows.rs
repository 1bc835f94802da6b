//! Many rows of SQLite in one value: SQLite puts them in a JSON array, serde reads them.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every row of a
//! result over on its own: it copies each value out of SQLite, sends the row through a
//! channel and wakes the task that reads. For the page of a hundred replies an article
//! page shows, that cost about twice what SQLite spends finding them (measured in
//! `bench/analysis.md`). A JSON array crosses over as one value.
//!
//! Models are read by their serde names, which are the column names; booleans, which
//! SQLite stores as integers, are written as JSON `true` and `false`.

use sea_orm::sea_query::{ColumnType, Values};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, Statement};
use serde::de::DeserializeOwned;

/// The rows of the query `select` (SQLite's text, and its values), which names every
/// column of `E`, an integer `page_group` and an integer or null `page_extra`, as group,
/// model and extra. SQLite only.
pub async fn grouped_models<E>(
    db: &impl ConnectionTrait,
    select: String,
    values: Values,
) -> Result<Vec<(i64, E::Model, Option<i64>)>, DbErr>
where
    E: EntityTrait,
    E::Model: DeserializeOwned,
{
    let sql = format!(
        r#"SELECT json_group_array(json_array("found"."page_group", {}, "found"."page_extra")) AS "rows" FROM ({select}) AS "found""#,
        json_object::<E>("found"),
    );
    let statement = Statement { sql, values: Some(values), db_backend: DbBackend::Sqlite };
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("", "rows")?;
    serde_json::from_str(&text).map_err(|e| DbErr::Json(format!("rows read back from SQLite: {e}")))
}

/// `json_object(...)` of every column of `E` in `table`.
fn json_object<E: EntityTrait>(table: &str) -> String {
    let fields: Vec<String> = E::Column::iter()
        .map(|column| {
            let name = column.as_str();
            let value = format!(r#""{table}"."{name}""#);
            let value = match column.def().get_column_type() {
                ColumnType::Boolean => {
                    format!("CASE WHEN {value} IS NULL THEN NULL WHEN {value} THEN json('true') ELSE json('false') END")
                }
                _ => value,
            };
            format!("'{name}', {value}")
        })
        .collect();
    format!("json_object({})", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_become_json_booleans() {
        let object = json_object::<entity::article::Entity>("found");
        assert!(object.starts_with(r#"json_object('id', "found"."id", "#), "{object}");
        assert!(object.contains(r#"'comments_open', CASE WHEN "found"."comments_open" IS NULL THEN NULL"#), "{object}");
    }
}
