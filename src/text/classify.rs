//! Understanding a log line: its level (six of them, from the spellings and places loggers
//! use), whether it is a JSON object and which of its fields hold the time, level and message,
//! and whether it continues the entry of the line before (stack traces, tracebacks, panics).
//!
//! Guarantees: pure and bounded: a text line is looked at in its first [`LOOK`] bytes (a logfmt
//! `level=` in its first [`LOGFMT_LOOK`]), a JSON line is parsed only up to [`JSON_MAX`]
//! bytes; a level comes only from a marked place (syslog `<PRI>`, glog's `E1125`, a JSON or
//! logfmt field, or one of the first words before the message), never from a word inside a
//! message.

use std::cell::OnceCell;

use serde_json::Value;

use crate::text::time::{self, Stamp};

/// How far into a line its level is looked for.
const LOOK: usize = 128;
/// How far into a line a logfmt `level=` is looked for.
const LOGFMT_LOOK: usize = 512;
/// Longer JSON lines are not parsed (their level and fields are not looked for).
pub const JSON_MAX: usize = 256 * 1024;
/// A longer word is message text: the prefix has ended.
const MAX_WORD: usize = 40;
/// Words (not counting stamps and numbers) before the message that may name the level.
const PREFIX_WORDS: usize = 3;

/// A line's level, from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// The level's name (as `level=` takes it and the page shows it).
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// The level a name or spelling stands for (`warn`, `WARNING`, `Err`, `crit`…).
    pub fn from_word(word: &[u8]) -> Option<Level> {
        let mut buf = [0u8; 12];
        let lower = buf.get_mut(..word.len())?;
        lower.copy_from_slice(word);
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"trace" | b"trc" | b"verbose" | b"finest" | b"finer" => Level::Trace,
            b"debug" | b"dbg" | b"debu" | b"fine" => Level::Debug,
            b"info" | b"inf" | b"information" | b"notice" => Level::Info,
            b"warn" | b"warning" | b"wrn" => Level::Warn,
            b"error" | b"err" | b"erro" | b"severe" => Level::Error,
            b"fatal" | b"fata" | b"ftl" | b"critical" | b"crit" | b"panic" | b"emerg"
            | b"emergency" | b"alert" => Level::Fatal,
            _ => return None,
        })
    }

    /// A one-letter level (glog, logcat, zap's short form): uppercase only.
    fn from_letter(b: u8) -> Option<Level> {
        Some(match b {
            b'T' | b'V' => Level::Trace,
            b'D' => Level::Debug,
            b'I' => Level::Info,
            b'W' => Level::Warn,
            b'E' => Level::Error,
            b'F' => Level::Fatal,
            _ => return None,
        })
    }

    /// A syslog severity (the low 3 bits of `<PRI>`).
    fn from_syslog(severity: u8) -> Level {
        match severity {
            0..=2 => Level::Fatal,
            3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// A numeric level (pino and bunyan: 10 trace … 60 fatal).
    fn from_number(n: f64) -> Level {
        match n {
            n if n <= 10.0 => Level::Trace,
            n if n <= 20.0 => Level::Debug,
            n if n <= 30.0 => Level::Info,
            n if n <= 40.0 => Level::Warn,
            n if n <= 50.0 => Level::Error,
            _ => Level::Fatal,
        }
    }
}

/// What a line is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Class {
    pub level: Option<Level>,
    /// The line is one JSON object.
    pub json: bool,
}

/// Classifies one line.
pub fn classify(line: &[u8]) -> Class {
    match json_line_level(line) {
        Some(level) => Class { level, json: true },
        None => Class {
            level: level(line),
            json: false,
        },
    }
}

