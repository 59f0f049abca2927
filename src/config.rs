//! Command-line parsing: the help text, [`Config`], and its validation.
//!
//! Everything the server needs is decided here, before any socket is bound: roots are
//! canonicalised (so the sandbox compares real paths), numbers are range-checked and unknown
//! flags are an error.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::http::auth::Auth;

pub const HELP: &str = "\
logview: watch log files live in a browser or over WebSocket

USAGE:
  logview [OPTIONS] [ROOT]...
  logview hash-password USER

ARGS:
  ROOT                    a directory (or single file) that may be viewed; repeatable;
                          default: the current directory. `-` reads standard input and
                          serves it at /- (e.g. journalctl -f | logview -)

OPTIONS:
  -b, --bind ADDR         listen address (default 127.0.0.1:8765; port 0 picks a free port)
  -n, --lines N           lines of history sent when a file is opened (default 1000)
      --heartbeat SECS    ping interval; a peer that sends nothing for two intervals is
                          dropped (default 30)
      --max-clients N     concurrent WebSocket clients; the next one gets HTTP 503 (default 256)
      --max-pending N     connections still sending their request head (default 4096); one
                          address may hold 16 of them (no share with --trust-proxy)
      --allow-origin URL  extra browser Origin allowed to connect (repeatable)
      --max-line-bytes N  longer lines are cut to N bytes (default 1048576)
      --stdin-max-bytes N standard input kept at most (default 1073741824); past half of
                          it the older half is dropped
      --poll-ms MS        slowest file poll interval when a file is idle (default 200;
                          values over 250 act as 250)
      --auth-file FILE    require HTTP Basic authentication; FILE holds USER:HASH lines made
                          by `logview hash-password` (LOGVIEW_AUTH may hold them instead)
      --no-auth           allow a non-loopback --bind without authentication
      --base-path PATH    serve everything under PATH (e.g. /logs) behind a reverse proxy
      --trust-proxy       take the client address from X-Forwarded-For (logs, rate limits)
  -h, --help              print this help
  -V, --version           print the version, the commit it was built from and the target

COMMANDS:
  hash-password USER      read one line (the password) on standard input and print
                          USER:HASH (argon2id, random salt) for --auth-file or
                          LOGVIEW_AUTH; USER may not contain ':'

ENVIRONMENT:
  LOGVIEW_AUTH            USER:HASH entries, separated by newlines or spaces; used when
                          --auth-file is not given
  RUST_LOG                detail of the log on standard error (default info; debug
                          for more)

OUTPUT:
  Once listening, logview prints `logview listening on http://ADDR/` on standard
  output. Connections opened and closed, refusals and start-up limits are logged on
  standard error.

EXIT STATUS:
  0 after --help, --version or hash-password; 2 for bad arguments, a missing root or an
  unusable auth file (one line on standard error, before anything is bound); 1 when the
  server cannot start (e.g. the address is in use).

SEE ALSO:
  README.md in the release archive: the URL contract, the WebSocket protocol, the APIs,
  running behind nginx and under systemd.
";

/// What `--version` prints: the version, the commit (`unknown` when built outside a git
/// checkout, see build.rs) and the target the binary was built for.
pub const VERSION: &str = concat!(
    "logview ",
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LOGVIEW_COMMIT"),
    ", ",
    env!("LOGVIEW_TARGET"),
    ")"
);

/// Validated settings for one run of the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Canonical directories or files that may be viewed.
    pub roots: Vec<PathBuf>,
    pub bind: SocketAddr,
    pub lines: usize,
    pub heartbeat: Duration,
    pub max_clients: usize,
    /// Connections that may wait for their request head at once.
    pub max_pending: usize,
    /// Extra allowed origins, serialised as `scheme://host[:port]`.
    pub allow_origins: Vec<String>,
    pub max_line: usize,
    pub poll_max: Duration,
    /// Users allowed in, when authentication is on.
    pub auth: Option<Arc<Auth>>,
    /// URL prefix without a trailing slash (`""` when none).
    pub base_path: String,
    pub trust_proxy: bool,
    /// `-` was given: standard input is served at `/-`.
    pub stdin: bool,
    /// Bytes of standard input kept at most.
    pub stdin_max: u64,
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    Serve(Config),
    /// Print `USER:HASH` for a password read on standard input.
    HashPassword(String),
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

