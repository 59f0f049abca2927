//! A log line → what a client receives: the line itself (`text`) or safe HTML (`html`).
//!
//! Guarantees for `html`: every character of the line is HTML-escaped; ANSI SGR sequences
//! update one normalised [`Style`] (foreground, background, bold, dim, italic, underline,
//! strike, reverse, overline), never a list of sequences, so the state carried from one line
//! to the next is a few bytes whatever came before; a styled run is at most `<b><i><u><s>`
//! plus one `<span style='…'>`, opened before its first character and closed where the style
//! changes or the line ends, so a colour left open at the end of one line continues on the
//! next as one run. Every input character adds at most [`MAX_STEP`] bytes and rendering is
//! one pass, so the HTML of a line is O(line length) in size and time. No other escape
//! sequence and no control character (tab excepted) reaches the output. The 16 colours use
//! the page's `--lv-NAME` CSS variables (with a fallback), 256-colour and truecolour a
//! `#rrggbb` written by us from numbers, never copied from the input.
//!
//! An `html` line may start with one empty marker `<span>` telling its entry's level, that it
//! continues the entry before, that it is a JSON object ([`crate::text::classify`]) and, for a
//! renderer given the server's zone, the moment its stamp names (`data-time`, epoch ms: read
//! here once, a stamp without a zone in the server's, so the page keeps no copy of the stamp
//! forms); `text` lines stay the file's bytes.
//!
//! [`Renderer::line_in_pieces`] hands the output on whenever it reaches a given size, so a
//! caller holds at most that size plus [`MAX_STEP`] bytes of a line's rendering.
//!
//! This is our own SGR state machine: it replaced ansi-to-html 0.2.4, whose converter
//! rescans its whole style stack for every code (quadratic on a line of alternating colours)
//! and whose output grew with every sequence carried; the crate is no longer a dependency.

use std::convert::Infallible;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tz::TimeZone;

use crate::index::time::Clock;
use crate::text::classify::{Entries, Entry};
use crate::text::time::{self, Stamp};

/// Most bytes one input character can add to the output: closing the widest run (24),
/// opening the widest (about 130) and one escaped character (6).
pub const MAX_STEP: usize = 256;
/// SGR parameter values saturate here: larger ones mean nothing, and must not overflow.
const MAX_PARAM: u16 = 9999;

/// How lines are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
}

/// A colour as SGR can set it, normalised: 256-colour indices 0–15 are the 16 named
/// colours, the others are stored as the RGB value they stand for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Colour {
    #[default]
    Default,
    /// One of the 16 named colours (8–15 are the bright ones).
    Named(u8),
    Rgb(u8, u8, u8),
}

const BOLD: u8 = 1;
const DIM: u8 = 2;
const ITALIC: u8 = 4;
const UNDERLINE: u8 = 8;
const STRIKE: u8 = 16;
const REVERSE: u8 = 32;
const OVERLINE: u8 = 64;

/// The SGR state in force: all that is carried between lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Style {
    fg: Colour,
    bg: Colour,
    flags: u8,
}

/// How long a live renderer reads syslog stamps as of one moment before it takes now again.
const RENEW_LIVE: Duration = Duration::from_secs(3600);

/// Renders lines one by one, carrying the SGR style between them.
pub struct Renderer {
    format: Format,
    /// The style in force after the last character rendered.
    style: Style,
    /// Which lines start entries and their levels (told in `html` only).
    entries: Entries,
    /// How stamps become moments, when lines tell theirs (`html` only).
    clock: Option<Clock>,
    /// Since when the clock has read stamps as written now (live lines), if it does.
    live: Option<Instant>,
}

impl Renderer {
    pub fn new(format: Format) -> Self {
        Renderer {
            format,
            style: Style::default(),
            entries: Entries::default(),
            clock: None,
            live: None,
        }
    }

    /// Also tells each stamped `html` line's moment (`data-time`), reading stamps without a
    /// zone in `zone` (`None`: UTC), and syslog stamps (no year) as of a file modified at
    /// `mtime` ([`Clock`]) until [`Renderer::go_live`].
    pub fn with_moments(mut self, zone: Option<Arc<TimeZone>>, mtime: SystemTime) -> Self {
        self.clock = Some(Clock::new(zone, mtime));
        self
    }

