//! Reading lines of a file from any position without reading the whole file: where the last
//! N lines before an offset start (read backwards in blocks), where the line holding an
//! offset starts, and the lines from a line start onwards.
//!
//! Guarantees: a scan reads at most the bytes it needs plus one block, never more than a
//! bound for files with few newlines, and stops when its client is gone.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes read per step of a backward scan.
const BLOCK: usize = 64 * 1024;
/// History scans at least this far back for its lines...
const HISTORY_SCAN_MIN: u64 = 16 << 20;
/// ... or this much per requested line, whichever is more.
const HISTORY_SCAN_PER_LINE: u64 = 4096;
/// How often (in bytes scanned) a long history scan checks that its client is still there.
const GONE_CHECK: u64 = 16 * BLOCK as u64;

/// Where the last `n` lines of a file of length `len` start, found by reading backwards in
/// blocks. A final newline does not count as the start of an empty line. Every
/// [`GONE_CHECK`] bytes `gone` is asked whether anyone still waits for the answer; when not,
/// the scan ends with `ConnectionAborted`.
pub fn history_start(file: &File, len: u64, n: usize, gone: &dyn Fn() -> bool) -> io::Result<u64> {
    if n == 0 {
        return Ok(len);
    }
    // A file with few newlines (binary, or giant lines) is not scanned whole: past this many
    // bytes the history starts where the scan stopped, mid-line.
    let limit = len.saturating_sub(HISTORY_SCAN_MIN.max(n as u64 * HISTORY_SCAN_PER_LINE));
    let mut buf = vec![0u8; BLOCK];
    let mut end = len;
    let mut seen = 0;
    // The byte at len-1 being '\n' ends the last line; it is not a boundary to count.
    let mut skip_last = true;
    while end > 0 {
        let start = end.saturating_sub(BLOCK as u64);
        let block = &mut buf[..(end - start) as usize];
        file.read_exact_at(block, start)?;
        for i in memchr::memrchr_iter(b'\n', block) {
            let at = start + i as u64;
            if skip_last && at == len - 1 {
                continue;
            }
            seen += 1;
            if seen == n {
                return Ok(at + 1);
            }
        }
        skip_last = false;
        end = start;
        if end <= limit {
            return Ok(end);
        }
        if (len - end).is_multiple_of(GONE_CHECK) && gone() {
            return Err(io::ErrorKind::ConnectionAborted.into());
        }
    }
    Ok(0)
}

/// Where the complete lines of a file of length `len` end: after its last `\n`.
pub fn complete_end(file: &File, len: u64) -> io::Result<u64> {
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8];
    file.read_exact_at(&mut last, len - 1)?;
    match last[0] {
        b'\n' => Ok(len),
        _ => line_start(file, len - 1),
    }
}

/// Where the line holding byte `offset` starts (`offset` < the file's length).
pub fn line_start(file: &File, offset: u64) -> io::Result<u64> {
    history_start(file, offset + 1, 1, &|| false)
}

/// One line read forwards: where it starts and its bytes (without `\n`, cut to the bound).
#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// Lines read forwards from `start` (a line start), at most `n`, not past `end`.
#[derive(Debug, Default)]
pub struct Window {
    pub lines: Vec<Line>,
    /// Where the line after the last one starts (or `end`).
    pub next: u64,
    /// The last line reaches `end` without a `\n` (still being written, or cut by `end`).
    pub partial: bool,
}

/// Reads up to `n` lines from `start` up to `end`, each cut to `max_line` bytes, in blocks.
pub fn lines_from(
    file: &File,
    start: u64,
    end: u64,
    n: usize,
    max_line: usize,
) -> io::Result<Window> {
    let mut w = Window {
        next: start,
        ..Window::default()
    };
    let mut buf = vec![0u8; BLOCK];
    let (mut pos, mut line) = (start, Vec::new());
    while pos < end && w.lines.len() < n {
        let block = &mut buf[..(end - pos).min(BLOCK as u64) as usize];
        file.read_exact_at(block, pos)?;
        let mut rest: &[u8] = block;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            push_bounded(&mut line, &rest[..i], max_line);
            let at = pos + (block.len() - rest.len() + i) as u64;
            let bytes = std::mem::take(&mut line);
            w.lines.push(Line {
                offset: w.next,
                bytes,
            });
            w.next = at + 1;
            rest = &rest[i + 1..];
            if w.lines.len() == n {
                return Ok(w);
            }
        }
        push_bounded(&mut line, rest, max_line);
        pos += block.len() as u64;
    }
    if w.next < end && w.lines.len() < n {
        w.lines.push(Line {
            offset: w.next,
            bytes: line,
        });
        (w.next, w.partial) = (end, true);
    }
    Ok(w)
}

