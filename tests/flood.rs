//! Hostile load: connections that never finish their request head cost no thread, no address
//! holds more than its share of the waiting pool, a full pool sheds the most crowded address,
//! refusals say why (503, Retry-After), the limits are logged at start-up, and everyone else
//! (other addresses, open sessions) is served throughout and after.
mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::*;

/// A connection from `src` that has sent half a request head.
fn half_open(srv: &Server, src: [u8; 4]) -> TcpStream {
    let mut s = srv.connect_from(src);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

/// Everything the server sends before it closes.
fn answer(s: &mut TcpStream) -> String {
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// True when the server has said nothing on `s` yet (it still waits for the head). Call it
/// after a request made after `s` was opened has been answered: the reception takes
/// connections in order, so by then it has refused `s` if it ever will.
fn still_waiting(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 1];
    let waiting = matches!(s.peek(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    s.set_nonblocking(false).unwrap();
    waiting
}

#[test]
fn a_flood_from_one_address_neither_costs_threads_nor_stops_others() {
    let dir = TempDir::new("flood-one");
    let log = dir.write("a.log", "first\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut follower = srv.connect_ws_from([127, 0, 0, 2], &log, "tail=1&lines=0");
    // Counted once the follower follows (its file's watcher thread runs).
    dir.append("a.log", "before the flood\n");
    assert_eq!(read_lines(&mut follower, 1).text, "before the flood\n");
    let threads = srv.threads();
    let mut flood: Vec<TcpStream> = (0..300).map(|_| half_open(&srv, [127, 0, 0, 5])).collect();
    assert_eq!(
        srv.get_from([127, 0, 0, 6], "/").0,
        200,
        "another address is served"
    );
    // Its share waits; the rest is refused at once, with a reason to retry later.
    let (waiting, refused): (Vec<_>, Vec<_>) = flood.iter_mut().partition(|s| still_waiting(s));
    assert_eq!(waiting.len(), 16, "one address holds 16 waiting places");
    for s in refused {
        let out = answer(s);
        assert!(
            out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{out}"
        );
        assert!(out.contains("Retry-After: 1\r\n"), "{out}");
        assert!(out.ends_with("too many connections waiting from your address, try again later\n"));
    }
    // The answered requests' threads end as they finish: wait for that, not a fixed time.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while srv.threads() > threads + 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        srv.threads() <= threads + 1,
        "waiting connections need no thread"
    );
    assert_eq!(
        srv.get_from([127, 0, 0, 6], "/").0,
        200,
        "another address is served"
    );
    dir.append("a.log", "during the flood\n");
    assert_eq!(read_lines(&mut follower, 1).text, "during the flood\n");
    srv.wait_log(
        "(too many waiting connections from the address); most from 127.0.0.5",
        Duration::from_secs(5),
    );
}

#[test]
fn a_full_pool_sheds_the_most_crowded_address_never_a_newcomer() {
    let dir = TempDir::new("flood-full");
    dir.write("a.log", "x\n");
    let srv = Server::start(&["--max-pending", "20", dir.0.to_str().unwrap()]);
    let (crowded, other) = ([127, 0, 0, 7], [127, 0, 0, 8]);
    let mut crowd: Vec<TcpStream> = (0..12).map(|_| half_open(&srv, crowded)).collect();
    let mut few: Vec<TcpStream> = (0..8).map(|_| half_open(&srv, other)).collect();
    // A newcomer from an address that holds nothing is served; the crowd pays for it.
    assert_eq!(srv.get_from([127, 0, 0, 9], "/").0, 200);
    assert!(
        few.iter().all(still_waiting),
        "the address with fewer keeps them"
    );
    let shed: Vec<String> = crowd
        .iter_mut()
        .filter(|s| !still_waiting(s))
        .map(answer)
        .collect();
    assert_eq!(shed.len(), 1, "exactly one of the crowd was shed");
    assert!(shed[0].starts_with("HTTP/1.1 503"), "{}", shed[0]);
    // Full again (12 + 8); a newcomer from the most crowded address is the one refused,
    // although it is within its share.
    few.push(half_open(&srv, other));
    let mut more = half_open(&srv, crowded);
    assert!(answer(&mut more).starts_with("HTTP/1.1 503"));
    assert_eq!(srv.get_from([127, 0, 0, 9], "/").0, 200);
    assert!(few.iter().all(still_waiting));
}

#[test]
fn behind_a_trusted_proxy_its_address_has_no_share() {
    let dir = TempDir::new("flood-proxy");
    dir.write("a.log", "x\n");
    let srv = Server::start(&["--trust-proxy", dir.0.to_str().unwrap()]);
    srv.wait_log(
        "4096 waiting connections (no share per address)",
        Duration::from_secs(5),
    );
    let held: Vec<TcpStream> = (0..40).map(|_| half_open(&srv, [127, 0, 0, 1])).collect();
    assert!(
        held.iter().all(still_waiting),
        "the proxy may hold more than 16"
    );
    assert_eq!(srv.get("/").0, 200);
}

#[test]
fn limits_are_logged_at_start_and_cut_to_the_descriptor_limit() {
    let dir = TempDir::new("flood-limits");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    srv.wait_log("descriptor limit: ", Duration::from_secs(5));
    srv.wait_log(
        "limits: 256 WebSocket clients, 4096 waiting connections (16 per address)",
        Duration::from_secs(5),
    );
    drop(srv);
    let small = Server::start_limited(600, &[dir.0.to_str().unwrap()]);
    small.wait_log("descriptor limit: 600", Duration::from_secs(5));
    small.wait_log("waiting pool cut to", Duration::from_secs(5));
    small.wait_log("--max-clients cut to", Duration::from_secs(5));
    assert_eq!(small.get("/").0, 200);
}

#[test]
fn a_flood_from_many_addresses_degrades_evenly_and_recovers() {
    let dir = TempDir::new("flood-many");
    let log = dir.write("a.log", "x\n");
    let srv = Server::start(&["--max-pending", "200", dir.0.to_str().unwrap()]);
    let mut flood: Vec<TcpStream> = (10..60u8)
        .flat_map(|n| std::iter::repeat_n([127, 0, 1, n], 8))
        .map(|src| half_open(&srv, src))
        .collect();
    for n in 0..10u8 {
        let (status, _) = srv.get_from([127, 0, 2, n], "/");
        assert_eq!(
            status, 200,
            "a new address is served while the pool is full"
        );
    }
    let waiting: Vec<bool> = flood.iter().map(still_waiting).collect();
    // The first newcomer took a flood connection's place, then left with its answer.
    assert_eq!(
        waiting.iter().filter(|w| **w).count(),
        199,
        "the pool was full"
    );
    // Evenly: each of the 50 addresses keeps about 200 / 50 places.
    let per_address: Vec<usize> = waiting
        .chunks(8)
        .map(|c| c.iter().filter(|w| **w).count())
        .collect();
    assert!(
        per_address.iter().all(|&n| (3..=5).contains(&n)),
        "{per_address:?}"
    );
    flood.clear();
    // Once the flood stops, its own addresses are served again at once.
    assert_eq!(srv.get_from([127, 0, 1, 10], "/").0, 200);
    let mut ws = srv.connect_ws_from([127, 0, 1, 11], &log, "");
    assert_eq!(read_to_close(&mut ws).text, "x\n");
}

/// A 4 GiB file without a newline, sparse: a scan for its last lines reads all of it.
fn huge_sparse(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.path("huge.log");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    path
}

#[test]
fn a_huge_history_is_not_scanned_for_a_full_server_or_a_departed_client() {
    let dir = TempDir::new("flood-scan");
    let small = dir.write("a.log", "x\n");
    let huge = huge_sparse(&dir);
    let srv = Server::start(&["--max-clients", "1", dir.0.to_str().unwrap()]);
    let held = srv.connect(&small, "tail=1");
    let cpu = || cpu_ticks(srv.pid());
    let before = cpu();
    let status = srv.handshake_status(&huge, "lines=100000000000", None);
    assert_eq!(status, 503, "the client limit is checked first");
    assert!(
        cpu() - before < 50,
        "a refused request scans nothing ({} ticks)",
        cpu() - before
    );
    drop(held);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !srv.get("/_logview/api/status").1.contains("\"clients\":0") {
        assert!(
            std::time::Instant::now() < deadline,
            "the held client's place is freed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A client that leaves while its history is being looked for ends the scan.
    let s = srv.raw_upgrade(&huge, "lines=100000000000");
    s.shutdown(std::net::Shutdown::Both).unwrap();
    srv.wait_log("left before its answer", Duration::from_secs(10));
}
