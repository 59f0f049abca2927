//! `Sandbox::resolve` / `check` / `open_file` and `decode` / `plain` against a real directory
//! tree with symlinks that stay inside, leave the root, point at `/`, loop, dangle, and a
//! sibling directory whose name has the root's name as a prefix.
//!
//! Asserts: whatever `resolve` admits is canonical, under the root, and of the kind it claims;
//! nothing whose canonical form is outside the root is ever admitted; what is under the root
//! (textually and canonically) and is a file or directory is admitted (no false refusals);
//! an admitted file can be opened; `decode`/`plain` only ever produce absolute paths made of
//! RootDir + Normal components without `\0`, `/` or `\`.
#![no_main]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use logview::source::sandbox::{Sandbox, Target, decode, plain};

struct Env {
    base: String,
    root: PathBuf,
    root_str: String,
    sandbox: Sandbox,
}

const PREFIX: &str = "logview-fuzz-sandbox-";

/// Removes trees left by earlier (killed) fuzz processes.
fn remove_stale(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(PREFIX)
            && pid.parse::<u32>().is_ok()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let tmp = std::env::temp_dir();
        remove_stale(&tmp);
        let base = tmp.join(format!("{PREFIX}{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        let base = base.canonicalize().unwrap();
        let root = base.join("root");
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::create_dir_all(base.join("rootx")).unwrap();
        fs::write(base.join("secret"), "secret\n").unwrap();
        fs::write(base.join("rootx/x.log"), "prefix trap\n").unwrap();
        fs::write(root.join("a.log"), "a\n").unwrap();
        fs::write(root.join("b c%.txt"), "b\n").unwrap();
        fs::write(root.join("sub/c.log"), "c\n").unwrap();
        fs::write(root.join("sub/deeper/d.log"), "d\n").unwrap();
        // inside -> inside, absolute and relative
        symlink(root.join("a.log"), root.join("in")).unwrap();
        symlink("../a.log", root.join("sub/rel")).unwrap();
        symlink(root.join("sub"), root.join("subdir")).unwrap();
        // inside -> outside
        symlink(base.join("secret"), root.join("out")).unwrap();
        symlink("../secret", root.join("relout")).unwrap();
        symlink("/", root.join("slash")).unwrap();
        symlink(&base, root.join("sub/up")).unwrap();
        symlink(base.join("rootx"), root.join("prefix")).unwrap();
        // broken ones
        symlink(root.join("nonexistent"), root.join("dangling")).unwrap();
        symlink(root.join("loop"), root.join("loop")).unwrap();
        // not a regular file or directory
        let _ = std::os::unix::net::UnixListener::bind(root.join("sock")).map(std::mem::forget);

        let root_str = root.to_str().unwrap().to_string();
        assert!(
            !root_str.contains('%'),
            "root must not need percent-encoding"
        );
        Env {
            base: base.to_str().unwrap().to_string(),
            sandbox: Sandbox::new(vec![root.clone()]),
            root,
            root_str,
        }
    })
}

/// Properties of a path produced by `decode` or `plain`.
fn check_built(p: &Path, what: &str, input: &str) {
    assert!(p.is_absolute(), "{what}({input:?}) = {p:?} is not absolute");
    let mut comps = p.components();
    assert_eq!(
        comps.next(),
        Some(Component::RootDir),
        "{what}({input:?}) = {p:?}"
    );
    for c in comps {
        let Component::Normal(n) = c else {
            panic!("{what}({input:?}) = {p:?} has component {c:?}");
        };
        let b = n.as_encoded_bytes();
        assert!(
            !b.is_empty() && !b.contains(&0) && !b.contains(&b'/'),
            "{what}({input:?}) = {p:?} has component {n:?}"
        );
        assert!(b != b"." && b != b"..", "{what}({input:?}) = {p:?}");
    }
}

/// Checks one judgement of `path` (the decoded form of `input`, if it decoded).
fn check_judgement(
    env: &Env,
    input: &str,
    path: Option<&Path>,
    got: Result<Target, logview::http::refusal::Refusal>,
) {
    let real = path.map(|p| p.canonicalize());
    match &got {
        Ok(t @ (Target::File(p) | Target::Dir(p))) => {
            let path =
                path.unwrap_or_else(|| panic!("{input:?} admitted as {t:?} but not decodable"));
            assert_eq!(
                p.canonicalize().ok().as_ref(),
                Some(p),
                "{input:?} -> {t:?} is not canonical"
            );
            assert!(
                p.starts_with(&env.root),
                "{input:?} -> {t:?} is outside the root"
            );
            assert!(
                path.starts_with(&env.root),
                "{input:?} -> {t:?}: request path not under root"
            );
            match real {
                Some(Ok(ref r)) => assert_eq!(r, p, "{input:?} -> {t:?} but canonical is {r:?}"),
                other => panic!("{input:?} -> {t:?} but canonicalize gave {other:?}"),
            }
            let meta = fs::metadata(p).unwrap();
            match t {
                Target::File(_) => assert!(meta.is_file(), "{input:?} -> {t:?} not a file"),
                Target::Dir(_) => assert!(meta.is_dir(), "{input:?} -> {t:?} not a dir"),
            }
            if let Target::File(_) = t {
                let opened = env.sandbox.open_file(path);
                assert!(
                    opened.is_ok(),
                    "{input:?} -> {t:?} but open_file gave {:?}",
                    opened.err()
                );
            }
        }
        Err(refusal) => {
            // No false refusals: a plain file/dir under the root, reached by a path that is
            // itself under the root, must be admitted.
            if let (Some(path), Some(Ok(r))) = (path, &real)
                && path.starts_with(&env.root)
                && r.starts_with(&env.root)
                && fs::metadata(r).is_ok_and(|m| m.is_file() || m.is_dir())
            {
                panic!("{input:?} ({path:?} -> {r:?}) refused: {refusal:?}");
            }
        }
    }
    // Nothing whose canonical form is outside the root is ever admitted.
    if let Some(Ok(r)) = &real
        && !r.starts_with(&env.root)
    {
        assert!(
            got.is_err(),
            "{input:?} canonical {r:?} outside root admitted: {got:?}"
        );
    }
}

fn one(env: &Env, input: &str) {
    // Raw request path: percent-decoded.
    let decoded = decode(input);
    if let Ok(p) = &decoded {
        check_built(p, "decode", input);
    }
    let got = env.sandbox.resolve(input);
    if decoded.is_err() {
        assert!(
            got.is_err(),
            "{input:?} does not decode but resolve gave {got:?}"
        );
    }
    check_judgement(env, input, decoded.as_deref().ok(), got);

    // Already-decoded path (query parameter).
    let plained = plain(input);
    if let Ok(p) = &plained {
        check_built(p, "plain", input);
        let got = env.sandbox.check(p);
        check_judgement(env, input, Some(p), got);
    }
}

fuzz_target!(|data: &[u8]| {
    let env = env();
    let s = String::from_utf8_lossy(data);
    one(env, &s);
    one(env, &format!("{}/{s}", env.root_str));
    one(env, &format!("{}/{s}", env.base));
});
