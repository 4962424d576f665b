use super::*;

fn frames(framing: Framing, max: usize, chunks: &[&[u8]]) -> Vec<(String, bool)> {
    let mut f = SyslogFramer::new(framing, max);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for c in chunks {
        buf.extend_from_slice(c);
        while let Some(fr) = f.decode(&mut buf).unwrap() {
            out.push((
                String::from_utf8_lossy(&fr.bytes).into_owned(),
                fr.truncated,
            ));
        }
    }
    while let Some(fr) = f.decode_eof(&mut buf).unwrap() {
        out.push((
            String::from_utf8_lossy(&fr.bytes).into_owned(),
            fr.truncated,
        ));
    }
    out
}

fn texts(v: Vec<(String, bool)>) -> Vec<String> {
    v.into_iter().map(|x| x.0).collect()
}

#[test]
fn auto_mixes_counted_lf_and_nul_per_message() {
    // rsyslog counts the LF; Python ends with NUL; logger ends with LF.
    let stream = b"10 <13>1 - x\n<13>py: a\x00<13>b\n5 <1>ab";
    assert_eq!(
        texts(frames(Framing::Auto, 1024, &[stream])),
        ["<13>1 - x\n", "<13>py: a", "<13>b", "<1>ab"]
    );
}

#[test]
fn split_anywhere_gives_the_same_frames() {
    let stream: &[u8] = b"10 <13>1 - x\n<13>py: a\x00<13>b\n5 <1>ab<14>tail";
    let whole = frames(Framing::Auto, 1024, &[stream]);
    for cut in 1..stream.len() {
        let (a, b) = stream.split_at(cut);
        assert_eq!(frames(Framing::Auto, 1024, &[a, b]), whole, "cut at {cut}");
    }
    let byte_at_a_time: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(frames(Framing::Auto, 1024, &byte_at_a_time), whole);
}

#[test]
fn oversize_is_cut_and_the_stream_carries_on() {
    let long = "x".repeat(50);
    let nt = format!("<13>{long}\n<13>next\n");
    let got = frames(Framing::Newline, 16, &[nt.as_bytes()]);
    assert_eq!(
        got,
        [
            (format!("<13>{}", &long[..12]), true),
            ("<13>next".into(), false)
        ]
    );
    let oc = format!("54 <13>{long}\n12 <13>counted\n");
    let got = frames(Framing::OctetCounting, 16, &[oc.as_bytes()]);
    assert_eq!(
        got,
        [
            (format!("<13>{}", &long[..12]), true),
            ("<13>counted\n".into(), false)
        ]
    );
}

#[test]
fn explicit_modes() {
    assert_eq!(
        texts(frames(Framing::Nul, 64, &[b"a\nb\x00c\x00"])),
        ["a\nb", "c"]
    );
    assert_eq!(
        texts(frames(Framing::Newline, 64, &[b"a\x00b\nc\r\n"])),
        ["a\x00b", "c\r"]
    );
    let mut f = SyslogFramer::new(Framing::OctetCounting, 64);
    let mut buf = BytesMut::from(&b"<13>not counted\n"[..]);
    assert!(matches!(
        f.decode(&mut buf),
        Err(FrameError::BadOctetCount { offset: 0 })
    ));
}

#[test]
fn counted_frame_cut_short_by_eof_is_kept_and_marked() {
    assert_eq!(
        frames(Framing::Auto, 64, &[b"20 <13>short"]),
        [("<13>short".into(), true)]
    );
}

/// Python's SysLogHandler over TCP: NUL ends each record, and `logger.exception` puts
/// the traceback's newlines inside it. One record, one frame.
#[test]
fn auto_keeps_a_nul_terminated_traceback_whole() {
    let tb = "<11>py: ERROR boom\nTraceback (most recent call last):\n  File \"v.py\", line 9, in <module>\n    f()\nValueError: bad";
    // The first record of a connection, whole in one read.
    let stream = format!("{tb}\x00<14>py: INFO next\x00");
    assert_eq!(
        texts(frames(Framing::Auto, 4096, &[stream.as_bytes()])),
        [tb, "<14>py: INFO next"]
    );
    // After a NUL-terminated record, however the bytes are cut.
    let stream = format!("<14>py: hi\x00{tb}\x00<13>py: x\x00");
    let want = ["<14>py: hi", tb, "<13>py: x"];
    let b = stream.as_bytes();
    for cut in 1..b.len() {
        let (x, y) = b.split_at(cut);
        assert_eq!(
            texts(frames(Framing::Auto, 4096, &[x, y])),
            want,
            "cut at {cut}"
        );
    }
    let byte_at_a_time: Vec<&[u8]> = b.chunks(1).collect();
    assert_eq!(texts(frames(Framing::Auto, 4096, &byte_at_a_time)), want);
}

/// LF senders are unaffected: plain lines, syslog lines and a last line without its LF.
#[test]
fn auto_still_cuts_lf_lines_that_no_nul_follows() {
    assert_eq!(
        texts(frames(
            Framing::Auto,
            1024,
            &[b"hello\nworld\n<13>x\n  indented\nlast"]
        )),
        ["hello", "world", "<13>x", "  indented", "last"]
    );
}

/// Issue 10: a 10-digit octet count swallowed the valid lines after it. An implausible
/// count is taken as text, and the next line is a message again, in both modes.
#[test]
fn an_implausible_octet_count_does_not_swallow_the_next_lines() {
    for (framing, stream) in [
        (
            Framing::Auto,
            &b"9999999999 <13>bogus\n<13>next one\n14 <13>counted ok"[..],
        ),
        (
            Framing::OctetCounting,
            &b"9999999999 <13>bogus\n12 <13>next one14 <13>counted ok"[..],
        ),
    ] {
        let got = texts(frames(framing, 1024, &[stream]));
        assert!(
            got.contains(&"<13>next one".to_owned()),
            "{framing:?}: {got:?}"
        );
        assert_eq!(
            got.last().map(String::as_str),
            Some("<13>counted ok"),
            "{framing:?}"
        );
    }
    // A large but believable count is still cut at the limit and its rest skipped.
    let big = format!("2000 {}<13>after", "y".repeat(2000));
    let got = frames(Framing::Auto, 100, &[big.as_bytes()]);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].1, "the first is marked cut");
    assert_eq!(got[1].0, "<13>after");
}
