//! `GET /_logview/api/search?path=ABS&q=QUERY[&regex=1][&case=1][&level=L][&before=OFFSET]
//! [&limit=N][&context=C][&count=1]`: the lines of a whole file that match (and are of level
//! L or above), newest first, streamed as NDJSON while the file is read backwards in large
//! blocks.
//!
//! Guarantees: one regex pass per block, never per line; the file goes through the sandbox;
//! at most one scan per core runs (the others wait and say so); the scan stops within
//! [`CHECK_EVERY`] of its client leaving; memory is one block plus the matches of one block.

use std::io::{self, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use log::info;
use serde_json::{Value, json};

use crate::api::lines;
use crate::http::refusal::Refusal;
use crate::http::{Request, Response};
use crate::index::Numbering;
use crate::index::time::Clock;
use crate::source::family;
use crate::source::gzip::Text;
use crate::source::reader::Line;
use crate::source::reader::{Backward, history_start, line_start, lines_from, skip_lines};
use crate::source::sandbox::{self, Sandbox};
use crate::state::Shared;
use crate::text::classify::{self, Level};
use crate::text::search::{Filter, Query};
use crate::text::time;

/// Bytes searched at a time (a block that stays in the L2 cache while it is matched).
const BLOCK: usize = 256 << 10;
/// Matches sent when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
/// How many lines before a match its entry's first line is looked for.
const ENTRY_REACH: usize = 200;
/// Context lines around a match, at most.
const MAX_CONTEXT: usize = 10;
/// A long scan reports its progress this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// ... and checks this often that its client is still there.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// What a search asks for.
struct Params {
    path: String,
    filter: Filter,
    /// `before`: an offset, or with `family` a member's token (`DEV.INO.OFFSET`).
    before: Option<String>,
    family: bool,
    limit: usize,
    context: usize,
    count_only: bool,
}

fn params(req: &Request) -> Result<Params, Refusal> {
    let bad = Refusal::Malformed;
    let number = |name: &str, default: usize, max: usize, why: &'static str| {
        req.param(name).map_or(Ok(default), |v| {
            v.parse().ok().filter(|n| *n <= max).ok_or(bad(why))
        })
    };
    let filter = filter(req)?.ok_or(bad("q or level is required"))?;
    let limit = number(
        "limit",
        DEFAULT_LIMIT,
        MAX_LIMIT,
        "limit must be 1 to 10000",
    )?;
    Ok(Params {
        path: req.param("path").ok_or(bad("path is required"))?,
        filter,
        before: req.param("before"),
        family: flag(req, "family")?,
        limit: (limit > 0)
            .then_some(limit)
            .ok_or(bad("limit must be 1 to 10000"))?,
        context: number("context", 0, MAX_CONTEXT, "context must be 0 to 10")?,
        count_only: flag(req, "count")?,
    })
}

/// The filter of `q` (with `regex` and `case`) and `level`, when either is given.
pub fn filter(req: &Request) -> Result<Option<Filter>, Refusal> {
    let (regex, case) = (flag(req, "regex")?, flag(req, "case")?);
    let query = match req.param("q") {
        None => None,
        Some(q) => Some(Query::new(&q, regex, case).map_err(|e| Refusal::Malformed(e.reason()))?),
    };
    let level = match req.param("level") {
        None => None,
        Some(l) => Some(Level::from_word(l.as_bytes()).ok_or(Refusal::Malformed(
            "level must be trace, debug, info, warn, error or fatal",
        ))?),
    };
    Ok((query.is_some() || level.is_some()).then_some(Filter { query, level }))
}

/// A `0`/`1` option of the search and timeline (`regex`, `case`, `count`).
pub fn flag(req: &Request, name: &str) -> Result<bool, Refusal> {
    match req.param(name).as_deref() {
        None | Some("0" | "false") => Ok(false),
        Some("" | "1" | "true") => Ok(true),
        Some(_) => Err(Refusal::Malformed(
            "regex, case, count and family must be 0 or 1",
        )),
    }
}

