//! Exposed deployments: HTTP Basic authentication on every route (page, assets, listing,
//! WebSocket), per-address back-off, `hash-password`, `LOGVIEW_AUTH`, `--base-path`,
//! `--trust-proxy`, and the refusal to bind beyond loopback without authentication.
mod support;
use data_encoding::BASE64;
use std::io::Write;
use std::process::{Command, Stdio};
use support::*;

fn hash_line(user: &str, password: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logview"))
        .args(["hash-password", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(line.starts_with(&format!("{user}:$argon2id$")), "{line}");
    assert!(!line.contains(password), "the password never appears");
    line
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        BASE64.encode(format!("{user}:{password}").as_bytes())
    )
}

/// A GET with optional credentials and extra headers; returns (status, whole response).
fn get(srv: &Server, target: &str, auth: Option<&str>, extra: &str) -> (u16, String) {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let resp = srv.raw(
        format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\n{auth}{extra}\r\n",
            srv.addr
        )
        .as_bytes(),
    );
    (parse_response(&resp).0, resp)
}

fn ws_status(srv: &Server, target: &str, auth: Option<&str>) -> u16 {
    get(srv, target, auth, UPGRADE_HEADERS).0
}

#[test]
fn every_route_needs_credentials() {
    let dir = TempDir::new("auth");
    let log = dir.write("a.log", "secret line\n");
    let users = dir.write(
        "users",
        format!(
            "{}\n{}\n",
            hash_line("alice", "correct horse"),
            hash_line("bob", "bobs password")
        ),
    );
    let srv = Server::start(&[
        "--auth-file",
        users.to_str().unwrap(),
        dir.0.to_str().unwrap(),
    ]);
    let good = basic("alice", "correct horse");
    let file = encode_path(&log);
    for target in ["/", "/_logview/app.js", "/_logview/api/list", file.as_str()] {
        let (status, resp) = get(&srv, target, None, "");
        assert_eq!(status, 401, "{target}");
        assert!(
            resp.contains("WWW-Authenticate: Basic realm=\"logview\""),
            "{resp}"
        );
        assert!(!resp.contains("secret line"));
        assert_eq!(
            get(&srv, target, Some(&basic("alice", "wrong")), "").0,
            401,
            "{target}"
        );
        assert_eq!(get(&srv, target, Some(&good), "").0, 200, "{target}");
    }
    assert_eq!(ws_status(&srv, &file, None), 401);
    assert_eq!(
        ws_status(&srv, &file, Some(&basic("bob", "bobs password"))),
        101
    );
    srv.wait_log(
        "401 wrong user name or password",
        std::time::Duration::from_secs(5),
    );
}

#[test]
fn failures_back_off_per_address_without_blocking_others() {
    let dir = TempDir::new("ratelimit");
    dir.write("a.log", "x\n");
    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let root = dir.0.to_str().unwrap();
    // A login as alice with `password`, from `ip` as a proxy would report it.
    let login = |srv: &Server, password: &str, ip: &str| {
        let forwarded = format!("X-Forwarded-For: 203.0.113.9, {ip}\r\n");
        get(srv, "/", Some(&basic("alice", password)), &forwarded)
    };
    let srv = Server::start(&[
        "--trust-proxy",
        "--auth-file",
        users.to_str().unwrap(),
        root,
    ]);
    for _ in 0..4 {
        assert_eq!(login(&srv, "guess", "10.0.0.1").0, 401);
    }
    let (status, resp) = login(&srv, "pass-word-1", "10.0.0.1");
    assert_eq!(
        status, 429,
        "the attacking address waits, even with the right password"
    );
    assert!(resp.contains("Retry-After: "), "{resp}");
    assert_eq!(
        login(&srv, "pass-word-1", "10.0.0.2").0,
        200,
        "others are not blocked"
    );
    srv.wait_log("10.0.0.1 (via 127.0.0.1", std::time::Duration::from_secs(5));

    // Without --trust-proxy the header is ignored: the limit applies to the real peer.
    let srv = Server::start(&["--auth-file", users.to_str().unwrap(), root]);
    for _ in 0..4 {
        login(&srv, "guess", "10.0.0.1");
    }
    assert_eq!(login(&srv, "pass-word-1", "10.0.0.2").0, 429);
}

#[test]
fn logview_auth_variable_and_bind_rules() {
    let dir = TempDir::new("envauth");
    dir.write("a.log", "x\n");
    let root = dir.0.to_str().unwrap();
    let line = hash_line("carol", "pass-word-1");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logview"))
        .args(["--bind", "127.0.0.1:0", root])
        .env("LOGVIEW_AUTH", &line)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let addr = first
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let ask = |auth: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut s, &mut out).unwrap();
        parse_response(&out).0
    };
    assert_eq!(ask(&basic("carol", "pass-word-1")), 200);
    assert_eq!(ask(&basic("carol", "nope")), 401);
    let _ = child.kill();
    let _ = child.wait();

    let out = Command::new(env!("CARGO_BIN_EXE_logview"))
        .args(["--bind", "0.0.0.0:0", root])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "non-loopback without authentication is refused"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-auth"));
}

#[test]
fn base_path_prefixes_every_route() {
    let dir = TempDir::new("base");
    let log = dir.write("a.log", "under a prefix\n");
    let srv = Server::start(&["--base-path", "/logs/", dir.0.to_str().unwrap()]);
    let file = encode_path(&log);
    let (status, page) = get(&srv, "/logs/", None, "");
    assert_eq!(status, 200);
    assert!(
        page.contains("\"/logs/_logview/app.js\"") && page.contains("content=\"/logs\""),
        "{page}"
    );
    assert_eq!(get(&srv, "/logs", None, "").0, 200);
    assert_eq!(get(&srv, &format!("/logs{file}"), None, "").0, 200);
    assert_eq!(get(&srv, "/logs/_logview/api/list", None, "").0, 200);
    assert_eq!(get(&srv, "/logs/_logview/app.js", None, "").0, 200);
    for outside in ["/", "/_logview/app.js", file.as_str(), "/logsx/", "/log"] {
        assert_eq!(get(&srv, outside, None, "").0, 404, "{outside}");
    }
    let url = format!("ws://{}/logs{file}", srv.addr);
    let (mut ws, _) = tungstenite::connect(url).unwrap();
    assert_eq!(read_to_close(&mut ws).text, "under a prefix\n");
    assert_eq!(
        srv.handshake_status(&log, "", None),
        404,
        "the unprefixed WebSocket path is not served"
    );
}

#[test]
fn concurrent_guesses_meet_the_back_off_at_once() {
    let dir = TempDir::new("parallel");
    dir.write("a.log", "x\n");
    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let srv = Server::start(&[
        "--auth-file",
        users.to_str().unwrap(),
        dir.0.to_str().unwrap(),
    ]);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let srv = &srv;
                s.spawn(move || get(srv, "/", Some(&basic("alice", &format!("guess {i}"))), "").0)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let verified = statuses.iter().filter(|&&s| s == 401).count();
    assert!(
        verified <= 4,
        "only the free attempts are hashed: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        20 - verified,
        "{statuses:?}"
    );
}
