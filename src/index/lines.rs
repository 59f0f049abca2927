//! The sparse line index of one file: a mark (a line start and its 1-based number) about every
//! [`STEP`] bytes, so the number of any line, or the start of any numbered line, is found by
//! reading at most the bytes between two marks.
//!
//! Guarantees: marks only ever describe bytes that were counted; the index grows by counting
//! only new bytes, and [`LineIndex::still_matches`] tells when the file under it changed
//! (truncated, rewritten) so it must start again. Memory: 16 bytes per mark, about 256 KiB
//! per GiB of log.

use std::fs::File;
use std::io;

use crate::source::position::Fingerprint;
use crate::source::reader::{ReadAt, count_newlines, skip_lines};

/// Bytes between marks (at least; a mark sits at the first line start past the step).
pub const STEP: u64 = 64 * 1024;

/// A line start and its number: where counting starts (the file is read without the
/// index's lock held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    offset: u64,
    number: u64,
}

impl Mark {
    /// The number of the line starting at `offset`, at or after this mark.
    pub fn number_at(self, file: &dyn ReadAt, offset: u64) -> io::Result<Option<u64>> {
        Ok(Some(
            self.number + count_newlines(file, self.offset, offset)?,
        ))
    }

    /// Where line `number`, at or after this mark, starts in a file of `len` bytes.
    pub fn offset_of(self, file: &dyn ReadAt, number: u64, len: u64) -> io::Result<Option<u64>> {
        let found = skip_lines(file, self.offset, number - self.number, len)?;
        // A line starts before the end (a last line without its newline still counts).
        Ok(found.filter(|&o| o < len))
    }
}

/// Line numbers of the counted part of a file.
#[derive(Debug)]
pub struct LineIndex {
    /// Ascending in both fields; the first is line 1 at offset 0.
    marks: Vec<Mark>,
    /// The last line start counted (just after the last `\n` seen)...
    end: Mark,
    /// ... and the bytes counted, up to which the file is known (may be mid-line).
    scanned: u64,
    /// The bytes just before `scanned`, to notice that the file was rewritten.
    fp: Fingerprint,
}

impl Default for LineIndex {
    fn default() -> Self {
        let start = Mark {
            offset: 0,
            number: 1,
        };
        LineIndex {
            marks: vec![start],
            end: start,
            scanned: 0,
            fp: Fingerprint::default(),
        }
    }
}

impl LineIndex {
    /// Bytes counted so far.
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// Counts `block`, the bytes of the file from [`LineIndex::scanned`] on.
    pub fn push(&mut self, block: &[u8]) {
        for chunk in block.chunks(STEP as usize) {
            let at = self.scanned;
            if let Some(last) = memchr::memrchr(b'\n', chunk) {
                self.end = Mark {
                    offset: at + last as u64 + 1,
                    number: self.end.number + memchr::memchr_iter(b'\n', chunk).count() as u64,
                };
                let newest = self.marks.last().map_or(0, |m| m.offset);
                if self.end.offset - newest >= STEP {
                    self.marks.push(self.end);
                }
            }
            self.scanned += chunk.len() as u64;
        }
        self.fp.push(block);
    }

    /// True when the file still holds the bytes counted: it is as long and ends the counted
    /// part with the same bytes.
    pub fn still_matches(&self, file: &File, len: u64) -> io::Result<bool> {
        if len < self.scanned {
            return Ok(false);
        }
        self.fp.matches(file, self.scanned)
    }

    /// The number of the line starting at `offset` (a line start), when it was counted.
    pub fn number_at(&self, file: &dyn ReadAt, offset: u64) -> io::Result<Option<u64>> {
        self.mark_before(offset)
            .map_or(Ok(None), |m| m.number_at(file, offset))
    }

    /// Where line `number` (1-based) starts, counting on past the index up to `len` when it
    /// lies beyond; `None` when the file has fewer lines.
    pub fn offset_of(&self, file: &dyn ReadAt, number: u64, len: u64) -> io::Result<Option<u64>> {
        self.mark_for(number)
            .map_or(Ok(None), |m| m.offset_of(file, number, len))
    }

    /// The last mark at or before `offset`, when `offset` lies in the counted part.
    pub fn mark_before(&self, offset: u64) -> Option<Mark> {
        (offset <= self.end.offset)
            .then(|| self.marks[self.marks.partition_point(|m| m.offset <= offset) - 1])
    }

    /// The mark to count from to line `number`: the last one before it (or the end).
    pub fn mark_for(&self, number: u64) -> Option<Mark> {
        match number {
            0 => None,
            n if n >= self.end.number => Some(self.end),
            n => Some(self.marks[self.marks.partition_point(|m| m.number <= n) - 1]),
        }
    }

