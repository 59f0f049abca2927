//! One WebSocket client: the 101 handshake, history, following, heartbeats and the close.
//!
//! Guarantees: lines go out as text messages of complete lines; a message is sent as one
//! WebSocket frame of at most about [`FRAME_TARGET`] bytes, or, when the rendered lines grow
//! past that (one long line, or its HTML), as a fragmented message of such frames, each sent
//! as soon as it is full. So whatever a line holds, the server never holds more than one
//! frame being written and one being rendered for a client (every send is flushed before
//! the next), besides the line itself; a client that stops reading is dropped after the write
//! timeout; a client silent for two heartbeat intervals is closed; every session ends with
//! one log line saying why.

use std::io::{self, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use log::info;
use serde_json::{Value, json};
use tungstenite::protocol::frame::coding::{CloseCode, Data};
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tungstenite::{Error as WsError, Message, WebSocket};

use super::frames::Buffers;
use super::merge;
use super::open::{Member, Opening, Params, Upgrade};
use super::protocol::Event;
use crate::follow::watch::{self, Subscription};
use crate::follow::{FollowError, Follower, Poll};
use crate::http::refusal::Refusal;
use crate::index::time::Clock;
use crate::render::{Format, Renderer};
use crate::source::stdin::Spool;
use crate::state::{Shared, Slot};

/// Bytes of rendered lines gathered before a frame is sent (a frame may exceed it by at most
/// [`crate::render::MAX_STEP`]).
pub const FRAME_TARGET: usize = 64 * 1024;
/// A follower reads its file at least this often even without news from its watch.
const SAFETY_POLL: Duration = Duration::from_secs(5);
/// ... and this often while its path names another file or none (the watch sees neither).
const DETACHED_POLL: Duration = Duration::from_millis(200);
/// A client that cannot take one frame within this time has stopped reading and is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing handshake may take.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// A merged view looks for new files in its directories this often.
const DIR_SCAN: Duration = Duration::from_secs(1);
/// A merged view's history reads at most this much of each file.
const MERGED_HISTORY_BYTES: u64 = 32 << 20;

/// Why a session ended.
#[derive(Debug)]
enum Ending {
    /// The client sent a Close frame or dropped the connection.
    ClientClosed,
    /// `tail` was not asked for and the history has been sent.
    EndOfHistory,
    /// Nothing arrived from the client for two heartbeat intervals.
    HeartbeatTimeout,
    /// A write blocked past the write timeout or the write buffer filled.
    SlowClient,
    /// The client broke the protocol (including invalid UTF-8 in a text message or a close
    /// reason).
    Protocol(String),
    /// The client sent a message over the 64 KiB limit.
    TooBig,
    /// After a rotation the path names something the sandbox refuses.
    Refused(Refusal),
    /// Reading the file failed.
    ReadError(io::Error),
    /// The connection failed.
    Network(String),
}

impl Ending {
    /// The close frame this ending sends, if one can still be sent. The one place endings
    /// map to close codes.
    fn close_frame(&self) -> Option<(CloseCode, &'static str)> {
        match self {
            Ending::EndOfHistory => Some((CloseCode::Normal, "end of history")),
            Ending::HeartbeatTimeout => Some((CloseCode::Away, "heartbeat timeout")),
            Ending::Protocol(_) => Some((CloseCode::Protocol, "protocol error")),
            Ending::TooBig => Some((CloseCode::Size, "message too big")),
            Ending::Refused(_) => Some((CloseCode::Policy, "file is no longer allowed")),
            Ending::ReadError(_) => Some((CloseCode::Error, "file read error")),
            Ending::ClientClosed | Ending::SlowClient | Ending::Network(_) => None,
        }
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::ClientClosed => f.write_str("client closed"),
            Ending::EndOfHistory => f.write_str("end of history"),
            Ending::HeartbeatTimeout => f.write_str("heartbeat timeout"),
            Ending::SlowClient => f.write_str("client too slow, dropped"),
            Ending::Protocol(e) => write!(f, "protocol error: {e}"),
            Ending::TooBig => f.write_str("client message too big"),
            Ending::Refused(r) => write!(f, "file replaced: {r}"),
            Ending::ReadError(e) => write!(f, "read error: {e}"),
            Ending::Network(e) => write!(f, "network error: {e}"),
        }
    }
}

