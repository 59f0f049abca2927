//! Jumping to a time: the first line stamped at or after a moment, found by a binary search
//! over byte offsets (each probe reads forwards from its offset to the first stamped line),
//! then a short forward scan that tolerates small disorder; and the moment of a line, as the
//! page shows it.
//!
//! Guarantees: a search reads a few small blocks per probe (a few hundred KiB on a GiB file),
//! never the whole file; a file where no probe finds a stamp is [`Jump::NoStamps`]. Stamps
//! without a zone are read in the server's local zone, syslog stamps (no year) in the year of
//! the file's modification time, or the year before when they would be later than it.

use std::io;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tz::TimeZone;

use crate::source::reader::{Forward, ReadAt};
use crate::text::time::{self, Stamp};

/// Bytes read at a time while probing.
const PROBE_BLOCK: usize = 4096;
/// How far past its offset a probe looks for a stamped line (a thread dump can run for MiBs
/// without one; a probe normally stops within a few hundred bytes).
const PROBE_REACH: u64 = 16 << 20;
/// Bytes of a line the stamp parser looks at (JSON lines put their time anywhere early).
const HEAD: usize = 4096;
/// The binary search stops when its range is this small...
const SETTLE: u64 = 64 * 1024;
/// ... and the final scan starts this much earlier, to catch lines slightly out of order.
const DISORDER: u64 = 64 * 1024;
/// The final scan gives up (the answer is the end of the file) after this many bytes.
const SCAN_LIMIT: u64 = 8 << 20;

/// A moment asked for: absolute (it carried a zone), or a wall-clock time read in the zone of
/// the log's own stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Utc(i64),
    Wall(i64),
}

impl Moment {
    /// `T` as RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (a wall-clock time).
    pub fn parse(t: &str) -> Option<Moment> {
        let t = t.trim();
        let digits = t.bytes().take(4).all(|b| b.is_ascii_digit());
        if !digits || t.len() < 16 || t.len() > 40 {
            return None;
        }
        // The stamp parser wants seconds; `HH:MM` means `HH:MM:00`.
        let mut t = match t.len() {
            16 => format!("{t}:00"),
            _ => t.to_string(),
        };
        // A `+01:00` sent unencoded in a query arrives as ` 01:00`.
        if let Some(i) = t.get(19..).and_then(|z| z.find(' ')).map(|i| i + 19)
            && t[i + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            t.replace_range(i..=i, "+");
        }
        let s = time::parse(t.as_bytes())?;
        Some(match s.offset_min {
            Some(_) => Moment::Utc(s.utc_ms(0)),
            None => Moment::Wall(s.wall_ms),
        })
    }
}

/// How far after its file's modification time a syslog stamp may lie and still be of that
/// year (the clocks of a log's writers and of the server differ).
const YEAR_GRACE_MS: i64 = 86_400_000;

/// How a file's stamps are read: the server's zone, and the year of syslog stamps (which have
/// none): the latest that puts the stamp at most [`YEAR_GRACE_MS`] after the file's
/// modification time.
pub struct Clock {
    zone: Option<Arc<TimeZone>>,
    /// The file's modification time as a local wall clock, in ms, plus the grace.
    latest_wall: i64,
}

impl Clock {
    /// The clock for a file last modified at `mtime` (for lines being written: now).
    pub fn new(zone: Option<Arc<TimeZone>>, mtime: SystemTime) -> Clock {
        let utc = mtime
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut c = Clock {
            zone,
            latest_wall: utc,
        };
        c.latest_wall = utc + c.offset_ms(utc) + YEAR_GRACE_MS;
        c
    }

    /// The same zone's clock for a file modified now.
    pub fn now(&self) -> Clock {
        Clock::new(self.zone.clone(), SystemTime::now())
    }

    /// The server's local zone, as the C library finds it: `TZ` (a zone name, `:path` or a
    /// POSIX rule) when set, else `/etc/localtime`; `None` (UTC) when neither can be read.
    pub fn local_zone() -> Option<Arc<TimeZone>> {
        let zone = match std::env::var("TZ") {
            Ok(tz) if !tz.is_empty() => TimeZone::from_posix_tz(&tz).ok(),
            _ => TimeZone::local().ok(),
        };
        zone.map(Arc::new)
    }

    /// The local zone's offset from UTC at the UTC moment `ms`.
    fn offset_ms(&self, ms: i64) -> i64 {
        let t = self
            .zone
            .as_ref()
            .and_then(|z| z.find_local_time_type(ms.div_euclid(1000)).ok());
        t.map_or(0, |t| i64::from(t.ut_offset()) * 1000)
    }

