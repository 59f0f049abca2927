//! Plain HTTP: the page (with its security headers), its assets, and the listing API, which
//! obeys the same sandbox as the WebSocket.
mod support;
use serde_json::Value;
use std::process::Command;
use support::*;

fn header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    resp.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn get_raw(srv: &Server, target: &str) -> String {
    srv.raw(format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", srv.addr).as_bytes())
}

#[test]
fn the_page_is_served_at_root_and_file_paths_with_security_headers() {
    let dir = TempDir::new("page");
    let log = dir.write("a b.log", "x\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    for target in ["/".to_string(), encode_path(&log), encode_path(&dir.0)] {
        let resp = get_raw(&srv, &target);
        assert!(resp.starts_with("HTTP/1.1 200"), "{target}: {resp}");
        assert_eq!(
            header(&resp, "content-type"),
            Some("text/html; charset=utf-8")
        );
        let csp = header(&resp, "content-security-policy").expect("CSP");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(header(&resp, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&resp, "x-frame-options"), Some("DENY"));
        assert!(resp.contains("/_logview/app.js"));
    }
    let js = get_raw(&srv, "/_logview/app.js");
    assert!(
        js.starts_with("HTTP/1.1 200")
            && header(&js, "content-type")
                .unwrap()
                .starts_with("text/javascript")
    );
    assert!(get_raw(&srv, "/_logview/style.css").starts_with("HTTP/1.1 200"));
    // Assets carry an ETag; asking again with it is a 304 without a body.
    let tag = header(&js, "etag").expect("ETag").to_string();
    let again = srv.raw(
        format!(
            "GET /_logview/app.js HTTP/1.1\r\nHost: {}\r\nIf-None-Match: {tag}\r\n\r\n",
            srv.addr
        )
        .as_bytes(),
    );
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    assert_eq!(header(&again, "content-length"), Some("0"));
    let stale = srv.raw(
        format!(
            "GET /_logview/app.js HTTP/1.1\r\nHost: {}\r\nIf-None-Match: \"0\"\r\n\r\n",
            srv.addr
        )
        .as_bytes(),
    );
    assert!(stale.starts_with("HTTP/1.1 200"));
    assert!(get_raw(&srv, "/_logview/nope.js").starts_with("HTTP/1.1 404"));
    let _ws = srv.connect(&log, "tail=1");
    let (status, body) = srv.get("/_logview/api/status");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, v["clients"].as_u64(), v["max_clients"].as_u64()),
        (200, Some(1), Some(256))
    );
}

#[test]
fn listing_shows_only_what_may_be_viewed() {
    let dir = TempDir::new("list");
    std::fs::create_dir_all(dir.path("root/sub")).unwrap();
    dir.write("root/app.log", "12345");
    dir.write("root/<img src=x onerror=alert(1)>.log", "");
    dir.write("outside.log", "secret");
    std::os::unix::fs::symlink(dir.path("outside.log"), dir.path("root/escape.log")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.path("root/pipe"))
            .status()
            .unwrap()
            .success()
    );
    let root = dir.path("root");
    let srv = Server::start(&[root.to_str().unwrap()]);

    let (status, body) = srv.get("/_logview/api/list");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["entries"][0]["path"], root.to_str().unwrap());

    let q =
        url::form_urlencoded::byte_serialize(root.to_str().unwrap().as_bytes()).collect::<String>();
    let (status, body) = srv.get(&format!("/_logview/api/list?path={q}"));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names = entry_names(&v);
    assert_eq!(
        names,
        ["sub", "<img src=x onerror=alert(1)>.log", "app.log"]
    );
    assert_eq!(v["entries"][2]["size"], 5);

    let outside = url::form_urlencoded::byte_serialize(dir.0.to_str().unwrap().as_bytes())
        .collect::<String>();
    assert_eq!(
        srv.get(&format!("/_logview/api/list?path={outside}")).0,
        403
    );
    assert_eq!(
        srv.get(&format!("/_logview/api/list?path={q}%2F..%2F..")).0,
        403
    );
    assert_eq!(
        srv.get(&format!("/_logview/api/list?path={q}%2Fmissing")).0,
        404
    );
    assert_eq!(srv.get("/_logview/api/list?path=/etc").0, 403);
}

