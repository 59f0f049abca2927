//! O. A rotated `.gz` member read through the gzip view: the 1 GiB bench file gzipped (made
//! once by gzip -6 and kept in target/bench-data), its last 1,000 lines from the lines API the
//! first time (a fresh server: the whole file is decompressed once to learn its length and
//! keep restart points; < 2 s) and again (the view is kept; < 50 ms), and the server's peak
//! memory (< 64 MB).

use super::whole::get;
use super::*;

pub fn scenario_o(_work: &Path) -> String {
    let (gz, len) = big_gz();
    let gz_mb = fs::metadata(&gz).unwrap().len() as f64 / 1e6;
    let mut firsts = Vec::new();
    let mut agains = Vec::new();
    let mut peak = 0.0f64;
    for _ in 0..3 {
        let srv = Server::start(gz.parent().unwrap(), &[]);
        firsts.push(last_lines(&srv, &gz, len));
        agains.extend((0..5).map(|_| last_lines(&srv, &gz, len)));
        peak = peak.max(srv.peak_mb());
    }
    let (first, again) = (median(firsts), median(agains));
    check(
        first < 2000.0,
        "O: last 1,000 lines of a 1 GiB .gz, first time < 2 s",
    );
    check(
        again < 50.0,
        "O: last 1,000 lines of a 1 GiB .gz, again < 50 ms",
    );
    check(peak < 64.0, "O: server peak RSS < 64 MB");
    format!(
        "O. last 1,000 lines of a {gz_mb:.0} MB .gz ({:.2} GiB of text): first time median \
         {first:.0} ms (fresh server), again median {again:.1} ms; server peak RSS {peak:.1} MB",
        len as f64 / (1u64 << 30) as f64
    )
}

/// Milliseconds for the last 1,000 lines of `gz` (whose text is `len` bytes).
fn last_lines(srv: &Server, gz: &Path, len: u64) -> f64 {
    let t = Instant::now();
    let body = get(
        srv.addr,
        &format!(
            "/_logview/api/lines?path={}&before={len}&lines=1000",
            gz.display()
        ),
    );
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let whole = v["compressed"] == true && v["lines"].as_array().is_some_and(|l| l.len() == 1000);
    check(
        whole && v.get("damaged").is_none(),
        "O: 1,000 decompressed lines",
    );
    ms
}

/// The bench file gzipped, in a directory of its own (served as the root), and its text's
/// length.
fn big_gz() -> (PathBuf, u64) {
    let big = big_file();
    let len = fs::metadata(&big).unwrap().len();
    let dir = big.parent().unwrap().join("gz");
    fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("big-v2.log.1.gz");
    if fs::metadata(&gz).is_ok() {
        return (gz, len);
    }
    let part = dir.join("big-v2.log.1.gz.part");
    let out = File::create(&part).unwrap();
    let ok = Command::new("gzip")
        .args(["-6", "-n", "-c"])
        .arg(&big)
        .stdout(out)
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "gzip the bench file");
    fs::rename(&part, &gz).unwrap();
    (gz, len)
}
