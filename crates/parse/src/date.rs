//! Parsing dates as Logstash's `date` filter does: Joda patterns, `ISO8601`, `UNIX`,
//! `UNIX_MS`, `TAI64N`. Pure: "now" and the default zone come from the caller.

use crate::joda::{Item, JodaError, JodaFormat};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One entry of the filter's `formats`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// `ISO8601`, as Logstash reads it.
    Iso8601,
    /// Seconds since the epoch, fractions allowed.
    Unix,
    /// Milliseconds since the epoch.
    UnixMs,
    /// daemontools/s6 labels: `@` and 24 hex digits, seconds (offset by 2^62) and nanoseconds.
    Tai64n,
    /// A Joda pattern.
    Joda(JodaFormat),
}

impl DateFormat {
    /// `ISO8601`, `UNIX`, `UNIX_MS`, or a Joda pattern.
    pub fn parse(spec: &str) -> Result<Self, JodaError> {
        Ok(match spec {
            "ISO8601" => DateFormat::Iso8601,
            "UNIX" => DateFormat::Unix,
            "UNIX_MS" => DateFormat::UnixMs,
            "TAI64N" => DateFormat::Tai64n,
            p => DateFormat::Joda(JodaFormat::parse(p)?),
        })
    }

    /// The instant `text` denotes. Times without a zone are in `tz`; dates without a
    /// year take `now`'s, moved back a year when that would put them over a month ahead
    /// (December lines read in January).
    pub fn parse_time(&self, text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let text = text.trim();
        match self {
            DateFormat::Unix => {
                let secs: f64 = text.parse().ok()?;
                let ms = (secs * 1000.0).round();
                (ms.is_finite() && ms.abs() < 1e16)
                    .then(|| DateTime::from_timestamp_millis(ms as i64))
                    .flatten()
            }
            DateFormat::UnixMs => DateTime::from_timestamp_millis(text.parse().ok()?),
            DateFormat::Tai64n => tai64n(text),
            DateFormat::Iso8601 => iso8601(text, tz),
            DateFormat::Joda(f) => joda(f, text, tz, now),
        }
    }
}

/// A TAI64N label. As Logstash does, the 2^62 offset is masked off, a fixed 10 s is
/// taken for the TAI-UTC difference, and the fraction is cut to milliseconds.
fn tai64n(text: &str) -> Option<DateTime<Utc>> {
    let hex = text.strip_prefix('@').unwrap_or(text);
    if hex.len() != 24 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let label = u64::from_str_radix(&hex[..16], 16).ok()?;
    let secs = (label & ((1 << 62) - 1)) as i64 - 10;
    let nanos = u32::from_str_radix(&hex[16..], 16).ok()?;
    if nanos >= 1_000_000_000 {
        return None;
    }
    DateTime::from_timestamp(secs, nanos / 1_000_000 * 1_000_000)
}

fn iso8601(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    // Joda's ISO parser takes a comma or a dot before the fraction, `T` or a space.
    let t = text.replacen(',', ".", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.fZ",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, f) {
            return local(n, tz);
        }
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        .and_then(|d| local(d.and_hms_opt(0, 0, 0)?, tz))
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    if tz == Tz::UTC {
        // The default zone needs no table lookup.
        return Some(n.and_utc());
    }
    // In a DST gap or overlap, take the earliest valid reading.
    tz.from_local_datetime(&n)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

struct Cursor<'a> {
    s: &'a str,
}

