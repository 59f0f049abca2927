//! The decompressed text of a gzip file (a rotated member such as `app.log.2.gz`), read at any
//! offset through [`ReadAt`] like a plain file, so every scan of [`crate::source::reader`]
//! works on it; and [`Text`], an opened file read plain or decompressed.
//!
//! Opening a [`Gzip`] decompresses the file once (its length is not known otherwise), keeping
//! a restart point (a clone of the decompressor, its 32 KiB window, and where it is in both
//! streams) every [`Limits::spacing`] bytes of text. A read restores the nearest point at or
//! before it and decompresses forwards; the last pieces of text decompressed are kept, so
//! block-by-block scans, forwards or backwards, decompress each piece about once, and the
//! text's last [`Limits::piece`] bytes are kept from the first pass and read without a lock
//! (the last lines of a member come at once, whatever else reads it).
//!
//! Guarantees: no panic, no endless loop and no allocation sized by the file on any input;
//! memory per view is bounded (at most [`Limits::checkpoints`] restart points of about 43 KiB,
//! the spacing doubling when they are full, plus three pieces of [`Limits::piece`] bytes); the
//! text is at most [`Limits::max_len`] bytes. A damaged file gives the text up to its damage,
//! and [`Gzip::damage`] says what and where.

mod cursor;
mod views;

use std::collections::VecDeque;
use std::fmt;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use log::info;

use self::cursor::{Cursor, Input, Stop};
pub use self::views::{Identity, MAX_VIEWS, Views};
use crate::source::reader::ReadAt;

/// What ended a gzip file's text before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The file does not start with gzip's magic bytes.
    NotGzip,
    /// The file ends inside a member (its header, deflate data or trailer): the text is what
    /// the bytes up to `at_compressed` (the file's length) gave.
    Truncated { at_compressed: u64 },
    /// The compressed data is invalid at about `at_compressed`.
    Corrupt {
        at_compressed: u64,
        what: &'static str,
    },
    /// Member `member` (1 for the first) decompressed whole but its CRC-32 or length does not
    /// match its trailer; its text is given, nothing after it.
    BadChecksum { member: u32 },
    /// Bytes that are neither a member nor zero padding follow the last member.
    TrailingGarbage { at_compressed: u64 },
    /// The text would be longer than `limit` bytes; the rest is not read.
    TooLarge { limit: u64 },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::NotGzip => f.write_str("not gzip data"),
            Damage::Truncated { at_compressed } => write!(
                f,
                "truncated: the compressed file ends after {at_compressed} bytes, inside a member"
            ),
            Damage::Corrupt {
                at_compressed,
                what,
            } => write!(f, "corrupt at compressed byte {at_compressed}: {what}"),
            Damage::BadChecksum { member } => write!(
                f,
                "member {member} does not match its checksum or length (the text may be wrong)"
            ),
            Damage::TrailingGarbage { at_compressed } => write!(
                f,
                "bytes that are not gzip data follow the last member, at byte {at_compressed}"
            ),
            Damage::TooLarge { limit } => {
                write!(
                    f,
                    "the text is longer than {limit} bytes; the rest is not read"
                )
            }
        }
    }
}

/// Sizes that bound a view's memory and work.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Text kept at a time: aligned runs of this many bytes.
    pub piece: u64,
    /// Text between restart points at first (a multiple of `piece`).
    pub spacing: u64,
    /// Restart points at most; past it every other one goes and the spacing doubles.
    pub checkpoints: usize,
    /// Text read at most.
    pub max_len: u64,
}

/// The limits of the views the server opens: about 5.5 MiB of restart points per GiB of text
/// up to 1 GiB (and no more beyond), 8 MiB at most decompressed to reach any byte before
/// thinning.
pub const LIMITS: Limits = Limits {
    piece: 2 << 20,
    spacing: 8 << 20,
    checkpoints: 128,
    max_len: 64 << 30,
};

