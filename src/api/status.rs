//! `GET /_logview/api/status`: the version and how many WebSocket clients are connected of
//! how many allowed; the page asks it to explain a refused upgrade (a 503 it cannot see).

use crate::state::Shared;

/// The status as JSON.
pub fn status(shared: &Shared) -> String {
    serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "clients": shared.clients(),
        "max_clients": shared.config.max_clients,
    })
    .to_string()
}
