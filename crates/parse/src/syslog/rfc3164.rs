//! RFC 3164 as real senders emit it, and the headerless `<PRI>tag: msg` form.
//!
//! Accepted timestamp shapes: `Mmm dd hh:mm:ss` (day space- or zero-padded or single
//! digit, month in any case), Cisco's `Mmm dd yyyy hh:mm:ss`, an optional trailing `:`
//! or fraction, and ISO stamps with or without an offset (rsyslog's ForwardFormat,
//! syslog-ng's loggen). Without a year the current year in `timezone` is used, rolled
//! back one year when that would put the message more than a day in the future.
//!
//! After the timestamp a token is the hostname unless it looks like a tag (`name:` or
//! `name[pid]:`). A tag is recognised only when it ends with `:` (or `[pid]`), so text
//! such as `Use the BFG!` stays message, as go-syslog and syslog_loose do.

use super::{clean_message, ParseError, ParseOptions, Protocol, SyslogMessage};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

fn skip_spaces(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| **c == b' ').count();
    &b[n..]
}

fn digits(b: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = b
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    let v = b[..n]
        .iter()
        .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    Some((v, &b[n..]))
}

/// Hour, minute, second, nanosecond.
type Clock = (u32, u32, u32, u32);

/// `hh:mm:ss[.frac]` -> (h, m, s, nanos).
fn clock(b: &[u8]) -> Option<(Clock, &[u8])> {
    let (h, b) = digits(b, 1, 2)?;
    let b = b.strip_prefix(b":")?;
    let (m, b) = digits(b, 2, 2)?;
    let b = b.strip_prefix(b":")?;
    let (s, mut b) = digits(b, 2, 2)?;
    let mut nanos = 0;
    if let Some(r) = b.strip_prefix(b".") {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut v = r[..n.min(9)]
            .iter()
            .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
        for _ in n.min(9)..9 {
            v *= 10;
        }
        nanos = v;
        b = &r[n..];
    }
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(((h, m, s.min(59), nanos), b))
}

fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&naive)
        .earliest()
        // In a DST gap the wall time does not exist; take the hour after.
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// BSD timestamp; returns the instant and the rest.
fn bsd_timestamp<'a>(b: &'a [u8], opts: &ParseOptions) -> Option<(DateTime<Utc>, &'a [u8])> {
    if b.len() < 3 {
        return None;
    }
    let mon = [b[0], b[1], b[2]].map(|c| c.to_ascii_lowercase());
    let month = MONTHS.iter().position(|m| **m == mon)? as u32 + 1;
    let b = &b[3..];
    if b.first() != Some(&b' ') {
        return None;
    }
    let b = skip_spaces(b);
    let (day, b) = digits(b, 1, 2)?;
    let b = b.strip_prefix(b" ")?;
    let b = skip_spaces(b);
    // Cisco and others put a year before the clock.
    let (year, b) = match digits(b, 4, 4) {
        Some((y, r)) if r.first() == Some(&b' ') => (Some(y as i32), skip_spaces(r)),
        _ => (None, b),
    };
    let ((h, mi, s, ns), mut b) = clock(b)?;
    if let Some(r) = b.strip_prefix(b":") {
        b = r;
    }
    if !(b.is_empty() || b[0] == b' ') {
        return None;
    }
    let at = |y: i32| {
        NaiveDate::from_ymd_opt(y, month, day)
            .and_then(|d| d.and_hms_nano_opt(h, mi, s, ns))
            .and_then(|n| resolve_local(n, opts.timezone))
    };
    let t = match year {
        Some(y) => at(y)?,
        None => {
            let this_year = opts.now.with_timezone(&opts.timezone).year();
            let limit = opts.now + chrono::Duration::days(1);
            match at(this_year) {
                Some(t) if t <= limit => t,
                // In the future (a December line read in January) or Feb 29 of a
                // non-leap year: the line is from last year.
                _ => at(this_year - 1).or_else(|| at(this_year - 4))?,
            }
        }
    };
    Some((t, b))
}