/// When the line is one JSON object (not over [`JSON_MAX`]): its level, read in one pass
/// that builds nothing but the level (the other fields are skipped, not parsed into values).
fn json_line_level(line: &[u8]) -> Option<Option<Level>> {
    let trimmed = line.trim_ascii();
    if trimmed.len() > JSON_MAX || !trimmed.starts_with(b"{") || !trimmed.ends_with(b"}") {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(trimmed);
    let found = serde::Deserializer::deserialize_map(&mut de, LevelOf { nested: false }).ok()?;
    de.end().ok()?;
    Some(found)
}

/// A JSON line's level: the first of `level`, `severity`, `lvl`, `levelname`, `loglevel` or
/// ECS's `log.level`, as a word or a number (pino, bunyan), read by serde without building values.
struct LevelOf {
    /// Inside ECS's `log` object, where only `level` counts.
    nested: bool,
}

const LEVEL_KEYS: [&str; 5] = ["level", "severity", "lvl", "levelname", "loglevel"];

impl<'de> serde::de::Visitor<'de> for LevelOf {
    type Value = Option<Level>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut top, mut nested) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let wanted = match self.nested {
                true => key == "level",
                false => LEVEL_KEYS.contains(&&*key),
            };
            if wanted && top.is_none() {
                top = map.next_value::<LevelValue>()?.0;
            } else if !self.nested && key == "log" {
                nested = map.next_value_seed(LevelOf { nested: true })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(top.or(nested))
    }

    // `log` that is not an object: no level there.
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for LevelOf {
    type Value = Option<Level>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A level field's value: a word or a number (anything else is no level).
struct LevelValue(Option<Level>);

impl<'de> serde::Deserialize<'de> for LevelValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(LevelValue(match v {
            Value::String(s) => Level::from_word(s.trim().as_bytes()),
            Value::Number(n) => n.as_f64().map(Level::from_number),
            _ => None,
        }))
    }
}

/// The level of a text line, if it has one in a marked place.
pub fn level(line: &[u8]) -> Option<Level> {
    let head = &line[..line.len().min(LOGFMT_LOOK)];
    if memchr::memchr(0x1b, head).is_some() {
        // A logger that colours its level (`\x1b[31mERROR\x1b[0m`) still names it.
        return level_of_plain(&without_escapes(head));
    }
    level_of_plain(line)
}

/// [`level`] of a line without escape sequences.
fn level_of_plain(line: &[u8]) -> Option<Level> {
    syslog_pri(line)
        .or_else(|| glog(line))
        .or_else(|| prefix_words(&line[..line.len().min(LOOK)]))
        .or_else(|| logfmt(&line[..line.len().min(LOGFMT_LOOK)]))
}

/// `head` without its escape sequences: CSI sequences (`ESC [` parameters, final byte), and
/// any other ESC with the byte after it.
fn without_escapes(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    let mut rest = head;
    while let Some(at) = memchr::memchr(0x1b, rest) {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at + 1..];
        let skip = match rest.first() {
            Some(b'[') => rest[1..]
                .iter()
                .position(|b| (0x40..=0x7e).contains(b))
                .map_or(rest.len(), |end| end + 2),
            Some(_) => 1,
            None => 0,
        };
        rest = &rest[skip..];
    }
    out.extend_from_slice(rest);
    out
}

/// `<PRI>` at the start (syslog on the wire, journald's `-o export`, kernel `dmesg -r`).
fn syslog_pri(line: &[u8]) -> Option<Level> {
    let rest = line.strip_prefix(b"<")?;
    let end = rest.iter().take(4).position(|&b| b == b'>')?;
    let digits = &rest[..end];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let pri: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (pri <= 191).then(|| Level::from_syslog((pri & 7) as u8))
}

/// glog and klog: `E1125 03:14:00.123456 …` (letter, month and day, space).
fn glog(line: &[u8]) -> Option<Level> {
    let head = line.get(..6)?;
    let digits = head[1..5].iter().all(u8::is_ascii_digit);
    (digits && head[5] == b' ')
        .then(|| Level::from_letter(head[0]))
        .flatten()
}

