//! The sandbox: a request path becomes an allowed regular file or directory under the roots,
//! or a [`Refusal`].
//!
//! Guarantees: a path is judged after percent-decoding and after canonicalisation, so `..`,
//! encoded separators, doubled slashes and symlinks cannot leave the roots; roots compare by
//! whole components (`/tmp/a` never admits `/tmp/ab`); FIFOs, devices and sockets are refused
//! before anything is opened, and a file is opened non-blocking and re-checked through its
//! descriptor, so a swap between the check and the open cannot smuggle one in.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use percent_encoding::percent_decode_str;

use crate::refusal::Refusal;

/// `O_NONBLOCK` on Linux: opening a FIFO for reading with it never blocks.
const O_NONBLOCK: i32 = 0o4000;

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
}

impl Sandbox {
    /// `roots` must already be canonical (config does that).
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Sandbox { roots }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Resolves the raw (still percent-encoded) path of a request target.
    pub fn resolve(&self, raw_path: &str) -> Result<Target, Refusal> {
        self.check(&decode(raw_path)?)
    }

    /// Judges an absolute, already-decoded path.
    pub fn check(&self, path: &Path) -> Result<Target, Refusal> {
        if !path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        {
            return Err(Refusal::Forbidden("path traversal"));
        }
        if !self.inside(path) {
            return Err(Refusal::Forbidden("outside the roots"));
        }
        let real = path.canonicalize().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Refusal::NotFound,
            _ => Refusal::Forbidden("cannot be resolved"),
        })?;
        if !self.inside(&real) {
            return Err(Refusal::Forbidden("symlink leaves the roots"));
        }
        let meta = real
            .metadata()
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        classify(real, &meta)
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
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Refusal::NotFound,
                _ => Refusal::Forbidden("cannot be opened"),
            })?;
        let meta = file
            .metadata()
            .map_err(|_| Refusal::Forbidden("cannot be read"))?;
        if !meta.is_file() {
            return Err(Refusal::Forbidden("not a regular file"));
        }
        if let Ok(opened) = descriptor_path(&file)
            && !self.inside(&opened)
        {
            return Err(Refusal::Forbidden("symlink leaves the roots"));
        }
        Ok((file, meta))
    }

    /// True when `path` is a root or lies below one, comparing whole components.
    pub fn inside(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r))
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
    if s.contains(['/', '\\', '\0']) {
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
            "/a%5c..",
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
