//! K. Whole-file search (tracker issue 11) on the 1 GiB bench file: counts through
//! `/_logview/api/search?count=1` beside `rg -c` and `grep -c` (when installed) from the same
//! run, as ratios; the last 100 matches of a frequent term; extra RSS during a search; and B's
//! append-to-client latency while two searches run.

use std::io::Read;

use super::whole::get;
use super::*;

/// (label, query string, rg/grep arguments, most of rg's time, least speed-up on grep).
const COUNTS: [(&str, &str, &[&str], f64, f64); 5] = [
    (
        "rare literal",
        "q=id%3D000007777777&case=1",
        &["-c", "id=000007777777"],
        1.3,
        2.0,
    ),
    (
        "rare literal -i",
        "q=id%3D000007777777",
        &["-c", "-i", "id=000007777777"],
        1.3,
        2.0,
    ),
    (
        "frequent literal",
        "q=app%5B1&case=1",
        &["-c", "-F", "app[1"],
        1.3,
        2.0,
    ),
    (
        "frequent literal -i",
        "q=app%5B1",
        &["-c", "-i", "-F", "app[1"],
        1.3,
        2.0,
    ),
    (
        "regex -i timeout.*orders",
        "q=timeout.*orders&regex=1",
        &["-c", "-i", "timeout.*orders"],
        1.5,
        3.0,
    ),
];

pub fn scenario_k(work: &Path) -> String {
    let big = big_file();
    let srv = Server::start(big.parent().unwrap(), &[]);
    let rss0 = srv.rss_mb();
    let mut parts = Vec::new();
    for (label, query, args, rg_max, grep_min) in COUNTS {
        let ours = median((0..3).map(|_| count(&srv, &big, query)).collect());
        let rg = tool("rg", args, &big);
        let grep = tool("grep", args, &big);
        let mut part = format!("{label}: {ours:.2} s");
        if let Some(rg) = rg {
            check(
                ours <= rg * rg_max,
                &format!("K: {label} within {rg_max}× of ripgrep"),
            );
            part += &format!(", rg {rg:.2} s ({:.2}×)", ours / rg);
        }
        if let Some(grep) = grep {
            check(
                grep >= ours * grep_min,
                &format!("K: {label} {grep_min}× faster than grep"),
            );
            part += &format!(", grep {grep:.2} s ({:.1}× faster)", grep / ours);
        }
        parts.push(part);
    }
    let last = median(
        (0..9)
            .map(|_| {
                let t = Instant::now();
                let body = get(
                    srv.addr,
                    &format!(
                        "/_logview/api/search?path={}&q=INFO&limit=100",
                        big.display()
                    ),
                );
                check(
                    body.matches("\"type\":\"match\"").count() == 100,
                    "K: 100 matches",
                );
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    );
    check(
        last < 10.0,
        "K: last 100 matches of a frequent term < 10 ms",
    );
    let timeline = |q: &str| {
        let t = Instant::now();
        let body = get(
            srv.addr,
            &format!("/_logview/api/timeline?path={}{q}", big.display()),
        );
        check(body.contains("\"buckets\""), "K: a timeline");
        t.elapsed().as_secs_f64()
    };
    let (first, cached) = (timeline(""), median((0..5).map(|_| timeline("")).collect()));
    let with_q = median((0..3).map(|_| timeline("&q=app%5B1&case=1")).collect());
    let plain = median(
        (0..3)
            .map(|_| count(&srv, &big, "q=app%5B1&case=1"))
            .collect(),
    );
    check(first < 1.5, "K: timeline < 1.5 s the first time");
    check(cached < 0.02, "K: timeline < 20 ms cached");
    check(
        with_q < plain * 1.5,
        "K: timeline with q within 1.5× of the literal search",
    );
    let extra = srv.peak_mb() - rss0;
    check(extra < 32.0, "K: < 32 MB extra RSS during a search");
    drop(srv);
    let (p50, p99) = latency_under_searches(work, &big);
    check(p99 < 50.0, "K: B's p99 < 50 ms while two searches run");
    format!(
        "K. counts over the 1 GiB file, medians of 3 (tools run once, same run): {}; last 100 matches of `INFO`: median {last:.2} ms; \
         timeline: {first:.2} s the first time, {:.1} ms cached, {with_q:.2} s with q (search alone {plain:.2} s); server RSS +{extra:.1} MB during searches; append→client while two searches run: p50 {p50:.2} ms, p99 {p99:.2} ms",
        parts.join("; "),
        cached * 1000.0
    )
}

/// Seconds for a whole-file count through the API.
fn count(srv: &Server, big: &Path, query: &str) -> f64 {
    let t = Instant::now();
    let body = get(
        srv.addr,
        &format!(
            "/_logview/api/search?path={}&count=1&{query}",
            big.display()
        ),
    );
    check(body.contains("\"type\":\"done\""), "K: a count ends");
    t.elapsed().as_secs_f64()
}

/// Seconds for `tool ARGS FILE`, output read through a pipe (GNU grep stops at the first
/// match when its output is /dev/null); `None` when the tool is not installed.
fn tool(name: &str, args: &[&str], file: &Path) -> Option<f64> {
    let t = Instant::now();
    let mut child = Command::new(name)
        .args(args)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    child.wait().ok()?;
    Some(t.elapsed().as_secs_f64())
}

/// B's measure (50 lines/s for 5 s) while two clients search the big file over and over.
fn latency_under_searches(work: &Path, big: &Path) -> (f64, f64) {
    let dir = work.join("k");
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("k.log");
    File::create(&log).unwrap();
    let srv = Server::spawn(Command::new(&*BIN).arg(&dir).arg(big.parent().unwrap()));
    let addr = srv.addr;
    let stop = Arc::new(Mutex::new(false));
    let searchers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, target) = (
                stop.clone(),
                format!(
                    "/_logview/api/search?path={}&count=1&q=timeout.*orders&regex=1",
                    big.display()
                ),
            );
            thread::spawn(move || {
                while !*stop.lock().unwrap() {
                    get(addr, &target);
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    let mut ws = srv.connect(&log, "tail=1&lines=0");
    let t0 = Instant::now();
    let (mut lat, _) = appends(&mut ws, &log, 250, t0);
    *stop.lock().unwrap() = true;
    for s in searchers {
        s.join().unwrap();
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&lat, 0.5), percentile(&lat, 0.99))
}
