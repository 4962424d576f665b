//! The Beats source over real loopback sockets, driven by our own encoder. The
//! third-party clients (pylogbeat, python-logstash-async) are driven end to end in
//! tests/tests/beats.rs.

use crate::test_support::{source_config, start, Started};
use sluice_codec::lumberjack::{encode_window, WindowEncoding};
use sluice_core::{DropReason, ErrorType};
use sluice_event::{BatchStatus, EventBatch, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn beats(extra: &str) -> Started {
    start(
        source_config(&format!("type=\"beats\"\naddress=\"127.0.0.1:0\"\n{extra}")),
        64,
    )
    .await
}

fn docs(from: u32, n: u32) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| format!(r#"{{"message":"event {i}","fields":{{"seq":{i}}}}}"#).into_bytes())
        .collect()
}

fn window(first_seq: u32, docs: &[Vec<u8>], enc: WindowEncoding) -> Vec<u8> {
    let events: Vec<(u32, &[u8])> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (first_seq + i as u32, d.as_slice()))
        .collect();
    let mut wire = Vec::new();
    encode_window(&mut wire, &events, enc);
    wire
}

/// Reads one 6-byte ACK frame and returns its sequence number.
async fn read_ack(c: &mut TcpStream) -> u32 {
    let mut b = [0u8; 6];
    tokio::time::timeout(Duration::from_secs(10), c.read_exact(&mut b))
        .await
        .expect("an ACK within 10 s")
        .expect("an ACK, not EOF");
    assert_eq!(&b[..2], b"2A", "{b:?}");
    u32::from_be_bytes([b[2], b[3], b[4], b[5]])
}

async fn next_batch(s: &mut Started) -> EventBatch {
    tokio::time::timeout(Duration::from_secs(10), s.rx.recv())
        .await
        .expect("a batch within 10 s")
        .expect("the source is running")
}

/// True when the peer closed: EOF (or a reset) within 10 s.
async fn closed(c: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), c.read(&mut b)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn windows_are_acked_only_after_the_pipeline_lets_go() {
    let mut s = beats("").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    // pylogbeat style: sequence numbers keep counting across windows.
    c.write_all(&window(1, &docs(1, 3), WindowEncoding::Compressed(3)))
        .await
        .unwrap();
    let batch = next_batch(&mut s).await;
    assert_eq!(batch.len(), 3);
    assert_eq!(
        batch[2].fields().get("message"),
        Some(&Value::from("event 3"))
    );
    let host = batch[0]
        .fields()
        .get("host")
        .and_then(Value::as_object)
        .unwrap();
    assert_eq!(host.get("ip"), Some(&Value::from("127.0.0.1")));
    assert!(batch[0].fields().get("@timestamp").is_some());
    // While the batch is held, no ACK may arrive.
    let mut b = [0u8; 6];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), c.read_exact(&mut b))
            .await
            .is_err(),
        "ACK before the events were released"
    );
    drop(batch);
    assert_eq!(read_ack(&mut c).await, 3);
    // go-lumber style: the next window restarts at 1, uncompressed.
    c.write_all(&window(1, &docs(4, 2), WindowEncoding::Plain))
        .await
        .unwrap();
    assert_eq!(next_batch(&mut s).await.len(), 2);
    assert_eq!(read_ack(&mut c).await, 2);
    assert_eq!(s.metrics.events_received.get(), 5);
    drop(c);
    s.shutdown.cancel();
    s.handle.await.unwrap();
}

#[tokio::test]
async fn keepalive_acks_zero_while_a_window_waits() {
    let mut s = beats("ack_keepalive = \"100ms\"").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(&window(1, &docs(1, 2), WindowEncoding::Compressed(1)))
        .await
        .unwrap();
    let batch = next_batch(&mut s).await;
    assert_eq!(read_ack(&mut c).await, 0, "first keepalive");
    assert_eq!(read_ack(&mut c).await, 0, "second keepalive");
    drop(batch);
    // Keepalives may still be in flight; the real ACK follows them.
    let mut seq = read_ack(&mut c).await;
    while seq == 0 {
        seq = read_ack(&mut c).await;
    }
    assert_eq!(seq, 2);
    assert!(s.metrics.acks_counter("keepalive").get() >= 2);
    assert_eq!(s.metrics.acks_counter("ack").get(), 1);
}

