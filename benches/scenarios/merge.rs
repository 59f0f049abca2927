//! M. Merged views (tracker issue 12): the history of 1,000 merged lines from 20 files of
//! 1 GiB each (sparse: their lines are at the end, which is all a history reads), and the
//! latency of a merged view of 20 files each written at 50 lines/s.

use super::*;

const FILES: usize = 20;
/// Lines at the end of each 1 GiB file, stamped so that the files interleave.
const TAIL_LINES: usize = 2_000;

pub fn scenario_m(work: &Path) -> String {
    let dir = work.join("m");
    fs::create_dir_all(&dir).unwrap();
    let logs: Vec<PathBuf> = (0..FILES)
        .map(|i| dir.join(format!("f{i:02}.log")))
        .collect();
    for (i, log) in logs.iter().enumerate() {
        let f = File::create(log).unwrap();
        f.set_len(1 << 30).unwrap();
        let lines: String = (0..TAIL_LINES)
            .map(|n| {
                let ms = (n * FILES + i) * 7;
                format!(
                    "2026-11-28T10:{:02}:{:02}.{:03}Z file {i} line {n}\n",
                    ms / 60_000 % 60,
                    ms / 1000 % 60,
                    ms % 1000
                )
            })
            .collect();
        append(log).write_all(lines.as_bytes()).unwrap();
    }
    let srv = Server::start(&dir, &[]);
    let query: String = logs
        .iter()
        .map(|l| format!("&path={}", l.display()))
        .collect();
    let history: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let mut ws = srv.merge(&format!("lines=1000{query}"));
            let mut n = 0;
            read_lines(&mut ws, |_| {
                n += 1;
                false
            });
            assert_eq!(n, 1000, "the merged history has 1,000 lines");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let history = median(history);
    let (lat, exact) = live(&srv, &logs, &query);
    check(history < 50.0, "M: merged history of 20 × 1 GiB < 50 ms");
    check(exact, "M: every line of every file once, in order");
    check(percentile(&lat, 0.99) < 50.0, "M: merged view p99 < 50 ms");
    format!(
        "M. merged view of {FILES} files: history of 1,000 lines from {FILES} × 1 GiB files {history:.1} ms (median of 7); \
         {FILES} files × 50 lines/s: every line once, in order per file: {exact}; latency p50 {:.2} ms, p99 {:.2} ms ({} lines); server peak RSS {:.1} MB",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.len(),
        srv.peak_mb()
    )
}

/// Writes 500 stamped lines to each file at 50 lines/s while a merged view follows them all:
/// each line's latency (sorted) and whether each file's lines came once and in order.
fn live(srv: &Server, logs: &[PathBuf], query: &str) -> (Vec<f64>, bool) {
    let count = 500u64;
    let mut ws = srv.merge(&format!("tail=1&lines=0{query}"));
    let t0 = Instant::now();
    let writers: Vec<_> = logs
        .iter()
        .map(|log| {
            let log = log.clone();
            thread::spawn(move || {
                let mut f = append(&log);
                for seq in 0..count {
                    f.write_all(stamped(seq, t0).as_bytes()).unwrap();
                    thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    let (mut lat, mut next, mut exact) = (Vec::new(), vec![0u64; logs.len()], true);
    read_lines(&mut ws, |l| {
        let Some((name, line)) = l.split_once(": ") else {
            return false;
        };
        let file: usize = name[1..3].parse().unwrap();
        if let Some((seq, t)) = parse_stamp(line) {
            exact &= seq == next[file];
            next[file] = seq + 1;
            lat.push((t0.elapsed().as_nanos() - t) as f64 / 1e6);
        }
        lat.len() >= count as usize * logs.len()
    });
    writers.into_iter().for_each(|w| w.join().unwrap());
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let all = lat.len() == count as usize * logs.len();
    (lat, exact && all)
}
