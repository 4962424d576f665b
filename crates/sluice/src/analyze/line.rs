//! One line of a log file as `sluice analyze` reads it: the start of a record (Django's
//! verbose or simple format, a JSON object, RFC 5424 or 3164 syslog), a continuation of
//! the record before it (a traceback), or neither. Pure: no I/O.

use chrono::NaiveDateTime;
use sluice_parse::syslog::{parse as parse_syslog, ParseOptions};

/// Python's levels, in order.
pub(crate) const LEVELS: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/// The formats a file can be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Detected per line.
    Auto,
    /// Django's verbose (`LEVEL asctime module [pid tid] message`) or simple (`LEVEL
    /// message`) formats.
    Django,
    /// One JSON object a line (Python JSON formatters, the security log, sluice's output).
    Json,
    /// RFC 5424 or 3164 syslog, with a Django or JSON record inside or not.
    Syslog,
}

/// A record's start.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Record {
    /// Index into [`LEVELS`].
    pub(crate) level: Option<usize>,
    /// As written (no zone: the zone the log was written in).
    pub(crate) time: Option<NaiveDateTime>,
    pub(crate) module: String,
    pub(crate) message: String,
    /// A client address the record names (a JSON `ip` or `client_ip`).
    pub(crate) ip: Option<String>,
}

/// What a line is.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    Start(Record),
    /// Part of the record before it (a traceback line).
    More,
    /// Neither.
    Unparsed,
}

fn level_of(s: &str) -> Option<usize> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("WARN") {
        return Some(2);
    }
    if s.eq_ignore_ascii_case("FATAL") {
        return Some(4);
    }
    LEVELS.iter().position(|l| l.eq_ignore_ascii_case(s))
}

/// `YYYY-MM-DD HH:MM:SS` (`T` or a space) and an optional `,fff` / `.ffffff`, read
/// without allocating: the fast path for Django's `asctime`.
fn django_time(b: &[u8]) -> Option<NaiveDateTime> {
    let n = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
    let mut nanos = 0;
    if b.len() > 20 && (b[19] == b',' || b[19] == b'.') {
        let digits = &b[20..];
        let mut scale = 100_000_000;
        for d in digits.iter().take(9) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
        }
    }
    let time = chrono::NaiveTime::from_hms_nano_opt(n(11..13)?, n(14..16)?, n(17..19)?, nanos)?;
    Some(date.and_time(time))
}

/// `2026-11-24 12:00:00`, with `,123` / `.123456` or not, `T` or a space, a zone or not
/// (then the time as written).
pub(crate) fn time_of(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    let norm = s.replacen('T', " ", 1).replacen(',', ".", 1);
    let norm = norm.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(norm, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(norm, "%Y-%m-%d %H:%M:%S"))
        .ok()
}

/// Django: `LEVEL YYYY-MM-DD HH:MM:SS[,mmm] module [pid tid] message`, or `LEVEL message`.
fn django(line: &str) -> Option<Record> {
    let (lvl, rest) = line.split_once(' ')?;
    let level = level_of(lvl).filter(|_| lvl.bytes().all(|b| b.is_ascii_uppercase()))?;
    let b = rest.as_bytes();
    let dated = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':';
    if !dated {
        return Some(Record {
            level: Some(level),
            message: rest.to_owned(),
            ..Record::default()
        });
    }
    let mut end = 19;
    if b.len() > 19 && (b[19] == b',' || b[19] == b'.') {
        end = 20 + b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    let time = django_time(&b[..end]).or_else(|| time_of(&rest[..end]));
    let rest = rest[end..].trim_start();
    let (module, mut msg) = rest.split_once(' ').unwrap_or((rest, ""));
    // `{process:d} {thread:d}` of the verbose format.
    let mut it = msg.splitn(3, ' ');
    if let (Some(p), Some(t), Some(m)) = (it.next(), it.next(), it.next()) {
        if !p.is_empty()
            && !t.is_empty()
            && p.bytes().all(|c| c.is_ascii_digit())
            && t.bytes().all(|c| c.is_ascii_digit())
        {
            msg = m;
        }
    }
    Some(Record {
        level: Some(level),
        time,
        module: module.to_owned(),
        message: msg.to_owned(),
        ip: None,
    })
}

fn json(line: &str) -> Option<Record> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let o = v.as_object()?;
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            let mut cur = &v;
            for part in k.split('.') {
                cur = cur.get(part)?;
            }
            cur.as_str().map(str::to_owned)
        })
    };
    let _ = o;
    Some(Record {
        level: text(&["levelname", "level", "log.level", "severity"]).and_then(|l| level_of(&l)),
        time: text(&["asctime", "timestamp", "@timestamp", "time"]).and_then(|t| time_of(&t)),
        module: text(&["module", "name", "logger", "log.logger"]).unwrap_or_default(),
        message: text(&["message", "msg"]).unwrap_or_default(),
        ip: text(&["ip", "client_ip", "remote_addr", "source.ip"]),
    })
}

