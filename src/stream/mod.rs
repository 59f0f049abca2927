//! One WebSocket client's stream of lines: opening it (parameters, file, position), merged
//! views of several files, the session that sends history and followed lines, and the wire protocol's names.

mod frames;
mod merge;
mod open;
pub mod protocol;
mod session;

pub use open::{Member, Opening, Params, Upgrade, open, open_merge};
pub use session::{FRAME_TARGET, WRITE_TIMEOUT, run};
