//! A search query and the lines of a block of bytes it matches: one regex pass over the whole
//! block (not one per line), then the line around each match; and a filter that adds a
//! minimum level to it (or stands for a level alone).
//!
//! Guarantees: pure and linear (the `regex` crate never backtracks, and its compiled size is
//! bounded); a match never spans two lines (a candidate that crosses a `\n` is checked again
//! on its line alone); `^` and `$` are line anchors, also before `\r\n`.

use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

use crate::text::classify::{self, Level};

/// Longest query accepted, in bytes.
pub const MAX_QUERY: usize = 1024;
/// Compiled size limit of a query: the `regex` crate's own default.
const SIZE_LIMIT: usize = 10 << 20;

/// Why a query cannot be searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    Empty,
    TooLong,
    Invalid,
    TooBig,
}

impl QueryError {
    /// The reason, for the client (never the query itself).
    pub fn reason(self) -> &'static str {
        match self {
            QueryError::Empty => "q is required",
            QueryError::TooLong => "q is longer than 1024 bytes",
            QueryError::Invalid => "q is not a valid regex (Rust regex syntax)",
            QueryError::TooBig => "q compiles to a regex over the size limit",
        }
    }
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Query {
    re: Regex,
    /// For an ASCII literal searched without case: its longest run of bytes that have no case
    /// (`=4095` in `bytes=4095`), found with `memmem`, each hit then compared in full, as
    /// ripgrep does with inner literals. A regex over 32 spellings of `bytes` would wake up on
    /// every line that has the word.
    caseless: Option<Caseless>,
}

#[derive(Debug, Clone)]
struct Caseless {
    finder: memmem::Finder<'static>,
    /// Where the run starts in the needle.
    at: usize,
    needle: Vec<u8>,
}

impl Caseless {
    /// For an ASCII needle with a run of at least 2 bytes without case.
    fn new(needle: &str) -> Option<Caseless> {
        let bytes = needle.as_bytes();
        let mut best = (0, 0);
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..]
                .iter()
                .take_while(|b| !b.is_ascii_alphabetic())
                .count();
            if run > best.1 {
                best = (i, run);
            }
            i += run.max(1);
        }
        let (at, len) = best;
        (len >= 2).then(|| Caseless {
            finder: memmem::Finder::new(&bytes[at..at + len]).into_owned(),
            at,
            needle: bytes.to_vec(),
        })
    }

    /// Where the needle first occurs in `hay` at or after `from`, any case.
    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let first = from;
        let mut from = from + self.at;
        while let Some(i) = self.finder.find(hay.get(from..)?) {
            let hit = from + i;
            // Never a start before `first`: the caller has moved past it.
            let start = hit.checked_sub(self.at).filter(|&s| s >= first);
            let window = start.and_then(|s| hay.get(s..s + self.needle.len()));
            if window.is_some_and(|w| w.eq_ignore_ascii_case(&self.needle)) {
                return start;
            }
            from = hit + 1;
        }
        None
    }
}

