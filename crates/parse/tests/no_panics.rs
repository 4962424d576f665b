//! Whatever a client sends, the parsers that see it return; they never panic. Arbitrary
//! strings (and byte strings, for syslog) through every parser that takes network input.

use proptest::prelude::*;
use sluice_parse::date::DateFormat;
use sluice_parse::kv::{parse as kv, KvOptions, Split};
use sluice_parse::redact::{Redactor, Replacement, DETECTORS};
use sluice_parse::syslog::{decode, DecodeOptions};

fn text() -> impl Strategy<Value = String> {
    // Mostly the characters these parsers care about, plus anything at all.
    prop_oneof![
        "[ =:\"'()\\[\\]<>&;,a-z0-9@.\\-+/_\\n\\t]{0,200}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn lenient_json_returns(s in text(), pre in "\\{ ?(\"[a-z_]{1,8}\": ?\"?)?") {
        let t = format!("{pre}{s}");
        if let Some(l) = sluice_parse::lenient_json::lenient_object(&t) {
            prop_assert!(t.contains(l.rest));
        }
    }

    #[test]
    fn kv_returns(s in text()) {
        let o = KvOptions {
            field_split: Split::chars(" &"),
            value_split: Split::chars("=:"),
            trim_key: vec!['"'],
            trim_value: vec![','],
            remove_char_key: vec!['<'],
            remove_char_value: vec!['>'],
            allow_empty_values: false,
        };
        for p in kv(&s, &o) {
            prop_assert!(!p.key.is_empty() && !p.value.is_empty());
            prop_assert!(!p.key.contains('<') && !p.value.contains('>'));
        }
        let _ = kv(&s, &KvOptions::default());
        let patterns = KvOptions {
            field_split: Split::Pattern(regex::Regex::new(r"[,;]\s*|\s*").unwrap()),
            value_split: Split::Pattern(regex::Regex::new(r"\s*[=:]\s*").unwrap()),
            ..KvOptions::default()
        };
        for p in kv(&s, &patterns) {
            prop_assert!(!p.key.is_empty());
        }
    }

    #[test]
    fn redact_returns_and_never_grows_a_secret(s in text()) {
        let r = Redactor::new(DETECTORS, &[], Replacement::Text("[R]".into())).unwrap();
        let mut counts = vec![0; DETECTORS.len()];
        if let Some(out) = r.redact(&s, &mut counts) {
            prop_assert!(counts.iter().sum::<u64>() > 0);
            prop_assert!(out.contains("[R]"));
        }
    }

    #[test]
    fn dates_return(s in text()) {
        let now = chrono::Utc::now();
        for f in ["yyyy-MM-dd HH:mm:ss,SSS", "dd/MMM/yyyy:HH:mm:ss Z", "MMM  d HH:mm:ss", "EEE MMM dd HH:mm:ss yyyy z", "ISO8601", "UNIX", "UNIX_MS", "TAI64N"] {
            let _ = DateFormat::parse(f).unwrap().parse_time(&s, chrono_tz::Tz::UTC, now);
        }
    }

    /// TAI64N labels of any hex digits (and a few that are not).
    #[test]
    fn tai64n_returns(s in "@?[0-9a-fA-F]{20,28}") {
        let _ = DateFormat::parse("TAI64N").unwrap().parse_time(&s, chrono_tz::Tz::UTC, chrono::Utc::now());
    }

    #[test]
    fn syslog_decode_returns(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&b, &DecodeOptions::default());
    }

    #[test]
    fn json_event_returns(s in text()) {
        let _ = sluice_parse::json_event::event_from_json(s.as_bytes(), chrono::Utc::now());
    }
}
