//! The reception: one thread that accepts every connection and keeps it, without a thread of
//! its own, until its request head is complete; then the head and the socket are handed on.
//!
//! Guarantees: a waiting connection costs one descriptor and its bytes so far (at most
//! [`MAX_HEAD`]); no address holds more than its share of the waiting pool; when the pool is
//! full, the connection shed belongs to the address holding the most places, never to one
//! that holds none; every refusal is written without blocking (a reason and a status), and
//! logged in a summary at most once a second, so a flood can neither stall nor flood the log.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use log::{debug, warn};
use rustix::buffer::spare_capacity;
use rustix::event::{Timespec, epoll};
use rustix::fd::OwnedFd;

use crate::http::refusal::Refusal;
use crate::http::{self, MAX_HEAD, Request, Response};

/// How long a client may take to send its request head.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest the reception sleeps: deadlines are checked this often.
const TICK: Duration = Duration::from_millis(100);
/// Connections accepted in one go before waiting connections are read again.
const ACCEPT_BATCH: usize = 256;
/// Pause before accepting again when out of descriptors and nothing can be shed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// How the summary names connections shed to free a descriptor.
const OUT_OF_DESCRIPTORS: &str = "out of descriptors: shed while waiting";
/// Connections the kernel may queue before they are accepted.
const BACKLOG: i32 = 4096;
/// Event token of the listener; connections use their place's number plus one.
const LISTENER: u64 = 0;

/// How many connections may wait for their request head.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole waiting pool.
    pub pending: usize,
    /// One address's share; `None` behind a trusted proxy, where every client has its address.
    pub per_address: Option<usize>,
}

/// A complete request head and the connection it came on (blocking again).
pub struct Arrival {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub request: Request,
    /// Bytes that followed the head (a WebSocket client may send its first frame at once).
    pub rest: Vec<u8>,
}

/// A connection still sending its head.
struct Waiting {
    stream: TcpStream,
    peer: SocketAddr,
    addr: Addr,
    buf: Vec<u8>,
    deadline: Instant,
}

/// The address a client is counted under: IPv4 as is, IPv6 by its /64 (one subscriber's
/// network), so an attacker cannot multiply its share by picking host bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Addr(IpAddr);

impl Addr {
    pub fn of(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Addr(IpAddr::V4(v4)),
                None => Addr(IpAddr::V6(Ipv6Addr::from_bits(
                    v6.to_bits() & (u128::MAX << 64),
                ))),
            },
            v4 => Addr(v4),
        }
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(ip) => write!(f, "{ip}/64"),
            ip => write!(f, "{ip}"),
        }
    }
}

/// Runs the reception on `listener` forever, giving each complete head to `hand_on`.
pub fn run(listener: TcpListener, limits: Limits, hand_on: impl FnMut(Arrival)) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    // A longer queue of connections not yet accepted (the kernel caps it at somaxconn), so a
    // burst of connects from a flood does not make others' SYNs wait for a retransmit.
    rustix::net::listen(&listener, BACKLOG)?;
    let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    epoll::add(
        &epoll,
        &listener,
        epoll::EventData::new_u64(LISTENER),
        epoll::EventFlags::IN,
    )?;
    let mut desk = Desk {
        epoll,
        listener,
        pool: Pool::new(limits),
        tally: Tally::default(),
        paused_until: None,
        hand_on,
    };
    let mut events = Vec::with_capacity(1024);
    loop {
        events.clear();
        let timeout = Timespec::try_from(TICK).expect("tick fits a timespec");
        match epoll::wait(&desk.epoll, spare_capacity(&mut events), Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        for event in &events {
            match event.data.u64() {
                LISTENER => desk.accept_all(),
                token => desk.readable(token),
            }
        }
        desk.tick(Instant::now());
    }
}

/// The reception's state: the listener, the waiting pool and what was refused lately.
struct Desk<F> {
    epoll: OwnedFd,
    listener: TcpListener,
    pool: Pool,
    tally: Tally,
    /// Set while out of descriptors: the listener is out of the epoll set until then.
    paused_until: Option<Instant>,
    hand_on: F,
}

