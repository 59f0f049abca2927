//! The sandbox and every refusal: traversal in each encoding, symlinks out of the roots,
//! FIFOs and devices, missing files, bad requests, methods, Origin, Host and client limits.
//! Each refusal is an HTTP status before any upgrade, and no byte outside the roots leaks.
mod support;
use std::process::Command;
use support::*;

const SECRET: &str = "TOP-SECRET-CONTENT";

fn setup() -> (TempDir, Server) {
    let dir = TempDir::new("refuse");
    std::fs::create_dir_all(dir.path("root/sub")).unwrap();
    std::fs::create_dir_all(dir.path("rootx")).unwrap();
    dir.write("secret", SECRET);
    dir.write("rootx/secret", SECRET);
    dir.write("root/ok.log", "visible\n");
    std::os::unix::fs::symlink(dir.path("secret"), dir.path("root/link-out")).unwrap();
    std::os::unix::fs::symlink(&dir.0, dir.path("root/sub/up")).unwrap();
    std::os::unix::fs::symlink(dir.path("root/ok.log"), dir.path("root/link-in")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path("root/zero")).unwrap();
    let fifo = dir.path("root/fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let srv = Server::start(&[dir.path("root").to_str().unwrap()]);
    (dir, srv)
}

fn ws_request(srv: &Server, target: &str, extra: &str) -> (u16, String) {
    let resp = srv.raw(srv.upgrade_head(target, extra).as_bytes());
    assert!(
        !resp.contains(SECRET),
        "leaked a secret for {target}: {resp}"
    );
    parse_response(&resp)
}

#[test]
fn traversal_in_every_encoding_is_refused() {
    let (dir, srv) = setup();
    let root = dir.path("root");
    let r = root.to_str().unwrap();
    let d = dir.0.to_str().unwrap();
    let cases = [
        (format!("{r}/../secret"), 403),
        (format!("{r}/%2e%2e/secret"), 403),
        (format!("{r}/%2E%2E/secret"), 403),
        (format!("{r}/.%2e/secret"), 403),
        (format!("{r}/sub/../../secret"), 403),
        (format!("{r}/..%2fsecret"), 400),
        (format!("{r}/..%2Fsecret"), 400),
        // `\` is an ordinary name character on Unix: `..\secret` is one (missing) name.
        (format!("{r}/..%5csecret"), 404),
        (format!("{r}/%252e%252e/secret"), 404),
        (format!("{r}/ok.log%00"), 400),
        (format!("{r}/%zz"), 400),
        (format!("{r}//..//secret"), 403),
        (format!("{d}/secret"), 403),
        (format!("{d}/rootx/secret"), 403),
        ("/etc/passwd".to_string(), 403),
        (format!("{r}/link-out"), 403),
        (format!("{r}/sub/up/secret"), 403),
        (format!("{r}/fifo"), 403),
        (format!("{r}/zero"), 403),
        (format!("{r}/nope.log"), 404),
        (format!("{r}/sub"), 403), // a directory is not a file to stream
        ("relative/path".to_string(), 400),
    ];
    for (target, want) in &cases {
        let (status, body) = ws_request(&srv, target, "");
        assert_eq!(status, *want, "{target}: {body}");
        assert!(!body.is_empty(), "a refusal has a reason");
        assert!(
            !body.contains(target.as_str()),
            "the body does not echo the request"
        );
        if !target.ends_with("/sub") {
            assert_eq!(srv.get(target).0, *want, "plain GET {target}");
        }
    }
    assert_eq!(ws_request(&srv, &format!("{r}/link-in?tail=0"), "").0, 101);
    assert_eq!(ws_request(&srv, &format!("{r}/ok.log"), "").0, 101);
    assert_eq!(
        srv.get(&format!("{r}/sub")).0,
        200,
        "directories open the page"
    );
}

#[test]
fn devices_are_refused_even_inside_a_root() {
    let srv = Server::start(&["/dev"]);
    assert_eq!(
        srv.handshake_status(std::path::Path::new("/dev/null"), "", None),
        403
    );
    assert_eq!(
        srv.handshake_status(std::path::Path::new("/dev/zero"), "", None),
        403
    );
}

#[test]
fn malformed_requests_and_queries_get_400() {
    let (dir, srv) = setup();
    let log = dir.path("root/ok.log");
    for q in [
        "lines=abc",
        "lines=-1",
        "format=xml",
        "tail=maybe",
        "resume=zzz",
    ] {
        assert_eq!(srv.handshake_status(&log, q, None), 400, "{q}");
    }
    let target = encode_path(&log);
    let upgrade = |key: &str, version: &str| {
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n",
            srv.addr
        );
        parse_response(&srv.raw(req.as_bytes())).0
    };
    assert_eq!(upgrade("dGhlIHNhbXBsZSBub25jZQ==", "13"), 101);
    assert_eq!(
        upgrade("dGhlIHNhbXBsZSBub25jZQ==", "8"),
        400,
        "unsupported version"
    );
    assert_eq!(upgrade("short", "13"), 400, "bad key");
}

