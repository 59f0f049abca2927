//! logview as a library. Public are the modules the binary, the benchmarks and the fuzz
//! targets use (configuration, the server, request parsing, refusals, path resolution, line
//! splitting, rendering, the stream's frame size); the rest is private to the crate.
#![forbid(unsafe_code)]

pub(crate) mod api;
mod assets;
pub mod config;
mod follow;
pub mod http;
pub mod index;
mod reception;
pub mod render;
mod router;
pub mod server;
pub mod source;
mod state;
pub mod stream;
pub mod text;
