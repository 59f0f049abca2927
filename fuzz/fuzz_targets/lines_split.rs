//! `Lines` fed arbitrary bytes in arbitrary chunk sizes (including empty chunks).
//!
//! Input: byte 0 picks `max` (1..=64); byte 1 picks how many chunk-size bytes follow (1..=8);
//! those pick chunk sizes (0..=16, cycled); the rest is the stream.
//!
//! Asserts: every emitted line has no `\n` and at most `max` bytes; never more than `max - 1`
//! bytes are held back; when no line exceeds `max`, the emitted lines are exactly the input's
//! complete lines and, after `flush`, its unfinished last line (nothing lost, duplicated or
//! reordered, independent of chunking); in general the output equals the documented model
//! (each line cut to its first `max` bytes, the rest of it dropped; an unfinished last line is
//! emitted as soon as it reaches `max`, otherwise at `flush`); and after `flush` the splitter
//! is fresh: feeding the same stream again gives the same lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logview::text::lines::Lines;

fn run(lines: &mut Lines, max: usize, stream: &[u8], sizes: &[usize]) -> (Vec<Vec<u8>>, usize) {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        lines.feed(chunk, &mut |l| out.push(l.to_vec()));
        assert!(
            lines.pending() < max,
            "{} bytes held back, max {max}",
            lines.pending()
        );
    }
    let before_flush = out.len();
    lines.flush(&mut |l| out.push(l.to_vec()));
    assert_eq!(lines.pending(), 0);
    (out, before_flush)
}

fuzz_target!(|data: &[u8]| {
    let [m, k, rest @ ..] = data else { return };
    let max = (*m as usize % 64) + 1;
    let k = (*k as usize % 8) + 1;
    if rest.len() < k {
        return;
    }
    let (size_bytes, stream) = rest.split_at(k);
    let mut sizes: Vec<usize> = size_bytes.iter().map(|b| *b as usize % 17).collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes.push(1);
    }

    let mut lines = Lines::new(max);
    let (out, before_flush) = run(&mut lines, max, stream, &sizes);

    for l in &out {
        assert!(!l.contains(&b'\n'), "emitted line contains \\n: {l:?}");
        assert!(
            l.len() <= max,
            "emitted line of {} bytes > max {max}",
            l.len()
        );
    }

    // The input's lines: complete ones, then the unfinished remainder.
    let mut parts: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    let remainder = parts.pop().unwrap();
    let complete = parts;

    let got: Vec<&[u8]> = out.iter().map(|l| l.as_slice()).collect();
    if complete.iter().all(|l| l.len() <= max) && remainder.len() <= max {
        // Before flush: exactly the complete lines (plus a remainder that already reached
        // max bytes), and joined by `\n` they are the input up to its last `\n`.
        let mut want: Vec<&[u8]> = complete.clone();
        if remainder.len() == max {
            want.push(remainder);
        }
        assert_eq!(
            &got[..before_flush],
            &want[..],
            "before flush (max {max}, sizes {sizes:?})"
        );
        let upto = stream.iter().rposition(|&b| b == b'\n').unwrap_or(0);
        assert_eq!(
            got[..complete.len()].join(&b'\n'),
            &stream[..upto],
            "complete lines lost or duplicated (max {max}, sizes {sizes:?})"
        );
        // After flush: the unfinished line too.
        if !remainder.is_empty() && remainder.len() < max {
            want.push(remainder);
        }
        assert_eq!(got, want, "after flush (max {max}, sizes {sizes:?})");
    }

    // The general model, over-long lines included.
    let mut model: Vec<&[u8]> = complete.iter().map(|l| &l[..l.len().min(max)]).collect();
    if !remainder.is_empty() {
        model.push(&remainder[..remainder.len().min(max)]);
    }
    assert_eq!(got, model, "max {max}, sizes {sizes:?}");

    // After flush the splitter starts afresh.
    let (again, _) = run(&mut lines, max, stream, &sizes);
    assert_eq!(
        again, out,
        "second pass after flush differs (max {max}, sizes {sizes:?})"
    );
});
