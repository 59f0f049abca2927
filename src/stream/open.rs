//! Opening a stream: the query parameters of an upgrade, the file through the sandbox, the
//! client's place, and the follower positioned where the client asked (history or resume).
//!
//! Guarantees: the client limit is checked before any file is read; the followed path is the
//! one asked for (a re-pointed symlink is then a rotation), always checked by the sandbox.

use std::path::Path;
use std::time::Duration;

use crate::follow::Follower;
use crate::http::Request;
use crate::http::refusal::Refusal;
use crate::render::Format;
use crate::source::position::Position;
use crate::source::sandbox::{self, Target};
use crate::state::{Shared, Slot};

/// Files up to this size have their lines counted before their history is sent...
const QUICK_COUNT: u64 = 32 << 20;
/// ... waiting at most this long (a count runs at GB/s; a busy machine may take longer).
const INDEX_WAIT: Duration = Duration::from_millis(100);

/// What the client asked for in the query string.
#[derive(Debug)]
pub struct Params {
    pub tail: bool,
    pub meta: bool,
    pub lines: usize,
    pub format: Format,
    pub resume: Option<Position>,
}

/// How the follower was positioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// At the last `lines` lines.
    Fresh,
    /// Exactly where the client's `resume` position said.
    Resumed,
    /// The `resume` position no longer matches the file: history follows instead.
    Gap,
}

/// An accepted WebSocket upgrade, with its file already open.
pub struct Upgrade {
    pub key: String,
    pub params: Params,
    pub follower: Follower,
    pub opening: Opening,
    pub path: String,
    /// The number of the history's first line, when the line index knows it.
    pub first_number: Option<u64>,
}

/// Opens the stream an upgrade for `path` (still percent-encoded) asks for. `place` takes the
/// client's place; the history scan ends early once `gone` says the client left.
pub fn open(
    shared: &Shared,
    req: &Request,
    path: &str,
    key: &str,
    place: impl FnOnce() -> Result<Slot, Refusal>,
    gone: &dyn Fn() -> bool,
) -> Result<(Upgrade, Slot), Refusal> {
    let params = params(shared, req)?;
    // Follow the path as asked, not its canonical target: when it is a symlink that is later
    // pointed elsewhere (as logrotate -L or Kubernetes do), that is a rotation. Every (re)open
    // goes through the sandbox again.
    let path = sandbox::decode(path)?;
    let path = shared.sandbox.alias(&path).to_path_buf();
    let Target::File(_) = shared.sandbox.check(&path)? else {
        return Err(Refusal::Forbidden("not a regular file"));
    };
    let place = place()?;
    let (follower, opening) = position(shared, &path, &params, gone)?;
    let first_number = number(shared, &follower);
    let up = Upgrade {
        first_number,
        key: key.to_string(),
        params,
        follower,
        opening,
        path: path.display().to_string(),
    };
    Ok((up, place))
}

/// The follower at the client's `resume` position, or at the start of its history.
fn position(
    shared: &Shared,
    path: &Path,
    params: &Params,
    gone: &dyn Fn() -> bool,
) -> Result<(Follower, Opening), Refusal> {
    let (sb, max) = (shared.sandbox.clone(), shared.config.max_line);
    let open = |sb| Follower::open(sb, path, params.lines, max, params.tail, gone);
    Ok(match &params.resume {
        Some(pos) => match Follower::resume(sb.clone(), path, pos, max)? {
            Some(f) => (f, Opening::Resumed),
            None => (open(sb)?, Opening::Gap),
        },
        None => (open(sb)?, Opening::Fresh),
    })
}

/// The number of the line the follower starts at. A small file's first count is waited for
/// (it takes a few ms); a large one's is not: the history starts at once, without a number.
fn number(shared: &Shared, follower: &Follower) -> Option<u64> {
    let file = follower.file();
    let meta = file.metadata().ok()?;
    let numbering = shared.indexes.of(file, &meta);
    if meta.len() <= QUICK_COUNT {
        numbering.wait(INDEX_WAIT);
    }
    numbering.number_at(file, follower.position().offset)
}

fn params(shared: &Shared, req: &Request) -> Result<Params, Refusal> {
    let bad = |what: &'static str| Refusal::Malformed(what);
    let flag = |name: &str, what: &'static str| match req.param(name).as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("" | "1" | "true" | "yes") => Ok(true),
        Some(_) => Err(bad(what)),
    };
    let lines = match req.param("lines") {
        None => shared.config.lines,
        Some(n) => n.parse().map_err(|_| bad("lines must be a number"))?,
    };
    let format = match req.param("format").as_deref() {
        None | Some("text") => Format::Text,
        Some("html") => Format::Html,
        Some(_) => return Err(bad("format must be text or html")),
    };
    let resume = match req.param("resume") {
        None => None,
        Some(p) => Some(
            p.parse::<Position>()
                .map_err(|_| bad("resume is not a position"))?,
        ),
    };
    Ok(Params {
        tail: flag("tail", "tail must be 0 or 1")?,
        meta: flag("meta", "meta must be 0 or 1")?,
        lines,
        format,
        resume,
    })
}
