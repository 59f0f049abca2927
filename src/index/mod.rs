//! What the server knows about files beyond their bytes, shared by every request: one line
//! index per file identity (device, inode), built in the background the first time the file
//! is asked for, extended as it grows, started again when it was truncated or rewritten; and
//! the search for the first line at or after a time.
//!
//! Guarantees: at most [`MAX_FILES`] indexes are kept (the least recently used goes) and at
//! most [`MAX_BUILDERS`] threads count at once; a request never waits for a build longer
//! than it asks to.

pub mod lines;
pub mod time;
pub mod timeline;

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use log::{debug, info};

use self::lines::LineIndex;
use self::timeline::Histogram;
use crate::source::gzip::Text;
use crate::source::reader::ReadAt;

/// Files whose index is kept.
const MAX_FILES: usize = 64;
/// Indexes being built at once; a file asked for while all are busy is indexed later.
const MAX_BUILDERS: usize = 2;
/// Bytes a builder reads at a time (the index lock is held only to count them).
const BUILD_BLOCK: usize = 1 << 20;

/// A file's histogram of lines by time, locked while it is extended.
pub type Timeline = Arc<Mutex<Histogram>>;

/// Files whose histogram of lines by time is kept.
const MAX_TIMELINES: usize = 16;

/// Every file's index.
#[derive(Default)]
pub struct Indexes {
    files: Mutex<HashMap<Key, Arc<Entry>>>,
    /// With when each was last asked for.
    timelines: Mutex<HashMap<Key, (Timeline, u64)>>,
    builders: Arc<AtomicUsize>,
    clock: AtomicU64,
}

/// A file's identity (device, inode) and the version of a decompressed text
/// ([`Text::version`]: 0 for a plain file).
type Key = (u64, u64, u64);

fn key(text: &Text, meta: &Metadata) -> Key {
    (meta.dev(), meta.ino(), text.version(meta))
}

/// One file's index and its builder's state.
#[derive(Default)]
struct Entry {
    index: Mutex<LineIndex>,
    building: AtomicBool,
    dropped: AtomicBool,
    used: AtomicU64,
}

/// A file's index, as one request uses it.
pub struct Numbering {
    entry: Arc<Entry>,
}

impl Indexes {
    /// The index of the plain file `file` (whose metadata is `meta`): [`Indexes::of_text`]
    /// (without a descriptor to spare, the index is not built further).
    pub fn of(&self, file: &File, meta: &Metadata) -> Numbering {
        match file.try_clone() {
            Ok(f) => self.of_text(&Text::Plain(f), meta),
            Err(_) => Numbering {
                entry: self.entry((meta.dev(), meta.ino(), 0)),
            },
        }
    }

    /// The index of `text` (a file whose metadata is `meta`, maybe decompressed), refreshed
    /// for its length now: started again if the file changed under it, and its build started
    /// or resumed if it is behind.
    pub fn of_text(&self, text: &Text, meta: &Metadata) -> Numbering {
        let entry = self.entry(key(text, meta));
        let len = text.size(meta);
        let behind = {
            let mut ix = lock(&entry.index);
            if !text
                .unchanged(|f| ix.still_matches(f, len))
                .unwrap_or(false)
            {
                debug!("line index of inode {} starts again", meta.ino());
                *ix = LineIndex::default();
            }
            ix.scanned() < len
        };
        if behind && !entry.building.swap(true, Ordering::AcqRel) {
            self.build(&entry, text);
        }
        Numbering { entry }
    }

    /// The histogram of lines by time of `text` (a file with metadata `meta`), empty the
    /// first time; the caller extends it under its lock.
    pub fn timeline(&self, text: &Text, meta: &Metadata) -> Timeline {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut all = lock(&self.timelines);
        let key = key(text, meta);
        if !all.contains_key(&key) && all.len() >= MAX_TIMELINES {
            let oldest = all
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            oldest.map(|k| all.remove(&k));
        }
        let entry = all.entry(key).or_insert_with(|| (Timeline::default(), now));
        entry.1 = now;
        entry.0.clone()
    }

