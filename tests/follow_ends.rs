//! How following ends when its path goes bad: a followed symlink re-pointed out of the roots
//! (a rotation into an outside file) ends the session with 1008 and not one line of the
//! outside file; a path that can no longer be looked up ends it with 1011.
mod support;
use std::fs;
use std::os::unix::fs::symlink;
use std::time::Duration;
use support::*;

fn follow(srv: &Server, path: &std::path::Path) -> Ws {
    let mut ws = srv.connect(path, "tail=1&meta=1");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.event_names().contains(&"live".to_string())
    });
    assert_eq!(got.text, "inside 1\n");
    ws
}

#[test]
fn a_symlink_re_pointed_out_of_the_roots_closes_with_1008_and_leaks_nothing() {
    let dir = TempDir::new("rotate-out");
    fs::create_dir_all(dir.path("root")).unwrap();
    fs::create_dir_all(dir.path("outside")).unwrap();
    dir.write("root/a.log", "inside 1\n");
    dir.write("outside/secret.log", "SECRET old\n");
    symlink(dir.path("root/a.log"), dir.path("root/current")).unwrap();
    let srv = Server::start(&[dir.path("root").to_str().unwrap()]);
    let mut ws = follow(&srv, &dir.path("root/current"));

    // A rotation as `logrotate -L` or a deployment does it: the link is re-pointed at once.
    symlink(dir.path("outside/secret.log"), dir.path("root/current.new")).unwrap();
    fs::rename(dir.path("root/current.new"), dir.path("root/current")).unwrap();
    dir.append("outside/secret.log", "SECRET new\n");
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.close.is_some() || r.text.contains("SECRET")
    });
    assert!(!got.text.contains("SECRET"), "outside lines sent: {got:?}");
    assert!(
        !got.event_names().contains(&"rotated".to_string()),
        "{:?}",
        got.events
    );
    assert_eq!(got.close, Some((1008, "file is no longer allowed".into())));
    srv.wait_log("file replaced: ", Duration::from_secs(5));
}

#[test]
fn a_path_that_cannot_be_looked_up_any_more_closes_with_1011() {
    let dir = TempDir::new("read-error");
    let log = dir.write("a.log", "inside 1\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let mut ws = follow(&srv, &log);

    // The path becomes a symlink to itself: looking it up fails with ELOOP, which is neither
    // "gone" nor a new file.
    symlink("a.log", dir.path("a.log.new")).unwrap();
    fs::rename(dir.path("a.log.new"), &log).unwrap();
    let got = read_to_close(&mut ws);
    assert_eq!(got.text, "");
    assert_eq!(got.close, Some((1011, "file read error".into())));
    srv.wait_log("read error: ", Duration::from_secs(5));
}
