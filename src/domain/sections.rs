//! The section tree. Sections are few (tens to a few hundred), so the whole tree is read
//! in one query and paths, breadcrumbs and subsections are worked out in memory.

use std::collections::HashMap;

use entity::section;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::Result;

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
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(id))
            .collect()
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
        self.breadcrumbs(id)
            .iter()
            .map(|s| s.slug.as_str())
            .collect::<Vec<_>>()
            .join("/")
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
        assert_eq!(
            tree.breadcrumbs(2).iter().map(|s| s.id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(tree.subtree_ids(1), [1, 2, 3]);
        assert_eq!(
            tree.all_roots_first()
                .iter()
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            [1, 4, 2, 3]
        );
        assert_eq!(tree.by_slug("sport").map(|s| s.id), Some(4));
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let tree = SectionTree::from_rows(vec![section(1, "a", Some(2)), section(2, "b", Some(1))]);
        assert_eq!(tree.breadcrumbs(1).len(), 2);
        assert_eq!(tree.subtree_ids(1).len(), 2);
    }
}
