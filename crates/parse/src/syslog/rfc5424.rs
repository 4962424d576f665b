//! RFC 5424: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`.
//!
//! Strict on structure (a sender that writes `<PRI>1 ` promised this grammar), lenient in
//! two places real senders need: fractional seconds up to nine digits, and a MSG that
//! starts with extra spaces (rsyslog's forwarding template emits one).

use super::{clean_message, ParseError, Protocol, SdElement, SyslogMessage};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::one_of;
use nom::combinator::{map_res, opt};
use nom::sequence::preceded;
use nom::IResult;
use std::borrow::Cow;

/// True when the bytes after `<PRI>` start with a version number rather than an
/// RFC 3164 or ISO timestamp (`2026-...`).
pub(super) fn claims_5424(rest: &[u8]) -> bool {
    match rest.first() {
        Some(b) if b.is_ascii_digit() => {
            !(rest.len() >= 5 && rest[..4].iter().all(u8::is_ascii_digit) && rest[4] == b'-')
        }
        _ => false,
    }
}

struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.line[self.pos..]
    }
    fn err(&self, reason: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            reason,
        }
    }
    fn sp(&mut self, reason: &'static str) -> Result<(), ParseError> {
        if self.rest().first() == Some(&b' ') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(reason))
        }
    }
    /// `-` (nil) or 1..=max printable US-ASCII characters.
    fn header_field(
        &mut self,
        max: usize,
        reason: &'static str,
    ) -> Result<Option<&'a str>, ParseError> {
        let rest = self.rest();
        let n = rest.iter().take_while(|b| (33..=126).contains(*b)).count();
        if n == 0 || n > max {
            return Err(self.err(reason));
        }
        self.pos += n;
        if &rest[..n] == b"-" {
            return Ok(None);
        }
        // Printable ASCII is valid UTF-8.
        Ok(std::str::from_utf8(&rest[..n]).ok())
    }
}

pub(super) fn parse_after_pri(
    line: &[u8],
    off: usize,
    priority: u8,
) -> Result<SyslogMessage<'_>, ParseError> {
    let mut c = Cursor { line, pos: off };
    let rest = c.rest();
    let vd = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if vd == 0 || vd > 3 || rest[0] == b'0' {
        return Err(c.err("expected VERSION 1..=999"));
    }
    let version = rest[..vd]
        .iter()
        .fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
    c.pos += vd;
    c.sp("expected space after VERSION")?;

    let timestamp = if c.rest().starts_with(b"- ") || c.rest() == b"-" {
        c.pos += 1;
        None
    } else {
        match timestamp(c.rest()) {
            Ok((r, t)) => {
                c.pos = line.len() - r.len();
                Some(t.with_timezone(&Utc))
            }
            Err(_) => return Err(c.err("invalid TIMESTAMP (RFC 3339 or `-`)")),
        }
    };
    c.sp("expected space after TIMESTAMP")?;
    let hostname = c.header_field(255, "invalid HOSTNAME (1-255 printable ASCII or `-`)")?;
    c.sp("expected space after HOSTNAME")?;
    let appname = c.header_field(48, "invalid APP-NAME (1-48 printable ASCII or `-`)")?;
    c.sp("expected space after APP-NAME")?;
    let procid = c.header_field(128, "invalid PROCID (1-128 printable ASCII or `-`)")?;
    c.sp("expected space after PROCID")?;
    let msgid = c.header_field(32, "invalid MSGID (1-32 printable ASCII or `-`)")?;
    c.sp("expected space after MSGID")?;

    let mut structured_data = Vec::new();
    match c.rest().first() {
        Some(b'-') => c.pos += 1,
        Some(b'[') => {
            while c.rest().first() == Some(&b'[') {
                let (r, el) = sd_element(c.rest()).map_err(|e| ParseError {
                    offset: line.len() - e.0,
                    reason: e.1,
                })?;
                c.pos = line.len() - r.len();
                if structured_data
                    .iter()
                    .any(|e: &SdElement<'_>| e.id == el.id)
                {
                    return Err(c.err("duplicate SD-ID (RFC 5424 6.3.2)"));
                }
                structured_data.push(el);
            }
        }
        _ => return Err(c.err("expected STRUCTURED-DATA (`-` or `[`)")),
    }
    let message = match c.rest().first() {
        None => Cow::Borrowed(""),
        Some(b' ') => {
            let msg = &c.rest()[1..];
            // A BOM promises UTF-8 (RFC 5424 6.4); a sender that breaks it is rejected.
            if let Some(body) = msg.strip_prefix(b"\xEF\xBB\xBF") {
                if std::str::from_utf8(body).is_err() {
                    return Err(ParseError {
                        offset: c.pos + 4,
                        reason: "MSG after BOM is not valid UTF-8",
                    });
                }
            }
            clean_message(msg)
        }
        Some(_) => return Err(c.err("expected space before MSG")),
    };
    Ok(SyslogMessage {
        protocol: Protocol::Rfc5424,
        priority: Some(priority),
        version: Some(version),
        timestamp,
        hostname,
        appname,
        procid,
        msgid,
        structured_data,
        message,
    })
}