impl<F: FnMut(Arrival)> Desk<F> {
    fn accept_all(&mut self) {
        for _ in 0..ACCEPT_BATCH {
            match self.listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if out_of_descriptors(&e) => {
                    // Waiting connections are the cheapest to give up: shed the most
                    // crowded address's oldest, or pause when there is none.
                    if let Some(w) = self.pool.shed() {
                        self.tally.count(OUT_OF_DESCRIPTORS, w.addr);
                        self.close(w, &Refusal::Crowded);
                        continue;
                    }
                    warn!("accept failed: {e}; pausing {ACCEPT_PAUSE:?}");
                    let _ = epoll::delete(&self.epoll, &self.listener);
                    self.paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    return;
                }
                Err(e) => debug!("accept failed: {e}"),
            }
        }
    }

    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        let addr = Addr::of(peer.ip());
        let waiting = Waiting {
            stream,
            peer,
            addr,
            buf: Vec::new(),
            deadline: Instant::now() + HANDSHAKE_TIMEOUT,
        };
        if waiting.stream.set_nonblocking(true).is_err() {
            return;
        }
        if self.pool.over_share(addr) {
            return self.refuse(waiting, &Refusal::Crowded);
        }
        if self.pool.is_full() {
            match self.pool.shed_for(addr) {
                Some(w) => self.refuse(w, &Refusal::Crowded),
                None => return self.refuse(waiting, &Refusal::Crowded),
            }
        }
        let token = self.pool.insert(waiting);
        let place = self.pool.get(token).expect("just inserted");
        let data = epoll::EventData::new_u64(token);
        let flags = epoll::EventFlags::IN | epoll::EventFlags::RDHUP;
        if epoll::add(&self.epoll, &place.stream, data, flags).is_err() {
            self.pool.remove(token);
            return;
        }
        // Most clients send their head with the connection: read it now, not a wait later.
        self.readable(token);
    }

    /// Reads what a waiting connection sent; hands it on, refuses it or keeps waiting.
    fn readable(&mut self, token: u64) {
        let Some(w) = self.pool.get(token) else {
            return;
        };
        let mut chunk = [0u8; 4096];
        let room = chunk.len().min(MAX_HEAD + 1 - w.buf.len());
        match w.stream.read(&mut chunk[..room]) {
            Ok(0) => {
                debug!("{} closed before a request", w.peer);
                self.pool.remove(token);
            }
            Ok(n) => {
                w.buf.extend_from_slice(&chunk[..n]);
                self.parse(token);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => {
                self.pool.remove(token);
            }
        }
    }

    fn parse(&mut self, token: u64) {
        let Some(w) = self.pool.get(token) else {
            return;
        };
        let outcome = match http::parse(&w.buf) {
            Ok(None) if w.buf.len() > MAX_HEAD => Err(Refusal::HeadTooLarge),
            Ok(None) => return,
            Ok(Some(head)) => Ok(head),
            Err(r) => Err(r),
        };
        let w = self.pool.remove(token).expect("present");
        let _ = epoll::delete(&self.epoll, &w.stream);
        match outcome {
            Ok((request, len)) => self.hand(w, request, len),
            Err(r) => self.refuse(w, &r),
        }
    }

    fn hand(&mut self, w: Waiting, request: Request, len: usize) {
        if w.stream.set_nonblocking(false).is_err() {
            return;
        }
        let rest = w.buf[len..].to_vec();
        (self.hand_on)(Arrival {
            stream: w.stream,
            peer: w.peer,
            request,
            rest,
        });
    }

    fn refuse(&mut self, w: Waiting, r: &Refusal) {
        self.tally.count(r.summary(), w.addr);
        self.close(w, r);
    }

    /// Closing the socket also takes it out of the epoll set.
    fn close(&mut self, w: Waiting, r: &Refusal) {
        answer(w.stream, r);
    }

    /// Times out slow heads, resumes accepting after a pause, and writes the refusal summary.
    fn tick(&mut self, now: Instant) {
        for w in self.pool.expired(now) {
            self.refuse(w, &Refusal::Timeout);
        }
        if self.paused_until.is_some_and(|t| t <= now) {
            self.paused_until = None;
            let data = epoll::EventData::new_u64(LISTENER);
            let _ = epoll::add(&self.epoll, &self.listener, data, epoll::EventFlags::IN);
        }
        self.tally.report(now);
    }
}

