//! The audit log: who did what to which object, and when. Each staff write records its
//! entry with [`record`] inside the transaction of the write, so the entry exists exactly
//! when the write does. Summaries name objects by their titles, never a password or token.
//! Admins read the log.

use entity::audit_entry;
use entity::user::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::global_id::Kind;
use super::pagination::{Keyset, Page, SortKey, SortValue, TotalCount, Window, fetch_page};
use super::{Result, Viewer};

/// Longest summary kept; a longer one is cut with an ellipsis.
pub const MAX_SUMMARY_CHARS: usize = 300;

/// The object an action was on.
pub type Subject = (Kind, i64);

/// Writes the entry of `viewer`'s `action` (the mutation's name, e.g. `publishArticle`)
/// on `subject`, in the caller's transaction.
pub async fn record(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    action: &str,
    subject: Option<Subject>,
    summary: impl AsRef<str>,
) -> Result<()> {
    audit_entry::ActiveModel {
        at: Set(super::now()),
        actor_id: Set(viewer.user_id()),
        action: Set(action.to_owned()),
        subject_kind: Set(subject.map(|(kind, _)| kind.name().to_owned())),
        subject_id: Set(subject.map(|(_, id)| id)),
        summary: Set(one_line(summary.as_ref())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// `text` on one line of at most [`MAX_SUMMARY_CHARS`] characters.
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_SUMMARY_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A title in a summary, quoted.
pub fn quoted(title: &str) -> String {
    format!("“{title}”")
}

/// The log, newest first; `subject` narrows it to one object's entries. Admins only.
pub async fn list(
    db: &(impl ConnectionTrait + Clone + Send + 'static),
    viewer: &Viewer,
    subject: Option<Subject>,
    window: &Window,
) -> Result<Page<audit_entry::Model>> {
    viewer.require(Role::Admin, "read the audit log")?;
    let mut query = audit_entry::Entity::find();
    if let Some((kind, id)) = subject {
        query = query
            .filter(audit_entry::Column::SubjectKind.eq(kind.name()))
            .filter(audit_entry::Column::SubjectId.eq(id));
    }
    let keyset = Keyset {
        list: "auditLog",
        key: SortKey::Time(Expr::col((audit_entry::Entity, audit_entry::Column::At))),
        id: Expr::col((audit_entry::Entity, audit_entry::Column::Id)),
        descending: true,
    };
    let total = TotalCount::of(db, query.clone());
    fetch_page(db, query, &keyset, window, total, |e: &audit_entry::Model| (SortValue::Time(e.at), e.id)).await
}

/// An entry by id, for admins; `None` for everyone else.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<audit_entry::Model>> {
    if !viewer.is_admin() {
        return Ok(None);
    }
    Ok(audit_entry::Entity::find_by_id(id).one(db).await?)
}

/// The kind of an entry's subject, as stored.
pub fn subject_of(entry: &audit_entry::Model) -> Option<Subject> {
    let kind = Kind::from_name(entry.subject_kind.as_deref()?)?;
    Some((kind, entry.subject_id?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_one_short_line() {
        assert_eq!(one_line("edited\n  “Storm”\tagain"), "edited “Storm” again");
        let long = one_line(&"word ".repeat(200));
        assert_eq!(long.chars().count(), MAX_SUMMARY_CHARS);
        assert!(long.ends_with('…'));
    }
}
