//! Compressed files as streams: a `.gz` file's WebSocket sends its decompressed history, then
//! `live` and `compressed` (it is read whole, never followed) and stays open; a damaged one says
//! why before `live`; a position in it resumes; it can be merged with plain files; the page
//! opens on it. A file compressed in a format that is not read (xz, zstd, bzip2, lz4) is
//! refused with 415 and the reason on every route that reads lines, and downloads raw. A first
//! pass runs once for requests at once, one per core, and stops when its client leaves.
mod support;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::*;

/// `text` gzipped (by gzip itself) as `name` in `dir`.
fn gz(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let plain = dir.write(name.trim_end_matches(".gz"), text);
    let ok = Command::new("gzip").arg("-nf").arg(&plain).status();
    assert!(ok.expect("gzip runs").success());
    dir.path(name)
}

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("old line {i}\n")).collect()
}

/// `n` stamped request lines (some MiB of text for `n` in the hundred thousands).
fn requests(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "2026-11-25T10:00:00Z request {i} served in {} ms\n",
                i % 977
            )
        })
        .collect()
}

fn until_compressed(r: &Received) -> bool {
    r.event_names().iter().any(|e| e == "compressed")
}

#[test]
fn a_gz_file_streams_its_history_then_says_it_is_not_followed() {
    let dir = TempDir::new("compressed-stream");
    let member = gz(&dir, "app.log.2.gz", &numbered(50));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&member, "tail=1&meta=1&lines=10");
    let got = read_until(&mut ws, Duration::from_secs(10), until_compressed);
    let want: Vec<String> = (41..=50).map(|i| format!("old line {i}")).collect();
    assert_eq!(got.lines(), want);
    let names = got.event_names();
    assert_eq!(names.first().map(String::as_str), Some("history"));
    assert_eq!(&names[names.len() - 2..], ["live", "compressed"]);
    assert!(!names.iter().any(|e| e == "damaged"), "{names:?}");
    // Nothing more comes, and the stream stays open (a reconnect would bring nothing new).
    set_timeout(&ws, Duration::from_millis(100));
    let quiet_until = std::time::Instant::now() + Duration::from_secs(1);
    while std::time::Instant::now() < quiet_until {
        match ws.read() {
            Ok(tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_)) => {}
            Ok(m) => panic!("nothing more was to come: {m:?}"),
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("the stream stays open: {e}"),
        }
    }
    // Without tail, the history ends the stream.
    let all = read_to_close(&mut srv.connect(&member, "lines=1000"));
    assert_eq!(all.text, numbered(50));
    assert_eq!(all.close.map(|c| c.0), Some(1000));
}

#[test]
fn an_unfinished_last_line_and_a_position_in_a_gz_file() {
    let dir = TempDir::new("compressed-resume");
    let member = gz(&dir, "app.log.1.gz", "one\ntwo\nthree without newline");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&member, "tail=1&meta=1&lines=2");
    let got = read_until(&mut ws, Duration::from_secs(10), until_compressed);
    assert_eq!(
        got.lines(),
        ["two", "three without newline"],
        "it never grows"
    );
    let pos = got.events.last().unwrap()["pos"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = srv.connect(&member, &format!("tail=1&meta=1&resume={pos}"));
    let again = read_until(&mut ws, Duration::from_secs(10), until_compressed);
    assert_eq!(again.event_names(), ["resumed", "live", "compressed"]);
    assert_eq!(again.text, "", "nothing is sent twice");
}

#[test]
fn a_damaged_gz_file_sends_what_it_holds_and_says_why_before_live() {
    let dir = TempDir::new("compressed-damaged");
    let whole = gz(&dir, "app.log.3.gz", &numbered(20_000));
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.write("cut.log.gz", &bytes[..bytes.len() / 2]);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&cut, "tail=1&meta=1&lines=5");
    let got = read_until(&mut ws, Duration::from_secs(10), until_compressed);
    let names = got.event_names();
    let at = |n: &str| names.iter().position(|e| e == n).unwrap();
    assert!(at("damaged") < at("live"), "{names:?}");
    let damaged = &got.events[at("damaged")];
    assert!(
        damaged["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{damaged}"
    );
    let lines = got.lines();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l.starts_with("old line")), "{lines:?}");
    srv.wait_log("cut.log.gz: ", Duration::from_secs(5));
}

