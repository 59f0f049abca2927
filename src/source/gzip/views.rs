//! The decompressed views the server keeps open, shared by every request: at most
//! [`MAX_VIEWS`] files, the least recently used dropped first, each keyed by the version of its
//! file, so the second request for a `.gz` reuses the restart points of the first.
//!
//! Guarantees: a view is only reused for the same file (device, inode) with the same size and
//! modification time; a file rewritten since gets a fresh view. The first pass of a new view
//! runs without the cache's lock held, once: a request for a file whose first pass is running
//! waits for it instead of decompressing the file again. At most one first pass per core runs
//! at once (each takes a core for about a second per GiB of text); more wait their turn. A
//! first pass whose client leaves stops (a request waiting for it then makes its own), and a
//! waiting request whose client leaves stops waiting.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use log::{debug, info};

use super::Gzip;
use crate::source::position::fnv1a;

/// Views kept at most.
pub const MAX_VIEWS: usize = 8;

/// How often a request waiting for a first pass asks whether its client left.
const WAIT_CHECK: Duration = Duration::from_millis(50);

/// One version of one file: a file rewritten in place is another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
}

impl Identity {
    pub fn of(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        }
    }

    /// A number for the version (size and time) of the file, never 0.
    pub fn version(&self) -> u64 {
        let mut bytes = self.size.to_le_bytes().to_vec();
        bytes.extend(self.mtime.0.to_le_bytes());
        bytes.extend(self.mtime.1.to_le_bytes());
        fnv1a(&bytes).max(1)
    }
}

/// The views kept, with when each was last asked for.
pub struct Views {
    open: Mutex<Vec<(Identity, Arc<Gzip>, u64)>>,
    clock: AtomicU64,
    /// The files whose first pass is running, and the signal that one ended.
    opening: Mutex<Vec<Identity>>,
    opened: Condvar,
    /// First passes that may run at once.
    passes: usize,
}

impl Default for Views {
    fn default() -> Views {
        Views {
            open: Mutex::default(),
            clock: AtomicU64::default(),
            opening: Mutex::default(),
            opened: Condvar::new(),
            passes: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl Views {
    /// The view of `file` at `path` (whose metadata is `meta`): the kept one, or a new one
    /// (its first pass logged). Waiting, or making one, ends when `gone` says the client left.
    pub fn open(
        &self,
        path: &Path,
        file: File,
        meta: &Metadata,
        gone: &dyn Fn() -> bool,
    ) -> io::Result<Arc<Gzip>> {
        let id = Identity::of(meta);
        let _first = loop {
            let mut opening = super::lock(&self.opening);
            if let Some(view) = self.kept(id) {
                return Ok(view);
            }
            if !opening.contains(&id) && opening.len() < self.passes {
                opening.push(id);
                debug!(
                    "{}: first pass starts ({} running)",
                    path.display(),
                    opening.len()
                );
                break FirstPass { views: self, id };
            }
            // This file's first pass runs for another request (its view is taken once it
            // ends, or made again if it failed), or one runs per core: wait for one to end,
            // or for this client to leave.
            if gone() {
                return Err(super::left());
            }
            let waited = self.opened.wait_timeout(opening, WAIT_CHECK);
            drop(waited.unwrap_or_else(|e| e.into_inner()));
        };
        let started = Instant::now();
        let view = Gzip::open(file, id, gone).inspect_err(|e| {
            if super::ClientLeft::is(e) {
                info!(
                    "{}: first pass stopped after {:?}: the client left",
                    path.display(),
                    started.elapsed()
                );
            }
        })?;
        info!(
            "{}: first pass, {} bytes of text in {:?}",
            path.display(),
            view.len(),
            started.elapsed()
        );
        Ok(self.keep(id, Arc::new(view)))
    }

    fn kept(&self, id: Identity) -> Option<Arc<Gzip>> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut open = super::lock(&self.open);
        let entry = open.iter_mut().find(|(i, _, _)| *i == id)?;
        entry.2 = now;
        Some(entry.1.clone())
    }

    /// Keeps `view`, unless another request kept one meanwhile (that one is returned).
    fn keep(&self, id: Identity, view: Arc<Gzip>) -> Arc<Gzip> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut open = super::lock(&self.open);
        if let Some((_, kept, _)) = open.iter().find(|(i, _, _)| *i == id) {
            return kept.clone();
        }
        if open.len() >= MAX_VIEWS
            && let Some(oldest) = (0..open.len()).min_by_key(|&i| open[i].2)
        {
            open.swap_remove(oldest);
        }
        open.push((id, view.clone(), now));
        view
    }
}

/// A first pass running: when it ends (kept, failed or panicked), the requests waiting for it
/// go on.
struct FirstPass<'a> {
    views: &'a Views,
    id: Identity,
}

impl Drop for FirstPass<'_> {
    fn drop(&mut self) {
        super::lock(&self.views.opening).retain(|i| *i != self.id);
        self.views.opened.notify_all();
    }
}
