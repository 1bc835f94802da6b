//! The section tree. Sections are few (tens to a few hundred), so the whole tree is read
//! in one query and paths, breadcrumbs and subsections are worked out in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::user::Role;
use entity::{article, section};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::audit::{self, quoted};
use super::changes::{Change, Tag};
use super::global_id::Kind;
use super::pipeline::{Pipeline, Stamp, slots_of};
use super::{Error, Result, Update, Viewer, validate};

/// The section tree kept between queries. Nearly every page reads the tree, and it
/// changes only by writes that touch [`Tag::Sections`]; a query uses the kept tree again
/// while none has since it was read, and for at most `max_age` in any case (a change
/// whose notification was lost to this server).
pub struct KeptSectionTree {
    pipeline: Arc<Pipeline>,
    max_age: Duration,
    slots: Vec<u32>,
    kept: Mutex<Option<Kept>>,
}

struct Kept {
    read_at: Stamp,
    stored: Instant,
    tree: Arc<SectionTree>,
}

impl KeptSectionTree {
    pub fn new(pipeline: Arc<Pipeline>, max_age: Duration) -> KeptSectionTree {
        KeptSectionTree { pipeline, max_age, slots: slots_of(&[Tag::Sections]), kept: Mutex::new(None) }
    }

    /// The clock now: what to give [`get`](Self::get) as `read_since` when taken before
    /// the first read of the transaction it reads in.
    pub fn now(&self) -> Stamp {
        self.pipeline.clock().now()
    }

