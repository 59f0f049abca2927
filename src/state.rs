//! What every connection thread shares: the configuration, the sandbox, the watchers of
//! followed files, and the counted places (request threads, WebSocket clients) that bound them.
//!
//! Guarantees: a place is taken only while fewer than its limit are taken, and given back
//! exactly once, when its [`Slot`] is dropped.

use std::fs::Metadata;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::config::Config;
use tz::TimeZone;

use crate::follow::watch::Watches;
use crate::http::refusal::Refusal;
use crate::index::Indexes;
use crate::index::time::Clock;
use crate::source::family;
use crate::source::gzip::{ClientLeft, Text, Views};
use crate::source::sandbox::Sandbox;
use crate::source::stdin::Spool;

/// What every connection thread shares.
pub struct Shared {
    pub config: Config,
    pub sandbox: Arc<Sandbox>,
    pub watches: Arc<Watches>,
    /// Line indexes of the files asked for.
    pub indexes: Indexes,
    /// Decompressed views of the `.gz` files asked for, with their restart points.
    pub gzips: Views,
    /// The server's zone, for stamps that carry none (`None`: read as UTC).
    pub zone: Option<Arc<TimeZone>>,
    /// Whole-file scans (searches) running at once.
    pub scans: Scans,
    clients: AtomicUsize,
    connections: AtomicUsize,
}

impl Shared {
    pub fn new(config: Config, stdin: Option<Arc<Spool>>) -> Shared {
        let sandbox = Sandbox::new(config.roots.clone());
        let sandbox = match stdin {
            Some(spool) => sandbox.with_stdin(spool),
            None => sandbox,
        };
        Shared {
            sandbox: Arc::new(sandbox),
            config,
            watches: Arc::new(Watches::default()),
            indexes: Indexes::default(),
            gzips: Views::default(),
            zone: Clock::local_zone(),
            scans: Scans::new(std::thread::available_parallelism().map_or(1, |n| n.get())),
            clients: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        }
    }

    /// Opens `path` through the sandbox as text: read decompressed when it is a gzip file
    /// ([`Text::open`]), refused when compressed in another format
    /// ([`family::refuse_compressed`]). Every route that reads lines opens its files here;
    /// `gone` tells whether its client left (a gzip file's first pass then stops: `Gone`).
    pub fn open_text(
        &self,
        path: &Path,
        gone: &dyn Fn() -> bool,
    ) -> Result<(Text, Metadata), Refusal> {
        let (file, meta) = self.sandbox.open_file(path)?;
        family::refuse_compressed(path, &file)?;
        let text = Text::open(&self.gzips, path, file, &meta, gone).map_err(|e| {
            match ClientLeft::is(&e) {
                true => Refusal::Gone,
                false => Refusal::Forbidden("cannot be read"),
            }
        })?;
        Ok((text, meta))
    }

    /// WebSocket clients connected now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Acquire)
    }
}

/// A counted place (a connection or a WebSocket client), given back when dropped.
pub struct Slot {
    shared: Arc<Shared>,
    counter: fn(&Shared) -> &AtomicUsize,
}

impl Slot {
    /// A request thread's place, if fewer than `limit` are taken.
    pub fn connection(shared: &Arc<Shared>, limit: usize) -> Option<Slot> {
        Slot::take(shared.clone(), |s| &s.connections, limit)
    }

    /// Takes a place if fewer than `limit` are taken.
    fn take(
        shared: Arc<Shared>,
        counter: fn(&Shared) -> &AtomicUsize,
        limit: usize,
    ) -> Option<Slot> {
        counter(&shared)
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()?;
        Some(Slot { shared, counter })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// A WebSocket client place, limited by `--max-clients`.
    pub fn client(&self) -> Option<Slot> {
        Slot::take(
            self.shared.clone(),
            |s| &s.clients,
            self.shared.config.max_clients,
        )
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        (self.counter)(&self.shared).fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whole-file scans running at once: at most one per core, so scans never starve the
/// followers; more wait their turn.
pub struct Scans {
    running: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A running scan's place, given back when dropped.
pub struct ScanPlace<'a> {
    scans: &'a Scans,
}

impl Scans {
    pub fn new(limit: usize) -> Scans {
        Scans {
            running: Mutex::new(0),
            freed: Condvar::new(),
            limit,
        }
    }

    /// A place, waiting at most `limit` for one to be free.
    pub fn take(&self, limit: Duration) -> Option<ScanPlace<'_>> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (mut running, _) = self
            .freed
            .wait_timeout_while(running, limit, |n| *n >= self.limit)
            .unwrap_or_else(|e| e.into_inner());
        (*running < self.limit).then(|| {
            *running += 1;
            ScanPlace { scans: self }
        })
    }
}

impl Drop for ScanPlace<'_> {
    fn drop(&mut self) {
        let mut running = self.scans.running.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        self.scans.freed.notify_one();
    }
}
