//! The sandbox under a swap race: while a thread keeps exchanging a directory under the root
//! with a symlink to an outside directory, and a regular file with a FIFO, many WebSocket
//! history requests never get a line of the outside file, never get a FIFO opened as a log,
//! and never hang. Only the re-check of the opened descriptor (its real path through
//! `/proc/self/fd`, and that it is a regular file) closes the window between the path check
//! and the open.
mod support;
use std::ffi::{CString, c_char};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::*;
use tungstenite::stream::MaybeTlsStream;

/// The test stops after this many requests or this long, whichever comes first.
const REQUESTS: usize = 2_000;
const BUDGET: Duration = Duration::from_secs(10);

unsafe extern "C" {
    /// glibc's `renameat2(2)`: with `RENAME_EXCHANGE` it swaps two names atomically, so the
    /// swapped names always exist and every request meets one state or the other.
    fn renameat2(
        olddirfd: i32,
        oldpath: *const c_char,
        newdirfd: i32,
        newpath: *const c_char,
        flags: u32,
    ) -> i32;
}
const AT_FDCWD: i32 = -100;
const RENAME_EXCHANGE: u32 = 2;

fn exchange(a: &Path, b: &Path) {
    let a = CString::new(a.as_os_str().as_bytes()).unwrap();
    let b = CString::new(b.as_os_str().as_bytes()).unwrap();
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe { renameat2(AT_FDCWD, a.as_ptr(), AT_FDCWD, b.as_ptr(), RENAME_EXCHANGE) };
    assert_eq!(rc, 0, "renameat2: {}", std::io::Error::last_os_error());
}

/// Sets the flag when dropped, so a failed assertion also stops the swapper.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// One history request for `path`: `Ok(text)` after a 101 and a normal close, or `Err(status)`
/// for a refusal. A server that does not answer within 10 s fails the test.
fn history(srv: &Server, path: &Path) -> Result<String, u16> {
    let stream = TcpStream::connect(srv.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    match tungstenite::client(srv.ws_url(path, ""), MaybeTlsStream::Plain(stream)) {
        Ok((mut ws, _)) => {
            let got = read_to_close(&mut ws);
            assert_eq!(got.close, Some((1000, "end of history".into())), "{got:?}");
            Ok(got.text)
        }
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
            Err(resp.status().as_u16())
        }
        Err(e) => panic!("{}: no answer (the server hangs?): {e}", path.display()),
    }
}

#[test]
fn swapped_directories_and_fifos_never_leak_or_hang() {
    let dir = TempDir::new("sandboxrace");
    for d in ["root/d", "outside"] {
        std::fs::create_dir_all(dir.path(d)).unwrap();
    }
    dir.write("root/d/x.log", "inside\n");
    dir.write("outside/x.log", "SECRET\n");
    std::os::unix::fs::symlink(dir.path("outside"), dir.path("root/swap")).unwrap();
    dir.write("root/f.log", "inside\n");
    let made = Command::new("mkfifo")
        .arg(dir.path("root/fifo"))
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let root = dir.path("root");
    let srv = Server::start(&[root.to_str().unwrap()]);

    let stop = AtomicBool::new(false);
    let (mut served, mut refused) = (0, 0);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                exchange(&dir.path("root/d"), &dir.path("root/swap"));
                exchange(&dir.path("root/f.log"), &dir.path("root/fifo"));
            }
        });
        let started = Instant::now();
        for i in 0..REQUESTS {
            if started.elapsed() > BUDGET {
                break;
            }
            let name = ["root/d/x.log", "root/f.log"][i % 2];
            let path = dir.path(name);
            match history(&srv, &path) {
                Ok(text) => {
                    assert!(
                        !text.contains("SECRET"),
                        "request {i} read the outside file"
                    );
                    assert_eq!(text, "inside\n", "request {i} read something else");
                    served += 1;
                }
                Err(status) => {
                    assert_eq!(status, 403, "request {i}");
                    refused += 1;
                }
            }
        }
    });
    eprintln!("{served} served, {refused} refused");
    assert!(
        served > 0 && refused > 0,
        "the swaps raced the requests: {served} served, {refused} refused"
    );
}
