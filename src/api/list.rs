//! The listing API: what may be viewed under the roots, as JSON.
//!
//! Guarantees: only entries the sandbox would serve are listed (FIFOs, devices, sockets and
//! symlinks leaving the roots are left out); every type, size and mtime shown comes from
//! [`Sandbox::stat`], i.e. from a descriptor checked to lie under the roots, so a symlink
//! swapped in mid-listing cannot show an outside file's metadata; names are JSON-escaped by
//! serde_json. Rotated members of a file are listed inside its entry (`members`).

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

use crate::http::refusal::Refusal;
use crate::source::family;
use crate::source::sandbox::{self, Sandbox, Target};
use crate::source::stdin;

/// Entries listed per directory at most; the reply says when more were left out.
const MAX_ENTRIES: usize = 5000;
/// Directory entries read at most before sorting (bounds the memory of a huge directory).
const MAX_SCANNED: usize = 200_000;

/// Lists `path` (a decoded absolute path), or the roots when it is `None`.
pub fn list(sb: &Sandbox, path: Option<&str>) -> Result<String, Refusal> {
    let value = match path.filter(|p| !p.is_empty() && *p != "/") {
        None => {
            // Standard input first, under its own name and path.
            let stdin = sb.stdin().and_then(|s| {
                let mut e = entry(sb, &s.path, "standard input")?;
                e["path"] = json!(stdin::URL_PATH);
                Some(e)
            });
            let entries: Vec<Value> = stdin
                .into_iter()
                .chain(
                    sb.roots()
                        .filter_map(|r| entry(sb, r, &r.to_string_lossy())),
                )
                .collect();
            json!({ "path": null, "type": "roots", "parent": null, "entries": entries, "truncated": false })
        }
        Some(p) => match sb.stat(&sandbox::plain(p)?)? {
            (Target::Dir(dir), _) => list_dir(sb, &dir)?,
            (Target::File(file), meta) => {
                let mut v = describe(&file, &file.to_string_lossy(), &meta);
                v["parent"] = parent(sb, &file);
                v
            }
        },
    };
    Ok(value.to_string())
}

fn list_dir(sb: &Sandbox, dir: &Path) -> Result<Value, Refusal> {
    // Only names come from this read; each entry is judged (and its metadata read) by
    // `entry` on its own, so a directory swapped for an outside one shows nothing outside.
    let read = fs::read_dir(dir).map_err(|_| Refusal::Forbidden("directory cannot be read"))?;
    // Names are sorted before any is cut, so a large directory shows its first entries in
    // the documented order (directories first, then by name), not an arbitrary subset.
    let mut names: Vec<(bool, String)> = read
        .flatten()
        .take(MAX_SCANNED)
        .filter_map(|item| {
            let is_dir = item.file_type().is_ok_and(|t| t.is_dir());
            Some((!is_dir, item.file_name().to_str()?.to_owned()))
        })
        .collect();
    names.sort();
    let mut entries: Vec<Value> = Vec::new();
    let mut truncated = false;
    for (_, name) in names {
        if entries.len() == MAX_ENTRIES {
            truncated = true;
            break;
        }
        if let Some(v) = entry(sb, &dir.join(&name), &name) {
            entries.push(v);
        }
    }
    entries.sort_by(|a, b| {
        (a["type"] != "dir", a["name"].as_str()).cmp(&(b["type"] != "dir", b["name"].as_str()))
    });
    let entries = families(entries);
    Ok(json!({
        "path": dir.to_string_lossy(), "type": "dir", "parent": parent(sb, dir),
        "entries": entries, "truncated": truncated,
    }))
}