    /// A syslog stamp in its year; any other stamp as it is.
    fn placed(&self, s: Stamp) -> Stamp {
        if !s.yearless {
            return s;
        }
        let year = time::year_of(self.latest_wall);
        let this = s.in_year(year);
        if this.wall_ms > self.latest_wall {
            s.in_year(year - 1)
        } else {
            this
        }
    }

    /// The UTC moment of a stamp, in ms.
    pub fn utc_ms(&self, s: Stamp) -> i64 {
        let s = self.placed(s);
        match s.offset_min {
            Some(_) => s.utc_ms(0),
            None => s.wall_ms - self.offset_ms(s.wall_ms - self.offset_ms(s.wall_ms)),
        }
    }

    /// The stamp as a value comparable with `m`.
    fn key(&self, s: Stamp, m: Moment) -> i64 {
        match m {
            Moment::Utc(_) => self.utc_ms(s),
            Moment::Wall(_) => self.placed(s).wall_ms,
        }
    }
}

/// What a probe found.
enum Probe {
    /// The first stamped line: its offset and key.
    Stamp(u64, i64),
    /// No stamped line up to the range's end.
    Nothing,
    /// No stamped line within [`PROBE_REACH`].
    TooFar,
}

/// Where a time jump lands.
#[derive(Debug, PartialEq, Eq)]
pub enum Jump {
    /// The first line stamped at or after the moment starts here (the file's end when none
    /// is).
    At(u64),
    /// No stamp was found where the search looked.
    NoStamps,
}

/// Finds the first line of `file` (`len` bytes) stamped at or after `m`; also returns the
/// bytes it read.
pub fn jump(file: &dyn ReadAt, len: u64, m: Moment, clock: &Clock) -> io::Result<(Jump, u64)> {
    let target = match m {
        Moment::Utc(t) | Moment::Wall(t) => t,
    };
    let mut read = 0;
    // The first stamped line from `pos` on, looking as far as `until` (the range's end: past
    // it, nothing stamped means nothing to find in the range) within a read budget.
    let mut probe = |pos: u64, until: u64| -> io::Result<Probe> {
        let mut fw = Forward::after(file, pos, len, PROBE_BLOCK, HEAD)?;
        let found = loop {
            match fw.next_line()? {
                Some((o, l)) => match time::parse(l) {
                    Some(s) => break Probe::Stamp(o, clock.key(s, m)),
                    None if o >= until => break Probe::Nothing,
                    None if o - pos > PROBE_REACH => break Probe::TooFar,
                    None => {}
                },
                None => break Probe::Nothing,
            }
        };
        read += fw.bytes_read;
        Ok(found)
    };
    // The answer lies in [lo, hi), or is `best` (a stamped line at or after the moment).
    let (mut lo, mut hi, mut best, mut seen) = (0, len, None, false);
    while hi - lo > SETTLE {
        let mid = lo + (hi - lo) / 2;
        match probe(mid, hi)? {
            Probe::Stamp(o, key) if key < target => (lo, seen) = (o + 1, true),
            Probe::Stamp(o, _) => (hi, best, seen) = (mid, Some(o), true),
            Probe::Nothing => hi = mid,
            // A long unstamped stretch (a thread dump): no word on either side. Settle here
            // and let the forward scan, which reaches further, decide.
            Probe::TooFar => break,
        }
    }
    let (at, scanned) = scan(file, len, lo.saturating_sub(DISORDER), hi, best, m, clock)?;
    Ok(match at {
        None if !seen => (Jump::NoStamps, read + scanned),
        at => (Jump::At(at.unwrap_or(len)), read + scanned),
    })
}

/// The final forward scan from `from`: the first line at or after the moment, else `best`
/// once past `hi`. `None`: no stamp at all was seen; the end when stamps were all earlier.
fn scan(
    file: &dyn ReadAt,
    len: u64,
    from: u64,
    hi: u64,
    best: Option<u64>,
    m: Moment,
    clock: &Clock,
) -> io::Result<(Option<u64>, u64)> {
    let target = match m {
        Moment::Utc(t) | Moment::Wall(t) => t,
    };
    let mut fw = Forward::after(file, from, len, PROBE_BLOCK * 4, HEAD)?;
    let mut stamped = false;
    let found = loop {
        let Some((o, l)) = fw.next_line()? else {
            break best.or(stamped.then_some(len));
        };
        if let Some(s) = time::parse(l) {
            stamped = true;
            if clock.key(s, m) >= target {
                break Some(o);
            }
        }
        if (o > hi && best.is_some()) || o - from > SCAN_LIMIT {
            break best.or(stamped.then_some(len));
        }
    };
    Ok((found, fw.bytes_read))
}
