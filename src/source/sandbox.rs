//! The sandbox: a request path becomes an allowed regular file or directory under the roots,
//! or a [`Refusal`].
//!
//! Guarantees: a path is judged after percent-decoding and after canonicalisation, so `..`,
//! encoded `/`, doubled slashes and symlinks cannot leave the roots; roots compare by whole
//! components (`/tmp/a` never admits `/tmp/ab`). What a path is (file, directory, size, mtime)
//! is read from a descriptor opened with `O_PATH` and checked through `/proc/self/fd` to lie
//! under the roots, never through the path a second time, so a symlink swapped in between
//! the check and the read cannot make an outside file's metadata pass for an inside one's.
//! FIFOs, devices and sockets are refused before anything is opened for reading (an `O_PATH`
//! descriptor runs no driver and never blocks), and a file is opened non-blocking and
//! re-checked through its descriptor the same way. Without `/proc` the path checks stand
//! alone.
//!
//! A decoded name may hold any byte but `/` and NUL: `\` is an ordinary character in a Unix
//! file name, and since only `/` separates components it cannot form a traversal.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use percent_encoding::percent_decode_str;

use crate::http::refusal::Refusal;
use crate::source::stdin::Spool;

/// `O_NONBLOCK` on Linux: opening a FIFO for reading with it never blocks.
const O_NONBLOCK: i32 = 0o4000;
/// `O_PATH` on Linux: a descriptor that names a file without opening it for I/O. It needs no
/// read permission, never blocks, and runs no device's open routine.
const O_PATH: i32 = 0o10000000;

/// What an allowed path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    Dir(PathBuf),
}

/// The set of canonical roots that may be read.
#[derive(Debug, Clone)]
pub struct Sandbox {
    roots: Vec<PathBuf>,
    /// Standard input's spool, served at `/-` (its directory is a root nobody lists).
    stdin: Option<Arc<Spool>>,
}

impl Sandbox {
    /// `roots` must already be canonical (config does that).
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Sandbox { roots, stdin: None }
    }

    /// Also serves standard input's spool at `/-`.
    pub fn with_stdin(mut self, spool: Arc<Spool>) -> Self {
        self.roots.push(spool.dir.clone());
        self.stdin = Some(spool);
        self
    }

    /// The roots a listing shows (not standard input's spool directory).
    pub fn roots(&self) -> impl Iterator<Item = &PathBuf> {
        let hidden = self.stdin.as_ref().map(|s| &s.dir);
        self.roots.iter().filter(move |r| Some(*r) != hidden)
    }

    /// Standard input's spool, when `-` was given.
    pub fn stdin(&self) -> Option<&Arc<Spool>> {
        self.stdin.as_ref()
    }

    /// The file a request path names: `/-` is standard input's spool.
    pub fn alias<'a>(&'a self, path: &'a Path) -> &'a Path {
        self.stdin.as_ref().map_or(path, |s| s.alias(path))
    }

    /// Resolves the raw (still percent-encoded) path of a request target.
    pub fn resolve(&self, raw_path: &str) -> Result<Target, Refusal> {
        self.check(&decode(raw_path)?)
    }

    /// Judges an absolute, already-decoded path.
    pub fn check(&self, path: &Path) -> Result<Target, Refusal> {
        self.stat(path).map(|(target, _)| target)
    }

    /// Judges an absolute, already-decoded path and returns its metadata, read from a
    /// descriptor checked to lie under the roots (so it is never an outside file's, even if
    /// a symlink is swapped in while this runs).
    pub fn stat(&self, path: &Path) -> Result<(Target, Metadata), Refusal> {
        let real = self.real_path(path)?;
        let handle = OpenOptions::new()
            .read(true)
            .custom_flags(O_PATH)
            .open(&real)
            .map_err(|e| open_refusal(&e, "cannot be resolved"))?;
        let meta = handle
            .metadata()
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        self.check_descriptor(&handle)?;
        Ok((classify(real, &meta)?, meta))
    }

    /// The canonical form of `path`, when both it and its canonical form are under the roots.
    fn real_path(&self, path: &Path) -> Result<PathBuf, Refusal> {
        let path = self.alias(path);
        if !path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        {
            return Err(Refusal::Forbidden("path traversal"));
        }
        if !self.inside(path) {
            return Err(Refusal::Forbidden("outside the roots"));
        }
        let real = path
            .canonicalize()
            .map_err(|e| open_refusal(&e, "cannot be resolved"))?;
        if !self.inside(&real) {
            return Err(Refusal::Forbidden("symlink leaves the roots"));
        }
        Ok(real)
    }

    /// Opens an allowed regular file for reading. The descriptor itself is checked again, so
    /// what is returned is a regular file under the roots even if the path changed meanwhile.
    pub fn open_file(&self, path: &Path) -> Result<(File, Metadata), Refusal> {
        let real = match self.check(path)? {
            Target::File(p) => p,
            Target::Dir(_) => return Err(Refusal::Forbidden("not a regular file")),
        };
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&real)
            .map_err(|e| open_refusal(&e, "cannot be opened"))?;
        let meta = file
            .metadata()
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        if !meta.is_file() {
            return Err(Refusal::Forbidden("not a regular file"));
        }
        self.check_descriptor(&file)?;
        Ok((file, meta))
    }

    /// Refuses a descriptor whose file the kernel places outside the roots.
    fn check_descriptor(&self, file: &File) -> Result<(), Refusal> {
        match descriptor_path(file) {
            Ok(opened) if !self.inside(&opened) => {
                Err(Refusal::Forbidden("symlink leaves the roots"))
            }
            _ => Ok(()),
        }
    }

    /// True when `path` is a root or lies below one, comparing whole components.
    pub fn inside(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r))
    }
}