fn push_bounded(line: &mut Vec<u8>, data: &[u8], max: usize) {
    let room = max.saturating_sub(line.len());
    line.extend_from_slice(&data[..data.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn start_of(content: &[u8], n: usize) -> u64 {
        let d = std::env::temp_dir().join(format!(
            "logview-reader-{}-{n}-{}",
            content.len(),
            std::process::id()
        ));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("f"), content).unwrap();
        let f = File::open(d.join("f")).unwrap();
        history_start(&f, content.len() as u64, n, &|| false).unwrap()
    }

    #[test]
    fn history_start_counts_lines_from_the_end() {
        assert_eq!(start_of(b"a\nb\nc\n", 2), 2);
        assert_eq!(
            start_of(b"a\nb\nc", 2),
            2,
            "final line without newline counts"
        );
        assert_eq!(start_of(b"a\nb\nc\n", 10), 0);
        assert_eq!(start_of(b"a\nb\nc\n", 0), 6);
        assert_eq!(start_of(b"", 5), 0);
        assert_eq!(start_of(b"\n\n\n", 2), 1);
        let big: Vec<u8> = (0..100_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let s = start_of(&big, 3) as usize;
        assert_eq!(&big[s..], b"line 99997\nline 99998\nline 99999\n");
        let no_newlines = vec![b'x'; 40 << 20];
        let s = start_of(&no_newlines, 10);
        assert!(
            s > 0 && no_newlines.len() as u64 - s <= 17 << 20,
            "scan bounded, got {s}"
        );
    }

    fn file_of(content: &[u8], tag: &str) -> File {
        let p = std::env::temp_dir().join(format!("logview-reader-{tag}-{}", std::process::id()));
        fs::write(&p, content).unwrap();
        let f = File::open(&p).unwrap();
        let _ = fs::remove_file(&p);
        f
    }

    fn texts(w: &Window) -> Vec<(u64, String)> {
        w.lines
            .iter()
            .map(|l| (l.offset, String::from_utf8_lossy(&l.bytes).into_owned()))
            .collect()
    }

    #[test]
    fn line_starts_and_windows_forwards() {
        let f = file_of(b"ab\ncd\n\nef", "window");
        assert_eq!(
            (0..9)
                .map(|o| line_start(&f, o).unwrap())
                .collect::<Vec<_>>(),
            [0, 0, 0, 3, 3, 3, 6, 7, 7]
        );
        let w = lines_from(&f, 0, 9, 10, 100).unwrap();
        let want = [(0, "ab"), (3, "cd"), (6, ""), (7, "ef")];
        let want: Vec<(u64, String)> = want.iter().map(|(o, t)| (*o, t.to_string())).collect();
        assert_eq!(texts(&w), want);
        assert_eq!((w.next, w.partial), (9, true));
        let w = lines_from(&f, 3, 9, 2, 100).unwrap();
        assert_eq!(texts(&w), want[1..3]);
        assert_eq!((w.next, w.partial), (7, false));
        let w = lines_from(&f, 0, 6, 10, 1).unwrap();
        assert_eq!(texts(&w), [(0, "a".to_string()), (3, "c".to_string())]);
        assert_eq!((w.next, w.partial), (6, false));
    }

    #[test]
    fn windows_cross_block_boundaries() {
        let content: Vec<u8> = (0..30_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let f = file_of(&content, "blocks");
        let w = lines_from(&f, 0, content.len() as u64, 30_000, 100).unwrap();
        assert_eq!(w.lines.len(), 30_000);
        for (i, l) in w.lines.iter().enumerate() {
            assert_eq!(l.bytes, format!("line {i}").into_bytes());
            assert_eq!(&content[l.offset as usize..][..l.bytes.len()], &l.bytes[..]);
        }
        assert_eq!((w.next, w.partial), (content.len() as u64, false));
    }
}
