//! The "central collection" recipe, end to end: an rsyslog shipper running the shipped
//! `docs/rsyslog-forward.conf` reads an application's log file and forwards it over TCP to an
//! rsyslog collector running `docs/rsyslog-collector.conf`, which writes one file per program
//! and host; logview serves the collector's directory, and a merged view of the program's
//! directory gets the host's lines, history and live. Both rsyslogs run in the foreground with
//! their own work directories, paths and port.
//! Without rsyslogd the test says so and passes, unless LOGVIEW_REQUIRE_RSYSLOG=1 (CI).
mod support;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

struct Rsyslog(Child);

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rsyslogd() -> Option<PathBuf> {
    ["/usr/sbin/rsyslogd", "/usr/bin/rsyslogd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs the shipped `docs/<file>` in the foreground with `swaps` applied to it.
fn start(bin: &Path, dir: &Path, name: &str, file: &str, swaps: &[(&str, String)]) -> Rsyslog {
    let mut conf = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap()
        .replace("/etc/rsyslog.d", "");
    for (from, to) in swaps {
        assert!(conf.contains(from), "{file} lost {from}");
        conf = conf.replace(from, to);
    }
    let work = dir.join(format!("{name}-work"));
    std::fs::create_dir_all(&work).unwrap();
    let conf = format!("global(workDirectory=\"{}\")\n{conf}", work.display());
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-n")
        .arg("-f")
        .arg(&path)
        .arg("-i")
        .arg(dir.join(format!("{name}.pid")))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("rsyslogd starts");
    Rsyslog(child)
}

/// Waits for `dir` to hold a file, and returns it.
fn first_file(dir: &Path, limit: Duration) -> PathBuf {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(f) = std::fs::read_dir(dir)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
        {
            return f.path();
        }
        assert!(Instant::now() < deadline, "nothing arrived in {dir:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn lines_shipped_by_rsyslog_are_served_from_the_collector() {
    let Some(bin) = rsyslogd() else {
        let msg = "SKIPPED tests/collector.rs: rsyslogd not found (apt-get install rsyslog)";
        assert!(
            std::env::var("LOGVIEW_REQUIRE_RSYSLOG").as_deref() != Ok("1"),
            "{msg}"
        );
        eprintln!("\n{}\n{msg}\n{}\n", "=".repeat(70), "=".repeat(70));
        return;
    };
    let dir = TempDir::new("collector");
    let d = dir.0.display().to_string();
    std::fs::create_dir_all(dir.path("app")).unwrap();
    std::fs::create_dir_all(dir.path("fleet")).unwrap();
    dir.write("app/web.log", "GET /health 200\n");
    // A port that was free a moment ago; the collector binds it at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let _collector = start(
        &bin,
        &dir.0,
        "collector",
        "docs/rsyslog-collector.conf",
        &[
            ("/var/log/fleet/%", format!("{d}/fleet/%")),
            ("port=\"514\"", format!("port=\"{port}\"")),
        ],
    );
    // The shipper retries a refused connection only after 30 s (rsyslog's resumeInterval):
    // it starts once the collector listens.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err() {
        assert!(Instant::now() < deadline, "the collector never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _shipper = start(
        &bin,
        &dir.0,
        "shipper",
        "docs/rsyslog-forward.conf",
        &[
            ("/srv/app/logs/*.log", format!("{d}/app/*.log")),
            ("collector.example.com", "127.0.0.1".to_string()),
            ("port=\"514\"", format!("port=\"{port}\"")),
        ],
    );
    // The shipper retries until the collector listens; its file is fleet/app/<host>.log.
    let host_file = first_file(&dir.path("fleet/app"), Duration::from_secs(60));
    let host = host_file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();

    let srv = Server::start(&[dir.path("fleet").to_str().unwrap()]);
    let url = format!(
        "ws://{}/_logview/merge?path={}&tail=1",
        srv.addr,
        encode_path(&dir.path("fleet/app"))
    );
    let (mut ws, _) = tungstenite::connect(url).expect("merged view");
    set_timeout(&ws, Duration::from_secs(1));
    let got = read_until(&mut ws, Duration::from_secs(10), |r| {
        r.text.contains("GET /health 200")
    });
    let first = got.lines()[0].to_string();
    eprintln!("through rsyslog: {first}");
    assert!(
        first.starts_with(&format!("{host}: ")) && first.contains(" app"),
        "tagged with the host's file, rsyslog's time stamp, host and tag: {first}"
    );
    dir.append("app/web.log", "POST /login 302\n");
    let got = read_until(&mut ws, Duration::from_secs(30), |r| {
        r.text.contains("POST /login 302")
    });
    assert!(got.text.starts_with(&format!("{host}: ")), "{}", got.text);
}
