//! go-syslog's RFC 6587 stream vectors (../shared/corpus/syslog-vectors): whole TCP streams,
//! octet-counted or LF/NUL-terminated, and the messages a stream parser must emit.
//!
//! We frame each stream with [`SyslogFramer`] and parse every frame with sluice's parser,
//! then compare the priorities of the messages that parse against go-syslog's best-effort
//! results that carry no error (or only "unexpected EOF" for a last line without trailer). The test prints every disagreement and asserts the floor
//! we have reached. Disagreements are documented choices:
//! - an oversized frame is cut at the limit and kept (`_truncated`), where go-syslog errors;
//! - a frame that is not valid RFC 5424 is kept whole and tagged `_syslogparsefailure`,
//!   where go-syslog's best effort salvages the header fields.

use bytes::BytesMut;
use serde_json::Value as J;
use sluice_codec::{Framing, SyslogFramer};
use sluice_parse::syslog::{parse, ParseOptions};
use std::path::PathBuf;
use tokio_util::codec::Decoder;

fn corpus(file: &str) -> Option<Vec<J>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/syslog-vectors")
        .join(file);
    if !path.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing; CI must have ../shared beside the repo",
            path.display()
        );
        eprintln!("skipping: {} not found", path.display());
        return None;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    Some(
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

/// The priorities of the frames of `input` that parse as syslog, in order.
fn ours(input: &[u8], framing: Framing, max: usize) -> Vec<u64> {
    let mut f = SyslogFramer::new(framing, max);
    let mut buf = BytesMut::from(input);
    let mut frames = Vec::new();
    loop {
        match f.decode(&mut buf) {
            Ok(Some(fr)) => frames.push(fr),
            Ok(None) => break,
            Err(_) => return prios(&frames),
        }
    }
    while let Ok(Some(fr)) = f.decode_eof(&mut buf) {
        frames.push(fr);
    }
    prios(&frames)
}

fn prios(frames: &[sluice_codec::Frame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|fr| parse(&fr.bytes, &ParseOptions::default()).ok())
        .filter_map(|m| m.priority.map(u64::from))
        .collect()
}

/// go-syslog's complete messages. A last message without its trailer at end of stream
/// counts too: go-syslog's best effort emits it with "unexpected EOF", and we deliver it
/// (a peer that closes without a final LF must not lose its last line).
fn expected(v: &J) -> Vec<u64> {
    v["results_best_effort"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("error").is_none_or(|e| e == "unexpected EOF"))
        .filter_map(|r| r["message"]["priority"].as_u64())
        .collect()
}

fn run(file: &str, framing_of: impl Fn(&J) -> (Framing, usize)) -> Option<(usize, usize)> {
    let vectors = corpus(file)?;
    let mut pass = 0;
    for v in &vectors {
        let (framing, max) = framing_of(v);
        let got = ours(v["input"].as_str().unwrap().as_bytes(), framing, max);
        let want = expected(v);
        if got == want {
            pass += 1;
        } else {
            eprintln!("{file}: {}: ours {got:?}, go-syslog {want:?}", v["descr"]);
        }
    }
    eprintln!("{file}: {pass}/{} agree", vectors.len());
    Some((pass, vectors.len()))
}

fn max_len(v: &J) -> usize {
    v["max_message_length"].as_u64().unwrap_or(8192) as usize
}

#[test]
fn go_syslog_octet_counting_streams() {
    let Some((pass, total)) = run("go-syslog-octetcounting.jsonl", |v| {
        (Framing::OctetCounting, max_len(v))
    }) else {
        return;
    };
    assert_eq!(total, 17);
    assert!(pass >= 17, "octet counting: {pass}/{total}");
}

#[test]
fn go_syslog_non_transparent_streams() {
    let Some((pass, total)) = run("go-syslog-nontransparent.jsonl", |v| {
        let framing = if v["trailer"] == "NUL" {
            Framing::Nul
        } else {
            Framing::Newline
        };
        (framing, 65536)
    }) else {
        return;
    };
    assert_eq!(total, 10);
    assert!(pass >= 10, "non-transparent: {pass}/{total}");
}

#[test]
fn auto_framing_agrees_on_the_same_streams() {
    // Auto must tell octet counting from LF/NUL per message on the very same inputs.
    let Some((pass, _)) = run("go-syslog-octetcounting.jsonl", |v| {
        (Framing::Auto, max_len(v))
    }) else {
        return;
    };
    assert!(pass >= 17, "auto on octet-counted streams: {pass}");
    let Some((pass, total)) = run("go-syslog-nontransparent.jsonl", |_| (Framing::Auto, 65536))
    else {
        return;
    };
    assert!(pass >= total, "auto on LF/NUL streams: {pass}/{total}");
}
