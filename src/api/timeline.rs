//! `GET /_logview/api/timeline?path=ABS[&q=QUERY&regex=1&case=1][&level=L][&buckets=N]`: the
//! file's lines (and the lines matching `q` and of level `L` or above) per time bucket over the
//! whole file, as JSON.
//!
//! Guarantees: the counts without `q` are kept per file identity and extended by the new
//! bytes only; a first count or a query is a whole-file scan and takes a scan place like a
//! search; the buckets sum to the file's complete lines.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use crate::api::search::filter;
use crate::http::Request;
use crate::http::refusal::Refusal;
use crate::index::lock;
use crate::index::time::Clock;
use crate::index::timeline::{Histogram, matches};
use crate::source::sandbox;
use crate::state::Shared;

/// Buckets when `buckets` is not given, and at most.
const DEFAULT_BUCKETS: usize = 120;
const MAX_BUCKETS: usize = 2000;
/// New bytes counted without taking a scan place.
const SMALL_EXTENSION: u64 = 16 << 20;
/// How long a timeline waits for a scan place before answering 503.
const SCAN_WAIT: Duration = Duration::from_secs(30);

pub fn timeline(shared: &Shared, req: &Request) -> Result<String, Refusal> {
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
    let (file, meta) = shared.sandbox.open_file(&sandbox::plain(&path)?)?;
    let size = meta.len();
    let clock = Clock::new(shared.zone.as_ref(), meta.modified().unwrap_or(UNIX_EPOCH));
    let unreadable = |_| Refusal::Forbidden("cannot be read");
    let hist = shared.indexes.timeline(&meta);
    // Counting a few new MiB is not a scan; a first count is. The place is taken before the
    // histogram's lock, so no request waits on the lock for a place.
    let behind = size.saturating_sub(lock(&hist).scanned()) > SMALL_EXTENSION;
    let place = match behind {
        true => Some(shared.scans.take(SCAN_WAIT).ok_or(Refusal::Busy)?),
        false => None,
    };
    let (width, buckets, lines) = {
        let mut h = lock(&hist);
        if !h.still_matches(&file, size).map_err(unreadable)? {
            *h = Histogram::default();
        }
        h.extend(&file, size, &clock).map_err(unreadable)?;
        let (width, buckets) = h.buckets(n);
        (width, buckets, h.lines())
    };
    drop(place);
    let mut found = vec![0u64; buckets.len()];
    if let (Some(q), Some(&(first, _))) = (&q, buckets.first()) {
        let _place = shared.scans.take(SCAN_WAIT).ok_or(Refusal::Busy)?;
        let last = found.len() as i64 - 1;
        let mut each = |t: i64| found[(t - first).div_euclid(width).clamp(0, last) as usize] += 1;
        matches(&file, size, q, &clock, &mut each).map_err(unreadable)?;
    }
    let items: Vec<_> = buckets
        .iter()
        .zip(&found)
        .map(|((t, cell), m)| {
            let mut b = json!({
                "t": t * 1000,
                "lines": cell.lines,
                "offset": (cell.offset != u64::MAX).then_some(cell.offset),
            });
            if q.is_some() {
                b["matches"] = json!(m);
            }
            b
        })
        .collect();
    Ok(json!({
        "size": size,
        "lines": lines,
        "width": width * 1000,
        "buckets": items,
        "matches": q.is_some().then(|| found.iter().sum::<u64>()),
    })
    .to_string())
}