/// The decompressed text of one gzip file, readable at any offset.
pub struct Gzip {
    file: File,
    /// The compressed length when opened.
    size: u64,
    len: u64,
    damage: Option<Damage>,
    /// Restart points, at multiples of the spacing in the text.
    checkpoints: Vec<Cursor>,
    kept: Mutex<Pieces>,
    /// The text's last piece of bytes, kept from the first pass and read without the lock:
    /// the history of the last lines never waits for another reader's decompression.
    tail: Piece,
    /// Bytes of text decompressed so far, the first pass included.
    inflated: AtomicU64,
}

impl Gzip {
    /// Decompresses `file` (of identity `id`) once with the server's [`LIMITS`].
    pub fn open(file: File, id: Identity, gone: &dyn Fn() -> bool) -> io::Result<Gzip> {
        Gzip::open_with(file, id.size, LIMITS, gone)
    }

    /// Decompresses the `size` bytes of `file` once, keeping restart points as `limits` say;
    /// stops with [`ClientLeft`] when `gone` says no one waits for it any more (asked at each
    /// restart point).
    pub fn open_with(
        file: File,
        size: u64,
        limits: Limits,
        gone: &dyn Fn() -> bool,
    ) -> io::Result<Gzip> {
        let mut kept = Pieces::new(limits.piece);
        let pass = first_pass(&file, size, &limits, &mut kept, gone)?;
        let tail = kept.last_bytes(limits.piece);
        Ok(Gzip {
            file,
            size,
            len: pass.len,
            damage: pass.damage,
            checkpoints: pass.checkpoints,
            kept: Mutex::new(kept),
            tail,
            inflated: AtomicU64::new(pass.len),
        })
    }

    /// Bytes of text: all of it, or what came before the damage.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What ended the text early, if anything did.
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// Bytes of text decompressed so far (the first pass included): how much work reads took.
    pub fn inflated(&self) -> u64 {
        self.inflated.load(Ordering::Relaxed)
    }

    /// Decompresses into `kept` the pieces from the one holding text offset `at` to the one
    /// holding `last` (the same or the next): from where the last decompression stopped when
    /// that is where they start (reading forwards), else from the nearest restart point before
    /// them, keeping the piece before `last`'s too (reading backwards, it comes next).
    fn load(&self, kept: &mut Pieces, at: u64, last: u64) -> io::Result<()> {
        let size = kept.size;
        let from = (last / size * size).saturating_sub(size);
        let mut cursor = match kept.resume.take() {
            Some(c) if c.decompressed == at / size * size => c,
            _ => {
                let i = self.checkpoints.partition_point(|c| c.decompressed <= from);
                self.checkpoints[i.saturating_sub(1)].clone()
            }
        };
        kept.restart(from.max(cursor.decompressed));
        let end = ((last / size + 1) * size).min(self.len);
        let started = cursor.decompressed;
        let mut input = Input::new(&self.file, self.size, cursor.compressed);
        let stop = cursor.advance(&mut input, end, &mut |o, d| kept.take(o, d))?;
        self.inflated
            .fetch_add(cursor.decompressed - started, Ordering::Relaxed);
        // The text ends where the first pass found its end or damage.
        if cursor.decompressed < end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the compressed file changed since it was opened",
            ));
        }
        kept.resume = (stop == Stop::Limit).then_some(cursor);
        Ok(())
    }
}

impl ReadAt for Gzip {
    /// Copies what is kept first, then loads the rest: a load never drops a piece the read
    /// still needs, and a read across two pieces takes one load at most.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        if offset.saturating_add(buf.len() as u64) > self.len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(got) = self.tail.holding(offset, buf.len()) {
            buf.copy_from_slice(got);
            return Ok(());
        }
        if buf.is_empty() {
            return Ok(());
        }
        let mut kept = lock(&self.kept);
        let size = kept.size;
        // The read's parts within one piece each: (offset in the text, length).
        let end = offset + buf.len() as u64;
        let mut todo: Vec<(u64, u64)> = std::iter::successors(Some(offset), |&at| {
            Some((at / size + 1) * size).filter(|&next| next < end)
        })
        .map(|at| (at, ((at / size + 1) * size).min(end) - at))
        .collect();
        loop {
            todo.retain(|&(at, n)| match kept.find(at) {
                Some(got) if got.len() as u64 >= n => {
                    let i = (at - offset) as usize;
                    buf[i..i + n as usize].copy_from_slice(&got[..n as usize]);
                    false
                }
                _ => true,
            });
            let (Some(&(at, _)), Some(&(to, n))) = (todo.first(), todo.last()) else {
                return Ok(());
            };
            self.load(&mut kept, at, (to + n - 1).min(at + size))?;
            if kept.find(at).is_none() {
                return Err(io::ErrorKind::InvalidData.into());
            }
        }
    }
}

