//! Merged views (`ws://HOST/_logview/merge?path=A&path=B`): history in time order, every line
//! tagged with its file's name, live lines from every file, directories that gain files, a
//! member's rotation, per-file resume across a restart, and refusals for a bad path among many.
mod support;
use std::path::Path;
use std::time::Duration;
use support::*;

fn merge_url(srv: &Server, paths: &[&Path], query: &str) -> String {
    let mut url = format!("ws://{}/_logview/merge?{query}", srv.addr);
    for p in paths {
        let p = url::form_urlencoded::byte_serialize(p.to_str().unwrap().as_bytes());
        url.push_str(&format!("&path={}", p.collect::<String>()));
    }
    url
}

fn connect(srv: &Server, paths: &[&Path], query: &str) -> Ws {
    let (ws, _) = tungstenite::connect(merge_url(srv, paths, query)).expect("handshake");
    set_timeout(&ws, Duration::from_secs(10));
    ws
}

fn status(srv: &Server, paths: &[&Path], query: &str) -> u16 {
    match tungstenite::connect(merge_url(srv, paths, query)) {
        Ok(_) => 101,
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected handshake error {e}"),
    }
}

fn mkdirs(dir: &TempDir, names: &[&str]) {
    for n in names {
        std::fs::create_dir_all(dir.path(n)).unwrap();
    }
}

fn until_live(r: &Received) -> bool {
    r.event_names().iter().any(|e| e == "live")
}

fn last_pos(r: &Received) -> String {
    let pos = r.events.iter().rev().find_map(|e| e["pos"].as_str());
    pos.expect("a position").to_string()
}

#[test]
fn history_is_merged_in_time_order_and_tagged_with_names() {
    let dir = TempDir::new("merge-order");
    let a = dir.write(
        "a.log",
        "2026-11-28T10:00:01Z a1\n  a1 trace\n2026-11-28T10:00:04Z a4\n",
    );
    let b = dir.write(
        "b.log",
        "2026-11-28T10:00:02Z b2\n2026-11-28T10:00:03Z b3\n2026-11-28T10:00:05Z b5\n",
    );
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut connect(&srv, &[&a, &b], "lines=5"));
    assert_eq!(
        got.lines(),
        [
            "a.log:   a1 trace",
            "b.log: 2026-11-28T10:00:02Z b2",
            "b.log: 2026-11-28T10:00:03Z b3",
            "a.log: 2026-11-28T10:00:04Z a4",
            "b.log: 2026-11-28T10:00:05Z b5",
        ],
        "the last 5 of both files, by time; the trace stays behind its stamped line"
    );
    assert_eq!(got.close.unwrap().1, "end of history");
}

#[test]
fn colliding_names_grow_a_parent_and_html_tags_are_escaped() {
    let dir = TempDir::new("merge-names");
    mkdirs(&dir, &["x", "y"]);
    let x = dir.write("x/app.log", "2026-11-28T10:00:01Z from x\n");
    let y = dir.write("y/app.log", "2026-11-28T10:00:02Z from y\n");
    let odd = dir.write("<b>.log", "2026-11-28T10:00:03Z <i>odd</i>\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut connect(&srv, &[&x, &y], ""));
    assert_eq!(
        got.lines(),
        [
            "x/app.log: 2026-11-28T10:00:01Z from x",
            "y/app.log: 2026-11-28T10:00:02Z from y"
        ]
    );
    let got = read_to_close(&mut connect(&srv, &[&odd, &x], "format=html"));
    assert_eq!(
        got.lines()[1],
        "<span class=\"src\">&lt;b&gt;.log: </span><span data-time=\"1795860003000\"></span>\
         2026-11-28T10:00:03Z &lt;i&gt;odd&lt;/i&gt;"
    );
}

#[test]
fn files_without_stamps_go_by_modification_order() {
    let dir = TempDir::new("merge-mtime");
    let old = dir.write("old.log", "o1\no2\n");
    std::thread::sleep(Duration::from_millis(50));
    let new = dir.write("new.log", "n1\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let got = read_to_close(&mut connect(&srv, &[&new, &old], ""));
    assert_eq!(got.lines(), ["old.log: o1", "old.log: o2", "new.log: n1"]);
}

#[test]
fn live_lines_come_from_every_file_with_meta_events() {
    let dir = TempDir::new("merge-live");
    let a = dir.write("a.log", "a old\n");
    let b = dir.write("b.log", "");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = connect(&srv, &[&a, &b], "tail=1&meta=1");
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.text, "a.log: a old\n");
    let history = &got.events[0];
    assert_eq!(history["event"], "history");
    assert_eq!(history["files"][1]["name"], "b.log");
    assert_eq!(history["files"][1]["path"], b.to_str().unwrap());
    assert!(
        history.get("offset").is_none(),
        "a merged view has no offset"
    );
    dir.append("b.log", "b new\n");
    dir.append("a.log", "a new\n");
    let got = read_lines(&mut ws, 2);
    let mut lines = got.lines();
    lines.sort();
    assert_eq!(lines, ["a.log: a new", "b.log: b new"]);
}

#[test]
fn a_directory_brings_its_plain_logs_and_the_files_it_gains() {
    let dir = TempDir::new("merge-dir");
    mkdirs(&dir, &["logs"]);
    dir.write("logs/app.log", "2026-11-28T10:00:01Z app\n");
    dir.write("logs/app.log.1", "rotated, not listed\n");
    dir.write("logs/app.log.2.gz", "compressed, not listed\n");
    dir.write("logs/.hidden", "hidden\n");
    let logs = dir.path("logs");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = connect(&srv, &[&logs], "tail=1&meta=1");
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    assert_eq!(got.text, "app.log: 2026-11-28T10:00:01Z app\n");
    dir.write("logs/new.log", "first\nsecond\n");
    let got = read_lines(&mut ws, 2);
    assert_eq!(got.lines(), ["new.log: first", "new.log: second"]);
    let added = got.events.iter().find(|e| e["event"] == "added");
    let added = added.expect("an added event");
    assert_eq!(added["file"]["name"], "new.log");
}

#[test]
fn one_member_rotating_continues_with_its_new_file() {
    let dir = TempDir::new("merge-rotate");
    let a = dir.write("a.log", "a1\n");
    let b = dir.write("b.log", "b1\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = connect(&srv, &[&a, &b], "tail=1&meta=1");
    read_until(&mut ws, Duration::from_secs(10), until_live);
    std::fs::rename(&a, dir.path("a.log.1")).unwrap();
    dir.append("a.log.1", "a2 late write\n");
    dir.write("a.log", "a3 new file\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.text.contains("a3 new file")
    });
    assert_eq!(got.lines(), ["a.log: a2 late write", "a.log: a3 new file"]);
    let rotated = got.events.iter().find(|e| e["event"] == "rotated");
    assert_eq!(rotated.expect("rotated")["file"]["name"], "a.log");
}

#[test]
fn resume_is_per_file_and_survives_a_restart() {
    let dir = TempDir::new("merge-resume");
    let a = dir.write("a.log", "a1\n");
    let b = dir.write("b.log", "b1\n");
    let root = dir.0.to_str().unwrap().to_string();
    let srv = Server::start(&[&root]);
    let mut ws = connect(&srv, &[&a, &b], "tail=1&meta=1");
    let got = read_until(&mut ws, Duration::from_secs(10), until_live);
    let pos = last_pos(&got);
    drop(ws);
    drop(srv);
    dir.append("a.log", "a2 while away\n");
    dir.append("b.log", "b2 while away\nb3 while away\n");
    let srv = Server::start(&[&root]);
    let mut ws = connect(&srv, &[&a, &b], &format!("tail=1&meta=1&resume={pos}"));
    let got = read_lines(&mut ws, 3);
    assert_eq!(got.event_names()[0], "resumed");
    let mut lines = got.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "a.log: a2 while away",
            "b.log: b2 while away",
            "b.log: b3 while away"
        ],
        "nothing lost, nothing repeated"
    );

    // A token that matches one file only: the other gets its history (gap).
    let pos = last_pos(&got);
    let one = pos.split('~').next().unwrap();
    let mut ws = connect(&srv, &[&a, &b], &format!("meta=1&resume={one}"));
    let got = read_to_close(&mut ws);
    assert_eq!(got.event_names()[..2], ["gap", "history"]);
    assert_eq!(
        got.text,
        "b.log: b1\nb.log: b2 while away\nb.log: b3 while away\n"
    );
}

