//! One followed file, as `tail -F` sees it: history read backwards from the end, appended
//! lines, held partial lines, rotation, truncation, and resumable positions.
//!
//! Guarantees: history never reads more than the last N lines (plus one block); every byte
//! appended to the followed file is delivered once, in order, as complete lines; after a
//! rename-and-create rotation the old file is drained before the new one is read from its
//! start; a truncation (also one followed by fast regrowth, caught by a fingerprint of the
//! bytes before the read offset) restarts at offset 0. Every (re)open goes through the
//! sandbox. A decompressed `.gz` file is read the same way, but never grows, rotates or is
//! truncated: it is not followed.

use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use log::debug;

use crate::http::refusal::Refusal;
use crate::source::gzip::Text;
use crate::source::position::{Fingerprint, Position, fingerprint_hash, fnv1a};
use crate::source::reader::{complete_end, history_start};
use crate::source::sandbox::Sandbox;
use crate::text::lines::Lines;

/// Bytes read from the file per poll.
const CHUNK: usize = 64 * 1024;
/// How long the old file is still read after its path names a new one.
const ROTATE_GRACE: Duration = Duration::from_secs(1);

/// What one poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// Bytes were read (their complete lines went to the sink).
    Data,
    /// At the end of the file and nothing else changed.
    Idle,
    /// The path now names a new file; lines from its start follow.
    Rotated,
    /// The file shrank or its content before our offset changed; reading restarts at 0.
    Truncated,
}

/// Why following had to stop.
#[derive(Debug)]
pub enum FollowError {
    /// The path was replaced by something the sandbox refuses.
    Refused(Refusal),
    Io(io::Error),
}

impl From<io::Error> for FollowError {
    fn from(e: io::Error) -> Self {
        FollowError::Io(e)
    }
}

/// A followed file.
pub struct Follower {
    sandbox: Arc<Sandbox>,
    path: PathBuf,
    file: Text,
    id: (u64, u64),
    offset: u64,
    /// Length and modification time at the last poll: when either changes, the
    /// fingerprint is checked (a truncation can regrow to the very same length).
    last_len: u64,
    last_mtime: Option<SystemTime>,
    /// The file's length when it was opened: where its history ends.
    len_at_open: u64,
    fp: Fingerprint,
    /// The bytes before the last line boundary handed out: what a position's hash covers,
    /// kept in memory so a position never depends on the file as it is later.
    boundary_fp: Fingerprint,
    lines: Lines,
    buf: Vec<u8>,
    /// When the path was first seen naming another file than the one open.
    replaced_at: Option<Instant>,
    /// The path does not name the open file (gone, or replaced and in its grace period).
    detached: bool,
    /// How long the old file is still read after the path names a new one: none for
    /// standard input's spool, whose only writer (logview) never writes to the old one.
    grace: Duration,
}

impl Follower {
    /// Follows `path`, already `opened` as text, positioned at the start of its last `n` lines
    /// (complete lines when `following`). The backward scan for them stops early, with
    /// [`Refusal::Gone`], once `gone` says the client has left.
    pub fn open(
        sandbox: Arc<Sandbox>,
        path: &Path,
        opened: (Text, Metadata),
        n: usize,
        max_line: usize,
        following: bool,
        gone: &dyn Fn() -> bool,
    ) -> Result<Self, Refusal> {
        let mut f = Self::open_at_zero(sandbox, path, opened, max_line);
        let scan = || {
            // When following, an unfinished last line is held, so it is not one of the `n`.
            let end = match following {
                true => complete_end(&f.file, f.last_len)?,
                false => f.last_len,
            };
            history_start(&f.file, end, n, gone)
        };
        let start = scan().map_err(|e| {
            if e.kind() == io::ErrorKind::ConnectionAborted {
                Refusal::Gone
            } else {
                Refusal::Forbidden("cannot be read")
            }
        })?;
        f.seek(start)
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        Ok(f)
    }

    /// Follows `path`, already `opened` as text, from a position a client saw before, if that
    /// position is still valid for it (same file, same bytes before it). `Ok(None)`: it is not.
    pub fn resume(
        sandbox: Arc<Sandbox>,
        path: &Path,
        opened: (Text, Metadata),
        pos: &Position,
        max_line: usize,
    ) -> Result<Option<Self>, Refusal> {
        let mut f = Self::open_at_zero(sandbox, path, opened, max_line);
        if f.id != (pos.dev, pos.ino) || pos.offset > f.last_len {
            return Ok(None);
        }
        match fingerprint_hash(&f.file, pos.offset) {
            Ok(h) if h == pos.hash => {}
            _ => return Ok(None),
        }
        f.seek(pos.offset)
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        Ok(Some(f))
    }

    /// Follows the plain file at `path` from its start (a file that appeared while it was
    /// watched for).
    pub fn open_start(
        sandbox: Arc<Sandbox>,
        path: &Path,
        max_line: usize,
    ) -> Result<Self, Refusal> {
        let (file, meta) = sandbox.open_file(path)?;
        let mut f = Self::open_at_zero(sandbox, path, (Text::Plain(file), meta), max_line);
        f.len_at_open = 0;
        Ok(f)
    }

