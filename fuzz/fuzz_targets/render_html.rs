//! `Renderer` on arbitrary bytes split on `\n`, one renderer carrying colour state across
//! lines, in both formats.
//!
//! Html asserts, per rendered line: it ends with exactly one `\n` and has no other; every `<`
//! starts one of the tags the renderer emits (`<b>`, `<i>`, `<u>`, `<s>`, their closers,
//! `</span>`, and `<span style='…'>` with a plain CSS value); tags are properly nested and all
//! closed by the end of the line (a colour never leaks into the page); outside tags there is
//! no `>`, `"` or `'`, and `&` only starts `&amp; &lt; &gt; &quot; &#39;`; no ESC, no other
//! control character except `\t` (and the final `\n`); the visible text never contains
//! anything the line did not, and for a line without ESC it is exactly the line without its
//! control characters.
//! Size (tracker issue 8): whatever earlier lines left open, a line's HTML is at most
//! `MAX_STEP` bytes per character of the line (plus its `\n`), and it has no more spans than
//! visible characters (one span per styled run, never a replay of carried sequences).
//! Pieces: the same line rendered with `line_in_pieces` into small pieces gives pieces under
//! `piece + MAX_STEP` bytes whose concatenation is the whole rendering.
//! A line may start with one entry marker (`<span data-level="…" data-cont data-json></span>`,
//! each attribute optional, the level one of the six names) and nowhere else; the checks
//! above apply to what follows it.
//! Text asserts: output is `String::from_utf8_lossy(line) + "\n"`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logview::render::{Format, MAX_STEP, Renderer};

/// Pieces small enough that most inputs are cut several times.
const PIECE: usize = 64;

/// Tags without attributes, as they appear after the `<`.
const PLAIN_TAGS: [&str; 9] = ["b>", "/b>", "i>", "/i>", "u>", "/u>", "s>", "/s>", "/span>"];

fn is_special(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// Checks one rendered html line; returns its visible text (tags removed, entities decoded).
fn check_html(line: &[u8], out: &str) -> String {
    let input = String::from_utf8_lossy(line);
    let body = out
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{input:?} -> {out:?}: no trailing newline"));
    assert!(!body.contains('\n'), "{input:?} -> {out:?}: inner newline");
    for c in body.chars() {
        assert!(
            c == '\t' || !c.is_control(),
            "{input:?} -> {out:?}: control character {c:?}"
        );
    }

    let mut visible = String::new();
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = strip_marker(body);
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let after = &rest[1..];
                let end = after
                    .find('>')
                    .unwrap_or_else(|| panic!("{input:?} -> {out:?}: unterminated tag"));
                let tag = &after[..=end];
                let name = if PLAIN_TAGS.contains(&tag) {
                    &tag[..tag.len() - 1]
                } else if let Some(style) = tag.strip_prefix("span style='") {
                    let value = style
                        .strip_suffix("'>")
                        .unwrap_or_else(|| panic!("{input:?} -> {out:?}: bad tag <{tag}"));
                    assert!(
                        value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b":;#(),.-_ ".contains(&b)),
                        "{input:?} -> {out:?}: odd style {value:?}"
                    );
                    &tag[..tag.find(' ').unwrap()]
                } else {
                    panic!("{input:?} -> {out:?}: unexpected tag <{tag}");
                };
                if let Some(closed) = name.strip_prefix('/') {
                    let open = stack.pop();
                    assert_eq!(
                        open,
                        Some(closed),
                        "{input:?} -> {out:?}: misnested </{closed}>"
                    );
                } else {
                    stack.push(name);
                }
                rest = &after[end + 1..];
            }
            '&' => {
                let (ent, ch) = [
                    ("&amp;", '&'),
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&quot;", '"'),
                    ("&#39;", '\''),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e))
                .unwrap_or_else(|| panic!("{input:?} -> {out:?}: bare & at {rest:?}"));
                visible.push(ch);
                rest = &rest[ent.len()..];
            }
            '>' | '"' | '\'' => panic!("{input:?} -> {out:?}: unescaped {c:?} in text"),
            _ => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    assert!(stack.is_empty(), "{input:?} -> {out:?}: unclosed {stack:?}");

    // Nothing invented: the visible text is a subsequence of the line.
    let mut src = input.chars();
    for v in visible.chars() {
        assert!(
            src.any(|c| c == v),
            "{input:?} -> {out:?}: visible {visible:?} not from the line"
        );
    }
    if !input.contains('\x1b') {
        let expect: String = input.chars().filter(|&c| !is_special(c)).collect();
        assert_eq!(visible, expect, "{input:?} -> {out:?}");
    }
    visible
}

/// What follows the entry marker a line may start with.
fn strip_marker(body: &str) -> &str {
    if !body.starts_with("<span data-") {
        return body;
    }
    let mut rest = &body["<span".len()..];
    if let Some(after) = rest.strip_prefix(" data-level=\"") {
        let levels = ["trace", "debug", "info", "warn", "error", "fatal"];
        let level = levels.iter().find(|l| after.starts_with(&format!("{l}\"")));
        rest = &after[level.expect("a known level").len() + 1..];
    }
    rest = rest.strip_prefix(" data-cont").unwrap_or(rest);
    rest = rest.strip_prefix(" data-json").unwrap_or(rest);
    let rest = rest.strip_prefix("></span>");
    rest.unwrap_or_else(|| panic!("{body:?}: a span that is no marker"))
}

/// The size bounds: linear in the line alone (besides its marker), one span per run.
fn check_size(line: &[u8], out: &str, visible: &str) {
    let chars = String::from_utf8_lossy(line).chars().count();
    let out = &out[out.len() - strip_marker(out).len()..];
    assert!(
        out.len() <= MAX_STEP * chars + 1,
        "{line:?} -> {} bytes for {chars} characters",
        out.len()
    );
    let spans = out.matches("<span").count();
    assert!(
        spans <= visible.chars().count(),
        "{line:?} -> {out:?}: {spans} spans"
    );
}

/// Renders `line` in pieces of [`PIECE`] bytes and checks them against `whole`.
fn check_pieces(r: &mut Renderer, line: &[u8], whole: &str) {
    let mut pieces = Vec::new();
    let mut out = String::new();
    let mut spill = |o: &mut String| {
        pieces.push(std::mem::take(o));
        Ok::<(), ()>(())
    };
    r.line_in_pieces(line, &mut out, PIECE, &mut spill).unwrap();
    pieces.push(out);
    for p in &pieces {
        assert!(
            p.len() < PIECE + MAX_STEP,
            "{line:?}: a piece of {}",
            p.len()
        );
    }
    assert_eq!(pieces.concat(), whole, "{line:?}: pieces differ");
}

fuzz_target!(|data: &[u8]| {
    let mut html = Renderer::new(Format::Html);
    let mut html_pieces = Renderer::new(Format::Html);
    let mut text = Renderer::new(Format::Text);
    for line in data.split(|&b| b == b'\n') {
        let mut out = String::new();
        html.line(line, &mut out);
        let visible = check_html(line, &out);
        check_size(line, &out, &visible);
        check_pieces(&mut html_pieces, line, &out);

        let mut out = String::new();
        text.line(line, &mut out);
        assert_eq!(out, String::from_utf8_lossy(line) + "\n");
    }
});