/// Parses the arguments after the program name; `env_auth` is `LOGVIEW_AUTH`.
pub fn parse(args: Vec<OsString>, env_auth: Option<String>) -> Result<Command, ArgError> {
    if args.first().is_some_and(|a| a == "hash-password") {
        return match &args[1..] {
            [user] if !user.is_empty() && !user.to_string_lossy().contains(':') => {
                Ok(Command::HashPassword(user.to_string_lossy().into_owned()))
            }
            _ => Err(ArgError::Invalid(
                "usage: logview hash-password USER (no ':')".into(),
            )),
        };
    }
    let mut p = pico_args::Arguments::from_vec(args);
    if p.contains(["-h", "--help"]) {
        return Ok(Command::Help);
    }
    if p.contains(["-V", "--version"]) {
        return Ok(Command::Version);
    }
    serve(p, env_auth).map(Command::Serve)
}

/// The options of the server itself, validated.
fn serve(mut p: pico_args::Arguments, env_auth: Option<String>) -> Result<Config, ArgError> {
    let bind = p
        .opt_value_from_str(["-b", "--bind"])?
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8765)));
    let lines = p.opt_value_from_str(["-n", "--lines"])?.unwrap_or(1000);
    let heartbeat: u64 = p.opt_value_from_str("--heartbeat")?.unwrap_or(30);
    let max_clients: usize = p.opt_value_from_str("--max-clients")?.unwrap_or(256);
    let max_pending: usize = p.opt_value_from_str("--max-pending")?.unwrap_or(4096);
    let max_line: usize = p.opt_value_from_str("--max-line-bytes")?.unwrap_or(1 << 20);
    let poll_ms: u64 = p.opt_value_from_str("--poll-ms")?.unwrap_or(200);
    let origins: Vec<String> = p.values_from_str("--allow-origin")?;
    let auth_file: Option<PathBuf> = p.opt_value_from_str("--auth-file")?;
    let no_auth = p.contains("--no-auth");
    let trust_proxy = p.contains("--trust-proxy");
    let base_path: Option<String> = p.opt_value_from_str("--base-path")?;
    let stdin_max: u64 = p
        .opt_value_from_str("--stdin-max-bytes")?
        .unwrap_or(1 << 30);
    let roots = free_args(p)?;
    let stdin = roots.iter().any(|r| r == "-");
    if stdin_max < 1 << 20 {
        return Err(ArgError::Invalid(
            "--stdin-max-bytes must be at least 1048576".into(),
        ));
    }
    if heartbeat == 0 || max_clients == 0 || max_pending == 0 || poll_ms == 0 {
        return Err(ArgError::Invalid(
            "--heartbeat, --max-clients, --max-pending and --poll-ms must be at least 1".into(),
        ));
    }
    if max_line < 256 {
        return Err(ArgError::Invalid(
            "--max-line-bytes must be at least 256".into(),
        ));
    }
    let auth = load_auth(auth_file, env_auth)?;
    if auth.is_none() && !no_auth && !bind.ip().is_loopback() {
        return Err(ArgError::Invalid(format!(
            "refusing to serve {bind} without authentication: give --auth-file (or LOGVIEW_AUTH), \
             or --no-auth if something in front of logview authenticates"
        )));
    }
    Ok(Config {
        roots: canonical_roots(roots)?,
        bind,
        lines,
        heartbeat: Duration::from_secs(heartbeat),
        max_clients,
        max_pending,
        allow_origins: origins
            .iter()
            .map(|o| parse_origin(o))
            .collect::<Result<_, _>>()?,
        max_line,
        poll_max: Duration::from_millis(poll_ms),
        auth,
        base_path: parse_base_path(base_path.as_deref().unwrap_or(""))?,
        trust_proxy,
        stdin,
        stdin_max,
    })
}

/// What is left after the options: the roots. Anything that looks like a flag is unknown.
fn free_args(p: pico_args::Arguments) -> Result<Vec<OsString>, ArgError> {
    let rest = p.finish();
    match rest
        .iter()
        .find(|a| a.to_string_lossy().starts_with('-') && *a != "-")
    {
        Some(flag) => Err(ArgError::Unknown(flag.to_string_lossy().into_owned())),
        None => Ok(rest),
    }
}

