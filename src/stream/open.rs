//! Opening a stream: the query parameters of an upgrade, the file (or a merged view's files)
//! through the sandbox, the client's place, and each follower positioned where the client
//! asked (history or resume).
//!
//! Guarantees: the client limit is checked before any file is read; the followed path is the
//! one asked for (a re-pointed symlink is then a rotation), always checked by the sandbox.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::merge;
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
    /// A position (one file) or a token of positions (a merged view), still unchecked.
    pub resume: Option<String>,
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

/// An accepted WebSocket upgrade, with its files already open.
pub struct Upgrade {
    pub key: String,
    pub params: Params,
    /// One file, or the files of a merged view.
    pub members: Vec<Member>,
    pub opening: Opening,
    /// A merged view: its lines are tagged with their file's name.
    pub merged: bool,
    /// The directories of a merged view, which may gain files.
    pub dirs: Vec<PathBuf>,
    /// What the log lines call the stream.
    pub path: String,
    /// The number of the history's first line, when the line index knows it (one file).
    pub first_number: Option<u64>,
}

/// One opened file of a stream.
pub struct Member {
    pub follower: Follower,
    /// The name tagging its lines in a merged view.
    pub name: String,
    /// Its key in a merged view's resume token.
    pub key: u32,
    /// Its history is to be sent (it was not resumed).
    pub history: bool,
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
    let resume = match &params.resume {
        None => None,
        Some(p) => Some(p.parse().map_err(|_| not_a_position())?),
    };
    let place = place()?;
    let member = member(shared, &path, resume.as_ref(), &params, gone)?;
    let opening = opening(&params, std::slice::from_ref(&member));
    let first_number = number(shared, &member.follower);
    let up = Upgrade {
        first_number,
        key: key.to_string(),
        params,
        members: vec![member],
        opening,
        merged: false,
        dirs: Vec::new(),
        path: path.display().to_string(),
    };
    Ok((up, place))
}

/// Opens a merged view (`/_logview/merge?path=A&path=B`): every file is checked before any
/// is read, and `resume` holds one position per file.
pub fn open_merge(
    shared: &Shared,
    req: &Request,
    key: &str,
    place: impl FnOnce() -> Result<Slot, Refusal>,
    gone: &dyn Fn() -> bool,
) -> Result<(Upgrade, Slot), Refusal> {
    let params = params(shared, req)?;
    let asked = merge::files(&shared.sandbox, &req.params("path"))?;
    let resume = match &params.resume {
        None => None,
        Some(t) => Some(merge::parse_token(t).ok_or_else(not_a_position)?),
    };
    let place = place()?;
    let names = merge::names(&asked.files);
    let mut members = Vec::new();
    for (path, name) in asked.files.iter().zip(names) {
        let key = merge::key(path);
        let pos = resume.as_ref().and_then(|r| r.get(&key));
        let mut m = member(shared, path, pos, &params, gone)?;
        m.name = name;
        members.push(m);
    }
    let up = Upgrade {
        opening: opening(&params, &members),
        first_number: None,
        key: key.to_string(),
        path: format!("merge of {} files", members.len()),
        params,
        members,
        merged: true,
        dirs: asked.dirs,
    };
    Ok((up, place))
}

fn not_a_position() -> Refusal {
    Refusal::Malformed("resume is not a position")
}

/// The stream's opening: resumed when every file was.
fn opening(params: &Params, members: &[Member]) -> Opening {
    match params.resume {
        None => Opening::Fresh,
        Some(_) if members.iter().all(|m| !m.history) => Opening::Resumed,
        Some(_) => Opening::Gap,
    }
}

/// One file opened at the client's `resume` position when it still matches, else at the
/// start of its history.
fn member(
    shared: &Shared,
    path: &Path,
    resume: Option<&Position>,
    params: &Params,
    gone: &dyn Fn() -> bool,
) -> Result<Member, Refusal> {
    let (sb, max) = (shared.sandbox.clone(), shared.config.max_line);
    let resumed = match resume {
        Some(pos) => Follower::resume(sb.clone(), path, shared.open_text(path, gone)?, pos, max)?,
        None => None,
    };
    let history = resumed.is_none();
    let follower = match resumed {
        Some(f) => f,
        None => {
            let opened = shared.open_text(path, gone)?;
            // A compressed file's unfinished last line is one of its lines: it never grows.
            let following = params.tail && opened.0.gzip().is_none();
            Follower::open(sb, path, opened, params.lines, max, following, gone)?
        }
    };
    Ok(Member {
        follower,
        name: String::new(),
        key: merge::key(path),
        history,
    })
}

/// The number of the line the follower starts at. A small file's first count is waited for
/// (it takes a few ms); a large one's is not: the history starts at once, without a number.
fn number(shared: &Shared, follower: &Follower) -> Option<u64> {
    let text = follower.file();
    let meta = text.file().metadata().ok()?;
    let numbering = shared.indexes.of_text(text, &meta);
    if text.size(&meta) <= QUICK_COUNT {
        numbering.wait(INDEX_WAIT);
    }
    numbering.number_at(text, follower.position().offset)
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
    Ok(Params {
        tail: flag("tail", "tail must be 0 or 1")?,
        meta: flag("meta", "meta must be 0 or 1")?,
        lines,
        format,
        resume: req.param("resume"),
    })
}