#[tokio::test]
async fn a_failed_sink_closes_instead_of_acking() {
    let mut s = beats("").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(&window(1, &docs(1, 2), WindowEncoding::Plain))
        .await
        .unwrap();
    let batch = next_batch(&mut s).await;
    batch[0]
        .meta()
        .ack
        .as_ref()
        .unwrap()
        .update(BatchStatus::Errored);
    drop(batch);
    let mut b = [0u8; 6];
    let got = tokio::time::timeout(Duration::from_secs(10), c.read(&mut b))
        .await
        .unwrap();
    assert!(
        matches!(got, Ok(0) | Err(_)),
        "expected a close, got {got:?} {b:?}"
    );
}

#[tokio::test]
async fn hostile_frames_close_only_their_own_connection() {
    let mut s =
        beats("max_frame_bytes = \"64KiB\"\nmax_inflated_bytes = \"256KiB\"\nmax_window = 100")
            .await;
    let mut good = TcpStream::connect(s.addr).await.unwrap();
    let attacks: Vec<Vec<u8>> = vec![
        // A 4 GiB length claim.
        b"2W\0\0\0\x01\x32J\0\0\0\x01\xff\xff\xff\xff".to_vec(),
        // A compressed block inside a compressed block.
        {
            let inner = window(1, &docs(1, 1), WindowEncoding::Compressed(1));
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&inner[6..]).unwrap();
            let block = z.finish().unwrap();
            let mut w = b"2W\0\0\0\x01\x32C".to_vec();
            w.extend_from_slice(&(block.len() as u32).to_be_bytes());
            w.extend_from_slice(&block);
            w
        },
        // A zlib bomb: 8 MiB of zeros in a few KiB.
        {
            let mut plain = b"2J\0\0\0\x01\0\x80\0\0".to_vec();
            plain.resize(8 << 20, 0);
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&plain).unwrap();
            let block = z.finish().unwrap();
            let mut w = b"2W\0\0\0\x01\x32C".to_vec();
            w.extend_from_slice(&(block.len() as u32).to_be_bytes());
            w.extend_from_slice(&block);
            w
        },
        // An unknown frame type, and a window over max_window.
        b"2Q\0\0\0\0".to_vec(),
        b"2W\0\0\x10\0".to_vec(),
    ];
    for (i, a) in attacks.iter().enumerate() {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(a).await.unwrap();
        assert!(closed(&mut c).await, "attack {i} left its connection open");
    }
    assert_eq!(
        s.metrics.error_counter(ErrorType::Protocol).get(),
        attacks.len() as u64
    );
    // The well-behaved connection, open all along, still works.
    good.write_all(&window(1, &docs(1, 1), WindowEncoding::Compressed(3)))
        .await
        .unwrap();
    drop(next_batch(&mut s).await);
    assert_eq!(read_ack(&mut good).await, 1);
}

#[tokio::test]
async fn a_window_cut_short_is_not_delivered() {
    let mut s = beats("").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let mut wire = window(1, &docs(1, 5), WindowEncoding::Plain);
    // Announce 5, send 3, hang up.
    let keep = 6 + 3 * (10 + docs(1, 1)[0].len());
    wire.truncate(keep);
    c.write_all(&wire).await.unwrap();
    drop(c);
    s.shutdown.cancel();
    let got = crate::test_support::collect(&mut s.rx).await;
    assert!(
        got.is_empty(),
        "{} events of an unacked window delivered",
        got.len()
    );
    s.handle.await.unwrap();
    assert_eq!(
        s.metrics.dropped_counter(DropReason::UnackedWindow).get(),
        3
    );
}

