//! Timestamps in log lines: RFC 3339 / ISO 8601 at or near the start of a line (`T` or a
//! space between date and time, `.` or `,` before the fraction, `Z` or `±HH:MM`), nginx error
//! logs (`2026/11/25 03:14:00`), syslog (`Nov 25 03:14:00`, no year), nginx/Apache access logs
//! (`[25/Nov/2026:03:14:00 +0000]`) and JSON lines (the first key of `@timestamp`, `timestamp`,
//! `time`, `ts`: a string as above, or epoch seconds or milliseconds).
//!
//! Guarantees: pure and bounded: a line is looked at in its first [`LOOK`] bytes (JSON lines
//! up to [`JSON_LOOK`]); nothing allocates; an impossible date is no stamp.

/// How far into a line a stamp is looked for.
const LOOK: usize = 64;
/// 10000-01-01T00:00:00Z in milliseconds: epoch times from then on are not a log's.
const MAX_EPOCH_MS: f64 = 253_402_300_800_000.0;
/// How far into a JSON line its time field is looked for.
const JSON_LOOK: usize = 4096;
const DAY_MS: i64 = 86_400_000;
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A moment in a log line: milliseconds since the epoch as written (the wall clock, read as
/// if it were UTC), and the offset from UTC the stamp gave, if it gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub wall_ms: i64,
    pub offset_min: Option<i32>,
    /// The stamp carried no year (syslog): `wall_ms` counts from 1 January of a leap year
    /// (so 29 February has a place) until [`Stamp::in_year`] places it.
    pub yearless: bool,
}

impl Stamp {
    /// Milliseconds since the epoch in UTC, reading a stamp without offset in `local_min`.
    pub fn utc_ms(&self, local_min: i32) -> i64 {
        self.wall_ms - i64::from(self.offset_min.unwrap_or(local_min)) * 60_000
    }

    /// A syslog stamp placed in `year` (logs without a year: the caller picks the year from
    /// the file's modification time, the year before for stamps later than it).
    pub fn in_year(self, year: i64) -> Stamp {
        if !self.yearless {
            return self;
        }
        let (days, ms) = (
            self.wall_ms.div_euclid(DAY_MS),
            self.wall_ms.rem_euclid(DAY_MS),
        );
        let (_, mo, d) = civil_from_days(days_from_civil(2000, 1, 1) + days);
        let wall_ms = days_from_civil(year, mo, d) * DAY_MS + ms;
        Stamp {
            wall_ms,
            yearless: false,
            ..self
        }
    }
}

/// The stamp of `line`, if it has one.
pub fn parse(line: &[u8]) -> Option<Stamp> {
    let head = &line[..line.len().min(LOOK)];
    if line.first() == Some(&b'{') {
        return json(&line[..line.len().min(JSON_LOOK)]);
    }
    let bracket = memchr::memchr(b'[', head);
    if let Some(s) = bracket.and_then(|i| access(&head[i + 1..])) {
        return Some(s);
    }
    // An ISO stamp has its first `-` or `/` four bytes in: only those places are tried.
    syslog(head).or_else(|| {
        memchr::memchr2_iter(b'-', b'/', head)
            .filter_map(|sep| sep.checked_sub(4))
            .take_while(|&i| i < head.len().saturating_sub(18))
            .filter(|&i| i == 0 || !head[i - 1].is_ascii_digit())
            .find_map(|i| iso(&head[i..]))
    })
}

/// What names a line's second when it starts with an ISO or syslog stamp: its bytes up to the
/// seconds, and the zone after any fraction. Two lines with the same key are stamped in the
/// same second, so a run of them is parsed once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SecondKey {
    head: Vec<u8>,
    zone: [u8; 6],
}

impl SecondKey {
    /// The key of `line`, when it starts with a stamp of a known shape.
    pub fn of(line: &[u8]) -> Option<SecondKey> {
        let head = second_head(line)?;
        Some(SecondKey {
            head: line[..head].to_vec(),
            zone: zone_after(line, head),
        })
    }

    /// True when `line` starts with this very second.
    pub fn matches(&self, line: &[u8]) -> bool {
        !self.head.is_empty()
            && line.starts_with(&self.head)
            && zone_after(line, self.head.len()) == self.zone
    }
}

