//! Who may connect: HTTP Basic credentials checked against salted argon2 hashes, a short
//! cache of verified `Authorization` headers, per-address back-off after failures, and a gate
//! that bounds the hashing unauthenticated clients can cause.
//!
//! Guarantees: passwords are never stored or logged in clear; a wrong user name costs the same
//! verification as a wrong password; failures back off the address they come from. Whatever
//! the number of addresses, all unverified credentials together start at most one hash per
//! [`HASH_INTERVAL`] (10 a second, bursts of [`HASH_BURST`]) and wait in one first-come, first-served queue
//! of at most [`QUEUE_MAX`] for one of a few hashing slots (as many as cores, 1 to
//! [`MAX_SLOTS`]); past either bound they get 429 with a Retry-After before any hashing, so a
//! login queues behind a bounded amount of work. Each argon2 run holds ~19 MiB, so the slots
//! also bound hashing memory (at most ~76 MiB). A header verified in the last five minutes is
//! answered from the cache without touching the gate, so open sessions never wait.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use data_encoding::BASE64;

use crate::http::refusal::Refusal;

/// How long a verified header is trusted without hashing again.
const CACHE_FOR: Duration = Duration::from_secs(300);
const CACHE_MAX: usize = 256;
/// Failures from one address allowed before back-off starts.
const FREE_FAILURES: u32 = 3;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Addresses remembered for back-off at most (oldest forgotten first).
const FAILURES_MAX: usize = 10_000;
/// Concurrent argon2 runs at most (fewer on fewer cores): each holds ~19 MiB.
const MAX_SLOTS: usize = 4;
/// Attempts waiting for a slot at most: with ~30 ms per hash a queued login waits a few
/// hundred milliseconds at worst; the next attempt gets 429.
const QUEUE_MAX: u64 = 16;
/// One hash attempt per this interval across all clients in the long run (10 a second):
/// about a third of a core, and far more than the logins of real users, who are cached for
/// five minutes.
const HASH_INTERVAL: Duration = Duration::from_millis(100);
/// Attempts that may start at once after a quiet spell (the token bucket's size).
const HASH_BURST: u32 = 20;
/// Retry-After when the queue is full: it drains in well under a second.
const QUEUE_FULL_RETRY_SECS: u64 = 1;

/// The users who may connect, and the state of their attempts.
pub struct Auth {
    users: Vec<(String, String)>,
    /// A hash every unknown user name is checked against, so timing shows nothing.
    decoy: String,
    verified: Mutex<HashMap<String, (String, Instant)>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    /// Admission to argon2 for every unverified header.
    gate: Gate,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Auth({} users)", self.users.len())
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

impl Auth {
    /// Parses `user:hash` lines (blank lines and `#` comments ignored); `source` names the
    /// origin of the text in errors.
    pub fn parse(text: &str, source: &str) -> Result<Auth, String> {
        let mut users = Vec::new();
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        for (n, entry) in entries.flat_map(str::split_whitespace).enumerate() {
            let bad = || format!("{source}: entry {} is not USER:ARGON2-HASH", n + 1);
            let (user, hash) = entry.split_once(':').ok_or_else(bad)?;
            if user.is_empty() || PasswordHash::new(hash).is_err() {
                return Err(bad());
            }
            users.push((user.to_string(), hash.to_string()));
        }
        if users.is_empty() {
            return Err(format!("{source}: no users"));
        }
        let decoy = hash_password("decoy").map_err(|e| format!("cannot hash: {e}"))?;
        let slots = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Auth {
            users,
            decoy,
            verified: Mutex::default(),
            failures: Mutex::default(),
            gate: Gate::new(slots.clamp(1, MAX_SLOTS), Instant::now()),
        })
    }

