use super::*;
use bytes::BufMut;
use proptest::prelude::*;
use std::io::Write;
use tokio_util::codec::Decoder;

fn decoder() -> LumberjackDecoder {
    LumberjackDecoder::new(LjLimits {
        max_frame_bytes: 1 << 20,
        max_inflated_bytes: 4 << 20,
        budget: None,
    })
}

/// Feeds `wire` in chunks of `step` bytes and collects every frame, or the first error.
fn decode_all(wire: &[u8], step: usize) -> Result<Vec<LjFrame>, LjError> {
    let mut d = decoder();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in wire.chunks(step.max(1)) {
        buf.extend_from_slice(chunk);
        while let Some(f) = d.decode(&mut buf)? {
            out.push(f);
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    Ok(out)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

#[test]
fn plain_and_compressed_windows_decode_at_every_split() {
    let docs: Vec<Vec<u8>> = (1..=5)
        .map(|i| format!(r#"{{"message":"event {i}"}}"#).into_bytes())
        .collect();
    let events: Vec<(u32, &[u8])> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1, d.as_slice()))
        .collect();
    for enc in [WindowEncoding::Plain, WindowEncoding::Compressed(3)] {
        let mut wire = Vec::new();
        encode_window(&mut wire, &events, enc);
        for step in [1, 2, 3, 7, 64, wire.len()] {
            let frames = decode_all(&wire, step).unwrap();
            assert_eq!(
                frames[0],
                LjFrame::Window {
                    size: 5,
                    version: b'2'
                }
            );
            let seqs: Vec<u32> = frames.iter().filter_map(LjFrame::seq).collect();
            assert_eq!(seqs, [1, 2, 3, 4, 5], "{enc:?} step {step}");
            match &frames[5] {
                LjFrame::Json { payload, .. } => assert_eq!(&payload[..], docs[4].as_slice()),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn v1_data_frames_carry_pairs() {
    let mut wire = b"1W\0\0\0\x01".to_vec();
    wire.extend_from_slice(b"1D\0\0\0\x07\0\0\0\x02");
    for (k, v) in [("line", "hello"), ("host", "web-1")] {
        wire.put_u32(k.len() as u32);
        wire.extend_from_slice(k.as_bytes());
        wire.put_u32(v.len() as u32);
        wire.extend_from_slice(v.as_bytes());
    }
    let frames = decode_all(&wire, 1).unwrap();
    assert_eq!(frames.len(), 2);
    let LjFrame::Data { seq, pairs } = &frames[1] else {
        panic!("{frames:?}")
    };
    assert_eq!(*seq, 7);
    assert_eq!(&pairs[0].0[..], b"line");
    assert_eq!(&pairs[1].1[..], b"web-1");
}

#[test]
fn hostile_lengths_are_refused_before_buffering() {
    // A 4 GiB claim on a J frame: refused from its header alone.
    let err = decode_all(b"2J\0\0\0\x01\xff\xff\xff\xff", 10).unwrap_err();
    assert!(matches!(err, LjError::FrameTooLarge { .. }), "{err}");
    // The same on a compressed block and on a D frame's pair count.
    let err = decode_all(b"2C\xff\xff\xff\xff", 6).unwrap_err();
    assert!(matches!(err, LjError::FrameTooLarge { .. }), "{err}");
    let err = decode_all(b"2D\0\0\0\x01\xff\xff\xff\xff", 10).unwrap_err();
    assert!(matches!(err, LjError::FrameTooLarge { .. }), "{err}");
    // One huge key inside a plausible pair count.
    let err = decode_all(b"2D\0\0\0\x01\0\0\0\x01\x7f\xff\xff\xff", 14).unwrap_err();
    assert!(matches!(err, LjError::FrameTooLarge { .. }), "{err}");
}

#[test]
fn zlib_bomb_stops_at_the_inflate_cap() {
    // 64 MiB of zeros compresses to ~64 KiB: over the 4 MiB cap when inflated.
    let mut plain = b"2J\0\0\0\x01".to_vec();
    plain.put_u32(64 << 20);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&plain).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).unwrap();
    }
    let block = z.finish().unwrap();
    assert!(block.len() < 1 << 20);
    let mut wire = b"2W\0\0\0\x01".to_vec();
    wire.extend_from_slice(b"2C");
    wire.put_u32(block.len() as u32);
    wire.extend_from_slice(&block);
    let err = decode_all(&wire, 4096).unwrap_err();
    assert!(matches!(err, LjError::InflatedTooLarge { .. }), "{err}");
}

#[test]
fn nested_blocks_unknown_types_and_bad_zlib_are_errors() {
    let inner = {
        let mut w = b"2C".to_vec();
        let z = zlib(b"2W\0\0\0\x01");
        w.put_u32(z.len() as u32);
        w.extend_from_slice(&z);
        w
    };
    let mut wire = b"2C".to_vec();
    let z = zlib(&inner);
    wire.put_u32(z.len() as u32);
    wire.extend_from_slice(&z);
    assert!(matches!(
        decode_all(&wire, 5).unwrap_err(),
        LjError::NestedCompressed
    ));
    assert!(matches!(
        decode_all(b"2X\0\0\0\0", 6).unwrap_err(),
        LjError::UnknownType(b'X')
    ));
    assert!(matches!(
        decode_all(b"GET / HTTP/1.1\r\n", 16).unwrap_err(),
        LjError::BadVersion(b'G')
    ));
    assert!(matches!(
        decode_all(b"2C\0\0\0\x04abcd", 10).unwrap_err(),
        LjError::BadCompressed(_)
    ));
    // A block whose content stops inside a frame.
    let z = zlib(b"2J\0\0\0\x01\0\0\0\x09{}");
    let mut wire = b"2C".to_vec();
    wire.put_u32(z.len() as u32);
    wire.extend_from_slice(&z);
    assert!(matches!(
        decode_all(&wire, 3).unwrap_err(),
        LjError::TruncatedBlock
    ));
}

#[test]
fn ack_frame() {
    assert_eq!(encode_ack(0x0102_0304), *b"2A\x01\x02\x03\x04");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Random windows through our encoder and decoder: every event comes back, in order,
    /// with its sequence number and bytes, whatever the chunking.
    #[test]
    fn random_windows_round_trip(
        windows in prop::collection::vec(
            (prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..40), any::<bool>()),
            1..5,
        ),
        step in 1usize..512,
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut seq = 0u32;
        for (docs, compress) in &windows {
            let events: Vec<(u32, &[u8])> = docs.iter().map(|d| { seq += 1; (seq, d.as_slice()) }).collect();
            let enc = if *compress { WindowEncoding::Compressed(1) } else { WindowEncoding::Plain };
            encode_window(&mut wire, &events, enc);
            expected.push(LjFrame::Window { size: events.len() as u32, version: b'2' });
            for (s, d) in events {
                expected.push(LjFrame::Json { seq: s, payload: Bytes::copy_from_slice(d) });
            }
        }
        prop_assert_eq!(decode_all(&wire, step).unwrap(), expected);
    }

    /// Arbitrary bytes never panic the decoder and never make it buffer past its limits.
    #[test]
    fn garbage_never_panics(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut d = decoder();
        let mut buf = BytesMut::from(&data[..]);
        while let Ok(Some(_)) = d.decode(&mut buf) {}
    }
}

/// Issue 10: eight zlib bombs at once held eight times `max_inflated_bytes`. Decoders
/// that share a budget reserve the most a block may inflate to before inflating it, keep
/// what it did inflate to until its frames are handed out, and refuse a block when the
/// budget is used up.
#[test]
fn a_shared_budget_bounds_what_all_decoders_inflate() {
    let budget = InflateBudget::new(6 << 20);
    let limits = LjLimits {
        max_frame_bytes: 4 << 20,
        max_inflated_bytes: 4 << 20,
        budget: Some(budget.clone()),
    };
    let doc = vec![b'x'; 1 << 20];
    let docs: Vec<(u32, &[u8])> = (1..=3).map(|i| (i, doc.as_slice())).collect();
    let mut wire = Vec::new();
    encode_window(&mut wire, &docs, WindowEncoding::Compressed(1));
    let mut a = LumberjackDecoder::new(limits.clone());
    let mut b = LumberjackDecoder::new(limits);
    let mut abuf = BytesMut::from(&wire[..]);
    let mut bbuf = BytesMut::from(&wire[..]);
    // A: the window frame, then the first of three inflated frames; the rest wait.
    assert!(matches!(
        a.decode(&mut abuf).unwrap(),
        Some(LjFrame::Window { .. })
    ));
    assert!(matches!(
        a.decode(&mut abuf).unwrap(),
        Some(LjFrame::Json { .. })
    ));
    // B cannot reserve 4 MiB while A holds its 3.
    assert!(matches!(
        b.decode(&mut bbuf).unwrap(),
        Some(LjFrame::Window { .. })
    ));
    assert!(matches!(b.decode(&mut bbuf), Err(LjError::InflateBudget)));
    // A hands out the rest: the budget comes back, and B can go on.
    assert!(a.decode(&mut abuf).unwrap().is_some());
    assert!(a.decode(&mut abuf).unwrap().is_some());
    let mut b = LumberjackDecoder::new(LjLimits {
        max_frame_bytes: 4 << 20,
        max_inflated_bytes: 4 << 20,
        budget: Some(budget.clone()),
    });
    let mut bbuf = BytesMut::from(&wire[..]);
    let mut n = 0;
    while let Some(f) = b.decode(&mut bbuf).unwrap() {
        n += usize::from(matches!(f, LjFrame::Json { .. }));
    }
    assert_eq!(n, 3);
    drop(b);
    drop(a);
    assert!(budget.take(6 << 20), "all of the budget came back");
}
