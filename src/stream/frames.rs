//! The buffers a session renders its frames into, reused: tungstenite copies a frame out as
//! it writes it, and the buffer then comes back to its session instead of being freed.
//!
//! Guarantees: a session keeps at most two spare buffers of a frame's full size, and none once
//! it has taken none for [`RELEASE_AFTER`] ([`Buffers::release_idle`]). Reuse matters most
//! with musl, whose allocator hands a freed 64 KiB block's pages back to the kernel, so every
//! new frame paid for page faults again.

use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

/// Spare buffers kept at most: one being sent, one being rendered.
const KEPT: usize = 2;
/// Spare buffers are freed once none was taken for this long: an idle client holds none.
pub const RELEASE_AFTER: Duration = Duration::from_secs(1);

type Spare = Arc<Mutex<Vec<String>>>;

fn lock(spare: &Spare) -> MutexGuard<'_, Vec<String>> {
    spare.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A session's spare frame buffers.
pub struct Buffers {
    spare: Spare,
    /// The capacity of a new buffer: a whole frame's.
    size: usize,
    /// When a buffer was last taken.
    used: Cell<Instant>,
}

impl Buffers {
    /// Buffers of `size` bytes each.
    pub fn new(size: usize) -> Buffers {
        Buffers {
            spare: Spare::default(),
            size,
            used: Cell::new(Instant::now()),
        }
    }

    /// An empty buffer with room for a whole frame: a spare one, or a new one.
    pub fn take(&self) -> String {
        self.used.set(Instant::now());
        let spare = lock(&self.spare).pop();
        spare.unwrap_or_else(|| String::with_capacity(self.size))
    }

    /// `text` as one WebSocket frame (`Text` or `Continue`, final or not), whose buffer comes
    /// back to the spares once the frame has been written. The payload goes out as it is: a
    /// `String`'s bytes, and the renderer cuts a long line's pieces between characters.
    pub fn frame(&self, text: String, opcode: Data, fin: bool) -> Message {
        let back = Back {
            bytes: text.into_bytes(),
            spare: self.spare.clone(),
        };
        let payload = Bytes::from_owner(back);
        Message::Frame(Frame::message(payload, OpCode::Data(opcode), fin))
    }

    /// Frees the spare buffers once none was taken for [`RELEASE_AFTER`]; until then, says how
    /// long that is from now (the session wakes then to free them). A busy session keeps
    /// reusing them: each new frame would otherwise cost a fresh allocation.
    pub fn release_idle(&self) -> Option<Duration> {
        let mut spare = lock(&self.spare);
        if spare.is_empty() {
            return None;
        }
        let left = RELEASE_AFTER.saturating_sub(self.used.get().elapsed());
        if left.is_zero() {
            spare.clear();
            return None;
        }
        Some(left)
    }
}

/// A frame's bytes on their way out; dropped (after the write), they become a spare.
struct Back {
    bytes: Vec<u8>,
    spare: Spare,
}

impl AsRef<[u8]> for Back {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Back {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        let mut spare = lock(&self.spare);
        if spare.len() < KEPT
            && let Ok(empty) = String::from_utf8(bytes)
        {
            spare.push(empty);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_frame_buffer_comes_back_empty_and_is_freed_when_idle() {
        let buffers = Buffers::new(1024);
        let mut text = buffers.take();
        text.push_str("line\n");
        let at = text.as_ptr();
        let frame = buffers.frame(text, Data::Text, true);
        assert_eq!(
            buffers.release_idle(),
            None,
            "nothing spare while it is out"
        );
        match &frame {
            Message::Frame(f) => assert_eq!(f.payload(), &b"line\n"[..]),
            other => panic!("{other:?}"),
        }
        drop(frame);
        let left = buffers.release_idle().expect("a spare is kept for a while");
        assert!(left <= RELEASE_AFTER);
        let again = buffers.take();
        assert_eq!(
            (again.as_ptr(), again.len()),
            (at, 0),
            "the same buffer, empty"
        );
        assert!(again.capacity() >= 1024);
        drop(buffers.frame(again, Data::Text, true));
        buffers.used.set(Instant::now() - RELEASE_AFTER);
        assert_eq!(buffers.release_idle(), None);
        assert!(lock(&buffers.spare).is_empty(), "freed once idle");
    }
}
