//! The release archives of `make release` (dist/, or LOGVIEW_DIST): their checksums and
//! contents, and that each binary is static in fact: the x86_64 one starts and serves a file
//! inside an empty chroot (no /lib, no /etc, nothing but itself and the log), the aarch64 one
//! under qemu-aarch64 with no aarch64 libraries installed; both answer a WebSocket history
//! request. `make test` builds the archives first when the musl targets are installed;
//! without them (or with archives of another commit) the tests say so and pass, unless
//! LOGVIEW_REQUIRE_RELEASE=1 (CI). The man page check needs no archive.
mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];

fn skip(msg: &str) {
    let msg = format!("SKIPPED tests/release.rs: {msg}");
    assert!(
        std::env::var("LOGVIEW_REQUIRE_RELEASE").as_deref() != Ok("1"),
        "{msg}"
    );
    eprintln!("\n{}\n{msg}\n{}\n", "=".repeat(70), "=".repeat(70));
}

fn dist() -> PathBuf {
    std::env::var_os("LOGVIEW_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("dist"))
}

fn archive_name(target: &str) -> String {
    format!("logview-{VERSION}-{target}")
}

/// The archive of `target` unpacked in `tmp`: the directory it holds. `None` (after saying
/// so) when there is no archive.
fn unpacked(target: &str, tmp: &TempDir) -> Option<PathBuf> {
    let archive = dist().join(format!("{}.tar.gz", archive_name(target)));
    if !archive.exists() {
        skip(&format!(
            "{} not built (make release; needs rustup target add {})",
            archive.display(),
            TARGETS.join(" ")
        ));
        return None;
    }
    let ok = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&tmp.0)
        .status()
        .unwrap();
    assert!(ok.success(), "tar unpacks {archive:?}");
    Some(tmp.path(&archive_name(target)))
}

/// `--version` of `cmd`, which runs the binary; `None` (after saying so) when the archive was
/// built from another commit than this test.
fn same_commit(cmd: &mut Command) -> Option<String> {
    let out = cmd.arg("--version").output().expect("--version runs");
    assert!(out.status.success(), "{out:?}");
    let version = String::from_utf8(out.stdout).unwrap();
    let commit = env!("LOGVIEW_COMMIT");
    if !version.contains(&format!("(commit {commit}, ")) {
        skip(&format!(
            "the archives are of another commit ({}), this is {commit}: make release",
            version.trim()
        ));
        return None;
    }
    Some(version)
}

/// Checks the ELF header of a static executable for `machine`: no program interpreter and no
/// shared library needed (a static-pie keeps a dynamic section, for its own relocations).
fn assert_static_elf(bin: &Path, machine: u16) {
    let elf = std::fs::read(bin).unwrap();
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap());
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..4], b"\x7fELF", "{bin:?} is ELF");
    assert_eq!((elf[4], elf[5]), (2, 1), "64-bit little-endian");
    assert_eq!(u16_at(0x12), machine, "{bin:?} machine");
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36) as usize, u16_at(0x38));
    for i in 0..phnum as usize {
        let ph = phoff + i * phentsize;
        let kind = u32_at(ph);
        assert_ne!(
            kind, 3,
            "{bin:?} has a PT_INTERP: it needs a dynamic loader"
        );
        if kind == 2 {
            let (start, size) = (u64_at(ph + 8), u64_at(ph + 32));
            for entry in (start..start + size).step_by(16) {
                match u64_at(entry) {
                    0 => break,
                    1 => panic!("{bin:?} needs a shared library (DT_NEEDED)"),
                    _ => {}
                }
            }
        }
    }
}

/// A history request over WebSocket to a server started by `cmd`, serving `log` (as the
/// server sees it: inside the chroot, or the real path under qemu).
fn history_served(cmd: &mut Command, log: &Path) {
    let srv = Server::start_cmd(cmd.args(["--bind", "127.0.0.1:0"]));
    let mut ws = srv.connect(log, "lines=2");
    let got = read_to_close(&mut ws);
    assert_eq!(got.text, "second\nthird\n");
    assert_eq!(got.close, Some((1000, "end of history".to_string())));
    let (status, body) = srv.get("/_logview/api/status");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn checksums_and_contents() {
    let tmp = TempDir::new("release-contents");
    let mut seen = Vec::new();
    for target in TARGETS {
        let Some(dir) = unpacked(target, &tmp) else {
            return;
        };
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let want = vec![
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.md",
            "THIRD-PARTY-LICENSES",
            "logview",
            "logview.1",
            "logview.service",
            "nginx-hosts.conf",
            "nginx-hosts.html",
            "nginx-logview.conf",
            "rsyslog-collector.conf",
            "rsyslog-forward.conf",
        ];
        assert_eq!(files, want, "{target} archive");
        third_party_licences(&dir, target);
        let size = std::fs::metadata(dir.join("logview")).unwrap().len();
        assert!(size < 3_000_000, "{target}: {size} bytes");
        let man = std::fs::read_to_string(dir.join("logview.1")).unwrap();
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/logview.1"));
        assert_eq!(
            man,
            docs.unwrap(),
            "the archive's man page is docs/logview.1"
        );
        // Fixed owner and time in the archive, the same for every entry.
        let listing = Command::new("tar")
            .arg("-tvzf")
            .arg(dist().join(format!("{}.tar.gz", archive_name(target))))
            .arg("--numeric-owner")
            .output()
            .unwrap();
        let listing = String::from_utf8(listing.stdout).unwrap();
        let stamps: std::collections::BTreeSet<_> = listing
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(f[1], "0/0", "owner: {l}");
                (f[3].to_string(), f[4].to_string())
            })
            .collect();
        assert_eq!(stamps.len(), 1, "one time for every entry: {listing}");
        seen.push(format!("{}.tar.gz", archive_name(target)));
    }
    seen.sort();
    let sums = std::fs::read_to_string(dist().join("SHA256SUMS")).expect("dist/SHA256SUMS");
    let listed: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(listed, seen, "SHA256SUMS lists the archives");
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(dist())
        .output()
        .unwrap();
    assert!(check.status.success(), "sha256sum -c: {check:?}");
}

