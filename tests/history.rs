//! History: the last N lines, as exact text or as escaped, coloured HTML, then a normal close.
mod support;
use support::*;

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn sends_the_last_n_lines_then_closes_normally() {
    let dir = TempDir::new("hist");
    let log = dir.write("app.log", numbered(5000));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);

    let got = read_to_close(&mut srv.connect(&log, "lines=3"));
    assert_eq!(got.lines(), ["line 4998", "line 4999", "line 5000"]);
    assert_eq!(got.close, Some((1000, "end of history".into())));

    let got = read_to_close(&mut srv.connect(&log, ""));
    assert_eq!(got.lines().len(), 1000, "default --lines");
    assert_eq!(got.lines()[0], "line 4001");

    let got = read_to_close(&mut srv.connect(&log, "lines=0"));
    assert_eq!(got.text, "");

    let got = read_to_close(&mut srv.connect(&log, "lines=100000"));
    assert_eq!(
        got.text,
        numbered(5000),
        "more lines than the file: the whole file, byte-exact"
    );
}

#[test]
fn lines_option_sets_the_default() {
    let dir = TempDir::new("hist-n");
    let log = dir.write("a.log", numbered(50));
    let srv = Server::start(&["-n", "2", dir.0.to_str().unwrap()]);
    assert_eq!(
        read_to_close(&mut srv.connect(&log, "")).lines(),
        ["line 49", "line 50"]
    );
}

#[test]
fn final_line_without_newline_gets_one_in_history() {
    let dir = TempDir::new("hist-partial");
    let log = dir.write("a.log", "one\ntwo");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    assert_eq!(read_to_close(&mut srv.connect(&log, "")).text, "one\ntwo\n");
}

#[test]
fn text_is_byte_exact_and_invalid_utf8_is_replaced() {
    let dir = TempDir::new("hist-bytes");
    let log = dir.write(
        "a.log",
        b"\x1b[31mred\x1b[0m <b>&</b>\r\nbad \xff\xfe\ttab\n\x00nul\n",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "format=text"));
    assert_eq!(
        got.text,
        "\x1b[31mred\x1b[0m <b>&</b>\r\nbad \u{fffd}\u{fffd}\ttab\n\u{0}nul\n"
    );
}

#[test]
fn html_escapes_markup_and_converts_colours() {
    let dir = TempDir::new("hist-html");
    let log = dir.write(
        "a.log",
        "<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n\x1b[1;31mbold red\nstill red\x1b[0m\nplain \x1b[2Kx\x07y\n",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "format=html"));
    let lines = got.lines();
    assert_eq!(lines[0], "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_eq!(lines[1], "&lt;img src=x onerror=alert(2)&gt;");
    assert!(
        lines[2].contains("<span") && lines[2].contains("bold red"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3], "<b><span style='color:var(--lv-red,#a00)'>still red</span></b>",
        "colour carries over"
    );
    assert_eq!(
        lines[4], "plain xy",
        "non-SGR escapes and controls are removed"
    );
}

#[test]
fn huge_lines_are_cut_to_the_bound() {
    let dir = TempDir::new("hist-huge");
    let mut content = vec![b'x'; 3 << 20];
    content.extend_from_slice(b"\nafter\n");
    let log = dir.write("a.log", content);
    let srv = Server::start(&["--max-line-bytes", "65536", dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, ""));
    let lines = got.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].len(), 65536);
    assert_eq!(lines[1], "after");
}

#[test]
fn frames_are_bounded_and_hold_complete_lines() {
    let dir = TempDir::new("hist-frames");
    let log = dir.write("a.log", numbered(200_000));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "lines=200000"));
    assert_eq!(got.lines().len(), 200_000);
    assert!(
        got.frames > 10,
        "history is batched into several frames, got {}",
        got.frames
    );
    assert!(got.text.len() / got.frames < 200 * 1024);
}

#[test]
fn history_of_a_growing_file_still_ends() {
    let dir = TempDir::new("hist-growing");
    let log = dir.write("a.log", numbered(1000));
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, path) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(numbered(1000).as_bytes()).unwrap();
            }
        })
    };
    let got = read_to_close(&mut srv.connect(&log, "lines=1000000"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(got.close, Some((1000, "end of history".into())));
    assert!(got.lines().len() >= 1000);
}

#[test]
fn a_line_cut_at_the_default_bound_still_arrives_in_both_formats() {
    let dir = TempDir::new("hist-bigline");
    let mut content = b"before\n".to_vec();
    content.extend(std::iter::repeat_n(b'"', 2_000_000));
    content.extend_from_slice(b"\nafter\n");
    let log = dir.write("a.log", content);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let text = read_to_close(&mut srv.connect(&log, ""));
    assert_eq!(text.close, Some((1000, "end of history".into())));
    assert_eq!(
        text.lines().iter().map(|l| l.len()).collect::<Vec<_>>(),
        [6, 1 << 20, 5]
    );
    let html = read_to_close(&mut srv.connect(&log, "format=html"));
    assert_eq!(html.close, Some((1000, "end of history".into())));
    assert_eq!(
        html.lines()[1].len(),
        6 << 20,
        "every quote escaped as &quot;"
    );
}

#[test]
fn a_history_of_several_mebibytes_is_sent_whole() {
    // Long enough that the backward scan checks on its client along the way (every 1 MiB).
    let dir = TempDir::new("hist-long");
    let body: String = (0..40_000)
        .map(|i| format!("{i:06} {}\n", "z".repeat(90)))
        .collect();
    let log = dir.write("a.log", &body);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut srv.connect(&log, "lines=40000"));
    assert_eq!(got.text.len(), body.len());
    assert!(got.text == body, "every line, in order");
}