    /// From now on lines are being written as they come: syslog stamps are read as of now
    /// (renewed every [`RENEW_LIVE`], so a long session goes on into a new year).
    pub fn go_live(&mut self) {
        if let Some(c) = &self.clock {
            self.clock = Some(c.now());
            self.live = Some(Instant::now());
        }
    }

    /// The moment of `line`'s stamp (`stamp`: already parsed, when it was looked for).
    fn moment(&mut self, line: &[u8], stamp: Option<Option<Stamp>>) -> Option<i64> {
        self.clock.as_ref()?;
        let s = stamp.unwrap_or_else(|| time::parse(line))?;
        if s.yearless && self.live.is_some_and(|t| t.elapsed() >= RENEW_LIVE) {
            self.go_live();
        }
        self.clock.as_ref().map(|c| c.utc_ms(s))
    }

    /// Appends the rendered line and its `\n` to `out`.
    pub fn line(&mut self, line: &[u8], out: &mut String) {
        let mut keep = |_: &mut String| Ok::<(), Infallible>(());
        let Ok(()) = self.line_in_pieces(line, out, usize::MAX, &mut keep);
    }

    /// Appends the rendered line and its `\n` to `out`, calling `spill` (which should take
    /// what `out` holds) whenever `out` reaches `piece` bytes before the line is done, so
    /// `out` never grows past about `piece + MAX_STEP` bytes. A spilled piece may end inside
    /// a styled run (its tags close in a later piece) but never inside a character or an
    /// entity. An error from `spill` stops the rendering and is returned.
    pub fn line_in_pieces<E>(
        &mut self,
        line: &[u8],
        out: &mut String,
        piece: usize,
        spill: &mut dyn FnMut(&mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pieces = Pieces {
            piece,
            limit: piece,
            spill,
        };
        pieces.check(out)?;
        match self.format {
            Format::Text => text(line, out, &mut pieces)?,
            Format::Html => {
                let entry = self.entries.next(line);
                let moment = self.moment(line, entry.stamp);
                marker(&entry, moment, out);
                self.html(line, out, &mut pieces)?
            }
        }
        out.push('\n');
        Ok(())
    }

    /// What starts each line of the file `name` in a merged view: `name: `, in HTML as a
    /// `src` span (escaped).
    pub fn tag(&self, name: &str) -> String {
        match self.format {
            Format::Text => format!("{name}: "),
            Format::Html => {
                let mut out = String::from("<span class=\"src\">");
                escape_into(name, &mut out);
                out.push_str(": </span>");
                out
            }
        }
    }

    /// The format lines are rendered in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Forgets carried colours and entries (the file was rotated or truncated).
    pub fn reset(&mut self) {
        self.style = Style::default();
        self.entries.reset();
        if self.live.is_some() {
            self.go_live();
        }
    }

    fn html<E>(
        &mut self,
        line: &[u8],
        out: &mut String,
        pieces: &mut Pieces<'_, E>,
    ) -> Result<(), E> {
        let mut scan = Scan::Ground;
        let mut open = Style::default();
        for (mut s, invalid) in runs(line) {
            while let Some(c) = s.chars().next() {
                if matches!(scan, Scan::Ground) && starts_plain(s.as_bytes()) {
                    // Printable text goes out in bulk, at most as much as keeps the piece
                    // bound even if every byte became a 6-byte entity (and only that much is
                    // scanned).
                    let room = (pieces.limit.saturating_sub(out.len()) / 6).max(1);
                    let mut cap = room.min(s.len());
                    while !s.is_char_boundary(cap) {
                        cap += 1;
                    }
                    self.restyle(&mut open, out);
                    s = &s[escape_plain(&s[..cap], out)..];
                } else {
                    scan = self.step(scan, c, &mut open, out);
                    s = &s[c.len_utf8()..];
                }
                pieces.check(out)?;
            }
            if invalid {
                scan = self.step(scan, char::REPLACEMENT_CHARACTER, &mut open, out);
                pieces.check(out)?;
            }
        }
        // An escape sequence unfinished at the end of the line is dropped.
        close_run(open, out);
        Ok(())
    }

    /// Closes the open run and opens one in the current style, if they differ.
    fn restyle(&self, open: &mut Style, out: &mut String) {
        if *open != self.style {
            close_run(*open, out);
            open_run(self.style, out);
            *open = self.style;
        }
    }

    /// Feeds one character through the escape-sequence scanner.
    fn step(&mut self, scan: Scan, c: char, open: &mut Style, out: &mut String) -> Scan {
        match scan {
            Scan::Ground if c == '\x1b' => Scan::Escape,
            Scan::Ground if is_special(c) => Scan::Ground,
            Scan::Ground => {
                self.restyle(open, out);
                push_escaped(c, out);
                Scan::Ground
            }
            Scan::Escape => match c {
                '[' => Scan::Csi(Sgr::new(self.style)),
                ']' | 'P' | 'X' | '^' | '_' => Scan::Str,
                '\x20'..='\x2f' => Scan::Nf,
                c if c.is_ascii() => Scan::Ground,
                // ESC before a non-ASCII character is dropped alone.
                c => self.step(Scan::Ground, c, open, out),
            },
            Scan::Csi(mut sgr) => match c {
                'm' => {
                    if let Some(style) = sgr.finish() {
                        self.style = style;
                    }
                    Scan::Ground
                }
                '\x40'..='\x7e' => Scan::Ground,
                '0'..='9' => {
                    sgr.digit(c as u8 - b'0');
                    Scan::Csi(sgr)
                }
                ';' => {
                    sgr.param();
                    Scan::Csi(sgr)
                }
                // Colon sub-parameters, private markers, intermediates: not an SGR we use.
                _ => {
                    sgr.ok = false;
                    Scan::Csi(sgr)
                }
            },
            Scan::Str if c == '\x07' => Scan::Ground,
            Scan::Str | Scan::StrEsc if c == '\x1b' => Scan::StrEsc,
            Scan::StrEsc if c == '\\' => Scan::Ground,
            Scan::Str | Scan::StrEsc => Scan::Str,
            Scan::Nf if ('\x30'..='\x7e').contains(&c) => Scan::Ground,
            Scan::Nf => Scan::Nf,
        }
    }
}

/// Where the scanner is within the escape sequences of a line.
#[derive(Clone, Copy)]
enum Scan {
    Ground,
    /// After ESC.
    Escape,
    /// In `ESC [ … final`.
    Csi(Sgr),
    /// In an OSC/DCS/SOS/PM/APC string, which ends at BEL or ESC `\`.
    Str,
    /// In such a string, just after an ESC.
    StrEsc,
    /// In `ESC intermediate… final`.
    Nf,
}

/// Hands `out` to `spill` whenever it reaches the next limit.
struct Pieces<'s, E> {
    piece: usize,
    limit: usize,
    spill: &'s mut dyn FnMut(&mut String) -> Result<(), E>,
}