/// How many bytes of `s` name its stamp up to the seconds (ISO 19, syslog 15).
fn second_head(s: &[u8]) -> Option<usize> {
    let iso = s.len() >= 19 && matches!(s[4], b'-' | b'/') && s[13] == b':' && s[16] == b':';
    let syslog = s.len() >= 15
        && s[3] == b' '
        && s[12] == b':'
        && s.first().is_some_and(u8::is_ascii_uppercase);
    match () {
        _ if iso => Some(19),
        _ if syslog => Some(15),
        _ => None,
    }
}

/// Up to 6 zone bytes (`Z`, `+01:00`) after the seconds at `at` and any fraction.
fn zone_after(s: &[u8], at: usize) -> [u8; 6] {
    let mut i = at;
    if matches!(s.get(i), Some(b'.' | b',')) {
        i += 1 + s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    let mut z = [b' '; 6];
    let zone_byte = |c: &&u8| matches!(c, b'Z' | b'+' | b'-' | b':' | b'0'..=b'9');
    for (k, c) in s[i.min(s.len())..]
        .iter()
        .take_while(zone_byte)
        .take(6)
        .enumerate()
    {
        z[k] = *c;
    }
    z
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:]MM]`, or `YYYY/MM/DD HH:MM:SS`.
fn iso(s: &[u8]) -> Option<Stamp> {
    let sep = *s.get(4)?;
    if !(sep == b'-' || sep == b'/') || s.get(7) != Some(&sep) {
        return None;
    }
    let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 2)?, num(s, 8, 2)?);
    if !matches!(s.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (h, mi) = (num(s, 11, 2)?, num(s, 14, 2)?);
    if s.get(13) != Some(&b':') {
        return None;
    }
    let (mut sec, mut i) = (0, 16);
    if s.get(16) == Some(&b':') {
        (sec, i) = (num(s, 17, 2)?, 19);
    }
    let (ms, i) = fraction(s, i);
    let offset = zone(&s[i..]);
    stamp(y, mo, d, h, mi, sec, ms, offset, false)
}

/// `DD/Mon/YYYY:HH:MM:SS ±HHMM` (after the `[`).
fn access(s: &[u8]) -> Option<Stamp> {
    let (d, mo, y) = (num(s, 0, 2)?, month(s.get(3..6)?)?, num(s, 7, 4)?);
    if s.get(2) != Some(&b'/') || s.get(6) != Some(&b'/') || s.get(11) != Some(&b':') {
        return None;
    }
    let (h, mi, sec) = (num(s, 12, 2)?, num(s, 15, 2)?, num(s, 18, 2)?);
    let offset = s
        .get(20)
        .filter(|&&b| b == b' ')
        .and_then(|_| zone(&s[21..]));
    stamp(y, mo, d, h, mi, sec, 0, offset, false)
}

/// `Mon DD HH:MM:SS` (day padded with a space or a zero) at the start of the line.
fn syslog(s: &[u8]) -> Option<Stamp> {
    let mo = month(s.get(..3)?)?;
    let d = match (s.get(4)?, s.get(5)?) {
        (b' ', d) if d.is_ascii_digit() => i64::from(d - b'0'),
        _ => num(s, 4, 2)?,
    };
    if s.get(3) != Some(&b' ') || s.get(6) != Some(&b' ') {
        return None;
    }
    let (h, mi, sec) = (num(s, 7, 2)?, num(s, 10, 2)?, num(s, 13, 2)?);
    // Year 2000 (a leap year) so 29 Feb is valid; `in_year` moves it to the real year.
    let s2000 = stamp(2000, mo, d, h, mi, sec, 0, None, true)?;
    Some(Stamp {
        wall_ms: s2000.wall_ms - days_from_civil(2000, 1, 1) * DAY_MS,
        ..s2000
    })
}

/// `{"time": …}` and its usual names: an RFC 3339 string or epoch seconds / milliseconds.
fn json(line: &[u8]) -> Option<Stamp> {
    let rest = json_time_value(line)?;
    if let Some(s) = rest.strip_prefix(b"\"") {
        return iso(s);
    }
    let n = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        .count();
    let v: f64 = std::str::from_utf8(&rest[..n]).ok()?.parse().ok()?;
    // Epoch milliseconds once past 1e11 (year 5138 in seconds; 1973 in milliseconds).
    let ms = if v > 1e11 { v } else { v * 1000.0 };
    // Before 1970 or after 9999 is not a log's time.
    (0.0..MAX_EPOCH_MS).contains(&ms).then_some(Stamp {
        wall_ms: ms as i64,
        offset_min: Some(0),
        yearless: false,
    })
}

/// Where the value of a JSON line's time key starts: the first of `@timestamp`, `timestamp`,
/// `time` and `ts` (in that order of preference) that is a key (followed by `:`), found in
/// one pass over the line's quotes.
fn json_time_value(line: &[u8]) -> Option<&[u8]> {
    const KEYS: [&[u8]; 4] = [b"@timestamp\"", b"timestamp\"", b"time\"", b"ts\""];
    let mut best: Option<(usize, &[u8])> = None;
    for q in memchr::memchr_iter(b'"', line) {
        let after = &line[q + 1..];
        let Some(k) = KEYS.iter().position(|k| after.starts_with(k)) else {
            continue;
        };
        if best.is_some_and(|(b, _)| b <= k) {
            continue;
        }
        let value = after[KEYS[k].len()..].trim_ascii_start().strip_prefix(b":");
        if let Some(v) = value {
            best = Some((k, v.trim_ascii_start()));
            if k == 0 {
                break;
            }
        }
    }
    best.map(|(_, v)| v)
}

fn num(s: &[u8], at: usize, len: usize) -> Option<i64> {
    let digits = s.get(at..at + len)?;
    digits.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

fn month(s: &[u8]) -> Option<i64> {
    if !s.first()?.is_ascii_uppercase() {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| &m[..] == s)
        .map(|i| i as i64 + 1)
}

/// `.123` or `,123456` at `i`: milliseconds and where the fraction ends.
fn fraction(s: &[u8], i: usize) -> (i64, usize) {
    if !matches!(s.get(i), Some(b'.' | b',')) {
        return (0, i);
    }
    let digits = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
    let ms = (0..3).fold(0, |n, k| {
        n * 10
            + s.get(i + 1 + k)
                .filter(|_| k < digits)
                .map_or(0, |b| i64::from(b - b'0'))
    });
    (ms, i + 1 + digits)
}

/// `Z`, `±HH:MM` or `±HHMM` at the start of `s`, in minutes east of UTC.
fn zone(s: &[u8]) -> Option<i32> {
    let sign = match s.first()? {
        b'Z' => return Some(0),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = num(s, 1, 2)?;
    let m = num(s, if s.get(3) == Some(&b':') { 4 } else { 3 }, 2)?;
    (h < 24 && m < 60).then(|| sign * (h * 60 + m) as i32)
}

#[allow(clippy::too_many_arguments)]
fn stamp(
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    sec: i64,
    ms: i64,
    offset_min: Option<i32>,
    yearless: bool,
) -> Option<Stamp> {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&mo)
        && (1..=days_in[(mo - 1) as usize]).contains(&d)
        && h < 24
        && mi < 60
        && sec <= 60;
    valid.then(|| Stamp {
        wall_ms: ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms,
        offset_min,
        yearless,
    })
}

/// The calendar year of a moment given in milliseconds since the epoch.
pub fn year_of(ms: i64) -> i64 {
    civil_from_days(ms.div_euclid(DAY_MS)).0
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T03:14:00Z in epoch milliseconds.
    const T: i64 = 1_795_576_440_000;

    fn utc(line: &str) -> Option<i64> {
        parse(line.as_bytes()).map(|s| s.in_year(2026).utc_ms(0))
    }

    #[test]
    fn iso_forms() {
        assert_eq!(utc("2026-11-25T03:14:00Z INFO x"), Some(T));
        assert_eq!(utc("2026-11-25T03:14:00.123Z x"), Some(T + 123));
        assert_eq!(utc("2026-11-25 03:14:00,5 WARN log4j"), Some(T + 500));
        assert_eq!(utc("2026-11-25T04:14:00+01:00 x"), Some(T));
        assert_eq!(utc("2026-11-25T02:14:00-0100 x"), Some(T));
        assert_eq!(utc("2026-11-25T03:14 short"), Some(T));
        assert_eq!(
            utc("I1125 [main] 2026-11-25T03:14:00Z near the start"),
            Some(T)
        );
        assert_eq!(utc("2026/11/25 03:14:00 [error] 12#12: nginx"), Some(T));
        let local = parse(b"2026-11-25 03:14:00 no zone").unwrap();
        assert_eq!(local.offset_min, None);
        assert_eq!(
            local.utc_ms(60),
            T - 3_600_000,
            "read in the given local zone"
        );
    }

    #[test]
    fn access_syslog_and_json_forms() {
        assert_eq!(
            utc("1.2.3.4 - - [25/Nov/2026:03:14:00 +0000] \"GET /\""),
            Some(T)
        );
        assert_eq!(
            utc("1.2.3.4 - - [25/Nov/2026:04:14:00 +0100] \"GET /\""),
            Some(T)
        );
        assert_eq!(utc("Nov 25 03:14:00 host sshd[1]: x"), Some(T));
        assert_eq!(utc("Nov  5 03:14:00 host x"), Some(T - 20 * 86_400_000));
        let feb29 = parse(b"Feb 29 00:00:00 h x").unwrap();
        assert_eq!(feb29.in_year(2024).utc_ms(0), 1_709_164_800_000);
        let mar1 = parse(b"Mar  1 00:00:00 h x").unwrap();
        assert_eq!(
            mar1.in_year(2024).utc_ms(0),
            1_709_251_200_000,
            "after 29 Feb"
        );
        assert_eq!(mar1.in_year(2026).utc_ms(0), 1_772_323_200_000);
        let dec31 = parse(b"Dec 31 23:59:59 h x").unwrap();
        assert_eq!(dec31.in_year(2025).utc_ms(0), 1_767_225_599_000);
        assert_eq!(year_of(1_767_225_599_000), 2025);
        assert_eq!(year_of(1_767_225_600_000), 2026);
        assert_eq!(year_of(-1), 1969);
        assert_eq!(
            utc(r#"{"level":"info","time":"2026-11-25T03:14:00Z"}"#),
            Some(T)
        );
        assert_eq!(
            utc(r#"{"@timestamp": "2026-11-25T03:14:00.000Z"}"#),
            Some(T)
        );
        assert_eq!(utc(r#"{"ts":1795576440.25,"msg":"zap"}"#), Some(T + 250));
        assert_eq!(utc(r#"{"timestamp":1795576440000}"#), Some(T));
        // A key, not a value that spells one; the preferred key wherever it stands.
        assert_eq!(
            utc(r#"{"msg":"time","time" : "2026-11-25T03:14:00Z"}"#),
            Some(T)
        );
        assert_eq!(
            utc(r#"{"ts":1,"time":2,"@timestamp":"2026-11-25T03:14:00Z"}"#),
            Some(T)
        );
        assert_eq!(utc(r#"{"msg":"ts","n":1}"#), None);
    }

    #[test]
    fn runs_within_one_second() {
        let same =
            |a: &str, b: &str| SecondKey::of(a.as_bytes()).is_some_and(|k| k.matches(b.as_bytes()));
        assert!(same(
            "2026-11-25T03:14:00.123Z a",
            "2026-11-25T03:14:00.999Z b"
        ));
        assert!(same("2026-11-25 03:14:00,5 x", "2026-11-25 03:14:00,75 y"));
        assert!(!same(
            "2026-11-25T03:14:00.123Z a",
            "2026-11-25T03:14:01.123Z a"
        ));
        assert!(
            !same("2026-11-25T03:14:00.1Z a", "2026-11-25T03:14:00.1+01:00"),
            "zone"
        );
        assert!(same("Nov 25 03:14:00 host a", "Nov 25 03:14:00 host b"));
        assert!(!same("Nov 25 03:14:00 host a", "Nov 25 03:14:01 host a"));
        assert!(!same(
            "[worker-1] 2026-11-25T03:14:00 a",
            "[worker-1] 2026-11-25T03:14:09 a"
        ));
        assert!(!same("2026-11-25T03:14:00", "2026-11-25"), "short");
    }

    #[test]
    fn no_stamp_is_none() {
        for line in [
            "",
            "\tat com.example.Foo(Foo.java:12)",
            "2026-13-01T00:00:00Z month 13",
            "2026-02-29T00:00:00Z not a leap year",
            "12026-11-25T03:14:00Z a number before",
            "Nov 31 03:14:00 no such day",
            "{\"msg\":\"no time\"}",
            "{\"ts\":1e300}",
            "{\"ts\":99999999999999999999}",
            "[25/Foo/2026:03:14:00 +0000]",
        ] {
            assert_eq!(parse(line.as_bytes()), None, "{line:?}");
        }
    }
}
