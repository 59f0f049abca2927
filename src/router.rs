//! One connection from accept to end: read the request, decide what it is (page, asset,
//! listing, WebSocket upgrade) or why it is refused, and hand upgrades to a session.
//!
//! Guarantees: every refusal is answered with its HTTP status before any upgrade and logged
//! once; cross-origin upgrades and DNS-rebinding Host headers are refused.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;

use log::{debug, info};
use url::{Host, Url};

use crate::api::{lines, list, status, timeline};
use crate::api::{raw, search};
use crate::assets;
use crate::http::refusal::Refusal;
use crate::http::{Request, Response};
use crate::reception::Arrival;
use crate::source::family;
use crate::source::position::fnv1a;
use crate::source::sandbox::{self, Target};
use crate::source::stdin;
use crate::state::{Shared, Slot};
use crate::stream::{self, Upgrade, WRITE_TIMEOUT};

/// Where the page's own files and API live; never a log path.
const PREFIX: &str = "/_logview/";
/// Searches, answered as a stream.
const SEARCH: &str = "/_logview/api/search";
/// Several files in one view: the page, or its WebSocket (`?path=A&path=B`).
const MERGE: &str = "/_logview/merge";
/// Downloads: the file's absolute path follows.
const RAW: &str = "/_logview/raw";

const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What a request asks for, once accepted.
enum Route {
    Respond(Response),
    /// A WebSocket session, with its place among the clients.
    Upgrade(Box<Upgrade>, Slot),
    /// A file to send as it is (`/_logview/raw/<path>`), decoded but not yet checked.
    Download(PathBuf),
    /// A whole-file search, streamed as it runs.
    Search,
}

/// Serves one request whose head has arrived; `slot` is its place among the request threads.
pub fn serve(slot: Slot, arrival: Arrival) {
    let Arrival {
        mut stream,
        peer,
        request: req,
        rest,
    } = arrival;
    let shared = slot.shared().clone();
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let client = Client::of(&shared, &req, peer);
    let asker = Asker {
        shared: &shared,
        client: &client,
        slot: &slot,
        stream: &stream,
    };
    match route(&asker, &req) {
        Ok(Route::Respond(resp)) => {
            debug!("{} GET {:?} {}", client.who, req.path, resp.status.0);
            let _ = resp.write_to(&mut stream);
        }
        Ok(Route::Upgrade(up, place)) => {
            stream::run(stream, rest, *up, &shared, &client.who, place)
        }
        Ok(Route::Download(path)) => {
            if let Err(r) = raw::serve(&shared.sandbox, &req, &path, &mut stream, WRITE_TIMEOUT) {
                refuse(&mut stream, &client.who, &req.path, &r);
            }
        }
        Ok(Route::Search) => {
            let peer = stream.try_clone();
            let gone = || peer.as_ref().map_or(true, left);
            if let Err(r) = search::serve(&shared, &req, &mut stream, &gone) {
                refuse(&mut stream, &client.who, &req.path, &r);
            }
        }
        Err(Refusal::Gone) => info!("{} left before its answer to {:?}", client.who, req.path),
        Err(r) => refuse(&mut stream, &client.who, &req.path, &r),
    }
}

/// The connection a request came on, as routing needs it.
struct Asker<'a> {
    shared: &'a Shared,
    client: &'a Client,
    /// Its place among the request threads; a WebSocket client place is taken from it.
    slot: &'a Slot,
    stream: &'a TcpStream,
}

impl Asker<'_> {
    /// True once the client has closed its side (checked during long preparations).
    fn gone(&self) -> bool {
        left(self.stream)
    }
}

