//! Values the server keeps for itself in the database.

use entity::setting;
use sea_orm::{DatabaseConnection, EntityTrait, Set};

use super::Result;

/// The stored value of `key`, storing `make()` first when there is none. Safe when several
/// instances start at once: the first insert wins and every instance reads that value.
pub async fn get_or_create(db: &DatabaseConnection, key: &str, make: impl FnOnce() -> String) -> Result<String> {
    if let Some(found) = setting::Entity::find_by_id(key.to_owned()).one(db).await? {
        return Ok(found.value);
    }
    setting::Entity::insert(setting::ActiveModel { key: Set(key.to_owned()), value: Set(make()) })
        .on_conflict_do_nothing_on([setting::Column::Key])
        .exec(db)
        .await?;
    let stored = setting::Entity::find_by_id(key.to_owned()).one(db).await?;
    Ok(stored.map(|s| s.value).unwrap_or_default())
}