/// `2026-11-24T21:10:10[.frac][Z|±hh:mm]`; no offset means `timezone`.
fn iso_timestamp<'a>(b: &'a [u8], opts: &ParseOptions) -> Option<(DateTime<Utc>, &'a [u8])> {
    if let Ok((rest, t)) = super::rfc5424::timestamp(b) {
        return Some((t.with_timezone(&Utc), rest));
    }
    let (y, b) = digits(b, 4, 4)?;
    let b = b.strip_prefix(b"-")?;
    let (mo, b) = digits(b, 2, 2)?;
    let b = b.strip_prefix(b"-")?;
    let (d, b) = digits(b, 2, 2)?;
    let b = b.strip_prefix(b"T")?;
    let ((h, mi, s, ns), b) = clock(b)?;
    let naive = NaiveDate::from_ymd_opt(y as i32, mo, d)?.and_hms_nano_opt(h, mi, s, ns)?;
    Some((resolve_local(naive, opts.timezone)?, b))
}

fn is_tag_char(c: u8) -> bool {
    c > b' '
        && !matches!(
            c,
            b'[' | b']' | b':' | b'"' | b'{' | b'}' | b'=' | b'\'' | b'<' | b'>' | 0x7f
        )
}

/// `name:` / `name[pid]:` / `name[pid]` followed by space or end.
/// Returns (name, pid, rest after the tag).
fn tag(b: &[u8]) -> Option<(&str, Option<&str>, &[u8])> {
    let n = b.iter().take_while(|c| is_tag_char(**c)).count();
    if n == 0 || n > 128 {
        return None;
    }
    let name = std::str::from_utf8(&b[..n]).ok()?;
    let mut r = &b[n..];
    let mut pid = None;
    let mut closed_pid = false;
    if let Some(inner) = r.strip_prefix(b"[") {
        let end = inner.iter().position(|c| *c == b']')?;
        let p = &inner[..end];
        if p.is_empty() || p.len() > 128 || p.iter().any(|c| *c <= b' ') {
            return None;
        }
        pid = Some(std::str::from_utf8(p).ok()?);
        r = &inner[end + 1..];
        closed_pid = true;
    }
    if let Some(after) = r.strip_prefix(b":") {
        if after.is_empty() || after[0] == b' ' || after[0] == b'\t' {
            return Some((name, pid, after));
        }
        return None;
    }
    if closed_pid && (r.is_empty() || r[0] == b' ') {
        return Some((name, pid, r));
    }
    None
}

fn hostname(b: &[u8]) -> Option<(&str, &[u8])> {
    let n = b.iter().take_while(|c| **c > b' ' && **c != 0x7f).count();
    if n == 0 || n > 255 {
        return None;
    }
    let tok = &b[..n];
    if tok.ends_with(b":") || tok.contains(&b'[') || tok.contains(&b'"') || tok.contains(&b'=') {
        return None;
    }
    Some((std::str::from_utf8(tok).ok()?, &b[n..]))
}

pub(super) fn parse_after_pri<'a>(
    line: &'a [u8],
    off: usize,
    priority: Option<u8>,
    opts: &ParseOptions,
) -> Result<SyslogMessage<'a>, ParseError> {
    let start = skip_spaces(&line[off..]);
    let stamped = bsd_timestamp(start, opts).or_else(|| iso_timestamp(start, opts));
    let mut msg = SyslogMessage {
        protocol: Protocol::Headerless,
        priority,
        version: None,
        timestamp: None,
        hostname: None,
        appname: None,
        procid: None,
        msgid: None,
        structured_data: Vec::new(),
        message: Default::default(),
    };
    let mut rest = start;
    if let Some((t, r)) = stamped {
        msg.protocol = Protocol::Rfc3164;
        msg.timestamp = Some(t);
        rest = skip_spaces(r);
        if tag(rest).is_none() {
            if let Some((h, r)) = hostname(rest) {
                msg.hostname = Some(h);
                rest = skip_spaces(r);
            }
        }
    } else if priority.is_none() {
        return Err(ParseError {
            offset: off,
            reason: "no timestamp",
        });
    }
    if let Some((name, pid, r)) = tag(rest) {
        msg.appname = Some(name);
        msg.procid = pid;
        rest = r;
    }
    msg.message = clean_message(rest);
    Ok(msg)
}
