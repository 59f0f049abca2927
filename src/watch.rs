//! Change notification shared by everyone following the same path: one poller thread per
//! path stats it, adaptively (fast while it changes, backing off to `--poll-ms` when idle),
//! and wakes every follower when it changes. Idle followers then cost one wake-up per
//! [`IDLE_CHECK`] instead of one per poll, however many there are.
//!
//! Guarantees: a follower that reads the generation, polls its file, then waits for a newer
//! generation never misses a change; a poller ends shortly after its last follower leaves.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use log::warn;

/// Fastest poll of a changing file.
const POLL_BUSY: Duration = Duration::from_millis(5);
/// Slowest poll of a changing file, whatever the number of followers.
const POLL_BUSY_MAX: Duration = Duration::from_millis(50);
/// How long a file counts as busy after it last changed.
const BUSY_FOR: Duration = Duration::from_secs(1);
/// Longest a follower sleeps without looking at its client and its file.
pub const IDLE_CHECK: Duration = Duration::from_secs(1);

/// All watched paths.
#[derive(Default)]
pub struct Watches {
    map: Mutex<HashMap<PathBuf, Weak<Watch>>>,
}

/// One watched path.
pub struct Watch {
    generation: Mutex<u64>,
    changed: Condvar,
}

/// What identifies the state of a path: `None` when it does not exist.
type Signature = Option<(u64, u64, u64, Option<SystemTime>)>;

impl Watches {
    /// The watch of `path`, starting its poller if nobody follows it yet.
    pub fn subscribe(self: &Arc<Self>, path: &Path, poll_max: Duration) -> Arc<Watch> {
        let mut map = self.map.lock().unwrap();
        if let Some(w) = map.get(path).and_then(Weak::upgrade) {
            return w;
        }
        let watch = Arc::new(Watch {
            generation: Mutex::new(0),
            changed: Condvar::new(),
        });
        map.insert(path.to_path_buf(), Arc::downgrade(&watch));
        let (all, w, p) = (self.clone(), watch.clone(), path.to_path_buf());
        let first = signature(path); // before returning: later changes are all seen
        let spawned = thread::Builder::new()
            .name("watch".into())
            .stack_size(64 * 1024)
            .spawn(move || all.poll(&p, &w, first, poll_max));
        if let Err(e) = spawned {
            // Followers still look at their file every IDLE_CHECK; they only lose speed.
            warn!("cannot start a watcher thread: {e}");
        }
        watch
    }

    /// The poller of one path; returns once no follower holds its watch.
    fn poll(&self, path: &Path, watch: &Arc<Watch>, mut last: Signature, poll_max: Duration) {
        let mut last_change = Instant::now();
        let mut interval = POLL_BUSY;
        loop {
            thread::sleep(interval);
            if self.unused(path, watch) {
                return;
            }
            let now = signature(path);
            if now != last {
                last = now;
                last_change = Instant::now();
                watch.bump();
            }
            interval = if last_change.elapsed() < BUSY_FOR {
                let followers = Arc::strong_count(watch) as u32;
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
    /// The current generation; read it before polling the file.
    pub fn generation(&self) -> u64 {
        *self.generation.lock().unwrap()
    }

    /// Waits until the generation differs from `seen` or `timeout` passes; returns it.
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let guard = self.generation.lock().unwrap();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |g| *g == seen)
            .unwrap();
        *guard
    }

    fn bump(&self) {
        *self.generation.lock().unwrap() += 1;
        self.changed.notify_all();
    }
}

fn signature(path: &Path) -> Signature {
    let m = fs::metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.len(), m.modified().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_are_woken_by_a_change_and_pollers_end() {
        let dir = std::env::temp_dir().join(format!("logview-watch-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.log");
        fs::write(&path, "a").unwrap();
        let all = Arc::new(Watches::default());
        let w = all.subscribe(&path, Duration::from_millis(50));
        assert!(Arc::ptr_eq(
            &w,
            &all.subscribe(&path, Duration::from_millis(50))
        ));
        let seen = w.generation();
        fs::write(&path, "ab").unwrap();
        assert_ne!(
            w.wait(seen, Duration::from_secs(10)),
            seen,
            "woken by the change"
        );
        drop(w);
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