impl From<FollowError> for Ending {
    fn from(e: FollowError) -> Self {
        match e {
            FollowError::Refused(r) => Ending::Refused(r),
            FollowError::Io(e) => Ending::ReadError(e),
        }
    }
}

fn would_block(e: &WsError) -> bool {
    matches!(e, WsError::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

/// The ending for a failed write (or a read that failed while flushing).
fn write_ending(e: WsError) -> Ending {
    match e {
        WsError::WriteBufferFull(_) => Ending::SlowClient,
        WsError::ConnectionClosed | WsError::AlreadyClosed => Ending::ClientClosed,
        e => Ending::Network(e.to_string()),
    }
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        // No cap needed: `send_on` flushes every frame before the next, and no frame is much
        // over FRAME_TARGET (longer output is fragmented), so at most one frame is buffered.
        .max_write_buffer_size(usize::MAX)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024))
}

/// Runs one session to its end; `_client` holds its place among `--max-clients`.
pub fn run(
    mut stream: TcpStream,
    rest: Vec<u8>,
    up: Upgrade,
    shared: &Shared,
    peer: &str,
    _client: Slot,
) {
    if accept(&mut stream, &up.key).is_err() {
        return info!("closed {peer} {:?}: handshake write failed", up.path);
    }
    let p = &up.params;
    info!(
        "opened {peer} {:?} tail={} format={:?} lines={} {:?}",
        up.path, p.tail, p.format, p.lines, up.opening
    );
    let started = Instant::now();
    let files = up
        .members
        .into_iter()
        .map(|m| Followed::new(m, p.format, up.merged, shared));
    let mut s = Session {
        ws: WebSocket::from_partially_read(stream, rest, Role::Server, Some(ws_config())),
        files: files.collect(),
        batch: Batch {
            frame: String::new(),
            buffers: Buffers::new(FRAME_TARGET + crate::render::MAX_STEP),
            fragmented: false,
            lines: 0,
        },
        meta: p.meta,
        merged: up.merged,
        first_number: up.first_number,
        last_seen: Instant::now(),
    };
    let ending = s.drive(&up.params, up.opening, &up.dirs, shared);
    let ending = ending.err().unwrap_or(Ending::ClientClosed);
    s.finish(&ending);
    info!(
        "closed {peer} {:?}: {ending}; {} lines in {:.1}s",
        up.path,
        s.batch.lines,
        started.elapsed().as_secs_f64()
    );
}

/// Completes the upgrade with one write of the 101 response, then makes the socket
/// non-blocking (writes then carry their own deadline, see [`send_on`]).
fn accept(stream: &mut TcpStream, key: &str) -> io::Result<()> {
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.set_nonblocking(true)
}

/// Queues `msg` and flushes it. The socket is non-blocking, so a client that stops reading
/// is noticed here: when a frame cannot be written within [`WRITE_TIMEOUT`].
fn send_on(ws: &mut WebSocket<TcpStream>, msg: Message) -> Result<(), Ending> {
    match ws.write(msg) {
        Ok(()) => {}
        Err(e) if would_block(&e) => {} // queued; the flush below retries
        Err(e) => return Err(write_ending(e)),
    }
    let deadline = Instant::now() + WRITE_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match ws.flush() {
            Ok(()) => return Ok(()),
            Err(e) if would_block(&e) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) if would_block(&e) => return Err(Ending::SlowClient),
            Err(e) => return Err(write_ending(e)),
        }
    }
}

struct Session {
    ws: WebSocket<TcpStream>,
    /// The followed file, or a merged view's files.
    files: Vec<Followed>,
    batch: Batch,
    meta: bool,
    merged: bool,
    /// The number of the history's first line, when known (one file).
    first_number: Option<u64>,
    last_seen: Instant,
}

/// One file of the stream and what rendering and telling about its lines needs.
struct Followed {
    follower: Follower,
    renderer: Renderer,
    /// What starts each of its lines (`name: ` in a merged view, else nothing).
    tag: String,
    name: String,
    key: u32,
    /// Its history is sent (it was not resumed).
    history: bool,
    /// Standard input's spool, whose end is told once (then `ended`).
    stdin: Option<Arc<Spool>>,
    ended: bool,
    /// The watch generation its file was last read at, and whether lines may be waiting.
    seen: u64,
    backlog: bool,
    /// Its file's modification time when the stream opened it: its history's syslog stamps
    /// are of that year, and a merged view orders unstamped lines by it.
    modified: Option<SystemTime>,
}

