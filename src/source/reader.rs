//! Reading lines of a file from any position without reading the whole file: today, where
//! the last N lines before an offset start, found by reading backwards in blocks.
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
}