/// What the first pass found.
struct Pass {
    len: u64,
    damage: Option<Damage>,
    checkpoints: Vec<Cursor>,
}

/// Decompresses the whole file, keeping restart points and the last pieces of text.
fn first_pass(
    file: &File,
    size: u64,
    limits: &Limits,
    kept: &mut Pieces,
    gone: &dyn Fn() -> bool,
) -> io::Result<Pass> {
    let mut cursor = Cursor::default();
    let mut input = Input::new(file, size, 0);
    let (mut checkpoints, mut spacing) = (vec![cursor.clone()], limits.spacing);
    let damage = loop {
        let next = (cursor.decompressed / spacing + 1) * spacing;
        match cursor.advance(&mut input, next.min(limits.max_len), &mut |o, d| {
            kept.take(o, d)
        })? {
            Stop::Limit if cursor.decompressed >= limits.max_len => {
                break Some(Damage::TooLarge {
                    limit: limits.max_len,
                });
            }
            Stop::Limit if gone() => return Err(left()),
            Stop::Limit => checkpoints.push(cursor.clone()),
            Stop::End => break None,
            Stop::Damaged(d) => break Some(d),
        }
        if checkpoints.len() > limits.checkpoints {
            // Keep the points at multiples of twice the spacing.
            let mut i = 0;
            checkpoints.retain(|_| (i % 2 == 0, i += 1).0);
            spacing *= 2;
        }
    };
    Ok(Pass {
        len: cursor.decompressed,
        damage,
        checkpoints,
    })
}

/// Why a first pass (or the wait for one) stopped: its client left.
#[derive(Debug)]
pub struct ClientLeft;

impl std::fmt::Display for ClientLeft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the client left")
    }
}

impl std::error::Error for ClientLeft {}

impl ClientLeft {
    /// True for the error [`left`] made.
    pub fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|e| e.is::<ClientLeft>())
    }
}

/// The error of a first pass that stopped because its client left.
fn left() -> io::Error {
    io::Error::other(ClientLeft)
}

/// A run of text.
struct Piece {
    start: u64,
    bytes: Vec<u8>,
}

impl Piece {
    /// The `n` bytes from `at`, when the piece holds them all.
    fn holding(&self, at: u64, n: usize) -> Option<&[u8]> {
        let from = usize::try_from(at.checked_sub(self.start)?).ok()?;
        self.bytes.get(from..from.checked_add(n)?)
    }
}

/// The pieces of text kept: the last two decompressed, each an aligned run of `size` bytes.
struct Pieces {
    size: u64,
    /// Text before this offset is not kept by `take`.
    from: u64,
    last: VecDeque<Piece>,
    /// Where the last decompression stopped.
    resume: Option<Cursor>,
}

impl Pieces {
    fn new(size: u64) -> Pieces {
        Pieces {
            size,
            from: 0,
            last: VecDeque::new(),
            resume: None,
        }
    }

    /// The last `n` bytes kept (fewer when fewer are): after the first pass, the text's end.
    fn last_bytes(&self, n: u64) -> Piece {
        let all: Vec<u8> = self.last.iter().flat_map(|p| &p.bytes).copied().collect();
        let end = self
            .last
            .back()
            .map_or(0, |p| p.start + p.bytes.len() as u64);
        let keep = all.len().min(n as usize);
        Piece {
            start: end - keep as u64,
            bytes: all[all.len() - keep..].to_vec(),
        }
    }