impl<E> Pieces<'_, E> {
    fn check(&mut self, out: &mut String) -> Result<(), E> {
        if out.len() >= self.limit {
            (self.spill)(out)?;
            // Measured from what is left, in case `spill` did not take everything.
            self.limit = out.len().saturating_add(self.piece);
        }
        Ok(())
    }
}

/// The text format: the line as UTF-8, invalid sequences replaced by U+FFFD.
fn text<E>(line: &[u8], out: &mut String, pieces: &mut Pieces<'_, E>) -> Result<(), E> {
    for (mut s, invalid) in runs(line) {
        while !s.is_empty() {
            let mut n = s.len().min(pieces.limit.saturating_sub(out.len()).max(1));
            while !s.is_char_boundary(n) {
                n += 1;
            }
            out.push_str(&s[..n]);
            s = &s[n..];
            pieces.check(out)?;
        }
        if invalid {
            out.push(char::REPLACEMENT_CHARACTER);
            pieces.check(out)?;
        }
    }
    Ok(())
}

/// Characters that are dropped: C0/C1 controls but tab, and DEL.
fn is_special(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{7f}'
}

/// The valid UTF-8 runs of `line`, each with whether an invalid sequence follows it. A valid
/// line (nearly every line) is one run, checked by `from_utf8`'s word-at-a-time ASCII path
/// rather than `Utf8Chunks`' byte-by-byte decoding.
fn runs(line: &[u8]) -> impl Iterator<Item = (&str, bool)> {
    let whole = std::str::from_utf8(line).ok();
    let pieces = whole.is_none().then(|| line.utf8_chunks());
    let pieces = pieces.into_iter().flatten();
    let pieces = pieces.map(|c| (c.valid(), !c.invalid().is_empty()));
    whole.map(|s| (s, false)).into_iter().chain(pieces)
}

