//! A log line → what a client receives: the line itself (`text`) or safe HTML (`html`).
//!
//! Guarantees for `html`: every byte of the line is HTML-escaped, ANSI SGR colours become
//! `<span>`s, a colour left open at the end of one line continues on the next, and no other
//! escape sequence or control character (tab excepted) reaches the output.

use std::fmt::Write as _;

use ansi_to_html::{Converter, Esc};

/// Longest carried SGR state; past it only the latest sequence is kept.
const MAX_SGR_STATE: usize = 256;
/// SGR sequences with more parameters are dropped: each parameter can become a `<span>`, and
/// carried state is replayed in front of every following line.
const MAX_SGR_PARAMS: usize = 16;

/// How lines are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
}

/// Renders lines one by one, carrying ANSI state between them.
pub struct Renderer {
    format: Format,
    converter: Converter,
    /// SGR sequences in force at the end of the previous line.
    sgr: String,
    clean: String,
}

impl Renderer {
    pub fn new(format: Format) -> Self {
        Renderer {
            format,
            converter: Converter::new().four_bit_var_prefix(Some("lv-".into())),
            sgr: String::new(),
            clean: String::new(),
        }
    }

    /// Appends the rendered line and its `\n` to `out`.
    pub fn line(&mut self, line: &[u8], out: &mut String) {
        let text = String::from_utf8_lossy(line);
        match self.format {
            Format::Text => out.push_str(&text),
            Format::Html => self.html(&text, out),
        }
        out.push('\n');
    }

    /// Forgets carried colours (the file was rotated or truncated).
    pub fn reset(&mut self) {
        self.sgr.clear();
    }

    fn html(&mut self, text: &str, out: &mut String) {
        if self.sgr.is_empty() && !text.chars().any(is_special) {
            let _ = write!(out, "{}", Esc(text));
            return;
        }
        self.clean.clear();
        self.clean.push_str(&self.sgr);
        let carried = self.clean.len();
        sanitize(text, &mut self.clean, &mut self.sgr);
        match self.converter.convert(&self.clean) {
            // ansi-to-html passes sequences it cannot parse through raw: never let one out.
            Ok(html) if !html.chars().any(is_special) => out.push_str(&html),
            _ => {
                // An SGR code ansi-to-html does not know: show the text without colours.
                self.sgr.clear();
                let _ = write!(out, "{}", Esc(strip_sgr(&self.clean[carried..])));
            }
        }
    }
}

/// Characters that need more than HTML escaping: ESC, other C0/C1 controls and DEL.
fn is_special(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{7f}'
}

