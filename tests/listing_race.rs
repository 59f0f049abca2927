//! The listing API under a symlink swap: while a thread keeps replacing a name under the root
//! by a symlink to an outside file (and back), no listing ever reports the outside file's size
//! or modification time, because both are read from a descriptor checked to be under the roots.
mod support;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use support::*;

/// The outside file's size and mtime: values no file under the root has.
const SECRET_SIZE: u64 = 777_777;
const SECRET_MTIME: u64 = 1_000_000_000;
/// The test stops after this many listings or this long, whichever comes first.
const REQUESTS: usize = 2_000;
const BUDGET: Duration = Duration::from_secs(10);

/// Replaces `target` atomically (rename) by a hard link to `inside`, then by a symlink to
/// `outside`, and so on until `stop`.
fn swap_loop(stage: &Path, target: &Path, inside: &Path, outside: &Path, stop: &AtomicBool) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let _ = fs::remove_file(stage);
        let made = if n.is_multiple_of(2) {
            fs::hard_link(inside, stage)
        } else {
            symlink(outside, stage)
        };
        made.unwrap();
        fs::rename(stage, target).unwrap();
        n += 1;
    }
}

/// Sets the flag when dropped, so a failed assertion also stops the swap loop.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Panics if any listed entry (or the listed file itself) has the outside file's metadata.
fn assert_no_leak(body: &str) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    let mut all = vec![&v];
    all.extend(v["entries"].as_array().into_iter().flatten());
    for e in all {
        assert!(
            e["size"] != SECRET_SIZE && e["mtime"] != SECRET_MTIME,
            "outside metadata leaked: {e}"
        );
    }
}

#[test]
fn a_swapped_symlink_never_leaks_outside_metadata() {
    let dir = TempDir::new("listrace");
    fs::create_dir_all(dir.path("root")).unwrap();
    let inside = dir.write("root/inside.log", "fine\n");
    let secret = dir.write("secret", vec![b's'; SECRET_SIZE as usize]);
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(SECRET_MTIME);
    let f = fs::File::options().write(true).open(&secret).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(when))
        .unwrap();
    let (target, stage) = (dir.path("root/x.log"), dir.path("stage"));
    fs::hard_link(&inside, &target).unwrap();
    let srv = Server::start(&[dir.path("root").to_str().unwrap()]);
    let root_q = encode_path(&dir.path("root"));
    let file_q = encode_path(&target);
    let stop = AtomicBool::new(false);
    let (mut listed, mut answered) = (0, 0);
    std::thread::scope(|s| {
        s.spawn(|| swap_loop(&stage, &target, &inside, &secret, &stop));
        let _stop = StopOnDrop(&stop);
        let start = Instant::now();
        while listed < REQUESTS && start.elapsed() < BUDGET {
            let q = if listed.is_multiple_of(2) {
                &root_q
            } else {
                &file_q
            };
            let (status, body) = srv.get(&format!("/_logview/api/list?path={q}"));
            if status == 200 {
                assert_no_leak(&body);
                answered += 1;
            } else {
                assert!(matches!(status, 403 | 404), "{status} {body}");
            }
            listed += 1;
        }
    });
    eprintln!("{listed} listings, {answered} answered 200, none leaked");
    assert!(answered > 0, "no listing succeeded at all");
}
