//! Hostile log lines over a real WebSocket with `format=html` (tracker issue 8): markup in
//! coloured lines arrives escaped, a line leaving many SGR parameters open does not inflate
//! the lines after it, a 1 MiB line of `"` costs each stalled client a bounded amount of
//! server memory, and a client text frame or close reason with invalid UTF-8 closes with 1002.
mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;

/// A masked client frame (`fin_opcode` is the first byte, e.g. 0x81 for a final text frame).
fn client_frame(fin_opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![fin_opcode, 0x80 | payload.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Sends `frame` after a real upgrade and returns the close code the server answers with.
fn close_code_after(srv: &Server, log: &std::path::Path, frame: &[u8]) -> Option<u16> {
    let mut s = srv.raw_upgrade(log, "tail=1&format=html");
    s.write_all(frame).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    // The 101 head, maybe a text frame of history, then the server's close frame.
    let at = all.windows(2).rposition(|w| w[0] == 0x88 && w[1] >= 2)?;
    Some(u16::from_be_bytes([all[at + 2], all[at + 3]]))
}

#[test]
fn markup_in_coloured_lines_arrives_escaped() {
    let dir = TempDir::new("hr-escape");
    let log = dir.write(
        "a.log",
        "\x1b[1;31m<script>alert(1)</script>\x1b[0m ok\n\
         \x1b[38;2;1;2;3m<img src=x onerror=alert(2)>\n\
         '\"&</span><b onclick=x>\x1b[0m\n",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "format=html"));
    assert_eq!(
        got.lines(),
        [
            "<b><span style='color:var(--lv-red,#a00)'>&lt;script&gt;alert(1)&lt;/script&gt;</span></b> ok",
            "<span style='color:#010203'>&lt;img src=x onerror=alert(2)&gt;</span>",
            "<span style='color:#010203'>&#39;&quot;&amp;&lt;/span&gt;&lt;b onclick=x&gt;</span>",
        ]
    );
}

#[test]
fn a_line_leaving_many_sgr_parameters_open_does_not_inflate_later_lines() {
    let dir = TempDir::new("hr-carried");
    // 80 parameters in five sequences of 16 (the former per-sequence cap), 251 bytes.
    let seq = format!("\x1b[{}m", ["31;32"; 8].join(";"));
    let mut content = format!("{}x\n", seq.repeat(5));
    content.push_str(&"ab\n".repeat(10_000));
    let log = dir.write("a.log", content);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "format=html&lines=10001"));
    let lines = got.lines();
    assert_eq!(lines.len(), 10_001);
    let green = "<span style='color:var(--lv-green,#0a0)'>ab</span>";
    assert!(lines[1..].iter().all(|l| *l == green), "{:?}", &lines[1..3]);
    assert!(got.text.len() < 10_001 * 200, "{} bytes", got.text.len());
}

#[test]
fn a_megabyte_of_quotes_costs_stalled_html_clients_bounded_memory() {
    let dir = TempDir::new("hr-quotes");
    let log = dir.write("a.log", "start\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    const STALLED: usize = 10;
    let stalled: Vec<TcpStream> = (0..STALLED)
        .map(|_| srv.raw_upgrade(&log, "tail=1&format=html&lines=0"))
        .collect();
    let mut reader = srv.connect(&log, "tail=1&format=html&lines=0");
    std::thread::sleep(Duration::from_millis(500));
    let rss_before = srv.rss_kib();
    dir.append(
        "a.log",
        [vec![b'"'; 1 << 20], b"\nafter\n".to_vec()].concat(),
    );
    let mut max_rss = 0;
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        max_rss = max_rss.max(srv.rss_kib());
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = read_lines(&mut reader, 2);
    assert_eq!(
        got.lines()[0].len(),
        6 << 20,
        "the reader gets the whole line"
    );
    assert_eq!(got.lines()[1], "after");
    // Before: each stalled client held the line's 6 MiB of HTML twice (about 12 MiB each).
    let grown = max_rss.saturating_sub(rss_before);
    assert!(
        grown < 3 * 1024 * STALLED,
        "RSS grew by {grown} KiB for {STALLED} stalled clients"
    );
    eprintln!("RSS grew by {grown} KiB for {STALLED} stalled html clients and one reader");
    drop(stalled);
}

#[test]
fn invalid_utf8_from_the_client_closes_with_1002() {
    let dir = TempDir::new("hr-utf8");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let text = client_frame(0x81, b"ok \xff\xfe");
    assert_eq!(
        close_code_after(&srv, &log, &text),
        Some(1002),
        "text frame"
    );
    let close = client_frame(0x88, b"\x03\xe8bad \xc3");
    assert_eq!(
        close_code_after(&srv, &log, &close),
        Some(1002),
        "close reason"
    );
    srv.wait_log("invalid UTF-8", Duration::from_secs(5));
}
