//! Pure functions on bytes: splitting a stream into lines, the timestamps in a line, and the
//! lines a search query matches, and what a line is (level, JSON, part of an entry).

pub mod classify;
pub mod lines;
pub mod search;
pub mod time;
