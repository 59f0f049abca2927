//! `make bench`: starts the release binary on loopback and measures the scenarios of the
//! performance issues (A–L), printing a table with the machine, date and version.
//!
//! Every scenario is bounded in time and count, uses a temp directory it removes, and reports
//! medians of repeated runs where it repeats. Set `BENCH_ONLY=A,C` to run a subset. A
//! scenario that misses one of its targets is listed at the end and the run exits non-zero.

#[path = "scenarios/gzip.rs"]
mod gzip;
#[path = "scenarios/hostile.rs"]
mod hostile;
#[path = "scenarios/json.rs"]
mod json;
#[path = "scenarios/jumps.rs"]
mod jumps;
#[path = "scenarios/merge.rs"]
mod merge;
#[path = "scenarios/render.rs"]
mod render;
#[path = "scenarios/search.rs"]
mod search;
#[path = "scenarios/stdin.rs"]
mod stdin;
#[path = "scenarios/whole.rs"]
mod whole;

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;
type Scenario = fn(&Path) -> String;

/// The binary measured: `LOGVIEW_BENCH_BIN` when set (e.g. the musl release binary, to
/// compare it with the glibc build in one run: `make bench-musl`), else cargo's release build.
static BIN: std::sync::LazyLock<PathBuf> = std::sync::LazyLock::new(|| {
    std::env::var_os("LOGVIEW_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_logview")))
});

