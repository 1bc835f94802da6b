//! The rules of the publication: who sees what, how lists page, how bodies render,
//! how credits read. Knows nothing about GraphQL or HTTP.

pub mod articles;
pub mod bylines;
pub mod comments;
pub mod credit;
pub mod error;
pub mod images;
pub mod markdown;
pub mod pagination;
pub mod search;
pub mod sections;
pub mod settings;
pub mod slug;
pub mod users;
pub mod viewer;

pub use error::{Error, Result};
pub use viewer::Viewer;

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision both databases keep (microseconds), so a value
/// read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
