//! The gzip view (`source::gzip::Gzip`) on arbitrary bytes as a `.gz` file.
//!
//! Input: byte 0 picks the sizes (bit 0: the rest follows a fixed member header, so the
//! fuzzer reaches the deflate data at once; bits 1..=2: the piece size, 16 to 128 bytes, the
//! restart points every two pieces, at most 4 of them so they thin); byte 1 seeds the offsets
//! read; the rest is the file.
//!
//! Asserts: opening and reading never panic or hang (the text is capped at 1 MiB); the whole
//! text reads back; every read at an offset (a few hundred, of 0 to 300 bytes) equals the same
//! bytes of the whole text; a read past the end is `UnexpectedEof`.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use logview::source::gzip::{Gzip, Limits};
use logview::source::reader::ReadAt;

const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let content = match data[0] & 1 {
        1 => [&HEADER[..], &data[2..]].concat(),
        _ => data[2..].to_vec(),
    };
    let piece = 16 << (data[0] >> 1 & 0b11);
    let limits = Limits {
        piece,
        spacing: 2 * piece,
        checkpoints: 4,
        max_len: 1 << 20,
    };
    let path = std::env::temp_dir().join(format!("logview-fuzz-gzip-{}", std::process::id()));
    std::fs::File::create(&path).unwrap().write_all(&content).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let g = Gzip::open_with(file, content.len() as u64, limits, &|| false).expect("a local file reads");
    let len = g.len();
    assert!(len <= limits.max_len);
    let mut whole = vec![0u8; len as usize];
    g.read_exact_at(&mut whole, 0).expect("the whole text reads");
    let mut rng = u64::from(data[1]) | 1 << 32;
    for _ in 0..300 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let at = rng % (len + 1);
        let n = ((rng >> 32) % 301).min(len - at) as usize;
        let mut buf = vec![0u8; n];
        g.read_exact_at(&mut buf, at).expect("a read within the text");
        assert_eq!(buf, whole[at as usize..][..n], "{n} bytes at {at}");
    }
    let past = g.read_exact_at(&mut [0u8; 1], len).unwrap_err();
    assert_eq!(past.kind(), std::io::ErrorKind::UnexpectedEof);
});