    /// A new decompression: only text from `from` on is kept.
    fn restart(&mut self, from: u64) {
        self.from = from;
        self.last.clear();
    }

    /// Keeps the text `data`, which starts at offset `at`.
    fn take(&mut self, mut at: u64, mut data: &[u8]) {
        if at < self.from {
            let skip = (self.from - at).min(data.len() as u64);
            (at, data) = (at + skip, &data[skip as usize..]);
        }
        while !data.is_empty() {
            let start = at / self.size * self.size;
            if self.last.back().is_none_or(|p| p.start != start) {
                self.push(start);
            }
            let piece = self.last.back_mut().expect("just pushed");
            let n = ((start + self.size - at) as usize).min(data.len());
            piece.bytes.extend_from_slice(&data[..n]);
            (at, data) = (at + n as u64, &data[n..]);
        }
    }

    fn push(&mut self, start: u64) {
        if self.last.len() == 2 {
            self.last.pop_front();
        }
        self.last.push_back(Piece {
            start,
            bytes: Vec::with_capacity(self.size as usize),
        });
    }

    /// The kept text from offset `at` to the end of its piece.
    fn find(&self, at: u64) -> Option<&[u8]> {
        let p = self
            .last
            .iter()
            .find(|p| p.start <= at && at < p.start + p.bytes.len() as u64)?;
        Some(&p.bytes[(at - p.start) as usize..])
    }
}

/// Locks, carrying on after a panic elsewhere (the kept pieces are then at worst stale).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// True when `file`, opened at `path`, is to be read decompressed: a `.gz` name and gzip's
/// magic bytes. A `.gz` name over plain text is plain.
pub fn is_gzip(path: &Path, file: &File) -> bool {
    let mut magic = [0u8; 2];
    path.to_str().is_some_and(|name| name.ends_with(".gz"))
        && FileExt::read_exact_at(file, &mut magic, 0).is_ok()
        && magic == [0x1f, 0x8b]
}

/// An opened file's text: its own bytes, or the decompressed bytes of a gzip file.
pub enum Text {
    Plain(File),
    Gzip(Arc<Gzip>),
}

impl Text {
    /// `file`, opened at `path` with metadata `meta`, as text: decompressed (through the kept
    /// `views`) when [`is_gzip`] says so. Damage is logged.
    /// A file's text; a gzip file's first pass (or the wait for it) stops when `gone` says
    /// the client left ([`ClientLeft`]).
    pub fn open(
        views: &Views,
        path: &Path,
        file: File,
        meta: &Metadata,
        gone: &dyn Fn() -> bool,
    ) -> io::Result<Text> {
        if !is_gzip(path, &file) {
            return Ok(Text::Plain(file));
        }
        let g = views.open(path, file, meta, gone)?;
        if let Some(d) = g.damage() {
            info!("{}: {d}; read up to there", path.display());
        }
        Ok(Text::Gzip(g))
    }

    /// The text's length when `meta` was taken: the file's, or the decompressed length.
    pub fn size(&self, meta: &Metadata) -> u64 {
        match self {
            Text::Plain(_) => meta.len(),
            Text::Gzip(g) => g.len(),
        }
    }

    /// The text's length now (a plain file may have grown since it was opened).
    pub fn len_now(&self) -> io::Result<u64> {
        match self {
            Text::Plain(f) => Ok(f.metadata()?.len()),
            Text::Gzip(g) => Ok(g.len()),
        }
    }

    /// The decompressed view, for a gzip file.
    pub fn gzip(&self) -> Option<&Gzip> {
        match self {
            Text::Plain(_) => None,
            Text::Gzip(g) => Some(g),
        }
    }

    /// 0 for a plain file (its changes are found by reading it), and for a decompressed view
    /// a number of its file's version: what is known about the text stays valid while the
    /// pair (identity, version) is the same.
    pub fn version(&self, meta: &Metadata) -> u64 {
        match self {
            Text::Plain(_) => 0,
            Text::Gzip(_) => Identity::of(meta).version(),
        }
    }

