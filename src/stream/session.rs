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
use std::time::{Duration, Instant};

use log::info;
use serde_json::json;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tungstenite::{Error as WsError, Message, WebSocket};

use super::open::{Opening, Params, Upgrade};
use super::protocol::Event;
use crate::follow::watch::Subscription;
use crate::follow::{FollowError, Follower, Poll};
use crate::http::refusal::Refusal;
use crate::render::Renderer;
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
    let mut s = Session {
        ws: WebSocket::from_partially_read(stream, rest, Role::Server, Some(ws_config())),
        follower: up.follower,
        batch: Batch {
            renderer: Renderer::new(p.format),
            frame: String::new(),
            fragmented: false,
            lines: 0,
        },
        meta: p.meta,
        first_number: up.first_number,
        last_seen: Instant::now(),
    };
    let ending = s.drive(&up.params, up.opening, shared);
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
    follower: Follower,
    batch: Batch,
    meta: bool,
    /// The number of the history's first line, when known.
    first_number: Option<u64>,
    last_seen: Instant,
}

/// Lines rendered since the last frame went out.
struct Batch {
    renderer: Renderer,
    frame: String,
    /// True once the current message has been started as a fragmented one: its first frames
    /// are sent, the rest follows as continuation frames.
    fragmented: bool,
    /// Lines rendered in the whole session.
    lines: u64,
}

impl Batch {
    /// Renders one line into the frame; when the frame fills, sends it at once as one
    /// fragment of the message (so a long line never builds up a long string).
    fn push(&mut self, line: &[u8], ws: &mut WebSocket<TcpStream>) -> Result<(), Ending> {
        self.lines += 1;
        let fragmented = &mut self.fragmented;
        let mut spill = |piece: &mut String| {
            let opcode = if std::mem::replace(fragmented, true) {
                Data::Continue
            } else {
                Data::Text
            };
            let frame = Frame::message(std::mem::take(piece), OpCode::Data(opcode), false);
            send_on(ws, Message::Frame(frame))
        };
        self.renderer
            .line_in_pieces(line, &mut self.frame, FRAME_TARGET, &mut spill)
    }
}

impl Session {
    /// Sends the history, then follows if asked; returns only through an [`Ending`].
    fn drive(&mut self, p: &Params, opening: Opening, shared: &Shared) -> Result<(), Ending> {
        match opening {
            Opening::Resumed => self.event(Event::Resumed)?,
            Opening::Gap => self.event(Event::Gap)?,
            Opening::Fresh => {}
        }
        if opening != Opening::Resumed {
            self.event(Event::History)?;
        }
        // The history ends where the file ended when it was opened, even if it keeps growing.
        let end = self.follower.len_at_open();
        while self.follower.offset() < end && self.pump()? {
            self.read_client()?;
        }
        // A last line still being written is held while following (it arrives whole with its
        // newline); only a history that ends here sends it, completed with a newline.
        if !p.tail {
            self.render_lines(|f, sink| f.flush_partial(sink))?;
        }
        self.send_frame()?;
        self.event(Event::Live)?;
        if !p.tail {
            return Err(Ending::EndOfHistory);
        }
        let poll_max = shared.config.poll_max;
        let watch = shared
            .watches
            .subscribe(self.follower.path(), poll_max, self.ws.get_ref())
            .map_err(|e| Ending::Network(e.to_string()))?;
        let stdin = shared
            .sandbox
            .stdin()
            .filter(|s| s.path == self.follower.path());
        self.follow(&watch, shared.config.heartbeat, stdin.map(|s| &**s))
    }

    /// The follow loop: the thread sleeps on the file's shared watch and reads the file only
    /// when the watch saw it change (or lines are backed up); the watch also wakes it when its
    /// client sends something. It wakes by itself for heartbeats, and polls anyway every
    /// [`SAFETY_POLL`] in case the watcher could not run.
    /// Following standard input (`stdin`), the end of input is told once everything read
    /// before it was sent (an unfinished last line is completed).
    fn follow(
        &mut self,
        watch: &Subscription,
        heartbeat: Duration,
        stdin: Option<&Spool>,
    ) -> Result<(), Ending> {
        let mut ended = false;
        let mut last_ping = Instant::now();
        let mut polled = watch.generation();
        let mut backlog = true;
        let mut last_poll = Instant::now();
        loop {
            self.read_client()?;
            let now = watch.generation();
            let due = if self.follower.detached() {
                DETACHED_POLL
            } else {
                SAFETY_POLL
            };
            if now != polled || backlog || last_poll.elapsed() >= due {
                polled = now;
                let input_over = stdin.is_some_and(Spool::ended);
                backlog = self.pump()?;
                last_poll = Instant::now();
                if input_over && !backlog && !ended {
                    ended = true;
                    self.render_lines(|f, sink| f.flush_partial(sink))?;
                    self.send_frame()?;
                    self.event(Event::Eof)?;
                }
            }
            if last_ping.elapsed() >= heartbeat {
                self.send(Message::Ping(Default::default()))?;
                last_ping = Instant::now();
            }
            if self.last_seen.elapsed() > heartbeat * 2 {
                return Err(Ending::HeartbeatTimeout);
            }
            if !backlog {
                let until_ping = heartbeat.saturating_sub(last_ping.elapsed());
                let poll_by = if self.follower.detached() {
                    DETACHED_POLL
                } else {
                    SAFETY_POLL
                };
                watch.wait(polled, until_ping.min(poll_by));
            }
        }
    }

    /// Runs `read` on the follower with a sink that renders each line into the batch
    /// (sending frames as they fill); the first send error ends the session.
    fn render_lines<T>(
        &mut self,
        read: impl FnOnce(&mut Follower, &mut dyn FnMut(&[u8])) -> T,
    ) -> Result<T, Ending> {
        let Session {
            ws,
            follower,
            batch,
            ..
        } = self;
        let mut failed = None;
        let out = read(follower, &mut |line| {
            if failed.is_none() {
                failed = batch.push(line, ws).err();
            }
        });
        failed.map_or(Ok(out), Err)
    }

    /// Reads the file into frames until it is idle or a message is full. Returns true when
    /// more lines may be waiting.
    fn pump(&mut self) -> Result<bool, Ending> {
        loop {
            let poll = self.render_lines(|f, sink| f.poll(sink))??;
            match poll {
                // A message already fragmented ends here, so that it stays about one read's
                // worth of lines and the `pos` after it is not held back.
                Poll::Data if self.batch.frame.len() < FRAME_TARGET && !self.batch.fragmented => {
                    continue;
                }
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
                    self.batch.renderer.reset();
                    self.event(if poll == Poll::Rotated {
                        Event::Rotated
                    } else {
                        Event::Truncated
                    })?;
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
            Message::Frame(Frame::message(text, OpCode::Data(Data::Continue), true))
        } else if text.is_empty() {
            return Ok(());
        } else {
            Message::text(text)
        };
        self.send(msg)?;
        if self.meta {
            self.event(Event::Pos)?;
        }
        Ok(())
    }

    /// With `meta`, sends `{"event": name, "pos": position, "offset": bytes}` as a binary
    /// frame; `history` also carries the `number` of its first line when it is known.
    fn event(&mut self, event: Event) -> Result<(), Ending> {
        if !self.meta {
            return Ok(());
        }
        let pos = self.follower.position();
        let mut body =
            json!({ "event": event.name(), "pos": pos.to_string(), "offset": pos.offset });
        if let (Event::History, Some(n)) = (event, self.first_number) {
            body["number"] = json!(n);
        }
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
