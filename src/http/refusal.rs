//! Every reason logview refuses a request, and the one place each maps to an HTTP status.
//!
//! Refusals happen before any WebSocket upgrade, so a client always gets a real status and a
//! short plain-text body, and the server logs one line with the same reason.

use std::fmt;

/// Why a request was not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request head or its target could not be parsed (bad percent-encoding, encoded `/`,
    /// NUL, invalid UTF-8, missing Host, bad query value).
    Malformed(&'static str),
    /// The request head grew past the size bound before it ended.
    HeadTooLarge,
    /// The target is outside every root, escapes through a symlink, uses `.`/`..`, or is not a
    /// regular file or directory (FIFO, device, socket).
    Forbidden(&'static str),
    /// The target is inside a root but does not exist.
    NotFound,
    /// A WebSocket upgrade from a browser Origin that is neither this host nor allowed.
    BadOrigin(String),
    /// Only GET is served.
    Method(String),
    /// The request head did not arrive within the handshake timeout.
    Timeout,
    /// The Host header names neither a loopback address (when bound to loopback) nor an
    /// allowed origin: a DNS-rebinding attempt.
    BadHost,
    /// Authentication is on and the request carries no credentials.
    Unauthorized,
    /// The credentials are wrong (unknown user, wrong password, unreadable header).
    BadCredentials,
    /// Too many failed attempts from this address: retry after this many seconds.
    TooManyAttempts(u64),
    /// Authentication's hashing gate is full (its global rate is used up or its queue is
    /// full), whoever asks: retry after this many seconds.
    HashingBusy(u64),
    /// The path is outside `--base-path`.
    OutsideBase,
    /// `--max-clients` WebSocket sessions (or as many request threads) are already open.
    Busy,
    /// The client's address already holds its share of the connections still sending their
    /// request head, or the waiting pool is full and this address holds the most of it.
    Crowded,
    /// The client closed its connection while its request was being prepared; nothing is
    /// sent (the status is for the log).
    Gone,
    /// A file compressed in a format not read as lines (xz, zstd, bzip2, lz4; gzip is read):
    /// it can only be downloaded raw.
    Compressed,
}

impl Refusal {
    /// The HTTP status code and reason phrase for this refusal.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            Refusal::Malformed(_) => (400, "Bad Request"),
            Refusal::HeadTooLarge => (431, "Request Header Fields Too Large"),
            Refusal::Forbidden(_) | Refusal::BadOrigin(_) | Refusal::BadHost => (403, "Forbidden"),
            Refusal::Timeout => (408, "Request Timeout"),
            Refusal::NotFound | Refusal::OutsideBase => (404, "Not Found"),
            Refusal::Unauthorized | Refusal::BadCredentials => (401, "Unauthorized"),
            Refusal::TooManyAttempts(_) | Refusal::HashingBusy(_) => (429, "Too Many Requests"),
            Refusal::Method(_) => (405, "Method Not Allowed"),
            Refusal::Busy | Refusal::Crowded => (503, "Service Unavailable"),
            Refusal::Gone => (499, "Client Closed Request"),
            Refusal::Compressed => (415, "Unsupported Media Type"),
        }
    }

    /// Seconds a client should wait before trying again, sent as `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Refusal::TooManyAttempts(secs) | Refusal::HashingBusy(secs) => Some(*secs),
            Refusal::Busy | Refusal::Crowded => Some(RETRY_BUSY),
            _ => None,
        }
    }

    /// A short fixed name for log summaries that count refusals instead of listing them.
    pub fn summary(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) | Refusal::HeadTooLarge => "bad request head",
            Refusal::Timeout => "request head too slow",
            Refusal::Crowded => "too many waiting connections from the address",
            Refusal::Busy => "server busy",
            _ => "other",
        }
    }
}

/// `Retry-After` for a full server, in seconds.
const RETRY_BUSY: u64 = 1;

/// The text sent as the response body and written to the log. It never contains the
/// requested path, so nothing the client sent is echoed back.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "malformed request: {why}"),
            Refusal::HeadTooLarge => f.write_str("request head too large"),
            Refusal::Forbidden(why) => write!(f, "forbidden: {why}"),
            Refusal::NotFound => f.write_str("no such file"),
            Refusal::OutsideBase => f.write_str("not found"),
            Refusal::Unauthorized => f.write_str("authentication required"),
            Refusal::BadCredentials => f.write_str("wrong user name or password"),
            Refusal::TooManyAttempts(_) => f.write_str("too many failed attempts, try again later"),
            Refusal::HashingBusy(_) => f.write_str("too many logins at once, try again later"),
            Refusal::BadOrigin(_) => f.write_str("forbidden: cross-origin WebSocket refused"),
            Refusal::Method(_) => f.write_str("method not allowed: only GET is served"),
            Refusal::Timeout => f.write_str("request head not received in time"),
            Refusal::BadHost => f.write_str("forbidden: unexpected Host header"),
            Refusal::Busy => f.write_str("too many clients, try again later"),
            Refusal::Gone => f.write_str("client left before the answer"),
            Refusal::Compressed => f.write_str(
                "compressed file: only gzip is read as lines, not this format; download it raw instead",
            ),
            Refusal::Crowded => f.write_str(
                "server busy: too many connections waiting from your address, try again later",
            ),
        }
    }
}
