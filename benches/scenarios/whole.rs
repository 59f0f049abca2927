//! I. The whole file (tracker issue 10): 1,000 lines before or from offsets spread over the
//! 1 GiB bench file through `/_logview/api/lines` (< 5 ms), and downloading the file over
//! loopback through `/_logview/raw/` (≥ 1 GB/s), medians.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

pub fn scenario_i(_work: &Path) -> String {
    let big = big_file();
    let srv = Server::start(big.parent().unwrap(), &[]);
    let len = fs::metadata(&big).unwrap().len();
    let mut rates = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let got = download(srv.addr, &big);
        let secs = t.elapsed().as_secs_f64();
        check(got == len, "I: the download has every byte");
        rates.push(got as f64 / secs / 1e9);
    }
    let rate = median(rates);
    check(rate >= 1.0, "I: download ≥ 1 GB/s");
    // The first request starts the line index (about 0.3 s on 2 cores); windows are measured
    // once it is built, as they are served from then on (scenario J measures the build).
    super::jumps::until_indexed(&srv, &big);
    let window = windows(&srv, &big, len);
    check(window < 5.0, "I: 1,000 lines at any offset < 5 ms");
    format!(
        "I. 1,000 numbered lines before/from 40 offsets spread over the {:.2} GiB file: median {window:.2} ms (request included); \
         download over loopback: median {rate:.2} GB/s (3 runs); server peak RSS {:.1} MB",
        len as f64 / (1u64 << 30) as f64,
        srv.peak_mb()
    )
}

/// Median milliseconds for a window of 1,000 lines at offsets spread over the file.
fn windows(srv: &Server, file: &Path, len: u64) -> f64 {
    let mut times = Vec::new();
    for i in 0..40u64 {
        let offset = len / 41 * (i + 1) + i * 7919;
        let anchor = if i % 2 == 0 { "before" } else { "from" };
        let t = Instant::now();
        let body = get(
            srv.addr,
            &format!(
                "/_logview/api/lines?path={}&lines=1000&{anchor}={offset}",
                file.display()
            ),
        );
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let n = body.matches("\"offset\"").count();
        check(n == 1000, "I: a window has 1,000 lines");
    }
    median(times)
}

/// The body of a GET.
pub fn get(addr: std::net::SocketAddr, target: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Bytes of body received for a GET of `/_logview/raw<file>`.
fn download(addr: std::net::SocketAddr, file: &Path) -> u64 {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "GET /_logview/raw{} HTTP/1.1\r\nHost: {addr}\r\n\r\n",
        file.display()
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut total, mut head_len) = (0u64, None);
    let mut start = Vec::new();
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        if head_len.is_none() {
            start.extend_from_slice(&buf[..n]);
            head_len = start
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| p + 4);
        }
    }
    total - head_len.unwrap_or(0) as u64
}
