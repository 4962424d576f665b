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
#[derive(Clone, Copy, Debug)]
pub struct LjLimits {
    /// Largest frame accepted, compressed blocks included.
    pub max_frame_bytes: usize,
    /// Largest content a compressed block may inflate to.
    pub max_inflated_bytes: usize,
}

impl Default for LjLimits {
    fn default() -> Self {
        LjLimits {
            max_frame_bytes: 16 << 20,
            max_inflated_bytes: 64 << 20,
        }
    }
}

/// A tokio-util decoder of Lumberjack frames.
#[derive(Debug)]
pub struct LumberjackDecoder {
    limits: LjLimits,
    /// Frames from an inflated block, handed out one by one.
    pending: VecDeque<LjFrame>,
}

impl LumberjackDecoder {
    /// A decoder with these limits.
    pub fn new(limits: LjLimits) -> Self {
        LumberjackDecoder {
            limits,
            pending: VecDeque::new(),
        }
    }

    fn inflate(&mut self, block: &[u8]) -> Result<(), LjError> {
        let cap = self.limits.max_inflated_bytes;
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
