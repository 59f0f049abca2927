//! HTTP/1.1 on the wire: parse a request head (the reception bounds its size and time), read
//! its headers and query, and write plain responses.
//!
//! Guarantees: a head with more than [`MAX_HEADERS`] headers or a non-UTF-8 value is refused;
//! responses never echo request input.

use std::io::{self, Write};

use crate::http::refusal::Refusal;

/// Largest request head accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
pub const MAX_HEADERS: usize = 64;

/// A parsed request head. Header names are lower-cased.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The raw (still percent-encoded) path.
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The items of a comma-separated header, across all its lines, in order.
    pub fn header_items<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
    }

    /// True when a comma-separated header contains `token`, ignoring case.
    pub fn header_has(&self, name: &str, token: &str) -> bool {
        self.header_items(name)
            .any(|t| t.eq_ignore_ascii_case(token))
    }

    /// Decoded query parameters; the last value of a repeated name wins.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params(name).pop()
    }

    /// Every decoded value of a query parameter, in order.
    pub fn params(&self, name: &str) -> Vec<String> {
        let q = self.query.as_deref().unwrap_or("");
        url::form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }
}

/// Parses a complete head; `Ok(None)` while more bytes are needed.
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal::HeadTooLarge),
        Err(_) => return Err(Refusal::Malformed("invalid HTTP request head")),
    };
    let target = req.path.unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    let path = path.split_once('#').map_or(path, |(p, _)| p).to_string();
    let mut out = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let value =
            std::str::from_utf8(h.value).map_err(|_| Refusal::Malformed("header is not UTF-8"))?;
        out.push((h.name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let method = req.method.unwrap_or_default().to_string();
    Ok(Some((
        Request {
            method,
            path,
            query,
            headers: out,
        },
        len,
    )))
}

/// A response body and how to describe it.
pub struct Response {
    pub status: (u16, &'static str),
    pub content_type: &'static str,
    pub extra: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: (200, "OK"),
            content_type,
            extra: Vec::new(),
            body: body.into(),
        }
    }

    pub fn refusal(r: &Refusal) -> Self {
        let mut resp = Response {
            status: r.status(),
            content_type: "text/plain; charset=utf-8",
            extra: Vec::new(),
            body: format!("{r}\n").into_bytes(),
        };
        match r {
            Refusal::Method(_) => resp.extra.push(("Allow", "GET".into())),
            Refusal::Unauthorized | Refusal::BadCredentials => resp.extra.push((
                "WWW-Authenticate",
                r#"Basic realm="logview", charset="UTF-8""#.into(),
            )),
            _ => {}
        }
        if let Some(secs) = r.retry_after() {
            resp.extra.push(("Retry-After", secs.to_string()));
        }
        resp.with("Cache-Control", "no-store")
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// A response with this status and no body yet.
    pub fn status(code: u16, reason: &'static str) -> Self {
        Response {
            status: (code, reason),
            content_type: "text/plain; charset=utf-8",
            extra: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Writes the whole response in one `write_all` (clients then see it at once).
    pub fn write_to(&self, stream: &mut impl Write) -> io::Result<()> {
        let mut bytes = self
            .head(self.content_type, Some(self.body.len() as u64))
            .into_bytes();
        bytes.extend_from_slice(&self.body);
        stream.write_all(&bytes)?;
        stream.flush()
    }

    /// Writes only the head, announcing `len` bytes of `content_type` that the caller sends.
    pub fn write_head(
        &self,
        stream: &mut impl Write,
        content_type: &str,
        len: u64,
    ) -> io::Result<()> {
        stream.write_all(self.head(content_type, Some(len)).as_bytes())?;
        stream.flush()
    }

    /// Writes only the head of a body of unknown length that the caller streams: it ends when
    /// the connection closes.
    pub fn write_stream_head(&self, stream: &mut impl Write) -> io::Result<()> {
        stream.write_all(self.head(self.content_type, None).as_bytes())?;
        stream.flush()
    }

    fn head(&self, content_type: &str, len: Option<u64>) -> String {
        let length = len.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {content_type}\r\n{length}\
             Connection: close\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n",
            self.status.0, self.status.1,
        );
        for (name, value) in &self.extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_head_and_keeps_what_follows() {
        let raw = b"GET /var/log/x%20y?tail=1&lines=5 HTTP/1.1\r\nHost: h:1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\nFRAME";
        let (req, len) = parse(raw).unwrap().unwrap();
        assert_eq!(&raw[len..], b"FRAME");
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/var/log/x%20y");
        assert_eq!(req.param("lines").as_deref(), Some("5"));
        assert_eq!(req.header("host"), Some("h:1"));
        assert!(req.header_has("connection", "upgrade"));
        assert!(req.header_has("upgrade", "websocket"));
    }

    #[test]
    fn partial_and_garbage_heads() {
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        assert!(matches!(
            parse(b"\x16\x03\x01\x02\x00garbage\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        let many: String = (0..100).map(|i| format!("X-{i}: y\r\n")).collect();
        let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse(head.as_bytes()).unwrap_err(), Refusal::HeadTooLarge);
    }

    #[test]
    fn responses_carry_length_and_never_the_request() {
        let mut out = Vec::new();
        Response::refusal(&Refusal::Method("DELETE".into()))
            .write_to(&mut out)
            .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{s}");
        assert!(
            s.contains("Allow: GET\r\n") && s.contains("Content-Length: 39\r\n"),
            "{s}"
        );
        assert!(!s.contains("DELETE"));
    }
}
