//! `GET /_logview/raw/<absolute path>`: the file as it is, for download, with single-range
//! requests (RFC 9110) so an interrupted download resumes (`curl -C -`).
//!
//! Guarantees: the file goes through the sandbox like every other read; the body is exactly
//! the bytes of the range announced in the head (a file that grows meanwhile is sent up to the
//! length it had when opened); a client that stops reading is dropped after the write
//! timeout; the body moves with `sendfile(2)`, from the page cache to the socket.

use std::fs::File;
use std::io;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::sendfile;
use rustix::io::Errno;

use crate::http::refusal::Refusal;
use crate::http::{Request, Response};
use crate::source::sandbox::Sandbox;

/// What a `Range` header asks of a file of a given length.
#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// No (usable) range: the whole file, `200`.
    Whole,
    /// Bytes `start..=end`, `206`.
    Part(u64, u64),
    /// A range that starts past the end: `416`.
    Unsatisfiable,
}

/// Reads a `Range` header. Only one `bytes` range is served; several ranges, other units and
/// malformed values are ignored (the whole file is sent), as RFC 9110 allows.
pub fn range(header: Option<&str>, len: u64) -> Range {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Range::Whole;
    };
    if spec.contains(',') {
        return Range::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    match (number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (None, Some(n)) if first.trim().is_empty() => match (n, len) {
            (0, _) | (_, 0) => Range::Unsatisfiable,
            (n, len) => Range::Part(len.saturating_sub(n), len - 1),
        },
        (Some(start), _) if start >= len => Range::Unsatisfiable,
        (Some(start), None) if last.trim().is_empty() => Range::Part(start, len - 1),
        (Some(start), Some(end)) if end >= start => Range::Part(start, end.min(len - 1)),
        _ => Range::Whole,
    }
}

/// Serves `path` (already decoded) to `stream`; `head_only` for a `HEAD` request.
pub fn serve(
    sandbox: &Sandbox,
    req: &Request,
    path: &Path,
    stream: &mut TcpStream,
    deadline: Duration,
) -> Result<(), Refusal> {
    let (file, meta) = sandbox.open_file(path)?;
    let len = meta.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (resp, start, count) = match range(req.header("range"), len) {
        Range::Whole => (Response::status(200, "OK"), 0, len),
        Range::Part(start, end) => (
            Response::status(206, "Partial Content")
                .with("Content-Range", format!("bytes {start}-{end}/{len}")),
            start,
            end - start + 1,
        ),
        Range::Unsatisfiable => {
            let resp = Response::status(416, "Range Not Satisfiable")
                .with("Content-Range", format!("bytes */{len}"));
            let _ = resp.write_head(stream, "text/plain; charset=utf-8", 0);
            return Ok(());
        }
    };
    let resp = resp
        .with("Accept-Ranges", "bytes")
        .with("Content-Disposition", attachment(&name))
        .with("Cache-Control", "no-store");
    if resp
        .write_head(stream, "application/octet-stream", count)
        .is_err()
        || req.method == "HEAD"
    {
        return Ok(());
    }
    if let Err(e) = send(&file, start, count, stream, deadline) {
        log::info!("download of {:?} ended early: {e}", path.display());
    }
    Ok(())
}

/// `attachment; filename="…"` with the name made safe for a quoted string, plus the exact
/// name in RFC 8187 form for clients that read it.
fn attachment(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let exact: String =
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).collect();
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

/// Sends `count` bytes of `file` from `start` with `sendfile(2)`, which says exactly how much
/// went out, waiting at most `deadline` for the client to take each piece (the socket is
/// non-blocking, so a stalled reader cannot hold the thread).
fn send(
    file: &File,
    start: u64,
    count: u64,
    stream: &mut TcpStream,
    deadline: Duration,
) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    let (mut offset, end) = (start, start + count);
    while offset < end {
        let want = usize::try_from(end - offset)
            .unwrap_or(usize::MAX)
            .min(PIECE);
        match sendfile(&*stream, file, Some(&mut offset), want) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(Errno::AGAIN) => writable(stream, deadline)?,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Bytes handed to one `sendfile` call.
const PIECE: usize = 4 << 20;

/// Waits until `stream` can take more bytes, at most `limit`.
fn writable(stream: &TcpStream, limit: Duration) -> io::Result<()> {
    let until = Instant::now() + limit;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let mut fds = [PollFd::new(stream, PollFlags::OUT)];
        let timeout = rustix::event::Timespec::try_from(left).map_err(io::Error::other)?;
        match poll(&mut fds, Some(&timeout)) {
            Ok(n) if n > 0 => return Ok(()),
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(range(None, 100), Range::Whole);
        assert_eq!(range(Some("bytes=0-9"), 100), Range::Part(0, 9));
        assert_eq!(range(Some("bytes=90-"), 100), Range::Part(90, 99));
        assert_eq!(range(Some("bytes=90-200"), 100), Range::Part(90, 99));
        assert_eq!(range(Some("bytes=-10"), 100), Range::Part(90, 99));
        assert_eq!(range(Some("bytes=-200"), 100), Range::Part(0, 99));
        assert_eq!(range(Some("bytes=100-"), 100), Range::Unsatisfiable);
        assert_eq!(range(Some("bytes=-0"), 100), Range::Unsatisfiable);
        assert_eq!(range(Some("bytes=0-"), 0), Range::Unsatisfiable);
        for ignored in [
            "bytes=5-1",
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(range(Some(ignored), 100), Range::Whole, "{ignored}");
        }
    }

    #[test]
    fn attachment_names_are_quoted_safely() {
        assert_eq!(
            attachment("app.log"),
            "attachment; filename=\"app.log\"; filename*=UTF-8''app%2Elog"
        );
        let tricky = attachment("a\"b\\c\r\nd é.log");
        assert!(
            tricky.starts_with("attachment; filename=\"a_b_c__d _.log\";"),
            "{tricky}"
        );
        assert!(!tricky.contains('\r') && !tricky.contains('\n'));
    }
}
