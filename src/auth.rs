//! Who may connect: HTTP Basic credentials checked against salted argon2 hashes, a short
//! cache of verified `Authorization` headers, and per-address back-off after failures.
//!
//! Guarantees: passwords are never stored or logged in clear; a wrong user name costs the same
//! verification as a wrong password; failures only slow down the address they come from.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use data_encoding::BASE64;

use crate::refusal::Refusal;

/// How long a verified header is trusted without hashing again.
const CACHE_FOR: Duration = Duration::from_secs(300);
const CACHE_MAX: usize = 256;
/// Failures from one address allowed before back-off starts.
const FREE_FAILURES: u32 = 3;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Addresses remembered for back-off at most (oldest forgotten first).
const FAILURES_MAX: usize = 10_000;

/// The users who may connect, and the state of their attempts.
pub struct Auth {
    users: Vec<(String, String)>,
    /// A hash every unknown user name is checked against, so timing shows nothing.
    decoy: String,
    verified: Mutex<HashMap<String, (String, Instant)>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    /// Serialises argon2 runs: each takes ~19 MiB for a few tens of milliseconds.
    hashing: Mutex<()>,
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
        Ok(Auth {
            users,
            decoy,
            verified: Mutex::default(),
            failures: Mutex::default(),
            hashing: Mutex::new(()),
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
        // The attempt counts as a failure before the slow hash: concurrent guesses from one
        // address then meet the back-off at once instead of all being verified.
        self.begin_attempt(addr)?;
        match self.verify(header) {
            Some(user) => {
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
            None => Err(Refusal::BadCredentials),
        }
    }

    fn cached(&self, header: &str) -> Option<String> {
        let cache = self.verified.lock().unwrap();
        let (user, until) = cache.get(header)?;
        (Instant::now() < *until).then(|| user.clone())
    }

    fn verify(&self, header: &str) -> Option<String> {
        let (scheme, b64) = header.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(BASE64.decode(b64.trim().as_bytes()).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        let found = self.users.iter().find(|(u, _)| u == user);
        let hash = found.map_or(self.decoy.as_str(), |(_, h)| h.as_str());
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = {
            let _one_at_a_time = self.hashing.lock().unwrap();
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        };
        (ok && found.is_some()).then(|| user.to_string())
    }

    /// Refuses an address still inside its back-off window; otherwise counts one more
    /// attempt against it (forgotten again if the credentials turn out right).
    fn begin_attempt(&self, addr: IpAddr) -> Result<(), Refusal> {
        let mut failures = self.failures.lock().unwrap();
        let now = Instant::now();
        if let Some(f) = failures.get(&addr)
            && f.until > now
        {
            return Err(Refusal::TooManyAttempts(
                f.until.duration_since(now).as_secs() + 1,
            ));
        }
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
        assert_eq!(
            auth.check(Some(&header("mallory", "x")), a),
            Err(Refusal::BadCredentials)
        );
        assert!(matches!(
            auth.check(Some(&header("alice", "guess")), a),
            Err(Refusal::TooManyAttempts(_))
        ));
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