#[test]
fn a_gz_member_merges_with_plain_files_and_the_page_opens_on_it() {
    let dir = TempDir::new("compressed-merge");
    let member = gz(&dir, "app.log.1.gz", "2026-11-25T10:00:01Z older\n");
    let head = dir.write("app.log", "2026-11-25T10:00:02Z newer\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let query = format!("path={}&path={}", encode_path(&head), encode_path(&member));
    let mut ws = srv.connect(&PathBuf::from("/_logview/merge"), &query);
    let got = read_to_close(&mut ws);
    assert_eq!(
        got.lines(),
        [
            "app.log.1.gz: 2026-11-25T10:00:01Z older",
            "app.log: 2026-11-25T10:00:02Z newer"
        ]
    );
    let page = srv.raw(
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\n\r\n",
            encode_path(&member),
            srv.addr
        )
        .as_bytes(),
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}

#[test]
fn other_compressed_formats_are_refused_as_lines_but_download_raw() {
    let dir = TempDir::new("compressed-other");
    let xz = dir.write("app.log.2.xz", b"\xfd7zXZ\0\0\x04garbage bytes\n");
    let zst = dir.write("app.log.3.zst", b"\x28\xb5\x2f\xfdgarbage\n");
    let fake = dir.write("notes.xz", "plain text in an .xz name\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    for file in [&xz, &zst] {
        assert_eq!(srv.handshake_status(file, "", None), 415);
        let p = encode_path(file);
        for target in [
            format!("/_logview/api/lines?path={p}&from=0"),
            format!("/_logview/api/search?path={p}&q=garbage"),
            format!("/_logview/api/timeline?path={p}"),
        ] {
            let (status, body) = srv.get(&target);
            assert_eq!(status, 415, "{target}: {body}");
            assert!(body.contains("only gzip is read"), "{body}");
        }
        let head = format!(
            "GET {p} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\n\r\n",
            srv.addr
        );
        let page = srv.raw(head.as_bytes());
        assert!(page.starts_with("HTTP/1.1 415"), "{page}");
        assert!(
            page.contains("logview-refusal"),
            "the page, with the reason"
        );
        let (status, body) = srv.get(&format!("/_logview/raw{p}"));
        assert_eq!((status, body.contains("garbage")), (200, true));
    }
    let merged = format!("/_logview/merge?path={}", encode_path(&xz));
    let answer = srv.raw(srv.upgrade_head(&merged, "").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");
    // An .xz name without xz's bytes is plain text.
    let got = read_to_close(&mut srv.connect(&fake, ""));
    assert_eq!(got.text, "plain text in an .xz name\n");
}

#[test]
fn requests_at_once_for_a_new_gz_file_decompress_it_once() {
    let dir = TempDir::new("compressed-once");
    let text = requests(400_000);
    let member = gz(&dir, "big.log.1.gz", &text);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let target = format!(
        "/_logview/api/lines?path={}&from=0&lines=3",
        encode_path(&member)
    );
    std::thread::scope(|s| {
        let asks: Vec<_> = (0..4).map(|_| s.spawn(|| srv.get(&target))).collect();
        for ask in asks {
            let (status, body) = ask.join().unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("request 3 served"), "{body}");
        }
    });
    srv.wait_log("big.log.1.gz: first pass", Duration::from_secs(5));
    assert_eq!(srv.log_count(": first pass,"), 1, "one pass, shared");
}

#[test]
fn first_passes_of_many_gz_files_run_one_per_core_at_most() {
    let dir = TempDir::new("compressed-passes");
    let text = requests(200_000);
    let cores = std::thread::available_parallelism().unwrap().get();
    let files: Vec<PathBuf> = (0..cores + 3)
        .map(|i| gz(&dir, &format!("app{i}.log.1.gz"), &text))
        .collect();
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    std::thread::scope(|s| {
        let asks: Vec<_> = files
            .iter()
            .map(|f| {
                let target = format!("/_logview/api/lines?path={}&from=0", encode_path(f));
                let srv = &srv;
                s.spawn(move || srv.get(&target).0)
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.join().unwrap(), 200, "each is answered in its turn");
        }
    });
    srv.wait_log(
        &format!("app{}.log.1.gz: first pass,", cores + 2),
        Duration::from_secs(5),
    );
    let mut running = Vec::new();
    for i in 0..cores + 3 {
        let started = srv.wait_log(
            &format!("app{i}.log.1.gz: first pass starts"),
            Duration::ZERO,
        );
        let n = started
            .rsplit_once('(')
            .unwrap()
            .1
            .split(' ')
            .next()
            .unwrap();
        running.push(n.parse::<usize>().unwrap());
    }
    assert!(
        running.iter().all(|&n| n <= cores),
        "{running:?} with {cores} cores"
    );
}

#[test]
fn a_first_pass_whose_client_leaves_stops_and_the_next_request_makes_it_again() {
    let dir = TempDir::new("compressed-left");
    // About 20 MiB of text: restart points every 8 MiB, where the pass asks for its client.
    let member = gz(&dir, "big.log.1.gz", &requests(400_000));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let target = format!(
        "/_logview/api/lines?path={}&from=0&lines=3",
        encode_path(&member)
    );
    let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
    let head = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::io::Write::write_all(&mut s, head.as_bytes()).unwrap();
    drop(s);
    srv.wait_log(
        "big.log.1.gz: first pass stopped after",
        Duration::from_secs(10),
    );
    assert_eq!(srv.log_count(": first pass,"), 0, "no pass finished");
    let (status, body) = srv.get(&target);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("request 3 served"), "{body}");
    srv.wait_log("big.log.1.gz: first pass,", Duration::from_secs(5));
    assert_eq!(srv.log_count(": first pass,"), 1, "made again, whole");
}