impl Followed {
    fn new(m: Member, format: Format, merged: bool, shared: &Shared) -> Self {
        let modified = m
            .follower
            .file()
            .file()
            .metadata()
            .and_then(|m| m.modified());
        let modified = modified.ok();
        let renderer = Renderer::new(format).with_moments(
            shared.zone.clone(),
            modified.unwrap_or_else(SystemTime::now),
        );
        let tag = if merged {
            renderer.tag(&m.name)
        } else {
            String::new()
        };
        let stdin = shared.sandbox.stdin();
        let stdin = stdin.filter(|s| s.path == m.follower.path()).cloned();
        Followed {
            renderer,
            tag,
            stdin,
            follower: m.follower,
            name: m.name,
            key: m.key,
            history: m.history,
            ended: false,
            seen: 0,
            backlog: true,
            modified,
        }
    }
}

/// Lines rendered since the last frame went out.
struct Batch {
    frame: String,
    /// The spare buffers frames are rendered into.
    buffers: Buffers,
    /// True once the current message has been started as a fragmented one: its first frames
    /// are sent, the rest follows as continuation frames.
    fragmented: bool,
    /// Lines rendered in the whole session.
    lines: u64,
}

impl Batch {
    /// Renders one line of `file` into the frame; when the frame fills, sends it at once as
    /// one fragment of the message (so a long line never builds up a long string).
    fn push(
        &mut self,
        line: &[u8],
        file: (&mut Renderer, &str),
        ws: &mut WebSocket<TcpStream>,
    ) -> Result<(), Ending> {
        self.lines += 1;
        let (fragmented, buffers) = (&mut self.fragmented, &self.buffers);
        let mut spill = |piece: &mut String| {
            let opcode = if std::mem::replace(fragmented, true) {
                Data::Continue
            } else {
                Data::Text
            };
            let piece = std::mem::replace(piece, buffers.take());
            send_on(ws, buffers.frame(piece, opcode, false))
        };
        let (renderer, tag) = file;
        if self.frame.capacity() == 0 {
            // A frame's full size at once: grown by doubling, each frame would be reallocated
            // several times. An idle client holds none.
            self.frame = self.buffers.take();
        }
        self.frame.push_str(tag);
        renderer.line_in_pieces(line, &mut self.frame, FRAME_TARGET, &mut spill)
    }

    fn full(&self) -> bool {
        self.frame.len() >= FRAME_TARGET || self.fragmented
    }
}

impl Session {
    /// Sends the history, then follows if asked; returns only through an [`Ending`].
    fn drive(
        &mut self,
        p: &Params,
        opening: Opening,
        dirs: &[PathBuf],
        shared: &Shared,
    ) -> Result<(), Ending> {
        match opening {
            Opening::Resumed => self.event(Event::Resumed, None)?,
            Opening::Gap => self.event(Event::Gap, None)?,
            Opening::Fresh => {}
        }
        if opening != Opening::Resumed {
            self.event(Event::History, None)?;
        }
        if self.merged {
            self.merged_history(p, shared)?;
        } else {
            self.history(p)?;
        }
        self.send_frame()?;
        let compressed = !self.merged && self.files[0].follower.compressed();
        if compressed {
            self.tell_damage()?;
        }
        for f in &mut self.files {
            f.renderer.go_live();
        }
        self.event(Event::Live, None)?;
        if compressed {
            self.event(Event::Compressed, None)?;
        }
        if !p.tail {
            return Err(Ending::EndOfHistory);
        }
        let mut subs = Vec::new();
        for i in 0..self.files.len() {
            subs.push(self.subscribe(i, shared)?);
        }
        self.follow(&mut subs, dirs, shared)
    }

    /// One file's history: up to where the file ended when it was opened, even if it keeps
    /// growing. A last line still being written is held while following (it arrives whole
    /// with its newline); only a history that ends here sends it, completed with a newline.
    fn history(&mut self, p: &Params) -> Result<(), Ending> {
        let end = self.files[0].follower.len_at_open();
        while self.files[0].follower.offset() < end && self.pump(0)? {
            self.read_client()?;
        }
        // A compressed file's unfinished last line will never be finished.
        if !p.tail || self.files[0].follower.compressed() {
            self.render_lines(0, |f, sink| f.flush_partial(sink))?;
        }
        Ok(())
    }