impl Cursor<'_> {
    /// Up to `max` (at most 9) ASCII digits as a number, and how many there were.
    fn digits_counted(&mut self, max: usize) -> Option<(u32, usize)> {
        let mut v = 0u32;
        let mut n = 0;
        for &b in self.s.as_bytes().iter().take(max.min(9)) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v * 10 + u32::from(b - b'0');
            n += 1;
        }
        if n == 0 {
            return None;
        }
        self.s = &self.s[n..];
        Some((v, n))
    }

    fn digits(&mut self, max: usize) -> Option<u32> {
        self.digits_counted(max).map(|(v, _)| v)
    }

    fn word(&mut self) -> &str {
        let n = self
            .s
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(self.s.len());
        let w = &self.s[..n];
        self.s = &self.s[n..];
        w
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_of(name: &str) -> Option<u32> {
    let l = name.to_ascii_lowercase();
    let pos = MONTHS.iter().position(|m| l.starts_with(m))?;
    Some(pos as u32 + 1)
}

fn offset(c: &mut Cursor<'_>, colon: bool) -> Option<FixedOffset> {
    if let Some(rest) = c.s.strip_prefix('Z') {
        c.s = rest;
        return FixedOffset::east_opt(0);
    }
    let sign = match c.s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.s = &c.s[1..];
    let h = c.digits(2)?;
    if colon {
        c.s = c.s.strip_prefix(':').unwrap_or(c.s);
    }
    let m = c.digits(2).unwrap_or(0);
    FixedOffset::east_opt(sign * (h * 3600 + m * 60) as i32)
}

fn joda(f: &JodaFormat, text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut c = Cursor { s: text };
    let (mut year, mut month, mut day) = (None, 1u32, 1u32);
    let mut doy = None;
    let (mut hour, mut min, mut sec, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm = None;
    let mut zone: Option<Result<FixedOffset, Tz>> = None;
    for it in f.items() {
        match it {
            Item::Literal(l) => c.s = c.s.strip_prefix(l.as_str())?,
            Item::Year(2) => {
                let y = c.digits(2)? as i32;
                year = Some(if y < 70 { 2000 + y } else { 1900 + y });
            }
            Item::Year(_) => {
                let neg = c.s.starts_with('-');
                if neg {
                    c.s = &c.s[1..];
                }
                let y = c.digits(9)? as i32;
                year = Some(if neg { -y } else { y });
            }
            Item::Month(n) if *n >= 3 => month = month_of(c.word())?,
            Item::Month(_) => month = c.digits(2)?,
            Item::Day(_) => day = c.digits(2)?,
            Item::DayOfYear(_) => doy = Some(c.digits(3)?),
            Item::Hour24(_) | Item::Hour12(_) | Item::HalfDayHour(_) => hour = c.digits(2)?,
            Item::ClockHour24(_) => hour = c.digits(2)? % 24,
            Item::Minute(_) => min = c.digits(2)?,
            Item::Second(_) => sec = c.digits(2)?,
            Item::Fraction(_) => {
                let (v, n) = c.digits_counted(9)?;
                nanos = v * 10u32.pow(9 - n as u32);
            }
            Item::HalfDay => {
                let w = c.word().to_ascii_lowercase();
                pm = Some(match w.as_str() {
                    "am" => false,
                    "pm" => true,
                    _ => return None,
                });
            }
            Item::Weekday(_) => {
                if c.word().is_empty() {
                    return None;
                }
            }
            // Checked for form only: the date itself says which day it is.
            Item::WeekdayNumber(_) => {
                if !(1..=7).contains(&c.digits(1)?) {
                    return None;
                }
            }
            Item::Era => {
                if !c.word().eq_ignore_ascii_case("AD") {
                    return None;
                }
            }
            Item::Zone(n) if *n >= 3 => {
                let len =
                    c.s.find(|ch: char| !(ch.is_ascii_alphanumeric() || "/_+-".contains(ch)))
                        .unwrap_or(c.s.len());
                let id = &c.s[..len];
                c.s = &c.s[len..];
                zone = Some(Err(id.parse::<Tz>().ok()?));
            }
            Item::Zone(n) => zone = Some(Ok(offset(&mut c, *n == 2)?)),
        }
    }
    if !c.s.is_empty() {
        return None;
    }
    if let Some(pm) = pm {
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    let explicit_year = year.is_some();
    let y = year.unwrap_or(now.year());
    let date = match doy {
        Some(d) => NaiveDate::from_yo_opt(y, d)?,
        None => NaiveDate::from_ymd_opt(y, month, day)?,
    };
    let naive = date.and_hms_nano_opt(hour, min, sec, nanos)?;
    let resolve = |n: NaiveDateTime| -> Option<DateTime<Utc>> {
        match zone {
            Some(Ok(off)) => off
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc)),
            Some(Err(z)) => local(n, z),
            None => local(n, tz),
        }
    };
    let t = resolve(naive)?;
    if !explicit_year && t > now + chrono::Duration::days(31) {
        // A December line read in January belongs to last year.
        let prev =
            NaiveDate::from_ymd_opt(y - 1, month, day)?.and_hms_nano_opt(hour, min, sec, nanos)?;
        return resolve(prev);
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::joda::JodaFormat;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap()
    }

    fn p(fmt: &str, s: &str, tz: &str) -> Option<String> {
        DateFormat::parse(fmt)
            .unwrap()
            .parse_time(s, tz.parse().unwrap(), now())
            .map(|t| sluice_event::timestamp::format_rfc3339(&t))
    }

    #[test]
    fn django_asctime_and_common_forms() {
        assert_eq!(
            p("yyyy-MM-dd HH:mm:ss,SSS", "2026-11-24 12:00:00,123", "UTC").as_deref(),
            Some("2026-11-24T12:00:00.123Z")
        );
        assert_eq!(
            p(
                "yyyy-MM-dd HH:mm:ss,SSS",
                "2026-11-24 12:00:00,123",
                "Europe/Berlin"
            )
            .as_deref(),
            Some("2026-11-24T11:00:00.123Z")
        );
        assert_eq!(
            p(
                "dd/MMM/yyyy:HH:mm:ss Z",
                "24/Nov/2026:12:00:00 +0200",
                "UTC"
            )
            .as_deref(),
            Some("2026-11-24T10:00:00.000Z")
        );
        assert_eq!(
            p("MMM dd HH:mm:ss", "Dec 31 23:59:59", "UTC").as_deref(),
            Some("2025-12-31T23:59:59.000Z"),
            "rolled back a year"
        );
        assert_eq!(
            p("MMM  d HH:mm:ss", "Nov  4 08:00:00", "UTC").as_deref(),
            Some("2026-11-04T08:00:00.000Z")
        );
        assert_eq!(
            p(
                "EEE MMM dd HH:mm:ss yyyy",
                "Tue Nov 24 12:00:00 2026",
                "UTC"
            )
            .as_deref(),
            Some("2026-11-24T12:00:00.000Z")
        );
        assert_eq!(
            p(
                "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ",
                "2026-11-24T12:00:00.123456+01:00",
                "UTC"
            )
            .as_deref(),
            Some("2026-11-24T11:00:00.123456Z")
        );
        assert_eq!(
            p("MM/dd/yyyy hh:mm:ss a", "11/24/2026 01:05:00 PM", "UTC").as_deref(),
            Some("2026-11-24T13:05:00.000Z")
        );
        assert_eq!(
            p(
                "yyyy-MM-dd HH:mm:ss z",
                "2026-11-24 12:00:00 Europe/Berlin",
                "UTC"
            )
            .as_deref(),
            Some("2026-11-24T11:00:00.000Z")
        );
    }

    #[test]
    fn iso8601_and_epochs() {
        assert_eq!(
            p("ISO8601", "2026-11-24T12:00:00,5Z", "UTC").as_deref(),
            Some("2026-11-24T12:00:00.500Z")
        );
        assert_eq!(
            p("ISO8601", "2026-11-24 12:00:00", "America/New_York").as_deref(),
            Some("2026-11-24T17:00:00.000Z")
        );
        assert_eq!(
            p("ISO8601", "2026-11-24T12:00:00+0100", "UTC").as_deref(),
            Some("2026-11-24T11:00:00.000Z")
        );
        assert_eq!(
            p("UNIX", "1795521600.25", "UTC").as_deref(),
            Some("2026-11-24T12:00:00.250Z")
        );
        assert_eq!(
            p("UNIX_MS", "1795521600250", "UTC").as_deref(),
            Some("2026-11-24T12:00:00.250Z")
        );
    }

    /// Joda's rarer hour, weekday-number and era letters.
    #[test]
    fn clock_hours_weekday_numbers_and_era() {
        assert_eq!(
            p("yyyy-MM-dd kk:mm", "2026-11-24 24:30", "UTC").as_deref(),
            Some("2026-11-24T00:30:00.000Z")
        );
        assert_eq!(
            p("yyyy-MM-dd K:mm a", "2026-11-24 0:15 PM", "UTC").as_deref(),
            Some("2026-11-24T12:15:00.000Z")
        );
        assert_eq!(
            p("e G yyyy-MM-dd", "2 AD 2026-11-24", "UTC").as_deref(),
            Some("2026-11-24T00:00:00.000Z")
        );
        assert_eq!(p("e yyyy-MM-dd", "8 2026-11-24", "UTC"), None);
        assert_eq!(p("G yyyy-MM-dd", "BC 2026-11-24", "UTC"), None);
    }

    /// Logstash's own TAI64N expectation: `4000000050d506482dbdf024` is
    /// 2012-12-22T01:00:46.767Z, with or without the `@`.
    #[test]
    fn tai64n_labels() {
        for label in ["4000000050d506482dbdf024", "@4000000050d506482dbdf024"] {
            assert_eq!(
                p("TAI64N", label, "UTC").as_deref(),
                Some("2012-12-22T01:00:46.767Z")
            );
        }
        for bad in [
            "@4000000050d50648",
            "@4000000050d50648zzbdf024",
            "@4000000050d50648ffffffff",
        ] {
            assert_eq!(p("TAI64N", bad, "UTC"), None, "{bad}");
        }
    }

    #[test]
    fn what_does_not_fit_is_none() {
        assert_eq!(
            p("yyyy-MM-dd HH:mm:ss,SSS", "2026-11-24 12:00:00", "UTC"),
            None
        );
        assert_eq!(p("yyyy-MM-dd", "2026-11-24 trailing", "UTC"), None);
        assert_eq!(p("yyyy-MM-dd", "2026-02-30", "UTC"), None);
        assert_eq!(p("UNIX", "soon", "UTC"), None);
        assert_eq!(p("UNIX", "1e300", "UTC"), None);
        assert!(JodaFormat::parse("yyyy-qq").is_err());
    }
}
