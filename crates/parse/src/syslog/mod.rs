//! Syslog: RFC 5424, RFC 3164 as real senders emit it, and Python's headerless form.
//!
//! Entry points: [`parse`] gives a borrowed [`SyslogMessage`]; [`decode`] turns a line
//! into an [`sluice_event::Event`] with the ★ ECS fields (docs/ARCHITECTURE.md), tagging it
//! `_syslogparsefailure` when it fits no format.

mod event;
mod names;
mod pri;
mod rfc3164;
mod rfc5424;
#[cfg(test)]
mod tests;

pub use event::{decode, DecodeOptions, PARSE_FAILURE_TAG};
pub use names::{facility_name, severity_code, severity_name};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::borrow::Cow;

/// Which grammar a message matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
    Rfc5424,
    /// BSD syslog and what real senders emit.
    Rfc3164,
    /// `<PRI>` followed directly by `tag: msg` or just text (Python's SysLogHandler).
    Headerless,
}

/// One structured-data element: `[id name="value" ...]`, values unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdElement<'a> {
    /// The SD-ID.
    pub id: &'a str,
    /// Its parameters, unescaped.
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

/// A parsed message; strings borrow from the input where they can.
#[derive(Clone, Debug, PartialEq)]
pub struct SyslogMessage<'a> {
    /// Which format it was.
    pub protocol: Protocol,
    /// `None` only for RFC 3164 lines that arrived without a `<PRI>`.
    pub priority: Option<u8>,
    /// `1` for RFC 5424.
    pub version: Option<u16>,
    /// The message's time, when it has one.
    pub timestamp: Option<DateTime<Utc>>,
    /// HOSTNAME, absent for `-`.
    pub hostname: Option<&'a str>,
    /// APP-NAME (or the 3164 tag's name).
    pub appname: Option<&'a str>,
    /// PROCID (or the 3164 tag's pid).
    pub procid: Option<&'a str>,
    /// MSGID.
    pub msgid: Option<&'a str>,
    /// STRUCTURED-DATA elements.
    pub structured_data: Vec<SdElement<'a>>,
    /// The free-text part.
    pub message: Cow<'a, str>,
}

impl SyslogMessage<'_> {
    /// PRI / 8.
    pub fn facility(&self) -> Option<u8> {
        self.priority.map(|p| p >> 3)
    }
    /// PRI % 8.
    pub fn severity(&self) -> Option<u8> {
        self.priority.map(|p| p & 7)
    }
}

/// Why a message did not parse, with the byte offset where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {offset}")]
pub struct ParseError {
    /// Byte offset in the line.
    pub offset: usize,
    /// What was expected there.
    pub reason: &'static str,
}

/// What the parser needs from outside: RFC 3164 has no year and no zone.
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions {
    /// Zone for timestamps that carry none (RFC 3164, ISO stamps without offset).
    pub timezone: Tz,
    /// "Now", for the year of RFC 3164 timestamps and the New-Year rollback.
    pub now: DateTime<Utc>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            timezone: Tz::UTC,
            now: Utc::now(),
        }
    }
}

/// Trims what framing leaves behind: trailing LF/CR/NUL.
pub fn trim_trailer(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | b'\0'] = b {
        b = rest;
    }
    b
}

/// Message text as senders mean it: no leading BOM, no leading spaces, no trailer.
pub(crate) fn clean_message(b: &[u8]) -> Cow<'_, str> {
    let mut b = trim_trailer(b);
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        b = rest;
    }
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        b = rest;
    }
    String::from_utf8_lossy(b)
}

/// Parses one message (framing already removed).
///
/// A line that starts `<PRI>VERSION SP` claims RFC 5424 and must satisfy it; anything
/// else after `<PRI>` is parsed as RFC 3164 or, failing a timestamp, as headerless.
/// A line with no `<PRI>` is accepted only when it starts with an RFC 3164 timestamp.
pub fn parse<'a>(input: &'a [u8], opts: &ParseOptions) -> Result<SyslogMessage<'a>, ParseError> {
    let line = trim_trailer(input);
    if line.first() != Some(&b'<') {
        return rfc3164::parse_after_pri(line, 0, None, opts).and_then(|m| {
            if m.timestamp.is_some() {
                Ok(m)
            } else {
                Err(ParseError {
                    offset: 0,
                    reason: "no <PRI> and no timestamp",
                })
            }
        });
    }
    let (rest, priority) = pri::parse_pri(line)?;
    let off = line.len() - rest.len();
    if rfc5424::claims_5424(rest) {
        return rfc5424::parse_after_pri(line, off, priority);
    }
    rfc3164::parse_after_pri(line, off, Some(priority), opts)
}
