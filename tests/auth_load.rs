//! Wrong passwords from many addresses at once: hashing is bounded by a small fair pool and a
//! global rate, so the excess gets 429 (`too many logins at once`, not the per-address
//! back-off's `too many failed attempts`) with Retry-After before any hashing, a login verified
//! earlier (cached) keeps succeeding throughout, and a new login gets through afterwards by
//! honouring Retry-After. Nothing here depends on how fast a hash is.
mod support;
use data_encoding::BASE64;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

/// Addresses guessing at once: well above the server's queue (16) plus its burst (20).
const ATTACKERS: usize = 96;
/// How long any one answer may take (see `login`).
const ANSWER_WITHIN: Duration = Duration::from_secs(120);
/// How long a correct login may take to get through after the flood, retries included.
const RECOVERY: Duration = Duration::from_secs(180);

/// A login as `user` from `ip` (as the trusted proxy reports it): (status, whole response).
/// A queued guess may wait for many debug-build hashes on a loaded machine, hence the long
/// read timeout (a hang still fails, with this message).
fn login(srv: &Server, user: &str, password: &str, ip: &str) -> (u16, String) {
    let auth = BASE64.encode(format!("{user}:{password}").as_bytes());
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    write!(
        s,
        "GET /_logview/api/status HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\n\
         X-Forwarded-For: {ip}\r\n\r\n",
        srv.addr
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp)
        .unwrap_or_else(|e| panic!("no answer to a login from {ip} within {ANSWER_WITHIN:?}: {e}"));
    (parse_response(&resp).0, resp)
}

/// Counts a finished attacker when dropped, so a failed one cannot leave the flood waiting.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn retry_after(resp: &str) -> Option<u64> {
    resp.lines()
        .find_map(|l| l.strip_prefix("Retry-After: "))
        .map(|v| {
            v.trim()
                .parse()
                .expect("Retry-After is a number of seconds")
        })
}

/// Runs the flood; meanwhile logs in with the cached credentials as often as it can.
/// An attacker's answer: status, Retry-After, body.
type Answer = (u16, Option<u64>, String);

/// Returns the attackers' answers, and the cached logins seen.
fn flood(srv: &Server) -> (Vec<Answer>, Vec<u16>) {
    let start = Barrier::new(ATTACKERS + 1);
    let done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let attackers: Vec<_> = (0..ATTACKERS)
            .map(|i| {
                let (start, done) = (&start, &done);
                s.spawn(move || {
                    start.wait();
                    let _finished = Finished(done);
                    let ip = format!("10.9.{}.{}", i / 200, i % 200 + 1);
                    let (status, resp) = login(srv, "alice", &format!("guess {i}"), &ip);
                    (status, retry_after(&resp), parse_response(&resp).1)
                })
            })
            .collect();
        start.wait();
        let (mut cached, mut slowest) = (Vec::new(), Duration::ZERO);
        while cached.is_empty() || done.load(Ordering::SeqCst) < ATTACKERS {
            let t = Instant::now();
            cached.push(login(srv, "alice", "pass-word-1", "10.1.0.1").0);
            slowest = slowest.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "{} cached logins during the flood, slowest {slowest:?}",
            cached.len()
        );
        let statuses = attackers.into_iter().map(|h| h.join().unwrap()).collect();
        (statuses, cached)
    })
}

#[test]
fn many_addresses_cannot_lock_out_logins() {
    let dir = TempDir::new("authload");
    dir.write("a.log", "x\n");
    let users = dir.write("users", hash_line("alice", "pass-word-1"));
    let srv = Server::start(&[
        "--trust-proxy",
        "--auth-file",
        users.to_str().unwrap(),
        dir.0.to_str().unwrap(),
    ]);
    assert_eq!(login(&srv, "alice", "pass-word-1", "10.1.0.1").0, 200);

    let (statuses, cached) = flood(&srv);
    assert!(
        cached.iter().all(|&s| s == 200),
        "a cached login never waits for the hashing pool: {cached:?}"
    );
    let refused: Vec<_> = statuses.iter().filter(|(s, ..)| *s == 429).collect();
    let hashed = statuses.iter().filter(|(s, ..)| *s == 401).count();
    eprintln!(
        "{hashed} guesses hashed, {} refused before hashing",
        refused.len()
    );
    assert_eq!(hashed + refused.len(), ATTACKERS, "{statuses:?}");
    assert!(hashed > 0, "some guesses are verified: {statuses:?}");
    assert!(!refused.is_empty(), "the excess is refused: {statuses:?}");
    assert!(
        refused
            .iter()
            .all(|(_, after, _)| after.is_some_and(|a| a >= 1)),
        "every 429 says when to retry: {refused:?}"
    );
    // Each address guessed once, so no 429 is its own back-off: the gate says it is busy.
    assert!(
        refused
            .iter()
            .all(|(.., body)| body == "too many logins at once, try again later\n"),
        "{refused:?}"
    );

    // A login nobody verified before gets through once the client honours Retry-After.
    let deadline = Instant::now() + RECOVERY;
    loop {
        let (status, resp) = login(&srv, "alice", "pass-word-1", "10.1.0.2");
        if status == 200 {
            break;
        }
        assert_eq!(status, 429, "{resp}");
        assert!(
            resp.ends_with("\r\n\r\ntoo many logins at once, try again later\n"),
            "the gate, not this address's back-off: {resp}"
        );
        assert!(Instant::now() < deadline, "the login never got through");
        std::thread::sleep(Duration::from_secs(retry_after(&resp).unwrap()));
    }
}