fn open_refusal(e: &io::Error, otherwise: &'static str) -> Refusal {
    match e.kind() {
        io::ErrorKind::NotFound => Refusal::NotFound,
        _ => Refusal::Forbidden(otherwise),
    }
}

fn classify(real: PathBuf, meta: &Metadata) -> Result<Target, Refusal> {
    if meta.is_file() {
        Ok(Target::File(real))
    } else if meta.is_dir() {
        Ok(Target::Dir(real))
    } else {
        Err(Refusal::Forbidden("not a regular file"))
    }
}

/// The path the kernel has for an open descriptor (Linux `/proc`); an error where there is no
/// `/proc`, in which case the path checks above stand alone.
fn descriptor_path(file: &File) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// Percent-decodes a raw request path into an absolute path, refusing anything that could
/// mean something other than plain names separated by `/`.
pub fn decode(raw_path: &str) -> Result<PathBuf, Refusal> {
    build(raw_path, decode_segment)
}

/// Checks an already-decoded absolute path (e.g. from a query parameter) the same way.
pub fn plain(path: &str) -> Result<PathBuf, Refusal> {
    build(path, |seg| check_name(seg.into()))
}

fn build<'a>(
    path: &'a str,
    segment: impl Fn(&'a str) -> Result<String, Refusal>,
) -> Result<PathBuf, Refusal> {
    if !path.starts_with('/') {
        return Err(Refusal::Malformed("path must start with /"));
    }
    let mut out = PathBuf::from("/");
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push(segment(seg)?);
    }
    Ok(out)
}

fn decode_segment(seg: &str) -> Result<String, Refusal> {
    let b = seg.as_bytes();
    for (i, _) in seg.match_indices('%') {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        if !hex(i + 1) || !hex(i + 2) {
            return Err(Refusal::Malformed("bad percent-encoding"));
        }
    }
    let s = percent_decode_str(seg)
        .decode_utf8()
        .map_err(|_| Refusal::Malformed("path is not UTF-8"))?;
    check_name(s)
}

