//! RFC 3339 output in UTC with a `Z`, without going through chrono's formatter.
//!
//! Precision is milliseconds, or micro/nanoseconds when the value carries them, so a
//! source timestamp is never rounded away (★ contract, docs/ARCHITECTURE.md).

use crate::Timestamp;
use chrono::{Datelike, Timelike};

/// Appends e.g. `2026-11-24T12:00:00.123Z` to `out`.
pub fn format_rfc3339_into(t: &Timestamp, out: &mut String) {
    let mut buf = [0u8; 40];
    let n = write_rfc3339(t, &mut buf);
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// `2026-11-24T12:00:00.123Z` as a new string.
pub fn format_rfc3339(t: &Timestamp) -> String {
    let mut s = String::with_capacity(32);
    format_rfc3339_into(t, &mut s);
    s
}

fn put(buf: &mut [u8], pos: &mut usize, v: u32, width: usize) {
    let mut v = v;
    for i in (0..width).rev() {
        buf[*pos + i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    *pos += width;
}

/// Writes into a stack buffer (at least 40 bytes) and returns the length used.
pub fn write_rfc3339(t: &Timestamp, buf: &mut [u8; 40]) -> usize {
    let mut p = 0;
    let year = t.year();
    if !(0..=9999).contains(&year) {
        // Out of RFC 3339's range: fall back to chrono's own rendering.
        let s = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let n = s.len().min(40);
        buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        return n;
    }
    put(buf, &mut p, year as u32, 4);
    buf[p] = b'-';
    p += 1;
    put(buf, &mut p, t.month(), 2);
    buf[p] = b'-';
    p += 1;
    put(buf, &mut p, t.day(), 2);
    buf[p] = b'T';
    p += 1;
    put(buf, &mut p, t.hour(), 2);
    buf[p] = b':';
    p += 1;
    put(buf, &mut p, t.minute(), 2);
    buf[p] = b':';
    p += 1;
    // A leap second is carried in nanoseconds >= 1e9; show it as :60.
    let mut nanos = t.nanosecond();
    let mut sec = t.second();
    if nanos >= 1_000_000_000 {
        nanos -= 1_000_000_000;
        sec += 1;
    }
    put(buf, &mut p, sec, 2);
    buf[p] = b'.';
    p += 1;
    if nanos.is_multiple_of(1_000_000) {
        put(buf, &mut p, nanos / 1_000_000, 3);
    } else if nanos.is_multiple_of(1_000) {
        put(buf, &mut p, nanos / 1_000, 6);
    } else {
        put(buf, &mut p, nanos, 9);
    }
    buf[p] = b'Z';
    p + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn millis_by_default_finer_when_present() {
        let t = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        assert_eq!(format_rfc3339(&t), "2026-11-24T12:00:00.000Z");
        let t2 = t + chrono::Duration::milliseconds(123);
        assert_eq!(format_rfc3339(&t2), "2026-11-24T12:00:00.123Z");
        let t3 = t + chrono::Duration::microseconds(123_456);
        assert_eq!(format_rfc3339(&t3), "2026-11-24T12:00:00.123456Z");
        let t4 = t + chrono::Duration::nanoseconds(1);
        assert_eq!(format_rfc3339(&t4), "2026-11-24T12:00:00.000000001Z");
    }

    #[test]
    fn agrees_with_chrono_over_many_instants() {
        let mut secs = 0i64;
        while secs < 4_000_000_000 {
            let t = Utc.timestamp_opt(secs, 5_000_000).unwrap();
            assert_eq!(
                format_rfc3339(&t),
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
            secs += 7_777_777;
        }
    }
}
