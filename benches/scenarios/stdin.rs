//! L. Standard input (tracker issue 12): 1 M lines/s piped into `logview -` for 10 s while two
//! viewers follow `/-`: every line once and in order to both, their latency, and how long the
//! writer ever waited on the pipe.

use std::process::ChildStdin;

use super::*;

/// Lines per second piped in, and for how long.
const RATE: u64 = 1_000_000;
const SECONDS: u64 = 10;
/// Lines written per batch (every 10 ms).
const BATCH: u64 = RATE / 100;

pub fn scenario_l(_work: &Path) -> String {
    let mut srv = Server::spawn(Command::new(&*BIN).arg("-").stdin(Stdio::piped()));
    let input = srv.child.stdin.take().unwrap();
    let total = RATE * SECONDS;
    let t0 = Instant::now();
    let viewers: Vec<_> = (0..2)
        .map(|_| {
            let mut ws = srv.connect(Path::new("/-"), "tail=1&lines=0");
            thread::spawn(move || follow(&mut ws, total, t0))
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    let wait = write(input, total, t0);
    let mut lat = Vec::new();
    let mut exact = true;
    for v in viewers {
        let (ok, l) = v.join().unwrap();
        exact &= ok;
        lat.extend(l);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    check(exact, "L: every piped line once, in order, to both viewers");
    check(percentile(&lat, 0.99) < 100.0, "L: viewers' p99 < 100 ms");
    check(wait < 10.0, "L: the writer never waits over 10 ms");
    format!(
        "L. {} lines piped at {} lines/s into `logview -`, two viewers: every line once, in order: {exact}; \
         latency p50 {:.1} ms, p99 {:.1} ms; longest write into the pipe {wait:.2} ms; server peak RSS {:.1} MB",
        total,
        RATE,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        srv.peak_mb()
    )
}

/// Writes `total` stamped lines in batches every 10 ms; returns the longest write in ms.
fn write(mut input: ChildStdin, total: u64, t0: Instant) -> f64 {
    let (start, mut longest, mut seq) = (Instant::now(), 0f64, 0);
    while seq < total {
        let due = start + Duration::from_millis(seq / BATCH * 10);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            thread::sleep(d);
        }
        let batch: String = (seq..seq + BATCH).map(|s| stamped(s, t0)).collect();
        let t = Instant::now();
        input.write_all(batch.as_bytes()).unwrap();
        longest = longest.max(t.elapsed().as_secs_f64() * 1000.0);
        seq += BATCH;
    }
    longest
}

/// Reads until `total` lines arrived: whether they came once and in order, and a sample of
/// latencies (one line in 1,000).
fn follow(ws: &mut Ws, total: u64, t0: Instant) -> (bool, Vec<f64>) {
    let (mut next, mut exact, mut lat) = (0u64, true, Vec::new());
    read_lines(ws, |l| {
        if let Some((seq, t)) = parse_stamp(l) {
            exact &= seq == next;
            next = seq + 1;
            if seq % 1000 == 0 {
                lat.push((t0.elapsed().as_nanos() - t) as f64 / 1e6);
            }
        }
        next >= total
    });
    (exact && next == total, lat)
}