    /// Reads an auth file.
    pub fn load(path: &Path) -> Result<Auth, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Auth::parse(&text, &path.display().to_string())
    }

    /// Checks an `Authorization` header from `addr`; returns the user name.
    pub fn check(&self, header: Option<&str>, addr: IpAddr) -> Result<String, Refusal> {
        let header = header.ok_or(Refusal::Unauthorized)?;
        if let Some(user) = self.cached(header) {
            return Ok(user);
        }
        let credentials = basic_credentials(header);
        // The attempt counts as a failure before the slow hash: concurrent guesses from one
        // address then meet the back-off at once instead of all being verified.
        let ticket = self.begin_attempt(addr, Instant::now(), credentials.is_some())?;
        let (Some((user, password)), Some(ticket)) = (credentials, ticket) else {
            return Err(Refusal::BadCredentials);
        };
        let ok = {
            let _slot = self.gate.wait(ticket);
            self.verify(&user, &password)
        };
        if !ok {
            self.restart_backoff(addr, Instant::now());
            return Err(Refusal::BadCredentials);
        }
        self.failures.lock().unwrap().remove(&addr);
        let mut cache = self.verified.lock().unwrap();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            header.to_string(),
            (user.clone(), Instant::now() + CACHE_FOR),
        );
        Ok(user)
    }

    fn cached(&self, header: &str) -> Option<String> {
        let cache = self.verified.lock().unwrap();
        let (user, until) = cache.get(header)?;
        (Instant::now() < *until).then(|| user.clone())
    }

    /// Starts the back-off window of `addr` again from `now`, when its failure is known: the
    /// window set before hashing would otherwise be partly spent by a slow hash.
    fn restart_backoff(&self, addr: IpAddr, now: Instant) {
        if let Some(f) = self.failures.lock().unwrap().get_mut(&addr) {
            f.until = f.until.max(now + backoff(f.count));
        }
    }

    /// Runs argon2 for `user`, against the decoy when the name is unknown. The caller holds
    /// a hashing slot.
    fn verify(&self, user: &str, password: &str) -> bool {
        let found = self.users.iter().find(|(u, _)| u == user);
        let hash = found.map_or(self.decoy.as_str(), |(_, h)| h.as_str());
        let ok = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && found.is_some()
    }

    /// Refuses an address still inside its back-off window; otherwise, when there is a
    /// password to hash, takes a place in the hashing queue (or is refused by the gate), and
    /// counts one more attempt against the address (forgotten again if the credentials turn
    /// out right). A refusal by the gate is not counted: it is not the address's doing.
    fn begin_attempt(
        &self,
        addr: IpAddr,
        now: Instant,
        hash: bool,
    ) -> Result<Option<Ticket>, Refusal> {
        let mut failures = self.failures.lock().unwrap();
        if let Some(f) = failures.get(&addr)
            && f.until > now
        {
            return Err(Refusal::TooManyAttempts(
                f.until.duration_since(now).as_secs() + 1,
            ));
        }
        let ticket = if hash {
            Some(self.gate.enter(now)?)
        } else {
            None
        };
        count_failure(&mut failures, addr, now);
        Ok(ticket)
    }
}

/// The user name and password of a `Basic` header, if it is one.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, b64) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(b64.trim().as_bytes()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Counts one failure against `addr`, forgetting the oldest address when the table is full.
fn count_failure(failures: &mut HashMap<IpAddr, Failures>, addr: IpAddr, now: Instant) {
    if failures.len() >= FAILURES_MAX && !failures.contains_key(&addr) {
        let oldest = failures
            .iter()
            .min_by_key(|(_, f)| f.until)
            .map(|(a, _)| *a);
        failures.remove(&oldest.unwrap_or(addr));
    }
    let f = failures.entry(addr).or_insert(Failures {
        count: 0,
        until: now,
    });
    f.count += 1;
    f.until = now + backoff(f.count);
}

/// Admission to argon2: a global rate, then a first-come, first-served queue in front of a
/// few hashing slots.
struct Gate {
    slots: usize,
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug)]
struct GateState {
    /// The ticket the next admitted attempt gets.
    next: u64,
    /// The oldest ticket that has not started hashing: tickets start in order.
    serving: u64,
    /// Slots in use.
    busy: usize,
    rate: Rate,
}

/// A place in the hashing queue. It must be redeemed with [`Gate::wait`] at once: the
/// tickets after it wait for it to start.
#[must_use]
struct Ticket(u64);

/// A hashing slot, given back when dropped.
struct Slot<'a>(&'a Gate);

impl Gate {
    fn new(slots: usize, now: Instant) -> Gate {
        Gate {
            slots,
            state: Mutex::new(GateState {
                next: 0,
                serving: 0,
                busy: 0,
                rate: Rate::new(now),
            }),
            changed: Condvar::new(),
        }
    }