/// Copies `text` to `out` keeping only printable characters, tabs and SGR sequences, and
/// updates `sgr`, the colour state in force after the line.
fn sanitize(text: &str, out: &mut String, sgr: &mut String) {
    let mut rest = text;
    while let Some(i) = rest.find(is_special) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let len = if tail.starts_with('\x1b') {
            escape_len(tail)
        } else {
            tail.chars().next().map_or(1, char::len_utf8)
        };
        let seq = &tail[..len];
        if let Some(seq) = normal_sgr(seq) {
            out.push_str(&seq);
            track_sgr(&seq, sgr);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
}

/// Length in bytes of the escape sequence at the start of `s` (which starts with ESC).
fn escape_len(s: &str) -> usize {
    let b = s.as_bytes();
    match b.get(1) {
        None => 1,
        Some(b'[') => b[2..]
            .iter()
            .position(|c| (0x40..=0x7e).contains(c))
            .map_or(b.len(), |p| p + 3),
        Some(b']' | b'P' | b'X' | b'^' | b'_') => string_terminator(b),
        Some(c) if (0x20..=0x2f).contains(c) => b[1..]
            .iter()
            .position(|c| (0x30..=0x7e).contains(c))
            .map_or(b.len(), |p| p + 2),
        Some(c) if c.is_ascii() => 2,
        Some(_) => 1,
    }
}

/// OSC/DCS/… strings end at BEL or ESC `\`.
fn string_terminator(b: &[u8]) -> usize {
    let mut i = 2;
    while i < b.len() {
        match b[i] {
            0x07 => return i + 1,
            0x1b if b.get(i + 1) == Some(&b'\\') => return i + 2,
            _ => i += 1,
        }
    }
    b.len()
}

/// An SGR sequence in the form ansi-to-html understands (empty parameters written as `0`),
/// or `None` for anything else, including colon sub-parameters, which it would pass on raw.
fn normal_sgr(seq: &str) -> Option<String> {
    let params = seq.strip_prefix("\x1b[")?.strip_suffix('m')?;
    if !params.bytes().all(|c| c.is_ascii_digit() || c == b';')
        || params.split(';').count() > MAX_SGR_PARAMS
    {
        return None;
    }
    if params.is_empty() {
        return Some(seq.to_string());
    }
    let fixed: Vec<&str> = params
        .split(';')
        .map(|p| if p.is_empty() { "0" } else { p })
        .collect();
    Some(format!("\x1b[{}m", fixed.join(";")))
}

/// Folds one SGR sequence into the carried state: a reset clears it.
fn track_sgr(seq: &str, sgr: &mut String) {
    let params = &seq[2..seq.len() - 1];
    let mut after_reset = None;
    let mut it = params.split(';').enumerate();
    while let Some((i, p)) = it.next() {
        match p {
            "" | "0" | "00" => after_reset = Some(i + 1),
            "38" | "48" | "58" => {
                let skip = match it.next() {
                    Some((_, "5")) => 1,
                    Some((_, "2")) => 3,
                    _ => 0,
                };
                for _ in 0..skip {
                    it.next();
                }
            }
            _ => {}
        }
    }
    let kept: Vec<&str> = match after_reset {
        Some(i) => {
            sgr.clear();
            params.split(';').skip(i).collect()
        }
        None => params.split(';').collect(),
    };
    if kept.is_empty() {
        return;
    }
    if sgr.len() + params.len() > MAX_SGR_STATE {
        sgr.clear();
    }
    let _ = write!(sgr, "\x1b[{}m", kept.join(";"));
}

fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        rest = &rest[i + escape_len(&rest[i..])..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: Format, lines: &[&[u8]]) -> Vec<String> {
        let mut r = Renderer::new(format);
        lines
            .iter()
            .map(|l| {
                let mut out = String::new();
                r.line(l, &mut out);
                out
            })
            .collect()
    }

    fn html(lines: &[&str]) -> Vec<String> {
        let bytes: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        render(Format::Html, &bytes)
    }

    #[test]
    fn text_is_byte_exact_with_invalid_utf8_replaced() {
        let out = render(
            Format::Text,
            &[b"\x1b[31mred\x1b[0m <b>", b"bad \xff\xfe end", b"tab\there"],
        );
        assert_eq!(
            out,
            [
                "\x1b[31mred\x1b[0m <b>\n",
                "bad \u{fffd}\u{fffd} end\n",
                "tab\there\n"
            ]
        );
    }

    #[test]
    fn html_escapes_markup() {
        let out = html(&[
            "<script>alert(1)</script> & \"x\" 'y'",
            "<img src=x onerror=alert(1)>",
        ]);
        assert_eq!(
            out[0],
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;\n"
        );
        assert!(!out[1].contains('<'), "{}", out[1]);
    }

    #[test]
    fn html_converts_colours_and_carries_them_across_lines() {
        let out = html(&["\x1b[31mred", "still red", "\x1b[0mplain", "plain too"]);
        assert!(
            out[0].contains("<span") && out[0].contains("red"),
            "{}",
            out[0]
        );
        assert!(
            out[1].starts_with("<span") && out[1].contains("still red"),
            "{}",
            out[1]
        );
        assert!(
            out[2].contains("plain") && !out[2].contains("<span"),
            "{}",
            out[2]
        );
        assert_eq!(out[3], "plain too\n");
    }

    #[test]
    fn html_keeps_256_colour_index_zero_from_looking_like_a_reset() {
        let out = html(&["\x1b[38;5;0mblack", "next"]);
        assert!(out[1].starts_with("<span"), "{}", out[1]);
    }

    #[test]
    fn html_never_lets_an_sgr_it_cannot_parse_through() {
        // Found by the render_html fuzz target: ansi-to-html echoed `\e[;m` raw.
        let out = html(&[
            "\x1b[;mx",
            "\x1b[1;;31my",
            "\x1b[38:5:1mz",
            "\x1b[4:3mw",
            "\x1b[0;;mv",
        ]);
        for o in &out {
            assert!(!o.contains('\x1b'), "{o:?}");
        }
        assert_eq!(out[0], "x\n");
        let red = "<span style='color:var(--lv-red,#a00)'>";
        assert_eq!(
            out[1],
            format!("{red}y</span>\n"),
            "the empty parameter is a reset (0)"
        );
        assert_eq!(
            out[2],
            format!("{red}z</span>\n"),
            "red carries on; the colon form is dropped"
        );
    }

    #[test]
    fn html_drops_sgr_sequences_with_too_many_parameters() {
        let huge = format!("\x1b[{}1mx", "31;".repeat(5000));
        let out = html(&[&huge, "next"]);
        assert_eq!(out[0], "x\n");
        assert_eq!(out[1], "next\n", "nothing carried");
    }

    #[test]
    fn html_strips_other_escapes_and_controls() {
        let out = html(&[
            "a\x1b[2Kb\x1b]0;title\x07c\x1b7d\x1b[?25le\r\x08\x07f\x1b",
            "\x1b[66mbad code",
        ]);
        assert_eq!(out[0], "abcdef\n");
        assert_eq!(out[1], "bad code\n");
        for o in &out {
            assert!(!o.trim_end().chars().any(is_special), "{o:?}");
        }
    }
}
