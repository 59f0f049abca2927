//! Pure functions on bytes: splitting a stream into lines (more to come: timestamps, levels,
//! matching).

pub mod lines;
