//! Puts the commit the binary is built from into `LOGVIEW_COMMIT`, and the target triple into
//! `LOGVIEW_TARGET`, for `logview --version`.
//!
//! Order: the `LOGVIEW_COMMIT` environment variable (for builds from a tarball that know their
//! commit), then `git rev-parse HEAD` of this checkout, then `unknown` (a tarball without
//! `.git`, or no git installed). Nothing else is read, so the output depends only on the
//! commit: two builds of one commit stay byte-identical.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LOGVIEW_COMMIT");
    let commit = match std::env::var("LOGVIEW_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => from_git().unwrap_or_else(|| "unknown".to_string()),
    };
    println!("cargo:rustc-env=LOGVIEW_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=LOGVIEW_TARGET={target}");
}

/// The first 12 hex digits of HEAD, with the files that move when HEAD moves watched so a new
/// commit rebuilds the version string. `None` outside a git checkout.
fn from_git() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).output().ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    let head = git(&["rev-parse", "--verify", "--short=12", "HEAD"])?;
    // Only the checkout this crate is in: a tarball unpacked inside another repository
    // would otherwise name that repository's commit.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").ok()?);
    if top.canonicalize().ok()? != here.canonicalize().ok()? {
        return None;
    }
    let git_dir = PathBuf::from(git(&["rev-parse", "--absolute-git-dir"])?);
    println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        // A branch lives in its own file, or in packed-refs once packed. A path that does
        // not exist would rerun this script on every build, so only existing ones are named.
        for file in [git_dir.join(&reference), git_dir.join("packed-refs")] {
            if file.exists() {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
    }
    Some(head)
}