/// True once the client of `stream` has closed its side.
fn left(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let gone = match stream.peek(&mut byte) {
        Ok(n) => n == 0,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    gone || stream.set_nonblocking(false).is_err()
}

/// Who is asking: the address used for rate limits, and how logs name it.
struct Client {
    ip: IpAddr,
    who: String,
}

impl Client {
    /// With `--trust-proxy`, the last address in `X-Forwarded-For` (the one the proxy saw).
    fn of(shared: &Shared, req: &Request, peer: SocketAddr) -> Client {
        // The proxy appends the address it saw, maybe as a header line of its own (HAProxy):
        // only the very last item is its word; every earlier one is the client's.
        let forwarded = req
            .header_items("x-forwarded-for")
            .last()
            .filter(|_| shared.config.trust_proxy)
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        match forwarded {
            Some(ip) => Client {
                ip,
                who: format!("{ip} (via {peer})"),
            },
            None => Client {
                ip: peer.ip(),
                who: peer.to_string(),
            },
        }
    }
}

fn refuse(stream: &mut TcpStream, who: &str, path: &str, r: &Refusal) {
    let detail = match r {
        Refusal::BadOrigin(o) => format!(" (origin {o:?})"),
        Refusal::Method(m) => format!(" (method {m:?})"),
        _ => String::new(),
    };
    info!("refused {who} {path:?}: {} {r}{detail}", r.status().0);
    let _ = Response::refusal(r).write_to(stream);
}

fn route(asker: &Asker, req: &Request) -> Result<Route, Refusal> {
    let (shared, client) = (asker.shared, asker.client);
    if req.method != "GET" && req.method != "HEAD" {
        return Err(Refusal::Method(req.method.clone()));
    }
    check_host(shared, req)?;
    if let Some(auth) = &shared.config.auth {
        auth.check(req.header("authorization"), client.ip)?;
    }
    let path = strip_base(&shared.config.base_path, &req.path)?;
    if let Some(file) = path.strip_prefix(RAW).filter(|f| f.starts_with('/')) {
        return Ok(Route::Download(sandbox::decode(file)?));
    }
    if req.method != "GET" {
        return Err(Refusal::Method(req.method.clone()));
    }
    if req.header_has("upgrade", "websocket") {
        return upgrade(asker, req, path).map(|(u, place)| Route::Upgrade(Box::new(u), place));
    }
    if path == SEARCH {
        return Ok(Route::Search);
    }
    if path == MERGE {
        return Ok(Route::Respond(page(&shared.config.base_path)));
    }
    if let Some(name) = path.strip_prefix(PREFIX) {
        return internal(asker, req, name).map(Route::Respond);
    }
    // Standard input alone: `/` is its viewer.
    if path == "/" && shared.config.stdin && shared.config.roots.is_empty() {
        let to = format!("{}{}", shared.config.base_path, stdin::URL_PATH);
        return Ok(Route::Respond(
            Response::status(302, "Found").with("Location", to),
        ));
    }
    if path != "/"
        && let Err(r) = viewable(shared, path)
    {
        return refused_page(asker, req, r).map(Route::Respond);
    }
    Ok(Route::Respond(page(&shared.config.base_path)))
}

/// Whether the page can show `path` (still percent-encoded): a file or directory the sandbox
/// allows, and not compressed in a format that is not read as lines.
fn viewable(shared: &Shared, path: &str) -> Result<(), Refusal> {
    match shared.sandbox.resolve(path)? {
        Target::File(_) => {
            let path = sandbox::decode(path)?;
            family::refuse_compressed(&path, &shared.sandbox.open_file(&path)?.0)
        }
        Target::Dir(_) => Ok(()),
    }
}

/// A browser asking for a file it may not see (or that does not exist yet) gets the page with
/// the refusal's status and reason, so it can show its navigation and wait for the file; a
/// script keeps the plain-text refusal.
fn refused_page(asker: &Asker, req: &Request, r: Refusal) -> Result<Response, Refusal> {
    let browser = req
        .header("accept")
        .is_some_and(|a| a.contains("text/html"));
    if !browser
        || !matches!(
            r,
            Refusal::NotFound | Refusal::Forbidden(_) | Refusal::Compressed
        )
    {
        return Err(r);
    }
    let (code, _) = r.status();
    info!(
        "refused {} {:?}: {code} {r} (the page shows it)",
        asker.client.who, req.path
    );
    let mut resp = page(&asker.shared.config.base_path);
    let reason = r
        .to_string()
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    let tag = format!("<head>\n<meta name=\"logview-refusal\" content=\"{reason}\">");
    resp.body = String::from_utf8_lossy(&resp.body)
        .replacen("<head>", &tag, 1)
        .into_bytes();
    resp.status = r.status();
    Ok(resp)
}

/// The request path inside `--base-path` (`/` for the base itself).
fn strip_base<'a>(base: &str, path: &'a str) -> Result<&'a str, Refusal> {
    if !path.starts_with('/') {
        return Err(Refusal::Malformed("path must start with /"));
    }
    match path.strip_prefix(base) {
        Some("") => Ok("/"),
        Some(rest) if rest.starts_with('/') => Ok(rest),
        _ => Err(Refusal::OutsideBase),
    }
}

