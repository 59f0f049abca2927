//! The gzip container (RFC 1952) and a resumable place in its decompression: member headers
//! (magic, method, flags and their optional fields), the raw deflate data inflated through
//! miniz_oxide's core decompressor into a wrapping 32 KiB window, and each member's trailer
//! (CRC-32 and length), member after member, then zero padding.
//!
//! Guarantees: a [`Cursor`] is a complete state: a clone taken anywhere resumes to the same
//! bytes. Every step consumes input or produces output, so a hostile file ends in a
//! [`Damage`], never a loop; nothing is allocated from a length the file gives (a header's
//! fields are skipped, not read into memory).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress_with_limit};

use super::Damage;

/// The deflate window: the output a back-reference may reach.
const WINDOW: usize = 32 * 1024;
/// Compressed bytes read at a time.
const INPUT_BLOCK: usize = 64 * 1024;

const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
const FRESERVED: u8 = 0b1110_0000;

/// The compressed file read forwards through a buffer, by position (no shared file cursor).
pub struct Input<'a> {
    file: &'a File,
    /// The compressed length the view was opened with.
    size: u64,
    /// `buf[at..]` holds the file from `pos` on.
    pos: u64,
    buf: Vec<u8>,
    at: usize,
}

impl<'a> Input<'a> {
    /// The file of `size` bytes, from `pos`.
    pub fn new(file: &'a File, size: u64, pos: u64) -> Self {
        Input {
            file,
            size,
            pos,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// The next bytes not consumed (empty at the end of the file).
    fn fill(&mut self) -> io::Result<&[u8]> {
        if self.at == self.buf.len() && self.pos < self.size {
            let n = (self.size - self.pos).min(INPUT_BLOCK as u64) as usize;
            self.buf.resize(n, 0);
            self.file.read_exact_at(&mut self.buf, self.pos)?;
            self.at = 0;
        }
        Ok(&self.buf[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
        self.pos += n as u64;
    }

    /// True when no byte follows what `fill` gave.
    fn last_block(&self) -> bool {
        self.pos + (self.buf.len() - self.at) as u64 >= self.size
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        let b = self.fill()?.first().copied();
        if b.is_some() {
            self.consume(1);
        }
        Ok(b)
    }
}

/// Which part of the container comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// A member header, or the end of the file (maybe after zero padding).
    Header,
    Deflate,
    Trailer,
    /// Nothing more (the end, or damage reported).
    End,
}

/// How far an [`Cursor::advance`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The output reached the limit asked for.
    Limit,
    /// The whole file is read, without damage.
    End,
    /// The damage that ends the text here.
    Damaged(Damage),
}

/// A place in the decompression of a file: the deflate state, the window, where in the
/// compressed and the decompressed bytes it is, and the current member's checksum so far.
#[derive(Clone)]
pub struct Cursor {
    inflater: Box<DecompressorOxide>,
    window: Box<[u8; WINDOW]>,
    window_at: usize,
    part: Part,
    /// The next compressed byte to read.
    pub compressed: u64,
    /// Bytes of text produced before this place.
    pub decompressed: u64,
    crc: crc32fast::Hasher,
    member_len: u64,
    /// Members begun (1 for the first).
    member: u32,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            inflater: Box::default(),
            window: Box::new([0; WINDOW]),
            window_at: 0,
            part: Part::Header,
            compressed: 0,
            decompressed: 0,
            crc: crc32fast::Hasher::new(),
            member_len: 0,
            member: 0,
        }
    }
}

impl Cursor {
    /// Inflates until the text reaches `limit` bytes or ends, giving every piece produced to
    /// `sink` with its offset in the text. `input` reads from [`Cursor::compressed`].
    pub fn advance(
        &mut self,
        input: &mut Input,
        limit: u64,
        sink: &mut dyn FnMut(u64, &[u8]),
    ) -> io::Result<Stop> {
        while self.decompressed < limit {
            let step = match self.part {
                Part::Header => self.header(input)?,
                Part::Deflate => self.inflate(input, limit, sink)?,
                Part::Trailer => self.trailer(input)?,
                Part::End => return Ok(Stop::End),
            };
            if let Some(stop) = step {
                self.part = Part::End;
                return Ok(stop);
            }
        }
        Ok(Stop::Limit)
    }

