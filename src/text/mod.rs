//! Pure functions on bytes: splitting a stream into lines, and the timestamps in a line
//! (more to come: levels, matching).

pub mod lines;
pub mod time;
