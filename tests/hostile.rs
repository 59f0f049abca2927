//! Hostile and broken peers: garbage and oversized handshakes, slowloris, silent clients
//! (heartbeat), clients that stop reading (bounded memory), connection churn (no thread
//! leaks) and many concurrent clients. The server keeps serving everyone else throughout.
mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn garbage_and_oversized_heads_are_refused_and_the_server_lives_on() {
    let dir = TempDir::new("garbage");
    let log = dir.write("a.log", "fine\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), "HTTP/1.1 400"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
        ),
        (
            [
                b"GET /".as_slice(),
                &vec![b'a'; 20_000],
                b" HTTP/1.1\r\n\r\n",
            ]
            .concat(),
            "HTTP/1.1 431",
        ),
        (
            format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(3000)).into_bytes(),
            "HTTP/1.1 431",
        ),
        (
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
            "HTTP/1.1 4",
        ),
    ];
    for (bytes, want) in cases {
        let resp = srv.raw(&bytes);
        assert!(resp.starts_with(want), "{want}: got {resp:?}");
    }
    let mut empty = TcpStream::connect(srv.addr).unwrap();
    empty.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = Vec::new();
    empty.read_to_end(&mut out).unwrap();
    assert!(
        out.is_empty(),
        "a connection closed before a request is simply closed"
    );
    assert_eq!(read_to_close(&mut srv.connect(&log, "")).text, "fine\n");
}

#[test]
fn slowloris_is_timed_out_without_blocking_others() {
    let dir = TempDir::new("slowloris");
    let log = dir.write("a.log", "fine\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let partial = |src| {
        let mut s = srv.connect_from(src);
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    };
    // One address may keep 16 connections waiting for their head; the 17th is told why.
    let mut slow: Vec<TcpStream> = (0..16).map(|_| partial([127, 0, 0, 1])).collect();
    for _ in 0..4 {
        let mut out = String::new();
        partial([127, 0, 0, 1]).read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 503"), "{out}");
        assert!(out.contains("Retry-After: 1\r\n"), "{out}");
        assert!(
            out.contains("too many connections waiting from your address"),
            "{out}"
        );
    }
    slow.push(srv.connect_from([127, 0, 0, 3]));
    let mut ws = srv.connect_ws_from([127, 0, 0, 2], &log, "");
    assert_eq!(
        read_to_close(&mut ws).text,
        "fine\n",
        "others are served meanwhile"
    );
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out)
            .expect("the server closes the connection");
        assert!(out.starts_with("HTTP/1.1 408"), "{out}");
        assert!(out.contains("request head not received in time"), "{out}");
    }
    srv.wait_log(
        "(request head too slow); most from 127.0.0.1 (16)",
        Duration::from_secs(5),
    );
}