    /// True when the text still holds what was read of it: `check` asks a plain file; a
    /// decompressed view never changes (a changed file is another version).
    pub fn unchanged(&self, check: impl FnOnce(&File) -> io::Result<bool>) -> io::Result<bool> {
        match self {
            Text::Plain(f) => check(f),
            Text::Gzip(_) => Ok(true),
        }
    }

    /// Reads what there is from `offset` into `buf`, like `pread`: a plain file may end (or be
    /// truncated) early.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Text::Plain(f) => FileExt::read_at(f, buf, offset),
            Text::Gzip(g) => {
                let n = buf.len().min(g.len().saturating_sub(offset) as usize);
                g.read_exact_at(&mut buf[..n], offset)?;
                Ok(n)
            }
        }
    }

    /// The file the text is read from (compressed, for a gzip file).
    pub fn file(&self) -> &File {
        match self {
            Text::Plain(f) => f,
            Text::Gzip(g) => &g.file,
        }
    }

    pub fn try_clone(&self) -> io::Result<Text> {
        Ok(match self {
            Text::Plain(f) => Text::Plain(f.try_clone()?),
            Text::Gzip(g) => Text::Gzip(g.clone()),
        })
    }
}

impl ReadAt for Text {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self {
            Text::Plain(f) => ReadAt::read_exact_at(f, buf, offset),
            Text::Gzip(g) => g.read_exact_at(buf, offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A gzip member of `text` made by hand (deflate from miniz_oxide), with `flags` and the
    /// optional bytes they announce after the fixed header.
    fn member(text: &[u8], flags: u8, optional: &[u8]) -> Vec<u8> {
        let mut gz = vec![0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3];
        gz.extend_from_slice(optional);
        gz.extend(miniz_oxide::deflate::compress_to_vec(text, 6));
        gz.extend(crc32fast::hash(text).to_le_bytes());
        gz.extend((text.len() as u32).to_le_bytes());
        gz
    }

    fn log_text(lines: usize, seed: u64) -> Vec<u8> {
        let mut rng = seed;
        (0..lines)
            .flat_map(|i| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pad = "x".repeat((rng >> 58) as usize);
                format!(
                    "2026-11-25T10:00:{:02}Z line {i} {pad} {}\n",
                    i % 60,
                    rng >> 40
                )
                .into_bytes()
            })
            .collect()
    }

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile();
        f.write_all(bytes).unwrap();
        f
    }

