//! The timeline API: lines per time bucket over the whole file, summing to the file's lines
//! (unstamped lines with the stamped line before them), kept and extended as the file grows,
//! started again when it is rewritten; the matches of a query per bucket; hostile values, the
//! sandbox and the base path.
mod support;
use serde_json::Value;
use std::fs;
use support::*;

fn timeline(srv: &Server, query: &str) -> (u16, Value) {
    let (status, body) = srv.get(&format!("/_logview/api/timeline?{query}"));
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn sum(v: &Value, field: &str) -> u64 {
    v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[field].as_u64().unwrap())
        .sum()
}

/// One line per second from 2026-11-25T00:00:00Z, each followed by `extra` unstamped lines.
fn stamped(from: u64, to: u64, extra: usize) -> String {
    (from..to)
        .map(|i| {
            let stamp = format!(
                "2026-11-25T{:02}:{:02}:{:02}Z",
                i / 3600,
                i / 60 % 60,
                i % 60
            );
            let level = if i % 10 == 0 { "ERROR" } else { "INFO" };
            format!(
                "{stamp} {level} event {i}\n{}",
                "  at trace line\n".repeat(extra)
            )
        })
        .collect()
}

#[test]
fn buckets_sum_to_the_lines_and_follow_a_growing_file() {
    let dir = TempDir::new("timeline");
    let log = dir.write("app.log", format!("no stamp yet\n{}", stamped(0, 7200, 1)));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let q = format!("path={}", log.display());
    let (status, v) = timeline(&srv, &q);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["lines"], 1 + 7200 * 2);
    assert_eq!(sum(&v, "lines"), 1 + 7200 * 2, "every line in a bucket");
    // Two hours in about 120 buckets: one minute each.
    assert_eq!(v["width"], 60_000);
    let buckets = v["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 120);
    assert_eq!(buckets[0]["t"], 1_795_564_800_000u64);
    assert_eq!(buckets[0]["offset"], 0);
    assert_eq!(
        buckets[1]["lines"], 120,
        "a stamped line and its trace line"
    );
    let content = fs::read_to_string(&log).unwrap();
    let at = buckets[1]["offset"].as_u64().unwrap() as usize;
    assert!(
        content[at..].starts_with("2026-11-25T00:01:00Z"),
        "{}",
        &content[at..at + 30]
    );

    // It grows: the new lines are counted (a half-written line once it ends).
    dir.append("app.log", format!("{}half", stamped(7200, 10_800, 0)));
    let (_, v) = timeline(&srv, &q);
    assert_eq!(sum(&v, "lines"), 1 + 7200 * 2 + 3600);
    dir.append("app.log", "-written\n");
    let (_, v) = timeline(&srv, &q);
    assert_eq!(sum(&v, "lines"), 1 + 7200 * 2 + 3601);
    assert_eq!(v["width"], 300_000, "three hours: five minutes a bucket");

    // Rewritten: counted again from the start.
    fs::write(&log, stamped(0, 60, 0)).unwrap();
    let (_, v) = timeline(&srv, &q);
    assert_eq!((v["lines"].as_u64(), sum(&v, "lines")), (Some(60), 60));
    assert_eq!(v["width"], 1000);

    let (_, v) = timeline(&srv, &format!("{q}&buckets=6"));
    assert_eq!(v["width"], 10_000);
    assert_eq!(v["buckets"].as_array().unwrap().len(), 6);
}

