//! Lines over time: a histogram of a file's lines by the moment of their stamp (a line without
//! a stamp counts with the stamped line before it), kept per file identity and extended by the
//! new bytes as the file grows; and the matching lines of a query, by the same moments.
//!
//! Guarantees: counts only complete lines (a half-written last line counts once it ends), so
//! the buckets sum to the file's complete lines; memory is bounded by [`MAX_CELLS`] cells
//! (the resolution coarsens, through steps that each divide the next, to stay under it).

use std::collections::BTreeMap;
use std::fs::File;
use std::io;

use crate::index::time::Clock;
use crate::source::position::Fingerprint;
use crate::source::reader::ReadAt;
use crate::text::search::Filter;
use crate::text::time::{self, SecondKey};

/// Bucket widths in seconds; each divides the next, so counts at one regroup exactly into any
/// later one.
pub const WIDTHS: [i64; 13] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21_600, 43_200, 86_400,
];
/// Cells kept at most before the resolution coarsens.
const MAX_CELLS: usize = 20_000;
/// Bytes read at a time.
const BLOCK: usize = 1 << 20;

/// The lines of one cell: how many, and where the first starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub lines: u64,
    pub offset: u64,
}

/// A file's lines by time.
#[derive(Debug)]
pub struct Histogram {
    /// Seconds per cell: one of [`WIDTHS`], or a multiple of a day.
    res: i64,
    /// Cell index (UTC seconds / `res`) to its lines.
    cells: BTreeMap<i64, Cell>,
    /// Lines before the first stamp.
    unstamped: u64,
    /// Complete lines counted, up to here (a line start).
    scanned: u64,
    fp: Fingerprint,
    /// The UTC second of the last stamp seen.
    current: Option<i64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            res: 1,
            cells: BTreeMap::new(),
            unstamped: 0,
            scanned: 0,
            fp: Fingerprint::default(),
            current: None,
        }
    }
}

/// Reads `file` forwards from `from` to `len` in blocks of whole lines, calling `each(start,
/// block)`; returns where the complete lines end.
fn whole_lines(
    file: &dyn ReadAt,
    mut from: u64,
    len: u64,
    each: &mut dyn FnMut(u64, &[u8]),
) -> io::Result<u64> {
    let mut buf = vec![0u8; BLOCK];
    while from < len {
        let n = (len - from).min(buf.len() as u64) as usize;
        file.read_exact_at(&mut buf[..n], from)?;
        match memchr::memrchr(b'\n', &buf[..n]) {
            Some(last) => {
                each(from, &buf[..=last]);
                from += last as u64 + 1;
            }
            // No line ends here: a longer line (read more at once), or a half-written last one.
            None if from + (n as u64) < len && buf.len() < 64 << 20 => {
                buf.resize(buf.len() * 2, 0);
            }
            None if from + (n as u64) < len => {
                each(from, &buf[..n]);
                from += n as u64;
            }
            None => break,
        }
    }
    Ok(from)
}

/// The UTC second of a line's own stamp.
fn second(line: &[u8], clock: &Clock) -> Option<i64> {
    time::parse(line).map(|s| clock.utc_ms(s).div_euclid(1000))
}

impl Histogram {
    /// True when the file still holds the bytes counted.
    pub fn still_matches(&self, file: &File, len: u64) -> io::Result<bool> {
        Ok(len >= self.scanned && self.fp.matches(file, self.scanned)?)
    }

    /// Counts the complete lines from where counting stopped to `len`.
    pub fn extend(&mut self, file: &dyn ReadAt, len: u64, clock: &Clock) -> io::Result<()> {
        let counted = self.count_more(file, len, clock);
        if counted.is_err() {
            // Counts of a part read before the error would be counted again: start afresh.
            *self = Histogram::default();
        }
        counted
    }

