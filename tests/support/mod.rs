//! Test fixtures: the real `logview` binary on a free port with a temp root, a WebSocket
//! client, and raw HTTP for requests a normal client would refuse to send.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use tungstenite::Message;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{WebSocket, client::IntoClientRequest};

pub type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// The headers of a valid WebSocket version 13 upgrade (a fixed key).
pub const UPGRADE_HEADERS: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/// A temp directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("logview-it-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p.canonicalize().unwrap())
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, content).unwrap();
        p
    }
    pub fn append(&self, rel: &str, content: impl AsRef<[u8]>) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.path(rel))
            .unwrap();
        f.write_all(content.as_ref()).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running logview, killed on drop. Its stderr is forwarded with a prefix.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts logview with `args` (roots and options), bound to a free loopback port.
    pub fn start(args: &[&str]) -> Server {
        let mut all = vec!["--bind", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Server::start_raw(&all)
    }

    pub fn start_raw(args: &[&str]) -> Server {
        Server::start_cmd(Command::new(env!("CARGO_BIN_EXE_logview")).args(args))
    }

    /// Starts logview serving `root` in the time zone `tz` (`TZ`: a POSIX rule such as
    /// `XXX-2`, two hours east of UTC, needs no zone files).
    pub fn start_in_zone(tz: &str, root: &Path) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_logview"));
        cmd.env("TZ", tz).args(["--bind", "127.0.0.1:0"]).arg(root);
        Server::start_cmd(&mut cmd)
    }

    /// Starts logview with at most `nofile` open descriptors (util-linux `prlimit`).
    pub fn start_limited(nofile: u32, args: &[&str]) -> Server {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--nofile={nofile}:{nofile}"))
            .arg(env!("CARGO_BIN_EXE_logview"))
            .args(["--bind", "127.0.0.1:0"])
            .args(args);
        Server::start_cmd(&mut cmd)
    }

    /// Starts a command that runs logview (extra environment, a wrapper) as a fixture.
    pub fn start_cmd(cmd: &mut Command) -> Server {
        let mut child = cmd
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("logview starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[logview] {line}");
                sink.lock().unwrap().push(line);
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .expect("stdout line");
        let url = first.trim().rsplit(' ').next().unwrap().to_string();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|_| panic!("no address in {first:?}"));
        Server { child, addr, log }
    }

    /// Waits until the server has logged a line containing `needle`.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(l) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the server never logged {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many lines the server has logged that contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        let log = self.log.lock().unwrap();
        log.iter().filter(|l| l.contains(needle)).count()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `ws://addr<path>?<query>` with the path percent-encoded per segment.
    pub fn ws_url(&self, path: &Path, query: &str) -> String {
        format!("ws://{}{}?{query}", self.addr, encode_path(path))
    }

    /// Connects a WebSocket client; panics with the status if the handshake is refused.
    pub fn connect(&self, path: &Path, query: &str) -> Ws {
        let (ws, _) = tungstenite::connect(self.ws_url(path, query)).expect("WebSocket handshake");
        set_timeout(&ws, Duration::from_secs(10));
        ws
    }

    /// Tries a WebSocket handshake and returns the refusal status (or 101).
    pub fn handshake_status(&self, path: &Path, query: &str, origin: Option<&str>) -> u16 {
        let mut req = self.ws_url(path, query).into_client_request().unwrap();
        if let Some(o) = origin {
            req.headers_mut().insert("Origin", o.parse().unwrap());
        }
        match tungstenite::connect(req) {
            Ok(_) => 101,
            Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
            Err(e) => panic!("unexpected handshake error {e}"),
        }
    }

    /// A complete WebSocket upgrade head for `target` (sent verbatim), with `extra` header
    /// lines (each ending in CRLF) before the blank line.
    pub fn upgrade_head(&self, target: &str, extra: &str) -> String {
        format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\n{UPGRADE_HEADERS}{extra}\r\n",
            self.addr
        )
    }

    /// A raw TCP connection that has sent a valid upgrade for `path?query` and read nothing.
    pub fn raw_upgrade(&self, path: &Path, query: &str) -> TcpStream {
        let mut s = TcpStream::connect(self.addr).unwrap();
        let head = self.upgrade_head(&format!("{}?{query}", encode_path(path)), "");
        s.write_all(head.as_bytes()).unwrap();
        s
    }

    /// A TCP connection from the loopback address `src` (e.g. `[127, 0, 0, 2]`), so a test
    /// can play several client addresses.
    pub fn connect_from(&self, src: [u8; 4]) -> TcpStream {
        connect_from(src, self.addr).expect("connect from a loopback address")
    }

    /// A WebSocket client connected from the loopback address `src`.
    pub fn connect_ws_from(&self, src: [u8; 4], path: &Path, query: &str) -> Ws {
        let stream = self.connect_from(src);
        let (ws, _) = tungstenite::client(self.ws_url(path, query), MaybeTlsStream::Plain(stream))
            .expect("WebSocket handshake");
        set_timeout(&ws, Duration::from_secs(10));
        ws
    }

    /// A GET of `target` from the loopback address `src`, returning (status, body).
    pub fn get_from(&self, src: [u8; 4], target: &str) -> (u16, String) {
        let mut s = self.connect_from(src);
        let head = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        parse_response(&exchange(&mut s, head.as_bytes()))
    }

    /// Sends raw bytes and returns everything the server answers until it closes.
    pub fn raw(&self, request: &[u8]) -> String {
        exchange(&mut TcpStream::connect(self.addr).unwrap(), request)
    }
    /// A GET of `target` (sent verbatim), returning (status, body).
    pub fn get(&self, target: &str) -> (u16, String) {
        let resp =
            self.raw(format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr).as_bytes());
        parse_response(&resp)
    }

    /// Number of threads of the server process (Linux).
    pub fn threads(&self) -> usize {
        proc_status(self.pid(), "Threads:")
    }

    /// Resident memory of the server in KiB (Linux).
    pub fn rss_kib(&self) -> usize {
        proc_status(self.pid(), "VmRSS:")
    }
}