/// Folds rotated members (`app.log.1`, `app.log.2.gz`, `app.log-20261125`, …) into the entry
/// of the file they were rotated from, as its `members`, newest first (modification time,
/// then rotation order). A member whose file is not listed stays an entry of its own.
fn families(entries: Vec<Value>) -> Vec<Value> {
    let files: std::collections::HashSet<String> = entries
        .iter()
        .filter(|e| e["type"] == "file")
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect();
    let mut members: std::collections::HashMap<String, Vec<(u64, Value)>> = Default::default();
    let mut kept = Vec::with_capacity(entries.len());
    for mut e in entries {
        let name = e["name"].as_str().unwrap_or_default().to_owned();
        match family::member_of(&name)
            .filter(|(base, _)| e["type"] == "file" && files.contains(*base))
        {
            Some((base, rank)) => {
                e["compressed"] = json!(family::compressed(&name));
                members.entry(base.to_owned()).or_default().push((rank, e));
            }
            None => kept.push(e),
        }
    }
    for e in &mut kept {
        let Some(mut list) = e["name"].as_str().and_then(|n| members.remove(n)) else {
            continue;
        };
        list.sort_by_key(|(rank, m)| (std::cmp::Reverse(m["mtime"].as_u64()), *rank));
        e["members"] = list.into_iter().map(|(_, m)| m).collect();
    }
    kept
}

/// One listed entry, or `None` when the sandbox would not serve it.
fn entry(sb: &Sandbox, path: &Path, name: &str) -> Option<Value> {
    let (_, meta) = sb.stat(path).ok()?;
    let mut v = describe(path, name, &meta);
    v["path"] = json!(path.to_string_lossy());
    Some(v)
}

fn describe(path: &Path, name: &str, meta: &Metadata) -> Value {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    json!({
        "name": name,
        "path": path.to_string_lossy(),
        "type": if meta.is_dir() { "dir" } else { "file" },
        "size": meta.len(),
        "mtime": mtime,
    })
}

fn parent(sb: &Sandbox, path: &Path) -> Value {
    match path.parent().map(PathBuf::from) {
        Some(p) if sb.inside(&p) => json!(p.to_string_lossy()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_dirs_first_and_hides_what_the_sandbox_refuses() {
        let d = std::env::temp_dir().join(format!("logview-listing-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("root/zdir")).unwrap();
        let d = d.canonicalize().unwrap();
        fs::write(d.join("root/b.log"), "12345").unwrap();
        fs::write(d.join("root/<a>.log"), "").unwrap();
        fs::write(d.join("secret"), "").unwrap();
        std::os::unix::fs::symlink(d.join("secret"), d.join("root/escape")).unwrap();
        let sb = Sandbox::new(vec![d.join("root")]);
        let v: Value = serde_json::from_str(&list(&sb, d.join("root").to_str()).unwrap()).unwrap();
        let names: Vec<&str> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["zdir", "<a>.log", "b.log"]);
        assert_eq!(v["entries"][2]["size"], 5);
        assert_eq!(v["parent"], Value::Null, "the root's parent is outside");
        let roots: Value = serde_json::from_str(&list(&sb, None).unwrap()).unwrap();
        assert_eq!(
            roots["entries"][0]["path"],
            json!(d.join("root").to_string_lossy())
        );
        assert_eq!(
            list(&sb, d.to_str()),
            Err(Refusal::Forbidden("outside the roots"))
        );
    }

    #[test]
    fn a_large_directory_shows_its_first_entries_in_order() {
        let d = std::env::temp_dir().join(format!("logview-listing-big-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("zz")).unwrap();
        let d = d.canonicalize().unwrap();
        for i in (0..MAX_ENTRIES + 3).rev() {
            fs::write(d.join(format!("f{i:05}")), "").unwrap();
        }
        let sb = Sandbox::new(vec![d.clone()]);
        let v: Value = serde_json::from_str(&list(&sb, d.to_str()).unwrap()).unwrap();
        let entries = v["entries"].as_array().unwrap();
        assert_eq!(
            (entries.len(), v["truncated"].as_bool()),
            (MAX_ENTRIES, Some(true))
        );
        assert_eq!(entries[0]["name"], "zz");
        assert_eq!(entries[1]["name"], "f00000");
        assert_eq!(
            entries[MAX_ENTRIES - 1]["name"],
            format!("f{:05}", MAX_ENTRIES - 2)
        );
        fs::remove_dir_all(&d).unwrap();
    }
}
