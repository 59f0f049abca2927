//! J. Line numbers and time jumps (tracker issue 10) on the 1 GiB bench file: the line index
//! counted in-process (time and memory) and by the server (until the API says `indexed`),
//! 1,000 lines by line number and by time (< 5 ms), the bytes a time jump reads, and the
//! server's extra memory (< 8 MB).

use std::fs::File;
use std::os::unix::fs::FileExt;

use logview::index::lines::LineIndex;
use logview::index::time::{Clock, Jump, Moment, jump};

use super::whole::get;
use super::*;

pub fn scenario_j(_work: &Path) -> String {
    let big = big_file();
    let len = fs::metadata(&big).unwrap().len();
    let (count_secs, marks_kib, extend_ms) = count_in_process(&big, len);
    check(count_secs < 1.0, "J: line index of 1 GiB < 1 s");
    check(marks_kib < 1024, "J: line index < 1 MB");
    let srv = Server::start(big.parent().unwrap(), &[]);
    let rss_before = srv.rss_mb();
    let t = Instant::now();
    let total = until_indexed(&srv, &big);
    let served_secs = t.elapsed().as_secs_f64();
    let by_line = windows(&srv, &big, |i| format!("line={}", total / 41 * (i + 1) + i));
    let by_time = windows(&srv, &big, |i| format!("time={}", moment(i)));
    check(by_line < 5.0, "J: 1,000 lines by line number < 5 ms");
    check(by_time < 5.0, "J: 1,000 lines by time < 5 ms");
    let extra = srv.peak_mb() - rss_before;
    check(extra < 8.0, "J: < 8 MB extra RSS");
    let read_kib = jump_reads(&big, len);
    format!(
        "J. line index of the {:.2} GiB file ({total} lines): counted in {count_secs:.2} s in-process, \
         {served_secs:.2} s until the server says indexed; {marks_kib} KiB of marks; extending it by 1 MiB \
         {extend_ms:.2} ms. 1,000 lines from 40 line numbers: median {by_line:.2} ms; from 40 times: median \
         {by_time:.2} ms (requests included); a time jump reads median {:.0} KiB, at most {:.0} KiB; server \
         RSS {rss_before:.1} MB at start, peak +{extra:.1} MB",
        len as f64 / (1u64 << 30) as f64,
        read_kib.0,
        read_kib.1,
    )
}

/// Counts the file with the server's index code: median seconds of 3, KiB of marks, and
/// milliseconds to extend the index by 1 MiB.
fn count_in_process(big: &Path, len: u64) -> (f64, usize, f64) {
    let file = File::open(big).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut times = Vec::new();
    let mut index = LineIndex::default();
    for _ in 0..3 {
        let t = Instant::now();
        index = LineIndex::default();
        let upto = len - (1 << 20);
        while index.scanned() < upto {
            let n = (upto - index.scanned()).min(buf.len() as u64) as usize;
            file.read_exact_at(&mut buf[..n], index.scanned()).unwrap();
            index.push(&buf[..n]);
        }
        times.push(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let rest = (len - index.scanned()) as usize;
    file.read_exact_at(&mut buf[..rest], index.scanned())
        .unwrap();
    index.push(&buf[..rest]);
    let extend = t.elapsed().as_secs_f64() * 1000.0;
    check(index.total(len).is_some(), "J: the index covers the file");
    (median(times), index.heap_bytes() / 1024, extend)
}

/// Asks for line 1 until the server's index covers the file; returns its line count.
pub fn until_indexed(srv: &Server, big: &Path) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = get(
            srv.addr,
            &format!("/_logview/api/lines?path={}&lines=1&line=1", big.display()),
        );
        if let Some(total) = body
            .split("\"total\":")
            .nth(1)
            .and_then(|t| t.split([',', '}']).next()?.parse().ok())
        {
            return total;
        }
        assert!(Instant::now() < deadline, "never indexed");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The i-th of 40 moments spread over the file's 28 hours of stamps.
fn moment(i: u64) -> String {
    let minutes = 15 + i * 41;
    format!(
        "2026-11-{}T{:02}:{:02}:07Z",
        25 + minutes / 1440,
        minutes / 60 % 24,
        minutes % 60
    )
}

/// Median milliseconds for 1,000 lines at 40 anchors.
fn windows(srv: &Server, big: &Path, anchor: impl Fn(u64) -> String) -> f64 {
    let mut times = Vec::new();
    for i in 0..40u64 {
        let target = format!(
            "/_logview/api/lines?path={}&lines=1000&{}",
            big.display(),
            anchor(i)
        );
        let t = Instant::now();
        let body = get(srv.addr, &target);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        check(
            body.matches("\"offset\"").count() == 1000 && body.contains("\"number\""),
            "J: a numbered window has 1,000 lines",
        );
    }
    median(times)
}

/// KiB a time jump reads: median and most over the 40 moments.
fn jump_reads(big: &Path, len: u64) -> (f64, f64) {
    let file = File::open(big).unwrap();
    let clock = Clock::new(None, fs::metadata(big).unwrap().modified().unwrap());
    let mut read = Vec::new();
    for i in 0..40 {
        let m = Moment::parse(&moment(i)).unwrap();
        let (at, bytes) = jump(&file, len, m, &clock).unwrap();
        check(
            matches!(at, Jump::At(o) if o < len),
            "J: a jump lands in the file",
        );
        read.push(bytes as f64 / 1024.0);
    }
    let most = read.iter().cloned().fold(0.0, f64::max);
    (median(read), most)
}
