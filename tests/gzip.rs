//! Rotated `.gz` members are read as their decompressed text by every route that reads lines:
//! the lines API (the last lines, `before=`, `from=`, `line=`, `time=`) says `compressed`, the
//! search and the timeline see the text; several members concatenated are read whole; a
//! truncated or corrupt file gives the lines before its damage and says why (the server stays
//! up); the sandbox is unchanged (a `.gz` symlink out of the root is refused); the raw
//! download still gives the compressed bytes.
mod support;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

/// Lines `first..=last`, each stamped a second after the one before.
fn log(first: u64, last: u64) -> String {
    (first..=last)
        .map(|i| {
            let (m, s) = (i / 60 % 60, i % 60);
            format!("2026-11-25T10:{m:02}:{s:02}Z line {i}\n")
        })
        .collect()
}

/// `text` gzipped (by gzip itself) as `name` in `dir`.
fn gz(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let plain = dir.write(name.trim_end_matches(".gz"), text);
    let ok = Command::new("gzip").arg("-nf").arg(&plain).status();
    assert!(ok.expect("gzip runs").success());
    dir.path(name)
}

fn get_json(srv: &Server, target: &str) -> (u16, Value) {
    let (status, body) = srv.get(target);
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn lines(srv: &Server, path: &Path, query: &str) -> Value {
    let target = format!("/_logview/api/lines?path={}&{query}", path.display());
    let (status, v) = get_json(srv, &target);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

fn texts(v: &Value) -> Vec<&str> {
    let all = v["lines"].as_array().expect("lines");
    all.iter().map(|l| l["text"].as_str().unwrap()).collect()
}

fn want(first: u64, last: u64) -> Vec<String> {
    log(first, last).lines().map(str::to_string).collect()
}

#[test]
fn every_anchor_the_search_and_the_timeline_read_the_text() {
    let dir = TempDir::new("gzip-anchors");
    let text = log(1, 5000);
    let member = gz(&dir, "app.log.2.gz", &text);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let len = text.len();
    let last = lines(&srv, &member, &format!("before={len}&lines=1000"));
    assert_eq!(
        (last["compressed"].clone(), last["size"].clone()),
        (true.into(), len.into())
    );
    assert!(last.get("damaged").is_none(), "{last}");
    assert_eq!(texts(&last), want(4001, 5000));
    let first = last["first"].as_u64().unwrap();
    let earlier = lines(&srv, &member, &format!("before={first}&lines=2"));
    assert_eq!(texts(&earlier), want(3999, 4000));
    let from = lines(&srv, &member, "from=0&lines=3");
    assert_eq!(texts(&from), want(1, 3));
    let at = lines(&srv, &member, "time=2026-11-25T10:30:00Z&lines=1");
    assert_eq!(texts(&at), want(1800, 1800));
    // Line numbers once the index has counted the decompressed text.
    let deadline = Instant::now() + Duration::from_secs(20);
    let numbered = loop {
        let v = lines(&srv, &member, "line=2500&lines=2");
        if v["indexed"] == true {
            break v;
        }
        assert!(Instant::now() < deadline, "never indexed: {v}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(texts(&numbered), want(2500, 2501));
    assert_eq!(
        (
            numbered["total"].clone(),
            numbered["lines"][0]["number"].clone()
        ),
        (5000.into(), 2500.into())
    );
    let p = member.display();
    let (status, body) = srv.get(&format!("/_logview/api/search?path={p}&q=line%204321"));
    assert_eq!(status, 200, "{body}");
    let found: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hits: Vec<_> = found.iter().filter(|o| o["type"] == "match").collect();
    assert_eq!(hits.len(), 1, "{body}");
    assert_eq!(hits[0]["text"], want(4321, 4321)[0]);
    let (status, t) = get_json(&srv, &format!("/_logview/api/timeline?path={p}"));
    assert_eq!((status, t["lines"].clone()), (200, 5000.into()), "{t}");
}

#[test]
fn members_concatenated_are_read_whole() {
    let dir = TempDir::new("gzip-members");
    let a = std::fs::read(gz(&dir, "a.gz", &log(1, 300))).unwrap();
    let b = std::fs::read(gz(&dir, "b.gz", &log(301, 700))).unwrap();
    let both = dir.write("app.log.1.gz", [a, b].concat());
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let v = lines(&srv, &both, "from=0&lines=10000");
    assert_eq!(texts(&v), want(1, 700));
    assert!(v.get("damaged").is_none(), "{v}");
}

#[test]
fn damage_gives_the_lines_before_it_and_says_why() {
    let dir = TempDir::new("gzip-damage");
    let whole = std::fs::read(gz(&dir, "whole.gz", &log(1, 20_000))).unwrap();
    let cut = dir.write("app.log.3.gz", &whole[..whole.len() / 2]);
    let mut flipped = whole.clone();
    for i in (whole.len() / 2..whole.len() / 2 + 64).step_by(8) {
        flipped[i] ^= 0x55;
    }
    let corrupt = dir.write("app.log.4.gz", &flipped);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let v = lines(&srv, &cut, "from=0&lines=10000");
    let reason = v["damaged"].as_str().expect("damaged");
    assert!(reason.contains("truncated"), "{reason}");
    let got = texts(&v);
    assert!(
        got.len() > 1000,
        "the lines before the damage: {}",
        got.len()
    );
    let all = want(1, 20_000);
    let whole_lines = &got[..got.len() - 1]; // the last may be cut
    assert_eq!(whole_lines, &all[..whole_lines.len()]);
    let size = v["size"].as_u64().unwrap();
    let end = lines(&srv, &cut, &format!("before={size}&lines=5"));
    assert_eq!(end["damaged"], v["damaged"]);
    let v = lines(&srv, &corrupt, "from=0&lines=100");
    assert!(v["damaged"].is_string(), "{v}");
    assert_eq!(texts(&v), want(1, 100), "the start is intact");
    let p = corrupt.display();
    let (status, body) = srv.get(&format!("/_logview/api/search?path={p}&q=line&limit=1"));
    assert_eq!(status, 200);
    let done: Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["damaged"][0]["path"], p.to_string(), "{done}");
    assert!(done["damaged"][0]["reason"].is_string(), "{done}");
    let (status, t) = get_json(
        &srv,
        &format!("/_logview/api/timeline?path={}", cut.display()),
    );
    assert_eq!(status, 200);
    assert!(
        t["damaged"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{t}"
    );
    let (status, intact) = get_json(
        &srv,
        &format!(
            "/_logview/api/timeline?path={}",
            dir.path("whole.gz").display()
        ),
    );
    assert_eq!(status, 200, "{intact}");
    assert!(intact.get("damaged").is_none(), "{intact}");
    let (status, _) = srv.get("/_logview/api/status");
    assert_eq!(status, 200, "still up");
}

#[test]
fn the_sandbox_is_unchanged_and_raw_gives_the_compressed_bytes() {
    let dir = TempDir::new("gzip-sandbox");
    std::fs::create_dir_all(dir.path("root")).unwrap();
    let secret = gz(&dir, "secret.log.1.gz", "secret line\n");
    let link = dir.path("root/app.log.1.gz");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let member = gz(&dir, "root/app.log.2.gz", &log(1, 100));
    let srv = Server::start(&[dir.path("root").to_str().unwrap()]);
    let target = format!("/_logview/api/lines?path={}&from=0", link.display());
    let (status, body) = srv.get(&target);
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("secret line"));
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "GET /_logview/raw{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        encode_path(&member),
        srv.addr
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .expect("the download within 10 s");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    assert_eq!(
        answer[split + 4..],
        std::fs::read(&member).unwrap()[..],
        "compressed bytes"
    );
}
