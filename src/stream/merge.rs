//! A merged view (`/_logview/merge?path=A&path=B`): which files it holds (a directory stands
//! for the plain logs directly in it), the short name that tags each file's lines, the resume
//! token that holds one position per file, and the time order of its history.
//!
//! Guarantees: every file is checked by the sandbox and one refused path refuses the whole
//! view; a view never holds more than [`MAX_FILES`] files; the history keeps each file's own
//! line order, a line without a stamp staying behind the stamped line it follows.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::http::refusal::Refusal;
use crate::index::time::Clock;
use crate::source::family;
use crate::source::position::{Position, fnv1a};
use crate::source::sandbox::{self, Sandbox, Target};
use crate::text::time as stamp;

/// Files in one view, directories counting their files.
pub const MAX_FILES: usize = 64;

/// What a view asked for: its files, and the directories that may gain more.
#[derive(Debug, Default)]
pub struct Files {
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
}

/// The files the `path` parameters name, each checked by the sandbox.
pub fn files(sandbox: &Sandbox, asked: &[String]) -> Result<Files, Refusal> {
    if asked.is_empty() {
        return Err(Refusal::Malformed("a merged view needs at least one path"));
    }
    let mut out = Files::default();
    for raw in asked {
        let path = sandbox::plain(raw)?;
        let path = sandbox.alias(&path).to_path_buf();
        match sandbox.check(&path)? {
            Target::File(_) => {
                family::refuse_compressed(&path, &sandbox.open_file(&path)?.0)?;
                out.files.push(path);
            }
            Target::Dir(_) => {
                out.files.extend(dir_logs(sandbox, &path));
                out.dirs.push(path);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.files.retain(|p| seen.insert(p.clone()));
    if out.files.len() > MAX_FILES {
        return Err(Refusal::Malformed("a merged view holds at most 64 files"));
    }
    Ok(out)
}

/// The plain log files directly in `dir`, by name: regular files the sandbox allows, not
/// hidden, not rotated or compressed members of a family.
pub fn dir_logs(sandbox: &Sandbox, dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut logs: Vec<PathBuf> = read
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && !family::compressed(n))
        .filter(|n| family::member_of(n).is_none())
        .map(|n| dir.join(n))
        .filter(|p| matches!(sandbox.check(p), Ok(Target::File(_))))
        .collect();
    logs.sort();
    logs
}

/// The name tagging each file's lines: its file name, or as many trailing components as make
/// it differ from the others' (as `grep` prints several files, but short).
pub fn names(paths: &[PathBuf]) -> Vec<String> {
    let mut depth = vec![1; paths.len()];
    loop {
        let names: Vec<String> = paths.iter().zip(&depth).map(|(p, &d)| tail(p, d)).collect();
        let mut grew = false;
        for i in 0..paths.len() {
            let clash = names
                .iter()
                .enumerate()
                .any(|(j, n)| j != i && *n == names[i]);
            if clash && depth[i] < paths[i].components().count() {
                depth[i] += 1;
                grew = true;
            }
        }
        if !grew {
            return names;
        }
    }
}

/// The name for a file joining a view whose files already have `taken` names.
pub fn name_beside(path: &Path, taken: &[String]) -> String {
    let most = path.components().count();
    (1..most)
        .map(|d| tail(path, d))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| path.display().to_string())
}

/// The last `depth` components of `path`.
fn tail(path: &Path, depth: usize) -> String {
    let parts: Vec<_> = path.iter().skip(1).collect(); // without the root
    let from = parts.len().saturating_sub(depth);
    parts[from..]
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The key of a file in a resume token (a hash of its path: a token stays short).
pub fn key(path: &Path) -> u32 {
    fnv1a(path.as_os_str().as_bytes()) as u32
}

/// A resume token: `KEY-POSITION` for each file, joined by `~`.
pub fn token(positions: impl Iterator<Item = (u32, Position)>) -> String {
    let parts: Vec<String> = positions.map(|(k, p)| format!("{k:x}-{p}")).collect();
    parts.join("~")
}

/// The positions a resume token holds, by key.
pub fn parse_token(s: &str) -> Option<HashMap<u32, Position>> {
    s.split('~')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (k, p) = part.split_once('-')?;
            Some((u32::from_str_radix(k, 16).ok()?, p.parse().ok()?))
        })
        .collect()
}