fn main() {
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |s: &str| only.is_empty() || only.split(',').any(|o| o.trim() == s);
    let work = std::env::temp_dir().join(format!("logview-bench-{}", std::process::id()));
    fs::create_dir_all(&work).unwrap();
    let work = work.canonicalize().unwrap();
    println!("{}", machine());
    println!("| scenario | result |\n|---|---|");
    let scenarios: [(&str, Scenario); 15] = [
        ("A", scenario_a),
        ("B", scenario_b),
        ("C", scenario_c),
        ("D", scenario_d),
        ("E", scenario_e),
        ("F", scenario_f),
        ("G", hostile::scenario_g),
        ("H", render::scenario_h),
        ("I", whole::scenario_i),
        ("J", jumps::scenario_j),
        ("K", search::scenario_k),
        ("L", stdin::scenario_l),
        ("M", merge::scenario_m),
        ("N", json::scenario_n),
        ("O", gzip::scenario_o),
    ];
    for (name, run) in scenarios {
        if wanted(name) {
            let started = Instant::now();
            let result = run(&work);
            println!(
                "| {name} | {result} ({:.0} s) |",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let _ = fs::remove_dir_all(&work);
    let missed = MISSED.lock().unwrap();
    if !missed.is_empty() {
        println!("\nMISSED TARGETS:\n- {}", missed.join("\n- "));
        std::process::exit(1);
    }
}

/// Targets a scenario missed, printed at the end (and the run fails).
static MISSED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records `target` as missed unless `ok`.
fn check(ok: bool, target: &str) {
    if !ok {
        MISSED.lock().unwrap().push(target.to_string());
    }
}

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "logview {} bench — {date}; {cores} cores, {cpu}; Linux {}",
        env!("CARGO_PKG_VERSION"),
        kernel.trim()
    )
}

// ---------------------------------------------------------------- server and clients

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(root: &Path, extra: &[&str]) -> Server {
        Server::spawn(Command::new(&*BIN).args(extra).arg(root))
    }

    /// Runs `cmd` (logview with its roots and options) on a free loopback port, its standard
    /// output piped to learn the address.
    fn spawn(cmd: &mut Command) -> Server {
        let mut child = cmd
            .args(["--bind", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start logview");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap();
        Server { child, addr }
    }

    fn status(&self, key: &str) -> u64 {
        let s = fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    }

    /// Peak resident memory in MB.
    fn peak_mb(&self) -> f64 {
        self.status("VmHWM:") as f64 / 1024.0
    }

    fn rss_mb(&self) -> f64 {
        self.status("VmRSS:") as f64 / 1024.0
    }

    /// CPU time used so far (user + system), from /proc/PID/stat.
    fn cpu(&self) -> Duration {
        let s = fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = s.rsplit(')').next().unwrap_or("");
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let ticks = f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0);
        Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
    }

    fn connect(&self, file: &Path, query: &str) -> Ws {
        let url = format!("ws://{}{}?{query}", self.addr, file.display());
        let (ws, _) = tungstenite::connect(url).expect("connect");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        ws
    }
}

impl Server {
    /// A merged view: `query` holds its `path` parameters.
    fn merge(&self, query: &str) -> Ws {
        let url = format!("ws://{}/_logview/merge?{query}", self.addr);
        let (ws, _) = tungstenite::connect(url).expect("connect");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        ws
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls `line` for every line received until it returns true (done) or the connection
/// ends. Returns whether `line` said done.
fn read_lines(ws: &mut Ws, mut line: impl FnMut(&str) -> bool) -> bool {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => {
                for l in t.lines() {
                    if line(l) {
                        return true;
                    }
                }
            }
            Ok(Message::Close(_)) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn append(path: &Path) -> File {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap()
}

/// A 120-byte line (with its newline) carrying a sequence number and a timestamp.
fn stamped(seq: u64, t0: Instant) -> String {
    let mut s = format!("seq={seq} t={} ", t0.elapsed().as_nanos());
    s.push_str(&"x".repeat(119 - s.len()));
    s.push('\n');
    s
}

fn parse_stamp(line: &str) -> Option<(u64, u128)> {
    let mut it = line.split(' ');
    let seq = it.next()?.strip_prefix("seq=")?.parse().ok()?;
    let t = it.next()?.strip_prefix("t=")?.parse().ok()?;
    Some((seq, t))
}

// ---------------------------------------------------------------- A: history of a 1 GiB file

fn scenario_a(work: &Path) -> String {
    let big = big_file();
    let dir = big.parent().unwrap();
    let srv = Server::start(dir, &[]);
    let _ = fs::write("/proc/sys/vm/drop_caches", "3"); // cold cache where allowed
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let mut ws = srv.connect(&big, "lines=1000");
        let mut n = 0;
        read_lines(&mut ws, |_| {
            n += 1;
            false
        });
        assert_eq!(n, 1000, "A: expected 1000 lines");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = work;
    let (ms, peak) = (median(times.clone()), srv.peak_mb());
    check(ms < 20.0, "A: last 1,000 lines < 20 ms");
    check(peak < 10.0, "A: server peak RSS < 10 MB");
    format!(
        "A. last 1,000 lines of a {:.2} GiB file: median {:.2} ms to the last line (connect included), server peak RSS {:.1} MB",
        fs::metadata(&big).unwrap().len() as f64 / (1u64 << 30) as f64,
        median(times),
        srv.peak_mb()
    )
}

/// A 1 GiB file of 120-byte lines, made once and kept in target/bench-data.
fn big_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    fs::create_dir_all(&dir).unwrap();
    // v2: stamps that advance 10 ms a line (about 28 hours), for time jumps.
    let path = dir.join("big-v2.log");
    let want = 1u64 << 30;
    if fs::metadata(&path).map(|m| m.len()).unwrap_or(0) >= want {
        return path;
    }
    let mut f = std::io::BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    let mut written = 0u64;
    let mut i = 0u64;
    while written < want {
        let ms = i * 10;
        let (day, h, m, sec) = (
            25 + ms / 86_400_000,
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
        );
        let line = format!(
            "2026-11-{day}T{h:02}:{m:02}:{sec:02}.{:03}Z INFO app[{}]: request id={i:012} status=200 path=/api/v1/items bytes={}\n",
            ms % 1000,
            i % 97,
            i % 4096
        );
        f.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        i += 1;
    }
    f.flush().unwrap();
    path
}

// ---------------------------------------------------------------- B: latency

fn scenario_b(work: &Path) -> String {
    let dir = work.join("b");
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("b.log");
    File::create(&log).unwrap();
    let srv = Server::start(&dir, &[]);
    let mut ws = srv.connect(&log, "tail=1&lines=0");
    let t0 = Instant::now();
    let cpu0 = srv.cpu();
    let count = 500u64; // 10 s at 50 lines/s
    let (mut lat, exact) = appends(&mut ws, &log, count, t0);
    check(
        exact && lat.len() == count as usize,
        "B: every line once, in order",
    );
    let cpu = (srv.cpu() - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0;
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // One line after 30 s of silence.
    thread::sleep(Duration::from_secs(30));
    append(&log)
        .write_all(stamped(count, t0).as_bytes())
        .unwrap();
    let mut idle = f64::NAN;
    read_lines(&mut ws, |l| {
        let stamp = parse_stamp(l);
        if let Some((_, t)) = stamp {
            idle = (t0.elapsed().as_nanos() - t) as f64 / 1e6;
        }
        stamp.is_some()
    });
    check(percentile(&lat, 0.5) < 5.0, "B: p50 < 5 ms");
    check(percentile(&lat, 0.99) < 50.0, "B: p99 < 50 ms");
    check(idle < 300.0, "B: first line after 30 s idle < 300 ms");
    format!(
        "B. append→client latency at 50 lines/s ({} lines): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (server CPU {cpu:.1} %); first line after 30 s idle: {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        idle
    )
}

/// Appends `count` stamped lines to `log` at 50 lines/s while `ws` follows it: each line's
/// append-to-client latency in ms, and whether every line came once, in order.
fn appends(ws: &mut Ws, log: &Path, count: u64, t0: Instant) -> (Vec<f64>, bool) {
    let writer = {
        let log = log.to_path_buf();
        thread::spawn(move || {
            let mut f = append(&log);
            for seq in 0..count {
                f.write_all(stamped(seq, t0).as_bytes()).unwrap();
                thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let (mut lat, mut exact) = (Vec::new(), true);
    read_lines(ws, |l| {
        if let Some((seq, t)) = parse_stamp(l) {
            exact &= seq == lat.len() as u64;
            lat.push((t0.elapsed().as_nanos() - t) as f64 / 1e6);
        }
        lat.len() >= count as usize
    });
    writer.join().unwrap();
    (lat, exact)
}

// ---------------------------------------------------------------- C: throughput

fn scenario_c(work: &Path) -> String {
    let mut parts = Vec::new();
    let mut medians = Vec::new();
    for format in ["text", "html"] {
        let mut rates = Vec::new();
        let mut cpu = Vec::new();
        let mut peak = 0.0f64;
        let mut ok = true;
        for run in 0..3 {
            let (rate, server_cpu, rss, exact) = throughput_run(work, format, run);
            rates.push(rate);
            cpu.push(server_cpu);
            peak = peak.max(rss);
            ok &= exact;
        }
        let (want, what) = if format == "text" {
            (2e6, "C: text ≥ 2 M lines/s")
        } else {
            (5e5, "C: html ≥ 500 k lines/s")
        };
        check(median(rates.clone()) >= want, what);
        check(ok, "C: every line once, in order");
        check(peak < 32.0, "C: server peak RSS < 32 MB");
        medians.push(median(rates.clone()));
        parts.push(format!(
            "{format}: median {:.0} k lines/s (server CPU {:.2} s per 2 M lines), {}, server peak RSS {:.1} MB",
            median(rates) / 1000.0,
            median(cpu),
            if ok {
                "every line once, in order"
            } else {
                "LINES LOST OR REORDERED"
            },
            peak
        ));
    }
    format!(
        "C. 2 M lines of 120 B to one client (3 runs each): {}",
        parts.join("; ")
    )
}

fn throughput_run(work: &Path, format: &str, run: usize) -> (f64, f64, f64, bool) {
    let n: u64 = 2_000_000;
    let dir = work.join(format!("c-{format}-{run}"));
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("c.log");
    File::create(&log).unwrap();
    let srv = Server::start(&dir, &[]);
    let mut ws = srv.connect(&log, &format!("tail=1&lines=0&format={format}"));
    let body: Vec<u8> = {
        let mut b = Vec::with_capacity((n * 120) as usize);
        for i in 0..n {
            let mut s = format!("{i:010} ");
            s.push_str(&"y".repeat(119 - s.len()));
            s.push('\n');
            b.extend_from_slice(s.as_bytes());
        }
        b
    };
    let started = Instant::now();
    let cpu0 = srv.cpu();
    let writer = {
        let log = log.clone();
        thread::spawn(move || {
            let mut f = append(&log);
            for chunk in body.chunks(4 << 20) {
                f.write_all(chunk).unwrap();
            }
        })
    };
    let mut next = 0u64;
    let mut exact = true;
    read_lines(&mut ws, |l| {
        let seq: u64 = l.get(..10).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
        exact &= seq == next;
        next += 1;
        next >= n
    });
    let secs = started.elapsed().as_secs_f64();
    let cpu = (srv.cpu() - cpu0).as_secs_f64();
    writer.join().unwrap();
    let rss = srv.peak_mb();
    let _ = fs::remove_dir_all(&dir);
    (n as f64 / secs, cpu, rss, exact && next == n)
}

// ---------------------------------------------------------------- D: many busy followers

fn scenario_d(work: &Path) -> String {
    let clients = 500;
    let dir = work.join("d");
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("d.log");
    File::create(&log).unwrap();
    let srv = Server::start(&dir, &["--max-clients", "1000"]);
    let t0 = Instant::now();
    let total: u64 = 10_000; // 10 s at 1,000 lines/s
    let lat = Arc::new(Mutex::new(Vec::with_capacity(clients * total as usize)));
    let delivered = Arc::new(Mutex::new(0u64));
    let ready = Arc::new(std::sync::Barrier::new(clients + 1));
    let mut readers = Vec::new();
    for _ in 0..clients {
        let mut ws = srv.connect(&log, "tail=1&lines=0");
        let (lat, delivered, ready) = (lat.clone(), delivered.clone(), ready.clone());
        readers.push(
            thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || {
                    ready.wait();
                    let mut mine = Vec::with_capacity(total as usize);
                    let mut exact = true;
                    read_lines(&mut ws, |l| {
                        if let Some((seq, t)) = parse_stamp(l) {
                            exact &= seq == mine.len() as u64;
                            mine.push((t0.elapsed().as_nanos() - t) as f64 / 1e6);
                        }
                        mine.len() as u64 >= total
                    });
                    check(exact, "D: every client gets every line once, in order");
                    *delivered.lock().unwrap() += mine.len() as u64;
                    lat.lock().unwrap().extend(mine);
                })
                .unwrap(),
        );
    }
    ready.wait();
    let cpu0 = srv.cpu();
    let wall0 = Instant::now();
    let mut f = append(&log);
    let mut peak_rss = 0.0f64;
    for seq in 0..total {
        // 1,000 lines/s, paced in batches of 10 every 10 ms.
        f.write_all(stamped(seq, t0).as_bytes()).unwrap();
        if seq % 10 == 9 {
            let due = wall0 + Duration::from_millis(seq + 1);
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        if seq % 1000 == 0 {
            peak_rss = peak_rss.max(srv.rss_mb());
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    let cpu = (srv.cpu() - cpu0).as_secs_f64() / wall0.elapsed().as_secs_f64() * 100.0;
    peak_rss = peak_rss.max(srv.rss_mb());
    let got = *delivered.lock().unwrap();
    let mut lat = lat.lock().unwrap().clone();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    drop(srv); // ends readers still waiting
    check(cpu < 100.0, "D: server CPU < 1 core");
    check(peak_rss < 64.0, "D: RSS < 64 MB");
    check(percentile(&lat, 0.99) < 250.0, "D: p99 < 250 ms");
    check(got == clients as u64 * total, "D: 100 % delivered");
    format!(
        "D. {clients} clients following one file at 1,000 lines/s for 10 s: server CPU {cpu:.0} %, RSS {peak_rss:.1} MB, latency p50 {:.1} ms p99 {:.1} ms, delivered {:.2} %",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        got as f64 / (clients as f64 * total as f64) * 100.0
    )
}

// ---------------------------------------------------------------- E: idle followers

fn scenario_e(work: &Path) -> String {
    let clients = 500;
    let dir = work.join("e");
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("e.log");
    fs::write(&log, "one line\n").unwrap();
    let srv = Server::start(&dir, &["--max-clients", "1000"]);
    let mut held = Vec::new();
    for _ in 0..clients {
        let ws = srv.connect(&log, "tail=1&lines=0");
        held.push(ws);
    }
    thread::sleep(Duration::from_secs(2)); // settle into idle polling
    let cpu0 = srv.cpu();
    let t = Instant::now();
    thread::sleep(Duration::from_secs(10));
    let cpu = (srv.cpu() - cpu0).as_secs_f64() / t.elapsed().as_secs_f64() * 100.0;
    let rss = srv.rss_mb();
    drop(held);
    check(cpu < 1.0, "E: server CPU < 1 %");
    check(rss < 40.0, "E: RSS < 40 MB");
    format!("E. {clients} idle followers over 10 s: server CPU {cpu:.1} %, RSS {rss:.1} MB")
}

// ---------------------------------------------------------------- F: size and start-up

fn scenario_f(work: &Path) -> String {
    let static_bin = match std::env::var_os("LOGVIEW_BENCH_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/x86_64-unknown-linux-musl/release/logview"),
    };
    let size = match fs::metadata(&static_bin) {
        Ok(m) => {
            check(m.len() < 3_000_000, "F: static binary < 3 MB");
            format!("static binary {:.2} MB", m.len() as f64 / 1e6)
        }
        Err(_) => "static binary not built (run `make static`)".to_string(),
    };
    let bin = if static_bin.exists() {
        static_bin
    } else {
        BIN.clone()
    };
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let mut child = Command::new(&bin)
            .args(["--bind", "127.0.0.1:0"])
            .arg(work)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    let start = median(times);
    check(start < 10.0, "F: start-up < 10 ms");
    format!("F. {size}; start-up to listening: median {start:.2} ms (21 runs)")
}