/// The page's Content-Security-Policy, exactly as the README states it.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

#[test]
fn caching_referrer_and_the_full_csp_as_the_readme_states() {
    let dir = TempDir::new("headers");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let page = get_raw(&srv, &encode_path(&log));
    assert_eq!(header(&page, "content-security-policy"), Some(PAGE_CSP));
    let cases = [
        ("/", "200", "no-cache"),
        ("/_logview/app.js", "200", "no-cache"),
        ("/_logview/style.css", "200", "no-cache"),
        ("/_logview/favicon.svg", "200", "no-cache"),
        ("/_logview/api/list", "200", "no-store"),
        ("/_logview/api/status", "200", "no-store"),
        ("/_logview/nope.js", "404", "no-store"),
        ("/etc/passwd", "403", "no-store"),
    ];
    for (target, status, cache) in cases {
        let resp = get_raw(&srv, target);
        assert!(
            resp.starts_with(&format!("HTTP/1.1 {status} ")),
            "{target}: {resp}"
        );
        assert_eq!(header(&resp, "cache-control"), Some(cache), "{target}");
        assert_eq!(
            header(&resp, "referrer-policy"),
            Some("no-referrer"),
            "{target}"
        );
    }
}

#[test]
fn a_browser_asking_for_a_missing_or_refused_file_gets_the_page_with_the_status_and_reason() {
    let dir = TempDir::new("page-refused");
    let fifo = dir.0.join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let missing = dir.0.join("not-yet.log");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let browser = |target: &str| {
        srv.raw(
            format!(
                "GET {target} HTTP/1.1\r\nHost: {}\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\n\r\n",
                srv.addr
            )
            .as_bytes(),
        )
    };
    let resp = browser(&encode_path(&missing));
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert_eq!(
        header(&resp, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(header(&resp, "content-security-policy").is_some());
    assert!(
        resp.contains(r#"<meta name="logview-refusal" content="no such file">"#),
        "{resp}"
    );
    let resp = browser(&encode_path(&fifo));
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(
        resp.contains(r#"<meta name="logview-refusal" content="forbidden: "#),
        "{resp}"
    );
    // Scripts keep the plain status and reason; a path outside the roots never gets the page.
    let (status, body) = srv.get(&encode_path(&missing));
    assert_eq!((status, body.trim()), (404, "no such file"));
    let resp = browser("/etc/passwd");
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(!resp.contains("root:"), "{resp}");
    srv.wait_log("not-yet.log", std::time::Duration::from_secs(5));
}

#[test]
fn rotated_members_are_listed_inside_their_file_newest_first() {
    let dir = TempDir::new("families");
    let day = |d: u64| {
        std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(1_795_000_000 + d * 86_400)
    };
    let put = |name: &str, age: u64| {
        let p = dir.write(name, "x\n");
        std::fs::File::options()
            .append(true)
            .open(&p)
            .unwrap()
            .set_modified(day(10 - age))
            .unwrap();
    };
    put("app.log", 0);
    put("app.log.1", 1);
    put("app.log-20261120", 2);
    put("app.log.2.gz", 3);
    put("app.log.2026-11-01.gz", 4);
    put("orphan.log.3", 0);
    std::fs::create_dir_all(dir.path("app.log.9")).unwrap();
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let (_, body) = srv.get(&format!("/_logview/api/list?path={}", encode_path(&dir.0)));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        entry_names(&v),
        ["app.log.9", "app.log", "orphan.log.3"],
        "{v}"
    );
    let app = &v["entries"][1];
    let members: Vec<(&str, bool)> = app["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap(),
                m["compressed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("app.log.1", false),
            ("app.log-20261120", false),
            ("app.log.2.gz", true),
            ("app.log.2026-11-01.gz", true)
        ]
    );
    assert!(
        app["members"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("/app.log.1")
    );
}
