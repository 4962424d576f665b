//! One Lumberjack frame from a byte slice: pure, no buffering, no allocation beyond the
//! pair list of a `D` frame. Offsets are relative to the frame's first byte.

use super::LjFrame;
use bytes::Bytes;
use std::ops::Range;

/// Why a connection's stream was given up.
#[derive(Debug, thiserror::Error)]
pub enum LjError {
    #[error("i/o: {0}")]
    /// Reading the stream failed.
    Io(#[from] std::io::Error),
    #[error("unsupported protocol version byte {0:#04x} (expected '1' or '2')")]
    /// A frame whose version byte is neither `1` nor `2`.
    BadVersion(u8),
    #[error("unknown frame type {0:#04x}")]
    /// A frame type this decoder does not know.
    UnknownType(u8),
    #[error("frame of {len} bytes is over max_frame_bytes ({max})")]
    /// A frame announcing `len` bytes, more than `max`.
    FrameTooLarge {
        /// The length announced.
        len: u64,
        /// The limit.
        max: usize,
    },
    #[error("compressed block inflates past max_inflated_bytes ({max})")]
    /// A compressed block that inflates past `max` bytes.
    InflatedTooLarge {
        /// The limit.
        max: usize,
    },
    #[error("compressed block is not valid zlib: {0}")]
    /// A compressed block that is not valid zlib.
    BadCompressed(String),
    #[error("compressed block ends inside a frame")]
    /// A compressed block that ends inside a frame.
    TruncatedBlock,
    #[error("inflated blocks of all connections fill the source's budget; retry later")]
    /// Every connection's inflated blocks together hold the shared budget.
    InflateBudget,
    #[error("compressed block inside a compressed block")]
    /// A compressed block inside a compressed block.
    NestedCompressed,
}

/// A frame's parts as offsets into the frame.
#[derive(Debug)]
pub(crate) enum RawFrame {
    Window(u32, u8),
    Json {
        seq: u32,
        body: Range<usize>,
    },
    Data {
        seq: u32,
        pairs: Vec<(Range<usize>, Range<usize>)>,
    },
}

impl RawFrame {
    /// The frame, with its payloads sliced (without copying) out of `raw`, which holds
    /// exactly this frame's bytes.
    pub(crate) fn into_frame(self, raw: &Bytes) -> LjFrame {
        match self {
            RawFrame::Window(size, version) => LjFrame::Window { size, version },
            RawFrame::Json { seq, body } => LjFrame::Json {
                seq,
                payload: raw.slice(body),
            },
            RawFrame::Data { seq, pairs } => LjFrame::Data {
                seq,
                pairs: pairs
                    .into_iter()
                    .map(|(k, v)| (raw.slice(k), raw.slice(v)))
                    .collect(),
            },
        }
    }
}

#[derive(Debug)]
pub(crate) enum Parsed {
    Frame(RawFrame),
    /// A `C` block: the range of its zlib content.
    Compressed(Range<usize>),
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn check(len: u64, max: usize) -> Result<(), LjError> {
    if len > max as u64 {
        Err(LjError::FrameTooLarge { len, max })
    } else {
        Ok(())
    }
}

/// Parses the frame at the start of `buf`. `Ok(None)` means more bytes are needed; an
/// over-long length is an error as soon as its header is readable.
pub(crate) fn parse_frame(
    buf: &[u8],
    max_frame: usize,
) -> Result<Option<(Parsed, usize)>, LjError> {
    let (Some(&version), Some(&kind)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    if version != b'2' && version != b'1' {
        return Err(LjError::BadVersion(version));
    }
    match kind {
        b'W' => Ok(u32_at(buf, 2).map(|n| (Parsed::Frame(RawFrame::Window(n, version)), 6))),
        b'C' => {
            let Some(len) = u32_at(buf, 2) else {
                return Ok(None);
            };
            check(u64::from(len) + 6, max_frame)?;
            let end = 6 + len as usize;
            Ok((buf.len() >= end).then_some((Parsed::Compressed(6..end), end)))
        }
        b'J' => {
            let (Some(seq), Some(len)) = (u32_at(buf, 2), u32_at(buf, 6)) else {
                return Ok(None);
            };
            check(u64::from(len) + 10, max_frame)?;
            let end = 10 + len as usize;
            Ok((buf.len() >= end)
                .then_some((Parsed::Frame(RawFrame::Json { seq, body: 10..end }), end)))
        }
        b'D' => {
            let (Some(seq), Some(count)) = (u32_at(buf, 2), u32_at(buf, 6)) else {
                return Ok(None);
            };
            // Every pair takes at least its two length words.
            check(u64::from(count) * 8 + 10, max_frame)?;
            let mut pairs = Vec::with_capacity((count as usize).min(256));
            let mut at = 10usize;
            for _ in 0..count {
                let Some(klen) = u32_at(buf, at) else {
                    return Ok(None);
                };
                let key = at + 4..at + 4 + klen as usize;
                check(key.end as u64 + 4, max_frame)?;
                let Some(vlen) = u32_at(buf, key.end) else {
                    return Ok(None);
                };
                let value = key.end + 4..key.end + 4 + vlen as usize;
                check(value.end as u64, max_frame)?;
                at = value.end;
                pairs.push((key, value));
            }
            Ok((buf.len() >= at).then_some((Parsed::Frame(RawFrame::Data { seq, pairs }), at)))
        }
        other => Err(LjError::UnknownType(other)),
    }
}