#[test]
fn only_get_is_served() {
    // (HEAD is also served for downloads: tests/raw.rs.)
    let (_dir, srv) = setup();
    for m in ["POST", "HEAD", "PUT", "DELETE", "OPTIONS"] {
        let resp = srv.raw(
            format!(
                "{m} / HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
                srv.addr
            )
            .as_bytes(),
        );
        assert!(resp.starts_with("HTTP/1.1 405"), "{m}: {resp}");
        assert!(resp.contains("Allow: GET"), "{m}");
    }
    srv.wait_log(
        "405 method not allowed: only GET is served (method \"DELETE\")",
        std::time::Duration::from_secs(5),
    );
}

#[test]
fn cross_site_origins_are_refused() {
    let (dir, srv) = setup();
    let log = dir.path("root/ok.log");
    let own = format!("http://{}", srv.addr);
    assert_eq!(
        srv.handshake_status(&log, "", None),
        101,
        "no Origin: a script or tool"
    );
    assert_eq!(
        srv.handshake_status(&log, "", Some(&own)),
        101,
        "same origin"
    );
    for bad in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:1",
        "https://127.0.0.1",
        "garbage",
    ] {
        assert_eq!(srv.handshake_status(&log, "", Some(bad)), 403, "{bad}");
    }
    // The log names the refused Origin (the answer never does).
    srv.wait_log(
        "403 forbidden: cross-origin WebSocket refused (origin \"http://evil.example\")",
        std::time::Duration::from_secs(5),
    );
    let allowed = Server::start(&[
        "--allow-origin",
        "https://dash.example",
        dir.path("root").to_str().unwrap(),
    ]);
    assert_eq!(
        allowed.handshake_status(&log, "", Some("https://dash.example")),
        101
    );
    assert_eq!(
        allowed.handshake_status(&log, "", Some("https://other.example")),
        403
    );
}

#[test]
fn dns_rebinding_hosts_are_refused_on_loopback() {
    let (dir, srv) = setup();
    let resp = srv.raw(b"GET / HTTP/1.1\r\nHost: attacker.example:8765\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let target = encode_path(&dir.path("root/ok.log"));
    let resp = srv.raw(b"GET /_logview/api/list HTTP/1.1\r\nHost: evil.test\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let resp = srv.raw(
        format!(
            "GET {target} HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
            srv.addr.port()
        )
        .as_bytes(),
    );
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    // The host of an --allow-origin is accepted too, and only that host.
    let proxied = Server::start(&[
        "--allow-origin",
        "https://dash.example",
        dir.path("root").to_str().unwrap(),
    ]);
    let host = |h: &str| proxied.raw(format!("GET / HTTP/1.1\r\nHost: {h}\r\n\r\n").as_bytes());
    assert!(host("dash.example").starts_with("HTTP/1.1 200"));
    assert!(host("other.example").starts_with("HTTP/1.1 403"));
}

#[test]
fn max_clients_gives_503_and_frees_slots() {
    let dir = TempDir::new("max");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&["--max-clients", "2", dir.0.to_str().unwrap()]);
    let a = srv.connect(&log, "tail=1");
    let mut b = srv.connect(&log, "tail=1");
    assert_eq!(srv.handshake_status(&log, "tail=1", None), 503);
    b.close(None).unwrap();
    let _ = read_to_close(&mut b);
    let mut ok = false;
    for _ in 0..50 {
        if srv.handshake_status(&log, "", None) == 101 {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok, "a slot is freed when a client leaves");
    drop(a);
}

#[test]
fn loopback_host_names_are_accepted_and_others_refused_on_loopback() {
    let (dir, srv) = setup();
    let target = encode_path(&dir.path("root/ok.log"));
    let port = srv.addr.port();
    let status = |host: &str| {
        let head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        parse_response(&srv.raw(head.as_bytes())).0
    };
    for host in [
        format!("[::1]:{port}"),
        "[::1]".to_string(),
        format!("127.0.0.2:{port}"),
        format!("LOCALHOST:{port}"),
    ] {
        assert_eq!(status(&host), 200, "{host}");
    }
    for host in [
        format!("[2001:db8::1]:{port}"),
        format!("[::ffff:192.0.2.1]:{port}"),
        format!("192.0.2.1:{port}"),
        format!("localhost.evil.test:{port}"),
        format!("0.0.0.0:{port}"),
    ] {
        assert_eq!(status(&host), 403, "{host}");
    }
}