    /// An unlinked temporary file.
    fn tempfile() -> File {
        use std::sync::atomic::AtomicUsize;
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("logview-gzip-{}-{n}", std::process::id()));
        let f = File::options()
            .create_new(true)
            .read(true)
            .write(true)
            .open(&p)
            .unwrap();
        std::fs::remove_file(&p).unwrap();
        f
    }

    const SMALL: Limits = Limits {
        piece: 1024,
        spacing: 4096,
        checkpoints: 4,
        max_len: 1 << 30,
    };

    fn view(gz: &[u8], limits: Limits) -> Gzip {
        Gzip::open_with(file_of(gz), gz.len() as u64, limits, &|| false).unwrap()
    }

    fn all(g: &Gzip) -> Vec<u8> {
        let mut buf = vec![0; g.len() as usize];
        g.read_exact_at(&mut buf, 0).unwrap();
        buf
    }

    fn next(rng: &mut u64) -> u64 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    }

    #[test]
    fn a_single_member_reads_at_any_offset() {
        let text = log_text(3000, 1);
        for limits in [SMALL, LIMITS] {
            let g = view(&member(&text, 0, &[]), limits);
            assert_eq!((g.len(), g.damage()), (text.len() as u64, None));
            assert_eq!(all(&g), text);
            let mut rng = 7;
            for _ in 0..500 {
                let at = next(&mut rng) % text.len() as u64;
                let n = (next(&mut rng) % 5000).min(text.len() as u64 - at) as usize;
                let mut buf = vec![0; n];
                g.read_exact_at(&mut buf, at).unwrap();
                assert_eq!(buf, text[at as usize..][..n], "{n} bytes at {at}");
            }
            let mut one = [0u8];
            let past = g.read_exact_at(&mut one, text.len() as u64).unwrap_err();
            assert_eq!(past.kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    #[test]
    fn members_are_read_whole_and_optional_fields_skipped() {
        let (a, b) = (log_text(500, 2), log_text(700, 3));
        let mut gz = member(&a, 0, &[]);
        // FEXTRA, FNAME, FCOMMENT and a right FHCRC.
        let mut optional = vec![3, 0, b'x', b'y', b'z'];
        optional.extend(b"app.log\0a comment\0");
        let mut second = member(&b, FLAGS_ALL, &optional);
        let head_crc = crc32fast::hash(&second[..10 + optional.len()]) as u16;
        let at = 10 + optional.len();
        second.splice(at..at, head_crc.to_le_bytes());
        gz.extend(&second);
        gz.extend(member(b"", 0, &[]));
        gz.extend([0; 100]); // padding
        let g = view(&gz, SMALL);
        assert_eq!(g.damage(), None);
        assert_eq!(all(&g), [a.clone(), b.clone()].concat());
        // A wrong header CRC is damage after the first member.
        let mut bad = second.clone();
        bad[at] ^= 1;
        let g = view(&[member(&a, 0, &[]), bad].concat(), SMALL);
        assert!(
            matches!(g.damage(), Some(Damage::Corrupt { .. })),
            "{:?}",
            g.damage()
        );
        assert_eq!(all(&g), a);
        // Anything but zeros after a member is reported, the text kept.
        let g = view(&[member(&a, 0, &[]), b"junk".to_vec()].concat(), SMALL);
        let at = member(&a, 0, &[]).len() as u64;
        assert_eq!(
            g.damage(),
            Some(&Damage::TrailingGarbage { at_compressed: at })
        );
        assert_eq!(all(&g), a);
    }

    const FLAGS_ALL: u8 = 0b1_1110;

    #[test]
    fn empty_and_foreign_files() {
        let g = view(&member(b"", 0, &[]), SMALL);
        assert_eq!((g.len(), g.damage()), (0, None));
        let g = view(b"", SMALL);
        assert_eq!(g.damage(), Some(&Damage::Truncated { at_compressed: 0 }));
        let g = view(b"plain text\n", SMALL);
        assert_eq!((g.len(), g.damage()), (0, Some(&Damage::NotGzip)));
        // A huge FEXTRA length in a short file is skipped, not allocated.
        let g = view(
            &[0x1f, 0x8b, 8, FEXTRA, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 1],
            SMALL,
        );
        assert_eq!(g.damage(), Some(&Damage::Truncated { at_compressed: 13 }));
        let g = view(&[0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3], SMALL);
        assert!(matches!(g.damage(), Some(Damage::Corrupt { .. })));
    }

    const FEXTRA: u8 = 1 << 2;

    #[test]
    fn every_prefix_gives_a_prefix_of_the_text() {
        let text = log_text(400, 4);
        let first = member(&text[..9000], 0, &[]);
        let gz = [first.clone(), member(&text[9000..], 0, &[])].concat();
        let file = file_of(&gz);
        for cut in 0..=gz.len() {
            let g =
                Gzip::open_with(file.try_clone().unwrap(), cut as u64, SMALL, &|| false).unwrap();
            let got = all(&g);
            assert_eq!(got, text[..got.len()], "cut at {cut}");
            // Cut between members, the file is whole.
            match cut == gz.len() || cut == first.len() {
                true => assert_eq!(g.damage(), None, "cut at {cut}"),
                false => assert!(g.damage().is_some(), "cut at {cut}"),
            }
        }
    }

    #[test]
    fn flipped_bytes_never_pass_for_the_text() {
        let text = log_text(300, 5);
        let gz = member(&text, 0, &[]);
        let mut rng = 11;
        for i in 0..gz.len() {
            let mut bad = gz.clone();
            bad[i] ^= 1 << (next(&mut rng) % 8);
            let g = view(&bad, SMALL);
            let got = all(&g);
            if g.damage().is_none() {
                assert_eq!(got, text, "flip at {i} undetected");
            }
            // Whatever was read at an offset is what a sequential read gives.
            let at = next(&mut rng) % (g.len() + 1);
            let mut piece = vec![0; (g.len() - at).min(300) as usize];
            g.read_exact_at(&mut piece, at).unwrap();
            assert_eq!(piece, got[at as usize..][..piece.len()]);
        }
    }

    #[test]
    fn restart_points_and_kept_pieces_bound_the_work() {
        let text = log_text(20_000, 6);
        let len = text.len() as u64;
        let g = view(&member(&text, 0, &[]), SMALL);
        assert!(g.checkpoints.len() <= SMALL.checkpoints, "thinned");
        assert_eq!(g.inflated(), len, "the first pass");
        let at = len / 2;
        let mut buf = [0u8; 100];
        g.read_exact_at(&mut buf, at).unwrap();
        let first = g.inflated() - len;
        assert!(
            first < at / 2,
            "from a restart point: {first} bytes for offset {at}"
        );
        g.read_exact_at(&mut buf, at).unwrap();
        assert_eq!(g.inflated() - len - first, 0, "kept");
        // The end is kept from the first pass, whatever was read since.
        let before = g.inflated();
        g.read_exact_at(&mut buf, len - 100).unwrap();
        assert_eq!(g.inflated(), before, "the last piece is kept");
        // A backward scan in small blocks decompresses each byte a few times at most (with
        // the server's ratio of spacing to piece; more restart points than SMALL's).
        let roomy = Limits {
            checkpoints: 1024,
            ..SMALL
        };
        let g = view(&member(&text, 0, &[]), roomy);
        let mut end = len;
        while end > 0 {
            let start = end.saturating_sub(300);
            let mut block = vec![0; (end - start) as usize];
            g.read_exact_at(&mut block, start).unwrap();
            assert_eq!(block, text[start as usize..end as usize]);
            end = start;
        }
        let work = g.inflated() - len;
        assert!(work < 2 * len, "backward: {work} for {len}");
        // Forwards, each piece goes on from where the last stopped: each byte about once.
        let g = view(&member(&text, 0, &[]), SMALL);
        assert_eq!(all(&g), text);
        assert!(
            g.inflated() - len <= len + SMALL.piece,
            "forward: {}",
            g.inflated()
        );
    }

    #[test]
    fn text_past_the_limit_is_not_read() {
        let text = vec![b'a'; 100_000];
        let limits = Limits {
            max_len: 10_000,
            ..SMALL
        };
        let g = view(&member(&text, 0, &[]), limits);
        assert_eq!(g.len(), 10_000);
        assert_eq!(g.damage(), Some(&Damage::TooLarge { limit: 10_000 }));
        assert_eq!(all(&g), text[..10_000]);
    }

    #[test]
    fn a_real_gzip_file_with_its_name() {
        let text = log_text(2000, 8);
        let d = std::env::temp_dir().join(format!("logview-gzip-real-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("app.log.2");
        std::fs::write(&p, &text).unwrap();
        let ok = std::process::Command::new("gzip")
            .arg("-f")
            .arg(&p)
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            eprintln!("gzip not found: skipped");
            return;
        }
        let gz = d.join("app.log.2.gz");
        let file = File::open(&gz).unwrap();
        assert!(is_gzip(&gz, &file));
        assert!(!is_gzip(&d.join("app.log.2"), &file), "the name counts");
        let meta = file.metadata().unwrap();
        let views = Views::default();
        let Text::Gzip(g) = Text::open(&views, &gz, file, &meta, &|| false).unwrap() else {
            panic!("read decompressed");
        };
        assert_eq!((all(&g), g.damage()), (text, None));
        let again = views
            .open(&gz, File::open(&gz).unwrap(), &meta, &|| false)
            .unwrap();
        assert!(Arc::ptr_eq(&g, &again), "kept");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
