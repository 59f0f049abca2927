//! Line numbers and jumps: every line the lines API sends carries its number once the line
//! index has counted the file (through appends, truncation and rotation), `line=K` lands on
//! line K, the WebSocket history tells its first line's number, and `time=T` lands on the
//! first line stamped at or after T in every stamp format, with unstamped continuation lines,
//! small disorder, syslog's missing year and the server's zone.
mod support;
use serde_json::Value;
use std::fs;
use std::time::{Duration, Instant, SystemTime};
use support::*;

fn window(srv: &Server, query: &str) -> (u16, Value) {
    let (status, body) = srv.get(&format!("/_logview/api/lines?{query}"));
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, v)
}

/// Asks until the file is counted, then returns the answer to `query`.
fn counted(srv: &Server, query: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, v) = window(srv, query);
        assert_eq!(status, 200, "{query}: {v}");
        if v["indexed"] == true {
            return v;
        }
        assert!(Instant::now() < deadline, "never indexed: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (number, text) of each line.
fn numbered(v: &Value) -> Vec<(Option<u64>, String)> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["number"].as_u64(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn numbered_lines(range: std::ops::RangeInclusive<u64>, prefix: &str) -> String {
    range.map(|i| format!("{prefix} {i}\n")).collect()
}

#[test]
fn numbers_follow_the_file_through_appends_truncation_and_rotation() {
    let dir = TempDir::new("jump-numbers");
    let log = dir.write("app.log", numbered_lines(1..=10_000, "line"));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let v = counted(&srv, &format!("path={p}&line=5000&lines=3"));
    assert_eq!(v["total"], 10_000);
    let want = |a: u64, prefix: &str| -> Vec<(Option<u64>, String)> {
        (a..a + 3)
            .map(|i| (Some(i), format!("{prefix} {i}")))
            .collect()
    };
    assert_eq!(numbered(&v), want(5000, "line"));
    // Any offset, scrolling up or down, carries the same numbers.
    let offset = v["lines"][1]["offset"].as_u64().unwrap();
    let (_, v) = window(&srv, &format!("path={p}&from={}&lines=3", offset + 2));
    assert_eq!(numbered(&v), want(5001, "line"));
    let (_, v) = window(&srv, &format!("path={p}&before={offset}&lines=3"));
    assert_eq!(numbered(&v), want(4998, "line"));
    let (_, v) = window(&srv, &format!("path={p}&from=0&lines=3"));
    assert_eq!(numbered(&v), want(1, "line"));
    let (_, v) = window(&srv, &format!("path={p}&line=10000"));
    assert_eq!(numbered(&v), [(Some(10_000), "line 10000".to_string())]);
    assert_eq!(v["more_after"], false);

    // Appends extend the index.
    dir.append("app.log", numbered_lines(10_001..=10_500, "line"));
    let v = counted(&srv, &format!("path={p}&line=10400&lines=3"));
    assert_eq!(
        (v["total"].as_u64(), numbered(&v)),
        (Some(10_500), want(10_400, "line"))
    );

    // copytruncate: the numbers start again, even when the file regrows past its old length.
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    dir.append("app.log", numbered_lines(1..=3, "new"));
    let v = counted(&srv, &format!("path={p}&line=1&lines=3"));
    assert_eq!(
        (v["total"].as_u64(), numbered(&v)),
        (Some(3), want(1, "new"))
    );
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    dir.append("app.log", numbered_lines(1..=20_000, "again"));
    let v = counted(&srv, &format!("path={p}&line=15000&lines=3"));
    assert_eq!(
        (v["total"].as_u64(), numbered(&v)),
        (Some(20_000), want(15_000, "again"))
    );

    // Rotation: the path names a new file with its own numbers.
    fs::rename(&log, dir.path("app.log.1")).unwrap();
    dir.write("app.log", numbered_lines(1..=7, "rotated"));
    let v = counted(&srv, &format!("path={p}&line=5&lines=3"));
    assert_eq!(
        (v["total"].as_u64(), numbered(&v)),
        (Some(7), want(5, "rotated"))
    );
    let (status, body) = window(&srv, &format!("path={p}&line=8"));
    assert_eq!(status, 400);
    assert!(body.as_str().unwrap().contains("past the end"), "{body}");
}

#[test]
fn line_numbers_at_the_edges() {
    let dir = TempDir::new("jump-edges");
    let long = "x".repeat(5000);
    let log = dir.write("e.log", format!("one\r\n{long}\n\nfour\nhalf-"));
    let srv = Server::start(&["--max-line-bytes", "300", dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let v = counted(&srv, &format!("path={p}&line=1&lines=10"));
    let got: Vec<(Option<u64>, usize)> = numbered(&v).iter().map(|(n, t)| (*n, t.len())).collect();
    // A cut line is still one line; an empty line is a line; the half-written last line too.
    assert_eq!(
        got,
        [
            (Some(1), 4),
            (Some(2), 300),
            (Some(3), 0),
            (Some(4), 4),
            (Some(5), 5)
        ]
    );
    assert_eq!(
        (v["total"].as_u64(), v["partial"].as_bool()),
        (Some(5), Some(true))
    );
    let (_, v) = window(&srv, &format!("path={p}&line=5"));
    assert_eq!(numbered(&v), [(Some(5), "half-".to_string())]);
    let (_, v) = window(&srv, &format!("path={p}&line=2"));
    assert_eq!(v["lines"][0]["offset"], 5);
    assert_eq!(window(&srv, &format!("path={p}&line=6")).0, 400);
    // An empty file has no line 1, and its window is empty.
    let empty = dir.write("empty.log", "");
    let q = format!("path={}&from=0", empty.display());
    let v = counted(&srv, &q);
    assert_eq!(
        (v["total"].as_u64(), v["lines"].as_array().unwrap().len()),
        (Some(0), 0)
    );
    let q = format!("path={}&line=1", empty.display());
    assert_eq!(window(&srv, &q).0, 400);
}

#[test]
fn the_websocket_history_tells_the_number_of_its_first_line() {
    let dir = TempDir::new("jump-ws");
    let log = dir.write("w.log", numbered_lines(1..=1000, "line"));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "lines=10&meta=1");
    let got = read_to_close(&mut ws);
    let history = got
        .events
        .iter()
        .find(|e| e["event"] == "history")
        .expect("history event");
    assert_eq!(history["number"], 991, "{history}");
    assert_eq!(got.lines()[0], "line 991");
}

/// Lines `prefix(i)` for i in 0..n, one second apart from 2026-11-25 00:00:00 (wall clock).
fn stamped(n: u64, stamp: impl Fn(u64, u64, u64) -> String) -> String {
    (0..n)
        .map(|i| {
            let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
            format!("{} event {i}\n", stamp(h, m, s))
        })
        .collect()
}

/// The text of the line a time jump lands on.
fn land(srv: &Server, path: &std::path::Path, t: &str) -> String {
    let t = t.replace('+', "%2B").replace(' ', "%20");
    let (status, v) = window(srv, &format!("path={}&time={t}&lines=1", path.display()));
    assert_eq!(status, 200, "{t}: {v}");
    match v["lines"].as_array().unwrap().first() {
        Some(l) => l["text"].as_str().unwrap().to_string(),
        None => "(end)".to_string(),
    }
}

#[test]
fn time_jumps_land_on_the_first_line_at_or_after_the_time_in_every_format() {
    let dir = TempDir::new("jump-time");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let day = 86_400;
    let iso = dir.write(
        "iso.log",
        stamped(day, |h, m, s| {
            format!("2026-11-25T{h:02}:{m:02}:{s:02}.123Z")
        }),
    );
    assert!(land(&srv, &iso, "2026-11-25T03:14:00Z").ends_with("event 11640"));
    assert!(land(&srv, &iso, "2026-11-25T03:14:00.5Z").ends_with("event 11641"));
    assert!(land(&srv, &iso, "2026-11-25 03:14").ends_with("event 11640"));
    assert!(land(&srv, &iso, "2026-11-25T04:14:00+01:00").ends_with("event 11640"));
    assert!(land(&srv, &iso, "2020-01-01T00:00:00Z").ends_with("event 0"));
    assert_eq!(land(&srv, &iso, "2030-01-01T00:00:00Z"), "(end)");

    // Stamps with an offset: a wall-clock T is read in the log's own zone.
    let zoned = dir.write(
        "zoned.log",
        stamped(7200, |h, m, s| {
            format!("2026-11-25 {h:02}:{m:02}:{s:02},5+01:00")
        }),
    );
    assert!(land(&srv, &zoned, "2026-11-25 01:00:00").ends_with("event 3600"));
    assert!(land(&srv, &zoned, "2026-11-25T00:00:00Z").ends_with("event 3600"));
    // A `+` left unencoded in the query string (a space once decoded) is still the offset.
    let (_, v) = window(
        &srv,
        &format!(
            "path={}&time=2026-11-25T01:00:00+01:00&lines=1",
            zoned.display()
        ),
    );
    assert!(
        v["lines"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with("event 3600"),
        "{v}"
    );

    let nginx = dir.write(
        "error.log",
        stamped(7200, |h, m, s| {
            format!("2026/11/25 {h:02}:{m:02}:{s:02} [error] 1#1:")
        }),
    );
    assert!(land(&srv, &nginx, "2026-11-25 01:30").ends_with("event 5400"));
    let access = dir.write(
        "access.log",
        stamped(7200, |h, m, s| {
            format!("10.0.0.1 - - [25/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET / HTTP/1.1\" 200")
        }),
    );
    assert!(land(&srv, &access, "2026-11-25T01:30:00Z").ends_with("event 5400"));
    let base = 1_795_564_800u64; // 2026-11-25T00:00:00Z
    let json: String = (0..7200u64)
        .map(|i| match i % 3 {
            0 => format!("{{\"level\":\"info\",\"ts\":{},\"i\":{i}}}\n", base + i),
            1 => format!("{{\"time\":{},\"i\":{i}}}\n", (base + i) * 1000),
            _ => format!(
                "{{\"@timestamp\":\"2026-11-25T{:02}:{:02}:{:02}Z\",\"i\":{i}}}\n",
                i / 3600,
                i / 60 % 60,
                i % 60
            ),
        })
        .collect();
    let json = dir.write("app.json", json);
    assert!(land(&srv, &json, "2026-11-25T01:30:00Z").contains("\"i\":5400"));
    assert!(land(&srv, &json, "2026-11-25T01:30:01Z").contains("\"i\":5401"));
    assert!(land(&srv, &json, "2026-11-25T01:30:02Z").contains("\"i\":5402"));
}

#[test]
fn time_jumps_with_continuation_lines_disorder_and_no_stamps() {
    let dir = TempDir::new("jump-odd");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    // Every stamped line has a stack trace after it; the trace belongs to its line.
    let traced: String = (0..20_000u64)
        .map(|i| {
            let (m, s) = (i / 60 % 60, i % 60);
            format!(
                "2026-11-25T{:02}:{m:02}:{s:02}Z ERROR {i}\n  at a.b(C.java:1)\n  at d.e(F.java:2)\n",
                i / 3600
            )
        })
        .collect();
    let traced = dir.write("traced.log", traced);
    assert!(land(&srv, &traced, "2026-11-25T03:00:00Z").ends_with("ERROR 10800"));
    // Lines written a second or two out of order (threads racing to the log).
    let shuffled: String = (0..50_000u64)
        .map(|i| {
            let t = match i % 10 {
                3 => i + 2,
                4 => i - 1,
                _ => i,
            };
            let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
            format!("2026-11-25 {h:02}:{m:02}:{s:02} line {i}\n")
        })
        .collect();
    let shuffled = dir.write("shuffled.log", shuffled);
    for target in [1000u64, 12_345, 33_333, 49_990] {
        let (h, m, s) = (target / 3600, target / 60 % 60, target % 60);
        let text = land(&srv, &shuffled, &format!("2026-11-25 {h:02}:{m:02}:{s:02}"));
        let i: u64 = text.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(i.abs_diff(target) <= 2, "{target}: landed on {text}");
    }
    // A file without stamps says so.
    let plain = dir.write("plain.log", numbered_lines(1..=50_000, "no time here"));
    let q = format!("path={}&time=2026-11-25T03:00:00Z", plain.display());
    let (status, body) = window(&srv, &q);
    assert_eq!(status, 400);
    assert!(
        body.as_str().unwrap().contains("no timestamps found"),
        "{body}"
    );
}

#[test]
fn syslog_stamps_take_their_year_from_the_file_and_roll_over_new_year() {
    let dir = TempDir::new("jump-syslog");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    // December of one year, then January of the next; written on 2 January 2027.
    let mut text = String::new();
    for d in 30..=31 {
        for h in 0..24 {
            text += &format!("Dec {d} {h:02}:00:00 host cron[1]: dec {d} {h}\n");
        }
    }
    for d in 1..=2 {
        for h in 0..24 {
            text += &format!("Jan  {d} {h:02}:00:00 host cron[1]: jan {d} {h}\n");
        }
    }
    let log = dir.write("syslog", text);
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_934_400); // 2027-01-03Z
    fs::File::options()
        .append(true)
        .open(&log)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert!(land(&srv, &log, "2026-12-31T12:00:00Z").ends_with("dec 31 12"));
    assert!(land(&srv, &log, "2027-01-01 00:00").ends_with("jan 1 0"));
    assert!(land(&srv, &log, "2027-01-02T05:30:00Z").ends_with("jan 2 6"));
    // Each line's moment is given in UTC milliseconds.
    let q = format!("path={}&line=1&lines=1", log.display());
    let (_, v) = window(&srv, &q);
    assert_eq!(
        v["lines"][0]["time"], 1_798_588_800_000u64,
        "2026-12-30T00:00:00Z"
    );
}

#[test]
fn stamps_without_a_zone_are_read_in_the_server_zone() {
    let dir = TempDir::new("jump-zone");
    let log = dir.write(
        "local.log",
        stamped(7200, |h, m, s| format!("2026-11-25 {h:02}:{m:02}:{s:02}")),
    );
    // Two hours east of UTC.
    let srv = Server::start_in_zone("XXX-2", &dir.0);
    // 23:30 UTC on the 24th is 01:30 on the 25th on the server's clock, which its stamps use.
    assert_eq!(
        land(&srv, &log, "2026-11-24T23:30:00Z"),
        "2026-11-25 01:30:00 event 5400"
    );
    assert_eq!(
        land(&srv, &log, "2026-11-25 01:30"),
        "2026-11-25 01:30:00 event 5400"
    );
    let q = format!("path={}&line=1&lines=1", log.display());
    let (_, v) = window(&srv, &q);
    assert_eq!(
        v["lines"][0]["time"], 1_795_557_600_000u64,
        "2026-11-24T22:00:00Z"
    );
}

#[test]
fn a_long_unstamped_stretch_does_not_mislead_a_time_jump() {
    let dir = TempDir::new("jump-dump");
    // 800,000 lines, ten a second, with a 2 MB thread dump in the middle: 26 MB in all, more
    // than the final scan reaches, so the binary search must see past the dump.
    let line = |i: u64| {
        let t = i / 10;
        format!(
            "2026-11-25T{:02}:{:02}:{:02}Z event {i}\n",
            t / 3600,
            t / 60 % 60,
            t % 60
        )
    };
    let mut text: String = (0..400_000).map(line).collect();
    text += &"\tat java.lang.Thread.run(Thread.java:833) waiting on lock\n".repeat(35_000);
    text += &(400_000..800_000).map(line).collect::<String>();
    let log = dir.write("dump.log", text);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    for second in [1_000u64, 39_999, 40_000, 60_000, 79_999] {
        let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
        let got = land(&srv, &log, &format!("2026-11-25T{h:02}:{m:02}:{s:02}Z"));
        assert!(
            got.ends_with(&format!("event {}", second * 10)),
            "{second}: {got}"
        );
    }
}