    /// With `meta`, says why a compressed file's text ended early, if it did.
    fn tell_damage(&mut self) -> Result<(), Ending> {
        let damage = self.files[0]
            .follower
            .file()
            .gzip()
            .and_then(|g| g.damage());
        let Some(reason) = damage.map(|d| d.to_string()) else {
            return Ok(());
        };
        self.event_with(Event::Damaged, None, |body| body["reason"] = json!(reason))
    }

    /// A merged view's history: each file's history (as [`Self::history`] reads it), merged
    /// in time order, and the last `lines` of it sent. Files resumed send their lines live.
    fn merged_history(&mut self, p: &Params, shared: &Shared) -> Result<(), Ending> {
        let mut runs = Vec::new();
        for i in 0..self.files.len() {
            runs.push(self.history_lines(i, p.tail)?);
            self.read_client()?;
        }
        let moments: Vec<Vec<i64>> = runs
            .iter()
            .zip(&self.files)
            .map(|(lines, f)| {
                let mtime = f.modified.unwrap_or(UNIX_EPOCH);
                let clock = Clock::new(shared.zone.clone(), mtime);
                let ms = mtime
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                merge::moments(lines, &clock, ms as i64)
            })
            .collect();
        for (f, i) in merge::order(&moments, p.lines) {
            let Session {
                ws, files, batch, ..
            } = self;
            let file = &mut files[f];
            batch.push(&runs[f][i], (&mut file.renderer, &file.tag), ws)?;
            if batch.full() {
                self.send_frame()?;
            }
        }
        Ok(())
    }

    /// The history lines of file `i` (none when it was resumed), bounded in bytes.
    fn history_lines(&mut self, i: usize, tail: bool) -> Result<Vec<Vec<u8>>, Ending> {
        let f = &mut self.files[i];
        let mut lines = Vec::new();
        if !f.history {
            return Ok(lines);
        }
        let (start, end) = (f.follower.offset(), f.follower.len_at_open());
        let mut keep = |l: &[u8]| lines.push(l.to_vec());
        while f.follower.offset() < end && f.follower.offset() - start < MERGED_HISTORY_BYTES {
            if f.follower.poll(&mut keep)? != Poll::Data {
                break;
            }
        }
        if !tail || f.follower.compressed() {
            f.follower.flush_partial(&mut keep);
        }
        Ok(lines)
    }

    /// Joins the watch of file `i`'s path.
    fn subscribe(&self, i: usize, shared: &Shared) -> Result<Subscription, Ending> {
        let path = self.files[i].follower.path();
        shared
            .watches
            .subscribe(path, shared.config.poll_max, self.ws.get_ref())
            .map_err(|e| Ending::Network(e.to_string()))
    }

    /// The follow loop: the thread sleeps on its files' shared watches and reads a file only
    /// when its watch saw it change (or lines are backed up); a watch also wakes it when its
    /// client sends something. It wakes by itself for heartbeats, and polls anyway every
    /// [`SAFETY_POLL`] in case a watcher could not run. A merged view's directories are
    /// looked at every [`DIR_SCAN`] for new files, which are then followed from their start.
    fn follow(
        &mut self,
        subs: &mut Vec<Subscription>,
        dirs: &[PathBuf],
        shared: &Shared,
    ) -> Result<(), Ending> {
        let heartbeat = shared.config.heartbeat;
        let mut last_ping = Instant::now();
        let mut last_poll = Instant::now();
        let mut last_scan = Instant::now();
        loop {
            self.read_client()?;
            let due = last_poll.elapsed() >= self.poll_every();
            for (i, sub) in subs.iter().enumerate() {
                let now = sub.generation();
                let f = &mut self.files[i];
                if now != f.seen || f.backlog || due {
                    f.seen = now;
                    self.read_file(i)?;
                }
            }
            if due {
                last_poll = Instant::now();
            }
            if !dirs.is_empty() && last_scan.elapsed() >= DIR_SCAN {
                self.join_new_files(dirs, subs, shared)?;
                last_scan = Instant::now();
            }
            if last_ping.elapsed() >= heartbeat {
                self.send(Message::Ping(Default::default()))?;
                last_ping = Instant::now();
            }
            if self.last_seen.elapsed() > heartbeat * 2 {
                return Err(Ending::HeartbeatTimeout);
            }
            if self.files.iter().all(|f| !f.backlog) {
                let until_ping = heartbeat.saturating_sub(last_ping.elapsed());
                let mut timeout = until_ping.min(self.poll_every());
                if !dirs.is_empty() {
                    timeout = timeout.min(DIR_SCAN);
                }
                if let Some(left) = self.batch.buffers.release_idle() {
                    timeout = timeout.min(left);
                }
                let seen: Vec<u64> = self.files.iter().map(|f| f.seen).collect();
                watch::wait_any(subs, &seen, timeout);
            }
        }
    }

