//! Pure functions on bytes: splitting a stream into lines, the timestamps in a line, and the
//! lines a search query matches (more to come: levels).

pub mod lines;
pub mod search;
pub mod time;