/// The moment each history line sorts by (UTC ms): its own stamp; an unstamped line takes
/// the stamp before it (or, at the start, the first one after it); a file without any stamp
/// sorts all its lines at its modification time.
pub fn moments(lines: &[Vec<u8>], clock: &Clock, mtime_ms: i64) -> Vec<i64> {
    let stamps: Vec<Option<i64>> = lines
        .iter()
        .map(|l| stamp::parse(l).map(|s| clock.utc_ms(s)))
        .collect();
    let Some(first) = stamps.iter().flatten().next().copied() else {
        return vec![mtime_ms; lines.len()];
    };
    let mut last = first;
    stamps
        .into_iter()
        .map(|s| {
            last = s.unwrap_or(last);
            last
        })
        .collect()
}

/// The last `keep` lines of several files' histories merged in time order, as (file, line)
/// indexes: each file's lines stay in their order, ties go to the file listed first.
pub fn order(moments: &[Vec<i64>], keep: usize) -> Vec<(usize, usize)> {
    let mut heads = BinaryHeap::new();
    for (f, m) in moments.iter().enumerate() {
        if let Some(&t) = m.first() {
            heads.push(Reverse((t, f, 0)));
        }
    }
    let mut out = Vec::new();
    while let Some(Reverse((_, f, i))) = heads.pop() {
        out.push((f, i));
        if let Some(&t) = moments[f].get(i + 1) {
            heads.push(Reverse((t, f, i + 1)));
        }
    }
    let skip = out.len().saturating_sub(keep);
    out.split_off(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_grow_only_where_they_collide() {
        let paths: Vec<PathBuf> = ["/a/x/app.log", "/a/y/app.log", "/a/err.log"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(names(&paths), ["x/app.log", "y/app.log", "err.log"]);
        let taken = names(&paths);
        assert_eq!(name_beside(Path::new("/b/err.log"), &taken), "b/err.log");
        assert_eq!(name_beside(Path::new("/b/new.log"), &taken), "new.log");
    }

    #[test]
    fn tokens_round_trip() {
        let p = Position {
            dev: 1,
            ino: 2,
            offset: 300,
            hash: 0xabc,
        };
        let t = token([(7, p.clone()), (0xffff_ffff, p.clone())].into_iter());
        let back = parse_token(&t).unwrap();
        assert_eq!(back[&7], p);
        assert_eq!(back[&0xffff_ffff], p);
        assert!(parse_token("7-1.2").is_none());
    }

    #[test]
    fn unstamped_lines_stay_behind_their_stamp_and_files_keep_their_order() {
        let clock = Clock::new(None, std::time::UNIX_EPOCH);
        let lines: Vec<Vec<u8>> = [
            "  lead",
            "2026-11-28T10:00:02Z b",
            "  trace",
            "2026-11-28T10:00:01Z late",
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        let m = moments(&lines, &clock, 5);
        assert_eq!(m[0], m[1]);
        assert_eq!(m[2], m[1]);
        assert!(m[3] < m[1]);
        assert_eq!(moments(&lines[..1], &clock, 5), [5]);
        // File 0 out of order keeps its order; file 1 slots in by time.
        let order = order(&[m, vec![m_at(1500)]], 10);
        assert_eq!(order, [(1, 0), (0, 0), (0, 1), (0, 2), (0, 3)]);
        assert_eq!(super::order(&[vec![1, 3], vec![2]], 2), [(1, 0), (0, 1)]);
    }

    fn m_at(ms: i64) -> i64 {
        1_795_860_000_000 + ms // 2026-11-28T10:00:00Z
    }
}
