//! One WebSocket client's stream of lines: opening it (parameters, file, position), the
//! session that sends history and followed lines, and the wire protocol's names.

mod open;
pub mod protocol;
mod session;

pub use open::{Opening, Params, Upgrade, open};
pub use session::{FRAME_TARGET, WRITE_TIMEOUT, run};
