//! The lines API: a window of lines anywhere in a file (`before=` to scroll up, `from=` to
//! jump), its edges (offset 0, the end, mid-line, a partial last line, CRLF, cut lines), and
//! hostile values; the same sandbox and base path as every route.
mod support;
use serde_json::Value;
use support::*;

fn window(srv: &Server, query: &str) -> (u16, Value) {
    let (status, body) = srv.get(&format!("/_logview/api/lines?{query}"));
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, v)
}

fn texts(v: &Value) -> Vec<(u64, String)> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["offset"].as_u64().unwrap(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(o, t)| (*o, t.to_string())).collect()
}

#[test]
fn before_and_from_address_any_offset() {
    let dir = TempDir::new("lines-api");
    // Offsets: a=0, bb=2, ccc=5, d=9, (end 11)
    let log = dir.write("a.log", "a\nbb\nccc\nd\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let (s, v) = window(&srv, &format!("path={p}&lines=2&before=11"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(texts(&v), pairs(&[(5, "ccc"), (9, "d")]));
    assert_eq!(
        (
            &v["size"],
            &v["more_before"],
            &v["more_after"],
            &v["partial"]
        ),
        (
            &Value::from(11),
            &Value::from(true),
            &Value::from(false),
            &Value::from(false)
        )
    );
    // Mid-line: only lines that end at or before the offset.
    let (_, v) = window(&srv, &format!("path={p}&lines=10&before=7"));
    assert_eq!(texts(&v), pairs(&[(0, "a"), (2, "bb")]));
    assert_eq!(
        (&v["first"], &v["next"]),
        (&Value::from(0), &Value::from(5))
    );
    let (_, v) = window(&srv, &format!("path={p}&lines=10&before=0"));
    assert_eq!(texts(&v), pairs(&[]));
    // From: the line holding the offset, then on.
    let (_, v) = window(&srv, &format!("path={p}&lines=2&from=6"));
    assert_eq!(texts(&v), pairs(&[(5, "ccc"), (9, "d")]));
    assert_eq!(v["more_after"], false);
    let (_, v) = window(&srv, &format!("path={p}&lines=1&from=0"));
    assert_eq!(texts(&v), pairs(&[(0, "a")]));
    assert_eq!(
        (&v["more_before"], &v["more_after"]),
        (&Value::from(false), &Value::from(true))
    );
    let (_, v) = window(&srv, &format!("path={p}&from=11"));
    assert_eq!(texts(&v), pairs(&[]));
    // Scrolling up page by page gives every line once.
    let (mut before, mut seen) = (11u64, Vec::new());
    loop {
        let (_, v) = window(&srv, &format!("path={p}&lines=1&before={before}"));
        let got = texts(&v);
        if got.is_empty() {
            break;
        }
        before = got[0].0;
        seen.insert(0, got[0].1.clone());
    }
    assert_eq!(seen, ["a", "bb", "ccc", "d"]);
}

#[test]
fn partial_last_lines_crlf_and_cut_lines() {
    let dir = TempDir::new("lines-edges");
    let long = "x".repeat(1000);
    let log = dir.write("a.log", format!("one\r\n{long}\nhalf-"));
    let srv = Server::start(&["--max-line-bytes", "300", dir.0.to_str().unwrap()]);
    let p = log.to_str().unwrap();
    let size = 5 + 1001 + 5;
    let (_, v) = window(&srv, &format!("path={p}&before={size}"));
    assert_eq!(
        texts(&v),
        vec![
            (0, "one\r".to_string()),
            (5, "x".repeat(300)),
            (1006, "half-".to_string())
        ]
    );
    assert_eq!(v["partial"], true, "the last line has no newline yet");
    let (_, v) = window(&srv, &format!("path={p}&from=3"));
    assert_eq!(texts(&v)[0], (0, "one\r".to_string()));
    let (_, v) = window(&srv, &format!("path={p}&before={size}&format=html"));
    assert_eq!(texts(&v)[0], (0, "one".to_string()), "html drops the CR");
}

#[test]
fn html_lines_are_escaped() {
    let dir = TempDir::new("lines-html");
    let log = dir.write("a.log", "<script>alert(1)</script>\n\x1b[31mred\x1b[0m\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (_, v) = window(&srv, &format!("path={}&from=0&format=html", log.display()));
    let t = texts(&v);
    assert_eq!(t[0].1, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert!(
        t[1].1.contains("red") && t[1].1.contains("<span"),
        "{}",
        t[1].1
    );
}

#[test]
fn hostile_values_are_refused_with_a_reason() {
    let dir = TempDir::new("lines-hostile");
    let log = dir.write("a.log", "a\n");
    let outside = dir.write("../lines-outside-secret", "SECRET\n");
    let root = dir.0.to_str().unwrap();
    let srv = Server::start(&["--base-path", "/logs", root]);
    let p = log.to_str().unwrap();
    let ask = |q: String| srv.get(&format!("/logs/_logview/api/lines?{q}"));
    assert_eq!(ask(format!("path={p}&from=0")).0, 200);
    for (q, reason) in [
        (format!("path={p}"), "exactly one of"),
        (format!("path={p}&from=0&before=1"), "exactly one of"),
        (format!("path={p}&from=3"), "past the end"),
        (
            format!("path={p}&before=99999999999999999999"),
            "number of bytes",
        ),
        (format!("path={p}&from=-1"), "number of bytes"),
        (format!("path={p}&from=abc"), "number of bytes"),
        (format!("path={p}&from=0&lines=0"), "1 to 10000"),
        (format!("path={p}&from=0&lines=10001"), "1 to 10000"),
        (format!("path={p}&from=0&format=pdf"), "text or html"),
        (format!("path={p}&line=1&from=0"), "exactly one of"),
        (format!("path={p}&line=0"), "line number from 1"),
        (format!("path={p}&line=-3"), "line number from 1"),
        (format!("path={p}&line=1e3"), "line number from 1"),
        (
            format!("path={p}&line=99999999999999999999"),
            "line number from 1",
        ),
        (format!("path={p}&line=2"), "past the end"),
        (
            format!("path={p}&line=18446744073709551615"),
            "past the end",
        ),
        (format!("path={p}&time=yesterday"), "RFC 3339"),
        (format!("path={p}&time=2026-13-01T00:00:00Z"), "RFC 3339"),
        (format!("path={p}&time={}", "9".repeat(5000)), "RFC 3339"),
        (
            format!("path={p}&time=2026-11-25T03:14:00Z"),
            "no timestamps",
        ),
        ("from=0".to_string(), "path is required"),
    ] {
        let (status, body) = ask(q.clone());
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body.contains(reason), "{q}: {body}");
    }
    let (status, body) = ask(format!("path={}&from=0", outside.display()));
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("SECRET"));
    assert_eq!(
        srv.get(&format!("/_logview/api/lines?path={p}&from=0")).0,
        404
    );
    let _ = std::fs::remove_file(outside);
}

#[test]
fn the_start_of_a_rotated_file_names_its_next_older_member() {
    let dir = TempDir::new("lines-family");
    let log = dir.write("app.log", "today 1\ntoday 2\n");
    let older = dir.write("app.log.1", "yesterday 1\nyesterday 2 without newline");
    let oldest = dir.write("app.log-20261120", "last week\n");
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let touch = |p: &std::path::Path, t| {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap()
    };
    touch(&older, past);
    touch(&oldest, past - std::time::Duration::from_secs(3600));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (_, v) = window(&srv, &format!("path={}&lines=1&before=16", log.display()));
    assert_eq!(v["older"], Value::Null, "not at the start yet: {v}");
    let (_, v) = window(&srv, &format!("path={}&before=16", log.display()));
    assert_eq!(v["older"], older.to_str().unwrap());
    // Scrolling on: the older member from its end, its last line without a newline whole.
    let (_, v) = window(&srv, &format!("path={}&before=39", older.display()));
    assert_eq!(
        texts(&v),
        pairs(&[(0, "yesterday 1"), (12, "yesterday 2 without newline")])
    );
    assert_eq!(v["older"], oldest.to_str().unwrap());
    let (_, v) = window(&srv, &format!("path={}&before=10", oldest.display()));
    assert_eq!(v["older"], Value::Null, "the oldest member ends the family");
}
