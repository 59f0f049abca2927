//! The line classifier (levels, JSON lines, entries) on arbitrary lines.
//!
//! Asserts: it never panics; a level found in a text line is found in the bytes it may look
//! at (appending anything past the first 512 bytes never changes it); a line classed as JSON
//! parses as a JSON object; a line starting with a space or a tab always continues an entry;
//! a continuation line takes the level of the entry before it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logview::text::classify::{Entries, classify, json_object};

fuzz_target!(|data: &[u8]| {
    let mut entries = Entries::default();
    let mut level = None;
    for line in data.split(|&b| b == b'\n') {
        let class = classify(line);
        if class.json {
            assert!(json_object(line).is_some());
        } else if line.len() > 512 {
            let mut longer = line.to_vec();
            longer.extend_from_slice(b" level=error [ERROR]");
            assert_eq!(classify(&longer).level, class.level, "looked too far");
        }
        let e = entries.next(line);
        assert_eq!(e.class, class);
        if matches!(line.first(), Some(b' ' | b'\t')) {
            assert!(e.continues);
        }
        if e.continues {
            assert_eq!(e.level, level, "a continuation keeps its entry's level");
        } else {
            assert_eq!(e.level, class.level);
        }
        level = e.level;
    }
});