/// Answers a search on `stream`; a refusal is returned before anything is written.
pub fn serve(
    shared: &Shared,
    req: &Request,
    stream: &mut TcpStream,
    gone: &dyn Fn() -> bool,
) -> Result<(), Refusal> {
    let p = params(req)?;
    let path = sandbox::plain(&p.path)?;
    // The asked-for file is refused before anything else.
    shared.open_text(&path, gone)?;
    // A family search runs from the file asked for to the oldest member.
    let files = match p.family {
        true => {
            let all = family::on_disk(&shared.sandbox, &path);
            let from = all.iter().position(|f| *f == path).unwrap_or(0);
            all[from..].to_vec()
        }
        false => vec![path],
    };
    let (first, end) = start(shared, &files, &p, gone)?;
    Response::ok("application/x-ndjson", "")
        .with("Cache-Control", "no-store")
        .write_stream_head(stream)
        .map_err(|_| Refusal::Gone)?;
    let mut scan = Scan {
        out: Out {
            stream,
            buf: Vec::new(),
        },
        p: &p,
        max_line: shared.config.max_line,
        sent: 0,
        matched: 0,
        scanned: 0,
        total: 0,
        started: Instant::now(),
        gone,
    };
    // Errors here mean the client left or a file could not be read mid-scan: the answer is
    // already under way, so it just ends, and the log says why.
    if let Err(e) = scan.run(shared, &files[first..], end) {
        let why = match e.kind() {
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset => "the client left".to_string(),
            _ => e.to_string(),
        };
        info!(
            "search of {} stopped after {} of {} bytes: {why}",
            files[0].display(),
            scan.scanned,
            scan.total
        );
    }
    Ok(())
}

/// Which of `files` the search starts in, and where in it: `before` is an offset into the
/// first (or, with `family`, a member's token); without it, the end of the first.
fn start(
    shared: &Shared,
    files: &[PathBuf],
    p: &Params,
    gone: &dyn Fn() -> bool,
) -> Result<(usize, Option<u64>), Refusal> {
    let bad = Refusal::Malformed;
    let Some(before) = &p.before else {
        return Ok((0, None));
    };
    let (at, offset) = match before.parse::<u64>() {
        Ok(offset) => (0, offset),
        Err(_) if p.family => token(&shared.sandbox, files, before)?,
        Err(_) => return Err(bad("before must be a byte offset")),
    };
    if offset == 0 && p.family {
        return Ok((at + 1, None)); // line 1 of a member: its older one goes on
    }
    let (file, meta) = shared.open_text(&files[at], gone)?;
    let size = file.size(&meta);
    if offset > size {
        return Err(bad("before is past the end of the file"));
    }
    let end =
        lines_before(&file, offset, size).map_err(|_| Refusal::Forbidden("cannot be read"))?;
    Ok((at, Some(end)))
}

/// The member a family search's `next` token (`DEV.INO.OFFSET`, hex) names, and its offset.
fn token(sb: &Sandbox, files: &[PathBuf], t: &str) -> Result<(usize, u64), Refusal> {
    let stale = Refusal::Malformed("before is not a position in this family (rotated since?)");
    let parts: Vec<u64> = t
        .split('.')
        .map(|x| u64::from_str_radix(x, 16))
        .collect::<Result<_, _>>()
        .map_err(|_| Refusal::Malformed("before must be a byte offset or a next token"))?;
    let [dev, ino, offset] = parts[..] else {
        return Err(stale);
    };
    let at = files.iter().position(|f| {
        sb.stat(f)
            .is_ok_and(|(_, m)| (m.dev(), m.ino()) == (dev, ino))
    });
    Ok((at.ok_or(stale)?, offset))
}

/// Where the lines that start before `offset` end: `offset` itself when it is a line start,
/// else the end of the line holding it.
fn lines_before(file: &Text, offset: u64, size: u64) -> io::Result<u64> {
    if offset == 0 || offset == size || line_start(file, offset)? == offset {
        return Ok(offset);
    }
    let start = line_start(file, offset)?;
    Ok(skip_lines(file, start, 1, size)?.unwrap_or(size))
}

/// The answer's body, written a block's worth at a time.
struct Out<'a> {
    stream: &'a mut TcpStream,
    buf: Vec<u8>,
}

impl Out<'_> {
    fn push(&mut self, v: &Value) {
        let _ = serde_json::to_writer(&mut self.buf, v);
        self.buf.push(b'\n');
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

struct Scan<'a> {
    out: Out<'a>,
    p: &'a Params,
    max_line: usize,
    sent: usize,
    matched: u64,
    scanned: u64,
    /// Bytes to scan in the files begun so far.
    total: u64,
    started: Instant,
    gone: &'a dyn Fn() -> bool,
}

/// One file of a search.
struct Source<'a> {
    file: &'a Text,
    numbering: &'a Numbering,
    /// A family search names each match's file.
    path: Option<&'a Path>,
    /// How the file's stamps read (a match tells its line's moment, `time`).
    clock: Clock,
}

