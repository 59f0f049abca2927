//! G. Hostile load: half-open connections that dribble one header byte a second and are
//! reopened as soon as the server closes them, (a) 2,000 from one address, (b) 2,000 spread
//! over 200 addresses, while another address makes a plain request every 100 ms and follows a
//! file written at 50 lines/s. Prints the legitimate side's success and latency, and the
//! server's threads, RSS and CPU; misses of the targets are recorded as failures.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};

use socket2::{Domain, Socket, Type};

use super::*;

/// The attacker's sockets in each phase.
const SOCKETS: usize = 2000;
/// How long each attack phase lasts.
const PHASE: Duration = Duration::from_secs(20);
/// The legitimate client's address; attackers use 127.0.1.x.
const LEGIT: [u8; 4] = [127, 0, 0, 1];
/// What the attacker dribbles: a request head that never ends.
const DRIBBLE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

pub fn scenario_g(work: &Path) -> String {
    raise_nofile();
    let dir = work.join("g");
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("g.log");
    File::create(&log).unwrap();
    let srv = Server::start(&dir, &[]);
    let mut parts = Vec::new();
    let base = phase(&srv, &log, None, Duration::from_secs(5));
    parts.push(format!("baseline: {}", base.describe()));
    let one = phase(&srv, &log, Some(vec![[127, 0, 1, 1]]), PHASE);
    parts.push(format!("(a) 2,000 from one address: {}", one.describe()));
    let many = (1..=200).map(|n| [127, 0, 2, n as u8]).collect();
    let spread = phase(&srv, &log, Some(many), PHASE);
    parts.push(format!(
        "(b) 2,000 over 200 addresses: {}",
        spread.describe()
    ));
    let recovery = recovery(&srv);
    parts.push(format!(
        "after the flood: a request answered in {:.0} ms",
        recovery * 1000.0
    ));
    let limit_threads = 256 + 64;
    check(
        one.answered() >= 99.0,
        "G(a): ≥ 99 % of legitimate requests answered",
    );
    check(one.p99_ms < 200.0, "G(a): legitimate p99 < 200 ms");
    check(one.follow_p99_ms < 50.0, "G(a): follower p99 < 50 ms");
    check(
        spread.answered() >= 90.0,
        "G(b): ≥ 90 % of legitimate requests answered",
    );
    for p in [&one, &spread] {
        check(p.peak_rss_mb < 64.0, "G: server RSS < 64 MB");
        check(
            p.peak_threads < limit_threads,
            "G: threads < max-clients + 64",
        );
        check(
            p.follow_exact,
            "G: the follower lost, duplicated or reordered no line",
        );
    }
    check(
        recovery < 1.0,
        "G: recovers within a second of the flood stopping",
    );
    format!("G. hostile load — {}", parts.join("; "))
}

/// What one phase measured.
struct Phase {
    sent: u64,
    ok: u64,
    p50_ms: f64,
    p99_ms: f64,
    follow_p99_ms: f64,
    follow_exact: bool,
    peak_threads: u64,
    peak_rss_mb: f64,
    cpu_pct: f64,
    opened: u64,
}

impl Phase {
    fn answered(&self) -> f64 {
        self.ok as f64 / self.sent.max(1) as f64 * 100.0
    }

    fn describe(&self) -> String {
        format!(
            "{}/{} requests answered ({:.1} %), p50 {:.1} ms, p99 {:.1} ms; follower p99 {:.1} ms{}; \
             server peak {} threads, {:.1} MB RSS, CPU {:.0} %; attacker opened {} connections",
            self.ok,
            self.sent,
            self.answered(),
            self.p50_ms,
            self.p99_ms,
            self.follow_p99_ms,
            if self.follow_exact {
                ""
            } else {
                " (LINES LOST)"
            },
            self.peak_threads,
            self.peak_rss_mb,
            self.cpu_pct,
            self.opened
        )
    }
}

/// Runs the legitimate client, the follower and (when given sources) the flood for `length`.
fn phase(srv: &Server, log: &Path, sources: Option<Vec<[u8; 4]>>, length: Duration) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicU64::new(0));
    let flood = sources.map(|s| attack(srv.addr, s, stop.clone(), opened.clone()));
    thread::sleep(Duration::from_millis(500)); // let the flood build up
    let follower = follow(srv, log, length);
    let cpu0 = srv.cpu();
    let started = Instant::now();
    let (mut sent, mut ok, mut lat) = (0u64, 0u64, Vec::new());
    let (mut peak_threads, mut peak_rss) = (0u64, 0.0f64);
    while started.elapsed() < length {
        let t = Instant::now();
        sent += 1;
        if legit_request(srv.addr) {
            ok += 1;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        peak_threads = peak_threads.max(srv.status("Threads:"));
        peak_rss = peak_rss.max(srv.rss_mb());
        thread::sleep(Duration::from_millis(100).saturating_sub(t.elapsed()));
    }
    let cpu = (srv.cpu() - cpu0).as_secs_f64() / started.elapsed().as_secs_f64() * 100.0;
    stop.store(true, Ordering::Release);
    if let Some(f) = flood {
        f.join().unwrap();
    }
    let (follow_p99_ms, follow_exact) = follower.join().unwrap();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Phase {
        sent,
        ok,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        follow_p99_ms,
        follow_exact,
        peak_threads,
        peak_rss_mb: peak_rss,
        cpu_pct: cpu,
        opened: opened.load(Ordering::Acquire),
    }
}

