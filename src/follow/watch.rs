//! Change notification shared by everyone following the same path: one poller thread per
//! path stats it adaptively (fast while it changes, backing off to `--poll-ms` when idle) and
//! wakes every follower when it changes; the same thread peeks at the followers' sockets and
//! wakes only the follower whose client sent something. Idle followers therefore sleep until
//! their next heartbeat, however many there are, yet answer a Close within [`SOCKET_CHECK`].
//!
//! Guarantees: a follower that reads the generation, polls its file, then waits never misses
//! a change; a poller ends shortly after its last follower leaves.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, Thread};
use std::time::{Duration, Instant, SystemTime};

use log::warn;

/// Fastest poll of a changing file.
const POLL_BUSY: Duration = Duration::from_millis(2);
/// Slowest poll of a changing file, whatever the number of followers.
const POLL_BUSY_MAX: Duration = Duration::from_millis(50);
/// How long a file counts as busy after it last changed.
const BUSY_FOR: Duration = Duration::from_secs(1);
/// How often followers' sockets are peeked at for client frames.
pub const SOCKET_CHECK: Duration = Duration::from_millis(250);

/// All watched paths.
#[derive(Default)]
pub struct Watches {
    map: Mutex<HashMap<PathBuf, Weak<Watch>>>,
}

/// One watched path and who follows it.
pub struct Watch {
    generation: AtomicU64,
    followers: Mutex<Vec<Arc<Follower>>>,
}

/// A thread following the path, and a second handle on its client's socket to peek at.
struct Follower {
    thread: Thread,
    socket: TcpStream,
    client_spoke: AtomicBool,
}

/// A follower's place at a watch; leaving is dropping it.
pub struct Subscription {
    watch: Arc<Watch>,
    me: Arc<Follower>,
}

/// What identifies the state of a path: `None` when it does not exist.
type Signature = Option<(u64, u64, u64, Option<SystemTime>)>;

impl Watches {
    /// Follows `path` from the calling thread, whose client is on `socket` (non-blocking).
    pub fn subscribe(
        self: &Arc<Self>,
        path: &Path,
        poll_max: Duration,
        socket: &TcpStream,
    ) -> io::Result<Subscription> {
        let me = Arc::new(Follower {
            thread: thread::current(),
            socket: socket.try_clone()?,
            client_spoke: AtomicBool::new(false),
        });
        let watch = self.watch(path, poll_max);
        watch.followers.lock().unwrap().push(me.clone());
        Ok(Subscription { watch, me })
    }

    /// The watch of `path`, starting its poller if nobody follows it yet.
    fn watch(self: &Arc<Self>, path: &Path, poll_max: Duration) -> Arc<Watch> {
        let mut map = self.map.lock().unwrap();
        if let Some(w) = map.get(path).and_then(Weak::upgrade) {
            return w;
        }
        let watch = Arc::new(Watch {
            generation: AtomicU64::new(0),
            followers: Mutex::default(),
        });
        map.insert(path.to_path_buf(), Arc::downgrade(&watch));
        let (all, w, p) = (self.clone(), watch.clone(), path.to_path_buf());
        let first = signature(path); // taken now: every later change is seen
        let spawned = thread::Builder::new()
            .name("watch".into())
            .stack_size(64 * 1024)
            .spawn(move || all.poll(&p, &w, first, poll_max));
        if let Err(e) = spawned {
            // Followers still poll on their own every few seconds; they only lose speed.
            warn!("cannot start a watcher thread: {e}");
        }
        watch
    }