    /// How often files are read without news from their watches: often while a path names
    /// another file or none (the watch sees neither).
    fn poll_every(&self) -> Duration {
        match self.files.iter().any(|f| f.follower.detached()) {
            true => DETACHED_POLL,
            false => SAFETY_POLL,
        }
    }

    /// Reads what file `i` has; standard input's end is told once everything read before it
    /// was sent (an unfinished last line is completed).
    fn read_file(&mut self, i: usize) -> Result<(), Ending> {
        let input_over = self.files[i].stdin.as_deref().is_some_and(Spool::ended);
        let backlog = self.pump(i)?;
        let f = &mut self.files[i];
        f.backlog = backlog;
        if input_over && !backlog && !f.ended {
            f.ended = true;
            self.render_lines(i, |f, sink| f.flush_partial(sink))?;
            self.send_frame()?;
            self.event(Event::Eof, Some(i))?;
        }
        Ok(())
    }

    /// Follows the files that appeared in a merged view's directories (up to its limit).
    fn join_new_files(
        &mut self,
        dirs: &[PathBuf],
        subs: &mut Vec<Subscription>,
        shared: &Shared,
    ) -> Result<(), Ending> {
        for dir in dirs {
            for path in merge::dir_logs(&shared.sandbox, dir) {
                if self.files.len() >= merge::MAX_FILES {
                    return Ok(());
                }
                if self.files.iter().any(|f| f.follower.path() == path) {
                    continue;
                }
                let (sb, max) = (shared.sandbox.clone(), shared.config.max_line);
                let Ok(follower) = Follower::open_start(sb, &path, max) else {
                    continue;
                };
                let taken: Vec<String> = self.files.iter().map(|f| f.name.clone()).collect();
                let member = Member {
                    follower,
                    name: merge::name_beside(&path, &taken),
                    key: merge::key(&path),
                    history: true,
                };
                let format = self.files[0].renderer.format();
                let mut joined = Followed::new(member, format, true, shared);
                joined.renderer.go_live(); // a file that appears now is being written now
                self.files.push(joined);
                subs.push(self.subscribe(self.files.len() - 1, shared)?);
                self.event(Event::Added, Some(self.files.len() - 1))?;
            }
        }
        Ok(())
    }

    /// Runs `read` on file `i`'s follower with a sink that renders each line into the batch
    /// (sending frames as they fill); the first send error ends the session.
    fn render_lines<T>(
        &mut self,
        i: usize,
        read: impl FnOnce(&mut Follower, &mut dyn FnMut(&[u8])) -> T,
    ) -> Result<T, Ending> {
        let Session {
            ws, files, batch, ..
        } = self;
        let Followed {
            follower,
            renderer,
            tag,
            ..
        } = &mut files[i];
        let mut failed = None;
        let out = read(follower, &mut |line| {
            if failed.is_none() {
                failed = batch.push(line, (renderer, tag), ws).err();
            }
        });
        failed.map_or(Ok(out), Err)
    }

    /// Reads file `i` into frames until it is idle or a message is full. Returns true when
    /// more lines may be waiting.
    fn pump(&mut self, i: usize) -> Result<bool, Ending> {
        loop {
            let poll = self.render_lines(i, |f, sink| f.poll(sink))??;
            match poll {
                // A message already fragmented ends here, so that it stays about one read's
                // worth of lines and the `pos` after it is not held back.
                Poll::Data if !self.batch.full() => continue,
                Poll::Data => {
                    self.send_frame()?;
                    return Ok(true);
                }
                Poll::Idle => {
                    self.send_frame()?;
                    return Ok(false);
                }
                Poll::Rotated | Poll::Truncated => {
                    self.send_frame()?;
                    self.files[i].renderer.reset();
                    let event = match poll {
                        Poll::Rotated => Event::Rotated,
                        _ => Event::Truncated,
                    };
                    self.event(event, Some(i))?;
                    return Ok(true);
                }
            }
        }
    }

