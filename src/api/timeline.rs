//! `GET /_logview/api/timeline?path=ABS[&q=QUERY&regex=1&case=1][&level=L][&buckets=N]`: the
//! file's lines (and the lines matching `q` and of level `L` or above) per time bucket over the
//! whole file, as JSON.
//!
//! Guarantees: the counts without `q` are kept per file identity and extended by the new
//! bytes only; a first count or a query is a whole-file scan and takes a scan place like a
//! search; the buckets sum to the file's complete lines.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::api::lines;
use crate::api::search::{filter, flag};
use crate::http::Request;
use crate::http::refusal::Refusal;
use crate::index::Timeline;
use crate::index::lock;
use crate::index::time::Clock;
use crate::index::timeline::{Cell, Histogram, empty_buckets, matches, width_for};
use crate::source::gzip::Text;
use crate::source::{family, sandbox};
use crate::state::Shared;

/// Buckets when `buckets` is not given, and at most.
const DEFAULT_BUCKETS: usize = 120;
const MAX_BUCKETS: usize = 2000;
/// New bytes counted without taking a scan place.
const SMALL_EXTENSION: u64 = 16 << 20;
/// How long a timeline waits for a scan place before answering 503.
const SCAN_WAIT: Duration = Duration::from_secs(30);

/// `gone`: whether the client left (a gzip member's first pass then stops).
pub fn timeline(
    shared: &Shared,
    req: &Request,
    gone: &dyn Fn() -> bool,
) -> Result<String, Refusal> {
    let path = req
        .param("path")
        .ok_or(Refusal::Malformed("path is required"))?;
    let n = match req.param("buckets") {
        None => DEFAULT_BUCKETS,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_BUCKETS).contains(n))
            .ok_or(Refusal::Malformed("buckets must be 1 to 2000"))?,
    };
    let q = filter(req)?;
    let family = flag(req, "family")?;
    let path = sandbox::plain(&path)?;
    let first = counted(shared, &path, gone)?;
    let mut files = vec![first];
    if family {
        // The older members, compressed ones decompressed; one that cannot be read is passed
        // over.
        let all = family::on_disk(&shared.sandbox, &path);
        let from = all
            .iter()
            .position(|f| *f == path)
            .map_or(all.len(), |i| i + 1);
        for f in &all[from..] {
            match counted(shared, f, gone) {
                Ok(c) => files.push(c),
                Err(Refusal::Gone) => return Err(Refusal::Gone),
                Err(_) => {}
            }
        }
    }
    let (width, buckets) = buckets(&files, n);
    let mut found = vec![0u64; buckets.len()];
    if let (Some(q), Some(&(first, _))) = (&q, buckets.first()) {
        let _place = shared.scans.take(SCAN_WAIT).ok_or(Refusal::Busy)?;
        let last = found.len() as i64 - 1;
        let mut each = |t: i64| found[(t - first).div_euclid(width).clamp(0, last) as usize] += 1;
        for f in &files {
            matches(&f.file, f.size, q, &f.clock(shared), &mut each)
                .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        }
    }
    let items: Vec<_> = buckets
        .iter()
        .zip(&found)
        .map(|((t, cell), m)| {
            // Offsets are a file's: a family's buckets have none.
            let offset = (cell.offset != u64::MAX && !family).then_some(cell.offset);
            let mut b = json!({ "t": t * 1000, "lines": cell.lines, "offset": offset });
            if q.is_some() {
                b["matches"] = json!(m);
            }
            b
        })
        .collect();
    let damaged: Vec<Value> = files.iter().filter_map(|f| f.damaged.clone()).collect();
    let mut answer = json!({
        "size": files.iter().map(|f| f.size).sum::<u64>(),
        "lines": files.iter().map(|f| lock(&f.hist).lines()).sum::<u64>(),
        "width": width * 1000,
        "buckets": items,
        "matches": q.is_some().then(|| found.iter().sum::<u64>()),
    });
    if !damaged.is_empty() {
        answer["damaged"] = json!(damaged);
    }
    Ok(answer.to_string())
}

/// A file whose lines are counted by time.
struct Counted {
    file: Text,
    size: u64,
    mtime: SystemTime,
    hist: Timeline,
    /// What ended a compressed file's text early (`{path, reason}`).
    damaged: Option<Value>,
}

impl Counted {
    fn clock(&self, shared: &Shared) -> Clock {
        Clock::new(shared.zone.clone(), self.mtime)
    }
}

/// Opens `path` and brings its kept counts up to its end.
fn counted(shared: &Shared, path: &Path, gone: &dyn Fn() -> bool) -> Result<Counted, Refusal> {
    let (file, meta) = shared.open_text(path, gone)?;
    let size = file.size(&meta);
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    let unreadable = |_| Refusal::Forbidden("cannot be read");
    let hist = shared.indexes.timeline(&file, &meta);
    // Counting a few new MiB is not a scan; a first count is. The place is taken before the
    // histogram's lock, so no request waits on the lock for a place.
    let behind = size.saturating_sub(lock(&hist).scanned()) > SMALL_EXTENSION;
    let _place = match behind {
        true => Some(shared.scans.take(SCAN_WAIT).ok_or(Refusal::Busy)?),
        false => None,
    };
    {
        let mut h = lock(&hist);
        if !file
            .unchanged(|f| h.still_matches(f, size))
            .map_err(unreadable)?
        {
            *h = Histogram::default();
        }
        let clock = Clock::new(shared.zone.clone(), mtime);
        h.extend(&file, size, &clock).map_err(unreadable)?;
    }
    Ok(Counted {
        damaged: lines::damage(path, &file),
        file,
        size,
        mtime,
        hist,
    })
}

/// The counts of `files` in about `n` buckets over all their spans: the width in seconds
/// and the buckets.
fn buckets(files: &[Counted], n: usize) -> (i64, Vec<(i64, Cell)>) {
    if let [one] = files {
        return lock(&one.hist).buckets(n);
    }
    let hists: Vec<_> = files.iter().map(|f| lock(&f.hist)).collect();
    let spans = hists.iter().filter_map(|h| h.span());
    let Some((first, last)) = spans.reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))) else {
        return (1, Vec::new());
    };
    let res = hists.iter().map(|h| h.resolution()).max().unwrap_or(1);
    let width = width_for(last - first + 1, n as i64, res);
    let mut out = empty_buckets(first, last, width);
    for h in &hists {
        if h.span().is_some() {
            h.add_into(&mut out, width);
        }
    }
    (width, out)
}
