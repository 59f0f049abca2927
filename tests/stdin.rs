//! Standard input (`logview -`): served at `/-` with history, following and the end of input
//! told; listed first as "standard input"; `/` opens it when it is the only root; the lines,
//! search and download routes read it; the spool stays under `--stdin-max-bytes`; binary junk
//! and a writer faster than any viewer.
mod support;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn start(args: &[&str]) -> (Server, ChildStdin) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logview"));
    cmd.args(["--bind", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::piped());
    let mut srv = Server::start_cmd(&mut cmd);
    let input = srv.child.stdin.take().unwrap();
    (srv, input)
}

/// Waits until the lines API sees `n` lines or more in standard input.
fn until_lines(srv: &Server, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = srv.get("/_logview/api/lines?path=/-&lines=10000&from=0");
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if v["lines"].as_array().is_some_and(|l| l.len() >= n) {
            return v;
        }
        assert!(Instant::now() < deadline, "never {n} lines: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn history_follow_and_the_end_of_input() {
    let dir = TempDir::new("stdin");
    let (srv, mut input) = start(&["-", dir.0.to_str().unwrap()]);
    for i in 0..100 {
        writeln!(input, "line {i} <script>x</script>").unwrap();
    }
    until_lines(&srv, 100);
    let mut ws = srv.connect(Path::new("/-"), "tail=1&lines=10&meta=1");
    let got = read_lines(&mut ws, 10);
    assert_eq!(got.lines()[0], "line 90 <script>x</script>");
    writeln!(input, "live one").unwrap();
    write!(input, "last, without its newline").unwrap();
    drop(input);
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.event_names().contains(&"eof".to_string())
    });
    assert_eq!(got.lines(), ["live one", "last, without its newline"]);
    assert!(
        got.close.is_none(),
        "the stream stays open after the end of input"
    );
    // Listed first, as standard input; the page and the search read it too.
    let (_, listing) = srv.get("/_logview/api/list");
    let v: Value = serde_json::from_str(&listing).unwrap();
    assert_eq!(
        (
            v["entries"][0]["name"].as_str(),
            v["entries"][0]["path"].as_str()
        ),
        (Some("standard input"), Some("/-"))
    );
    assert_eq!(
        v["entries"].as_array().unwrap().len(),
        2,
        "the spool's directory is not listed: {v}"
    );
    assert_eq!(srv.get("/-").0, 200);
    let (status, body) = srv.get("/_logview/api/search?path=/-&q=line%2099");
    assert_eq!(status, 200);
    assert!(
        body.contains("\"text\":\"line 99 <script>x</script>\""),
        "{body}"
    );
    let (status, body) = srv.get("/_logview/raw/-");
    assert_eq!(status, 200);
    assert!(body.starts_with("line 0 ") && body.ends_with("without its newline"));
    // A late viewer gets the last complete lines as history, then the unfinished last line,
    // completed, and the end of input.
    let mut late = srv.connect(Path::new("/-"), "tail=1&lines=2&meta=1");
    let got = read_until(&mut late, Duration::from_secs(10), |r| {
        r.event_names().contains(&"eof".to_string())
    });
    let want = [
        "line 99 <script>x</script>",
        "live one",
        "last, without its newline",
    ];
    assert_eq!(got.lines(), want);
}

#[test]
fn standard_input_alone_is_the_page_at_the_root() {
    let (srv, mut input) = start(&["-"]);
    writeln!(input, "hello").unwrap();
    let resp = srv.raw(format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", srv.addr).as_bytes());
    assert!(resp.starts_with("HTTP/1.1 302"), "{resp}");
    assert!(resp.contains("Location: /-\r\n"), "{resp}");
    // Nothing else is served: no root was given.
    assert_eq!(srv.get("/etc/passwd").0, 403);
    until_lines(&srv, 1);
}

#[test]
fn the_spool_stays_bounded_and_junk_passes_as_text() {
    let (srv, mut input) = start(&["--stdin-max-bytes", "1048576", "-"]);
    let spool = std::env::temp_dir().join(format!("logview-stdin-{}", srv.pid()));
    let line = format!("{}\n", "x".repeat(99));
    let started = Instant::now();
    // 20 MB, as fast as the pipe takes it: the spool drains it while nobody reads.
    for _ in 0..200_000 {
        input.write_all(line.as_bytes()).unwrap();
    }
    input.write_all(b"\xff\xfe\x00junk\x1b[31m red\n").unwrap();
    input.flush().unwrap();
    let wrote = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = srv.get("/_logview/api/search?path=/-&q=junk&limit=1");
        if body.contains(" red\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the junk line never arrived: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let size: u64 = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(size <= 1_048_576 + 2 * 65_536, "spool of {size} bytes");
    eprintln!("20 MB written into the pipe in {wrote:?}");
    let mut ws = srv.connect(Path::new("/-"), "lines=1");
    let got = read_to_close(&mut ws);
    assert!(
        got.lines()[0].contains("junk") && got.lines()[0].contains(" red"),
        "{:?}",
        got.lines()
    );
}