    /// The poller of one path; returns once no follower holds its watch.
    fn poll(&self, path: &Path, watch: &Arc<Watch>, mut last: Signature, poll_max: Duration) {
        let mut last_change = Instant::now();
        let mut last_peek = Instant::now();
        let mut interval = POLL_BUSY;
        loop {
            thread::sleep(interval.min(SOCKET_CHECK));
            if self.unused(path, watch) {
                return;
            }
            let now = signature(path);
            if now != last {
                last = now;
                last_change = Instant::now();
                watch.generation.fetch_add(1, Ordering::AcqRel);
                watch
                    .followers
                    .lock()
                    .unwrap()
                    .iter()
                    .for_each(|f| f.thread.unpark());
            }
            if last_peek.elapsed() >= SOCKET_CHECK {
                watch.peek_sockets();
                last_peek = Instant::now();
            }
            interval = if last_change.elapsed() < BUSY_FOR {
                let followers = watch.followers.lock().unwrap().len() as u32;
                (POLL_BUSY.max(Duration::from_micros(100) * followers)).min(POLL_BUSY_MAX)
            } else {
                (interval * 2).min(poll_max)
            };
        }
    }

    /// True (and the path forgotten) when only the poller holds the watch. Decided under the
    /// map lock, so `subscribe` never hands out a watch whose poller has ended.
    fn unused(&self, path: &Path, watch: &Arc<Watch>) -> bool {
        let mut map = self.map.lock().unwrap();
        if Arc::strong_count(watch) > 1 {
            return false;
        }
        map.remove(path);
        true
    }
}

impl Watch {
    /// Wakes each follower whose socket has something to read (or has failed).
    fn peek_sockets(&self) {
        let mut byte = [0u8; 1];
        for f in self.followers.lock().unwrap().iter() {
            match f.socket.peek(&mut byte) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                _ => {
                    f.client_spoke.store(true, Ordering::Release);
                    f.thread.unpark();
                }
            }
        }
    }
}

impl Subscription {
    /// The current generation; read it before polling the file.
    pub fn generation(&self) -> u64 {
        self.watch.generation.load(Ordering::Acquire)
    }

    /// Sleeps until the generation differs from `seen`, the client sent something, or
    /// `timeout` passes.
    pub fn wait(&self, seen: u64, timeout: Duration) {
        wait_any(std::slice::from_ref(self), &[seen], timeout);
    }
}

/// Sleeps until one of the calling thread's subscriptions moves past its generation in
/// `seen`, the client sent something, or `timeout` passes (any of the watches wakes it).
pub fn wait_any(subs: &[Subscription], seen: &[u64], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let moved = || {
        // Every flag is cleared: one client's bytes wake the thread once.
        let spoke = subs
            .iter()
            .filter(|sub| sub.me.client_spoke.swap(false, Ordering::AcqRel))
            .count()
            > 0;
        spoke || subs.iter().zip(seen).any(|(sub, &g)| sub.generation() != g)
    };
    while !moved() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        thread::park_timeout(left);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.watch
            .followers
            .lock()
            .unwrap()
            .retain(|f| !Arc::ptr_eq(f, &self.me));
    }
}

fn signature(path: &Path) -> Signature {
    let m = fs::metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.len(), m.modified().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn followers_wake_on_file_changes_and_client_bytes_and_pollers_end() {
        let dir = std::env::temp_dir().join(format!("logview-watch-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.log");
        fs::write(&path, "a").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server_side, _) = listener.accept().unwrap();
        server_side.set_nonblocking(true).unwrap();

        let all = Arc::new(Watches::default());
        let sub = all
            .subscribe(&path, Duration::from_millis(50), &server_side)
            .unwrap();
        let seen = sub.generation();
        fs::write(&path, "ab").unwrap();
        sub.wait(seen, Duration::from_secs(10));
        assert_ne!(sub.generation(), seen, "woken by the change");

        let seen = sub.generation();
        client.write_all(b"x").unwrap();
        let t = Instant::now();
        sub.wait(seen, Duration::from_secs(10));
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "woken by the client's bytes"
        );

        drop(sub);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !all.map.lock().unwrap().is_empty() {
            assert!(
                Instant::now() < deadline,
                "the poller ends without followers"
            );
            thread::sleep(Duration::from_millis(20));
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