impl Scan<'_> {
    /// Searches `files` in turn, newest first (the first up to `end`, the others whole), then
    /// says it is done, with where to go on when the limit stopped it.
    fn run(&mut self, shared: &Shared, files: &[PathBuf], end: Option<u64>) -> io::Result<()> {
        let place = loop {
            if let Some(place) = shared.scans.take(PROGRESS_EVERY) {
                break place;
            }
            self.progress(true)?;
        };
        let (mut next, mut damaged) = (None, Vec::new());
        for (i, path) in files.iter().enumerate() {
            // A member that went away meanwhile is passed over; a client that left ends it.
            let (file, meta) = match shared.open_text(path, self.gone) {
                Ok(opened) => opened,
                Err(Refusal::Gone) => break,
                Err(_) => continue,
            };
            damaged.extend(lines::damage(path, &file));
            let end = end.filter(|_| i == 0).unwrap_or(file.size(&meta));
            let numbering = shared.indexes.of_text(&file, &meta);
            let source = Source {
                file: &file,
                numbering: &numbering,
                path: self.p.family.then_some(path.as_path()),
                clock: Clock::new(shared.zone.clone(), meta.modified().unwrap_or(UNIX_EPOCH)),
            };
            self.total += end;
            if let Some(at) = self.file(&source, end)? {
                // At line 1 of a file, the next page starts in the next one (if any).
                let last = i + 1 == files.len();
                next = match (self.p.family, at) {
                    (_, 0) if last => None,
                    (true, _) => Some(json!(format!("{:x}.{:x}.{at:x}", meta.dev(), meta.ino()))),
                    (false, _) => Some(json!(at)),
                };
                break;
            }
        }
        drop(place);
        let mut done = json!({
            "type": "done",
            "matches": if self.p.count_only { self.matched } else { self.sent as u64 },
            "scanned": self.scanned,
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
            "next": next,
        });
        if !damaged.is_empty() {
            done["damaged"] = json!(damaged);
        }
        self.out.push(&done);
        self.out.flush()
    }

    /// Searches one file up to `end`; `Some(offset)` where the next page starts when the
    /// limit stopped it.
    fn file(&mut self, src: &Source, end: u64) -> io::Result<Option<u64>> {
        let mut back = Backward::new(src.file, end, BLOCK);
        let (mut last_progress, mut last_check) = (Instant::now(), Instant::now());
        while let Some((start, block)) = back.next_block()? {
            if let Some(at) = self.block(src, start, block)? {
                return Ok(Some(at)); // stopped at the limit
            }
            self.scanned += block.len() as u64;
            self.out.flush()?;
            if self.left(&mut last_check) {
                return Err(io::ErrorKind::ConnectionAborted.into());
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                self.progress(false)?;
                last_progress = Instant::now();
            }
        }
        Ok(None)
    }

    /// True when the client has left, asked at most every [`CHECK_EVERY`].
    fn left(&self, last_check: &mut Instant) -> bool {
        if last_check.elapsed() >= CHECK_EVERY {
            *last_check = Instant::now();
            return (self.gone)();
        }
        false
    }

    fn progress(&mut self, waiting: bool) -> io::Result<()> {
        self.out.push(&json!({
            "type": "progress",
            "scanned": self.scanned,
            "total": self.total,
            "matches": self.matched,
            "waiting": waiting,
        }));
        self.out.flush()
    }

    /// Sends the matches of one block (starting at `start`), newest first; `Some(offset)` when
    /// the limit was reached: the oldest line sent, where the next page starts.
    fn block(&mut self, src: &Source, start: u64, block: &[u8]) -> io::Result<Option<u64>> {
        let mut found = Vec::new();
        self.p.filter.matching_lines(block, &mut |s, e| {
            found.push((s, e));
            true
        });
        self.matched += found.len() as u64;
        if self.p.count_only || found.is_empty() {
            return Ok(None);
        }
        let numbers = self.numbers(src, start, block, &found);
        for (i, &(s, e)) in found.iter().enumerate().rev() {
            let offset = start + s as u64;
            let line = &block[s..e.min(s + self.max_line)];
            let whole = (e - s) as u64;
            self.send(src, offset, line, whole, numbers.as_ref().map(|n| n[i]))?;
            if self.sent == self.p.limit {
                self.scanned += (block.len() - s) as u64;
                return Ok(Some(offset));
            }
        }
        Ok(None)
    }

    /// The numbers of the lines found in a block, when the index knows the block's first.
    fn numbers(
        &self,
        src: &Source,
        start: u64,
        block: &[u8],
        found: &[(usize, usize)],
    ) -> Option<Vec<u64>> {
        let mut n = src.numbering.number_at(src.file, start)?;
        let mut at = 0;
        Some(
            found
                .iter()
                .map(|&(s, _)| {
                    n += memchr::memchr_iter(b'\n', &block[at..s]).count() as u64;
                    at = s;
                    n
                })
                .collect(),
        )
    }

    /// Sends one match: the line at `offset` (cut to the bound), `len` bytes long in the file.
    fn send(
        &mut self,
        src: &Source,
        offset: u64,
        line: &[u8],
        len: u64,
        number: Option<u64>,
    ) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        let ranges: Vec<[usize; 2]> = self
            .p
            .filter
            .ranges(text.as_bytes())
            .into_iter()
            .map(|(a, b)| [a, b])
            .collect();
        let mut m = json!({ "type": "match", "offset": offset, "text": text, "ranges": ranges });
        if let Some(n) = number {
            m["number"] = json!(n);
        }
        if let Some(path) = src.path {
            m["path"] = json!(path);
        }
        if let Some(s) = time::parse(line) {
            m["time"] = json!(src.clock.utc_ms(s));
        }
        if self.p.context > 0 {
            let (before, after) = self.context(src.file, offset, len)?;
            (m["before"], m["after"]) = (before, after);
        }
        match self.header(src.file, offset, line)? {
            Some(h) => {
                m["entry"] =
                    json!({ "offset": h.offset, "text": String::from_utf8_lossy(&h.bytes) });
            }
            None => {
                let trace = self.trace(src.file, offset, line, len)?;
                if !trace.is_empty() {
                    m["trace"] = texts(&trace);
                }
            }
        }
        self.out.push(&m);
        self.sent += 1;
        Ok(())
    }

    /// The first line of the entry a matching line continues (a stack trace's header), when
    /// the line has no stamp or level of its own and such a line starts within
    /// [`ENTRY_REACH`] lines before it.
    fn header(&self, file: &Text, offset: u64, line: &[u8]) -> io::Result<Option<Line>> {
        if offset == 0 || speaks_for_itself(line) {
            return Ok(None);
        }
        let from = history_start(file, offset, ENTRY_REACH, &|| false)?;
        let before = lines_from(file, from, offset, ENTRY_REACH, self.max_line)?;
        let header = (before.lines.into_iter().rev())
            .find(|l| !classify::continuation(&l.bytes) && speaks_for_itself(&l.bytes));
        Ok(header)
    }

    /// The lines that continue the entry a matching line starts (an error's stack trace): those
    /// after it, up to [`ENTRY_REACH`], that have no stamp, level or JSON of their own or are
    /// continuations by their form. None unless the line itself starts an entry.
    fn trace(&self, file: &Text, offset: u64, line: &[u8], len: u64) -> io::Result<Vec<Line>> {
        if !speaks_for_itself(line) {
            return Ok(Vec::new());
        }
        let size = file.len_now()?;
        let next = skip_lines(file, offset, 1, size)?
            .unwrap_or(offset + len)
            .min(size);
        let first = lines_from(file, next, size, 1, self.max_line)?;
        let continues = |l: &Line| classify::continuation(&l.bytes) || !speaks_for_itself(&l.bytes);
        if !first.lines.first().is_some_and(continues) {
            return Ok(Vec::new());
        }
        let after = lines_from(file, next, size, ENTRY_REACH, self.max_line)?;
        Ok(after.lines.into_iter().take_while(continues).collect())
    }

    /// The context lines before and after the line at `offset`.
    fn context(&self, file: &Text, offset: u64, len: u64) -> io::Result<(Value, Value)> {
        let size = file.len_now()?;
        let n = self.p.context;
        let from = history_start(file, offset, n, &|| false)?;
        let before = lines_from(file, from, offset, n, self.max_line)?;
        let next = skip_lines(file, offset, 1, size)?.unwrap_or(offset + len);
        let after = lines_from(file, next.min(size), size, n, self.max_line)?;
        Ok((texts(&before.lines), texts(&after.lines)))
    }
}

/// Lines as `[{offset, text}]`.
fn texts(lines: &[Line]) -> Value {
    lines
        .iter()
        .map(|l| json!({ "offset": l.offset, "text": String::from_utf8_lossy(&l.bytes) }))
        .collect()
}

/// True for a line that starts an entry by what it holds: a stamp, a level or a JSON object.
fn speaks_for_itself(line: &[u8]) -> bool {
    let c = classify::classify(line);
    c.level.is_some() || c.json || time::parse(line).is_some()
}