impl Query {
    /// `q` as a literal (or a regex with `regex`), case-insensitive unless `case`.
    pub fn new(q: &str, regex: bool, case: bool) -> Result<Query, QueryError> {
        if q.is_empty() {
            return Err(QueryError::Empty);
        }
        if q.len() > MAX_QUERY {
            return Err(QueryError::TooLong);
        }
        let pattern = if regex {
            q.to_string()
        } else {
            regex::escape(q)
        };
        // An ASCII literal folds case the ASCII way (all that differs is the Kelvin sign and
        // the long s): its search stays a literal one.
        let ascii = !regex && q.is_ascii();
        let re = RegexBuilder::new(&pattern)
            .case_insensitive(!case)
            .unicode(!ascii)
            .multi_line(true)
            .crlf(true)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => QueryError::TooBig,
                _ => QueryError::Invalid,
            })?;
        // A needle holding a newline never matches a line: the regex says so at once.
        let caseless = (ascii && !case && !q.contains('\n'))
            .then(|| Caseless::new(q))
            .flatten();
        Ok(Query { re, caseless })
    }

    /// Calls `found(start, end)` for each line of `block` that holds a match, in order (`end`
    /// is its `\n`, or the block's end); stops when `found` returns false.
    pub fn matching_lines(&self, block: &[u8], found: &mut dyn FnMut(usize, usize) -> bool) {
        if let Some(c) = &self.caseless {
            return self.caseless_lines(c, block, found);
        }
        let mut at = 0;
        while at < block.len() {
            let Some(m) = self.re.find_at(block, at) else {
                return;
            };
            let start = memchr::memrchr(b'\n', &block[..m.start()]).map_or(0, |i| i + 1);
            let end =
                memchr::memchr(b'\n', &block[m.start()..]).map_or(block.len(), |i| m.start() + i);
            // A candidate that runs past its line (`\s` matches `\n`) may still match inside it.
            let whole = m.end() <= end || self.re.is_match(&block[start..end]);
            if whole && !found(start, end) {
                return;
            }
            at = end + 1;
        }
    }

    fn caseless_lines(
        &self,
        c: &Caseless,
        block: &[u8],
        found: &mut dyn FnMut(usize, usize) -> bool,
    ) {
        let mut at = 0;
        while at < block.len() {
            let Some(m) = c.find(block, at) else {
                return;
            };
            let start = memchr::memrchr(b'\n', &block[..m]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &block[m..]).map_or(block.len(), |i| m + i);
            // A needle holding a newline never lies within one line.
            if m + c.needle.len() <= end && !found(start, end) {
                return;
            }
            at = (end + 1).max(at + 1);
        }
    }

    /// Where the matches lie within one line, as byte ranges.
    pub fn ranges(&self, line: &[u8]) -> Vec<(usize, usize)> {
        self.re
            .find_iter(line)
            .filter(|m| !m.is_empty())
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}

/// What a whole-file search or timeline counts: the lines a query matches, the lines of a
/// level or above (by the level each line gives itself), or the lines that are both.
#[derive(Debug)]
pub struct Filter {
    pub query: Option<Query>,
    pub level: Option<Level>,
}

impl Filter {
    /// As [`Query::matching_lines`]: calls `found(start, end)` for each line of `block` that
    /// passes, until it returns false.
    pub fn matching_lines(&self, block: &[u8], found: &mut dyn FnMut(usize, usize) -> bool) {
        let level_ok = |s: usize, e: usize| {
            self.level
                .is_none_or(|min| classify::classify(&block[s..e]).level >= Some(min))
        };
        match &self.query {
            Some(q) => q.matching_lines(block, &mut |s, e| !level_ok(s, e) || found(s, e)),
            None => {
                let mut start = 0;
                let ends = memchr::memchr_iter(b'\n', block)
                    .chain((block.last().is_some_and(|&b| b != b'\n')).then_some(block.len()));
                for end in ends {
                    if level_ok(start, end) && !found(start, end) {
                        return;
                    }
                    start = end + 1;
                }
            }
        }
    }

