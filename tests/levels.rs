//! Levels, entries and JSON lines on the wire: `format=html` lines start with their entry
//! marker (level, continuation, JSON, the stamp's moment), carried across frames and reset by
//! a rotation; `format=text` stays the file's bytes.
mod support;
use std::time::Duration;
use support::*;

/// A server whose zone is two hours east of UTC.
fn server_two_hours_east(dir: &TempDir) -> Server {
    Server::start_in_zone("XXX-2", &dir.0)
}

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
    let srv = server_two_hours_east(&dir);
    let got = read_to_close(&mut srv.connect(&log, "format=html"));
    let lines = got.lines();
    let marker = |l: &str| l.split("</span>").next().unwrap().to_string();
    // 10:00:00 on the server's clock is 08:00:00 UTC; the JSON line's stamp has its zone.
    assert_eq!(
        marker(lines[0]),
        "<span data-level=\"error\" data-time=\"1795852800000\">"
    );
    for l in &lines[1..5] {
        assert_eq!(marker(l), "<span data-level=\"error\" data-cont>", "{l}");
    }
    assert_eq!(
        marker(lines[5]),
        "<span data-level=\"info\" data-time=\"1795852801000\">"
    );
    assert_eq!(
        marker(lines[6]),
        "<span data-level=\"warn\" data-json data-time=\"1795860002000\">"
    );
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

#[test]
fn html_lines_tell_their_stamps_moment_read_in_the_server_zone() {
    let dir = TempDir::new("levels-time");
    let log = dir.write("app.log", "no stamp yet\n");
    let srv = server_two_hours_east(&dir);
    let mut ws = srv.connect(&log, "format=html&tail=1");
    let first = read_lines(&mut ws, 1);
    assert!(first.text.starts_with("no stamp yet"), "{}", first.text);
    // Live lines: a syslog stamp has no year (the latest that is not after now), and the
    // other forms as the lines API's `time` reads them.
    dir.append(
        "app.log",
        "Nov 28 03:14:05 host app[1]: syslog\n\
         [28/Nov/2026:03:14:00 +0000] access\n\
         {\"ts\":1795860010,\"msg\":\"epoch seconds\"}\n\
         plain again\n",
    );
    let got = read_lines(&mut ws, 4);
    let times: Vec<Option<i64>> = got
        .lines()
        .iter()
        .map(|l| {
            let t = l.split("data-time=\"").nth(1)?;
            t.split('"').next()?.parse().ok()
        })
        .collect();
    let syslog = times[0].expect("syslog stamp told");
    let day_ms = 86_400_000;
    assert_eq!(
        syslog.rem_euclid(day_ms),
        (3600 + 14 * 60 + 5) * 1000,
        "03:14:05 on the server's clock is 01:14:05 UTC"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(syslog <= now_ms + day_ms && syslog > now_ms - 366 * day_ms);
    assert_eq!(times[1], Some(1_795_835_640_000), "its own zone");
    assert_eq!(times[2], Some(1_795_860_010_000), "epoch seconds");
    assert_eq!(times[3], None, "a line without a stamp tells none");
    assert!(
        got.lines()[3].starts_with("<span data-cont></span>plain"),
        "it continues the stamped entry before: {}",
        got.text
    );
}