fn syslog(line: &str) -> Option<Record> {
    if !line.starts_with('<') {
        return None;
    }
    let m = parse_syslog(line.as_bytes(), &ParseOptions::default()).ok()?;
    let body = m.message.trim().to_owned();
    let mut r = django(&body)
        .or_else(|| body.starts_with('{').then(|| json(&body)).flatten())
        .unwrap_or_else(|| Record {
            message: body.clone(),
            ..Record::default()
        });
    if r.level.is_none() {
        // RFC 5424 severities onto Python's levels.
        r.level = m.severity().map(|s| match s {
            0..=2 => 4,
            3 => 3,
            4 => 2,
            5 | 6 => 1,
            _ => 0,
        });
    }
    if r.time.is_none() {
        r.time = m.timestamp.map(|t| t.naive_utc());
    }
    Some(r)
}

/// A traceback's lines: indented, its header, the exception line, the chaining notes.
fn continuation(line: &str) -> bool {
    line.starts_with([' ', '\t'])
        || line.starts_with("Traceback (most recent call last)")
        || line.starts_with("During handling of the above exception")
        || line.starts_with("The above exception was the direct cause")
        || line.split_once(':').is_some_and(|(head, _)| {
            !head.contains(' ')
                && (head.ends_with("Error")
                    || head.ends_with("Exception")
                    || head.ends_with("Warning"))
        })
}

/// Reads one line (without its newline) in `format`.
pub(crate) fn read(line: &str, format: Format) -> Line {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return Line::More;
    }
    let r = match format {
        Format::Django => django(line),
        Format::Json => json(line),
        Format::Syslog => syslog(line),
        Format::Auto => match line.as_bytes()[0] {
            b'{' => json(line),
            b'<' => syslog(line),
            _ => django(line),
        },
    };
    match r {
        Some(r) => Line::Start(r),
        None if continuation(line) => Line::More,
        None => Line::Unparsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(l: &str) -> Record {
        match read(l, Format::Auto) {
            Line::Start(r) => r,
            other => panic!("{l}: {other:?}"),
        }
    }

    #[test]
    fn the_formats_of_the_studio() {
        let r = start("ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed");
        assert_eq!(r.level, Some(3));
        assert_eq!(r.time.unwrap().to_string(), "2026-11-24 12:00:00.123");
        assert_eq!(
            (r.module.as_str(), r.message.as_str()),
            ("views", "Database connection failed")
        );
        // Without milliseconds, pid and thread (the seed's analyser could not read `,mmm`).
        let r = start("WARNING 2026-11-24 12:00:01 accounts Failed login for bob");
        assert_eq!(r.time.unwrap().to_string(), "2026-11-24 12:00:01");
        assert_eq!(r.message, "Failed login for bob");
        let r = start("INFO Cache warmed");
        assert_eq!(
            (r.level, r.time, r.message.as_str()),
            (Some(1), None, "Cache warmed")
        );
        let r = start(
            r#"{"levelname": "WARNING", "asctime": "2026-11-24 12:00:02,5", "name": "security", "message": "Failed login", "ip": "203.0.113.9"}"#,
        );
        assert_eq!((r.level, r.ip.as_deref()), (Some(2), Some("203.0.113.9")));
        let r = start(
            r#"{"@timestamp":"2026-11-24T12:00:03.000Z","log":{"level":"error"},"message":"x"}"#,
        );
        assert_eq!(
            (r.level, r.time.unwrap().to_string().as_str()),
            (Some(3), "2026-11-24 12:00:03")
        );
        let r = start("<131>1 2026-11-24T12:00:04Z web django 42 - - ERROR 2026-11-24 12:00:04,000 views 1 2 boom");
        assert_eq!((r.level, r.message.as_str()), (Some(3), "boom"));
        let r = start("<12>Nov 24 12:00:05 web app: disk almost full");
        assert_eq!(r.level, Some(2), "syslog warning");
    }

    #[test]
    fn tracebacks_continue_and_garbage_is_unparsed() {
        for l in [
            "Traceback (most recent call last):",
            "  File \"views.py\", line 3, in get",
            "ValueError: invalid literal",
            "django.db.utils.OperationalError: could not connect",
            "",
        ] {
            assert_eq!(read(l, Format::Auto), Line::More, "{l}");
        }
        for l in ["random text", "error lowercase is not a level", "{not json"] {
            assert_eq!(read(l, Format::Auto), Line::Unparsed, "{l}");
        }
    }
}
