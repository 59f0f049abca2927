//! I. The whole file (tracker issue 10): downloading the 1 GiB bench file over loopback
//! through `/_logview/raw/`, median of 3 runs, against the ≥ 1 GB/s target.

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
    format!(
        "I. download of the {:.2} GiB file over loopback: median {rate:.2} GB/s (3 runs), server peak RSS {:.1} MB",
        len as f64 / (1u64 << 30) as f64,
        srv.peak_mb()
    )
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