    /// Sends the gathered lines as one text frame (or the last frame of a fragmented
    /// message), then (with `meta`) the position after them.
    fn send_frame(&mut self) -> Result<(), Ending> {
        let text = std::mem::take(&mut self.batch.frame);
        let msg = if std::mem::take(&mut self.batch.fragmented) {
            self.batch.buffers.frame(text, Data::Continue, true)
        } else if text.is_empty() {
            return Ok(());
        } else {
            self.batch.buffers.frame(text, Data::Text, true)
        };
        self.send(msg)?;
        self.event(Event::Pos, None)
    }

    /// The position to resume at: the file's, or a merged view's token of every file's.
    fn position(&self) -> String {
        match self.merged {
            false => self.files[0].follower.position().to_string(),
            true => merge::token(self.files.iter().map(|f| (f.key, f.follower.position()))),
        }
    }

    /// With `meta`, sends `{"event": name, "pos": position, "offset": bytes}` as a binary
    /// frame; `history` also carries the `number` of its first line when it is known. In a
    /// merged view there is no `offset`; an event about one file (`file`) carries its `path`
    /// and `name`, and `history` lists every file.
    fn event(&mut self, event: Event, file: Option<usize>) -> Result<(), Ending> {
        self.event_with(event, file, |_| {})
    }

    /// [`Self::event`] with more fields, which `more` adds to the body.
    fn event_with(
        &mut self,
        event: Event,
        file: Option<usize>,
        more: impl FnOnce(&mut Value),
    ) -> Result<(), Ending> {
        if !self.meta {
            return Ok(());
        }
        let mut body = json!({ "event": event.name(), "pos": self.position() });
        if !self.merged {
            body["offset"] = json!(self.files[0].follower.position().offset);
        }
        if let (Event::History, Some(n)) = (event, self.first_number) {
            body["number"] = json!(n);
        }
        let about = |f: &Followed| json!({ "path": f.follower.path(), "name": f.name });
        if let (Some(i), true) = (file, self.merged) {
            body["file"] = about(&self.files[i]);
        }
        if let (Event::History, true) = (event, self.merged) {
            body["files"] = self.files.iter().map(about).collect();
        }
        more(&mut body);
        let body = body.to_string();
        self.send(Message::binary(body.into_bytes()))
    }

    fn send(&mut self, msg: Message) -> Result<(), Ending> {
        send_on(&mut self.ws, msg)
    }

    /// Handles whatever the client sent (without waiting); any frame proves it alive.
    fn read_client(&mut self) -> Result<(), Ending> {
        for _ in 0..16 {
            match self.ws.read() {
                Ok(Message::Close(_)) => return Err(Ending::ClientClosed),
                Ok(_) => self.last_seen = Instant::now(),
                Err(e) if would_block(&e) => return Ok(()),
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                    return Err(Ending::ClientClosed);
                }
                Err(WsError::Protocol(e)) => return Err(Ending::Protocol(e.to_string())),
                Err(WsError::Utf8(e)) => {
                    return Err(Ending::Protocol(format!("invalid UTF-8: {e}")));
                }
                Err(WsError::Capacity(_)) => return Err(Ending::TooBig),
                Err(e) => return Err(write_ending(e)),
            }
        }
        Ok(())
    }

    /// Sends the close frame for `ending` (or the reply to the client's) and waits briefly
    /// for the closing handshake to finish.
    fn finish(&mut self, ending: &Ending) {
        if let Some((code, reason)) = ending.close_frame() {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            if matches!(self.ws.close(Some(frame)), Err(e) if !would_block(&e)) {
                return;
            }
        } else if !matches!(ending, Ending::ClientClosed) {
            return;
        }
        let deadline = Instant::now() + CLOSE_WAIT;
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(_) => {}
                Err(e) if would_block(&e) => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => return,
            }
        }
    }
}
