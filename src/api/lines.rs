//! `GET /_logview/api/lines?path=ABS&lines=N&before=OFFSET` or `…&from=OFFSET`: a window of
//! lines anywhere in a file, for scrolling back and jumping, as JSON.
//!
//! Guarantees: the file goes through the sandbox; an answer reads only the bytes of its
//! window (plus the backward scan to find its first line), never the whole file; every value
//! is checked (a malformed or out-of-range one is a 400 with the reason); line text is the
//! same text or safe HTML the WebSocket sends.

use std::fs::File;
use std::io;

use serde_json::{Value, json};

use crate::http::Request;
use crate::http::refusal::Refusal;
use crate::render::{Format, Renderer};
use crate::source::reader::{Window, history_start, line_start, lines_from};
use crate::source::sandbox;
use crate::state::Shared;

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
}

/// The window as JSON.
pub fn lines(shared: &Shared, req: &Request) -> Result<String, Refusal> {
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
    let (file, meta) = shared.sandbox.open_file(&sandbox::plain(&path)?)?;
    let size = meta.len();
    let window = read(&file, size, &anchor, n, shared.config.max_line)
        .map_err(|_| Refusal::Forbidden("cannot be read"))??;
    Ok(answer(size, &window, format).to_string())
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

/// Exactly one of `before` and `from`, as a byte offset.
fn anchor(req: &Request) -> Result<Anchor, Refusal> {
    let offset = |v: String| {
        v.parse::<u64>()
            .map_err(|_| Refusal::Malformed("an offset must be a number of bytes"))
    };
    if req.param("line").is_some() || req.param("time").is_some() {
        return Err(Refusal::Malformed("line= and time= are not supported yet"));
    }
    match (req.param("before"), req.param("from")) {
        (Some(b), None) => Ok(Anchor::Before(offset(b)?)),
        (None, Some(f)) => Ok(Anchor::From(offset(f)?)),
        _ => Err(Refusal::Malformed("give exactly one of before= and from=")),
    }
}

/// Reads the window; the inner error is an offset past the end of the file.
fn read(
    file: &File,
    size: u64,
    anchor: &Anchor,
    n: usize,
    max_line: usize,
) -> io::Result<Result<Window, Refusal>> {
    let past = Refusal::Malformed("offset is past the end of the file");
    Ok(Ok(match *anchor {
        Anchor::Before(o) if o > size => return Ok(Err(past)),
        Anchor::From(o) if o > size => return Ok(Err(past)),
        Anchor::Before(o) => {
            // A final line without its newline counts at the very end, as in the history.
            let end = if o == size {
                size
            } else {
                line_start(file, o)?
            };
            let start = history_start(file, end, n, &|| false)?;
            lines_from(file, start, end, n, max_line)?
        }
        Anchor::From(o) => {
            let start = if o == size {
                size
            } else {
                line_start(file, o)?
            };
            lines_from(file, start, size, n, max_line)?
        }
    }))
}

fn answer(size: u64, w: &Window, format: Format) -> Value {
    let mut renderer = Renderer::new(format);
    let lines: Vec<Value> = w
        .lines
        .iter()
        .map(|l| {
            let mut text = String::new();
            renderer.line(&l.bytes, &mut text);
            text.pop(); // the renderer's `\n`
            json!({ "offset": l.offset, "text": text })
        })
        .collect();
    let first = w.lines.first().map_or(w.next, |l| l.offset);
    json!({
        "size": size,
        "lines": lines,
        "first": first,
        "next": w.next,
        "more_before": first > 0,
        "more_after": w.next < size,
        "partial": w.partial,
    })
}