    fn count_more(&mut self, file: &dyn ReadAt, len: u64, clock: &Clock) -> io::Result<()> {
        let mut last = SecondKey::default();
        let end = whole_lines(file, self.scanned, len, &mut |start, block| {
            let mut at = 0;
            let ends = memchr::memchr_iter(b'\n', block);
            let tail = (block.last() != Some(&b'\n')).then_some(block.len());
            for nl in ends.chain(tail) {
                let line = &block[at..nl];
                // Lines stamped in the same second as the last are not parsed again.
                if !last.matches(line)
                    && let Some(s) = second(line, clock)
                {
                    self.current = Some(s);
                    last = SecondKey::of(line).unwrap_or_default();
                }
                self.count(start + at as u64);
                at = nl + 1;
            }
            // The blocks are the counted bytes in order: their end is what `still_matches`
            // finds again.
            self.fp.push(block);
        })?;
        self.scanned = end;
        Ok(())
    }

    fn count(&mut self, offset: u64) {
        let Some(s) = self.current else {
            self.unstamped += 1;
            return;
        };
        let cell = self
            .cells
            .entry(s.div_euclid(self.res))
            .or_insert(Cell { lines: 0, offset });
        cell.lines += 1;
        if self.cells.len() > MAX_CELLS {
            self.coarsen();
        }
    }

    /// Regroups the cells at the next resolution.
    fn coarsen(&mut self) {
        let next = WIDTHS
            .iter()
            .copied()
            .find(|&w| w > self.res)
            .unwrap_or(self.res * 2);
        let mut cells: BTreeMap<i64, Cell> = BTreeMap::new();
        for (k, c) in std::mem::take(&mut self.cells) {
            let into = cells
                .entry((k * self.res).div_euclid(next))
                .or_insert(Cell {
                    lines: 0,
                    offset: c.offset,
                });
            into.lines += c.lines;
            into.offset = into.offset.min(c.offset);
        }
        (self.cells, self.res) = (cells, next);
    }

    /// Where the counted lines end.
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// Complete lines counted.
    pub fn lines(&self) -> u64 {
        self.unstamped + self.cells.values().map(|c| c.lines).sum::<u64>()
    }

    /// The counted lines in about `n` buckets: their width in seconds and, for each bucket
    /// from the first stamp's to the last's, its start (UTC second) and lines. Lines before the
    /// first stamp count in the first bucket.
    pub fn buckets(&self, n: usize) -> (i64, Vec<(i64, Cell)>) {
        let Some((first, last)) = self.span() else {
            return (self.res, Vec::new());
        };
        let width = width_for(last - first + 1, n as i64, self.res);
        let mut out = empty_buckets(first, last, width);
        self.add_into(&mut out, width);
        (width, out)
    }

    /// The first and last second the counted cells cover.
    pub fn span(&self) -> Option<(i64, i64)> {
        let (first, _) = self.cells.first_key_value()?;
        let (last, _) = self.cells.last_key_value()?;
        Some((first * self.res, (last + 1) * self.res - 1))
    }

    /// Seconds per cell counted.
    pub fn resolution(&self) -> i64 {
        self.res
    }

    /// Adds the counted lines to `out`, buckets of `width` seconds (a multiple of the
    /// resolution) that cover [`Self::span`]; lines before the first stamp go to the first.
    pub fn add_into(&self, out: &mut [(i64, Cell)], width: i64) {
        let Some(&(start, _)) = out.first() else {
            return;
        };
        for (&k, c) in &self.cells {
            let b = &mut out[((k * self.res - start).div_euclid(width)) as usize].1;
            b.lines += c.lines;
            b.offset = b.offset.min(c.offset);
        }
        out[0].1.lines += self.unstamped;
        if self.unstamped > 0 {
            out[0].1.offset = 0;
        }
    }
}

/// Empty buckets of `width` seconds covering the seconds `first` to `last`.
pub fn empty_buckets(first: i64, last: i64, width: i64) -> Vec<(i64, Cell)> {
    let (start, end) = (first.div_euclid(width), last.div_euclid(width));
    let empty = Cell {
        lines: 0,
        offset: u64::MAX,
    };
    (start..=end).map(|b| (b * width, empty)).collect()
}

/// The bucket width for `span` seconds in about `n` buckets: the smallest of [`WIDTHS`] (or
/// whole days) that gives at most `n`, and no finer than the resolution counted.
pub fn width_for(span: i64, n: i64, res: i64) -> i64 {
    let want = (span + n - 1) / n.max(1);
    let w = WIDTHS
        .iter()
        .copied()
        .find(|&w| w >= want)
        .unwrap_or_else(|| (want + 86_399) / 86_400 * 86_400);
    let w = w.max(res);
    // Whole days when counted in days beyond the table.
    if w % res == 0 { w } else { (w / res + 1) * res }
}