/// The frames a server sent on a raw upgraded connection (after the 101 head), as
/// (opcode, payload). Server frames are never masked.
fn server_frames(raw: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let head = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let mut rest = &raw[head.expect("a response head") + 4..];
    let mut frames = Vec::new();
    while !rest.is_empty() {
        assert!(
            rest.len() >= 2 && rest[1] & 0x80 == 0,
            "a server frame: {rest:?}"
        );
        let (len, at) = match rest[1] & 0x7f {
            126 => (u16::from_be_bytes([rest[2], rest[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(rest[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let payload = rest.get(at..at + len).expect("a whole frame");
        frames.push((rest[0] & 0x0f, payload.to_vec()));
        rest = &rest[at + len..];
    }
    frames
}

/// The code and reason of the close frame that ends `frames`.
fn close_of(frames: &[(u8, Vec<u8>)]) -> (u16, String) {
    let (op, payload) = frames.last().expect("frames");
    assert_eq!(*op, 8, "the last frame is a close: {frames:?}");
    assert!(payload.len() >= 2, "a close frame with a code");
    let code = u16::from_be_bytes([payload[0], payload[1]]);
    (code, String::from_utf8(payload[2..].to_vec()).unwrap())
}

#[test]
fn a_silent_peer_is_dropped_after_two_heartbeats() {
    let dir = TempDir::new("heartbeat");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&["--heartbeat", "1", dir.0.to_str().unwrap()]);
    let baseline = srv.threads();
    // A raw upgrade whose client never answers pings.
    let mut s = srv.raw_upgrade(&log, "tail=1");
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let started = Instant::now();
    let mut all = Vec::new();
    s.read_to_end(&mut all)
        .expect("the server ends the connection");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "not before two intervals"
    );
    let text = String::from_utf8_lossy(&all);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    let frames = server_frames(&all);
    assert!(
        frames.iter().any(|(op, p)| *op == 9 && p.is_empty()),
        "pings were sent: {frames:?}"
    );
    assert_eq!(close_of(&frames), (1001, "heartbeat timeout".to_string()));
    srv.wait_log("heartbeat timeout", Duration::from_secs(5));
    wait_for("the session thread to end", Duration::from_secs(10), || {
        srv.threads() <= baseline
    });
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_memory_stays_bounded() {
    let dir = TempDir::new("slowreader");
    let log = dir.write("a.log", "");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let stalled = srv.connect(&log, "tail=1"); // never read again
    let mut reader = srv.connect(&log, "tail=1");
    let line = format!("{}\n", "y".repeat(199));
    let block = line.repeat(5000); // 1 MB
    let rss_before = srv.rss_kib();
    let bound = rss_before + 16 * 1024;
    // RSS is sampled all along, while the stalled client's 60 MB are in flight: written to
    // the file, read by its session (which must wait for the socket, not queue), until the
    // write deadline drops it. Queuing for it would show as tens of MB before the drop.
    let sampling = AtomicBool::new(true);
    let (max_rss, samples) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let check = |when: &str| {
        let (max, n) = (
            max_rss.load(Ordering::SeqCst),
            samples.load(Ordering::SeqCst),
        );
        assert!(n > 0, "RSS was sampled");
        assert!(
            max < bound,
            "RSS grew from {rss_before} to {max} KiB for 60 MB written ({n} samples {when})"
        );
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            while sampling.load(Ordering::SeqCst) {
                max_rss.fetch_max(srv.rss_kib(), Ordering::SeqCst);
                samples.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let _stop = StopOnDrop(&sampling);
        for _ in 0..60 {
            dir.append("a.log", &block);
        }
        let got = read_until(&mut reader, Duration::from_secs(60), |r| {
            r.text.len() >= 60 * block.len()
        });
        assert_eq!(
            got.text.len(),
            60 * block.len(),
            "the reading client got everything"
        );
        check("until the reading client had everything");
        // Waiting for the stalled client costs (almost) no CPU: its session backs off.
        let before = cpu_ticks(srv.pid());
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_ticks(srv.pid()) - before;
        assert!(
            used < 60,
            "{used} ticks of CPU in 2 s while a client is stalled"
        );
        srv.wait_log("client too slow, dropped", Duration::from_secs(30));
        check("until the stalled client was dropped");
    });
    drop(stalled);
}

/// Clears the flag when dropped, so a failed assertion also stops the sampler.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

#[test]
fn a_thousand_connections_leave_no_threads_behind() {
    let dir = TempDir::new("churn");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let baseline = srv.threads();
    std::thread::scope(|s| {
        for t in 0..10 {
            let (srv, log) = (&srv, &log);
            s.spawn(move || {
                for i in 0..100 {
                    let mut ws = srv.connect(log, "tail=1");
                    if (t + i) % 2 == 0 {
                        ws.close(None).unwrap();
                        let _ = read_to_close(&mut ws);
                    } // the others just drop the TCP connection
                }
            });
        }
    });
    wait_for("threads back to baseline", Duration::from_secs(20), || {
        srv.threads() <= baseline
    });
}

#[test]
fn many_concurrent_clients_each_get_every_line() {
    let dir = TempDir::new("many");
    let log = dir.write("a.log", "");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut clients: Vec<Ws> = (0..120)
        .map(|_| {
            let mut ws = srv.connect(&log, "tail=1&meta=1");
            read_until(&mut ws, Duration::from_secs(10), |r| !r.events.is_empty());
            ws
        })
        .collect();
    for i in 0..100 {
        dir.append("a.log", format!("line {i}\n"));
    }
    let want: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    for ws in clients.iter_mut() {
        assert_eq!(
            read_until(ws, Duration::from_secs(20), |r| r.text.lines().count()
                >= 100)
            .lines(),
            want
        );
    }
}

#[test]
fn oversized_or_broken_client_frames_end_the_session_with_a_reason() {
    let dir = TempDir::new("frames");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);

    // Up to 64 KiB a message (and a frame) is fine: the session goes on.
    let mut ws = srv.connect(&log, "tail=1");
    assert_eq!(read_lines(&mut ws, 1).text, "x\n");
    ws.send(Message::text("y".repeat(60 * 1024))).unwrap();
    dir.append("a.log", "after a 60 KiB message\n");
    assert_eq!(read_lines(&mut ws, 1).text, "after a 60 KiB message\n");

    let mut ws = srv.connect(&log, "tail=1");
    ws.send(Message::text("y".repeat(100 * 1024))).unwrap();
    let got = read_to_close(&mut ws);
    assert_eq!(
        got.close,
        Some((1009, "message too big".into())),
        "a 100 KiB client message"
    );

    // A frame with a reserved opcode, sent raw after a real handshake.
    let mut s = srv.raw_upgrade(&log, "tail=1");
    s.write_all(&[0x83, 0x80, 1, 2, 3, 4]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    assert_eq!(
        close_of(&server_frames(&all)),
        (1002, "protocol error".to_string())
    );
    srv.wait_log("protocol error", Duration::from_secs(5));
}

#[test]
fn running_out_of_descriptors_sheds_waiting_connections_and_recovers() {
    let dir = TempDir::new("nofile");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start_limited(40, &[dir.0.to_str().unwrap()]);
    // Silent connections each hold a descriptor for the 5 s handshake timeout: more of them
    // than the server may open (from four addresses, each within its share) leaves accept()
    // failing with EMFILE; the server then sheds waiting connections instead of spinning.
    let held: Vec<TcpStream> = (1..=4)
        .flat_map(|n| (0..15).map(move |_| [127, 0, 0, n]))
        .filter_map(|src| support::connect_from(src, srv.addr).ok())
        .collect();
    srv.wait_log("out of descriptors", Duration::from_secs(10));
    let cpu = cpu_ticks;
    let before = cpu(srv.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu(srv.pid()) - before;
    assert!(
        used < 50,
        "the accept loop must not spin on EMFILE ({used} ticks of CPU in 1 s)"
    );
    drop(held);
    let mut ok = false;
    for _ in 0..100 {
        if srv.handshake_status(&log, "", None) == 101 {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ok, "serves again once descriptors are free");
}

#[test]
fn a_peer_silent_for_less_than_two_heartbeats_is_kept() {
    let dir = TempDir::new("heartbeat-kept");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&["--heartbeat", "2", dir.0.to_str().unwrap()]);
    let mut ws = srv.connect(&log, "tail=1");
    // Silent for 1.5 heartbeats: within the 4 s the server allows.
    std::thread::sleep(Duration::from_secs(3));
    dir.append("a.log", "still here\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.text.contains("still here") || r.close.is_some()
    });
    assert_eq!(got.close, None, "not dropped");
    assert_eq!(got.text, "x\nstill here\n");
}