fn out_of_descriptors(e: &io::Error) -> bool {
    let errno = e.raw_os_error().map(rustix::io::Errno::from_raw_os_error);
    matches!(
        errno,
        Some(rustix::io::Errno::MFILE | rustix::io::Errno::NFILE)
            | Some(rustix::io::Errno::NOBUFS | rustix::io::Errno::NOMEM)
    )
}

/// Writes a refusal without blocking, then closes. Whatever the client already sent is read
/// first, so closing does not turn into a reset that would discard the answer.
pub fn answer(mut stream: TcpStream, r: &Refusal) {
    let _ = stream.set_nonblocking(true);
    let mut sink = [0u8; 4096];
    for _ in 0..4 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let _ = Response::refusal(r).write_to(&mut stream);
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// The waiting connections, their places (tokens) and how many each address holds.
struct Pool {
    limits: Limits,
    places: Vec<Option<Waiting>>,
    /// Bumped each time a place is reused, so a stale event never reaches a newcomer.
    generations: Vec<u32>,
    free: Vec<usize>,
    held: HashMap<Addr, usize>,
    len: usize,
}

impl Pool {
    fn new(limits: Limits) -> Pool {
        Pool {
            limits,
            places: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
            held: HashMap::new(),
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len >= self.limits.pending
    }

    /// True when `addr` already holds its whole share.
    fn over_share(&self, addr: Addr) -> bool {
        self.limits
            .per_address
            .is_some_and(|share| self.held.get(&addr).copied().unwrap_or(0) >= share)
    }

    fn insert(&mut self, w: Waiting) -> u64 {
        *self.held.entry(w.addr).or_insert(0) += 1;
        self.len += 1;
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.places.push(None);
                self.generations.push(0);
                self.places.len() - 1
            }
        };
        self.generations[index] = self.generations[index].wrapping_add(1);
        self.places[index] = Some(w);
        token(index, self.generations[index])
    }

    fn index(&self, token: u64) -> Option<usize> {
        let index = (token & 0xffff_ffff) as usize;
        let index = index.checked_sub(1)?;
        let live = self.generations.get(index) == Some(&((token >> 32) as u32));
        (live && self.places[index].is_some()).then_some(index)
    }

    fn get(&mut self, token: u64) -> Option<&mut Waiting> {
        let i = self.index(token)?;
        self.places[i].as_mut()
    }

    fn remove(&mut self, token: u64) -> Option<Waiting> {
        let i = self.index(token)?;
        self.take(i)
    }

    fn take(&mut self, i: usize) -> Option<Waiting> {
        let w = self.places[i].take()?;
        self.free.push(i);
        self.len -= 1;
        if let Some(n) = self.held.get_mut(&w.addr) {
            *n -= 1;
            if *n == 0 {
                self.held.remove(&w.addr);
            }
        }
        Some(w)
    }

    /// Makes room for a newcomer from `addr`: takes the oldest connection of the address that
    /// holds the most places, unless that is `addr` itself (then the newcomer is refused).
    fn shed_for(&mut self, addr: Addr) -> Option<Waiting> {
        let mine = self.held.get(&addr).copied().unwrap_or(0);
        let (&top, &most) = self.held.iter().max_by_key(|(_, n)| **n)?;
        if most <= mine {
            return None;
        }
        self.shed_from(top)
    }

    /// Sheds one connection of the most crowded address.
    fn shed(&mut self) -> Option<Waiting> {
        let (&top, _) = self.held.iter().max_by_key(|(_, n)| **n)?;
        self.shed_from(top)
    }

    fn shed_from(&mut self, addr: Addr) -> Option<Waiting> {
        let i = (0..self.places.len())
            .filter(|&i| self.places[i].as_ref().is_some_and(|w| w.addr == addr))
            .min_by_key(|&i| self.places[i].as_ref().map(|w| w.deadline))?;
        self.take(i)
    }

    /// Removes and returns the connections whose head is overdue.
    fn expired(&mut self, now: Instant) -> Vec<Waiting> {
        let overdue: Vec<usize> = (0..self.places.len())
            .filter(|&i| self.places[i].as_ref().is_some_and(|w| w.deadline <= now))
            .collect();
        overdue.into_iter().filter_map(|i| self.take(i)).collect()
    }
}

