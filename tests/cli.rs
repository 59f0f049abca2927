//! The command line: help, version, and bad arguments or roots failing fast with exit code 2.
mod support;
use std::process::Command;
use support::*;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logview"))
        .args(args)
        .output()
        .unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        s(&out.stdout),
        s(&out.stderr),
    )
}

#[test]
fn help_and_version() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--bind",
        "--lines",
        "--heartbeat",
        "--max-clients",
        "--allow-origin",
        "ROOT",
    ] {
        assert!(out.contains(flag), "help mentions {flag}");
    }
    let (code, out, _) = run(&["-V"]);
    assert_eq!(code, 0);
    let prefix = concat!("logview ", env!("CARGO_PKG_VERSION"), " (commit ");
    assert!(out.starts_with(prefix), "{out}");
    // The commit (12 hex digits, or `unknown` outside a git checkout) and the target.
    let rest = out.trim().strip_prefix(prefix).unwrap();
    let (commit, target) = rest.strip_suffix(')').unwrap().split_once(", ").unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    assert!(target.contains("-linux-"), "{out}");
}

#[test]
fn bad_arguments_exit_2_with_one_line_before_binding() {
    for args in [
        vec!["--no-such-flag"],
        vec!["--lines", "many"],
        vec!["--bind", "not-an-address"],
        vec!["/definitely/not/a/dir"],
        vec!["--max-clients", "0"],
        vec!["--allow-origin", "not a url"],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            out.is_empty(),
            "nothing bound or printed on stdout for {args:?}"
        );
        assert_eq!(
            err.trim().lines().count(),
            1,
            "one line for {args:?}: {err}"
        );
        assert!(err.starts_with("logview: "), "{err}");
    }
}

#[test]
fn a_busy_port_is_an_error() {
    let dir = TempDir::new("cli");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let addr = srv.addr.to_string();
    let (code, _, err) = run(&["--bind", &addr, dir.0.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("logview: "), "{err}");
}
