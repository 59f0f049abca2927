//! Compressed (`.gz`) files until they can be read as lines: every route that reads lines
//! refuses them with 415 and a reason (never garbage bytes as text), a browser gets the page
//! with the reason, and the raw download still gives the compressed bytes.
mod support;
use std::process::Command;
use support::*;

fn gz(dir: &TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let plain = dir.write(name.trim_end_matches(".gz"), text);
    assert!(
        Command::new("gzip")
            .arg("-n")
            .arg(&plain)
            .status()
            .unwrap()
            .success()
    );
    dir.path(name)
}

#[test]
fn a_gz_file_is_refused_as_lines_but_downloads_raw() {
    let dir = TempDir::new("compressed");
    let member = gz(&dir, "app.log.2.gz", "old line\n");
    let fake = dir.write("notes.gz", "plain text in a .gz name\n");
    let srv = Server::start(&[dir.0.to_str().unwrap()]);
    let p = member.display();
    assert_eq!(srv.handshake_status(&member, "", None), 415);
    for target in [
        format!("/_logview/api/lines?path={p}&from=0"),
        format!("/_logview/api/search?path={p}&q=old"),
        format!("/_logview/api/timeline?path={p}"),
    ] {
        let (status, body) = srv.get(&target);
        assert_eq!(status, 415, "{target}: {body}");
        assert!(body.contains("compressed file"), "{body}");
    }
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\n\r\n",
        encode_path(&member),
        srv.addr
    );
    let page = srv.raw(head.as_bytes());
    assert!(page.starts_with("HTTP/1.1 415"), "{page}");
    assert!(
        page.contains("logview-refusal"),
        "the page, with the reason"
    );
    let (status, body) = srv.get(&format!("/_logview/raw{}", encode_path(&member)));
    assert_eq!(status, 200);
    assert!(body.len() > 10, "the compressed bytes");
    // A `.gz` name without gzip's bytes is plain text.
    let got = read_to_close(&mut srv.connect(&fake, ""));
    assert_eq!(got.text, "plain text in a .gz name\n");
}
