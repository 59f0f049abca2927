//! Splitting a byte stream into complete lines, holding a partial last line, and cutting
//! over-long lines to a bound so no line is ever buffered without limit.

use memchr::memchr;

/// Feeds arbitrary chunks in, hands complete lines (without their `\n`) out.
#[derive(Debug)]
pub struct Lines {
    partial: Vec<u8>,
    max: usize,
    /// True after a line was cut at `max`: its remaining bytes are dropped up to the next `\n`.
    skipping: bool,
}

impl Lines {
    pub fn new(max: usize) -> Self {
        Lines {
            partial: Vec::new(),
            max,
            skipping: false,
        }
    }

    /// Bytes of an unfinished line held back.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    /// Splits `data`, calling `sink` once per complete line, in order.
    pub fn feed(&mut self, mut data: &[u8], sink: &mut dyn FnMut(&[u8])) {
        while let Some(i) = memchr(b'\n', data) {
            let line = &data[..i];
            data = &data[i + 1..];
            if self.skipping {
                self.skipping = false;
            } else if self.partial.is_empty() {
                sink(&line[..line.len().min(self.max)]);
            } else {
                let room = self.max - self.partial.len();
                self.partial
                    .extend_from_slice(&line[..line.len().min(room)]);
                sink(&self.partial);
                self.partial.clear();
            }
        }
        if self.skipping || data.is_empty() {
            return;
        }
        let room = self.max - self.partial.len();
        self.partial
            .extend_from_slice(&data[..data.len().min(room)]);
        if self.partial.len() >= self.max {
            sink(&self.partial);
            self.partial.clear();
            self.skipping = true;
        }
    }

    /// Emits a held partial line as if it had ended, e.g. at the end of history or when the
    /// file it came from is rotated away.
    pub fn flush(&mut self, sink: &mut dyn FnMut(&[u8])) {
        if !self.partial.is_empty() {
            sink(&self.partial);
            self.partial.clear();
        }
        self.skipping = false;
    }

    /// Forgets any partial line (the bytes it came from are gone).
    pub fn clear(&mut self) {
        self.partial.clear();
        self.skipping = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(max: usize, chunks: &[&[u8]], flush: bool) -> Vec<String> {
        let mut l = Lines::new(max);
        let mut out = Vec::new();
        for c in chunks {
            l.feed(c, &mut |line| {
                out.push(String::from_utf8_lossy(line).into_owned())
            });
        }
        if flush {
            l.flush(&mut |line| out.push(String::from_utf8_lossy(line).into_owned()));
        }
        out
    }

    #[test]
    fn complete_lines_and_partials() {
        assert_eq!(run(100, &[b"a\nb\n"], false), ["a", "b"]);
        assert_eq!(run(100, &[b"ab", b"c", b"def\nx"], false), ["abcdef"]);
        assert_eq!(run(100, &[b"ab", b"c", b"def\nx"], true), ["abcdef", "x"]);
        assert_eq!(run(100, &[b"\n\n"], false), ["", ""]);
        assert_eq!(
            run(100, &[b"a\r\n"], false),
            ["a\r"],
            "CR is content, kept byte-exact"
        );
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_dropped() {
        assert_eq!(run(4, &[b"abcdefgh\nok\n"], false), ["abcd", "ok"]);
        assert_eq!(
            run(4, &[b"ab", b"cdef", b"gh\nok\n"], false),
            ["abcd", "ok"]
        );
        assert_eq!(
            run(4, &[b"abcdefgh", b"ijkl", b"\nok\n"], false),
            ["abcd", "ok"]
        );
        let mut l = Lines::new(4);
        l.feed(b"abcdefgh", &mut |_| {});
        assert_eq!(l.pending(), 0, "a cut line holds nothing back");
    }
}