    /// One call of the decompressor; `Some` when the text ends here.
    fn inflate(
        &mut self,
        input: &mut Input,
        limit: u64,
        sink: &mut dyn FnMut(u64, &[u8]),
    ) -> io::Result<Option<Stop>> {
        input.fill()?;
        let flags = if input.last_block() {
            0
        } else {
            TINFL_FLAG_HAS_MORE_INPUT
        };
        let data = &input.buf[input.at..];
        let room = ((WINDOW - self.window_at) as u64).min(limit - self.decompressed) as usize;
        let (status, used, wrote) = decompress_with_limit(
            &mut self.inflater,
            data,
            &mut self.window[..],
            self.window_at,
            room,
            flags,
        );
        input.consume(used);
        self.compressed += used as u64;
        let out = &self.window[self.window_at..self.window_at + wrote];
        self.crc.update(out);
        sink(self.decompressed, out);
        self.decompressed += wrote as u64;
        self.member_len += wrote as u64;
        self.window_at = (self.window_at + wrote) % WINDOW;
        Ok(match status {
            TINFLStatus::Done => {
                self.part = Part::Trailer;
                None
            }
            TINFLStatus::HasMoreOutput | TINFLStatus::NeedsMoreInput if used + wrote > 0 => None,
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                Some(self.truncated())
            }
            TINFLStatus::HasMoreOutput => Some(self.corrupt("the deflate data makes no progress")),
            _ => Some(self.corrupt("the deflate data is invalid")),
        })
    }

    /// A member header (or the end of the file); `Some` when the text ends here.
    fn header(&mut self, input: &mut Input) -> io::Result<Option<Stop>> {
        Ok(match input.byte()? {
            None if self.member == 0 => Some(self.truncated()),
            None => Some(Stop::End),
            Some(0) if self.member > 0 => Some(match padding(input)? {
                None => Stop::End,
                Some(at) => Stop::Damaged(Damage::TrailingGarbage { at_compressed: at }),
            }),
            Some(b) => self.member_header(input, b)?,
        })
    }

    /// The rest of a header whose first byte was `first`.
    fn member_header(&mut self, input: &mut Input, first: u8) -> io::Result<Option<Stop>> {
        let start = input.pos - 1;
        let mut head = [first; 10];
        let mut got = 1;
        while got < head.len()
            && let Some(b) = input.byte()?
        {
            (head[got], got) = (b, got + 1);
        }
        let magic = [0x1f, 0x8b];
        if head[..got.min(2)] != magic[..got.min(2)] {
            return Ok(Some(Stop::Damaged(match self.member {
                0 => Damage::NotGzip,
                _ => Damage::TrailingGarbage {
                    at_compressed: start,
                },
            })));
        }
        self.compressed = input.pos;
        let bad = match (got, head[2], head[3]) {
            (..10, _, _) => return Ok(Some(self.truncated())),
            (_, 8, flags) if flags & FRESERVED == 0 => None,
            (_, 8, _) => Some("a header has reserved flags set"),
            _ => Some("a member is not compressed with deflate"),
        };
        if let Some(why) = bad {
            return Ok(Some(self.corrupt(why)));
        }
        let fields = fields(input, &head)?;
        self.compressed = input.pos;
        match fields {
            Fields::Cut => Ok(Some(self.truncated())),
            Fields::BadCrc => Ok(Some(self.corrupt("a header's checksum does not match"))),
            Fields::Read => {
                self.begin_member();
                Ok(None)
            }
        }
    }

    fn begin_member(&mut self) {
        self.inflater.init();
        self.crc = crc32fast::Hasher::new();
        self.member_len = 0;
        self.member += 1;
        self.part = Part::Deflate;
    }

    /// A member's trailer: its CRC-32 and length must match the text it gave.
    fn trailer(&mut self, input: &mut Input) -> io::Result<Option<Stop>> {
        let mut t = [0u8; 8];
        for b in &mut t {
            match input.byte()? {
                Some(byte) => *b = byte,
                None => {
                    self.compressed = input.pos;
                    return Ok(Some(self.truncated()));
                }
            }
        }
        self.compressed = input.pos;
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        if crc != self.crc.clone().finalize() || len != self.member_len as u32 {
            return Ok(Some(Stop::Damaged(Damage::BadChecksum {
                member: self.member,
            })));
        }
        self.part = Part::Header;
        Ok(None)
    }

    fn truncated(&self) -> Stop {
        Stop::Damaged(Damage::Truncated {
            at_compressed: self.compressed,
        })
    }

    fn corrupt(&self, what: &'static str) -> Stop {
        Stop::Damaged(Damage::Corrupt {
            at_compressed: self.compressed,
            what,
        })
    }
}

/// How a header's optional fields ended.
enum Fields {
    Read,
    /// The file ends inside them.
    Cut,
    /// FHCRC is set and does not match the header.
    BadCrc,
}

/// The optional fields of a header whose first ten bytes are `head`, skipped as its flags
/// say (FHCRC checked).
fn fields(input: &mut Input, head: &[u8; 10]) -> io::Result<Fields> {
    let flags = head[3];
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    let mut take = |input: &mut Input| -> io::Result<Option<u8>> {
        let b = input.byte()?;
        crc.update(b.as_slice());
        Ok(b)
    };
    if flags & FEXTRA != 0 {
        let (Some(lo), Some(hi)) = (take(input)?, take(input)?) else {
            return Ok(Fields::Cut);
        };
        // At most 65,535 bytes, skipped one by one: no allocation from the file's word.
        for _ in 0..u16::from_le_bytes([lo, hi]) {
            if take(input)?.is_none() {
                return Ok(Fields::Cut);
            }
        }
    }
    // The name and the comment: each up to its zero byte.
    let strings = [FNAME, FCOMMENT]
        .iter()
        .filter(|&&f| flags & f != 0)
        .count();
    for _ in 0..strings {
        loop {
            match take(input)? {
                None => return Ok(Fields::Cut),
                Some(0) => break,
                Some(_) => {}
            }
        }
    }
    if flags & FHCRC == 0 {
        return Ok(Fields::Read);
    }
    let (Some(lo), Some(hi)) = (input.byte()?, input.byte()?) else {
        return Ok(Fields::Cut);
    };
    let want = crc.finalize() as u16;
    Ok(match u16::from_le_bytes([lo, hi]) == want {
        true => Fields::Read,
        false => Fields::BadCrc,
    })
}

/// After a zero byte past a member: `None` when only zeros follow to the end (padding), else
/// where the first other byte is.
fn padding(input: &mut Input) -> io::Result<Option<u64>> {
    loop {
        let data = input.fill()?;
        if data.is_empty() {
            return Ok(None);
        }
        if let Some(i) = data.iter().position(|&b| b != 0) {
            input.consume(i);
            return Ok(Some(input.pos));
        }
        let n = data.len();
        input.consume(n);
    }
}
