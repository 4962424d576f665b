//! [`SyslogFramer`]: octet counting, LF, NUL, or auto-detected per message.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::Decoder;

/// How messages are delimited on a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Octet counting when a message starts with `DIGITS SP`, else LF or NUL.
    Auto,
    /// RFC 6587 `LEN SP MSG` only.
    OctetCounting,
    /// LF-terminated.
    Newline,
    /// NUL-terminated (Python's SysLogHandler over TCP).
    Nul,
}

/// One message cut from the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The message, without its delimiter or octet count.
    pub bytes: Bytes,
    /// The message was longer than the limit and was cut.
    pub truncated: bool,
}

/// The stream cannot be resynchronised.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Reading the stream failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// `OctetCounting` was configured, and the stream did not start a frame with a count.
    #[error("expected an RFC 6587 octet count at stream byte {offset}")]
    BadOctetCount {
        /// Where in the stream.
        offset: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a message.
    Start,
    /// Inside a non-transparent message; `scanned` bytes hold no delimiter.
    Delimited {
        scanned: usize,
    },
    /// Inside an octet-counted message of `len` bytes.
    Counted {
        len: usize,
    },
    /// Discarding the rest of an oversized message: `left` bytes, or to the delimiter.
    SkipCount {
        left: usize,
    },
    SkipToDelimiter,
}

/// Whether an LF seen in `Auto` mode ends the message.
enum Lf {
    End,
    /// Inside a NUL-terminated record (a Python traceback): part of the message.
    Content,
    /// The last byte so far, from a sender known to end records with NUL: wait for more.
    Undecided,
}

/// Cuts a byte stream into syslog messages.
///
/// `Auto` tells octet counting from LF and NUL per message. Python's SysLogHandler over
/// TCP ends each record with a NUL and keeps the record's own newlines (a traceback), so
/// in `Auto` an LF inside a record that a NUL ends is content, not a boundary: an LF
/// ends a message when the next byte starts one (`<PRI>`, an octet count, another
/// delimiter), or when no NUL follows in the bytes at hand and the connection has not
/// sent NUL-terminated records before.
#[derive(Debug)]
pub struct SyslogFramer {
    framing: Framing,
    max: usize,
    state: State,
    consumed: u64,
    /// This connection has ended a record with NUL.
    nul_sender: bool,
    /// Stream offset of a NUL known to lie ahead.
    next_nul: Option<u64>,
    /// Stream bytes before this offset hold no NUL (apart from `next_nul`).
    nul_scanned_to: u64,
    /// The stream has ended: nothing is undecided any more.
    at_eof: bool,
}

impl SyslogFramer {
    /// `max_message_bytes` bounds every frame and the memory held per connection.
    pub fn new(framing: Framing, max_message_bytes: usize) -> Self {
        SyslogFramer {
            framing,
            max: max_message_bytes.max(1),
            state: State::Start,
            consumed: 0,
            nul_sender: false,
            next_nul: None,
            nul_scanned_to: 0,
            at_eof: false,
        }
    }

    /// True when a NUL lies in `src[from..limit]`; each stream byte is scanned once.
    fn nul_ahead(&mut self, src: &[u8], from: usize, limit: usize) -> bool {
        let base = self.consumed;
        let from_abs = base + from as u64;
        let limit_abs = base + limit as u64;
        if let Some(n) = self.next_nul {
            if n >= from_abs {
                return n < limit_abs;
            }
        }
        let start = from_abs.max(self.nul_scanned_to);
        if start >= limit_abs {
            return false;
        }
        let s = (start - base) as usize;
        match memchr::memchr(0, &src[s..limit]) {
            Some(j) => {
                self.next_nul = Some(base + (s + j) as u64);
                true
            }
            None => {
                self.nul_scanned_to = limit_abs;
                false
            }
        }
    }

    /// Whether the LF at `src[end]` ends a message (`Auto` only).
    fn lf(&mut self, src: &[u8], end: usize, limit: usize) -> Lf {
        match src.get(end + 1) {
            None if self.nul_sender && !self.at_eof => Lf::Undecided,
            None => Lf::End,
            Some(b) if matches!(b, b'<' | b'\n' | b'\r' | 0) || b.is_ascii_digit() => Lf::End,
            Some(_) if self.nul_sender || self.nul_ahead(src, end + 1, limit) => Lf::Content,
            Some(_) => Lf::End,
        }
    }

    /// The largest octet count taken for one: 16 times the message limit, at least
    /// 16 MiB. A larger count is cut at the limit and its rest skipped; a count past this
    /// is not believed.
    fn plausible(&self) -> usize {
        self.max.saturating_mul(16).max(16 << 20)
    }

    fn is_delim(&self, b: u8) -> bool {
        match self.framing {
            Framing::Newline => b == b'\n',
            Framing::Nul => b == 0,
            _ => b == b'\n' || b == 0,
        }
    }

    fn find_delim(&self, hay: &[u8]) -> Option<usize> {
        match self.framing {
            Framing::Newline => memchr::memchr(b'\n', hay),
            Framing::Nul => memchr::memchr(0, hay),
            _ => memchr::memchr2(b'\n', 0, hay),
        }
    }

    fn take(&mut self, src: &mut BytesMut, n: usize) -> Bytes {
        self.consumed += n as u64;
        src.split_to(n).freeze()
    }

