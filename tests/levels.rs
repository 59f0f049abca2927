//! Levels, entries and JSON lines on the wire: `format=html` lines start with their entry
//! marker (level, continuation, JSON), carried across frames and reset by a rotation;
//! `format=text` stays the file's bytes.
mod support;
use std::time::Duration;
use support::*;

const TRACE: &str = "2026-11-28 10:00:00 ERROR [main] request failed\n\
                     java.lang.IllegalStateException: bad <state>\n\
                     \tat com.x.A.run(A.java:10)\n\
                     Caused by: java.io.IOException: io\n\
                     \t... 12 more\n\
                     2026-11-28 10:00:01 INFO [main] recovered, no error\n\
                     {\"time\":\"2026-11-28T10:00:02Z\",\"level\":\"warn\",\"msg\":\"<b>slow</b>\"}\n";

#[test]
fn html_lines_carry_their_entry_and_text_stays_pure() {
    let dir = TempDir::new("levels");
    let log = dir.write("app.log", TRACE);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "format=html"));
    let lines = got.lines();
    let marker = |l: &str| l.split("</span>").next().unwrap().to_string();
    assert_eq!(marker(lines[0]), "<span data-level=\"error\">");
    for l in &lines[1..5] {
        assert_eq!(marker(l), "<span data-level=\"error\" data-cont>", "{l}");
    }
    assert_eq!(marker(lines[5]), "<span data-level=\"info\">");
    assert_eq!(marker(lines[6]), "<span data-level=\"warn\" data-json>");
    assert!(lines[1].contains("bad &lt;state&gt;"), "still escaped");
    assert!(lines[6].contains("&lt;b&gt;slow&lt;/b&gt;"));

    let text = read_to_close(&mut srv.connect(&log, ""));
    assert_eq!(text.text, TRACE, "text lines are the file's bytes");
}

#[test]
fn an_entry_continues_across_frames_and_a_rotation_starts_afresh() {
    let dir = TempDir::new("levels-live");
    let log = dir.write("app.log", "2026-11-28 10:00:00 ERROR boom\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "format=html&tail=1");
    read_lines(&mut ws, 1);
    dir.append("app.log", "\tat trace.Line(X.java:1)\n");
    let got = read_lines(&mut ws, 1);
    assert!(
        got.text
            .starts_with("<span data-level=\"error\" data-cont></span>"),
        "the header's level, from an earlier frame: {}",
        got.text
    );
    std::fs::rename(&log, dir.path("app.log.1")).unwrap();
    dir.write("app.log", "\tindented first line of a new file\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.text.contains("new file")
    });
    let line = got
        .lines()
        .into_iter()
        .find(|l| l.contains("new file"))
        .unwrap();
    assert!(
        line.starts_with("<span data-cont></span>"),
        "no level carried over from the old file: {line}"
    );
}