fn load_auth(file: Option<PathBuf>, env: Option<String>) -> Result<Option<Arc<Auth>>, ArgError> {
    let auth = match (file, env) {
        (Some(f), _) => Auth::load(&f),
        (None, Some(text)) if !text.trim().is_empty() => Auth::parse(&text, "LOGVIEW_AUTH"),
        _ => return Ok(None),
    };
    auth.map(|a| Some(Arc::new(a))).map_err(ArgError::Invalid)
}

/// `/logs/` → `/logs`; `/` or empty → no prefix. Only plain path characters are allowed.
pub fn parse_base_path(s: &str) -> Result<String, ArgError> {
    let trimmed = s.trim_end_matches('/');
    let plain = |seg: &str| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed.starts_with('/') || !trimmed[1..].split('/').all(plain) {
        return Err(ArgError::Invalid(format!(
            "--base-path '{s}' must look like /logs"
        )));
    }
    Ok(trimmed.to_string())
}

fn canonical_roots(args: Vec<OsString>) -> Result<Vec<PathBuf>, ArgError> {
    let args = if args.is_empty() {
        vec![OsString::from(".")]
    } else {
        args
    };
    let mut roots = Vec::with_capacity(args.len());
    // `-` is standard input, not a directory.
    for a in args.into_iter().filter(|a| a != "-") {
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
        match parse(args(list), None).expect("parses") {
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
            "--no-auth",
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

    fn parse_(a: Vec<OsString>) -> Result<Command, ArgError> {
        parse(a, None)
    }

    #[test]
    fn base_path_auth_and_subcommand() {
        assert_eq!(parse_base_path("/logs/").unwrap(), "/logs");
        assert_eq!(parse_base_path("/").unwrap(), "");
        assert_eq!(parse_base_path("/a/b-c_1").unwrap(), "/a/b-c_1");
        for bad in ["logs", "/a/../b", "/a b", "/a?x", "/a%2f"] {
            assert!(parse_base_path(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_(args(&["-b", "0.0.0.0:0"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(
            parse_(args(&["-b", "0.0.0.0:0", "--no-auth"])),
            Ok(Command::Serve(_))
        ));
        assert!(matches!(
            parse_(args(&["--auth-file", "/no/such"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(
            parse(args(&["-b", "0.0.0.0:0"]), Some("x".into())),
            Err(ArgError::Invalid(_))
        ));
        assert!(
            matches!(parse_(args(&["hash-password", "al"])), Ok(Command::HashPassword(u)) if u == "al")
        );
        assert!(matches!(
            parse_(args(&["hash-password", "a:b"])),
            Err(ArgError::Invalid(_))
        ));
    }

    /// Every option the parser reads (`"--flag"` or `"-f"` in the code above the tests) and
    /// every variable `main` reads with `env::var` is in the help, which the man page is made from.
    #[test]
    fn help_documents_every_option_and_variable() {
        let code = include_str!("config.rs")
            .split("#[cfg(test)]")
            .next()
            .unwrap();
        let code = format!("{code}{}", include_str!("main.rs"));
        let mut found = 0;
        for quoted in code.split('"').skip(1).step_by(2) {
            let flag = quoted.starts_with('-')
                && quoted.len() > 1
                && quoted[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            if flag {
                found += 1;
                assert!(HELP.contains(quoted), "--help does not mention {quoted}");
            }
        }
        assert!(found >= 16, "the scan found the options ({found})");
        for var in code.split("env::var(\"").skip(1) {
            let name = var.split('"').next().unwrap();
            assert!(HELP.contains(name), "--help does not mention {name}");
        }
        assert!(HELP.contains("hash-password USER"));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_(args(&["--bogus"])),
            Err(ArgError::Unknown(_))
        ));
        assert!(matches!(
            parse_(args(&["-n", "x"])),
            Err(ArgError::Parse(_))
        ));
        assert!(matches!(
            parse_(args(&["--bind", "localhost"])),
            Err(ArgError::Parse(_))
        ));
        assert!(matches!(
            parse_(args(&["/no/such/dir"])),
            Err(ArgError::Root(..))
        ));
        assert!(matches!(
            parse_(args(&["--heartbeat", "0"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(
            parse_(args(&["--allow-origin", "ftp://x"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(parse_(args(&["-h"])), Ok(Command::Help)));
        assert!(matches!(parse_(args(&["--version"])), Ok(Command::Version)));
    }
}
