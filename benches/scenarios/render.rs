//! Worst-case html rendering throughput (tracker issue 8), measured on `logview::render`
//! directly, without a server: one 1 MiB line of alternating colour codes, a line leaving 80
//! SGR parameters open followed by 100,000 short lines, and one 1 MiB line of `"`. Each is
//! rendered in the 64 KiB pieces the session sends, the median of [`RUNS`] runs reported as
//! input bytes per second, with the output/input size ratio.

use std::time::Instant;

use logview::render::{Format, Renderer};
use logview::stream::FRAME_TARGET;

/// Runs per input; the median is printed.
const RUNS: usize = 5;

/// Worst-case html must stay linear: slower than this (input bytes/s) is a missed target.
const MIN_RATE: f64 = 10e6;

/// H: one part per adversarial input: throughput and output size.
pub fn scenario_h(_work: &std::path::Path) -> String {
    let mut parts = Vec::new();
    let mib = 1 << 20;
    let alternating = "\x1b[31mx\x1b[32my".repeat(mib / 12).into_bytes();
    let seq = format!("\x1b[{}m", ["31;32"; 8].join(";"));
    let mut carried = vec![format!("{}x", seq.repeat(5)).into_bytes()];
    carried.extend((0..100_000).map(|i| format!("GET /item/{i} 200 3ms").into_bytes()));
    let quotes = vec![b'"'; mib];
    let cases: [(&str, Vec<&[u8]>); 3] = [
        ("1 MiB of alternating colour codes", vec![&alternating]),
        (
            "80 SGR parameters left open, then 100k short lines",
            carried.iter().map(Vec::as_slice).collect(),
        ),
        ("1 MiB of `\"`", vec![&quotes]),
    ];
    for (name, lines) in cases {
        let input: usize = lines.iter().map(|l| l.len() + 1).sum();
        let mut output = 0;
        let mut secs: Vec<f64> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                output = render_all(&lines);
                t.elapsed().as_secs_f64()
            })
            .collect();
        secs.sort_by(f64::total_cmp);
        let median = secs[RUNS / 2];
        let rate = input as f64 / median;
        super::check(rate >= MIN_RATE, "H: worst-case html ≥ 10 MB/s of input");
        parts.push(format!(
            "{name}: {:.1} MB/s of input ({input} B in, {output} B out, x{:.1})",
            rate / 1e6,
            output as f64 / input as f64
        ));
    }
    format!("H. worst-case html rendering — {}", parts.join("; "))
}

/// Renders `lines` with one renderer in session-sized pieces; returns the bytes produced.
fn render_all(lines: &[&[u8]]) -> usize {
    let mut r = Renderer::new(Format::Html);
    let mut total = 0;
    let mut out = String::new();
    let mut spill = |piece: &mut String| {
        total += piece.len();
        piece.clear();
        Ok::<(), ()>(())
    };
    for line in lines {
        r.line_in_pieces(line, &mut out, FRAME_TARGET, &mut spill)
            .expect("spill never fails");
    }
    total + out.len()
}