fn page(base: &str) -> Response {
    Response::ok("text/html; charset=utf-8", assets::page(base))
        .with("Content-Security-Policy", PAGE_CSP)
        .with("X-Frame-Options", "DENY")
        .with("Cache-Control", "no-cache")
}

fn internal(asker: &Asker, req: &Request, name: &str) -> Result<Response, Refusal> {
    let shared = asker.shared;
    let gone = || asker.gone();
    let json = match name {
        "api/list" => Some(list::list(&shared.sandbox, req.param("path").as_deref())?),
        "api/lines" => Some(lines::lines(shared, req, &gone)?),
        "api/status" => Some(status::status(shared)),
        "api/timeline" => Some(timeline::timeline(shared, req, &gone)?),
        _ => None,
    };
    if let Some(json) = json {
        return Ok(Response::ok("application/json", json).with("Cache-Control", "no-store"));
    }
    let (kind, body) = assets::get(name).ok_or(Refusal::NotFound)?;
    // Revalidated on every load (no-cache), answered 304 while the binary is the same one.
    let tag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let resp = match req.header("if-none-match") == Some(tag.as_str()) {
        true => Response::status(304, "Not Modified"),
        false => Response::ok(kind, body),
    };
    Ok(resp.with("Cache-Control", "no-cache").with("ETag", tag))
}

/// Refuses Host headers a DNS-rebinding page would send: when bound to loopback, only
/// loopback names and the hosts of `--allow-origin` are accepted.
fn check_host(shared: &Shared, req: &Request) -> Result<(), Refusal> {
    if !shared.config.bind.ip().is_loopback() {
        return Ok(());
    }
    let Some(host) = req.header("host") else {
        return Ok(());
    };
    let url = Url::parse(&format!("http://{host}/")).map_err(|_| Refusal::BadHost)?;
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    let allowed = || {
        shared
            .config
            .allow_origins
            .iter()
            .any(|o| Url::parse(o).is_ok_and(|o| o.host() == url.host()))
    };
    if loopback || allowed() {
        Ok(())
    } else {
        Err(Refusal::BadHost)
    }
}

/// Checks an upgrade and opens its file; the client limit is checked before the history scan,
/// which ends early if the client leaves.
fn upgrade(asker: &Asker, req: &Request, path: &str) -> Result<(Upgrade, Slot), Refusal> {
    let shared = asker.shared;
    let key = req
        .header("sec-websocket-key")
        .filter(|k| k.len() == 24)
        .ok_or(Refusal::Malformed("bad Sec-WebSocket-Key"))?;
    if !req.header_has("connection", "upgrade") || req.header("sec-websocket-version") != Some("13")
    {
        return Err(Refusal::Malformed("not a WebSocket version 13 upgrade"));
    }
    check_origin(shared, req)?;
    let place = || asker.slot.client().ok_or(Refusal::Busy);
    let gone = || asker.gone();
    match path {
        MERGE => stream::open_merge(shared, req, key, place, &gone),
        _ => stream::open(shared, req, path, key, place, &gone),
    }
}

/// A browser's Origin must be this very host or one given with `--allow-origin`.
fn check_origin(shared: &Shared, req: &Request) -> Result<(), Refusal> {
    let Some(origin) = req.header("origin") else {
        return Ok(());
    };
    let bad = || Refusal::BadOrigin(origin.to_string());
    let url = Url::parse(origin).map_err(|_| bad())?;
    if shared
        .config
        .allow_origins
        .contains(&url.origin().ascii_serialization())
    {
        return Ok(());
    }
    let host = req.header("host").ok_or_else(bad)?;
    let own = Url::parse(&format!("{}://{host}/", url.scheme())).map_err(|_| bad())?;
    let same =
        own.host() == url.host() && own.port_or_known_default() == url.port_or_known_default();
    if same && url.path() == "/" && own.username().is_empty() {
        Ok(())
    } else {
        Err(bad())
    }
}
