//! The timestamp parser on arbitrary lines.
//!
//! Asserts: it never panics; a stamp it finds is a real moment (between the years 0 and
//! 10000, or a syslog stamp placed in any year from 1970 to 2100 stays within that year);
//! its offset is within a day; and a stamp is found only in the bytes it is allowed to look
//! at (appending anything after the first 4096 bytes never changes the answer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logview::text::time::parse;

/// 10000-01-01 in milliseconds since the epoch.
const YEAR_10000_MS: i64 = 253_402_300_800_000;
/// 0000-01-01 in milliseconds since the epoch.
const YEAR_0_MS: i64 = -62_167_219_200_000;

fuzz_target!(|line: &[u8]| {
    let Some(stamp) = parse(line) else {
        return;
    };
    if let Some(offset) = stamp.offset_min {
        assert!(offset.abs() < 24 * 60, "{offset} minutes");
    }
    if stamp.yearless {
        for year in [1970, 2024, 2100] {
            let placed = stamp.in_year(year);
            assert!(!placed.yearless);
            assert!(placed.wall_ms >= 0 && placed.wall_ms < YEAR_10000_MS);
        }
    } else {
        assert!(
            (YEAR_0_MS..YEAR_10000_MS).contains(&stamp.wall_ms),
            "{stamp:?}"
        );
    }
    let mut longer = line.to_vec();
    if longer.len() > 4096 {
        longer.extend_from_slice(b" 2026-11-25T03:14:00Z");
        assert_eq!(
            parse(&longer),
            Some(stamp),
            "only the head of a line is read"
        );
    }
});
