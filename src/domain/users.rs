//! Accounts of the newsroom's staff.

use entity::user::{self, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::{Error, Result, Viewer};

pub const MAX_NAME_LEN: usize = 120;

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(normalize_email(email))).one(db).await?)
}

/// A user record the viewer may see: their own, or anyone's for editors and admins.
pub async fn find_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<user::Model>> {
    if viewer.user_id() == Some(id) || viewer.is_editor() { find(db, id).await } else { Ok(None) }
}

/// The users of `ids` the viewer may see, under the rule of `find_visible`.
pub async fn visible_by_ids(db: &impl ConnectionTrait, viewer: &Viewer, ids: &[i64]) -> Result<Vec<user::Model>> {
    let wanted = ids.iter().copied().filter(|id| viewer.is_editor() || viewer.user_id() == Some(*id));
    Ok(user::Entity::find().filter(user::Column::Id.is_in(wanted)).all(db).await?)
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately plain check: one `@` with text on both sides and a dot in the domain.
pub fn validate_email(email: &str) -> Result<String> {
    let email = normalize_email(email);
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(char::is_whitespace);
    if valid { Ok(email) } else { Err(Error::bad_input("email", "must be an email address like name@example.com")) }
}

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

pub async fn create(db: &DatabaseConnection, new: NewUser) -> Result<user::Model> {
    let email = validate_email(&new.email)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(Error::bad_input("name", format!("must be 1 to {MAX_NAME_LEN} characters")));
    }
    if find_by_email(db, &email).await?.is_some() {
        return Err(Error::Conflict(format!("a user with the email {email} exists already")));
    }
    let now = super::now();
    Ok(user::ActiveModel {
        email: Set(email),
        name: Set(name),
        role: Set(new.role),
        password_hash: Set(Some(new.password_hash)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Replaces the password of the account with this email.
pub async fn set_password(db: &DatabaseConnection, email: &str, password_hash: String) -> Result<user::Model> {
    let found =
        find_by_email(db, email).await?.ok_or_else(|| Error::NotFound(format!("user {}", normalize_email(email))))?;
    let mut row: user::ActiveModel = found.into();
    row.password_hash = Set(Some(password_hash));
    row.updated_at = Set(super::now());
    Ok(row.update(db).await?)
}