/// The level among the first words of a line, past its stamp and numbers: an uppercase level
/// word (`ERROR`), any spelling in brackets (`[error]`, `<warn>`, `[core:error]`) or before a
/// colon (`Warning:`), a lone uppercase letter right after the stamp and a pid (logcat).
/// A word ending in `:` that is no level (`worker:`) ends the prefix: the message starts.
fn prefix_words(head: &[u8]) -> Option<Level> {
    let (mut words, mut numbers, mut rest) = (0, false, head);
    loop {
        rest = rest.trim_ascii_start();
        // A word runs to the next space or tab; one longer than MAX_WORD is message text.
        let window = &rest[..rest.len().min(MAX_WORD + 1)];
        let end = memchr::memchr2(b' ', b'\t', window).unwrap_or(window.len());
        let (token, after) = rest.split_at(end);
        if token.is_empty() {
            return None;
        }
        rest = after;
        if is_stamp_part(token) {
            numbers |= token.iter().all(u8::is_ascii_digit);
            continue;
        }
        // Python's `ERROR:root:message`.
        let start = &token[..token.len().min(12)];
        if let Some(colon) = start.iter().position(|&b| b == b':')
            && colon > 1
            && is_upper(&token[..colon])
            && let Some(l) = Level::from_word(&token[..colon])
        {
            return Some(l);
        }
        if token.len() > MAX_WORD {
            return None; // message text, not a prefix
        }
        if let Some(l) = level_word(token, words == 0 && numbers) {
            return Some(l);
        }
        words += 1;
        if words >= PREFIX_WORDS || token.ends_with(b":") {
            return None;
        }
    }
}

/// The level one prefix word names, if it is written as a level.
fn level_word(token: &[u8], letter: bool) -> Option<Level> {
    let colon = token.ends_with(b":");
    let bare = trim_end(token, b":,|");
    if let [b'[' | b'(' | b'<', inner @ .., b']' | b')' | b'>'] = bare {
        // `[error]`, `(WARN)`, Apache's `[core:error]`.
        let word = inner.rsplit(|&b| b == b':').next().unwrap_or(inner);
        return Level::from_word(word.trim_ascii());
    }
    if let [b] = bare {
        return letter.then(|| Level::from_letter(*b)).flatten();
    }
    if colon || is_upper(bare) {
        return Level::from_word(bare);
    }
    None
}

fn trim_end<'a>(mut s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let [rest @ .., last] = s
        && chars.contains(last)
    {
        s = rest;
    }
    s
}

fn is_upper(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_uppercase)
}

/// Month and weekday names, as stamps write them.
const NAMES: [&[u8]; 19] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun",
];

/// A word that is part of a timestamp or a number (`2026-11-28`, `10:00:00,123`,
/// `[25/Nov/2026:03:14:00`, `+0000]`, `1234`), or a month or weekday name.
fn is_stamp_part(token: &[u8]) -> bool {
    let start = token.iter().take_while(|b| b"[(".contains(b)).count();
    let t = trim_end(&token[start..], b"])");
    let name = |p: &[u8]| p.len() == 3 && NAMES.contains(&p);
    let stamp_char = |b: &u8| b.is_ascii_digit() || b"-:.,+TZ".contains(b);
    name(t)
        || (t
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'+' || *b == b'-')
            && t.iter().any(u8::is_ascii_digit)
            && t.split(|&b| b == b'/')
                .all(|part| name(part) || part.iter().all(stamp_char)))
}