    fn open_at_zero(
        sandbox: Arc<Sandbox>,
        path: &Path,
        (file, meta): (Text, Metadata),
        max_line: usize,
    ) -> Self {
        let spool = sandbox.stdin().is_some_and(|s| s.path == path);
        let len = file.size(&meta);
        Follower {
            grace: if spool { Duration::ZERO } else { ROTATE_GRACE },
            sandbox,
            path: path.to_path_buf(),
            file,
            id: (meta.dev(), meta.ino()),
            offset: 0,
            last_len: len,
            last_mtime: meta.modified().ok(),
            len_at_open: len,
            fp: Fingerprint::default(),
            boundary_fp: Fingerprint::default(),
            lines: Lines::new(max_line),
            buf: Vec::new(),
            replaced_at: None,
            detached: false,
        }
    }

    fn seek(&mut self, offset: u64) -> io::Result<()> {
        self.offset = offset;
        self.fp = Fingerprint::read(&self.file, offset)?;
        self.boundary_fp = self.fp.clone();
        Ok(())
    }

    /// Reads what is new (at most one chunk) and hands each complete line to `sink`.
    pub fn poll(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<Poll, FollowError> {
        let (len, mtime) = match &self.file {
            Text::Plain(f) => {
                let meta = f.metadata()?;
                (meta.len(), meta.modified().ok())
            }
            Text::Gzip(g) => (g.len(), self.last_mtime),
        };
        if len != self.last_len || mtime != self.last_mtime {
            if len < self.offset || !self.fp.matches(&self.file, self.offset)? {
                self.lines.flush(sink);
                self.restart();
                return Ok(Poll::Truncated);
            }
            self.last_len = len;
            self.last_mtime = mtime;
        }
        if len > self.offset {
            self.read_chunk(len, sink)?;
            if self.offset == len && self.lines.pending() > 0 {
                debug!("{}: ends in an unfinished line, held", self.path.display());
            }
            return Ok(Poll::Data);
        }
        self.check_rotation(sink)
    }

    fn read_chunk(&mut self, len: u64, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        let want = CHUNK.min((len - self.offset) as usize);
        self.buf.resize(want, 0);
        let n = self.file.read_at(&mut self.buf, self.offset)?;
        let data = &self.buf[..n];
        let before = self.fp.clone();
        self.lines.feed(data, sink);
        self.fp.push(data);
        self.offset += n as u64;
        if let Some(complete) = data.len().checked_sub(self.lines.pending()) {
            self.boundary_fp = before;
            self.boundary_fp.push(&data[..complete]);
        }
        Ok(())
    }

    fn check_rotation(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<Poll, FollowError> {
        if self.compressed() {
            return Ok(Poll::Idle);
        }
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            // Deleted or mid-rename: keep reading the old handle until a new file appears.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !self.detached {
                    debug!("{}: gone; waiting for it to come back", self.path.display());
                }
                self.detached = true;
                return Ok(Poll::Idle);
            }
            Err(e) => return Err(e.into()),
        };
        if (meta.dev(), meta.ino()) == self.id {
            self.detached = false;
            self.replaced_at = None;
            return Ok(Poll::Idle);
        }
        // The path names another file. Writers that have not reopened yet still append to the
        // old one, so it is drained for a grace period before switching.
        self.detached = true;
        if self.replaced_at.is_none() {
            debug!(
                "{}: names another file; the old one is read for {ROTATE_GRACE:?} more",
                self.path.display()
            );
        }
        let since = *self.replaced_at.get_or_insert_with(Instant::now);
        if since.elapsed() < self.grace {
            return Ok(Poll::Idle);
        }
        self.detached = false;
        self.replaced_at = None;
        let (file, meta) = self
            .sandbox
            .open_file(&self.path)
            .map_err(FollowError::Refused)?;
        self.lines.flush(sink);
        self.file = Text::Plain(file);
        self.id = (meta.dev(), meta.ino());
        self.restart();
        Ok(Poll::Rotated)
    }

    fn restart(&mut self) {
        self.offset = 0;
        self.last_len = 0;
        self.last_mtime = None;
        self.fp = Fingerprint::default();
        self.boundary_fp = Fingerprint::default();
        self.lines.clear();
    }

    /// The file's length when it was opened.
    pub fn len_at_open(&self) -> u64 {
        self.len_at_open
    }

    /// Bytes of the current file read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True while the path does not name the open file: the caller should poll often, since
    /// a watcher of the path sees neither writes to the old file nor the grace running out.
    pub fn detached(&self) -> bool {
        self.detached
    }

    /// The path being followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends the history: a final line without `\n` is emitted as a complete line.
    pub fn flush_partial(&mut self, sink: &mut dyn FnMut(&[u8])) {
        self.lines.flush(sink);
        self.boundary_fp = self.fp.clone();
    }

    /// The open file's text.
    pub fn file(&self) -> &Text {
        &self.file
    }

    /// True for a decompressed `.gz` file: read once, never followed.
    pub fn compressed(&self) -> bool {
        self.file.gzip().is_some()
    }

    /// The position just after the last complete line handed out.
    pub fn position(&self) -> Position {
        let offset = self.offset - self.lines.pending() as u64;
        Position {
            dev: self.id.0,
            ino: self.id.1,
            offset,
            hash: fnv1a(&self.boundary_fp.bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("logview-follow-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d.canonicalize().unwrap()
    }

    fn collect(f: &mut Follower) -> (Vec<String>, Vec<Poll>) {
        let (mut lines, mut polls) = (Vec::new(), Vec::new());
        loop {
            let p = f
                .poll(&mut |l| lines.push(String::from_utf8_lossy(l).into_owned()))
                .unwrap();
            if p == Poll::Idle {
                return (lines, polls);
            }
            polls.push(p);
        }
    }

    fn follower(d: &Path, n: usize) -> Follower {
        let sb = Arc::new(Sandbox::new(vec![d.to_path_buf()]));
        let log = d.join("log");
        let opened = plain(&sb, &log);
        Follower::open(sb, &log, opened, n, 1 << 20, true, &|| false).unwrap()
    }

    fn plain(sb: &Sandbox, path: &Path) -> (Text, Metadata) {
        let (file, meta) = sb.open_file(path).unwrap();
        (Text::Plain(file), meta)
    }

    fn append(p: &Path, s: &str) {
        fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(p)
            .unwrap()
            .write_all(s.as_bytes())
            .unwrap();
    }

    #[test]
    fn rotation_drains_the_old_file_then_reads_the_new() {
        let d = tmpdir("rotate");
        let log = d.join("log");
        fs::write(&log, "1\n2\n").unwrap();
        let mut f = follower(&d, 1);
        assert_eq!(collect(&mut f).0, ["2"]);
        fs::rename(&log, d.join("log.1")).unwrap();
        append(&d.join("log.1"), "3\n");
        fs::write(&log, "4\n").unwrap();
        let (lines, polls) = collect(&mut f);
        assert_eq!((lines, polls), (vec!["3".to_string()], vec![Poll::Data]));
        assert!(f.detached(), "the new file waits out the grace period");
        append(&d.join("log.1"), "3b, late, to the old file\n");
        std::thread::sleep(ROTATE_GRACE);
        let (lines, polls) = collect(&mut f);
        assert_eq!(lines, ["3b, late, to the old file", "4"]);
        assert_eq!(polls, [Poll::Data, Poll::Rotated, Poll::Data]);
        assert!(!f.detached());
    }

    #[test]
    fn truncation_with_regrowth_is_caught_by_the_fingerprint() {
        let d = tmpdir("trunc");
        let log = d.join("log");
        fs::write(&log, "aaaa\n").unwrap();
        let mut f = follower(&d, 10);
        assert_eq!(collect(&mut f).0, ["aaaa"]);
        fs::write(&log, "bb\ncccccccc\n").unwrap(); // truncate + regrow past the old offset
        let (lines, polls) = collect(&mut f);
        assert_eq!(lines, ["bb", "cccccccc"]);
        assert_eq!(polls, [Poll::Truncated, Poll::Data]);
        std::thread::sleep(std::time::Duration::from_millis(10)); // a distinct mtime
        fs::write(&log, "dd\nxxxxxxxx\n").unwrap(); // rewritten to the very same length
        assert_eq!(collect(&mut f).0, ["dd", "xxxxxxxx"]);
    }

    #[test]
    fn positions_resume_only_on_the_same_content() {
        let d = tmpdir("resume");
        let log = d.join("log");
        fs::write(&log, "1\n2\npart").unwrap();
        let mut f = follower(&d, 10);
        assert_eq!(collect(&mut f).0, ["1", "2"]);
        let pos: Position = f.position().to_string().parse().unwrap();
        assert_eq!(pos.offset, 4, "position excludes the held partial line");
        append(&log, "ial\n3\n");
        let sb = Arc::new(Sandbox::new(vec![d.clone()]));
        let mut r = Follower::resume(sb.clone(), &log, plain(&sb, &log), &pos, 1 << 20)
            .unwrap()
            .expect("valid");
        assert_eq!(collect(&mut r).0, ["partial", "3"]);
        let after = r.position();
        fs::write(&log, "X\nY\nZZZZZZZZ\n").unwrap();
        assert_eq!(
            r.position(),
            after,
            "a position never depends on the file as it is later"
        );
        assert!(
            Follower::resume(sb.clone(), &log, plain(&sb, &log), &pos, 1 << 20)
                .unwrap()
                .is_none()
        );
        assert!(
            Follower::resume(sb.clone(), &log, plain(&sb, &log), &after, 1 << 20)
                .unwrap()
                .is_none()
        );
        assert!("1.2.3".parse::<Position>().is_err());
        assert!("1.2.3.4.5".parse::<Position>().is_err());
    }
}