    /// Lines in a file of `len` bytes, once all of it is counted: the complete lines and a
    /// last one without its newline.
    pub fn total(&self, len: u64) -> Option<u64> {
        let complete = self.end.number - 1;
        (self.scanned == len).then_some(complete + u64::from(len > self.end.offset))
    }

    /// Memory the index holds, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.marks.capacity() * std::mem::size_of::<Mark>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn file_of(content: &[u8], tag: &str) -> File {
        let p = std::env::temp_dir().join(format!("logview-index-{tag}-{}", std::process::id()));
        fs::write(&p, content).unwrap();
        let f = File::open(&p).unwrap();
        let _ = fs::remove_file(&p);
        f
    }

    fn starts(content: &[u8]) -> Vec<u64> {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', content).map(|i| i as u64 + 1));
        v
    }

    fn indexed(content: &[u8], piece: usize) -> LineIndex {
        let mut ix = LineIndex::default();
        for block in content.chunks(piece) {
            ix.push(block);
        }
        ix
    }

    #[test]
    fn numbers_and_offsets_agree_with_a_plain_count() {
        let content: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}{}\n", "x".repeat(i % 97)).into_bytes())
            .collect();
        let f = file_of(&content, "agree");
        let len = content.len() as u64;
        let starts = starts(&content);
        for piece in [1 << 20, 4096, 777] {
            let ix = indexed(&content, piece);
            assert!(ix.marks.len() > 10, "sparse marks: {}", ix.marks.len());
            assert_eq!(ix.total(len), Some(50_000));
            for k in [0usize, 1, 2, 999, 12_345, 49_998, 49_999] {
                assert_eq!(ix.number_at(&f, starts[k]).unwrap(), Some(k as u64 + 1));
                assert_eq!(
                    ix.offset_of(&f, k as u64 + 1, len).unwrap(),
                    Some(starts[k])
                );
            }
            assert_eq!(ix.offset_of(&f, 50_001, len).unwrap(), None, "past the end");
        }
    }

    #[test]
    fn a_partial_index_counts_on_and_knows_what_it_has_not_seen() {
        let content: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let f = file_of(&content, "partial");
        let len = content.len() as u64;
        let starts = starts(&content);
        let ix = indexed(&content[..50_000], 4096);
        assert_eq!(ix.total(len), None);
        assert_eq!(ix.number_at(&f, starts[19_000]).unwrap(), None);
        assert_eq!(ix.offset_of(&f, 19_001, len).unwrap(), Some(starts[19_000]));
        assert_eq!(ix.number_at(&f, starts[3]).unwrap(), Some(4));
    }

    #[test]
    fn a_last_line_without_newline_is_a_line() {
        let f = file_of(b"a\nb\nhalf", "half");
        let ix = indexed(b"a\nb\nhalf", 3);
        assert_eq!(ix.total(8), Some(3));
        assert_eq!(ix.offset_of(&f, 3, 8).unwrap(), Some(4));
        assert_eq!(ix.offset_of(&f, 4, 8).unwrap(), None);
        assert_eq!(ix.number_at(&f, 4).unwrap(), Some(3));
        let ix = indexed(b"a\nb\n", 3);
        assert_eq!(ix.total(4), Some(2));
        let f = file_of(b"a\nb\n", "whole");
        assert_eq!(
            ix.offset_of(&f, 3, 4).unwrap(),
            None,
            "no line after the last newline"
        );
        assert_eq!(ix.offset_of(&f, 0, 4).unwrap(), None, "numbers start at 1");
        assert_eq!(LineIndex::default().total(0), Some(0));
    }

    #[test]
    fn a_rewritten_file_no_longer_matches() {
        let p = std::env::temp_dir().join(format!("logview-index-rw-{}", std::process::id()));
        fs::write(&p, b"one\ntwo\n").unwrap();
        let f = File::open(&p).unwrap();
        let ix = indexed(b"one\ntwo\n", 100);
        assert!(ix.still_matches(&f, 8).unwrap());
        fs::write(&p, b"one\ntwo\nthree\n").unwrap();
        assert!(ix.still_matches(&f, 14).unwrap(), "grown");
        fs::write(&p, b"ONE\nTWO\nthree\n").unwrap();
        assert!(!ix.still_matches(&f, 14).unwrap(), "rewritten");
        assert!(!ix.still_matches(&f, 4).unwrap(), "truncated");
        let _ = fs::remove_file(&p);
    }
}