    /// Where the query matches within `line` (none for a level alone).
    pub fn ranges(&self, line: &[u8]) -> Vec<(usize, usize)> {
        self.query
            .as_ref()
            .map_or_else(Vec::new, |q| q.ranges(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(q: &Query, block: &str) -> Vec<String> {
        let mut v = Vec::new();
        q.matching_lines(block.as_bytes(), &mut |s, e| {
            v.push(block[s..e].to_string());
            true
        });
        v
    }

    #[test]
    fn literals_regexes_and_case() {
        let block = "GET /a 200\nPOST /b 502 upstream timed out\nget /c 404\nÉCHEC total\n";
        let q = Query::new("get", false, false).unwrap();
        assert_eq!(lines(&q, block), ["GET /a 200", "get /c 404"]);
        let q = Query::new("get", false, true).unwrap();
        assert_eq!(lines(&q, block), ["get /c 404"]);
        let q = Query::new("échec", false, false).unwrap();
        assert_eq!(lines(&q, block), ["ÉCHEC total"], "Unicode case folding");
        let q = Query::new("/[bc] ", true, false).unwrap();
        assert_eq!(lines(&q, block).len(), 2);
        let q = Query::new("a.b", false, false).unwrap();
        assert!(lines(&q, block).is_empty(), "a literal's dot is a dot");
        let q = Query::new("^get", true, true).unwrap();
        assert_eq!(lines(&q, block), ["get /c 404"], "^ anchors at each line");
        let q = Query::new("200$", true, true).unwrap();
        assert_eq!(
            lines(&q, "x 200\r\ny 201\r\n"),
            ["x 200\r"],
            "$ before CRLF"
        );
    }

    #[test]
    fn caseless_literals_find_what_the_regex_finds() {
        let block =
            "bytes=4095 x\nBYTES=4095\nbytes=4096\nbYtEs=4095bytes=4095\n=4095 alone\nab=40\n";
        for q in ["bytes=4095", "=4095", "S=4", "ab=40", "x 4 BYTES"] {
            let fast = Query::new(q, false, false).unwrap();
            let mut slow = fast.clone();
            slow.caseless = None;
            assert!(fast.caseless.is_some(), "{q}");
            assert_eq!(lines(&fast, block), lines(&slow, block), "{q}");
        }
        assert_eq!(
            lines(&Query::new("bytes=4095", false, false).unwrap(), block).len(),
            3
        );
        assert!(
            Query::new("error", false, false)
                .unwrap()
                .caseless
                .is_none()
        );
        assert!(
            Query::new("a=1", false, true).unwrap().caseless.is_none(),
            "case-sensitive"
        );
    }

    #[test]
    fn a_match_never_spans_lines() {
        let q = Query::new(r"200\s+POST", true, false).unwrap();
        assert!(lines(&q, "GET 200\nPOST x\n").is_empty());
        let q = Query::new(r"a\sb", true, false).unwrap();
        assert_eq!(
            lines(&q, "xa\nb a b\n"),
            ["b a b"],
            "checked on its own line"
        );
        let q = Query::new("x", false, false).unwrap();
        assert_eq!(
            lines(&q, "x\nno\nlast x"),
            ["x", "last x"],
            "no final newline"
        );
        let mut n = 0;
        q.matching_lines(b"x\nx\nx\n", &mut |_, _| {
            n += 1;
            n < 2
        });
        assert_eq!(n, 2, "the sink stops the scan");
    }

    #[test]
    fn ranges_and_refusals() {
        let q = Query::new("ab", false, false).unwrap();
        assert_eq!(q.ranges(b"xAbyab"), [(1, 3), (4, 6)]);
        assert_eq!(Query::new("", false, false).unwrap_err(), QueryError::Empty);
        let long = "x".repeat(MAX_QUERY + 1);
        assert_eq!(
            Query::new(&long, false, false).unwrap_err(),
            QueryError::TooLong
        );
        assert_eq!(
            Query::new("(", true, false).unwrap_err(),
            QueryError::Invalid
        );
        assert_eq!(
            Query::new("(", false, false).map(|_| ()),
            Ok(()),
            "a literal ("
        );
        let huge = r"\w{1000}\w{1000}";
        assert_eq!(
            Query::new(huge, true, false).unwrap_err(),
            QueryError::TooBig
        );
    }

    #[test]
    fn catastrophic_looking_patterns_stay_linear() {
        let q = Query::new("(a+)+$", true, true).unwrap();
        let line = format!("{}b\n", "a".repeat(100_000));
        // Linear time: this ends (a backtracking engine would not, in this lifetime).
        assert!(lines(&q, &line).is_empty());
        assert_eq!(lines(&q, &line.replace('b', "")), [line.replace("b\n", "")]);
    }
}