fn token(index: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | (index as u64 + 1)
}

/// Refusals since the last summary, by reason and address.
#[derive(Default)]
struct Tally {
    counts: HashMap<(&'static str, Addr), u64>,
    last: Option<Instant>,
}

/// Distinct (reason, address) pairs remembered between summaries; more are counted as one.
const TALLY_MAX: usize = 4096;

impl Tally {
    fn count(&mut self, reason: &'static str, addr: Addr) {
        let key = (reason, addr);
        if self.counts.len() < TALLY_MAX || self.counts.contains_key(&key) {
            *self.counts.entry(key).or_insert(0) += 1;
        }
    }

    /// Logs, at most once a second, how many connections were refused and from where.
    fn report(&mut self, now: Instant) {
        if self.counts.is_empty() || self.last.is_some_and(|t| now - t < Duration::from_secs(1)) {
            return;
        }
        self.last = Some(now);
        let mut by_reason: HashMap<&str, (u64, Addr, u64)> = HashMap::new();
        for (&(reason, addr), &n) in &self.counts {
            let e = by_reason.entry(reason).or_insert((0, addr, 0));
            e.0 += n;
            if n > e.2 {
                (e.1, e.2) = (addr, n);
            }
        }
        for (reason, (total, top, most)) in by_reason {
            warn!("refused {total} connection(s) ({reason}); most from {top} ({most})");
        }
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn waiting(ip: [u8; 4], listener: &TcpListener, age: u64) -> Waiting {
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let peer = SocketAddr::from((ip, 1000));
        Waiting {
            stream,
            peer,
            addr: Addr::of(peer.ip()),
            buf: Vec::new(),
            deadline: Instant::now() + HANDSHAKE_TIMEOUT - Duration::from_secs(age),
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_v4_as_v4() {
        let a = Addr::of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = Addr::of("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = Addr::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        let mapped = Addr::of("::ffff:10.1.2.3".parse().unwrap());
        assert_eq!(mapped, Addr::of("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn shares_and_shedding_favour_addresses_that_hold_little() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let limits = Limits {
            pending: 4,
            per_address: Some(3),
        };
        let mut pool = Pool::new(limits);
        let (a, b, c) = ([10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3]);
        let oldest_a = pool.insert(waiting(a, &l, 3));
        pool.insert(waiting(a, &l, 1));
        pool.insert(waiting(a, &l, 2));
        assert!(pool.over_share(Addr::of(a.into())));
        assert!(!pool.over_share(Addr::of(b.into())));
        pool.insert(waiting(b, &l, 0));
        assert!(pool.is_full());
        // A newcomer from c (holding none) displaces a's oldest; one from a would not.
        let shed = pool.shed_for(Addr::of(c.into())).expect("room is made");
        assert_eq!(shed.addr, Addr::of(a.into()));
        assert!(pool.get(oldest_a).is_none(), "the oldest of a was shed");
        pool.insert(waiting(c, &l, 0));
        // a: 2, b: 1, c: 1. The crowded address cannot displace others; c can displace a.
        assert!(pool.shed_for(Addr::of(a.into())).is_none());
        assert_eq!(
            pool.shed_for(Addr::of(c.into())).unwrap().addr,
            Addr::of(a.into())
        );
        pool.insert(waiting(b, &l, 0));
        // a: 1, b: 2, c: 1: a newcomer from b is refused.
        assert!(pool.shed_for(Addr::of(b.into())).is_none());
    }

    #[test]
    fn stale_tokens_do_not_reach_a_reused_place() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let limits = Limits {
            pending: 8,
            per_address: None,
        };
        let mut pool = Pool::new(limits);
        let old = pool.insert(waiting([10, 0, 0, 1], &l, 0));
        pool.remove(old).unwrap();
        let new = pool.insert(waiting([10, 0, 0, 2], &l, 0));
        assert!(pool.get(old).is_none());
        assert!(pool.get(new).is_some());
        assert_eq!(pool.expired(Instant::now() + HANDSHAKE_TIMEOUT).len(), 1);
        assert_eq!(pool.len, 0);
        assert!(pool.held.is_empty());
    }
}
