//! The backward search: a file read backwards in blocks cut at line starts (`Backward`), each
//! block searched in one pass (`Query::matching_lines`), against the model of searching every
//! line on its own.
//!
//! Input: byte 0 picks the block size (1..=64); byte 1 the query flags (bit 0 regex, bit 1
//! case); the next bytes up to a 0 byte are the query (at most 16); the rest is the file.
//!
//! Asserts: the blocks cover the file exactly once, each starting at a line start; the lines
//! found, newest first, are exactly the lines (split at `\n`, a final line without one
//! included) that the query matches on their own, at their offsets.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use logview::source::reader::Backward;
use logview::text::search::Query;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let block = 1 + data[0] as usize % 64;
    let (regex, case) = (data[1] & 1 == 1, data[1] & 2 == 2);
    let rest = &data[2..];
    let qlen = rest.iter().take(16).position(|&b| b == 0).unwrap_or(rest.len().min(16));
    let Ok(q) = std::str::from_utf8(&rest[..qlen]) else {
        return;
    };
    let Ok(query) = Query::new(q, regex, case) else {
        return;
    };
    let content = &rest[(qlen + 1).min(rest.len())..];
    let path = std::env::temp_dir().join(format!("logview-fuzz-search-{}", std::process::id()));
    std::fs::File::create(&path).unwrap().write_all(content).unwrap();
    let file = std::fs::File::open(&path).unwrap();

    // Model: every line on its own, newest first.
    let mut want = Vec::new();
    let mut at = 0;
    for line in content.split(|&b| b == b'\n') {
        if at < content.len() {
            let mut hit = false;
            query.matching_lines(line, &mut |_, _| {
                hit = true;
                false
            });
            if hit {
                want.push(at as u64);
            }
        }
        at += line.len() + 1;
    }
    want.reverse();

    let mut got = Vec::new();
    let mut back = Backward::new(&file, content.len() as u64, block);
    let mut end = content.len() as u64;
    while let Some((start, bytes)) = back.next_block().unwrap() {
        assert_eq!(start + bytes.len() as u64, end, "blocks are contiguous");
        assert!(start == 0 || content[start as usize - 1] == b'\n', "cut at a line start");
        let mut found = Vec::new();
        query.matching_lines(bytes, &mut |s, _| {
            found.push(start + s as u64);
            true
        });
        got.extend(found.into_iter().rev());
        end = start;
    }
    assert_eq!(end, 0, "the whole file");
    assert_eq!(got, want, "query {q:?} regex {regex} case {case}");
});
