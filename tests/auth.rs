//! Exposed deployments: HTTP Basic authentication on every route (page, assets, listing,
//! WebSocket), per-address back-off, `hash-password`, `LOGVIEW_AUTH`, `--base-path`,
//! `--trust-proxy`, and the refusal to bind beyond loopback without authentication.
mod support;
use data_encoding::BASE64;
use std::io::Write;
use std::process::{Command, Stdio};
use support::*;

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
        parse_response(&resp).1,
        "too many failed attempts, try again later\n",
        "the address's own back-off, not a busy gate"
    );
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

/// A raw request from the loopback address `src`, so failures from one case cannot put the
/// next into the per-address back-off; returns (status, whole response).
fn get_from(
    srv: &Server,
    src: [u8; 4],
    target: &str,
    auth: Option<&str>,
    extra: &str,
) -> (u16, String) {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\n{auth}{extra}\r\n",
        srv.addr
    );
    let resp = answer(&mut srv.connect_from(src), head.as_bytes());
    (parse_response(&resp).0, resp)
}

/// Like `exchange`, but an upgrade's answer ends with the server's close frame ("end of
/// history"): the server would then wait a while for a close reply that never comes.
fn answer(s: &mut std::net::TcpStream, request: &[u8]) -> String {
    use std::io::Read;
    s.set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    s.write_all(request).unwrap();
    let (mut out, mut buf) = (Vec::new(), [0u8; 4096]);
    while !out.windows(14).any(|w| w == b"end of history") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An upgrade of `target` from the usual loopback address; returns (status, whole answer).
fn upgrade(srv: &Server, target: &str, auth: Option<&str>) -> (u16, String) {
    get_from(srv, [127, 0, 0, 1], target, auth, UPGRADE_HEADERS)
}

/// A server with one user, alice, and the files `names` (each holding one line) in its root.
fn alice_server(tag: &str, names: &[&str]) -> (TempDir, Server) {
    let dir = TempDir::new(tag);
    for name in names {
        dir.write(name, format!("in {name}\n"));
    }
    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let srv = Server::start(&[
        "--auth-file",
        users.to_str().unwrap(),
        dir.0.to_str().unwrap(),
    ]);
    (dir, srv)
}

#[test]
fn an_upgrade_with_any_but_the_right_credentials_is_refused() {
    let (dir, srv) = alice_server("ws-auth", &["a.log"]);
    let file = encode_path(&dir.path("a.log"));
    let wrong = [
        basic("alice", "wrong"),
        basic("mallory", "pass-word-1"),
        "Basic !!!not-base64".to_string(),
        "Bearer pass-word-1".to_string(),
        "garbage".to_string(),
    ];
    for (n, auth) in wrong.iter().enumerate() {
        let (status, resp) = get_from(
            &srv,
            [127, 0, 1, n as u8 + 1],
            &file,
            Some(auth),
            UPGRADE_HEADERS,
        );
        assert_eq!(status, 401, "{auth}: {resp}");
        assert!(!resp.contains("in a.log"), "{resp}");
    }
    let (status, resp) = get_from(
        &srv,
        [127, 0, 1, 99],
        &file,
        Some(&basic("alice", "pass-word-1")),
        UPGRADE_HEADERS,
    );
    assert_eq!(status, 101, "{resp}");
    assert!(resp.contains("in a.log"), "{resp}");
}

#[test]
fn the_status_api_assets_and_logs_named_like_assets_need_credentials() {
    let (dir, srv) = alice_server("asset-auth", &["x.css", "y.svg", "z.js"]);
    let good = basic("alice", "pass-word-1");
    for target in [
        "/_logview/api/status",
        "/_logview/app.js",
        "/_logview/style.css",
        "/_logview/favicon.svg",
    ] {
        let (status, resp) = get(&srv, target, None, "");
        assert_eq!(status, 401, "{target}: {resp}");
        assert!(
            resp.contains("WWW-Authenticate: Basic realm=\"logview\""),
            "{resp}"
        );
        assert_eq!(get(&srv, target, Some(&good), "").0, 200, "{target}");
    }
    for name in ["x.css", "y.svg", "z.js"] {
        let file = encode_path(&dir.path(name));
        let (status, resp) = upgrade(&srv, &file, None);
        assert_eq!(status, 401, "WebSocket to {name}: {resp}");
        assert!(!resp.contains(&format!("in {name}")), "{resp}");
        assert_eq!(get(&srv, &file, None, "").0, 401, "page of {name}");
        let (status, resp) = upgrade(&srv, &file, Some(&good));
        assert_eq!(status, 101, "WebSocket to {name} with credentials: {resp}");
        assert!(resp.contains(&format!("in {name}")), "{resp}");
    }
}

#[test]
fn an_unknown_user_with_the_decoy_password_is_refused() {
    // Unknown names are checked against a hash of the constant password "decoy" (src/auth.rs),
    // so the timing of a wrong name matches a wrong password; that hash must never admit.
    let (_dir, srv) = alice_server("decoy", &["a.log"]);
    let (status, resp) = get(&srv, "/", Some(&basic("nobody", "decoy")), "");
    assert_eq!(status, 401, "{resp}");
    assert_eq!(
        get(&srv, "/", Some(&basic("alice", "pass-word-1")), "").0,
        200
    );
}

#[test]
fn a_verified_header_is_not_hashed_again() {
    // Each hash takes a place at the hashing gate, which admits at most 20 at once (its burst)
    // and queues at most 16: a crowd of uncached logins arriving together gets 429s, whatever
    // the speed of the machine. Once verified, the same header never reaches the gate.
    const CROWD: u8 = 40;
    let (_dir, srv) = alice_server("cache", &["a.log"]);
    let good = basic("alice", "pass-word-1");
    assert_eq!(get(&srv, "/_logview/api/status", Some(&good), "").0, 200);
    // A second verified header (the scheme's case differs) does not push the first one out.
    let other = good.replacen("Basic", "basic", 1);
    assert_eq!(get(&srv, "/_logview/api/status", Some(&other), "").0, 200);
    let head = format!(
        "GET /_logview/api/status HTTP/1.1\r\nHost: {}\r\nAuthorization: {good}\r\n\r\n",
        srv.addr
    );
    // Connected first (each from its own address, so no address's share of waiting
    // connections is reached), then sent together.
    let mut streams: Vec<_> = (1..=CROWD)
        .map(|n| srv.connect_from([127, 0, 2, n]))
        .collect();
    let start = std::sync::Barrier::new(CROWD as usize);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .iter_mut()
            .map(|stream| {
                let (start, head) = (&start, &head);
                s.spawn(move || {
                    start.wait();
                    let resp = exchange(stream, head.as_bytes());
                    // 0: no answer in time (a hash queued behind many on a loaded machine).
                    resp.split(' ')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|&s| s == 200),
        "a cached header never meets the gate: {statuses:?}"
    );
}

#[test]
fn the_auth_file_wins_over_logview_auth() {
    let dir = TempDir::new("file-wins");
    dir.write("a.log", "x\n");
    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let srv = Server::start_cmd(
        Command::new(env!("CARGO_BIN_EXE_logview"))
            .args(["--bind", "127.0.0.1:0", "--auth-file"])
            .arg(&users)
            .arg(&dir.0)
            .env("LOGVIEW_AUTH", hash_line("carol", "pass-word-2")),
    );
    let addr = srv.addr;
    let ask = |auth: &str| {
        let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\r\n");
        let resp = exchange(
            &mut std::net::TcpStream::connect(addr).unwrap(),
            head.as_bytes(),
        );
        parse_response(&resp).0
    };
    assert_eq!(ask(&basic("alice", "pass-word-1")), 200, "the file's user");
    assert_eq!(
        ask(&basic("carol", "pass-word-2")),
        401,
        "the variable's user"
    );
}

#[test]
fn no_auth_allows_a_non_loopback_bind() {
    let dir = TempDir::new("no-auth");
    let log = dir.write("a.log", "open to all\n");
    // Bound to every address, reached only through loopback.
    let srv = Server::start_raw(&["--bind", "0.0.0.0:0", "--no-auth", dir.0.to_str().unwrap()]);
    assert!(srv.addr.ip().is_unspecified(), "{}", srv.addr);
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], srv.addr.port()));
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: {local}\r\n{UPGRADE_HEADERS}\r\n",
        encode_path(&log)
    );
    let resp = answer(
        &mut std::net::TcpStream::connect(local).unwrap(),
        head.as_bytes(),
    );
    assert_eq!(parse_response(&resp).0, 101, "{resp}");
    assert!(resp.contains("open to all"), "{resp}");
}
