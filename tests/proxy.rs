//! Behind a real nginx with TLS and a base path: the shipped example configurations are run
//! with a self-signed certificate made here, and files are streamed through them over wss://
//! with credentials, as a deployment would: `docs/nginx-logview.conf` (one logview, which
//! checks the password) and `docs/nginx-hosts.conf` (two logview instances, one per "host",
//! behind one nginx that checks the password and lists the hosts).
//! Without nginx the test says so and passes, unless LOGVIEW_REQUIRE_NGINX=1 (CI).
mod support;
use data_encoding::BASE64;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tungstenite::client::IntoClientRequest;

fn nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago: another process may take it before nginx binds it,
/// which `start_nginx` notices and retries.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Tries to start nginx on ports that were free a moment ago (`free_port` must release its
/// port before nginx can bind it, so another process may take it meanwhile): a port taken
/// again is retried with a fresh one, a few times at most. Returns nginx and its port.
/// `site` is the example's file name under docs/; `upstreams` maps the example's addresses of
/// logview to the test's.
fn start_nginx(bin: &Path, dir: &Path, site: &str, upstreams: &[(&str, String)]) -> (Nginx, u16) {
    const ATTEMPTS: usize = 5;
    for attempt in 1..=ATTEMPTS {
        let port = free_port();
        match try_start_nginx(bin, dir, port, site, upstreams) {
            Ok(nginx) => return (nginx, port),
            Err(log) => eprintln!("nginx attempt {attempt}: port {port} was taken: {log}"),
        }
    }
    panic!("nginx found no free port in {ATTEMPTS} attempts");
}