#[tokio::test]
async fn v1_data_frames_and_bad_json() {
    let mut s = beats("").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let mut wire = b"2W\0\0\0\x02".to_vec();
    wire.extend_from_slice(b"1D\0\0\0\x01\0\0\0\x02");
    for (k, v) in [("line", "from v1"), ("host", "legacy-host")] {
        wire.extend_from_slice(&(k.len() as u32).to_be_bytes());
        wire.extend_from_slice(k.as_bytes());
        wire.extend_from_slice(&(v.len() as u32).to_be_bytes());
        wire.extend_from_slice(v.as_bytes());
    }
    wire.extend_from_slice(b"2J\0\0\0\x02\0\0\0\x08not json");
    c.write_all(&wire).await.unwrap();
    let batch = next_batch(&mut s).await;
    assert_eq!(
        batch[0].fields().get("message"),
        Some(&Value::from("from v1"))
    );
    // A string host is the client's and stays as sent.
    assert_eq!(
        batch[0].fields().get("host"),
        Some(&Value::from("legacy-host"))
    );
    assert_eq!(
        batch[0].meta().metadata.get("ip_address"),
        Some(&Value::from("127.0.0.1"))
    );
    assert!(batch[1].has_tag("_jsonparsefailure"));
    assert_eq!(
        batch[1].fields().get("message"),
        Some(&Value::from("not json"))
    );
    drop(batch);
    assert_eq!(read_ack(&mut c).await, 2);
    assert_eq!(s.metrics.error_counter(ErrorType::Parse).get(), 1);
}

use std::io::Write;

/// Issue 10: one connection that announced a big window and sent 300 MiB without
/// finishing it held all of it. A window is now bounded in bytes, and so are all
/// connections' unfinished windows together; past either, the connection is closed and
/// nothing of the window is delivered (the client resends it).
#[tokio::test]
async fn unfinished_windows_are_bounded_in_bytes() {
    let mut s = beats(
        "max_frame_bytes=\"2KiB\"\nmax_inflated_bytes=\"2KiB\"\nmax_window_bytes=\"4KiB\"\nmax_inflight_bytes=\"4KiB\"",
    )
    .await;
    let big: Vec<Vec<u8>> = (0..8)
        .map(|i| format!(r#"{{"message":"{}","n":{i}}}"#, "x".repeat(1000)).into_bytes())
        .collect();
    // A window of 8 events of 1 KiB: over max_window_bytes after 4.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(&window(1, &big, WindowEncoding::Plain))
        .await
        .unwrap();
    assert!(closed(&mut c).await, "the connection stays open");
    assert!(s.metrics.error_counter(ErrorType::Protocol).get() >= 1);
    // Two connections whose unfinished windows fit alone but not together: one of them
    // is closed once it has waited for room.
    let part: Vec<Vec<u8>> = big[..3].to_vec();
    let mut w = window(1, &part, WindowEncoding::Plain);
    // Announce 4, send 3: unfinished.
    w[2..6].copy_from_slice(&4u32.to_be_bytes());
    let mut a = TcpStream::connect(s.addr).await.unwrap();
    a.write_all(&w).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut b = TcpStream::connect(s.addr).await.unwrap();
    b.write_all(&w).await.unwrap();
    assert!(closed(&mut b).await, "the second connection waits forever");
    drop(a);
    // Nothing of the unfinished windows was delivered.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), s.rx.recv())
            .await
            .is_err(),
        "an unfinished window was delivered"
    );
}

/// Issue 10: a Lumberjack v1 window (`1W`, `1D` frames, as logstash-forwarder sends) used
/// to be acknowledged with a v2 `2A`, which a v1 client does not read.
#[tokio::test]
async fn a_v1_window_is_acknowledged_in_v1() {
    let mut s = beats("").await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let mut wire = b"1W\0\0\0\x01".to_vec();
    wire.extend_from_slice(b"1D\0\0\0\x07\0\0\0\x01");
    wire.extend_from_slice(&4u32.to_be_bytes());
    wire.extend_from_slice(b"line");
    wire.extend_from_slice(&2u32.to_be_bytes());
    wire.extend_from_slice(b"v1");
    c.write_all(&wire).await.unwrap();
    drop(next_batch(&mut s).await);
    let mut b = [0u8; 6];
    tokio::time::timeout(Duration::from_secs(10), c.read_exact(&mut b))
        .await
        .expect("an ACK within 10 s")
        .unwrap();
    assert_eq!(&b, b"1A\0\0\0\x07");
}
