//! Where a client is in a file, in a form that survives restarts: [`Position`] (file
//! identity, offset, hash of the bytes before it) and the [`Fingerprint`] of those bytes.
//!
//! Guarantees: a position is only ever taken as valid for the same file (device, inode) whose
//! bytes before the offset still hash the same.

use std::io;

use crate::source::reader::ReadAt;

/// Bytes kept from just before the read offset to recognise the same file content.
const FP_LEN: usize = 64;

/// Up to [`FP_LEN`] bytes that precede the read offset.
#[derive(Debug, Default, Clone)]
pub struct Fingerprint {
    pub bytes: Vec<u8>,
}

impl Fingerprint {
    pub fn read(file: &dyn ReadAt, offset: u64) -> io::Result<Self> {
        let n = offset.min(FP_LEN as u64) as usize;
        let mut bytes = vec![0u8; n];
        file.read_exact_at(&mut bytes, offset - n as u64)?;
        Ok(Fingerprint { bytes })
    }

    pub fn push(&mut self, data: &[u8]) {
        if data.len() >= FP_LEN {
            self.bytes.clear();
            self.bytes.extend_from_slice(&data[data.len() - FP_LEN..]);
        } else {
            self.bytes.extend_from_slice(data);
            let extra = self.bytes.len().saturating_sub(FP_LEN);
            self.bytes.drain(..extra);
        }
    }

    /// True when the file still holds the same bytes before `offset`.
    pub fn matches(&self, file: &dyn ReadAt, offset: u64) -> io::Result<bool> {
        let mut now = vec![0u8; self.bytes.len()];
        let at = offset - now.len() as u64;
        match file.read_exact_at(&mut now, at) {
            Ok(()) => Ok(now == self.bytes),
            Err(e) => shrunk_means_changed(e),
        }
    }
}

/// A file that ended before the fingerprint's bytes was truncated: that is a change, not an
/// error. (Reached only if the file shrinks between a poll's size check and the read.)
fn shrunk_means_changed(e: io::Error) -> io::Result<bool> {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Ok(false),
        _ => Err(e),
    }
}

pub fn fingerprint_hash(file: &dyn ReadAt, offset: u64) -> io::Result<u64> {
    Ok(fnv1a(&Fingerprint::read(file, offset)?.bytes))
}

pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A resumable place in a file: which file (device, inode), the byte offset just after a
/// complete line, and a hash of the bytes before it. Serialised as `dev.ino.offset.hash`
/// in hex; opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub dev: u64,
    pub ino: u64,
    pub offset: u64,
    pub hash: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:x}.{:x}.{:x}.{:x}",
            self.dev, self.ino, self.offset, self.hash
        )
    }
}

impl std::str::FromStr for Position {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let parts: Vec<u64> = s
            .split('.')
            .map(|p| u64::from_str_radix(p, 16))
            .collect::<Result<_, _>>()
            .map_err(|_| ())?;
        match parts[..] {
            [dev, ino, offset, hash] => Ok(Position {
                dev,
                ino,
                offset,
                hash,
            }),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        // FNV-1a 64-bit test vectors (IETF draft-eastlake-fnv).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