    /// The tree, kept or read through `db`. `read_since` is the clock before `db`'s
    /// snapshot was taken: a transaction may see the database as it was at its first
    /// read, before a change the clock has counted since.
    pub async fn get(&self, db: &impl ConnectionTrait, read_since: Stamp) -> Result<Arc<SectionTree>> {
        let clock = self.pipeline.clock();
        // Before the tree is read: a change committed meanwhile is counted after it.
        let read_at = clock.now().min(read_since);
        if let Some(kept) = &*self.kept.lock().unwrap_or_else(|e| e.into_inner())
            && kept.stored.elapsed() < self.max_age
            && clock.unchanged_since(kept.read_at, &self.slots)
        {
            return Ok(kept.tree.clone());
        }
        let tree = Arc::new(SectionTree::load(db).await?);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.as_ref().is_none_or(|kept| kept.read_at <= read_at) {
            *kept = Some(Kept { read_at, stored: Instant::now(), tree: tree.clone() });
        }
        Ok(tree)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SectionTree {
    by_id: HashMap<i64, section::Model>,
    children: HashMap<Option<i64>, Vec<i64>>,
}

impl SectionTree {
    pub async fn load(db: &impl ConnectionTrait) -> Result<SectionTree> {
        let rows = section::Entity::find()
            .order_by_asc(section::Column::Position)
            .order_by_asc(section::Column::Name)
            .order_by_asc(section::Column::Id)
            .all(db)
            .await?;
        Ok(SectionTree::from_rows(rows))
    }

    pub fn from_rows(rows: Vec<section::Model>) -> SectionTree {
        let mut tree = SectionTree::default();
        for row in rows {
            tree.children.entry(row.parent_id).or_default().push(row.id);
            tree.by_id.insert(row.id, row);
        }
        tree
    }

    pub fn get(&self, id: i64) -> Option<&section::Model> {
        self.by_id.get(&id)
    }

    pub fn by_slug(&self, slug: &str) -> Option<&section::Model> {
        self.by_id.values().find(|s| s.slug == slug)
    }

    pub fn children(&self, id: Option<i64>) -> Vec<&section::Model> {
        self.children.get(&id).into_iter().flatten().filter_map(|id| self.by_id.get(id)).collect()
    }

    /// From the root down to `id`, `id` included. A broken parent chain (a cycle) stops
    /// at the first repeat instead of looping.
    pub fn breadcrumbs(&self, id: i64) -> Vec<&section::Model> {
        let mut chain = Vec::new();
        let mut next = self.by_id.get(&id);
        while let Some(section) = next {
            if chain.iter().any(|s: &&section::Model| s.id == section.id) {
                break;
            }
            chain.push(section);
            next = section.parent_id.and_then(|p| self.by_id.get(&p));
        }
        chain.reverse();
        chain
    }

    /// Slugs from the root down, joined by '/'.
    pub fn path(&self, id: i64) -> String {
        self.breadcrumbs(id).iter().map(|s| s.slug.as_str()).collect::<Vec<_>>().join("/")
    }

    /// `id` and every section below it.
    pub fn subtree_ids(&self, id: i64) -> Vec<i64> {
        let mut ids = vec![id];
        let mut index = 0;
        while index < ids.len() {
            for child in self.children.get(&Some(ids[index])).into_iter().flatten() {
                if !ids.contains(child) {
                    ids.push(*child);
                }
            }
            index += 1;
        }
        ids
    }

    /// Every section, roots first, then each level below in sibling order.
    pub fn all_roots_first(&self) -> Vec<&section::Model> {
        let mut ordered = self.children(None);
        let mut index = 0;
        while index < ordered.len() {
            let below = self.children(Some(ordered[index].id));
            ordered.extend(below);
            index += 1;
        }
        ordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn section(id: i64, slug: &str, parent_id: Option<i64>) -> section::Model {
        section::Model {
            id,
            slug: slug.into(),
            name: slug.into(),
            description: None,
            parent_id,
            position: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn paths_breadcrumbs_and_subtrees() {
        let tree = SectionTree::from_rows(vec![
            section(1, "world", None),
            section(2, "international-news", Some(1)),
            section(3, "asia", Some(2)),
            section(4, "sport", None),
        ]);
        assert_eq!(tree.path(3), "world/international-news/asia");
        assert_eq!(tree.breadcrumbs(2).iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(tree.subtree_ids(1), [1, 2, 3]);
        assert_eq!(tree.all_roots_first().iter().map(|s| s.id).collect::<Vec<_>>(), [1, 4, 2, 3]);
        assert_eq!(tree.by_slug("sport").map(|s| s.id), Some(4));
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let tree = SectionTree::from_rows(vec![section(1, "a", Some(2)), section(2, "b", Some(1))]);
        assert_eq!(tree.breadcrumbs(1).len(), 2);
        assert_eq!(tree.subtree_ids(1).len(), 2);
    }
}

/// What an editor sends to create a section.
pub struct NewSection {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
}

/// What an editor sends to change a section; `None` leaves a field as it is.
#[derive(Default)]
pub struct SectionChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Update<String>,
    pub parent_id: Update<i64>,
}

async fn slug_taken(db: &impl ConnectionTrait, slug: &str, other_than: Option<i64>) -> Result<bool> {
    let found = section::Entity::find().filter(section::Column::Slug.eq(slug)).one(db).await?;
    Ok(found.is_some_and(|s| Some(s.id) != other_than))
}

fn description(value: Option<&str>) -> Result<Option<String>> {
    validate::optional_text("description", value, validate::MAX_TEXT_LEN)
}

pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewSection,
    pipeline: &Pipeline,
) -> Result<section::Model> {
    viewer.require(Role::Editor, "create sections")?;
    let slug = validate::slug("slug", &new.slug)?;
    let name = validate::name("name", &new.name)?;
    let description = description(new.description.as_deref())?;
    let txn = super::begin_write(db).await?;
    if slug_taken(&txn, &slug, None).await? {
        return Err(Error::Conflict(format!("a section with the slug {slug} exists already")));
    }
    if let Some(parent) = new.parent_id {
        section::Entity::find_by_id(parent)
            .one(&txn)
            .await?
            .ok_or_else(|| Error::bad_input("parentId", "no section has this id"))?;
    }
    let siblings = section::Entity::find()
        .filter(match new.parent_id {
            Some(parent) => section::Column::ParentId.eq(parent),
            None => section::Column::ParentId.is_null(),
        })
        .count(&txn)
        .await?;
    let now = super::now();
    let created = section::ActiveModel {
        slug: Set(slug),
        name: Set(name),
        description: Set(description),
        parent_id: Set(new.parent_id),
        position: Set(siblings as i32),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        "createSection",
        Some((Kind::Section, created.id)),
        format!("created section {} ({})", quoted(&created.name), created.slug),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Sections]), pipeline).await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    changes: SectionChanges,
    pipeline: &Pipeline,
) -> Result<section::Model> {
    viewer.require(Role::Editor, "change sections")?;
    let txn = super::begin_write(db).await?;
    let current = section::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("section".into()))?;
    let mut row: section::ActiveModel = current.clone().into();
    if let Some(slug) = changes.slug {
        let slug = validate::slug("slug", &slug)?;
        if slug_taken(&txn, &slug, Some(id)).await? {
            return Err(Error::Conflict(format!("a section with the slug {slug} exists already")));
        }
        row.slug = Set(slug);
    }
    if let Some(name) = changes.name {
        row.name = Set(validate::name("name", &name)?);
    }
    let description = changes.description.try_map(|d| description(Some(&d)))?;
    row.description = Set(description.apply(current.description.clone()));
    if let Update::Set(parent) = changes.parent_id {
        let tree = SectionTree::load(&txn).await?;
        if tree.get(parent).is_none() {
            return Err(Error::bad_input("parentId", "no section has this id"));
        }
        if tree.subtree_ids(id).contains(&parent) {
            return Err(Error::bad_input(
                "parentId",
                "a section cannot be placed under itself or one of its subsections",
            ));
        }
    }
    row.parent_id = Set(changes.parent_id.apply(current.parent_id));
    row.updated_at = Set(super::now());
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "updateSection",
        Some((Kind::Section, id)),
        format!("changed section {}", quoted(&updated.name)),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Sections]), pipeline).await?;
    Ok(updated)
}

/// Deletes an empty section. Admins only.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64, pipeline: &Pipeline) -> Result<()> {
    viewer.require(Role::Admin, "delete sections")?;
    let txn = super::begin_write(db).await?;
    let found = section::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| Error::NotFound("section".into()))?;
    let subsections = section::Entity::find().filter(section::Column::ParentId.eq(id)).count(&txn).await?;
    let articles = article::Entity::find().filter(article::Column::SectionId.eq(id)).count(&txn).await?;
    if subsections > 0 || articles > 0 {
        return Err(Error::Conflict(format!(
            "section {} still has {subsections} subsection(s) and {articles} article(s); move or delete them first",
            found.slug
        )));
    }
    section::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        viewer,
        "deleteSection",
        Some((Kind::Section, id)),
        format!("deleted section {} ({})", quoted(&found.name), found.slug),
    )
    .await?;
    super::commit(txn, Change::of([Tag::Sections]), pipeline).await?;
    Ok(())
}
