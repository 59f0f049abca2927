//! What can be read, and how to find places in it: the sandbox (a request path → an allowed
//! file), rotated families, standard input's spool, positions that survive restarts, and the reader that starts
//! anywhere in a file.

pub mod family;
pub mod gzip;
pub mod position;
pub mod reader;
pub mod sandbox;
pub mod stdin;