/// A plain page request from the legitimate address; true when it got a 200 within 2 s.
fn legit_request(addr: SocketAddr) -> bool {
    let Ok(mut s) = connect_from(LEGIT, addr, false) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    if s.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out.starts_with(b"HTTP/1.1 200")
}

/// Follows `log` while a writer appends 50 stamped lines a second; returns the p99 latency
/// and whether every line arrived once, in order.
fn follow(srv: &Server, log: &Path, length: Duration) -> JoinHandle<(f64, bool)> {
    let mut ws = srv.connect(log, "tail=1&lines=0");
    let log = log.to_path_buf();
    thread::spawn(move || {
        let t0 = Instant::now();
        let count = (length.as_millis() / 20) as u64;
        let writer = thread::spawn(move || {
            let mut f = append(&log);
            for seq in 0..count {
                f.write_all(stamped(seq, t0).as_bytes()).unwrap();
                thread::sleep(Duration::from_millis(20));
            }
        });
        let (mut lat, mut next, mut exact) = (Vec::new(), 0u64, true);
        read_lines(&mut ws, |l| {
            if let Some((seq, t)) = parse_stamp(l) {
                exact &= seq == next;
                next = seq + 1;
                lat.push((t0.elapsed().as_nanos() - t) as f64 / 1e6);
            }
            next >= count
        });
        writer.join().unwrap();
        lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (percentile(&lat, 0.99), exact && next == count)
    })
}

/// Seconds until a legitimate request succeeds once the flood has stopped.
fn recovery(srv: &Server) -> f64 {
    let t = Instant::now();
    while !legit_request(srv.addr) && t.elapsed() < Duration::from_secs(10) {}
    t.elapsed().as_secs_f64()
}

/// The flood: `SOCKETS` non-blocking sockets from `sources` in turn, each sending one byte
/// of a never-ending head a second, reopened as soon as the server answers or closes.
fn attack(
    to: SocketAddr,
    sources: Vec<[u8; 4]>,
    stop: Arc<AtomicBool>,
    opened: Arc<AtomicU64>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut socks: Vec<Option<(TcpStream, usize, Instant)>> =
            (0..SOCKETS).map(|_| None).collect();
        let mut buf = [0u8; 1024];
        while !stop.load(Ordering::Acquire) {
            let now = Instant::now();
            for (i, slot) in socks.iter_mut().enumerate() {
                if let Some((s, sent, next)) = slot {
                    let mut closed = match s.read(&mut buf) {
                        Err(e) => e.kind() != ErrorKind::WouldBlock,
                        Ok(_) => true, // an answer (503, 408) or the end: the server let go
                    };
                    if !closed && now >= *next {
                        let byte = &DRIBBLE[*sent % DRIBBLE.len()..][..1];
                        match s.write(byte) {
                            Ok(_) => *sent += 1,
                            Err(e) => closed = e.kind() != ErrorKind::WouldBlock,
                        }
                        *next = now + Duration::from_secs(1);
                    }
                    if closed {
                        *slot = None;
                    }
                }
                if slot.is_none() {
                    let src = sources[i % sources.len()];
                    if let Ok(s) = connect_from(src, to, true) {
                        opened.fetch_add(1, Ordering::Relaxed);
                        *slot = Some((s, 0, now));
                    }
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
    })
}

/// A TCP connection from `src`; a non-blocking one returns while the connect is under way.
fn connect_from(src: [u8; 4], to: SocketAddr, nonblocking: bool) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((src, 0)).into())?;
    if nonblocking {
        socket.set_nonblocking(true)?;
        match socket.connect(&to.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(115) => {} // EINPROGRESS
            Err(e) => return Err(e),
        }
    } else {
        socket.connect_timeout(&to.into(), Duration::from_secs(2))?;
    }
    Ok(socket.into())
}

/// The attacker needs more than the default 1,024 descriptors.
fn raise_nofile() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { maximum, .. } = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: maximum,
            maximum,
        },
    );
}
