//! Reading lines of a file from any position without reading the whole file: where the last
//! N lines before an offset start (read backwards in blocks), where the line holding an
//! offset starts, and the lines from a line start onwards.
//!
//! Guarantees: a scan reads at most the bytes it needs plus one block, never more than a
//! bound for files with few newlines, and stops when its client is gone.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes that can be read at any offset: a file, or a decompressed `.gz` member
/// ([`crate::source::gzip`]). Every scan here reads through it.
pub trait ReadAt: Sync {
    /// Fills `buf` from `offset`; ending early is `UnexpectedEof`.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, offset)
    }
}

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
pub fn history_start(
    file: &dyn ReadAt,
    len: u64,
    n: usize,
    gone: &dyn Fn() -> bool,
) -> io::Result<u64> {
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
pub fn complete_end(file: &dyn ReadAt, len: u64) -> io::Result<u64> {
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
pub fn line_start(file: &dyn ReadAt, offset: u64) -> io::Result<u64> {
    history_start(file, offset + 1, 1, &|| false)
}

/// How many `\n` the bytes from `from` to `to` hold (read forwards in blocks).
pub fn count_newlines(file: &dyn ReadAt, from: u64, to: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; BLOCK];
    let (mut pos, mut count) = (from, 0);
    while pos < to {
        let block = &mut buf[..(to - pos).min(BLOCK as u64) as usize];
        file.read_exact_at(block, pos)?;
        count += memchr::memchr_iter(b'\n', block).count() as u64;
        pos += block.len() as u64;
    }
    Ok(count)
}

/// Where the line `n` lines after the one starting at `start` starts, reading forwards up to
/// `end`: `None` when fewer than `n` newlines lie between them.
pub fn skip_lines(file: &dyn ReadAt, start: u64, n: u64, end: u64) -> io::Result<Option<u64>> {
    if n == 0 {
        return Ok(Some(start));
    }
    let mut buf = vec![0u8; BLOCK];
    let (mut pos, mut left) = (start, n);
    while pos < end {
        let block = &mut buf[..(end - pos).min(BLOCK as u64) as usize];
        file.read_exact_at(block, pos)?;
        let count = memchr::memchr_iter(b'\n', block).count() as u64;
        if count >= left {
            let i = memchr::memchr_iter(b'\n', block).nth(left as usize - 1);
            return Ok(i.map(|i| pos + i as u64 + 1));
        }
        left -= count;
        pos += block.len() as u64;
    }
    Ok(None)
}

/// A file read backwards in large blocks, each cut at a line start, so that every line lies
/// whole in one block: for searching from the newest line to the oldest.
pub struct Backward<'a> {
    file: &'a dyn ReadAt,
    /// Where the next (earlier) block ends: a line start.
    end: u64,
    block: usize,
    buf: Vec<u8>,
}

/// A line longer than this is split between blocks (its start is taken as a line start).
const MAX_BLOCK: usize = 64 << 20;

impl<'a> Backward<'a> {
    /// Blocks of about `block` bytes of the lines before `end` (a line start or the end).
    pub fn new(file: &'a dyn ReadAt, end: u64, block: usize) -> Self {
        Backward {
            file,
            end,
            block,
            buf: Vec::new(),
        }
    }

    /// The next block towards the start of the file: where it starts, and its bytes.
    pub fn next_block(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        if self.end == 0 {
            return Ok(None);
        }
        let mut size = self.block;
        loop {
            let start = self.end.saturating_sub(size as u64);
            self.buf.resize((self.end - start) as usize, 0);
            self.file.read_exact_at(&mut self.buf, start)?;
            // The bytes before the first `\n` belong to a line that starts earlier.
            // (A `\n` that ends the block ends its last line: it starts no line in it.)
            let cut = match memchr::memchr(b'\n', &self.buf) {
                _ if start == 0 => Some(0),
                Some(i) if i + 1 < self.buf.len() => Some(i + 1),
                _ if size >= MAX_BLOCK => Some(0),
                _ => None,
            };
            if let Some(cut) = cut {
                self.end = start + cut as u64;
                return Ok(Some((self.end, &self.buf[cut..])));
            }
            size *= 2; // a line longer than the block: read further back
        }
    }
}

/// Lines read forwards a small block at a time, keeping the first `keep` bytes of each: for
/// probing a file (time search) without reading more than the lines looked at.
pub struct Forward<'a> {
    file: &'a dyn ReadAt,
    end: u64,
    keep: usize,
    buf: Vec<u8>,
    /// `buf[at..]` is not consumed yet; `buf` holds the file from `base`.
    at: usize,
    base: u64,
    line_start: u64,
    line: Vec<u8>,
    /// Bytes read from the file so far.
    pub bytes_read: u64,
}

impl<'a> Forward<'a> {
    /// Lines from `start` (a line start) up to `end`, read `block` bytes at a time.
    pub fn new(file: &'a dyn ReadAt, start: u64, end: u64, block: usize, keep: usize) -> Self {
        Forward {
            file,
            end,
            keep,
            buf: Vec::with_capacity(block),
            at: 0,
            base: start,
            line_start: start,
            line: Vec::new(),
            bytes_read: 0,
        }
    }

