//! File names holding `\` (legal on Unix) are listed, and what is listed can be opened: over
//! the page route and over WebSocket. `\` never acts as a separator, so `..\` cannot climb.
mod support;
use support::*;

#[test]
fn a_listed_backslash_name_can_be_opened() {
    let dir = TempDir::new("backslash");
    std::fs::create_dir_all(dir.path("root")).unwrap();
    dir.write("secret", "outside\n");
    let log = dir.write("root/a\\b.log", "one\ntwo\n");
    let climb = dir.write("root/..\\secret", "just a name\n");
    let srv = Server::start(&[dir.path("root").to_str().unwrap()]);

    let (status, body) = srv.get(&format!(
        "/_logview/api/list?path={}",
        encode_path(&dir.path("root"))
    ));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names = entry_names(&v);
    assert_eq!(names, ["..\\secret", "a\\b.log"]);

    for (path, text) in [(&log, "one\ntwo\n"), (&climb, "just a name\n")] {
        let target = encode_path(path);
        assert!(target.contains("%5C"), "{target}");
        assert_eq!(srv.get(&target).0, 200, "page route for {target}");
        let mut ws = srv.connect(path, "tail=0");
        assert_eq!(read_lines(&mut ws, text.lines().count()).text, text);
    }
    let two_up = format!("{}/..%5C..%5Csecret", encode_path(&dir.path("root")));
    assert_eq!(srv.get(&two_up).0, 404, "a name, not a way up");
}
