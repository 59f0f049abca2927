//! Rotated families: which names are older members of another (`app.log.1`, `app.log.2.gz`,
//! `app.log-20261125`, `app.log-20261125.gz`, `app.log.2026-11-25`, and with `.gz`), and the
//! order of members from newest to oldest, and a family's files on disk.
//!
//! Guarantees: a name is a member only by one of the patterns above; a family on disk holds
//! only files the sandbox allows, in one directory.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::http::refusal::Refusal;
use crate::source::sandbox::{Sandbox, Target};

/// The name `name` is a rotated member of, with its rank (smaller is newer), or `None`.
pub fn member_of(name: &str) -> Option<(&str, u64)> {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // `NAME.N`: logrotate's numbers, 1 the newest.
    if let Some((base, n)) = plain.rsplit_once('.')
        && digits(n)
        && n.len() <= 4
    {
        return Some((base, n.parse().ok()?));
    }
    // `NAME-YYYYMMDD` (dateext): later dates are newer.
    if let Some((base, d)) = plain.rsplit_once('-')
        && digits(d)
        && d.len() == 8
    {
        return Some((base, 99_999_999 - d.parse::<u64>().ok()?));
    }
    // `NAME.YYYY-MM-DD`.
    let cut = plain.len().saturating_sub(11);
    if cut > 0 && plain.is_char_boundary(cut) {
        let (base, d) = plain.split_at(cut);
        let d = d.as_bytes();
        let date = d[0] == b'.' && d[5] == b'-' && d[8] == b'-';
        let number: String = [&d[1..5], &d[6..8], &d[9..11]]
            .concat()
            .iter()
            .map(|&b| b as char)
            .collect();
        if date && digits(&number) {
            return Some((base, 99_999_999 - number.parse::<u64>().ok()?));
        }
    }
    None
}

/// True for a compressed file's name (gzip, or a format not read as lines): such a file is
/// never followed, nor part of a directory's merged view.
pub fn compressed(name: &str) -> bool {
    name.ends_with(".gz") || UNREAD.iter().any(|(end, _)| name.ends_with(end))
}

/// Compressed formats that are not read as lines: their name's ending and magic bytes.
const UNREAD: [(&str, &[u8]); 4] = [
    (".xz", b"\xfd7zXZ\0"),
    (".zst", b"\x28\xb5\x2f\xfd"),
    (".bz2", b"BZh"),
    (".lz4", b"\x04\x22\x4d\x18"),
];

/// Refuses a file compressed in a format other than gzip (its name's ending and its magic
/// bytes): its bytes would be shown as garbage. It can still be downloaded raw.
pub fn refuse_compressed(path: &Path, file: &File) -> Result<(), Refusal> {
    let Some(name) = path.to_str() else {
        return Ok(());
    };
    let mut head = [0u8; 6];
    let n = FileExt::read_at(file, &mut head, 0).unwrap_or(0);
    let unread = UNREAD
        .iter()
        .any(|(end, magic)| name.ends_with(end) && head[..n].starts_with(magic));
    if unread {
        Err(Refusal::Compressed)
    } else {
        Ok(())
    }
}

/// The family `path` belongs to, newest first: the file it was rotated from (if `path` is a
/// member, else `path` itself), then its members by modification time, then rotation order.
/// Only files the sandbox allows are in it.
pub fn on_disk(sb: &Sandbox, path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let base = member_of(name).map_or(name, |(b, _)| b);
    let mut found: Vec<(i64, u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            let rank = if n == base {
                0
            } else {
                member_of(&n).filter(|m| m.0 == base)?.1 + 1
            };
            let p = dir.join(&n);
            let (Target::File(_), meta) = sb.stat(&p).ok()? else {
                return None;
            };
            let newest = if rank == 0 { i64::MIN } else { -meta.mtime() };
            Some((newest, rank, p))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// The next older member of `path`'s family, if any.
pub fn older(sb: &Sandbox, path: &Path) -> Option<PathBuf> {
    let family = on_disk(sb, path);
    let at = family.iter().position(|p| p == path)?;
    family.get(at + 1).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_on_disk_newest_first() {
        let dir = std::env::temp_dir().join(format!("logview-family-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        for (name, age) in [
            ("app.log.2.gz", 30),
            ("app.log.1", 20),
            ("app.log", 0),
            ("other.1", 5),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, "x\n").unwrap();
            let t = std::time::SystemTime::now() - std::time::Duration::from_secs(age * 60);
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let sb = Sandbox::new(vec![dir.clone()]);
        let names: Vec<_> = on_disk(&sb, &dir.join("app.log.1"))
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["app.log", "app.log.1", "app.log.2.gz"]);
        assert_eq!(
            older(&sb, &dir.join("app.log")),
            Some(dir.join("app.log.1"))
        );
        assert_eq!(older(&sb, &dir.join("app.log.2.gz")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_naming_scheme() {
        assert_eq!(member_of("app.log.1"), Some(("app.log", 1)));
        assert_eq!(member_of("app.log.12.gz"), Some(("app.log", 12)));
        assert_eq!(
            member_of("syslog-20261125"),
            Some(("syslog", 99_999_999 - 20_261_125))
        );
        assert_eq!(member_of("syslog-20261125.gz").map(|m| m.0), Some("syslog"));
        assert_eq!(
            member_of("app.log.2026-11-25").map(|m| m.0),
            Some("app.log")
        );
        assert_eq!(
            member_of("app.log.2026-11-25.gz").map(|m| m.0),
            Some("app.log")
        );
        let newer = member_of("syslog-20261126").unwrap().1;
        assert!(
            newer < member_of("syslog-20261125").unwrap().1,
            "later dates first"
        );
        for not in [
            "app.log",
            "app.log.gz",
            "v1.2.3-beta",
            "a.12345",
            "x-2026112",
            "app.log.2026-1-25",
        ] {
            assert_eq!(member_of(not), None, "{not}");
        }
        // Never a panic on names that are not ASCII.
        for name in [
            "ééééééééééé.1x",
            "日本語のログファイル.2026-11-25",
            "ααααααα-2026",
        ] {
            let _ = member_of(name);
        }
        assert_eq!(
            member_of("日本語.log.2026-11-25").map(|m| m.0),
            Some("日本語.log")
        );
    }
}
