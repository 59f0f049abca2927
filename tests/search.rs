//! The search API: the matching lines of the whole file, newest first, as NDJSON; literal and
//! regex, case folding, the edges of the backward scan (block boundaries, first and last line,
//! a partial last line, CRLF, cut lines), pages that give every match once, context, a client
//! that leaves, concurrent scans, hostile queries, and the sandbox, auth and base path.
mod support;
use serde_json::Value;
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};
use support::*;

/// Every object of a search answer.
fn search(srv: &Server, query: &str) -> (u16, Vec<Value>) {
    let (status, body) = srv.get(&format!("/_logview/api/search?{query}"));
    let objects = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::String(l.to_string())))
        .collect();
    (status, objects)
}

fn matches(objects: &[Value]) -> Vec<&Value> {
    objects.iter().filter(|o| o["type"] == "match").collect()
}

fn done(objects: &[Value]) -> &Value {
    let last = objects.last().expect("an answer");
    assert_eq!(last["type"], "done", "{last}");
    last
}

fn texts(objects: &[Value]) -> Vec<&str> {
    matches(objects)
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn literal_regex_and_case_newest_first_with_numbers_and_ranges() {
    let dir = TempDir::new("search-basic");
    let log = dir.write(
        "app.log",
        "GET /a 200\nPOST /b 502 upstream timed out\nget /c 404\nÉCHEC de la connexion\nGET /d 200\n",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let (status, got) = search(&srv, &format!("path={p}&q=get"));
    assert_eq!(status, 200);
    assert_eq!(
        texts(&got),
        ["GET /d 200", "get /c 404", "GET /a 200"],
        "newest first"
    );
    let m = matches(&got);
    assert_eq!(m[0]["ranges"], serde_json::json!([[0, 3]]));
    let numbers: Vec<u64> = m.iter().filter_map(|m| m["number"].as_u64()).collect();
    if numbers.len() == 3 {
        assert_eq!(numbers, [5, 3, 1]);
    }
    assert_eq!(m[2]["offset"], 0);
    assert_eq!(
        (done(&got)["matches"].as_u64(), &done(&got)["next"]),
        (Some(3), &Value::Null)
    );
    // `before`: the lines that start before it: all at the end, none at 0, a line start
    // excludes its line, a byte inside a line includes it.
    let size = std::fs::metadata(&log).unwrap().len();
    let page = |before: u64| {
        let (status, got) = search(&srv, &format!("path={p}&q=get&before={before}"));
        assert_eq!(status, 200, "before={before}");
        texts(&got)
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(page(size), ["GET /d 200", "get /c 404", "GET /a 200"]);
    assert!(page(0).is_empty());
    assert_eq!(page(42), ["GET /a 200"], "42 starts `get /c`");
    assert_eq!(
        page(43),
        ["get /c 404", "GET /a 200"],
        "43 is inside `get /c`"
    );
    assert_eq!(page(1), ["GET /a 200"]);
    assert_eq!(
        search(&srv, &format!("path={p}&q=get&before={}", size + 1)).0,
        400
    );
    // A page that ends at line 1 has nothing older.
    let (_, got) = search(&srv, &format!("path={p}&q=get&limit=3"));
    assert_eq!(done(&got)["next"], Value::Null);
    let (_, got) = search(&srv, &format!("path={p}&q=get&limit=2"));
    assert_eq!(done(&got)["next"], 42, "where the second match starts");
    assert_eq!(
        done(&got)["scanned"],
        size - 42,
        "the bytes from the page's last match on"
    );
    let (_, got) = search(&srv, &format!("path={p}&q=get&case=1"));
    assert_eq!(texts(&got), ["get /c 404"]);
    let (_, got) = search(&srv, &format!("path={p}&q={}", enc("échec")));
    assert_eq!(
        texts(&got),
        ["ÉCHEC de la connexion"],
        "non-ASCII case folding"
    );
    let (_, got) = search(
        &srv,
        &format!("path={p}&q={}&regex=1", enc(r"5\d\d .*timed")),
    );
    assert_eq!(texts(&got), ["POST /b 502 upstream timed out"]);
    let (_, got) = search(&srv, &format!("path={p}&q={}", enc(r"5\d\d")));
    assert!(
        texts(&got).is_empty(),
        "without regex=1 the query is a literal"
    );
    let (_, got) = search(&srv, &format!("path={p}&q=get&count=1"));
    assert!(matches(&got).is_empty());
    assert_eq!(done(&got)["matches"], 3);
}

#[test]
fn the_backward_scan_finds_every_match_across_blocks_and_at_the_edges() {
    let dir = TempDir::new("search-edges");
    // About 3 MiB: three blocks of the backward scan; a match on every 7th line, on the first
    // line, and on a partial last line; CRLF lines; a line over --max-line-bytes.
    let mut content = String::from("needle first\r\n");
    let mut want = vec!["needle first".to_string()];
    for i in 1..60_000 {
        let line = if i % 7 == 0 {
            format!("line {i:06} with a needle in it")
        } else {
            format!("line {i:06} with nothing of interest in it at all")
        };
        if i % 7 == 0 {
            want.push(line.clone());
        }
        content += &line;
        content += "\n";
    }
    let long = format!("{}needle at the end of a long line", "x".repeat(2000));
    content += &long;
    content += "\nhalf-written needle";
    want.push(long.chars().take(300).collect());
    want.push("half-written needle".to_string());
    want.reverse();
    let log = dir.write("big.log", &content);
    let srv = Server::start(&["--max-line-bytes", "300", dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let (_, got) = search(&srv, &format!("path={p}&q=needle&limit=10000"));
    assert_eq!(texts(&got), want);
    // Every match's offset is where its line starts.
    for m in matches(&got) {
        let o = m["offset"].as_u64().unwrap() as usize;
        assert!(o == 0 || content.as_bytes()[o - 1] == b'\n', "{m}");
    }
    assert_eq!(done(&got)["scanned"], content.len());
}

#[test]
fn pages_give_every_match_exactly_once_and_context_surrounds_them() {
    let dir = TempDir::new("search-pages");
    let content: String = (0..50_000)
        .map(|i| format!("{i} {}\n", if i % 3 == 0 { "hit" } else { "miss" }))
        .collect();
    let log = dir.write("p.log", &content);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let mut seen = Vec::new();
    let mut before = String::new();
    loop {
        let (_, got) = search(&srv, &format!("path={p}&q=hit&limit=777{before}"));
        seen.extend(texts(&got).iter().map(|t| t.to_string()));
        match done(&got)["next"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    let want: Vec<String> = (0..50_000)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| format!("{i} hit"))
        .collect();
    assert_eq!(seen, want, "every match once, newest first");
    let (_, got) = search(
        &srv,
        &format!("path={p}&q={}&regex=1&limit=1&context=2", enc("^300 hit")),
    );
    let m = matches(&got)[0];
    assert_eq!(m["text"], "300 hit");
    let around = |k: &str| -> Vec<String> {
        m[k].as_array()
            .unwrap()
            .iter()
            .map(|l| l["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        (around("before"), around("after")),
        (
            vec!["298 miss".to_string(), "299 miss".to_string()],
            vec!["301 miss".to_string(), "302 miss".to_string()]
        )
    );
    let (_, got) = search(&srv, &format!("path={p}&q=hit&limit=1&context=10"));
    let after = &matches(&got)[0]["after"];
    assert_eq!(
        after.as_array().unwrap().len(),
        1,
        "only the last line after it: {after}"
    );
}

/// A file of about `mib` MiB for long scans.
fn big(dir: &TempDir, mib: usize) -> std::path::PathBuf {
    let line = "2026-11-25T03:14:00Z INFO request id=abcdef status=200 path=/api/items took=12ms\n";
    dir.write("big.log", line.repeat(mib * 1024 * 1024 / line.len()))
}

/// A query slow enough (a case-insensitive regex that wakes on every line) to keep a scan going.
const SLOW: &str = r"(?i)i\w+\s+\w*zz";

#[test]
fn a_client_that_leaves_stops_the_scan() {
    let dir = TempDir::new("search-gone");
    let log = big(&dir, 256);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    // The line index is counted first: its thread's CPU is not the scan's.
    let deadline = Instant::now() + Duration::from_secs(60);
    let lines = format!("/_logview/api/lines?path={}&from=0&lines=1", log.display());
    while !srv.get(&lines).1.contains("\"indexed\":true") {
        assert!(Instant::now() < deadline, "never indexed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let target = format!(
        "/_logview/api/search?path={}&q={}&regex=1&count=1",
        log.display(),
        enc(SLOW)
    );
    let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", srv.addr).unwrap();
    // The scan runs: a progress object says how far it got.
    let mut reader = std::io::BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    let progressed = |l: &str| l.contains("\"type\":\"progress\"") && !l.contains("\"scanned\":0,");
    while !progressed(&line) {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the answer ended");
    }
    drop((reader, s));
    let stopped = srv.wait_log("stopped after", Duration::from_secs(10));
    assert!(stopped.ends_with(": the client left"), "{stopped}");
    let (scanned, total) = stopped
        .split_once(" stopped after ")
        .and_then(|(_, rest)| rest.split_once(" bytes"))
        .and_then(|(nums, _)| nums.split_once(" of "))
        .map(|(a, b)| (a.parse::<u64>().unwrap(), b.parse::<u64>().unwrap()))
        .unwrap();
    assert!(scanned < total, "it stopped before the end: {stopped}");
}

#[test]
fn scans_beyond_one_per_core_wait_their_turn_and_say_so() {
    let dir = TempDir::new("search-queue");
    let log = big(&dir, 64);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let cores = std::thread::available_parallelism().unwrap().get();
    let target = format!(
        "/_logview/api/search?path={}&q={}&regex=1&count=1",
        log.display(),
        enc(SLOW)
    );
    let started = Instant::now();
    let clients: Vec<_> = (0..cores + 1)
        .map(|_| {
            let (addr, target) = (srv.addr, target.clone());
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                write!(s, "GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
                let mut body = String::new();
                s.read_to_string(&mut body).unwrap();
                body
            })
        })
        .collect();
    let answers: Vec<String> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    let waited = answers
        .iter()
        .filter(|a| a.contains("\"waiting\":true"))
        .count();
    assert!(
        waited >= 1,
        "one scan waited ({:?} for all)",
        started.elapsed()
    );
    for a in &answers {
        assert!(
            a.contains("\"type\":\"done\""),
            "every scan ends: {}",
            &a[..a.len().min(300)]
        );
        // Progress comes about every 250 ms of scanning: not for every block.
        let objects: Vec<Value> = a
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let running = objects
            .iter()
            .filter(|o| o["type"] == "progress" && o["waiting"] == false)
            .count() as u64;
        let elapsed = done(&objects)["elapsed_ms"].as_u64().unwrap();
        assert!(
            running <= elapsed / 250 + 2,
            "{running} progress objects in {elapsed} ms"
        );
    }
}

#[test]
fn hostile_queries_are_refused_or_stay_linear() {
    let dir = TempDir::new("search-hostile");
    let log = dir.write("a.log", format!("{}\nshort\n", "a".repeat(100_000)));
    let outside = dir.write("../search-outside-secret", "SECRET\n");
    let srv = Server::start(&["--base-path", "/logs", dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let ask = |q: String| srv.get(&format!("/logs/_logview/api/search?{q}"));
    for (q, status, reason) in [
        (
            format!("path={p}&q={}", "x".repeat(1025)),
            400,
            "longer than 1024",
        ),
        (format!("path={p}&q=%28&regex=1"), 400, "not a valid regex"),
        (
            format!("path={p}&q={}&regex=1", enc(r"\w{1000}\w{1000}")),
            400,
            "size limit",
        ),
        (format!("path={p}"), 400, "q or level is required"),
        (format!("path={p}&q=a&limit=0"), 400, "limit"),
        (format!("path={p}&q=a&limit=10001"), 400, "limit"),
        (format!("path={p}&q=a&context=11"), 400, "context"),
        (format!("path={p}&q=a&before=-1"), 400, "before"),
        (
            format!("path={p}&q=a&before=999999999"),
            400,
            "past the end",
        ),
        (format!("path={p}&q=a&regex=yes"), 400, "0 or 1"),
        ("q=a".to_string(), 400, "path is required"),
        (
            format!("path={}&q=SECRET", outside.display()),
            403,
            "forbidden",
        ),
        (
            format!("path={}&q=x", dir.path("missing.log").display()),
            404,
            "no such file",
        ),
    ] {
        let (got, body) = ask(q.clone());
        assert_eq!(got, status, "{q}: {body}");
        assert!(
            body.contains(reason) && !body.contains("SECRET"),
            "{q}: {body}"
        );
    }
    // `(a+)+$` on a line of 100,000 a's: linear, answered.
    let (status, body) = ask(format!("path={p}&q={}&regex=1&case=1", enc("(a+)+$")));
    assert_eq!(status, 200);
    assert!(
        body.contains("\"matches\":1"),
        "{}",
        &body[body.len().saturating_sub(300)..]
    );
    // A query holding a newline matches no line, and the scan ends (it once spun forever).
    let (status, body) = ask(format!("path={p}&q=a%0Ab%3D4095"));
    assert_eq!(status, 200);
    assert!(body.contains("\"matches\":0"), "{body}");
    // Outside the base path: 404.
    let (status, _) = srv.get(&format!("/_logview/api/search?path={p}&q=a"));
    assert_eq!(status, 404);
    let _ = std::fs::remove_file(outside);
}

#[test]
fn search_obeys_auth() {
    let dir = TempDir::new("search-auth");
    let log = dir.write("a.log", "secret line\n");
    let auth = dir.write("users", hash_line("ops", "pw"));
    let srv = Server::start(&[
        "--auth-file",
        auth.to_str().unwrap(),
        dir.0.to_str().unwrap(),
    ]);
    let (status, body) = srv.get(&format!(
        "/_logview/api/search?path={}&q=secret",
        log.display()
    ));
    assert_eq!(status, 401);
    assert!(!body.contains("secret line"));
}

#[test]
fn level_alone_or_with_a_query_counts_lines_of_that_level_and_above() {
    let dir = TempDir::new("search-level");
    let log = dir.write(
        "a.log",
        "2026-11-28T10:00:00Z INFO disk ok\n\
         2026-11-28T10:00:01Z WARN disk slow\n\
         2026-11-28T10:00:02Z worker: no error here\n\
         2026-11-28T10:00:03Z ERROR disk failed\n\
         \tat disk.Check(Disk.java:1)\n\
         {\"level\":\"fatal\",\"msg\":\"disk gone\"}\n\
         2026-11-28T10:00:05Z DEBUG disk poll",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = log.display();
    let (s, got) = search(&srv, &format!("path={p}&level=warn"));
    assert_eq!(s, 200);
    assert_eq!(
        texts(&got),
        [
            "{\"level\":\"fatal\",\"msg\":\"disk gone\"}",
            "2026-11-28T10:00:03Z ERROR disk failed",
            "2026-11-28T10:00:01Z WARN disk slow"
        ],
        "newest first; a word inside a message does not count"
    );
    assert_eq!(matches(&got)[0]["ranges"], serde_json::json!([]));
    let (_, got) = search(&srv, &format!("path={p}&level=ERROR&q=disk"));
    assert_eq!(texts(&got).len(), 2);
    let (_, got) = search(&srv, &format!("path={p}&level=debug&count=1"));
    assert_eq!(
        done(&got)["matches"],
        5,
        "the last line has no newline and counts"
    );
    assert_eq!(search(&srv, &format!("path={p}&level=loud")).0, 400);
    assert_eq!(search(&srv, &format!("path={p}")).0, 400, "q or level");
}

#[test]
fn a_family_search_spans_every_member_newest_first_in_pages() {
    let dir = TempDir::new("search-family");
    let hour = std::time::Duration::from_secs(3600);
    let now = std::time::SystemTime::now();
    let log = dir.write("app.log", "hit 6\nmiss\nhit 5\n");
    for (name, body, age) in [
        ("app.log.1", "hit 4\nhit 3\n", 1),
        ("app.log.2", "miss\n", 2),
        ("app.log.3", "hit 2\nhit 1 no newline", 3),
    ] {
        let p = dir.write(name, body);
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(now - hour * age).unwrap();
    }
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (mut seen, mut before, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let q = format!("path={}&q=hit&family=1&limit=2{before}", log.display());
        let (s, got) = search(&srv, &q);
        assert_eq!(s, 200, "{got:?}");
        for m in matches(&got) {
            let file = m["path"].as_str().unwrap().rsplit('/').next().unwrap();
            seen.push(format!("{file}: {}", m["text"].as_str().unwrap()));
        }
        pages += 1;
        match done(&got)["next"].as_str() {
            Some(t) => before = format!("&before={t}"),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(
        seen,
        [
            "app.log: hit 5",
            "app.log: hit 6",
            "app.log.1: hit 3",
            "app.log.1: hit 4",
            "app.log.3: hit 1 no newline",
            "app.log.3: hit 2"
        ],
        "every match once, newest first, across members"
    );
    assert_eq!(pages, 3);
    let (_, got) = search(
        &srv,
        &format!("path={}&q=hit&family=1&count=1", log.display()),
    );
    assert_eq!(done(&got)["matches"], 6);
    let (s, _) = search(
        &srv,
        &format!("path={}&q=hit&family=1&before=1.2.3", log.display()),
    );
    assert_eq!(s, 400, "a token of no member");
    let (_, got) = search(&srv, &format!("path={}&q=hit", log.display()));
    assert_eq!(
        texts(&got),
        ["hit 5", "hit 6"],
        "without family=1, one file"
    );
}

#[test]
fn a_match_tells_its_moment_and_inside_a_stack_trace_brings_its_entry_header() {
    let dir = TempDir::new("search-entry");
    let log = dir.write(
        "a.log",
        "2026-11-28 10:00:00 INFO [main] start\n\
         2026-11-28 10:00:01 ERROR [main] request failed\n\
         java.lang.IllegalStateException: bad\n\
         \tat com.x.A.run(A.java:10)\n\
         Caused by: java.io.IOException: disk\n\
         2026-11-28 10:00:02 WARN [main] IOException retried\n",
    );
    // A server two hours east of UTC, for the stamps' moments.
    let srv = Server::start_in_zone("XXX-2", &dir.0);
    let (_, got) = search(&srv, &format!("path={}&q=IOException", log.display()));
    let m = matches(&got);
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0]["time"], 1_795_852_802_000u64,
        "10:00:02 on the server's clock is 08:00:02 UTC"
    );
    assert_eq!(m[1]["time"], Value::Null, "no stamp, no time");
    assert_eq!(
        m[0]["entry"],
        Value::Null,
        "a stamped line is its own entry"
    );
    assert_eq!(m[1]["text"], "Caused by: java.io.IOException: disk");
    assert_eq!(
        m[1]["entry"]["text"], "2026-11-28 10:00:01 ERROR [main] request failed",
        "the trace's header comes with it"
    );
    assert_eq!(m[1]["entry"]["offset"], 38);
}

#[test]
fn an_error_found_by_level_brings_its_whole_trace() {
    let dir = TempDir::new("search-trace");
    let log = dir.write(
        "a.log",
        "2026-11-28 10:00:00 INFO [main] start\n\
         2026-11-28 10:00:01 ERROR [main] request failed\n\
         java.lang.IllegalStateException: bad\n\
         \tat com.x.A.run(A.java:10)\n\
         Caused by: java.io.IOException: disk\n\
         \t... 3 more\n\
         2026-11-28 10:00:02 ERROR [main] second failure, no trace\n\
         2026-11-28 10:00:03 INFO [main] done\n",
    );
    let plain = dir.write("plain.log", "one error\ntwo\nthree\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (_, got) = search(&srv, &format!("path={}&level=error", log.display()));
    let m = matches(&got);
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0]["trace"],
        Value::Null,
        "the next line starts its own entry"
    );
    let trace: Vec<&str> = m[1]["trace"]
        .as_array()
        .expect("the trace")
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        trace,
        [
            "java.lang.IllegalStateException: bad",
            "\tat com.x.A.run(A.java:10)",
            "Caused by: java.io.IOException: disk",
            "\t... 3 more"
        ]
    );
    assert_eq!(m[1]["trace"][0]["offset"], 86);
    let (_, got) = search(&srv, &format!("path={}&q=error", plain.display()));
    assert_eq!(
        matches(&got)[0]["trace"],
        Value::Null,
        "a file without stamps has no entries to follow"
    );
}
