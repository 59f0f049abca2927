//! `GET /_logview/api/search?path=ABS&q=QUERY[&regex=1][&case=1][&level=L][&before=OFFSET]
//! [&limit=N][&context=C][&count=1]`: the lines of a whole file that match (and are of level
//! L or above), newest first, streamed as NDJSON while the file is read backwards in large
//! blocks.
//!
//! Guarantees: one regex pass per block, never per line; the file goes through the sandbox;
//! at most one scan per core runs (the others wait and say so); the scan stops within
//! [`CHECK_EVERY`] of its client leaving; memory is one block plus the matches of one block.

use std::fs::File;
use std::io::{self, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::refusal::Refusal;
use crate::http::{Request, Response};
use crate::index::Numbering;
use crate::source::reader::{Backward, history_start, line_start, lines_from, skip_lines};
use crate::source::sandbox;
use crate::state::Shared;
use crate::text::classify::Level;
use crate::text::search::{Filter, Query};

/// Bytes searched at a time (a block that stays in the L2 cache while it is matched).
const BLOCK: usize = 256 << 10;
/// Matches sent when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
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
    before: Option<u64>,
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
    let before = req
        .param("before")
        .map(|v| v.parse().map_err(|_| bad("before must be a byte offset")))
        .transpose()?;
    let limit = number(
        "limit",
        DEFAULT_LIMIT,
        MAX_LIMIT,
        "limit must be 1 to 10000",
    )?;
    Ok(Params {
        path: req.param("path").ok_or(bad("path is required"))?,
        filter,
        before,
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
fn flag(req: &Request, name: &str) -> Result<bool, Refusal> {
    match req.param(name).as_deref() {
        None | Some("0" | "false") => Ok(false),
        Some("" | "1" | "true") => Ok(true),
        Some(_) => Err(Refusal::Malformed("regex, case and count must be 0 or 1")),
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
    let (file, meta) = shared.sandbox.open_file(&sandbox::plain(&p.path)?)?;
    let size = meta.len();
    let end = match p.before {
        Some(b) if b > size => {
            return Err(Refusal::Malformed("before is past the end of the file"));
        }
        Some(b) => {
            lines_before(&file, b, size).map_err(|_| Refusal::Forbidden("cannot be read"))?
        }
        None => size,
    };
    let numbering = shared.indexes.of(&file, &meta);
    Response::ok("application/x-ndjson", "")
        .with("Cache-Control", "no-store")
        .write_stream_head(stream)
        .map_err(|_| Refusal::Gone)?;
    let mut scan = Scan {
        out: Out {
            stream,
            buf: Vec::new(),
        },
        file: &file,
        numbering: &numbering,
        p: &p,
        max_line: shared.config.max_line,
        end,
        sent: 0,
        matched: 0,
        scanned: 0,
        started: Instant::now(),
        gone,
    };
    // Errors here mean the client left or the file could not be read mid-scan: the answer is
    // already under way, so it just ends (the log has the request).
    let _ = scan.run(shared);
    Ok(())
}

/// Where the lines that start before `offset` end: `offset` itself when it is a line start,
/// else the end of the line holding it.
fn lines_before(file: &File, offset: u64, size: u64) -> io::Result<u64> {
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
    file: &'a File,
    numbering: &'a Numbering,
    p: &'a Params,
    max_line: usize,
    end: u64,
    sent: usize,
    matched: u64,
    scanned: u64,
    started: Instant,
    gone: &'a dyn Fn() -> bool,
}

impl Scan<'_> {
    fn run(&mut self, shared: &Shared) -> io::Result<()> {
        let place = loop {
            if let Some(place) = shared.scans.take(PROGRESS_EVERY) {
                break place;
            }
            self.progress(true)?;
        };
        let mut back = Backward::new(self.file, self.end, BLOCK);
        let (mut last_progress, mut last_check) = (Instant::now(), Instant::now());
        let mut next = None;
        while let Some((start, block)) = back.next_block()? {
            if let Some(at) = self.block(start, block)? {
                // Stopped at the limit; at line 1 there is nothing older.
                next = (at > 0).then_some(at);
                break;
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
        drop(place);
        self.out.push(&json!({
            "type": "done",
            "matches": if self.p.count_only { self.matched } else { self.sent as u64 },
            "scanned": self.scanned,
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
            "next": next,
        }));
        self.out.flush()
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
            "total": self.end,
            "matches": self.matched,
            "waiting": waiting,
        }));
        self.out.flush()
    }

    /// Sends the matches of one block (starting at `start`), newest first; `Some(offset)` when
    /// the limit was reached: the oldest line sent, where the next page starts.
    fn block(&mut self, start: u64, block: &[u8]) -> io::Result<Option<u64>> {
        let mut found = Vec::new();
        self.p.filter.matching_lines(block, &mut |s, e| {
            found.push((s, e));
            true
        });
        self.matched += found.len() as u64;
        if self.p.count_only || found.is_empty() {
            return Ok(None);
        }
        let numbers = self.numbers(start, block, &found);
        for (i, &(s, e)) in found.iter().enumerate().rev() {
            let offset = start + s as u64;
            let line = &block[s..e.min(s + self.max_line)];
            let whole = (e - s) as u64;
            self.send(offset, line, whole, numbers.as_ref().map(|n| n[i]))?;
            if self.sent == self.p.limit {
                self.scanned += (block.len() - s) as u64;
                return Ok(Some(offset));
            }
        }
        Ok(None)
    }

    /// The numbers of the lines found in a block, when the index knows the block's first.
    fn numbers(&self, start: u64, block: &[u8], found: &[(usize, usize)]) -> Option<Vec<u64>> {
        let mut n = self.numbering.number_at(self.file, start)?;
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
    fn send(&mut self, offset: u64, line: &[u8], len: u64, number: Option<u64>) -> io::Result<()> {
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
        if self.p.context > 0 {
            let (before, after) = self.context(offset, len)?;
            (m["before"], m["after"]) = (before, after);
        }
        self.out.push(&m);
        self.sent += 1;
        Ok(())
    }

    /// The context lines before and after the line at `offset`.
    fn context(&self, offset: u64, len: u64) -> io::Result<(Value, Value)> {
        let size = self.file.metadata()?.len();
        let n = self.p.context;
        let from = history_start(self.file, offset, n, &|| false)?;
        let before = lines_from(self.file, from, offset, n, self.max_line)?;
        let next = skip_lines(self.file, offset, 1, size)?.unwrap_or(offset + len);
        let after = lines_from(self.file, next.min(size), size, n, self.max_line)?;
        let texts = |w: &crate::source::reader::Window| -> Value {
            w.lines
                .iter()
                .map(|l| json!({ "offset": l.offset, "text": String::from_utf8_lossy(&l.bytes) }))
                .collect()
        };
        Ok((texts(&before), texts(&after)))
    }
}