fn num(n: usize) -> impl Fn(&[u8]) -> IResult<&[u8], u32> {
    move |i| {
        map_res(
            take_while_m_n(n, n, |b: u8| b.is_ascii_digit()),
            |d: &[u8]| {
                std::str::from_utf8(d)
                    .map_err(|_| ())
                    .and_then(|s| s.parse::<u32>().map_err(|_| ()))
            },
        )(i)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)`.
pub(crate) fn timestamp(i: &[u8]) -> IResult<&[u8], DateTime<FixedOffset>> {
    let bad = |i| nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
    let (i, y) = num(4)(i)?;
    let (i, mo) = preceded(tag("-"), num(2))(i)?;
    let (i, d) = preceded(tag("-"), num(2))(i)?;
    let (i, h) = preceded(tag("T"), num(2))(i)?;
    let (i, mi) = preceded(tag(":"), num(2))(i)?;
    let (i, s) = preceded(tag(":"), num(2))(i)?;
    let (i, frac) = opt(preceded(
        tag("."),
        take_while_m_n(1, 9, |b: u8| b.is_ascii_digit()),
    ))(i)?;
    // More than nine digits of fraction is not a timestamp we can represent.
    if i.first().is_some_and(u8::is_ascii_digit) {
        return Err(bad(i));
    }
    let (i, offset_secs) = match i.first() {
        Some(b'Z') => (&i[1..], 0i32),
        _ => {
            let (i, sign) = one_of("+-")(i)?;
            let (i, oh) = num(2)(i)?;
            let (i, om) = preceded(tag(":"), num(2))(i)?;
            if oh > 23 || om > 59 {
                return Err(bad(i));
            }
            let v = (oh * 3600 + om * 60) as i32;
            (i, if sign == '-' { -v } else { v })
        }
    };
    let nanos = frac.map_or(0, |f: &[u8]| {
        let mut v = f.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
        for _ in f.len()..9 {
            v *= 10;
        }
        v
    });
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad(i));
    }
    // A leap second (:60) is folded into the next second rather than rejected.
    let leap = s == 60;
    let naive = NaiveDate::from_ymd_opt(y as i32, mo, d)
        .and_then(|date| date.and_hms_nano_opt(h, mi, if leap { 59 } else { s }, nanos))
        .ok_or_else(|| bad(i))?;
    let naive = if leap {
        naive + chrono::Duration::seconds(1)
    } else {
        naive
    };
    let tz = FixedOffset::east_opt(offset_secs).ok_or_else(|| bad(i))?;
    let dt = naive
        .and_local_timezone(tz)
        .single()
        .ok_or_else(|| bad(i))?;
    Ok((i, dt))
}

/// Parse failure inside SD: (remaining length, reason).
type SdErr = (usize, &'static str);

fn sd_name(i: &[u8]) -> Option<(&[u8], &str)> {
    let n = i
        .iter()
        .take_while(|b| (33..=126).contains(*b) && !matches!(b, b'=' | b']' | b'"'))
        .count();
    if n == 0 || n > 32 {
        return None;
    }
    Some((&i[n..], std::str::from_utf8(&i[..n]).ok()?))
}

fn sd_element(i: &[u8]) -> Result<(&[u8], SdElement<'_>), SdErr> {
    let i = &i[1..]; // `[`
    let (mut i, id) = sd_name(i).ok_or((i.len(), "invalid SD-ID"))?;
    let mut params = Vec::new();
    loop {
        match i.first() {
            Some(b']') => return Ok((&i[1..], SdElement { id, params })),
            Some(b' ') => {
                let (r, name) = sd_name(&i[1..]).ok_or((i.len() - 1, "invalid SD PARAM-NAME"))?;
                // rsyslog accepts `name= "value"` from real devices; so do we.
                let r = r
                    .strip_prefix(b"=")
                    .ok_or((r.len(), "expected `=` after PARAM-NAME"))?;
                let r = r.strip_prefix(b" ").unwrap_or(r);
                let r = r
                    .strip_prefix(b"\"")
                    .ok_or((r.len(), "expected `\"` to open PARAM-VALUE"))?;
                let (r, value) = param_value(r)?;
                params.push((name, value));
                i = r;
            }
            _ => return Err((i.len(), "expected `]` or space in SD-ELEMENT")),
        }
    }
}

/// A quoted PARAM-VALUE up to the closing `"`; `\"`, `\\` and `\]` are unescaped.
fn param_value(i: &[u8]) -> Result<(&[u8], Cow<'_, str>), SdErr> {
    let mut escaped = false;
    let mut k = 0;
    while k < i.len() {
        match i[k] {
            b'\\' if k + 1 < i.len() => {
                escaped = true;
                k += 2;
                continue;
            }
            b'"' => {
                let raw = std::str::from_utf8(&i[..k])
                    .map_err(|_| (i.len(), "PARAM-VALUE is not UTF-8"))?;
                let v = if escaped {
                    let mut s = String::with_capacity(raw.len());
                    let mut chars = raw.chars();
                    while let Some(ch) = chars.next() {
                        if ch == '\\' {
                            match chars.next() {
                                Some(n @ ('"' | '\\' | ']')) => s.push(n),
                                // Other backslashes are kept as written (RFC 5424 6.3.3).
                                Some(n) => {
                                    s.push('\\');
                                    s.push(n);
                                }
                                None => s.push('\\'),
                            }
                        } else {
                            s.push(ch);
                        }
                    }
                    Cow::Owned(s)
                } else {
                    Cow::Borrowed(raw)
                };
                return Ok((&i[k + 1..], v));
            }
            b']' => return Err((i.len() - k, "unescaped `]` in PARAM-VALUE")),
            _ => k += 1,
        }
    }
    Err((0, "unterminated PARAM-VALUE"))
}