fn check_name(s: std::borrow::Cow<'_, str>) -> Result<String, Refusal> {
    if s.contains(['/', '\0']) {
        return Err(Refusal::Malformed("encoded separator or NUL in path"));
    }
    if s == "." || s == ".." {
        return Err(Refusal::Forbidden("path traversal"));
    }
    Ok(s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("logview-sandbox-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d.canonicalize().unwrap()
    }

    #[test]
    fn decode_accepts_plain_and_encoded_names() {
        assert_eq!(
            decode("/var//log/a%20b.log").unwrap(),
            PathBuf::from("/var/log/a b.log")
        );
        assert_eq!(decode("/").unwrap(), PathBuf::from("/"));
        assert_eq!(decode("/%C3%A9t%C3%A9").unwrap(), PathBuf::from("/été"));
        assert_eq!(plain("/a b//c%20").unwrap(), PathBuf::from("/a b/c%20"));
        assert_eq!(decode("/a%5c..").unwrap(), PathBuf::from("/a\\.."));
        assert_eq!(plain("/..\\b").unwrap(), PathBuf::from("/..\\b"));
        assert_eq!(plain("/a/../b"), Err(Refusal::Forbidden("path traversal")));
    }

    #[test]
    fn decode_refuses_every_traversal_spelling() {
        for bad in [
            "/a/../etc/passwd",
            "/a/%2e%2e/etc",
            "/a/.%2E/etc",
            "/a/%2E%2e",
            "/a/./b",
        ] {
            assert_eq!(
                decode(bad),
                Err(Refusal::Forbidden("path traversal")),
                "{bad}"
            );
        }
        for bad in [
            "/a%2f..%2fetc",
            "/a%2Fb",
            "/a%00b",
            "/a%zz",
            "/a%2",
            "/%ff%fe",
            "a/b",
            "",
        ] {
            assert!(matches!(decode(bad), Err(Refusal::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn roots_compare_whole_components() {
        let base = tmp("prefix");
        fs::create_dir_all(base.join("a")).unwrap();
        fs::create_dir_all(base.join("ab")).unwrap();
        fs::write(base.join("ab/x"), "secret").unwrap();
        fs::write(base.join("a/ok.log"), "fine").unwrap();
        let sb = Sandbox::new(vec![base.join("a")]);
        let p = |s: &Path| s.to_str().unwrap().to_string();
        assert_eq!(
            sb.resolve(&p(&base.join("ab/x"))),
            Err(Refusal::Forbidden("outside the roots"))
        );
        assert_eq!(
            sb.resolve(&p(&base.join("a/ok.log"))),
            Ok(Target::File(base.join("a/ok.log")))
        );
        assert_eq!(sb.resolve(&p(&base.join("a/nope"))), Err(Refusal::NotFound));
        assert_eq!(
            sb.resolve(&p(&base.join("nope"))),
            Err(Refusal::Forbidden("outside the roots"))
        );
        assert_eq!(
            sb.resolve(&p(&base.join("a"))),
            Ok(Target::Dir(base.join("a")))
        );
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let base = tmp("symlink");
        fs::create_dir_all(base.join("root/sub")).unwrap();
        fs::write(base.join("secret"), "s").unwrap();
        fs::write(base.join("root/real.log"), "r").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), base.join("root/out")).unwrap();
        std::os::unix::fs::symlink(&base, base.join("root/sub/up")).unwrap();
        std::os::unix::fs::symlink(base.join("root/real.log"), base.join("root/in")).unwrap();
        let sb = Sandbox::new(vec![base.join("root")]);
        let s = |rel: &str| format!("{}/{rel}", base.display());
        let leak = Refusal::Forbidden("symlink leaves the roots");
        assert_eq!(sb.resolve(&s("root/out")), Err(leak.clone()));
        assert_eq!(sb.resolve(&s("root/sub/up/secret")), Err(leak.clone()));
        assert_eq!(
            sb.open_file(Path::new(&s("root/out"))).map(|_| ()),
            Err(leak)
        );
        assert_eq!(
            sb.resolve(&s("root/in")),
            Ok(Target::File(base.join("root/real.log")))
        );
    }

    #[test]
    fn backslash_names_are_plain_names() {
        let base = tmp("backslash");
        fs::create_dir_all(base.join("root")).unwrap();
        fs::write(base.join("secret"), "s").unwrap();
        fs::write(base.join("root/a\\b.log"), "ab").unwrap();
        fs::write(base.join("root/..\\secret"), "x").unwrap();
        let sb = Sandbox::new(vec![base.join("root")]);
        let root = base.join("root").to_str().unwrap().to_string();
        let (_, meta) = sb.open_file(&base.join("root/a\\b.log")).unwrap();
        assert_eq!(meta.len(), 2);
        assert_eq!(
            sb.resolve(&format!("{root}/..%5Csecret")),
            Ok(Target::File(base.join("root/..\\secret")))
        );
        assert_eq!(
            sb.resolve(&format!("{root}/..%5C..%5Csecret")),
            Err(Refusal::NotFound),
            "one name, not a way up"
        );
    }

    #[test]
    fn stat_reads_the_file_a_symlink_names() {
        let base = tmp("stat");
        fs::create_dir_all(base.join("root")).unwrap();
        fs::write(base.join("root/real.log"), "12345").unwrap();
        std::os::unix::fs::symlink(base.join("root/real.log"), base.join("root/in")).unwrap();
        let sb = Sandbox::new(vec![base.join("root")]);
        let (target, meta) = sb.stat(&base.join("root/in")).unwrap();
        assert_eq!(target, Target::File(base.join("root/real.log")));
        assert_eq!(meta.len(), 5);
        let (target, meta) = sb.stat(&base.join("root")).unwrap();
        assert_eq!(
            (target, meta.is_dir()),
            (Target::Dir(base.join("root")), true)
        );
    }

    #[test]
    fn single_file_root_admits_only_itself() {
        let base = tmp("fileroot");
        fs::write(base.join("one.log"), "1").unwrap();
        fs::write(base.join("two.log"), "2").unwrap();
        let sb = Sandbox::new(vec![base.join("one.log")]);
        assert!(sb.open_file(&base.join("one.log")).is_ok());
        assert!(matches!(
            sb.open_file(&base.join("two.log")),
            Err(Refusal::Forbidden(_))
        ));
    }
}
