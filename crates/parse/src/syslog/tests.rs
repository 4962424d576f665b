//! Hand-written cases for what real senders emit. The shared vector files are exercised
//! in `tests/vectors.rs` of this crate.

use super::*;
use chrono::TimeZone;

fn opts() -> ParseOptions {
    ParseOptions {
        timezone: Tz::UTC,
        now: Utc.with_ymd_and_hms(2026, 11, 24, 22, 0, 0).unwrap(),
    }
}

fn p(s: &[u8]) -> SyslogMessage<'_> {
    parse(s, &opts()).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(s)))
}

#[test]
fn logger_rfc5424_udp() {
    let m = p(br#"<134>1 2026-11-24T21:09:25.657649+00:00 vm loggertest 19371 TEST [timeQuality tzKnown="1" isSynced="0"][test@32473 seq="0"] msg"#);
    assert_eq!(m.protocol, Protocol::Rfc5424);
    assert_eq!((m.facility(), m.severity()), (Some(16), Some(6)));
    assert_eq!(
        m.timestamp.unwrap().to_rfc3339(),
        "2026-11-24T21:09:25.657649+00:00"
    );
    assert_eq!(
        (m.hostname, m.appname, m.procid, m.msgid),
        (Some("vm"), Some("loggertest"), Some("19371"), Some("TEST"))
    );
    assert_eq!(m.structured_data.len(), 2);
    assert_eq!(m.structured_data[1].params, vec![("seq", "0".into())]);
    assert_eq!(m.message, "msg");
}

#[test]
fn rsyslog_forward_formats() {
    // RSYSLOG_SyslogProtocol23Format: MSG starts with a space; LF inside the frame.
    let m = p(b"<141>1 2026-11-24T21:10:05.118651+00:00 rsyslog-test rsyslogtest - - -  msg\n");
    assert_eq!(m.message, "msg");
    assert_eq!(m.procid, None);
    // RSYSLOG_ForwardFormat: an RFC 3339 stamp in a BSD line.
    let m = p(b"<141>2026-11-24T21:10:10.259913+00:00 rsyslog-test rsyslogtest: msg\n");
    assert_eq!(m.protocol, Protocol::Rfc3164);
    assert_eq!(m.hostname, Some("rsyslog-test"));
    assert_eq!(m.appname, Some("rsyslogtest"));
    assert_eq!(m.message, "msg");
}

#[test]
fn loggen_formats() {
    let m = p(b"<38>1 2026-11-24T21:10:48+00:00 localhost prg00000 1234 - [test@32473 seq=\"1\"] \xef\xbb\xbfseq: 0000000000, thread: 0000\n");
    assert_eq!(m.message, "seq: 0000000000, thread: 0000");
    // ISO stamp without a zone: the source timezone applies.
    let m = p(b"<38>2026-11-24T21:10:52 localhost prg00000[1234]: seq: 1\n");
    assert_eq!(
        m.timestamp.unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 24, 21, 10, 52).unwrap()
    );
    assert_eq!((m.appname, m.procid), (Some("prg00000"), Some("1234")));
}

#[test]
fn python_sysloghandler_headerless() {
    let m = p(b"<158>pyapp: INFO sysloghandler-test: python SysLogHandler message 1 of 2\x00");
    assert_eq!(m.protocol, Protocol::Headerless);
    assert_eq!(m.appname, Some("pyapp"));
    assert_eq!(
        m.message,
        "INFO sysloghandler-test: python SysLogHandler message 1 of 2"
    );
    assert_eq!(m.timestamp, None);
    // The mission's JSON over SysLogHandler with no ident: the JSON must stay whole.
    let m = p(b"<134>{\"level\": \"INFO\", \"message\": \"hi\"}\x00");
    assert_eq!(m.appname, None);
    assert_eq!(m.message, "{\"level\": \"INFO\", \"message\": \"hi\"}");
    assert_eq!(m.facility(), Some(16));
}

#[test]
fn rfc3164_variants() {
    let m = p(b"<13>Nov 24 21:09:25 vm myapp[19026]: msg");
    assert_eq!(
        (m.hostname, m.appname, m.procid),
        (Some("vm"), Some("myapp"), Some("19026"))
    );
    assert_eq!(
        m.timestamp.unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 24, 21, 9, 25).unwrap()
    );
    // No hostname.
    let m = p(b"<13>Nov 24 21:09:25 myapp[19026]: msg");
    assert_eq!((m.hostname, m.appname), (None, Some("myapp")));
    // Single-digit day, upper-case month, year and trailing colon (Cisco).
    let m = p(b"<38>Mar 7 2008 19:06:53: example tag: testmessage");
    assert_eq!(
        m.timestamp.unwrap(),
        Utc.with_ymd_and_hms(2008, 3, 7, 19, 6, 53).unwrap()
    );
    assert_eq!((m.hostname, m.appname), (Some("example"), Some("tag")));
    let m = p("<6>AUG 10 22:18:24 host tag This msg: äöü".as_bytes());
    assert_eq!(m.hostname, Some("host"));
    assert_eq!(m.message, "tag This msg: äöü");
    // Text that is not a tag stays in the message.
    let m = p(b"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
    assert_eq!(
        (m.hostname, m.appname, &*m.message),
        (Some("10.0.0.99"), None, "Use the BFG!")
    );
}

