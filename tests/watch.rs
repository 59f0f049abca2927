//! The file watchers: one poller thread per followed file, however many clients follow it,
//! ending with its last follower; and a line appended after the file has been idle arrives
//! within about `--poll-ms`.
mod support;
use std::time::{Duration, Instant};
use support::*;

/// Threads of the server named "watch": the pollers of followed files.
fn pollers(srv: &Server) -> usize {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", srv.pid())).unwrap();
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "watch")
        .count()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn follow(srv: &Server, path: &std::path::Path) -> Ws {
    let mut ws = srv.connect(path, "tail=1&meta=1");
    read_until(&mut ws, Duration::from_secs(10), |r| {
        r.event_names().contains(&"live".to_string())
    });
    ws
}

#[test]
fn one_poller_per_file_serves_all_its_followers() {
    let dir = TempDir::new("pollers");
    let a = dir.write("a.log", "");
    let b = dir.write("b.log", "");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    assert_eq!(pollers(&srv), 0);
    let mut on_a: Vec<Ws> = (0..20).map(|_| follow(&srv, &a)).collect();
    wait_for("a poller for a.log", || pollers(&srv) >= 1);
    assert_eq!(pollers(&srv), 1, "20 followers of one file, one poller");
    let mut on_b = [follow(&srv, &b), follow(&srv, &b)];
    wait_for("a poller for b.log", || pollers(&srv) >= 2);
    assert_eq!(pollers(&srv), 2, "one more file, one more poller");

    dir.append("a.log", "to a\n");
    dir.append("b.log", "to b\n");
    for ws in &mut on_a {
        assert_eq!(read_lines(ws, 1).text, "to a\n");
    }
    for ws in &mut on_b {
        assert_eq!(read_lines(ws, 1).text, "to b\n");
    }
    assert_eq!(pollers(&srv), 2);
    drop(on_a);
    drop(on_b);
    wait_for("the pollers to end with their followers", || {
        pollers(&srv) == 0
    });
}

#[test]
fn a_line_after_an_idle_spell_arrives_within_about_poll_ms() {
    let dir = TempDir::new("idle");
    let log = dir.write("a.log", "");
    let poll_ms = 200;
    let srv = Server::start(&["--poll-ms", &poll_ms.to_string(), dir.0.to_str().unwrap()]);
    let mut ws = follow(&srv, &log);
    let mut slowest = Duration::ZERO;
    for i in 0..3 {
        // Idle on purpose: the poller backs off to --poll-ms once the file has not changed
        // for a second.
        std::thread::sleep(Duration::from_millis(1500));
        let appended = Instant::now();
        dir.append("a.log", format!("line {i}\n"));
        assert_eq!(read_lines(&mut ws, 1).text, format!("line {i}\n"));
        slowest = slowest.max(appended.elapsed());
    }
    // Generous (5x), not a benchmark: without the poller waking its followers they would
    // read the file only every few seconds.
    assert!(
        slowest < Duration::from_millis(5 * poll_ms),
        "slowest idle line took {slowest:?} with --poll-ms {poll_ms}"
    );
}