/// THIRD-PARTY-LICENSES names every crate of Cargo.lock that the binary links (a sample:
/// the direct dependencies that always are) with its licence text, and none that it does not
/// (dev-dependencies, proc macros, logview itself).
fn third_party_licences(dir: &Path, target: &str) {
    let text = std::fs::read_to_string(dir.join("THIRD-PARTY-LICENSES")).unwrap();
    let crates: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("==== "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    for linked in [
        "tungstenite",
        "url",
        "regex",
        "miniz_oxide",
        "rustix",
        "log",
    ] {
        assert!(crates.contains(&linked), "{target}: {linked} in {crates:?}");
    }
    for not_linked in ["logview", "rustls", "socket2", "serde_derive"] {
        assert!(!crates.contains(&not_linked), "{target}: {not_linked}");
    }
    for section in text.split("==== ").skip(1) {
        assert!(
            section.contains("\n---- "),
            "{target}: no licence text: {section}"
        );
    }
    assert!(text.contains("Permission is hereby granted"), "{target}");
}

#[test]
fn x86_64_binary_serves_from_an_empty_chroot() {
    let tmp = TempDir::new("release-chroot");
    let Some(dir) = unpacked(TARGETS[0], &tmp) else {
        return;
    };
    assert_static_elf(&dir.join("logview"), 62);
    // The chroot: the binary and one log, nothing else (no /lib, /etc, /proc, /dev, /tmp).
    let root = tmp.path("root");
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::rename(dir.join("logview"), root.join("logview")).unwrap();
    std::fs::write(root.join("logs/app.log"), "first\nsecond\nthird\n").unwrap();
    let chroot = || {
        let mut cmd = if rustix::process::geteuid().is_root() {
            Command::new("chroot")
        } else {
            let mut c = Command::new("unshare");
            c.args(["--user", "--map-root-user", "chroot"]);
            c
        };
        cmd.arg(&root).arg("/logview");
        cmd
    };
    if same_commit(&mut chroot()).is_none() {
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["logs", "logview"],
        "the chroot holds nothing else"
    );
    history_served(chroot().arg("/logs"), Path::new("/logs/app.log"));
}

#[test]
fn aarch64_binary_serves_under_qemu() {
    let tmp = TempDir::new("release-qemu");
    let Some(dir) = unpacked(TARGETS[1], &tmp) else {
        return;
    };
    let bin = dir.join("logview");
    assert_static_elf(&bin, 183);
    let qemu = || {
        let mut cmd = Command::new("qemu-aarch64");
        // No sysroot: a binary needing the aarch64 loader or libc could not start.
        cmd.env_remove("QEMU_LD_PREFIX").arg(&bin);
        cmd
    };
    match qemu().arg("--help").output() {
        Err(e) => {
            skip(&format!(
                "qemu-aarch64 cannot run ({e}): apt-get install qemu-user"
            ));
            return;
        }
        Ok(out) => assert!(out.status.success(), "{out:?}"),
    }
    if same_commit(&mut qemu()).is_none() {
        return;
    }
    let logs = tmp.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("app.log"), "first\nsecond\nthird\n").unwrap();
    history_served(qemu().arg(&logs), &logs.join("app.log"));
}

/// docs/logview.1 is what docs/help2man.awk makes of this build's --help (`make man`).
#[test]
fn man_page_is_made_from_the_help() {
    let help = Command::new(env!("CARGO_BIN_EXE_logview"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let mut awk = Command::new("awk")
        .args(["-v", &format!("version={VERSION}"), "-f"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/help2man.awk"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("awk runs");
    use std::io::Write;
    awk.stdin.take().unwrap().write_all(&help.stdout).unwrap();
    let made = awk.wait_with_output().unwrap();
    assert!(made.status.success());
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/logview.1")).unwrap();
    assert!(
        String::from_utf8(made.stdout).unwrap() == docs,
        "docs/logview.1 is stale: run `make man`"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH ENVIRONMENT"] {
        assert!(docs.contains(section), "{section}");
    }
}