#[test]
fn new_year_rollback_and_timezone() {
    let jan = ParseOptions {
        timezone: Tz::UTC,
        now: Utc.with_ymd_and_hms(2027, 1, 1, 0, 5, 0).unwrap(),
    };
    let m = parse(b"<13>Dec 31 23:59:58 h t: x", &jan).unwrap();
    assert_eq!(
        m.timestamp.unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 58).unwrap()
    );
    let berlin = ParseOptions {
        timezone: chrono_tz::Europe::Berlin,
        now: Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap(),
    };
    let m = parse(b"<13>Jun 30 12:00:00 h t: x", &berlin).unwrap();
    assert_eq!(
        m.timestamp.unwrap(),
        Utc.with_ymd_and_hms(2026, 6, 30, 10, 0, 0).unwrap()
    );
}

#[test]
fn rejects_what_is_not_syslog() {
    for bad in [
        &b"<192>1 - - - - - -"[..],
        b"<999>Nov 24 21:09:25 h t: x",
        b"<002>1 - - - - - -",
        b"<13>0 - - - - - -",
        b"<13>1 2026-13-01T00:00:00Z h a p m - x",
        b"<13>1 - h a p m [bad",
        b"<13>1 - h a p m -x",
        b"hello world",
        b"",
        b"\xff\xfe\x00garbage",
    ] {
        assert!(
            parse(bad, &opts()).is_err(),
            "{:?} should not parse",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn sd_escapes_are_unescaped() {
    let m = p(br#"<13>1 - - - - - [a@1 k="x\"y\\z\]w" k2="\n"] m"#);
    assert_eq!(m.structured_data[0].params[0].1, r#"x"y\z]w"#);
    assert_eq!(m.structured_data[0].params[1].1, r"\n");
}

/// The sender's address is remembered between messages; alternating senders each get
/// their own.
#[test]
fn decode_names_each_sender() {
    for ip in [
        "10.0.0.1",
        "::1",
        "10.0.0.1",
        "192.168.1.20",
        "192.168.1.20",
        "::1",
    ] {
        let o = DecodeOptions {
            parse: opts(),
            keep_original: false,
            peer_ip: Some(ip.parse().unwrap()),
        };
        let e = decode(b"<134>1 - - - - - - hi", &o).unwrap();
        assert_eq!(
            e.get_segments(&["host", "ip"]).and_then(|v| v.as_str()),
            Some(ip)
        );
    }
}

#[test]
fn decode_builds_ecs_fields() {
    let o = DecodeOptions {
        parse: opts(),
        keep_original: true,
        peer_ip: Some("127.0.0.1".parse().unwrap()),
    };
    let e = decode(
        br#"<134>1 2026-11-24T12:00:00.123Z web1 django 4242 - [req@1 id="r-1"] hi"#,
        &o,
    )
    .unwrap();
    let j = {
        let mut v = Vec::new();
        e.write_json(&mut v);
        String::from_utf8(v).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["@timestamp"], "2026-11-24T12:00:00.123Z");
    assert_eq!(v["message"], "hi");
    assert_eq!(v["log"]["syslog"]["facility"]["name"], "local0");
    assert_eq!(v["log"]["syslog"]["severity"]["name"], "informational");
    assert_eq!(v["log"]["syslog"]["version"], 1);
    assert_eq!(v["log"]["syslog"]["structured_data"]["req@1"]["id"], "r-1");
    assert_eq!(v["host"]["hostname"], "web1");
    assert_eq!(v["host"]["ip"], "127.0.0.1");
    assert_eq!(v["process"]["pid"], 4242);
    assert_eq!(v["process"]["name"], "django");
    assert!(v["event"]["original"]
        .as_str()
        .unwrap()
        .starts_with("<134>1"));
    assert!(v.get("tags").is_none());

    let bad = decode(b"<999>garbage\n", &o).unwrap_err();
    let mut out = Vec::new();
    bad.write_json(&mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["message"], "<999>garbage");
    assert_eq!(v["tags"][0], "_syslogparsefailure");
    assert!(v.get("log").is_none());
}