    /// Queues one more attempt, or refuses it (then nothing is queued or spent) when the
    /// queue is full or the global rate is used up.
    fn enter(&self, now: Instant) -> Result<Ticket, Refusal> {
        let mut st = self.state.lock().unwrap();
        if st.next - st.serving >= QUEUE_MAX {
            return Err(Refusal::HashingBusy(QUEUE_FULL_RETRY_SECS));
        }
        st.rate
            .take(now)
            .map_err(|wait| Refusal::HashingBusy(wait.as_secs() + 1))?;
        st.next += 1;
        Ok(Ticket(st.next - 1))
    }

    /// Blocks until every earlier ticket has started and a slot is free; the slot is held
    /// until the returned guard is dropped.
    fn wait(&self, ticket: Ticket) -> Slot<'_> {
        let mut st = self.state.lock().unwrap();
        while !st.may_start(&ticket, self.slots) {
            st = self.changed.wait(st).unwrap();
        }
        st.serving += 1;
        st.busy += 1;
        // The next ticket may find a slot free as well.
        self.changed.notify_all();
        Slot(self)
    }
}

impl GateState {
    fn may_start(&self, ticket: &Ticket, slots: usize) -> bool {
        self.serving == ticket.0 && self.busy < slots
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut st = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.busy -= 1;
        self.0.changed.notify_all();
    }
}

/// The global rate of hash attempts as a token bucket kept in one instant (GCRA): each
/// attempt books one [`HASH_INTERVAL`]; bookings may run ahead of the clock by
/// `HASH_BURST - 1` intervals, so a quiet spell allows a burst of [`HASH_BURST`].
#[derive(Debug)]
struct Rate {
    booked_until: Instant,
}

impl Rate {
    fn new(now: Instant) -> Rate {
        Rate { booked_until: now }
    }

    /// Books one attempt at `now`, or tells how long until one may be booked.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let start = self.booked_until.max(now);
        let ahead = start - now;
        let tolerance = HASH_INTERVAL * (HASH_BURST - 1);
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        self.booked_until = start + HASH_INTERVAL;
        Ok(())
    }
}

/// Delay imposed after `count` failures: none for the first few, then doubling to a minute.
fn backoff(count: u32) -> Duration {
    match count.checked_sub(FREE_FAILURES + 1) {
        None => Duration::ZERO,
        Some(extra) => (Duration::from_secs(1) * 2u32.pow(extra.min(16))).min(MAX_BACKOFF),
    }
}

