//! The buffers a session renders its frames into, reused: tungstenite copies a frame out as
//! it writes it, and the buffer then comes back to its session instead of being freed.
//!
//! Guarantees: a session holds at most two buffers of a frame's full size while it sends, and
//! none once it waits for news ([`Buffers::release`]). Reuse matters most with musl, whose
//! allocator hands a freed 64 KiB block's pages back to the kernel, so every new frame paid
//! for page faults again.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

/// Spare buffers kept at most: one being sent, one being rendered.
const KEPT: usize = 2;

/// A session's spare frame buffers.
#[derive(Default)]
pub struct Buffers {
    spare: Arc<Mutex<Vec<String>>>,
    /// The capacity of a new buffer: a whole frame's.
    size: usize,
}

impl Buffers {
    /// Buffers of `size` bytes each.
    pub fn new(size: usize) -> Buffers {
        Buffers {
            spare: Arc::default(),
            size,
        }
    }

    /// An empty buffer with room for a whole frame: a spare one, or a new one.
    pub fn take(&self) -> String {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        spare.unwrap_or_else(|| String::with_capacity(self.size))
    }

    /// `text` as one WebSocket frame (`Text` or `Continue`, final or not), whose buffer comes
    /// back to the spares once the frame has been written. The payload is sent as it is: it
    /// is a `String`, so valid UTF-8, and a fragment may end inside a character only where
    /// the renderer never cuts.
    pub fn frame(&self, text: String, opcode: Data, fin: bool) -> Message {
        let back = Back {
            bytes: text.into_bytes(),
            spare: self.spare.clone(),
        };
        Message::Frame(Frame::message(
            Bytes::from_owner(back),
            OpCode::Data(opcode),
            fin,
        ))
    }

    /// Frees the spare buffers (the session is about to wait).
    pub fn release(&self) {
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A frame's bytes on their way out; dropped (after the write), they become a spare.
struct Back {
    bytes: Vec<u8>,
    spare: Arc<Mutex<Vec<String>>>,
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
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < KEPT
            && let Ok(empty) = String::from_utf8(bytes)
        {
            spare.push(empty);
        }
    }
}
