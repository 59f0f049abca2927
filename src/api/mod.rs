//! The routes under `/_logview/` that answer with data rather than the page: one file per
//! route.

pub mod lines;
pub mod list;
pub mod raw;
pub mod search;
pub mod status;
pub mod timeline;