/// What a byte is to HTML text: printable as it is, an entity (its index in [`ENTITIES`],
/// plus one), a control that ends printable text ([`STOP`]), or `0xC2`, which starts a C1
/// control when `0x80..=0x9F` follows ([`C2`]).
const PLAIN: u8 = 0;
const STOP: u8 = 6;
const C2: u8 = 7;
const ENTITIES: [&str; 5] = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
const CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = STOP;
        b += 1;
    }
    t[b'\t' as usize] = PLAIN;
    t[0x7f] = STOP;
    t[0xc2] = C2;
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 2;
    t[b'>' as usize] = 3;
    t[b'"' as usize] = 4;
    t[b'\'' as usize] = 5;
    t
};

/// True when `b[i]` ends printable text: an ESC, C0/C1 control or DEL.
fn stops(b: &[u8], i: usize) -> bool {
    match CLASS[b[i] as usize] {
        STOP => true,
        // C1 controls, U+0080 to U+009F, are 0xC2 0x80..=0x9F in UTF-8.
        C2 => b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        _ => false,
    }
}

/// True when `b` (not empty) starts with printable text.
fn starts_plain(b: &[u8]) -> bool {
    !stops(b, 0)
}

/// Appends the printable text at the start of `s` to `out`, HTML-escaped, in one pass;
/// returns its length (which ends on a character boundary: it stops only before an ASCII
/// control or a C1 control's lead byte, or at the end of `s`).
fn escape_plain(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    let (mut last, mut i) = (0, 0);
    while i < b.len() {
        match CLASS[b[i] as usize] {
            PLAIN => {}
            STOP | C2 if stops(b, i) => break,
            STOP | C2 => {}
            e => {
                out.push_str(&s[last..i]);
                out.push_str(ENTITIES[e as usize - 1]);
                last = i + 1;
            }
        }
        i += 1;
    }
    out.push_str(&s[last..i]);
    i
}

/// Appends `s` HTML-escaped, copying the runs between special characters at once.
/// What an `html` line says of itself before its text, when it says anything: one empty
/// `<span>` with `data-level` (the entry's level), `data-cont` (it continues the entry before),
/// `data-json` (it is a JSON object) and `data-time` (its stamp's moment, epoch ms).
fn marker(e: &Entry, moment: Option<i64>, out: &mut String) {
    if e.level.is_none() && !e.continues && !e.class.json && moment.is_none() {
        return;
    }
    out.push_str("<span");
    if let Some(l) = e.level {
        out.push_str(" data-level=\"");
        out.push_str(l.name());
        out.push('"');
    }
    if e.continues {
        out.push_str(" data-cont");
    }
    if e.class.json {
        out.push_str(" data-json");
    }
    if let Some(ms) = moment {
        let _ = write!(out, " data-time=\"{ms}\"");
    }
    out.push_str("></span>");
}

fn escape_into(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Which colour an extended colour parameter (`38`, `48`, `58`) sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Fg,
    Bg,
    /// `58`, the underline colour: read so its numbers are not taken for codes, then ignored.
    Ignored,
}

/// Where an SGR sequence is within an extended colour.
#[derive(Clone, Copy)]
enum Ext {
    None,
    /// After `38`/`48`/`58`: `5` (index) or `2` (RGB) follows.
    Mode(Target),
    Index(Target),
    /// RGB components read so far.
    Rgb(Target, u8, [u16; 3]),
}

/// One SGR sequence being read. Parameters are applied as they arrive to a copy of the
/// style, which replaces the style only if the whole sequence is well-formed: memory and
/// time stay constant per parameter however many there are.
#[derive(Clone, Copy)]
struct Sgr {
    style: Style,
    value: u16,
    ext: Ext,
    ok: bool,
}

impl Sgr {
    fn new(style: Style) -> Self {
        Sgr {
            style,
            value: 0,
            ext: Ext::None,
            ok: true,
        }
    }

    fn digit(&mut self, d: u8) {
        let v = self.value.saturating_mul(10).saturating_add(u16::from(d));
        self.value = v.min(MAX_PARAM);
    }

    /// Ends one parameter (an empty one counts as 0, as in terminals).
    fn param(&mut self) {
        let v = std::mem::take(&mut self.value);
        self.ext = match self.ext {
            Ext::None => {
                self.code(v);
                return;
            }
            Ext::Mode(t) if v == 5 => Ext::Index(t),
            Ext::Mode(t) if v == 2 => Ext::Rgb(t, 0, [0; 3]),
            Ext::Mode(_) => Ext::None,
            Ext::Index(t) => {
                if let Ok(i) = u8::try_from(v) {
                    self.set(t, indexed(i));
                }
                Ext::None
            }
            Ext::Rgb(t, n, mut c) => {
                c[usize::from(n)] = v;
                if n < 2 {
                    Ext::Rgb(t, n + 1, c)
                } else {
                    if let [Ok(r), Ok(g), Ok(b)] = c.map(u8::try_from) {
                        self.set(t, Colour::Rgb(r, g, b));
                    }
                    Ext::None
                }
            }
        };
    }

