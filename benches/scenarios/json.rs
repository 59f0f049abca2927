//! N. JSON lines (tracker issue 13): a file of 1 M lines of Go `slog` JSON output, opened as
//! scenario A opens the plain file (the last 1,000 lines), and streamed whole as scenario C
//! streams (every line once, in `text` and in `html`, where each line is also classified:
//! parsed as JSON for its level).

use super::*;

const LINES: u64 = 1_000_000;

pub fn scenario_n(_work: &Path) -> String {
    let log = slog_file();
    let dir = log.parent().unwrap();
    let srv = Server::start(dir, &[]);
    let open: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let n = count(&mut srv.connect(&log, "lines=1000"));
            assert_eq!(n, 1000);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let mut rates = Vec::new();
    for format in ["text", "html"] {
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let query = format!("lines={LINES}&format={format}");
                let n = count(&mut srv.connect(&log, &query));
                assert_eq!(n, LINES, "N: every line once");
                LINES as f64 / t.elapsed().as_secs_f64()
            })
            .collect();
        rates.push(median(runs));
    }
    let open = median(open);
    check(open < 20.0, "N: last 1,000 JSON lines < 20 ms");
    format!(
        "N. {LINES} lines of slog JSON ({:.0} MB): last 1,000 lines {open:.2} ms (median of 7); whole file as history: text {:.0} k lines/s, html {:.0} k lines/s (medians of 3); server peak RSS {:.1} MB",
        fs::metadata(&log).unwrap().len() as f64 / 1e6,
        rates[0] / 1000.0,
        rates[1] / 1000.0,
        srv.peak_mb()
    )
}

/// Lines received until the server closes.
fn count(ws: &mut Ws) -> u64 {
    let mut n = 0;
    read_lines(ws, |_| {
        n += 1;
        false
    });
    n
}

/// 1 M lines of typical `slog` JSON output, made once and kept in target/bench-data.
fn slog_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("slog-v1.jsonl");
    if fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return path;
    }
    let levels = [
        "INFO", "INFO", "INFO", "DEBUG", "WARN", "INFO", "ERROR", "INFO",
    ];
    let mut f = std::io::BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    for i in 0..LINES {
        let ms = i * 10;
        writeln!(
            f,
            r#"{{"time":"2026-11-28T{:02}:{:02}:{:02}.{:03}Z","level":"{}","msg":"request handled","method":"GET","path":"/api/v1/items/{}","status":200,"duration_ms":{},"user":{{"id":{},"role":"viewer"}}}}"#,
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            levels[(i % 8) as usize],
            i % 9973,
            i % 250,
            i % 1000
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}
