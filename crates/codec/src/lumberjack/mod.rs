//! Lumberjack v2, the Beats protocol: frames in, ACKs out.
//!
//! Wire format (all integers u32 big-endian, every frame starts with the version byte
//! `2`, or `1` for the legacy key/value frames):
//! - `2W <count>`: the window size; the client waits for an ACK of the window's last
//!   sequence number before sending more than its pipelining allows.
//! - `2J <seq> <len> <json>`: one event as JSON.
//! - `2D <seq> <pairs> (<klen> <key> <vlen> <value>)*`: one event as key/value pairs.
//! - `2C <len> <zlib>`: a zlib block whose content is more frames. The window count
//!   spans the block.
//! - `2A <seq>`: server to client, everything up to `seq` is accepted.
//!
//! Nothing here trusts a length: a frame longer than `max_frame_bytes` is an error before
//! anything is buffered for it, a block is inflated with a cap of `max_inflated_bytes`,
//! and a block inside a block is refused. Errors end the connection; the stream cannot be
//! resynchronised after one.

mod encode;
mod frame;
#[cfg(test)]
mod tests;

pub use encode::{encode_ack, encode_ack_version, encode_window, WindowEncoding};
pub use frame::LjError;

use bytes::{Bytes, BytesMut};
use frame::{parse_frame, Parsed};
use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One decoded frame. Compressed blocks never surface: their frames do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LjFrame {
    /// `W`: the number of events the client sends before it waits for an ACK.
    Window {
        /// How many events.
        size: u32,
        /// The protocol version byte (`b'1'` or `b'2'`): the ACK must use the same.
        version: u8,
    },
    /// `J`: a JSON document, not yet parsed.
    /// A JSON data frame (`2J`): its sequence number and the JSON object.
    Json {
        /// Its sequence number.
        seq: u32,
        /// The JSON object, as sent.
        payload: Bytes,
    },
    /// `D`: key/value pairs, as bytes.
    Data {
        /// Its sequence number.
        seq: u32,
        /// Its key/value pairs.
        pairs: Vec<(Bytes, Bytes)>,
    },
}

impl LjFrame {
    /// The sequence number of a data frame (`None` for window frames).
    pub fn seq(&self) -> Option<u32> {
        match self {
            LjFrame::Window { .. } => None,
            LjFrame::Json { seq, .. } | LjFrame::Data { seq, .. } => Some(*seq),
        }
    }
}

/// Limits for [`LumberjackDecoder`].
#[derive(Clone, Debug)]
pub struct LjLimits {
    /// Largest frame accepted, compressed blocks included.
    pub max_frame_bytes: usize,
    /// Largest content a compressed block may inflate to.
    pub max_inflated_bytes: usize,
    /// Inflated bytes all decoders sharing it may hold at once (every connection of a
    /// source): eight zlib bombs at once must not hold eight times `max_inflated_bytes`.
    pub budget: Option<InflateBudget>,
}

impl Default for LjLimits {
    fn default() -> Self {
        LjLimits {
            max_frame_bytes: 16 << 20,
            max_inflated_bytes: 64 << 20,
            budget: None,
        }
    }
}

/// Bytes that inflated blocks may hold, shared by decoders.
#[derive(Clone, Debug)]
pub struct InflateBudget(Arc<AtomicUsize>);

impl InflateBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        InflateBudget(Arc::new(AtomicUsize::new(bytes)))
    }

    fn take(&self, n: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    fn give(&self, n: usize) {
        self.0.fetch_add(n, Ordering::AcqRel);
    }
}

/// A tokio-util decoder of Lumberjack frames.
#[derive(Debug)]
pub struct LumberjackDecoder {
    limits: LjLimits,
    /// Frames from an inflated block, handed out one by one.
    pending: VecDeque<LjFrame>,
    /// Bytes of the shared budget the pending frames hold.
    held: usize,
}

impl Drop for LumberjackDecoder {
    fn drop(&mut self) {
        self.release();
    }
}

impl LumberjackDecoder {
    /// A decoder with these limits.
    pub fn new(limits: LjLimits) -> Self {
        LumberjackDecoder {
            limits,
            pending: VecDeque::new(),
            held: 0,
        }
    }

    /// Gives the budget of the handed-out block back.
    fn release(&mut self) {
        if let Some(b) = &self.limits.budget {
            b.give(std::mem::take(&mut self.held));
        }
    }

    fn inflate(&mut self, block: &[u8]) -> Result<(), LjError> {
        let cap = self.limits.max_inflated_bytes;
        if let Some(b) = &self.limits.budget {
            // Room for the most a block may inflate to, given back down to what it did.
            if !b.take(cap) {
                return Err(LjError::InflateBudget);
            }
            self.held = cap;
        }
        let r = self.inflate_within(block, cap);
        if let Some(b) = &self.limits.budget {
            let used = self.pending_bytes().min(cap);
            b.give(cap - used);
            self.held = used;
        }
        r
    }

    fn pending_bytes(&self) -> usize {
        self.pending
            .iter()
            .map(|f| match f {
                LjFrame::Json { payload, .. } => payload.len(),
                LjFrame::Data { pairs, .. } => pairs.iter().map(|(k, v)| k.len() + v.len()).sum(),
                LjFrame::Window { .. } => 0,
            })
            .sum()
    }

    fn inflate_within(&mut self, block: &[u8], cap: usize) -> Result<(), LjError> {
        let mut out = Vec::with_capacity(block.len().saturating_mul(4).min(cap));
        let read = flate2::read::ZlibDecoder::new(block)
            .take(cap as u64 + 1)
            .read_to_end(&mut out);
        if let Err(e) = read {
            return Err(LjError::BadCompressed(e.to_string()));
        }
        if out.len() > cap {
            return Err(LjError::InflatedTooLarge { max: cap });
        }
        let data = Bytes::from(out);
        let mut at = 0;
        while at < data.len() {
            match parse_frame(&data[at..], self.limits.max_frame_bytes)? {
                None => return Err(LjError::TruncatedBlock),
                Some((Parsed::Compressed(_), _)) => return Err(LjError::NestedCompressed),
                Some((Parsed::Frame(f), used)) => {
                    self.pending
                        .push_back(f.into_frame(&data.slice(at..at + used)));
                    at += used;
                }
            }
        }
        Ok(())
    }
}

impl tokio_util::codec::Decoder for LumberjackDecoder {
    type Item = LjFrame;
    type Error = LjError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<LjFrame>, LjError> {
        loop {
            if let Some(f) = self.pending.pop_front() {
                if self.pending.is_empty() {
                    self.release();
                }
                return Ok(Some(f));
            }
            match parse_frame(src, self.limits.max_frame_bytes)? {
                None => {
                    return Ok(None);
                }
                Some((Parsed::Frame(f), used)) => {
                    let raw = src.split_to(used).freeze();
                    return Ok(Some(f.into_frame(&raw)));
                }
                Some((Parsed::Compressed(body), used)) => {
                    let raw = src.split_to(used);
                    self.inflate(&raw[body])?;
                }
            }
        }
    }
}