    /// The style after the sequence, or `None` if it was not a plain SGR.
    fn finish(mut self) -> Option<Style> {
        self.param();
        self.ok.then_some(self.style)
    }

    fn set(&mut self, t: Target, c: Colour) {
        match t {
            Target::Fg => self.style.fg = c,
            Target::Bg => self.style.bg = c,
            Target::Ignored => {}
        }
    }

    /// Applies one SGR code; unknown codes change nothing.
    fn code(&mut self, v: u16) {
        let s = &mut self.style;
        match v {
            0 => *s = Style::default(),
            1 => s.flags |= BOLD,
            2 => s.flags |= DIM,
            3 => s.flags |= ITALIC,
            4 | 21 => s.flags |= UNDERLINE,
            7 => s.flags |= REVERSE,
            9 => s.flags |= STRIKE,
            22 => s.flags &= !(BOLD | DIM),
            23 => s.flags &= !ITALIC,
            24 => s.flags &= !UNDERLINE,
            27 => s.flags &= !REVERSE,
            29 => s.flags &= !STRIKE,
            53 => s.flags |= OVERLINE,
            55 => s.flags &= !OVERLINE,
            30..=37 => s.fg = Colour::Named((v - 30) as u8),
            90..=97 => s.fg = Colour::Named((v - 90 + 8) as u8),
            40..=47 => s.bg = Colour::Named((v - 40) as u8),
            100..=107 => s.bg = Colour::Named((v - 100 + 8) as u8),
            39 => s.fg = Colour::Default,
            49 => s.bg = Colour::Default,
            38 => self.ext = Ext::Mode(Target::Fg),
            48 => self.ext = Ext::Mode(Target::Bg),
            58 => self.ext = Ext::Mode(Target::Ignored),
            _ => {}
        }
    }
}

