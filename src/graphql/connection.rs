//! Relay connections. Each node type gets its own named connection and edge types.

use async_graphql::Object;

use crate::domain::pagination::{Cursor, Page};

pub struct PageInfo {
    has_previous_page: bool,
    has_next_page: bool,
    start_cursor: Option<Cursor>,
    end_cursor: Option<Cursor>,
}

impl PageInfo {
    pub fn of<T>(page: &Page<T>) -> PageInfo {
        PageInfo {
            has_previous_page: page.has_previous_page,
            has_next_page: page.has_next_page,
            start_cursor: page.edges.first().map(|e| e.cursor.clone()),
            end_cursor: page.edges.last().map(|e| e.cursor.clone()),
        }
    }
}

#[Object]
impl PageInfo {
    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    async fn start_cursor(&self) -> Option<String> {
        self.start_cursor.as_ref().map(Cursor::encode)
    }

    async fn end_cursor(&self) -> Option<String> {
        self.end_cursor.as_ref().map(Cursor::encode)
    }
}

/// Whether the client asked for `totalCount` of the connection being resolved, so that
/// nobody pays for counting a list whose size is not shown.
pub fn wants_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Whether the client asked for `pageInfo { hasNextPage }`: without it a first page
/// need not read a row past its end.
pub fn wants_next_page(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("pageInfo").field("hasNextPage").exists()
}

/// Declares `$connection` and `$edge` for node type `$node`, built from a domain `Page`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        pub struct $edge {
            cursor: $crate::domain::pagination::Cursor,
            node: $node,
        }

        #[async_graphql::Object]
        impl $edge {
            async fn node(&self) -> &$node {
                &self.node
            }

            async fn cursor(&self) -> String {
                self.cursor.encode()
            }
        }

        pub struct $connection {
            edges: Vec<$edge>,
            page_info: $crate::graphql::connection::PageInfo,
            total: $crate::domain::pagination::TotalCount,
        }

        impl<T> From<$crate::domain::pagination::Page<T>> for $connection
        where
            $node: From<T>,
        {
            fn from(page: $crate::domain::pagination::Page<T>) -> Self {
                let page_info = $crate::graphql::connection::PageInfo::of(&page);
                $connection {
                    edges: page
                        .edges
                        .into_iter()
                        .map(|e| $edge { cursor: e.cursor, node: <$node>::from(e.node) })
                        .collect(),
                    page_info,
                    total: page.total,
                }
            }
        }

        #[async_graphql::Object]
        impl $connection {
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }

            async fn page_info(&self) -> &$crate::graphql::connection::PageInfo {
                &self.page_info
            }

            async fn total_count(&self) -> async_graphql::Result<i32> {
                use $crate::graphql::error::GqlResult;
                Ok(self.total.get().await.gql()?.min(i32::MAX as u64) as i32)
            }
        }
    };
}

pub(crate) use connection;
