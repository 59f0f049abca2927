//! The resume protocol (`meta=1`): positions after each frame, `live` after history, and
//! `resume=POS` continuing exactly after the last line a client saw, also across a server
//! restart; a rotated file gives `gap` and a fresh history instead.
mod support;
use std::time::Duration;
use support::*;

fn last_pos(r: &Received) -> String {
    r.events
        .iter()
        .rev()
        .find_map(|e| e["pos"].as_str())
        .expect("a position")
        .to_string()
}

fn until_live(r: &Received) -> bool {
    r.event_names().iter().any(|e| e == "live")
}

#[test]
fn positions_follow_frames_and_live_ends_history() {
    let dir = TempDir::new("meta");
    let log = dir.write("a.log", "1\n2\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.text, "1\n2\n");
    assert_eq!(got.event_names(), ["history", "pos", "live"]);
    assert_eq!(
        got.events[0]["offset"], 0,
        "where the history's first line starts"
    );
    dir.append("a.log", "3\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| !r.events.is_empty());
    assert_eq!(
        (got.text.as_str(), got.event_names()),
        ("3\n", vec!["pos".to_string()])
    );

    let plain = read_to_close(&mut srv.connect(&log, ""));
    assert!(
        plain.events.is_empty(),
        "without meta=1 only text frames are sent"
    );
}

#[test]
fn resume_continues_after_the_last_line_even_across_a_restart() {
    let dir = TempDir::new("resume");
    let log = dir.write("a.log", "1\n2\n");
    let root = dir.0.to_str().unwrap().to_string();
    let srv = Server::start(&[&root]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let pos = last_pos(&read_until(&mut ws, Duration::from_secs(10), until_live));
    drop(ws);
    drop(srv);
    dir.append("a.log", "3 while away\n4 while away\n");
    let srv = Server::start(&[&root]);
    let mut ws = srv.connect(&log, &format!("tail=1&meta=1&resume={pos}"));
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.event_names()[0], "resumed");
    assert_eq!(
        got.text, "3 while away\n4 while away\n",
        "nothing repeated, nothing lost"
    );
}

#[test]
fn resume_after_rotation_reports_a_gap_and_sends_history() {
    let dir = TempDir::new("gap");
    let log = dir.write("a.log", "old 1\nold 2\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let pos = last_pos(&read_until(&mut ws, Duration::from_secs(10), until_live));
    drop(ws);
    std::fs::rename(&log, dir.path("a.log.1")).unwrap();
    dir.write("a.log", "new 1\n");
    let mut ws = srv.connect(&log, &format!("tail=1&meta=1&lines=10&resume={pos}"));
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.event_names()[0], "gap");
    assert_eq!(got.text, "new 1\n");
}

#[test]
fn rotation_and_truncation_are_announced() {
    let dir = TempDir::new("announce");
    let log = dir.write("a.log", "a\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    read_until(&mut ws, Duration::from_secs(10), until_live);
    std::fs::rename(&log, dir.path("a.log.1")).unwrap();
    dir.write("a.log", "b\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| r.text.contains("b\n"));
    assert!(
        got.event_names().contains(&"rotated".into()),
        "{:?}",
        got.events
    );
    std::fs::write(&log, "").unwrap();
    dir.append("a.log", "c\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| r.text.contains("c\n"));
    assert!(
        got.event_names().contains(&"truncated".into()),
        "{:?}",
        got.events
    );
}

#[test]
fn resume_on_the_same_file_rewritten_in_place_is_a_gap_with_the_new_history() {
    use std::os::unix::fs::{FileExt, MetadataExt};
    let dir = TempDir::new("rewrite");
    let log = dir.write("a.log", "old 1\nold 2\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let pos = last_pos(&read_until(&mut ws, Duration::from_secs(10), until_live));
    drop(ws);
    let inode = std::fs::metadata(&log).unwrap().ino();
    // Same inode, same length, other bytes before the position.
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.write_all_at(b"new 1\nnew 2\n", 0).unwrap();
    drop(f);
    assert_eq!(std::fs::metadata(&log).unwrap().ino(), inode);
    let mut ws = srv.connect(&log, &format!("tail=1&meta=1&lines=10&resume={pos}"));
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(
        got.event_names()[0],
        "gap",
        "the bytes before the position changed: {:?}",
        got.events
    );
    assert_eq!(got.text, "new 1\nnew 2\n", "the new content's history");
}

#[test]
fn resume_at_the_very_end_sends_nothing_again() {
    let dir = TempDir::new("resume-end");
    // Longer than the 64 bytes a position's hash covers, read in one piece.
    let lines: String = (0..100).map(|i| format!("line {i}\n")).collect();
    let log = dir.write("a.log", &lines);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let pos = last_pos(&read_until(&mut ws, Duration::from_secs(10), until_live));
    drop(ws);
    let mut ws = srv.connect(&log, &format!("tail=1&meta=1&resume={pos}"));
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.event_names(), ["resumed", "live"]);
    assert_eq!(got.text, "", "nothing the client already has is sent again");
}

#[test]
fn resume_into_another_file_with_the_same_beginning_is_a_gap() {
    let dir = TempDir::new("resume-copy");
    let log = dir.write("a.log", "1\n2\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1");
    let pos = last_pos(&read_until(&mut ws, Duration::from_secs(10), until_live));
    drop(ws);
    // A new file (another inode) that starts with the very same bytes: not the file the
    // position was taken in, so its first lines must not be skipped.
    dir.write("new", "1\n2\n3\n");
    std::fs::rename(dir.path("new"), &log).unwrap();
    let mut ws = srv.connect(&log, &format!("tail=1&meta=1&resume={pos}"));
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.event_names()[0], "gap");
    assert_eq!(got.text, "1\n2\n3\n");
}

#[test]
fn history_says_where_it_starts_and_a_half_written_line_arrives_whole() {
    let dir = TempDir::new("history-start");
    let log = dir.write("a.log", "one\ntwo\nthree\nhalf-");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1&meta=1&lines=2");
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.events[0]["event"], "history");
    assert_eq!(got.events[0]["offset"], 4, "the history starts at \"two\"");
    assert_eq!(
        got.text, "two\nthree\n",
        "the unfinished line is held while following"
    );
    dir.append("a.log", "written\n");
    assert_eq!(read_lines(&mut ws, 1).text, "half-written\n");
    // A one-shot history still ends with it, completed.
    let once = read_to_close(&mut srv.connect(&log, "lines=1"));
    assert_eq!(once.text, "half-written\n");
    dir.append("a.log", "tail");
    let once = read_to_close(&mut srv.connect(&log, "lines=1"));
    assert_eq!(once.text, "tail\n");
}