/// logfmt's `level=error` (also `lvl=`, `severity=`), at the start of a word, possibly quoted.
fn logfmt(head: &[u8]) -> Option<Level> {
    memchr::memchr_iter(b'=', head).find_map(|eq| {
        let key_start = head[..eq]
            .iter()
            .rposition(|b| b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let key = &head[key_start..eq];
        if !matches!(key, b"level" | b"lvl" | b"severity") {
            return None;
        }
        let value = &head[eq + 1..];
        let value = value.strip_prefix(b"\"").unwrap_or(value);
        let end = value
            .iter()
            .position(|b| !b.is_ascii_alphabetic())
            .unwrap_or(value.len());
        Level::from_word(&value[..end])
    })
}

/// The line as a JSON object, when it is exactly one (and not over [`JSON_MAX`]).
pub fn json_object(line: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let trimmed = line.trim_ascii();
    if trimmed.len() > JSON_MAX || !trimmed.starts_with(b"{") || !trimmed.ends_with(b"}") {
        return None;
    }
    match serde_json::from_slice(trimmed) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A JSON line's message: `msg`, `message`, `@message` or `event`, when it is a string.
pub fn json_message(v: &serde_json::Map<String, Value>) -> Option<&str> {
    ["msg", "message", "@message", "event"]
        .iter()
        .find_map(|k| v.get(*k)?.as_str())
}

/// Whether a line continues the entry of the line before by its form: it starts with a space
/// or a tab, `at `, `Caused by:`, `Traceback`, `... N more`, `goroutine N [`.
pub fn continuation(line: &[u8]) -> bool {
    const STARTS: [&[u8]; 5] = [
        b"at ",
        b"Caused by:",
        b"Traceback (",
        b"goroutine ",
        b"During handling of",
    ];
    matches!(line.first(), Some(b' ' | b'\t'))
        || STARTS.iter().any(|s| line.starts_with(s))
        || more(line)
}

/// `... 12 more` (Java's elided frames).
fn more(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"... ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest[digits..].starts_with(b" more")
}

/// A file's entries as its lines come: whether each line starts an entry or continues one.
#[derive(Debug, Default)]
pub struct Entries {
    /// A stamped line has been seen: from then on an unstamped line continues.
    stamped_file: bool,
    /// The level of the entry the last line belongs to.
    level: Option<Level>,
}

/// What [`Entries::next`] says of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub class: Class,
    /// The line continues the entry before it.
    pub continues: bool,
    /// The entry's level (a continuation takes its header's).
    pub level: Option<Level>,
    /// The line's stamp, when telling whether it continues needed it (`None`: not looked for).
    pub stamp: Option<Option<Stamp>>,
}

impl Entries {
    /// What `line` is, and whether it continues the entry before: by its form, or, in a file
    /// whose lines are stamped, by having no stamp and no level of its own (or being empty).
    /// The stamp is looked for only when that answer needs it.
    pub fn next(&mut self, line: &[u8]) -> Entry {
        let class = classify(line);
        let form = continuation(line);
        let plain = class.level.is_none() && !class.json && !form;
        let stamp = OnceCell::new();
        let stamped = || {
            stamp
                .get_or_init(|| (!line.is_empty()).then(|| time::parse(line)).flatten())
                .is_some()
        };
        let cont = form || (self.stamped_file && plain && !stamped());
        if !self.stamped_file && stamped() {
            self.stamped_file = true;
        }
        if !cont {
            self.level = class.level;
        }
        Entry {
            level: self.level,
            continues: cont,
            class,
            stamp: stamp.into_inner(),
        }
    }

    /// Forgets the file (rotated or truncated).
    pub fn reset(&mut self) {
        *self = Entries::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(line: &str) -> Option<&'static str> {
        classify(line.as_bytes()).level.map(Level::name)
    }

    #[test]
    fn a_level_in_colour_is_read_through_its_escapes() {
        assert_eq!(
            lv("2026-11-25T09:41:07Z \x1b[1;31mERROR\x1b[0m http::server: upstream timed out"),
            Some("error")
        );
        assert_eq!(lv("\x1b[33mWARN \x1b[0m slow query"), Some("warn"));
        assert_eq!(
            lv("\x1b[2m2026-11-25T09:41:07Z\x1b[0m \x1b[32m INFO\x1b[0m ok"),
            Some("info")
        );
        assert_eq!(
            lv("worker: \x1b[31mno error\x1b[0m here"),
            None,
            "still not mid-message"
        );
        assert_eq!(lv("\x1b[31"), None, "an unfinished escape");
        assert_eq!(lv("\x1b"), None);
    }

    #[test]
    fn levels_in_the_usual_places() {
        let cases = [
            (
                "2026-11-28 10:00:00,123 ERROR [main] c.f.Foo - boom",
                Some("error"),
            ),
            ("2026-11-28T10:00:00Z [WARN] disk", Some("warn")),
            (
                "2026/11/28 10:00:00 [error] 123#0: *1 open() failed",
                Some("error"),
            ),
            ("[2026-11-28T10:00:00Z ERROR logview] boom", Some("error")),
            ("2026-11-28T10:00:00.000Z\tDEBUG\tcache miss", Some("debug")),
            (
                "2026-11-28 10:00:00.123  INFO 1234 --- [main] o.s.Boot : up",
                Some("info"),
            ),
            (
                "E1125 03:14:00.123456   12345 file.cc:12] failed",
                Some("error"),
            ),
            (
                "W1125 03:14:00.123456   12345 file.cc:12] slow",
                Some("warn"),
            ),
            ("<3>Nov 28 10:00:00 host app: x", Some("error")),
            ("<14>Nov 28 10:00:00 host app: x", Some("info")),
            ("<0>panic", Some("fatal")),
            ("ERROR:root:division by zero", Some("error")),
            ("11-28 10:00:00.123  1234  1235 E Tag: boom", Some("error")),
            (
                "ts=2026-11-28T10:00:00Z level=warn msg=\"slow\"",
                Some("warn"),
            ),
            ("time=\"x\" lvl=\"error\" msg=x", Some("error")),
            ("2026-11-28 10:00:00 app - CRITICAL - down", Some("fatal")),
            (
                "[Sat Nov 28 10:00:00.123 2026] [core:error] [pid 12] x",
                Some("error"),
            ),
            ("PHP Warning:  Undefined variable", Some("warn")),
            ("error: linker failed", Some("error")),
            ("2026-11-28T10:00:00Z TRACE enter", Some("trace")),
            ("2026-11-28T10:00:00Z FATAL out of memory", Some("fatal")),
            ("2026-11-28T10:00:00Z WARNING low", Some("warn")),
            ("2026-11-28T10:00:00Z ERR x", Some("error")),
            ("2026-11-28T10:00:00Z I started", None),
            ("I1125 03:14:00.123456 1 f.cc:1] up", Some("info")),
            ("F1125 03:14:00.123456 1 f.cc:1] dead", Some("fatal")),
            ("11-28 10:00:00.123  1234  1235 D Tag: x", Some("debug")),
            ("11-28 10:00:00.123  1234  1235 V Tag: x", Some("trace")),
            ("11-28 10:00:00.123  1234  1235 T Tag: x", Some("trace")),
            ("11-28 10:00:00.123  1234  1235 X Tag: x", None),
        ];
        for (line, want) in cases {
            assert_eq!(lv(line), want, "{line}");
        }
    }

    #[test]
    fn every_syslog_severity_and_numeric_level() {
        let syslog: Vec<_> = (0..8).map(|sev| lv(&format!("<{}>x", 8 + sev))).collect();
        let want = [
            "fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug",
        ];
        assert_eq!(syslog, want.map(Some));
        let numbers: Vec<_> = [10, 20, 30, 40, 50, 60, 15]
            .iter()
            .map(|n| lv(&format!("{{\"level\":{n}}}")))
            .collect();
        let want = ["trace", "debug", "info", "warn", "error", "fatal", "debug"];
        assert_eq!(numbers, want.map(Some));
    }

    #[test]
    fn words_inside_a_message_do_not_count() {
        for line in [
            "2026-11-28T10:00:00Z worker: no error",
            "2026-11-28T10:00:00Z request finished with error",
            "Nov 28 10:00:00 host sshd[12]: error: PAM failure",
            "2026-11-28T10:00:00Z processed 3 items, 0 errors",
            "the error is here",
            "2026-11-28T10:00:00Z user=bob said level=warn in text x",
            "xlevel=error",
            "",
            "<999>x",
            "E12 short",
            "<>x",
            "<1a>ERROR x",
            "E1125x 03:14:00 f.cc:1] x",
            "Eab12 03:14:00 f.cc:1] x",
            "2026-11-28T10:00:00Z one two three ERROR x",
            "2026-11-28T10:00:00Z abcdefghijabcdefghijabcdefghijabcdefghijX ERROR x",
        ] {
            let got = lv(line);
            assert!(
                got.is_none() || line.contains("level=warn"),
                "{line}: {got:?}"
            );
        }
        assert_eq!(
            lv("2026-11-28T10:00:00Z user=bob level=warn x"),
            Some("warn")
        );
    }

    #[test]
    fn json_lines() {
        let c = classify(
            br#"{"time":"2026-11-28T10:00:00Z","level":"WARN","msg":"slow","n":{"a":[1,2]}}"#,
        );
        assert!(c.json);
        assert_eq!(c.level, Some(Level::Warn));
        assert_eq!(lv(r#"{"level":50,"msg":"pino"}"#), Some("error"));
        assert_eq!(lv(r#"{"severity":"critical"}"#), Some("fatal"));
        assert_eq!(
            lv(r#"{"log":{"level":"debug"},"message":"ecs"}"#),
            Some("debug")
        );
        assert_eq!(lv(r#"{"level":true}"#), None);
        let v = json_object(br#"{"message": {"nested": 1}, "msg": 3, "event": "e"}"#).unwrap();
        assert_eq!(
            json_message(&v),
            Some("e"),
            "non-string messages are skipped"
        );
        assert!(!classify(b"{not json").json);
        assert!(!classify(br#"{"a":1} trailing"#).json);
        assert!(!classify(b"[1,2]").json);
        let big = format!("{{\"level\":\"error\",\"x\":\"{}\"}}", "y".repeat(100_000));
        assert!(classify(big.as_bytes()).json, "100 kB is still read");
        let huge = format!("{{\"level\":\"error\",\"x\":\"{}\"}}", "y".repeat(JSON_MAX));
        assert!(!classify(huge.as_bytes()).json, "too long to parse");
        let deep = format!("{}{}", "{\"a\":".repeat(500), "}".repeat(500));
        assert!(
            !classify(deep.as_bytes()).json,
            "too deep is not an object we read"
        );
    }

    fn entries(text: &str) -> Vec<(bool, Option<Level>)> {
        let mut e = Entries::default();
        text.lines()
            .map(|l| {
                let x = e.next(l.as_bytes());
                (x.continues, x.level)
            })
            .collect()
    }

    #[test]
    fn java_python_and_go_traces_are_one_entry() {
        let java = "2026-11-28 10:00:00 ERROR [main] Boom\n\
                    java.lang.IllegalStateException: bad\n\
                    \tat com.x.A.run(A.java:10)\n\
                    Caused by: java.io.IOException: io\n\
                    \t... 12 more\n\
                    2026-11-28 10:00:01 INFO [main] next";
        let e = entries(java);
        assert_eq!(e.iter().filter(|x| x.0).count(), 4);
        assert!(e[..5].iter().all(|x| x.1 == Some(Level::Error)));
        assert_eq!(e[5], (false, Some(Level::Info)));

        let python = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: bad";
        let e = entries(python);
        assert!(e[0].0 && e[1].0, "a traceback continues what came before");

        let go = "2026-11-28T10:00:00Z INFO start\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d";
        let e = entries(go);
        assert_eq!(
            e[1],
            (false, Some(Level::Fatal)),
            "a panic starts its own entry"
        );
        assert!(
            e[2..].iter().all(|x| x == &(true, Some(Level::Fatal))),
            "{e:?}"
        );
        assert!(
            !entries("plain\nlines\nno stamps")[1].0,
            "unstamped files stay line by line"
        );
    }
}
