//! Downloads: `GET /_logview/raw/<path>` sends the file as it is, as an attachment, with
//! single-range requests (206/416) and HEAD, through the same sandbox, auth and base path.
mod support;
use std::io::{Read, Write};
use support::*;

/// The head (as text) and the body (as bytes) of a raw request, until the server closes.
fn fetch(srv: &Server, method: &str, target: &str, extra: &str) -> (String, Vec<u8>) {
    fetch_slowly(srv, method, target, extra, std::time::Duration::ZERO)
}

/// As [`fetch`], starting to read only after `pause` (so the server meets a full socket).
fn fetch_slowly(
    srv: &Server,
    method: &str,
    target: &str,
    extra: &str,
    pause: std::time::Duration,
) -> (String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n{extra}\r\n",
        srv.addr
    );
    s.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(pause);
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let body = all.split_off(split + 4);
    (String::from_utf8_lossy(&all).into_owned(), body)
}

fn raw_target(path: &std::path::Path) -> String {
    format!("/_logview/raw{}", encode_path(path))
}

#[test]
fn the_whole_file_is_an_attachment_with_its_length() {
    let dir = TempDir::new("raw-whole");
    let content: Vec<u8> = (0..4_000_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let log = dir.write("big \"odd\".log", &content);
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    // 16 MB read only after a pause: the server meets a full socket and must resume exactly.
    let pause = std::time::Duration::from_millis(300);
    let (head, body) = fetch_slowly(&srv, "GET", &raw_target(&log), "", pause);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 16000000\r\n"), "{head}");
    assert!(head.contains("Accept-Ranges: bytes\r\n"), "{head}");
    assert!(
        head.contains("Content-Disposition: attachment; filename=\"big _odd_.log\"; filename*=UTF-8''big%20%22odd%22%2Elog\r\n"),
        "{head}"
    );
    assert!(body == content, "the body is the file, byte for byte");
    let (head, body) = fetch(&srv, "HEAD", &raw_target(&log), "");
    assert!(head.contains("Content-Length: 16000000\r\n"), "{head}");
    assert!(body.is_empty(), "HEAD sends no body");
}

#[test]
fn ranges_resume_a_download() {
    let dir = TempDir::new("raw-range");
    let log = dir.write("a.log", "0123456789");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let t = raw_target(&log);
    let (head, body) = fetch(&srv, "GET", &t, "Range: bytes=4-\r\n");
    assert!(
        head.starts_with("HTTP/1.1 206 Partial Content\r\n"),
        "{head}"
    );
    assert!(head.contains("Content-Range: bytes 4-9/10\r\n"), "{head}");
    assert_eq!(body, b"456789");
    let (_, body) = fetch(&srv, "GET", &t, "Range: bytes=2-3\r\n");
    assert_eq!(body, b"23");
    let (_, body) = fetch(&srv, "GET", &t, "Range: bytes=-3\r\n");
    assert_eq!(body, b"789");
    let (head, body) = fetch(&srv, "GET", &t, "Range: bytes=10-\r\n");
    assert!(
        head.starts_with("HTTP/1.1 416 Range Not Satisfiable\r\n"),
        "{head}"
    );
    assert!(head.contains("Content-Range: bytes */10\r\n"), "{head}");
    assert!(body.is_empty());
    let (head, body) = fetch(&srv, "GET", &t, "Range: bytes=0-1,4-5\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n"),
        "several ranges: the whole file"
    );
    assert_eq!(body, b"0123456789");
}

#[test]
fn downloads_obey_the_sandbox_auth_and_base_path() {
    let dir = TempDir::new("raw-guard");
    std::fs::create_dir(dir.path("root")).unwrap();
    let log = dir.write("root/a.log", "inside\n");
    let secret = dir.write("secret", "SECRET\n");
    std::os::unix::fs::symlink(&secret, dir.path("root/link")).unwrap();
    let root = dir.path("root");
    let srv = Server::start(&["--base-path", "/logs", root.to_str().unwrap()]);
    let base = |p: &std::path::Path| format!("/logs{}", raw_target(p));
    let (head, body) = fetch(&srv, "GET", &base(&log), "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"inside\n");
    for outside in [
        base(&secret),
        base(&dir.path("root/link")),
        raw_target(&log),
    ] {
        let (head, body) = fetch(&srv, "GET", &outside, "");
        assert!(
            head.starts_with("HTTP/1.1 403") || head.starts_with("HTTP/1.1 404"),
            "{outside}: {head}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("SECRET"));
    }
    let traversal = format!("/logs/_logview/raw{}/%2e%2e/secret", encode_path(&root));
    assert!(
        fetch(&srv, "GET", &traversal, "")
            .0
            .starts_with("HTTP/1.1 403")
    );
    let (head, _) = fetch(&srv, "POST", &base(&log), "");
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");

    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let authed = Server::start(&[
        "--auth-file",
        users.to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    let (head, body) = fetch(&authed, "GET", &raw_target(&log), "");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(!String::from_utf8_lossy(&body).contains("inside"));
    let basic = format!(
        "Authorization: Basic {}\r\n",
        basic_token("alice", "pass-word-1")
    );
    let (head, body) = fetch(&authed, "GET", &raw_target(&log), &basic);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"inside\n");
}

fn basic_token(user: &str, password: &str) -> String {
    data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes())
}