/// A 256-colour index as a colour: 0–15 named, then the 6×6×6 cube and the grey ramp.
fn indexed(i: u8) -> Colour {
    const LEVELS: [u8; 6] = [0, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
    match i {
        0..=15 => Colour::Named(i),
        16..=231 => {
            let c = i - 16;
            Colour::Rgb(
                LEVELS[usize::from(c / 36)],
                LEVELS[usize::from(c / 6 % 6)],
                LEVELS[usize::from(c % 6)],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            Colour::Rgb(v, v, v)
        }
    }
}

/// The page's CSS variable names of the 16 colours, and xterm's values as fallbacks.
const NAMED: [(&str, &str); 16] = [
    ("black", "#000"),
    ("red", "#a00"),
    ("green", "#0a0"),
    ("yellow", "#a60"),
    ("blue", "#00a"),
    ("magenta", "#a0a"),
    ("cyan", "#0aa"),
    ("white", "#aaa"),
    ("bright-black", "#555"),
    ("bright-red", "#f55"),
    ("bright-green", "#5f5"),
    ("bright-yellow", "#ff5"),
    ("bright-blue", "#55f"),
    ("bright-magenta", "#f5f"),
    ("bright-cyan", "#5ff"),
    ("bright-white", "#fff"),
];

/// Writes a colour as a CSS value; `Default` becomes `default` (the page's own colour).
fn push_colour(c: Colour, default: &str, out: &mut String) {
    use std::fmt::Write as _;
    match c {
        Colour::Default => out.push_str(default),
        Colour::Named(i) => {
            let (name, fallback) = NAMED[usize::from(i & 15)];
            let _ = write!(out, "var(--lv-{name},{fallback})");
        }
        Colour::Rgb(r, g, b) => {
            let _ = write!(out, "#{r:02x}{g:02x}{b:02x}");
        }
    }
}

/// True when a run in `s` needs a span (anything but the four plain tags).
fn has_span(s: Style) -> bool {
    s.fg != Colour::Default || s.bg != Colour::Default || s.flags & (DIM | REVERSE | OVERLINE) != 0
}

/// Opens a run in `s`: `<b><i><u><s>` as set, then at most one span for everything else.
fn open_run(s: Style, out: &mut String) {
    for (flag, tag) in [
        (BOLD, "<b>"),
        (ITALIC, "<i>"),
        (UNDERLINE, "<u>"),
        (STRIKE, "<s>"),
    ] {
        if s.flags & flag != 0 {
            out.push_str(tag);
        }
    }
    if !has_span(s) {
        return;
    }
    // Reverse video swaps the colours; a default one becomes the page's other colour.
    let (fg, bg, fg_default, bg_default) = if s.flags & REVERSE != 0 {
        (s.bg, s.fg, Some("var(--bg)"), Some("var(--fg)"))
    } else {
        (s.fg, s.bg, None, None)
    };
    let mut sep = "<span style='";
    for (colour, default, property) in [(fg, fg_default, "color:"), (bg, bg_default, "background:")]
    {
        if colour != Colour::Default || default.is_some() {
            out.push_str(std::mem::replace(&mut sep, ";"));
            out.push_str(property);
            push_colour(colour, default.unwrap_or_default(), out);
        }
    }
    for (flag, css) in [
        (DIM, "opacity:0.67"),
        (OVERLINE, "text-decoration:overline"),
    ] {
        if s.flags & flag != 0 {
            out.push_str(std::mem::replace(&mut sep, ";"));
            out.push_str(css);
        }
    }
    out.push_str("'>");
}

/// Closes a run opened by [`open_run`] (nothing for the default style).
fn close_run(s: Style, out: &mut String) {
    if has_span(s) {
        out.push_str("</span>");
    }
    for (flag, tag) in [
        (STRIKE, "</s>"),
        (UNDERLINE, "</u>"),
        (ITALIC, "</i>"),
        (BOLD, "</b>"),
    ] {
        if s.flags & flag != 0 {
            out.push_str(tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: &str = "<span style='color:var(--lv-red,#a00)'>";

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

    /// Renders one line in pieces of `piece` bytes; returns the pieces, the last one included.
    fn pieces(r: &mut Renderer, line: &[u8], piece: usize) -> Vec<String> {
        let mut got = Vec::new();
        let mut out = String::new();
        let mut spill = |o: &mut String| {
            got.push(std::mem::take(o));
            Ok::<(), ()>(())
        };
        r.line_in_pieces(line, &mut out, piece, &mut spill).unwrap();
        got.push(out);
        got
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
    fn html_escapes_markup_inside_coloured_runs() {
        let out = html(&[
            "\x1b[1;31m<script>alert('x')</script>\x1b[0m&\x1b[44m\"<b>",
            "</span><script>",
        ]);
        assert_eq!(
            out[0],
            format!(
                "<b>{RED}&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</span></b>&amp;\
                 <span style='background:var(--lv-blue,#00a)'>&quot;&lt;b&gt;</span>\n"
            )
        );
        assert_eq!(
            out[1],
            "<span style='background:var(--lv-blue,#00a)'>&lt;/span&gt;&lt;script&gt;</span>\n",
            "the carried colour wraps escaped text"
        );
    }

    #[test]
    fn html_converts_colours_and_carries_them_across_lines() {
        let out = html(&["\x1b[31mred", "still red", "\x1b[0mplain", "plain too", ""]);
        assert_eq!(out[0], format!("{RED}red</span>\n"));
        assert_eq!(out[1], format!("{RED}still red</span>\n"));
        assert_eq!(out[2], "plain\n");
        assert_eq!(out[3], "plain too\n");
        assert_eq!(out[4], "\n");
    }

    #[test]
    fn html_gives_one_run_per_style_with_attributes_as_tags() {
        let out = html(&[
            "\x1b[1;32mbold green\x1b[22m green\x1b[3;4;9mall\x1b[23;24;29;39mx",
            "\x1b[2;53mdim over\x1b[0;7mrev\x1b[31;42mrev2\x1b[27m \x1b[m",
        ]);
        let green = "<span style='color:var(--lv-green,#0a0)'>";
        assert_eq!(
            out[0],
            format!(
                "<b>{green}bold green</span></b>{green} green</span>\
                 <i><u><s>{green}all</span></s></u></i>x\n"
            )
        );
        assert_eq!(
            out[1],
            "<span style='opacity:0.67;text-decoration:overline'>dim over</span>\
             <span style='color:var(--bg);background:var(--fg)'>rev</span>\
             <span style='color:var(--lv-green,#0a0);background:var(--lv-red,#a00)'>rev2</span>\
             <span style='color:var(--lv-red,#a00);background:var(--lv-green,#0a0)'> </span>\n"
        );
    }

    #[test]
    fn html_renders_256_colours_and_truecolour_as_validated_rgb() {
        let out = html(&[
            "\x1b[38;5;196ma\x1b[48;5;244mb\x1b[38;5;9mc\x1b[38;2;1;2;255md",
            "\x1b[0;38;2;300;0;0me\x1b[38;5;256mf\x1b[38;2;1;2mg\x1b[58;5;1;31mh",
        ]);
        assert_eq!(
            out[0],
            "<span style='color:#ff0000'>a</span>\
             <span style='color:#ff0000;background:#808080'>b</span>\
             <span style='color:var(--lv-bright-red,#f55);background:#808080'>c</span>\
             <span style='color:#0102ff;background:#808080'>d</span>\n"
        );
        assert_eq!(
            out[1],
            format!("efg{RED}h</span>\n"),
            "out-of-range colours and incomplete ones change nothing; 58 takes its arguments"
        );
    }

    #[test]
    fn html_keeps_256_colour_index_zero_from_looking_like_a_reset() {
        let out = html(&["\x1b[38;5;0mblack", "next"]);
        assert_eq!(
            out[1],
            "<span style='color:var(--lv-black,#000)'>next</span>\n"
        );
    }

    #[test]
    fn html_never_lets_an_sgr_it_cannot_parse_through() {
        // Found by the render_html fuzz target against the former ansi-to-html renderer.
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
        assert_eq!(
            out[1],
            format!("{RED}y</span>\n"),
            "the empty parameter is a reset (0)"
        );
        assert_eq!(
            out[2],
            format!("{RED}z</span>\n"),
            "red carries on; the colon form is dropped"
        );
        assert_eq!(out[3], format!("{RED}w</span>\n"));
        assert_eq!(out[4], "v\n");
    }

    #[test]
    fn html_a_parameter_of_many_digits_saturates() {
        // 99999999999999999999 once overflowed the parameter (found by fuzzing).
        let out = html(&["\x1b[99999999999999999999;31mx"]);
        assert_eq!(out[0], format!("{RED}x</span>\n"));
    }

    #[test]
    fn html_a_sequence_with_thousands_of_parameters_is_one_run() {
        let huge = format!("\x1b[{}1mx", "31;".repeat(5000));
        let out = html(&[&huge, "next"]);
        assert_eq!(out[0], format!("<b>{RED}x</span></b>\n"));
        assert_eq!(out[1], format!("<b>{RED}next</span></b>\n"));
    }

    /// Tracker issue 8, point 1: ~80 parameters left open by one 251-byte line used to be
    /// replayed as 80 nested spans in front of every later line (3,761 bytes for `ab`).
    #[test]
    fn html_carried_state_costs_one_run_whatever_set_it() {
        let seq = format!("\x1b[{}m", ["31;32"; 8].join(";"));
        let hostile = format!("{}x", seq.repeat(5));
        assert_eq!(hostile.len(), 251);
        let out = html(&[&hostile, "ab"]);
        assert!(out[1].len() < 200, "{} bytes: {}", out[1].len(), out[1]);
        assert_eq!(
            out[1],
            "<span style='color:var(--lv-green,#0a0)'>ab</span>\n"
        );
    }

    /// Point 2: a long line of alternating colours renders in one pass, output linear in input.
    #[test]
    fn html_alternating_colours_render_linearly() {
        let unit = "\x1b[31mx\x1b[32my";
        let sizes: Vec<usize> = [1 << 16, 1 << 17]
            .iter()
            .map(|&n| {
                let line = unit.repeat(n);
                let out = &html(&[&line])[0];
                assert!(
                    out.len() <= 10 * line.len(),
                    "{} -> {}",
                    line.len(),
                    out.len()
                );
                out.len() - 1
            })
            .collect();
        assert_eq!(sizes[1], 2 * sizes[0], "twice the input, twice the output");
    }

    /// Point 3: a line's HTML can leave in bounded pieces; together they are the whole line.
    #[test]
    fn html_in_pieces_is_bounded_and_cut_between_entities() {
        const PIECE: usize = 64 * 1024;
        for line in [
            "\"".repeat(1 << 20),
            "\x1b[31mx\x1b[0;42;1m<".repeat(100_000),
        ] {
            let mut whole = String::new();
            Renderer::new(Format::Html).line(line.as_bytes(), &mut whole);
            let got = pieces(&mut Renderer::new(Format::Html), line.as_bytes(), PIECE);
            assert!(got.len() > 10, "{} pieces", got.len());
            for p in &got {
                assert!(p.len() < PIECE + MAX_STEP, "a piece of {} bytes", p.len());
                let tail = &p[p.rfind('&').unwrap_or(0)..];
                assert!(
                    !tail.starts_with('&') || tail.contains(';'),
                    "cut in {tail:?}"
                );
            }
            assert_eq!(got.concat(), whole);
        }
    }

    #[test]
    fn text_in_pieces_cuts_only_between_characters() {
        let line = "é€x\u{1F600}".repeat(100_000);
        // 1001 is never a boundary of the 10-byte pattern: every cut must move to one.
        let got = pieces(&mut Renderer::new(Format::Text), line.as_bytes(), 1001);
        assert!(got.iter().all(|p| p.len() < 1001 + MAX_STEP));
        assert_eq!(got.concat(), line + "\n");
    }

    #[test]
    fn reset_forgets_the_carried_style() {
        let mut r = Renderer::new(Format::Html);
        let mut out = String::new();
        r.line(b"\x1b[1;31mred", &mut out);
        r.reset();
        out.clear();
        r.line(b"plain", &mut out);
        assert_eq!(out, "plain\n");
    }

    #[test]
    fn html_strips_other_escapes_and_controls() {
        let out = html(&[
            "a\x1b[2Kb\x1b]0;title\x07c\x1b7d\x1b[?25le\r\x08\x07f\x1b",
            "\x1b[66mbad code",
            "g\x1bP1;2\x1b\x1b\\h\x1b(Bi\x1b\u{e9}\u{85}\u{7f}\x1b[3\u{fffd}mj\x1b]8;;u",
            // An ESC inside a string that is not its end; two intermediates before the final.
            "\x1b]0;t\x1bXhidden\x07shown \x1b$(Btext",
        ]);
        assert_eq!(out[0], "abcdef\n");
        assert_eq!(out[1], "bad code\n");
        assert_eq!(out[2], "ghi\u{e9}j\n");
        assert_eq!(out[3], "shown text\n");
        for o in &out {
            assert!(!o.trim_end().chars().any(is_special), "{o:?}");
        }
    }

    /// The `data-time` of one rendered line, if it has one.
    fn moment_of(r: &mut Renderer, line: &str) -> Option<i64> {
        let mut out = String::new();
        r.line(line.as_bytes(), &mut out);
        let t = out.split("data-time=\"").nth(1)?;
        t.split('"').next()?.parse().ok()
    }

    #[test]
    fn syslog_stamps_take_their_year_from_the_file_then_from_now_once_live() {
        let at = |ms: u64| std::time::UNIX_EPOCH + Duration::from_millis(ms);
        // Modified 2025-12-31 12:00 UTC: a stamp up to a day later is that year's (a writer's
        // clock ahead), one later than that the year before's.
        let mut r = Renderer::new(Format::Html).with_moments(None, at(1_767_182_400_000));
        let jan1 = moment_of(&mut r, "Jan  1 00:05:00 host a: within the grace");
        assert_eq!(jan1, Some(1_767_225_900_000), "2026-01-01 00:05 UTC");
        let dec31 = moment_of(&mut r, "Dec 31 11:00:00 host a: the file's day");
        assert_eq!(dec31, Some(1_767_178_800_000), "2025-12-31 11:00 UTC");
        let feb = moment_of(&mut r, "Feb  2 00:00:00 host a: after the file");
        assert_eq!(
            feb,
            Some(1_738_454_400_000),
            "2025-02-02: the year before's"
        );
        assert_eq!(moment_of(&mut r, "no stamp"), None);
        // Live: lines are written now, whatever the file's age.
        r.go_live();
        let now = std::time::SystemTime::now();
        let now_ms = now
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let year_start = moment_of(&mut r, "Jan  1 00:00:00 host a: live").unwrap();
        assert!(year_start <= now_ms && now_ms - year_start < 366 * 86_400_000);
        // A renderer without moments tells none.
        assert_eq!(
            moment_of(&mut Renderer::new(Format::Html), "Jan  1 00:00:00 x"),
            None
        );
    }
}