/// Writes `request` and reads the answer until the server closes (15 s at most).
pub fn exchange(s: &mut TcpStream, request: &[u8]) -> String {
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A TCP connection to `to` whose source is the loopback address `src`.
pub fn connect_from(src: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((src, 0)).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(10))?;
    Ok(socket.into())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_status(pid: u32, key: &str) -> usize {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = s.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

pub fn parse_response(resp: &str) -> (u16, String) {
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {resp:?}"));
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

pub fn encode_path(p: &Path) -> String {
    p.to_str()
        .unwrap()
        .split('/')
        .map(|seg| {
            url::form_urlencoded::byte_serialize(seg.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn set_timeout(ws: &Ws, d: Duration) {
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(d)).unwrap();
    }
}

/// What a client saw.
#[derive(Debug, Default)]
pub struct Received {
    pub text: String,
    pub frames: usize,
    pub events: Vec<serde_json::Value>,
    pub close: Option<(u16, String)>,
}

impl Received {
    pub fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }
    pub fn event_names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Reads messages until the server closes, or `until` holds, or `limit` passes.
pub fn read_until(
    ws: &mut Ws,
    limit: Duration,
    mut until: impl FnMut(&Received) -> bool,
) -> Received {
    let deadline = Instant::now() + limit;
    let mut got = Received::default();
    while !until(&got) {
        assert!(
            Instant::now() < deadline,
            "timed out; received so far: {got:?}"
        );
        match ws.read() {
            Ok(Message::Text(t)) => {
                assert!(t.ends_with('\n'), "frame must hold complete lines: {t:?}");
                got.text.push_str(&t);
                got.frames += 1;
            }
            Ok(Message::Binary(b)) => got
                .events
                .push(serde_json::from_slice(&b).expect("event JSON")),
            Ok(Message::Close(c)) => {
                got.close = Some(
                    c.map(|c| (u16::from(c.code), c.reason.to_string()))
                        .unwrap_or((1005, String::new())),
                );
                return got;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(tungstenite::Error::ConnectionClosed) => return got,
            Err(e) => panic!("read failed: {e}; received so far: {got:?}"),
        }
    }
    got
}

/// Reads until the text holds at least `n` lines.
pub fn read_lines(ws: &mut Ws, n: usize) -> Received {
    read_until(ws, Duration::from_secs(10), |r| r.text.lines().count() >= n)
}

/// Reads until the server closes the connection.
pub fn read_to_close(ws: &mut Ws) -> Received {
    read_until(ws, Duration::from_secs(10), |r| r.close.is_some())
}

/// A `USER:HASH` line made by the real binary's `hash-password`, checked to hold an argon2id
/// hash and not the password.
pub fn hash_line(user: &str, password: &str) -> String {
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

/// User plus system CPU of a process, in clock ticks (1/100 s).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<u64> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f[11] + f[12]
}

/// The `name`s of a listing API answer's entries, in order.
pub fn entry_names(listing: &serde_json::Value) -> Vec<&str> {
    listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}