/// Calls `each` with the UTC second of every line of `file` (up to `len`) that matches `q`:
/// the moment of its own stamp or of the stamped line before it (matches before the first
/// stamp are not given).
pub fn matches(
    file: &dyn ReadAt,
    len: u64,
    q: &Filter,
    clock: &Clock,
    each: &mut dyn FnMut(i64),
) -> io::Result<()> {
    let mut current: Option<i64> = None;
    // The key of the stamp `current` came from, when it was a matching line's own.
    let mut key = SecondKey::default();
    whole_lines(file, 0, len, &mut |_, block| {
        let mut prev_end = 0;
        q.matching_lines(block, &mut |s, e| {
            let line = &block[s..e];
            // `current` is the second of `key`'s line while `key` is set.
            let hit = current.is_some() && key.matches(line);
            let own = if hit { current } else { second(line, clock) };
            if !hit {
                key = own.and_then(|_| SecondKey::of(line)).unwrap_or_default();
            }
            let t = own.or_else(|| {
                // An unstamped line: the stamped line before it, in this block or an earlier.
                stamp_before(&block[prev_end..s], clock).or(current)
            });
            if let Some(t) = t {
                current = Some(t);
                each(t);
            }
            prev_end = s;
            true
        });
        if let Some(t) = stamp_before(&block[prev_end..], clock) {
            current = Some(t);
            key = SecondKey::default();
        }
    })?;
    Ok(())
}

/// The moment of the last stamped line of `bytes` (whole lines), reading backwards.
fn stamp_before(bytes: &[u8], clock: &Clock) -> Option<i64> {
    let mut end = bytes.len();
    while end > 0 {
        let start = memchr::memrchr(b'\n', &bytes[..end - 1]).map_or(0, |i| i + 1);
        if let Some(t) = second(&bytes[start..end], clock) {
            return Some(t);
        }
        end = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarsening_keeps_each_bucket_at_its_first_line() {
        // A line stamped a second later comes first; then enough seconds to coarsen.
        let mut text = String::from("2026-11-25T00:00:11Z A\n2026-11-25T00:00:10Z B\n");
        for i in 0..(MAX_CELLS as u64 + 10) {
            let t = 20 + i;
            text += &format!(
                "2026-11-25T{:02}:{:02}:{:02}Z x\n",
                t / 3600,
                t / 60 % 60,
                t % 60
            );
        }
        let p = std::env::temp_dir().join(format!("logview-timeline-{}", std::process::id()));
        std::fs::write(&p, &text).unwrap();
        let f = File::open(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        let mut h = Histogram::default();
        h.extend(
            &f,
            text.len() as u64,
            &Clock::new(None, std::time::SystemTime::now()),
        )
        .unwrap();
        assert!(h.res > 1, "coarsened");
        let (_, buckets) = h.buckets(10);
        assert_eq!(
            buckets[0].1.offset, 0,
            "the bucket starts at its first line"
        );
        assert_eq!(h.lines(), MAX_CELLS as u64 + 12);
        // A read that fails (the file is shorter than said) leaves no partial counts.
        let mut h = Histogram::default();
        assert!(
            h.extend(
                &f,
                text.len() as u64 + 5_000_000,
                &Clock::new(None, std::time::SystemTime::now())
            )
            .is_err()
        );
        assert_eq!((h.lines(), h.scanned()), (0, 0));
    }

    #[test]
    fn widths_divide_and_fit() {
        for pair in WIDTHS.windows(2) {
            assert_eq!(pair[1] % pair[0], 0, "{pair:?}");
        }
        assert_eq!(width_for(3600, 120, 1), 30);
        assert_eq!(width_for(100_000, 120, 1), 1800);
        assert_eq!(width_for(86_400 * 365, 120, 1), 86_400 * 4);
        assert_eq!(width_for(60, 120, 1), 1);
        assert_eq!(width_for(60, 120, 10), 10, "never finer than counted");
    }
}
