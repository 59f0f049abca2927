//! logview as a library: the server's modules, public so that benchmarks and fuzz targets
//! can drive the pure parts (request parsing, path resolution, rendering) directly.
#![forbid(unsafe_code)]

pub mod assets;
pub mod auth;
pub mod config;
pub mod follow;
pub mod http;
pub mod listing;
pub mod reception;
pub mod refusal;
pub mod render;
pub mod router;
pub mod server;
pub mod source;
pub mod state;
pub mod stream;
pub mod text;