    fn skip(&mut self, src: &mut BytesMut, n: usize) {
        self.consumed += n as u64;
        src.advance(n);
    }

    /// `DIGITS SP` at the start of `src`: Some(Some(len)), Some(None) when more bytes
    /// are needed to tell, None when it is not an octet count.
    fn octet_count(src: &[u8]) -> Option<Option<(usize, usize)>> {
        let digits = src.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || src[0] == b'0' || digits > 10 {
            return None;
        }
        match src.get(digits) {
            None => Some(None),
            Some(b' ') => {
                let n = src[..digits]
                    .iter()
                    .fold(0usize, |a, d| a * 10 + usize::from(d - b'0'));
                Some(Some((n, digits + 1)))
            }
            Some(_) => None,
        }
    }
}

impl Decoder for SyslogFramer {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        loop {
            match self.state {
                State::Start => {
                    // Stray delimiters between frames (an uncounted LF after a counted
                    // frame, CRLF endings) are not messages.
                    let lead = src
                        .iter()
                        .take_while(|b| self.is_delim(**b) || **b == b'\r')
                        .count();
                    self.skip(src, lead);
                    if src.is_empty() {
                        return Ok(None);
                    }
                    match self.framing {
                        Framing::OctetCounting | Framing::Auto => match Self::octet_count(src) {
                            // A count no sender means (`9999999999 <13>...`) would swallow
                            // the frames after it: the line is a message of its own, and
                            // the stream resynchronises at the next delimiter.
                            Some(Some((len, _))) if len > self.plausible() => {
                                self.state = State::Delimited { scanned: 0 };
                            }
                            Some(Some((len, hdr))) => {
                                self.skip(src, hdr);
                                self.state = State::Counted { len };
                            }
                            Some(None) => return Ok(None),
                            None if self.framing == Framing::OctetCounting => {
                                return Err(FrameError::BadOctetCount {
                                    offset: self.consumed,
                                })
                            }
                            None => self.state = State::Delimited { scanned: 0 },
                        },
                        _ => self.state = State::Delimited { scanned: 0 },
                    }
                }
                State::Counted { len } => {
                    if len > self.max {
                        if src.len() < self.max {
                            src.reserve(self.max - src.len());
                            return Ok(None);
                        }
                        let bytes = self.take(src, self.max);
                        self.state = State::SkipCount {
                            left: len - self.max,
                        };
                        return Ok(Some(Frame {
                            bytes,
                            truncated: true,
                        }));
                    }
                    if src.len() < len {
                        src.reserve(len - src.len());
                        return Ok(None);
                    }
                    let bytes = self.take(src, len);
                    self.state = State::Start;
                    return Ok(Some(Frame {
                        bytes,
                        truncated: false,
                    }));
                }
                State::Delimited { scanned } => {
                    let limit = src.len().min(self.max + 1);
                    let mut from = scanned.min(limit);
                    while let Some(i) = self.find_delim(&src[from..limit]) {
                        let end = from + i;
                        if self.framing == Framing::Auto {
                            if src[end] == 0 {
                                self.nul_sender = true;
                            } else {
                                match self.lf(src, end, limit) {
                                    Lf::End => {}
                                    Lf::Content => {
                                        from = end + 1;
                                        continue;
                                    }
                                    Lf::Undecided => {
                                        self.state = State::Delimited { scanned: end };
                                        return Ok(None);
                                    }
                                }
                            }
                        }
                        let bytes = self.take(src, end);
                        self.skip(src, 1);
                        self.state = State::Start;
                        return Ok(Some(Frame {
                            bytes,
                            truncated: false,
                        }));
                    }
                    if src.len() > self.max {
                        let bytes = self.take(src, self.max);
                        self.state = State::SkipToDelimiter;
                        return Ok(Some(Frame {
                            bytes,
                            truncated: true,
                        }));
                    }
                    self.state = State::Delimited { scanned: src.len() };
                    return Ok(None);
                }
                State::SkipCount { left } => {
                    let n = left.min(src.len());
                    self.skip(src, n);
                    if n < left {
                        self.state = State::SkipCount { left: left - n };
                        return Ok(None);
                    }
                    self.state = State::Start;
                }
                State::SkipToDelimiter => match self.find_delim(src) {
                    Some(i) => {
                        self.skip(src, i + 1);
                        self.state = State::Start;
                    }
                    None => {
                        let n = src.len();
                        self.skip(src, n);
                        return Ok(None);
                    }
                },
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        self.at_eof = true;
        if let Some(f) = self.decode(src)? {
            return Ok(Some(f));
        }
        // A last message without its trailer is still a message; never drop it.
        match self.state {
            State::SkipCount { .. } | State::SkipToDelimiter => {
                src.clear();
                self.state = State::Start;
                Ok(None)
            }
            _ if src.iter().all(|b| self.is_delim(*b) || *b == b'\r') => {
                src.clear();
                Ok(None)
            }
            _ => {
                // A counted frame cut short by the sender is delivered, marked cut.
                let truncated = matches!(self.state, State::Counted { .. });
                self.state = State::Start;
                let n = src.len();
                Ok(Some(Frame {
                    bytes: self.take(src, n),
                    truncated,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests;
