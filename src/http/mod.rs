//! HTTP/1.1 as logview speaks it: request heads and plain responses, the one mapping of
//! refusals to statuses, and Basic authentication.

pub mod auth;
mod message;
pub mod refusal;

pub use message::{MAX_HEAD, MAX_HEADERS, Request, Response, parse};