    /// Lines that start at or after `pos` (any offset): the first is the one after the line
    /// holding byte `pos - 1`.
    pub fn after(
        file: &'a dyn ReadAt,
        pos: u64,
        end: u64,
        block: usize,
        keep: usize,
    ) -> io::Result<Self> {
        if pos == 0 {
            return Ok(Self::new(file, 0, end, block, keep));
        }
        let mut f = Self::new(file, pos - 1, end, block, keep);
        f.next_line()?;
        Ok(f)
    }

    /// Where the next line starts.
    pub fn position(&self) -> u64 {
        self.line_start
    }

    /// The next line: where it starts and its first `keep` bytes (without `\n`). A last line
    /// without its newline is a line.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        let start = self.line_start;
        self.line.clear();
        loop {
            if self.at == self.buf.len() {
                let from = self.base + self.buf.len() as u64;
                if from >= self.end {
                    self.line_start = self.end;
                    return Ok((start < self.end).then_some((start, &self.line[..])));
                }
                let n = (self.end - from).min(self.buf.capacity() as u64) as usize;
                self.buf.resize(n, 0);
                self.file.read_exact_at(&mut self.buf, from)?;
                (self.bytes_read, self.base, self.at) = (self.bytes_read + n as u64, from, 0);
            }
            let rest = &self.buf[self.at..];
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    push_bounded(&mut self.line, &rest[..i], self.keep);
                    self.at += i + 1;
                    self.line_start = self.base + self.at as u64;
                    return Ok(Some((start, &self.line[..])));
                }
                None => {
                    push_bounded(&mut self.line, rest, self.keep);
                    self.at = self.buf.len();
                }
            }
        }
    }
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
    file: &dyn ReadAt,
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
    fn counting_and_skipping_lines() {
        let content: Vec<u8> = (0..30_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let len = content.len() as u64;
        let f = file_of(&content, "count");
        assert_eq!(count_newlines(&f, 0, len).unwrap(), 30_000);
        assert_eq!(count_newlines(&f, 0, 7).unwrap(), 1);
        assert_eq!(count_newlines(&f, 7, 7).unwrap(), 0);
        // Where line i (0-based) starts; line 30,000 is the end of the file.
        let start = |i: u64| {
            content
                .split(|&b| b == b'\n')
                .take(i as usize)
                .map(|l| l.len() as u64 + 1)
                .sum::<u64>()
        };
        for (line, n) in [
            (0, 0),
            (0, 1),
            (0, 12_345),
            (1, 29_998),
            (0, 29_999),
            (0, 30_000),
            (5, 29_995),
        ] {
            let got = skip_lines(&f, start(line), n, len).unwrap();
            assert_eq!(got, Some(start(line + n)), "{line} + {n}");
        }
        assert_eq!(skip_lines(&f, 0, 30_001, len).unwrap(), None);
        assert_eq!(
            skip_lines(&f, 0, 2, 7).unwrap(),
            None,
            "end bounds the scan"
        );
    }

    #[test]
    fn backward_blocks_hold_whole_lines() {
        let mut content: Vec<u8> = (0..3000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        content.extend(vec![b'y'; 5000]);
        content.extend(b"\nlast");
        let f = file_of(&content, "backward");
        for block in [1, 7, 100, 4096, 1 << 20] {
            let mut back = Backward::new(&f, content.len() as u64, block);
            let mut seen: Vec<u8> = Vec::new();
            let mut prev = content.len() as u64;
            while let Some((start, bytes)) = back.next_block().unwrap() {
                assert_eq!(
                    start + bytes.len() as u64,
                    prev,
                    "contiguous, block {block}"
                );
                assert!(
                    start == 0 || content[start as usize - 1] == b'\n',
                    "cut at a line start"
                );
                let mut joined = bytes.to_vec();
                joined.extend_from_slice(&seen);
                seen = joined;
                prev = start;
            }
            assert_eq!(seen, content, "every byte once, block {block}");
        }
        let mut back = Backward::new(&f, 0, 100);
        assert!(back.next_block().unwrap().is_none());
    }

    #[test]
    fn forward_lines_from_anywhere() {
        let f = file_of(b"ab\ncd\n\nlong line\nend", "forward");
        let all = |mut fw: Forward| {
            let mut v = Vec::new();
            while let Some((o, l)) = fw.next_line().unwrap() {
                v.push((o, String::from_utf8_lossy(l).into_owned()));
            }
            v
        };
        let want = [(0, "ab"), (3, "cd"), (6, ""), (7, "long"), (17, "end")];
        let want: Vec<(u64, String)> = want.iter().map(|(o, t)| (*o, t.to_string())).collect();
        for block in [1, 2, 3, 64] {
            assert_eq!(
                all(Forward::new(&f, 0, 20, block, 4)),
                want,
                "block {block}"
            );
            for pos in 0..=20u64 {
                let first = want
                    .iter()
                    .position(|(o, _)| *o >= pos)
                    .unwrap_or(want.len());
                let fw = Forward::after(&f, pos, 20, block, 4).unwrap();
                assert_eq!(all(fw), want[first..], "after {pos}, block {block}");
            }
        }
        let mut fw = Forward::new(&f, 0, 20, 4, 100);
        fw.next_line().unwrap();
        assert_eq!((fw.position(), fw.bytes_read), (3, 4), "reads only a block");
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