fn self_signed(dir: &Path) {
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .args([
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(ok.success(), "openssl made a certificate");
}

/// Starts nginx on `port`; `Err` (with its error log) when the port is taken. Ready means
/// its pid file is written: nginx writes it only once its sockets are bound, so a stranger
/// that took the port cannot pass for nginx.
fn try_start_nginx(
    bin: &Path,
    dir: &Path,
    port: u16,
    site: &str,
    upstreams: &[(&str, String)],
) -> Result<Nginx, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(site);
    let mut site = std::fs::read_to_string(path).unwrap();
    let d = dir.display();
    let mut swaps = vec![
        ("listen 443 ssl;", format!("listen 127.0.0.1:{port} ssl;")),
        (
            "/etc/ssl/certs/logs.example.com.pem",
            format!("{d}/cert.pem"),
        ),
        (
            "/etc/ssl/private/logs.example.com.key",
            format!("{d}/key.pem"),
        ),
        ("/etc/nginx/logview.htpasswd", format!("{d}/htpasswd")),
        (
            "/etc/nginx/logview;",
            format!("{}/docs;", env!("CARGO_MANIFEST_DIR")),
        ),
        ("/hosts.html", "/nginx-hosts.html".to_string()),
    ];
    swaps.extend(upstreams.iter().map(|(from, to)| (*from, to.clone())));
    for (from, to) in swaps {
        let needed = !from.contains("/etc/nginx/") && from != "/hosts.html";
        assert!(!needed || site.contains(from), "the example lost {from}");
        site = site.replace(from, &to);
    }
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let conf = format!(
        "daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{ access_log {d}/access.log; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
         include {d}/site.conf; }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let (pid_file, error_log) = (dir.join("nginx.pid"), dir.join("error.log"));
    let _ = std::fs::remove_file(&pid_file);
    let _ = std::fs::remove_file(&error_log);
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let mut nginx = Nginx(child);
    let pid = nginx.0.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let written = std::fs::read_to_string(&pid_file).unwrap_or_default();
        if written.trim() == pid {
            return Ok(nginx);
        }
        let log = std::fs::read_to_string(&error_log).unwrap_or_default();
        if log.contains("Address already in use") {
            // nginx would try again for a few seconds on the same port: not worth waiting.
            return Err(log);
        }
        let exited = nginx.0.try_wait().unwrap();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "nginx listens ({exited:?}): {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tls_config(dir: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A plain HTTPS GET through nginx; returns the whole response.
fn https_get(config: &Arc<rustls::ClientConfig>, port: u16, target: &str, auth: &str) -> String {
    let conn =
        rustls::ClientConnection::new(config.clone(), "localhost".try_into().unwrap()).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    write!(tls, "GET {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// nginx, or `None` after saying loudly that the test is skipped (a failure under
/// LOGVIEW_REQUIRE_NGINX=1).
fn nginx_or_skip() -> Option<PathBuf> {
    let found = nginx();
    if found.is_none() {
        let msg = "SKIPPED tests/proxy.rs: nginx not found (apt-get install nginx)";
        assert!(
            std::env::var("LOGVIEW_REQUIRE_NGINX").as_deref() != Ok("1"),
            "{msg}"
        );
        eprintln!("\n{}\n{msg}\n{}\n", "=".repeat(70), "=".repeat(70));
    }
    found
}

/// A wss:// connection through nginx on `port` to `target`, with `auth` as Authorization.
fn wss(config: &Arc<rustls::ClientConfig>, port: u16, target: &str, auth: &str) -> Ws {
    let mut req = format!("wss://localhost:{port}{target}")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Authorization", auth.parse().unwrap());
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let connector = Some(tungstenite::Connector::Rustls(config.clone()));
    tungstenite::client_tls_with_config(req, sock, None, connector)
        .expect("wss handshake through nginx")
        .0
}

#[test]
fn streams_through_nginx_with_tls_and_a_base_path() {
    let Some(bin) = nginx_or_skip() else {
        return;
    };
    let dir = TempDir::new("proxy");
    std::fs::create_dir_all(dir.path("logs")).unwrap();
    let log = dir.write("logs/app.log", "through the proxy\n");
    self_signed(&dir.0);
    let users = Command::new(env!("CARGO_BIN_EXE_logview"))
        .args(["hash-password", "ops"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"proxy pass\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let users_file = dir.write("users", users.stdout);
    let srv = Server::start(&[
        "--base-path",
        "/logs",
        "--trust-proxy",
        "--auth-file",
        users_file.to_str().unwrap(),
        dir.path("logs").to_str().unwrap(),
    ]);
    let (_nginx, port) = start_nginx(
        &bin,
        &dir.0,
        "nginx-logview.conf",
        &[("127.0.0.1:8765", srv.addr.to_string())],
    );
    let tls = tls_config(&dir.0);
    let auth = format!("Basic {}", BASE64.encode(b"ops:proxy pass"));

    let page = https_get(&tls, port, "/logs/", &auth);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("\"/logs/_logview/app.js\""),
        "links carry the base path: {page}"
    );
    assert!(https_get(&tls, port, "/logs/", "Basic eDp5").starts_with("HTTP/1.1 401"));

    let target = format!("/logs{}?tail=1&meta=1", encode_path(&log));
    let mut ws = wss(&tls, port, &target, &auth);
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.event_names().iter().any(|e| e == "live")
    });
    assert_eq!(got.text, "through the proxy\n");
    dir.append("logs/app.log", "and live\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| !r.text.is_empty());
    assert_eq!(got.text, "and live\n");
    srv.wait_log("opened 127.0.0.1 (via 127.0.0.1:", Duration::from_secs(5));
}

/// The "many servers" recipe: two logview instances (standing for hosts web1 and web2, each
/// with `--base-path /<host>` and its own logs) behind the one nginx of
/// `docs/nginx-hosts.conf`, which checks the password (htpasswd) and lists the hosts at `/`.
#[test]
fn two_hosts_behind_one_nginx() {
    let Some(bin) = nginx_or_skip() else {
        return;
    };
    let dir = TempDir::new("proxy-hosts");
    self_signed(&dir.0);
    let hash = Command::new("openssl")
        .args(["passwd", "-apr1", "fleet pass"])
        .output()
        .expect("openssl passwd");
    assert!(hash.status.success());
    let hash = String::from_utf8(hash.stdout).unwrap();
    dir.write("htpasswd", format!("ops:{}", hash.trim()));
    let mut hosts = Vec::new();
    for host in ["web1", "web2"] {
        std::fs::create_dir_all(dir.path(host)).unwrap();
        let log = dir.write(&format!("{host}/app.log"), format!("{host} says hello\n"));
        let srv = Server::start(&[
            "--base-path",
            &format!("/{host}"),
            "--no-auth",
            "--trust-proxy",
            dir.path(host).to_str().unwrap(),
        ]);
        hosts.push((host, log, srv));
    }
    let upstreams = [
        ("10.0.0.11:8765", hosts[0].2.addr.to_string()),
        ("10.0.0.12:8765", hosts[1].2.addr.to_string()),
    ];
    let (_nginx, port) = start_nginx(&bin, &dir.0, "nginx-hosts.conf", &upstreams);
    let tls = tls_config(&dir.0);
    let auth = format!("Basic {}", BASE64.encode(b"ops:fleet pass"));

    let index = https_get(&tls, port, "/", &auth);
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(
        index.contains("href=\"/web1/\"") && index.contains("href=\"/web2/\""),
        "the index lists both hosts: {index}"
    );
    for target in ["/", "/web1/"] {
        let refused = https_get(&tls, port, target, "Basic eDp5");
        assert!(refused.starts_with("HTTP/1.1 401"), "{target}: {refused}");
    }
    assert!(https_get(&tls, port, "/web3/", &auth).starts_with("HTTP/1.1 404"));

    for (host, log, srv) in &hosts {
        let page = https_get(&tls, port, &format!("/{host}/"), &auth);
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(
            page.contains(&format!("\"/{host}/_logview/app.js\"")),
            "links carry the host's base path: {page}"
        );
        let target = format!("/{host}{}?tail=1&meta=1", encode_path(log));
        let mut ws = wss(&tls, port, &target, &auth);
        let got = read_until(&mut ws, Duration::from_secs(10), |r| {
            r.event_names().iter().any(|e| e == "live")
        });
        assert_eq!(got.text, format!("{host} says hello\n"));
        dir.append(&format!("{host}/app.log"), format!("{host} live\n"));
        let got = read_until(&mut ws, Duration::from_secs(10), |r| !r.text.is_empty());
        assert_eq!(got.text, format!("{host} live\n"));
        srv.wait_log("opened 127.0.0.1 (via 127.0.0.1:", Duration::from_secs(5));
    }
    // Each host serves only its own files: web1's file asked of web2 is refused.
    let other = format!("/web2{}", encode_path(&hosts[0].1));
    let refused = https_get(&tls, port, &other, &auth);
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
}