#[test]
fn a_refused_path_refuses_the_whole_view() {
    let dir = TempDir::new("merge-refuse");
    let a = dir.write("a.log", "a\n");
    let outside = TempDir::new("merge-outside");
    let secret = outside.write("secret.log", "secret\n");
    std::os::unix::fs::symlink(&secret, dir.path("link.log")).unwrap();
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    assert_eq!(status(&srv, &[&a, &secret], ""), 403);
    assert_eq!(status(&srv, &[&a, &dir.path("link.log")], ""), 403);
    assert_eq!(status(&srv, &[&a, &dir.path("missing.log")], ""), 404);
    let traversal = format!("{}/../{}", dir.0.display(), "x");
    assert_eq!(status(&srv, &[&a, Path::new(&traversal)], ""), 403);
    assert_eq!(status(&srv, &[], ""), 400, "no path");
    assert_eq!(status(&srv, &[&a], "resume=zzz"), 400);
    srv.wait_log("merge", Duration::from_secs(5));
}

#[test]
fn at_most_64_files() {
    let dir = TempDir::new("merge-limit");
    mkdirs(&dir, &["many"]);
    for i in 0..65 {
        dir.write(&format!("many/f{i:02}.log"), "x\n");
    }
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    assert_eq!(status(&srv, &[&dir.path("many")], ""), 400);
    std::fs::remove_file(dir.path("many/f64.log")).unwrap();
    let got = read_to_close(&mut connect(&srv, &[&dir.path("many")], ""));
    assert_eq!(got.lines().len(), 64);
}

#[test]
fn auth_and_base_path_hold_on_the_merge_route() {
    let dir = TempDir::new("merge-auth");
    let a = dir.write("a.log", "a\n");
    let users = dir.write("users", hash_line("ops", "pw") + "\n");
    let srv = Server::start(&[
        "--auth-file",
        users.to_str().unwrap(),
        "--base-path",
        "/logs",
        dir.0.to_str().unwrap(),
    ]);
    let target = |base: &str| {
        let p = url::form_urlencoded::byte_serialize(a.to_str().unwrap().as_bytes());
        format!("{base}/_logview/merge?path={}", p.collect::<String>())
    };
    let head = srv.upgrade_head(&target("/logs"), "");
    assert!(srv.raw(head.as_bytes()).starts_with("HTTP/1.1 401"));
    let head = srv.upgrade_head(&target(""), "Authorization: Basic b3BzOnB3\r\n");
    assert!(srv.raw(head.as_bytes()).starts_with("HTTP/1.1 404"));
    let head = srv.upgrade_head(&target("/logs"), "Authorization: Basic b3BzOnB3\r\n");
    assert!(srv.raw(head.as_bytes()).starts_with("HTTP/1.1 101"));
}