    fn entry(&self, key: Key) -> Arc<Entry> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut files = lock(&self.files);
        if !files.contains_key(&key) && files.len() >= MAX_FILES {
            let oldest = files
                .iter()
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(k, _)| *k);
            if let Some(e) = oldest.and_then(|k| files.remove(&k)) {
                e.dropped.store(true, Ordering::Release);
            }
        }
        let entry = files.entry(key).or_default().clone();
        entry.used.store(now, Ordering::Relaxed);
        entry
    }

    /// Starts a thread counting the file from where its index stopped, when one may run.
    fn build(&self, entry: &Arc<Entry>, text: &Text) {
        let taken = self.builders.fetch_add(1, Ordering::AcqRel);
        let file = text.try_clone();
        let (Ok(file), true) = (file, taken < MAX_BUILDERS) else {
            self.builders.fetch_sub(1, Ordering::AcqRel);
            entry.building.store(false, Ordering::Release);
            return;
        };
        let (entry, builders) = (entry.clone(), self.builders.clone());
        let building = entry.clone();
        let spawned = std::thread::Builder::new()
            .name("index".into())
            .spawn(move || {
                count(&entry, &file);
                entry.building.store(false, Ordering::Release);
                builders.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            self.builders.fetch_sub(1, Ordering::AcqRel);
            building.building.store(false, Ordering::Release);
        }
    }
}

/// Counts the file block by block until its current end (or until the index is dropped).
fn count(entry: &Entry, file: &Text) {
    let started = Instant::now();
    let first = lock(&entry.index).scanned();
    let mut buf = vec![0u8; BUILD_BLOCK];
    let mut read = || -> io::Result<bool> {
        let from = lock(&entry.index).scanned();
        let len = file.len_now()?;
        if from >= len || entry.dropped.load(Ordering::Acquire) {
            return Ok(false);
        }
        let block = &mut buf[..(len - from).min(BUILD_BLOCK as u64) as usize];
        file.read_exact_at(block, from)?;
        let mut ix = lock(&entry.index);
        // Started again meanwhile (the file changed): these bytes are not the next ones.
        if ix.scanned() == from {
            ix.push(block);
        }
        Ok(true)
    };
    while let Ok(true) = read() {}
    let ix = lock(&entry.index);
    let took = started.elapsed();
    if took > Duration::from_millis(100) {
        info!(
            "line index: counted {} MiB in {:.2}s ({} KiB of marks)",
            (ix.scanned() - first) >> 20,
            took.as_secs_f64(),
            ix.heap_bytes() >> 10
        );
    }
}

impl Numbering {
    /// The number of the line starting at `offset`, when the index has counted that far.
    pub fn number_at(&self, file: &dyn ReadAt, offset: u64) -> Option<u64> {
        let mark = lock(&self.entry.index).mark_before(offset)?;
        mark.number_at(file, offset).ok().flatten()
    }

    /// Where line `number` starts in a file of `len` bytes (counting past the index if need
    /// be); `None` when the file has fewer lines.
    pub fn offset_of(&self, file: &dyn ReadAt, number: u64, len: u64) -> io::Result<Option<u64>> {
        let mark = {
            let ix = lock(&self.entry.index);
            // Past the last line of a counted file: known without reading.
            match ix.total(len) {
                Some(total) if number > total => None,
                _ => ix.mark_for(number),
            }
        };
        mark.map_or(Ok(None), |m| m.offset_of(file, number, len))
    }

    /// The file's lines, once all `len` bytes are counted.
    pub fn total(&self, len: u64) -> Option<u64> {
        lock(&self.entry.index).total(len)
    }

    /// Waits up to `limit` for the build under way to finish; true when none is running.
    pub fn wait(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.entry.building.load(Ordering::Acquire) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
}

/// Locks, carrying on after a panic elsewhere (the index is then at worst behind).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