#[test]
fn the_matches_of_a_query_per_bucket() {
    let dir = TempDir::new("timeline-q");
    let log = dir.write("app.log", stamped(0, 3600, 1));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let q = format!("path={}", log.display());
    let (_, v) = timeline(&srv, &format!("{q}&q=error"));
    assert_eq!(v["matches"], 360);
    assert_eq!(sum(&v, "matches"), 360);
    assert_eq!(v["buckets"][0]["matches"], 3, "30 s buckets");
    // Matches on unstamped lines count at the moment of the stamped line before them.
    let (_, v) = timeline(&srv, &format!("{q}&q=trace"));
    assert_eq!(sum(&v, "matches"), 3600);
    assert_eq!(v["buckets"][119]["matches"], 30);
    let (_, v) = timeline(&srv, &format!("{q}&q=ERROR&case=1&regex=1"));
    assert_eq!(v["matches"], 360);
    let (_, v) = timeline(&srv, &q);
    assert!(v["buckets"][0].get("matches").is_none(), "no q, no matches");
}

#[test]
fn a_file_without_stamps_and_hostile_values() {
    let dir = TempDir::new("timeline-odd");
    let plain = dir.write("plain.log", "a\nb\nc\n");
    let outside = dir.write("../timeline-outside", "2026-11-25T00:00:00Z SECRET\n");
    let srv = Server::start(&["--base-path", "/l", dir.0.to_str().unwrap()]);
    let p = plain.display();
    let ask = |q: String| srv.get(&format!("/l/_logview/api/timeline?{q}"));
    let (status, body) = ask(format!("path={p}"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, v["lines"].as_u64()), (200, Some(3)));
    assert!(v["buckets"].as_array().unwrap().is_empty());
    for (q, status, reason) in [
        (format!("path={p}&buckets=0"), 400, "buckets"),
        (
            format!("path={p}&buckets=99999999999999999999"),
            400,
            "buckets",
        ),
        (format!("path={p}&q=%28&regex=1"), 400, "regex"),
        (format!("path={p}&q={}", "x".repeat(2000)), 400, "1024"),
        ("buckets=5".to_string(), 400, "path is required"),
        (format!("path={}", outside.display()), 403, "forbidden"),
    ] {
        let (got, body) = ask(q.clone());
        assert_eq!(got, status, "{q}: {body}");
        assert!(
            body.contains(reason) && !body.contains("SECRET"),
            "{q}: {body}"
        );
    }
    assert_eq!(srv.get(&format!("/_logview/api/timeline?path={p}")).0, 404);
    let _ = fs::remove_file(outside);
}

#[test]
fn the_lines_of_a_level_per_bucket() {
    let dir = TempDir::new("timeline-level");
    let log = dir.write("a.log", stamped(0, 600, 1));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (s, v) = timeline(
        &srv,
        &format!("path={}&level=error&buckets=10", log.display()),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["matches"], 60,
        "one ERROR line in ten, their traces not counted"
    );
    assert_eq!(sum(&v, "matches"), 60);
    assert_eq!(sum(&v, "lines"), 1200);
    assert_eq!(v["buckets"][0]["matches"], 6);
    let (s, _) = timeline(&srv, &format!("path={}&level=nope", log.display()));
    assert_eq!(s, 400);
}

#[test]
fn a_family_timeline_spans_every_member() {
    let dir = TempDir::new("timeline-family");
    let log = dir.write("app.log", stamped(600, 1200, 0));
    let older = dir.write("app.log.1", stamped(0, 600, 0));
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let f = fs::File::options().write(true).open(&older).unwrap();
    f.set_modified(past).unwrap();
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (s, v) = timeline(
        &srv,
        &format!("path={}&family=1&level=error&buckets=4", log.display()),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["lines"].as_u64(), sum(&v, "lines")), (Some(1200), 1200));
    assert_eq!(v["matches"], 120);
    assert_eq!(v["width"], 300_000, "00:00 to 00:20 in 4 buckets");
    assert_eq!(
        v["buckets"][0]["lines"], 300,
        "the older member's lines come first"
    );
    assert_eq!(
        v["buckets"][0]["offset"],
        Value::Null,
        "offsets are a file's"
    );
    let (_, one) = timeline(&srv, &format!("path={}&buckets=4", log.display()));
    assert_eq!(sum(&one, "lines"), 600, "without family=1, one file");
}
