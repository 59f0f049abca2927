//! Standard input as a file (`logview -`): a thread drains the pipe into a spool file in a
//! private directory (mode 0700 under `$TMPDIR`), served at the path `/-`, so history,
//! following, resume, scroll-back, search and the timeline need no special case.
//!
//! Guarantees: the pipe is read continuously (a writer waits only for the disk write); the
//! spool holds about `--stdin-max-bytes` at most (plus a read chunk or two): past half of it
//! the spool is rotated at a line end (`stdin` → `stdin.1`, the older half deleted), which
//! followers see as a rotation, and input without line ends is cut at the whole allowance;
//! the end of input is
//! recorded for the streams to tell. Spools of earlier runs whose process is gone are removed
//! at start-up (a process killed by a signal cannot remove its own).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use log::{info, warn};

/// Where standard input is served.
pub const URL_PATH: &str = "/-";
/// Spool directories are named this, then the process id.
const PREFIX: &str = "logview-stdin-";
/// Bytes read from the pipe at a time.
const CHUNK: usize = 64 * 1024;

/// The spool of standard input.
#[derive(Debug)]
pub struct Spool {
    /// The private directory (a hidden root of the sandbox).
    pub dir: PathBuf,
    /// The file being written: what `/-` names.
    pub path: PathBuf,
    ended: AtomicBool,
}

impl Spool {
    /// Creates the spool directory and its empty file.
    pub fn create() -> io::Result<Arc<Spool>> {
        let tmp = std::env::temp_dir();
        remove_stale(&tmp);
        let dir = tmp.join(format!("{PREFIX}{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        DirBuilder::new().mode(0o700).create(&dir)?;
        let dir = dir.canonicalize()?;
        let path = dir.join("stdin");
        File::create(&path)?;
        Ok(Arc::new(Spool {
            dir,
            path,
            ended: AtomicBool::new(false),
        }))
    }

    /// True once standard input has ended.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Drains `input` into the spool on a thread of its own, keeping at most `max` bytes.
    pub fn start(self: &Arc<Self>, input: impl Read + Send + 'static, max: u64) {
        let spool = self.clone();
        let spawned = std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                match spool.drain(input, max) {
                    Ok(total) => info!("standard input ended after {total} bytes"),
                    Err(e) => warn!("standard input: {e}; serving what was read"),
                }
                spool.ended.store(true, Ordering::Release);
            });
        if let Err(e) = spawned {
            warn!("standard input cannot be read: {e}");
            self.ended.store(true, Ordering::Release);
        }
    }

    fn drain(&self, mut input: impl Read, max: u64) -> io::Result<u64> {
        let mut out = OpenOptions::new().append(true).open(&self.path)?;
        let (mut buf, mut held, mut total) = (vec![0u8; CHUNK], 0u64, 0u64);
        let mut at_line_end = true;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = &buf[..n];
            // Once half the allowance is used, rotate at the first line end from here on: the
            // new spool starts with what arrives now (never empty after a rotation).
            // Input without line ends is cut anyway at the whole allowance.
            let cut = match (held >= max / 2, at_line_end) {
                (false, _) => None,
                (true, true) => Some(0),
                (true, false) if held >= max => Some(0),
                (true, false) => memchr::memchr(b'\n', chunk).map(|i| i + 1),
            };
            match cut {
                Some(c) => {
                    out.write_all(&chunk[..c])?;
                    out = self.rotate()?;
                    out.write_all(&chunk[c..])?;
                    held = (n - c) as u64;
                }
                None => {
                    out.write_all(chunk)?;
                    held += n as u64;
                }
            }
            at_line_end = chunk.last() == Some(&b'\n');
            total += n as u64;
        }
    }

    /// `stdin` becomes `stdin.1` (the older half goes) and a new `stdin` is begun. The older
    /// half is deleted on a thread of its own: freeing half a GiB of cached pages takes
    /// hundreds of milliseconds, which the pipe's writer must not wait for.
    fn rotate(&self) -> io::Result<File> {
        let (older, gone) = (self.dir.join("stdin.1"), self.dir.join("stdin.0"));
        if fs::rename(&older, &gone).is_ok() {
            let removed = std::thread::Builder::new()
                .name("stdin-rm".into())
                .spawn(move || fs::remove_file(gone));
            if let Err(e) = removed {
                warn!("cannot start a thread to delete the older spool: {e}");
            }
        }
        fs::rename(&self.path, older)?;
        OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&self.path)
    }

    /// `/-` as the spool's path; any other path as it is.
    pub fn alias<'a>(&'a self, path: &'a Path) -> &'a Path {
        if path == Path::new(URL_PATH) {
            &self.path
        } else {
            path
        }
    }
}

/// Removes the spool directories of processes that no longer run.
fn remove_stale(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX));
        if let Some(pid) = pid.filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}
