//! Command-line parsing: the help text, [`Config`], and its validation.
//!
//! Everything the server needs is decided here, before any socket is bound: roots are
//! canonicalised (so the sandbox compares real paths), numbers are range-checked and unknown
//! flags are an error.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const HELP: &str = "\
logview: watch log files live in a browser or over WebSocket

USAGE:
  logview [OPTIONS] [ROOT]...

ARGS:
  ROOT                    a directory (or single file) that may be viewed; repeatable;
                          default: the current directory

OPTIONS:
  -b, --bind ADDR         listen address (default 127.0.0.1:8765; port 0 picks a free port)
  -n, --lines N           lines of history sent when a file is opened (default 1000)
      --heartbeat SECS    ping interval; a peer that sends nothing for two intervals is
                          dropped (default 30)
      --max-clients N     concurrent WebSocket clients; the next one gets HTTP 503 (default 256)
      --allow-origin URL  extra browser Origin allowed to connect (repeatable)
      --max-line-bytes N  longer lines are cut to N bytes (default 1048576)
      --poll-ms MS        slowest file poll interval when a file is idle (default 200)
  -h, --help              print this help
  -V, --version           print the version

Logging goes to standard error; set RUST_LOG=debug for more detail.
";

/// Validated settings for one run of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Canonical directories or files that may be viewed.
    pub roots: Vec<PathBuf>,
    pub bind: SocketAddr,
    pub lines: usize,
    pub heartbeat: Duration,
    pub max_clients: usize,
    /// Extra allowed origins, serialised as `scheme://host[:port]`.
    pub allow_origins: Vec<String>,
    pub max_line: usize,
    pub poll_max: Duration,
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    Serve(Config),
    Help,
    Version,
}

/// A command line that cannot be run; printed as one line, exit code 2.
#[derive(Debug, PartialEq)]
pub enum ArgError {
    /// pico-args could not parse an option or its value.
    Parse(String),
    /// An option was given that logview does not know.
    Unknown(String),
    /// A value parsed but is out of range or meaningless.
    Invalid(String),
    /// A ROOT does not exist or cannot be resolved.
    Root(PathBuf, String),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Parse(m) => write!(f, "{m} (see --help)"),
            ArgError::Unknown(a) => write!(f, "unknown argument '{a}' (see --help)"),
            ArgError::Invalid(m) => write!(f, "{m}"),
            ArgError::Root(p, e) => write!(f, "root '{}': {e}", p.display()),
        }
    }
}

impl From<pico_args::Error> for ArgError {
    fn from(e: pico_args::Error) -> Self {
        ArgError::Parse(e.to_string())
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: Vec<OsString>) -> Result<Command, ArgError> {
    let mut p = pico_args::Arguments::from_vec(args);
    if p.contains(["-h", "--help"]) {
        return Ok(Command::Help);
    }
    if p.contains(["-V", "--version"]) {
        return Ok(Command::Version);
    }
    let bind = p
        .opt_value_from_str(["-b", "--bind"])?
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8765)));
    let lines = p.opt_value_from_str(["-n", "--lines"])?.unwrap_or(1000);
    let heartbeat: u64 = p.opt_value_from_str("--heartbeat")?.unwrap_or(30);
    let max_clients: usize = p.opt_value_from_str("--max-clients")?.unwrap_or(256);
    let max_line: usize = p.opt_value_from_str("--max-line-bytes")?.unwrap_or(1 << 20);
    let poll_ms: u64 = p.opt_value_from_str("--poll-ms")?.unwrap_or(200);
    let origins: Vec<String> = p.values_from_str("--allow-origin")?;
    let mut roots: Vec<OsString> = Vec::new();
    for arg in p.finish() {
        if arg.to_string_lossy().starts_with('-') && arg != "-" {
            return Err(ArgError::Unknown(arg.to_string_lossy().into_owned()));
        }
        roots.push(arg);
    }
    if heartbeat == 0 || max_clients == 0 || poll_ms == 0 {
        return Err(ArgError::Invalid(
            "--heartbeat, --max-clients and --poll-ms must be at least 1".into(),
        ));
    }
    if max_line < 256 {
        return Err(ArgError::Invalid(
            "--max-line-bytes must be at least 256".into(),
        ));
    }
    Ok(Command::Serve(Config {
        roots: canonical_roots(roots)?,
        bind,
        lines,
        heartbeat: Duration::from_secs(heartbeat),
        max_clients,
        allow_origins: origins
            .iter()
            .map(|o| parse_origin(o))
            .collect::<Result<_, _>>()?,
        max_line,
        poll_max: Duration::from_millis(poll_ms),
    }))
}

fn canonical_roots(args: Vec<OsString>) -> Result<Vec<PathBuf>, ArgError> {
    let args = if args.is_empty() {
        vec![OsString::from(".")]
    } else {
        args
    };
    let mut roots = Vec::with_capacity(args.len());
    for a in args {
        let p = PathBuf::from(a);
        let canonical = p
            .canonicalize()
            .map_err(|e| ArgError::Root(p.clone(), e.to_string()))?;
        if !roots.contains(&canonical) {
            roots.push(canonical);
        }
    }
    Ok(roots)
}

/// Normalises an `--allow-origin` value to the form browsers send in `Origin`.
pub fn parse_origin(s: &str) -> Result<String, ArgError> {
    let bad = || ArgError::Invalid(format!("--allow-origin '{s}' is not an http(s) origin"));
    let url = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn serve(list: &[&str]) -> Config {
        match parse(args(list)).expect("parses") {
            Command::Serve(c) => c,
            other => panic!("expected Serve, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = serve(&[]);
        assert_eq!(c.bind, "127.0.0.1:8765".parse().unwrap());
        assert_eq!(c.lines, 1000);
        assert_eq!(c.heartbeat, Duration::from_secs(30));
        assert_eq!(c.max_clients, 256);
        assert_eq!(
            c.roots,
            vec![std::env::current_dir().unwrap().canonicalize().unwrap()]
        );
    }

    #[test]
    fn options_and_roots() {
        let c = serve(&[
            "-b",
            "0.0.0.0:9000",
            "-n",
            "5",
            "--heartbeat",
            "2",
            "--max-clients",
            "3",
            "--allow-origin",
            "https://Example.com:443/x",
            "--allow-origin",
            "http://a.test:8080",
            "/tmp",
            "/tmp",
        ]);
        assert_eq!(c.bind.port(), 9000);
        assert_eq!((c.lines, c.max_clients), (5, 3));
        assert_eq!(
            c.allow_origins,
            vec!["https://example.com", "http://a.test:8080"]
        );
        assert_eq!(c.roots.len(), 1, "duplicate roots collapse");
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse(args(&["--bogus"])),
            Err(ArgError::Unknown(_))
        ));
        assert!(matches!(parse(args(&["-n", "x"])), Err(ArgError::Parse(_))));
        assert!(matches!(
            parse(args(&["--bind", "localhost"])),
            Err(ArgError::Parse(_))
        ));
        assert!(matches!(
            parse(args(&["/no/such/dir"])),
            Err(ArgError::Root(..))
        ));
        assert!(matches!(
            parse(args(&["--heartbeat", "0"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(
            parse(args(&["--allow-origin", "ftp://x"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(parse(args(&["-h"])), Ok(Command::Help)));
        assert!(matches!(parse(args(&["--version"])), Ok(Command::Version)));
    }
}
