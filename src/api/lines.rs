//! `GET /_logview/api/lines?path=ABS&lines=N` and one of `before=OFFSET`, `from=OFFSET`,
//! `line=K` or `time=T`: a window of lines anywhere in a file, for scrolling back and
//! jumping, as JSON, each line with its number (once the line index has counted that far)
//! and its moment (when it carries a stamp). A window at the start of a file names the next
//! older member of its rotated family (`older`), where scrolling back goes on.
//!
//! Guarantees: the file goes through the sandbox; an answer reads only the bytes of its
//! window (plus the backward scan to find its first line), never the whole file; every value
//! is checked (a malformed or out-of-range one is a 400 with the reason); line text is the
//! same text or safe HTML the WebSocket sends.

use std::io;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::http::Request;
use crate::http::refusal::Refusal;
use crate::index::Numbering;
use crate::index::time::{Clock, Jump, Moment, jump};
use crate::render::{Format, Renderer};
use crate::source::gzip::{Gzip, Text};
use crate::source::reader::{ReadAt, Window, history_start, line_start, lines_from};
use crate::source::{family, sandbox};
use crate::state::Shared;
use crate::text::time as stamp;

/// How long a line number beyond the index waits for a scan place before a 503.
const SCAN_WAIT: Duration = Duration::from_secs(10);
/// Lines in a window when `lines` is not given...
const DEFAULT_LINES: usize = 200;
/// ... and at most.
const MAX_LINES: usize = 10_000;

/// Where the window is anchored.
#[derive(Debug, PartialEq, Eq)]
enum Anchor {
    /// The lines that end at or before this offset.
    Before(u64),
    /// The line holding this offset and the lines after it.
    From(u64),
    /// Line number K (1-based) and the lines after it.
    Line(u64),
    /// The first line stamped at or after this moment, and the lines after it.
    Time(Moment),
}

/// The window as JSON; `gone`: whether the client left (a gzip file's first pass then stops).
pub fn lines(shared: &Shared, req: &Request, gone: &dyn Fn() -> bool) -> Result<String, Refusal> {
    let path = req
        .param("path")
        .ok_or(Refusal::Malformed("path is required"))?;
    let n = count(req.param("lines").as_deref())?;
    let format = match req.param("format").as_deref() {
        None | Some("text") => Format::Text,
        Some("html") => Format::Html,
        Some(_) => return Err(Refusal::Malformed("format must be text or html")),
    };
    let anchor = anchor(req)?;
    let path = sandbox::plain(&path)?;
    let (text, meta) = shared.open_text(&path, gone)?;
    let size = text.size(&meta);
    let numbering = shared.indexes.of_text(&text, &meta);
    // A line number past what the index has counted is found by counting on: a scan like a
    // search, so it takes a scan place.
    let _place = match (&anchor, numbering.total(size)) {
        (Anchor::Line(_), None) => Some(shared.scans.take(SCAN_WAIT).ok_or(Refusal::Busy)?),
        _ => None,
    };
    let clock = Clock::new(shared.zone.clone(), meta.modified().unwrap_or(UNIX_EPOCH));
    let file = Opened {
        file: &text,
        size,
        numbering: &numbering,
        clock: &clock,
        max_line: shared.config.max_line,
    };
    let unreadable = |_| Refusal::Forbidden("cannot be read");
    let start = file.start(&anchor).map_err(unreadable)??;
    let window = match start {
        Start::Before(end) => file.before(end, n),
        Start::From(start) => lines_from(file.file, start, size, n, file.max_line),
    };
    let window = window.map_err(unreadable)?;
    let mut answer = file.answer(&window, format);
    if let Some(g) = text.gzip() {
        compressed(&mut answer, g);
    }
    // At the start of a rotated file, scrolling back goes on in the next older member.
    if answer["first"] == 0
        && let Some(older) = family::older(&shared.sandbox, &path)
    {
        answer["older"] = json!(older);
    }
    Ok(answer.to_string())
}

/// What ended the text of the file at `path` early, as `{path, reason}`, for the answers
/// that read whole files (search, timeline).
pub fn damage(path: &Path, text: &Text) -> Option<Value> {
    let d = text.gzip()?.damage()?;
    Some(json!({ "path": path, "reason": d.to_string() }))
}

/// Says that the answer's text is decompressed, and what damage ended it early.
fn compressed(answer: &mut Value, g: &Gzip) {
    answer["compressed"] = json!(true);
    if let Some(d) = g.damage() {
        answer["damaged"] = json!(format!(
            "{d}; the {} bytes of text before the damage are shown",
            g.len()
        ));
    }
}