/// Hashes a password with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut salt))
        .map_err(|e| format!("no random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            BASE64.encode(format!("{user}:{password}").as_bytes())
        )
    }

    #[test]
    fn verifies_users_and_backs_off_per_address() {
        let line = format!("# users\nalice:{}\n", hash_password("s3cret").unwrap());
        let auth = Auth::parse(&line, "test").unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(
            auth.check(Some(&header("alice", "s3cret")), a),
            Ok("alice".into())
        );
        assert_eq!(
            auth.check(Some(&header("alice", "s3cret")), a),
            Ok("alice".into()),
            "cached"
        );
        assert_eq!(auth.check(None, a), Err(Refusal::Unauthorized));
        for _ in 0..FREE_FAILURES {
            assert_eq!(
                auth.check(Some(&header("alice", "wrong")), a),
                Err(Refusal::BadCredentials)
            );
        }
        let before_hash = Instant::now();
        assert_eq!(
            auth.check(Some(&header("mallory", "x")), a),
            Err(Refusal::BadCredentials)
        );
        // The window now runs from when that failure was known, however slow the hash; the
        // refusal is checked at an instant inside it, so no test timing is involved.
        let until = auth.failures.lock().unwrap()[&a].until;
        assert!(until >= before_hash + backoff(FREE_FAILURES + 1));
        assert!(matches!(
            auth.begin_attempt(a, until - Duration::from_millis(1), true),
            Err(Refusal::TooManyAttempts(1))
        ));
        auth.failures.lock().unwrap().get_mut(&a).unwrap().until += MAX_BACKOFF;
        assert!(
            matches!(
                auth.check(Some(&header("alice", "s3cret ")), a),
                Err(Refusal::TooManyAttempts(_))
            ),
            "the address waits, even with other credentials"
        );
        assert_eq!(
            auth.check(Some(&header("bob", "x")), b),
            Err(Refusal::BadCredentials),
            "others unaffected"
        );
        assert_eq!(
            auth.check(Some("Bearer abc"), b),
            Err(Refusal::BadCredentials)
        );
        assert_eq!(
            auth.check(Some("Basic !!!"), b),
            Err(Refusal::BadCredentials)
        );
    }

    #[test]
    fn the_rate_allows_a_burst_then_one_attempt_per_interval() {
        let t0 = Instant::now();
        let mut rate = Rate::new(t0);
        for n in 0..HASH_BURST {
            assert_eq!(rate.take(t0), Ok(()), "attempt {n} of the burst");
        }
        assert_eq!(rate.take(t0), Err(HASH_INTERVAL));
        assert_eq!(rate.take(t0 + HASH_INTERVAL / 2), Err(HASH_INTERVAL / 2));
        assert_eq!(rate.take(t0 + HASH_INTERVAL), Ok(()));
        assert!(rate.take(t0 + HASH_INTERVAL).is_err());
        // A long quiet spell allows one burst again, not more.
        let later = t0 + Duration::from_secs(3600);
        let admitted = (0..HASH_BURST * 3)
            .filter(|_| rate.take(later).is_ok())
            .count();
        assert_eq!(admitted, HASH_BURST as usize);
    }

    #[test]
    fn the_queue_is_bounded_and_its_refusals_spend_no_rate() {
        let t0 = Instant::now();
        let gate = Gate::new(1, t0);
        let mut tickets: Vec<Ticket> = (0..QUEUE_MAX)
            .map(|i| gate.enter(t0 + HASH_INTERVAL * i as u32).unwrap())
            .collect();
        let t1 = t0 + HASH_INTERVAL * QUEUE_MAX as u32;
        let full = Err(Refusal::HashingBusy(QUEUE_FULL_RETRY_SECS));
        let booked = gate.state.lock().unwrap().rate.booked_until;
        assert_eq!(gate.enter(t1).map(|t| t.0), full);
        assert_eq!(gate.state.lock().unwrap().rate.booked_until, booked);
        let first = gate.wait(tickets.remove(0));
        assert_eq!(
            gate.enter(t1).map(|t| t.0),
            Ok(QUEUE_MAX),
            "a place came free"
        );
        assert_eq!(gate.enter(t1).map(|t| t.0), full);
        drop(first);
        let st = gate.state.lock().unwrap();
        assert_eq!((st.serving, st.busy), (1, 0));
    }

    #[test]
    fn slots_run_side_by_side_and_tickets_start_in_arrival_order() {
        let t0 = Instant::now();
        let gate = Gate::new(2, t0);
        let (a, b, c) = (
            gate.enter(t0).unwrap(),
            gate.enter(t0).unwrap(),
            gate.enter(t0).unwrap(),
        );
        let _a = gate.wait(a);
        let slot_b = gate.wait(b);
        assert!(
            !gate.state.lock().unwrap().may_start(&c, 2),
            "both slots are taken"
        );
        drop(slot_b);
        assert!(gate.state.lock().unwrap().may_start(&c, 2));

        // One slot, held: whichever thread waits first, the earlier ticket goes first.
        let gate = Gate::new(1, t0);
        let tickets: Vec<Ticket> = (0..3).map(|_| gate.enter(t0).unwrap()).collect();
        let [first, second, third] = <[Ticket; 3]>::try_from(tickets).ok().unwrap();
        let held = gate.wait(first);
        let order = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            s.spawn(|| {
                let _slot = gate.wait(third);
                order.lock().unwrap().push(3);
            });
            s.spawn(|| {
                let _slot = gate.wait(second);
                order.lock().unwrap().push(2);
            });
            drop(held);
        });
        assert_eq!(*order.lock().unwrap(), [2, 3]);
    }

    #[test]
    fn a_full_gate_refuses_before_hashing_and_cached_headers_pass() {
        let line = format!("alice:{}\n", hash_password("s3cret").unwrap());
        let auth = Auth::parse(&line, "test").unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let good = header("alice", "s3cret");
        assert_eq!(auth.check(Some(&good), a), Ok("alice".into()));
        // Fill the queue without redeeming the tickets: no slot will ever come free.
        let _queued: Vec<Ticket> = (0..QUEUE_MAX)
            .map(|_| auth.gate.enter(Instant::now()).unwrap())
            .collect();
        let busy = Err(Refusal::HashingBusy(QUEUE_FULL_RETRY_SECS));
        assert_eq!(auth.check(Some(&header("alice", "guess")), b), busy);
        let uncached = good.replacen("Basic", "basic", 1);
        assert_eq!(
            auth.check(Some(&uncached), b),
            busy,
            "right, but not cached"
        );
        assert!(
            !auth.failures.lock().unwrap().contains_key(&b),
            "a refusal by the gate is not held against the address"
        );
        assert_eq!(auth.check(Some(&good), b), Ok("alice".into()), "cached");
        assert_eq!(
            auth.check(Some("Bearer abc"), b),
            Err(Refusal::BadCredentials),
            "nothing to hash: refused without a place in the queue"
        );
    }

    /// An address that has failed `n` times at `at` (no hashing involved).
    fn failed(auth: &Auth, addr: IpAddr, n: u32, at: Instant) {
        for _ in 0..n {
            auth.begin_attempt(addr, at, false).unwrap();
        }
    }

    #[test]
    fn the_back_off_window_runs_from_when_a_slow_hash_ended() {
        let auth = Auth::parse(&format!("alice:{}", hash_password("pw").unwrap()), "f").unwrap();
        let (a, t0) = ("10.0.0.1".parse().unwrap(), Instant::now());
        failed(&auth, a, FREE_FAILURES + 1, t0);
        // The last failure's hash took 5 s: its 1 s window starts when it was known.
        let known = t0 + Duration::from_secs(5);
        auth.restart_backoff(a, known);
        let inside = known + Duration::from_millis(500);
        assert!(matches!(
            auth.begin_attempt(a, inside, false),
            Err(Refusal::TooManyAttempts(_))
        ));
    }

    #[test]
    fn another_address_failing_does_not_erase_a_back_off() {
        let auth = Auth::parse(&format!("alice:{}", hash_password("pw").unwrap()), "f").unwrap();
        let (a, b, t0): (IpAddr, IpAddr, _) = (
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            Instant::now(),
        );
        failed(&auth, a, FREE_FAILURES + 1, t0);
        failed(&auth, b, 1, t0);
        assert!(matches!(
            auth.begin_attempt(a, t0 + Duration::from_millis(500), false),
            Err(Refusal::TooManyAttempts(_))
        ));
    }

    #[test]
    fn the_failure_table_is_bounded() {
        let auth = Auth::parse(&format!("alice:{}", hash_password("pw").unwrap()), "f").unwrap();
        let t0 = Instant::now();
        for i in 0..=FAILURES_MAX as u32 {
            failed(&auth, IpAddr::from(i.to_be_bytes()), 1, t0);
        }
        assert_eq!(auth.failures.lock().unwrap().len(), FAILURES_MAX);
    }

    #[test]
    fn a_used_up_rate_asks_to_retry_within_a_few_seconds() {
        let now = Instant::now();
        let gate = Gate::new(1, now);
        for _ in 0..HASH_BURST {
            let t = gate.enter(now).unwrap();
            drop(gate.wait(t));
        }
        // The next attempt is 100 ms away: Retry-After is a whole second, never 0.
        assert_eq!(gate.enter(now).err(), Some(Refusal::HashingBusy(1)));
    }

    #[test]
    fn debug_output_names_no_hash() {
        let line = format!("alice:{}", hash_password("pw").unwrap());
        let auth = Auth::parse(&line, "f").unwrap();
        assert_eq!(
            format!("{auth:?}"),
            "Auth(1 users)",
            "the config's Debug never shows hashes"
        );
    }

    #[test]
    fn rejects_bad_files_and_backoff_grows() {
        assert!(Auth::parse("alice:plaintext", "f").is_err());
        assert!(Auth::parse("", "f").is_err());
        assert!(Auth::parse(":$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "f").is_err());
        assert_eq!(backoff(1), Duration::ZERO);
        assert_eq!(backoff(3), Duration::ZERO);
        assert_eq!(backoff(5), Duration::from_secs(2));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
