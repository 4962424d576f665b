//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz/fuzz_targets/) and the
//! regression test that replays every kept input (crates/sluice/tests/fuzz_regressions.rs).
//! Each takes arbitrary bytes and must not panic; the asserts are invariants.

#![allow(dead_code)]
use bytes::BytesMut;
use sluice_codec::lumberjack::{LjLimits, LumberjackDecoder};
use sluice_codec::{Framing, SyslogFramer};
use sluice_event::{Event, FieldPath, Value};
use sluice_grok::{Grok, Library};
use sluice_parse::condition::Condition;
use sluice_parse::date::DateFormat;
use sluice_parse::json_event::event_from_json;
use sluice_parse::kv::{parse, KvOptions, Split};
use sluice_parse::syslog::{decode, DecodeOptions, ParseOptions};
use tokio_util::codec::Decoder;

/// The condition language (Logstash's `if`): parsing arbitrary text never panics, and a
/// condition that parses evaluates on an event without panicking.
pub fn condition(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Condition::parse(text) {
        let mut e = Event::new();
        for (k, v) in [
            ("level", Value::from("ERROR")),
            ("n", Value::Integer(3)),
            ("[a][b]", Value::from("x")),
        ] {
            if let Ok(p) = FieldPath::parse(k) {
                e.insert(&p, v);
            }
        }
        e.add_tag("error");
        let _ = c.matches(&e);
    }
}

/// The config loader on arbitrary TOML: never panics; errors are values.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = sluice_config::load_str("fuzz.toml", text);
}

/// Joda date patterns and the date parser: a pattern from the first line of the input,
/// the text to read from the rest; never panics.
pub fn date(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (spec, value) = text.split_once('\n').unwrap_or(("ISO8601", text));
    let now = chrono::DateTime::from_timestamp(1_764_500_000, 0).unwrap_or_default();
    for f in [
        DateFormat::parse(spec).ok(),
        DateFormat::parse("ISO8601").ok(),
        DateFormat::parse("UNIX_MS").ok(),
        DateFormat::parse("TAI64N").ok(),
    ]
    .into_iter()
    .flatten()
    {
        let _ = f.parse_time(value, chrono_tz::Tz::Europe__London, now);
    }
}

/// The syslog stream framer over arbitrary chunks: never panics, never returns a frame
/// longer than its limit, and always makes progress.
pub fn framer(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let framing = [
        Framing::Auto,
        Framing::OctetCounting,
        Framing::Newline,
        Framing::Nul,
    ][usize::from(sel % 4)];
    let max = 16 + usize::from(sel / 4);
    let mut f = SyslogFramer::new(framing, max);
    let mut buf = BytesMut::new();
    // Feed in chunks whose sizes come from the input, as reads would arrive.
    for chunk in rest.chunks(1 + usize::from(sel % 7)) {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match f.decode(&mut buf) {
                Ok(Some(frame)) => assert!(frame.bytes.len() <= max, "frame over the limit"),
                Ok(None) => break,
                Err(_) => return,
            }
            assert!(buf.len() < before || before == 0, "no progress");
        }
    }
    while let Ok(Some(frame)) = f.decode_eof(&mut buf) {
        assert!(frame.bytes.len() <= max);
    }
}

thread_local! {
    static LIB: Library = Library::builtin();
}

/// Grok pattern compilation against the built-in library (and, when it compiles, a match
/// against the rest of the input with a small step budget): never panics.
pub fn grok(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, subject) = text
        .split_once('\n')
        .unwrap_or((text, "2026-11-30 ERROR x"));
    LIB.with(|lib| {
        if let Ok(g) = Grok::new(pattern, lib, 10_000) {
            let _ = g.matches(subject, |_, _| {});
        }
    });
}

/// A JSON line into an event (JSON-lines and HTTP sources), and the event back to JSON:
/// never panics; what is written is valid JSON.
pub fn json_event(data: &[u8]) {
    let now = chrono::DateTime::from_timestamp(1_764_500_000, 0).unwrap_or_default();
    let e = event_from_json(data, now).unwrap_or_else(|e| e);
    let mut out = Vec::new();
    e.write_json(&mut out);
    assert!(
        serde_json_valid(&out),
        "invalid JSON written: {:?}",
        String::from_utf8_lossy(&out)
    );
}

fn serde_json_valid(b: &[u8]) -> bool {
    sluice_event::Value::from_json(b).is_ok()
}

/// The kv parser with separators taken from the input: never panics, keys and values are
/// slices of what was given.
pub fn kv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut chars = text.chars();
    let (Some(fs), Some(vs)) = (chars.next(), chars.next()) else {
        return;
    };
    let rest = chars.as_str();
    let o = KvOptions {
        field_split: Split::chars(&fs.to_string()),
        value_split: Split::chars(&vs.to_string()),
        trim_key: vec!['"'],
        trim_value: vec!['<', '>'],
        allow_empty_values: fs == vs,
        ..KvOptions::default()
    };
    let _ = parse(rest, &o);
    let _ = parse(rest, &KvOptions::default());
}

/// Logstash `.conf` text through the parser and the converter (and the TOML it makes
/// through the loader): never panics; errors render with their place.
pub fn logstash_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = sluice_lscl::parse(text) {
        let _ = e.render("fuzz.conf", text);
        return;
    }
    if let Ok((toml, _)) = sluice_config::logstash::to_toml(&[("fuzz.conf".into(), text.into())]) {
        let _ = sluice_config::load_str("fuzz.toml", &toml);
    }
}

/// The Lumberjack v2 decoder (Beats) over arbitrary bytes, compressed frames included:
/// never panics, never inflates past its limit.
pub fn lumberjack(data: &[u8]) {
    let limits = LjLimits {
        max_frame_bytes: 64 * 1024,
        max_inflated_bytes: 256 * 1024,
        budget: None,
    };
    let mut d = LumberjackDecoder::new(limits);
    let mut buf = BytesMut::from(data);
    for _ in 0..10_000 {
        match d.decode(&mut buf) {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
}

/// RFC 5424 / RFC 3164 parsing and event building: never panics, whatever the bytes.
pub fn syslog(data: &[u8]) {
    let now = chrono::DateTime::from_timestamp(1_764_500_000, 0).unwrap_or_default();
    for tz in [chrono_tz::Tz::UTC, chrono_tz::Tz::Pacific__Chatham] {
        let opts = DecodeOptions {
            parse: ParseOptions { timezone: tz, now },
            keep_original: true,
            peer_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
        };
        let _ = decode(data, &opts);
    }
}