fn count(value: Option<&str>) -> Result<usize, Refusal> {
    match value {
        None => Ok(DEFAULT_LINES),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LINES).contains(n))
            .ok_or(Refusal::Malformed("lines must be a number from 1 to 10000")),
    }
}

/// Exactly one of `before`, `from`, `line` and `time`.
fn anchor(req: &Request) -> Result<Anchor, Refusal> {
    let offset = |v: String| {
        v.parse::<u64>()
            .map_err(|_| Refusal::Malformed("an offset must be a number of bytes"))
    };
    let given: Vec<(&str, String)> = ["before", "from", "line", "time"]
        .into_iter()
        .filter_map(|name| req.param(name).map(|v| (name, v)))
        .collect();
    let [(name, value)] = <[_; 1]>::try_from(given)
        .map_err(|_| Refusal::Malformed("give exactly one of before=, from=, line= and time="))?;
    Ok(match name {
        "before" => Anchor::Before(offset(value)?),
        "from" => Anchor::From(offset(value)?),
        "line" => Anchor::Line(
            value
                .parse()
                .ok()
                .filter(|&k| k >= 1)
                .ok_or(Refusal::Malformed("line must be a line number from 1"))?,
        ),
        _ => Anchor::Time(Moment::parse(&value).ok_or(Refusal::Malformed(
            "time must be RFC 3339 or YYYY-MM-DD HH:MM[:SS]",
        ))?),
    })
}

/// Where a window's lines are read from.
enum Start {
    /// The lines that end at this line start (or at the end of the file).
    Before(u64),
    /// The lines from this line start on.
    From(u64),
}

/// A file open for one answer.
struct Opened<'a> {
    file: &'a dyn ReadAt,
    size: u64,
    numbering: &'a Numbering,
    clock: &'a Clock,
    max_line: usize,
}

impl Opened<'_> {
    /// Resolves the anchor; the inner error is a value the file cannot answer.
    fn start(&self, anchor: &Anchor) -> io::Result<Result<Start, Refusal>> {
        let (file, size) = (self.file, self.size);
        let past = Refusal::Malformed("offset is past the end of the file");
        // A final line without its newline counts at the very end, as in the history.
        let line_start = |o: u64| {
            if o == size {
                Ok(size)
            } else {
                line_start(file, o)
            }
        };
        Ok(Ok(match *anchor {
            Anchor::Before(o) | Anchor::From(o) if o > size => return Ok(Err(past)),
            Anchor::Before(o) => Start::Before(line_start(o)?),
            Anchor::From(o) => Start::From(line_start(o)?),
            Anchor::Line(k) => match self.numbering.offset_of(file, k, size)? {
                Some(o) => Start::From(o),
                None => {
                    return Ok(Err(Refusal::Malformed("line is past the end of the file")));
                }
            },
            Anchor::Time(m) => match jump(file, size, m, self.clock)?.0 {
                Jump::At(o) => Start::From(o),
                Jump::NoStamps => {
                    return Ok(Err(Refusal::Malformed("no timestamps found in this file")));
                }
            },
        }))
    }

    /// The `n` lines that end at `end`.
    fn before(&self, end: u64, n: usize) -> io::Result<Window> {
        let start = history_start(self.file, end, n, &|| false)?;
        lines_from(self.file, start, end, n, self.max_line)
    }

    fn answer(&self, w: &Window, format: Format) -> Value {
        let mut renderer = Renderer::new(format);
        let first = w.lines.first().map_or(w.next, |l| l.offset);
        let number = self.numbering.number_at(self.file, first);
        let lines: Vec<Value> = w
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut text = String::new();
                renderer.line(&l.bytes, &mut text);
                text.pop(); // the renderer's `\n`
                let mut line = json!({ "offset": l.offset, "text": text });
                if let Some(n) = number {
                    line["number"] = json!(n + i as u64);
                }
                if let Some(s) = stamp::parse(&l.bytes) {
                    line["time"] = json!(self.clock.utc_ms(s));
                }
                line
            })
            .collect();
        let total = self.numbering.total(self.size);
        json!({
            "size": self.size,
            "lines": lines,
            "first": first,
            "next": w.next,
            "more_before": first > 0,
            "more_after": w.next < self.size,
            "partial": w.partial,
            "total": total,
            "indexed": total.is_some(),
        })
    }
}
