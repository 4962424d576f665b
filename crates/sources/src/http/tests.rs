//! The HTTP source over a real socket with hand-written HTTP/1.1 requests. curl drives
//! it end to end in tests/tests/http.rs.

use crate::test_support::{source_config, start, Started};
use sluice_core::ErrorType;
use sluice_event::{BatchStatus, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn http(extra: &str, capacity: usize) -> Started {
    start(
        source_config(&format!(
            "type=\"http\"\naddress=\"127.0.0.1:0\"\npath=\"/logs\"\nmax_body_bytes=\"4KiB\"\n{extra}"
        )),
        capacity,
    )
    .await
}

/// Sends one request (Connection: close) and returns (status, body).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> (u16, String) {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut out))
        .await
        .expect("a response within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test]
async fn answers_200_only_after_the_events_are_released() {
    let mut s = http("", 8).await;
    // An empty body is accepted at once.
    assert_eq!(request(s.addr, "POST", "/logs", "", b"").await.0, 200);
    let body =
        b"{\"message\":\"a\",\"@timestamp\":\"2026-11-24T12:00:00Z\"}\n{\"message\":\"b\"}\n";
    let pending = tokio::spawn(request(s.addr, "POST", "/logs", "", body));
    let batch = tokio::time::timeout(Duration::from_secs(10), s.rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[1].fields().get("message"), Some(&Value::from("b")));
    assert_eq!(
        batch[0]
            .timestamp()
            .map(|t| sluice_event::timestamp::format_rfc3339(&t)),
        Some("2026-11-24T12:00:00.000Z".into())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !pending.is_finished(),
        "answered before the events were written"
    );
    drop(batch);
    let (status, body) = pending.await.unwrap();
    assert_eq!((status, body.trim()), (200, "{\"accepted\":2}"));
}

#[tokio::test]
async fn refusals_carry_the_right_status_and_reason() {
    let s = http("auth = { bearer_token = \"s3cret\" }", 8).await;
    let auth = "Authorization: Bearer s3cret\r\n";
    let (st, _) = request(s.addr, "POST", "/logs", "", b"{}").await;
    assert_eq!(st, 401);
    let (st, _) = request(
        s.addr,
        "POST",
        "/logs",
        "Authorization: Bearer wrong\r\n",
        b"{}",
    )
    .await;
    assert_eq!(st, 401);
    let (st, _) = request(s.addr, "GET", "/logs", auth, b"").await;
    assert_eq!(st, 405);
    let (st, _) = request(s.addr, "POST", "/other", auth, b"{}").await;
    assert_eq!(st, 404);
    let (st, body) = request(s.addr, "POST", "/logs", auth, b"{\"a\":1}\nnot json\n").await;
    assert_eq!(st, 400);
    assert!(body.contains("line 2"), "{body}");
    let (st, _) = request(s.addr, "POST", "/logs", auth, &vec![b' '; 5000]).await;
    assert_eq!(st, 413);
    let (st, _) = request(
        s.addr,
        "POST",
        "/logs",
        &format!("{auth}Content-Encoding: br\r\n"),
        b"x",
    )
    .await;
    assert_eq!(st, 415);
    assert_eq!(s.metrics.error_counter(ErrorType::Unauthorized).get(), 2);
    assert_eq!(
        s.metrics.events_received.get(),
        0,
        "nothing of a refused request is taken"
    );
}

#[tokio::test]
async fn gzip_bodies_and_a_bomb() {
    use std::io::Write;
    let mut s = http("", 8).await;
    let addr = s.addr;
    let gz = |data: &[u8]| {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    };
    let h = "Content-Encoding: gzip\r\n";
    let (st, _) = request(s.addr, "POST", "/logs", h, &gz(&vec![b'\n'; 1 << 20])).await;
    assert_eq!(st, 413, "1 MiB inflated is over 4 KiB");
    let ok = gz(b"[{\"message\":\"zipped\"}]");
    let r = tokio::spawn(async move {
        request(addr, "POST", "/logs", "Content-Encoding: gzip\r\n", &ok).await
    });
    let batch = s.rx.recv().await.unwrap();
    assert_eq!(
        batch[0].fields().get("message"),
        Some(&Value::from("zipped"))
    );
    drop(batch);
    assert_eq!(r.await.unwrap().0, 200);
}

#[tokio::test]
async fn a_full_pipeline_gets_429_and_a_failed_sink_503() {
    let mut s = http("", 1).await;
    // The first request fills the one-batch channel; nobody reads it yet.
    let first = tokio::spawn(request(s.addr, "POST", "/logs", "", b"{\"n\":1}"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (st, _) = request(s.addr, "POST", "/logs", "", b"{\"n\":2}").await;
    assert_eq!(st, 429);
    assert_eq!(s.metrics.error_counter(ErrorType::Backpressure).get(), 1);
    let batch = s.rx.recv().await.unwrap();
    batch[0]
        .meta()
        .ack
        .as_ref()
        .unwrap()
        .update(BatchStatus::Errored);
    drop(batch);
    assert_eq!(first.await.unwrap().0, 503);
}

/// Issue 10: slow-loris clients (headers or a body that never finish) and idle kept-alive
/// sockets used to stay open for as long as they liked.
#[tokio::test]
async fn slow_headers_slow_bodies_and_idle_keepalives_are_cut_off() {
    let s = http("header_timeout=\"300ms\"\nbody_timeout=\"300ms\"", 8).await;
    // Headers that never end: the connection is closed.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"POST /logs HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "slow headers kept the connection open");
    // A body that never arrives: 408.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"m\":")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert_eq!(s.metrics.error_counter(ErrorType::Timeout).get(), 1);
    // An idle kept-alive connection after a request: closed too.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "an idle keep-alive stayed open");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 404"));
}

/// Issue 10: an 8 MB body of a million tiny objects grew memory by 620 MB. Too many
/// events are refused before parsing; bodies in flight across connections are bounded.
#[tokio::test]
async fn event_counts_and_bodies_in_flight_are_bounded() {
    let s = http("max_events_per_request=100\nmax_inflight_bytes=\"4KiB\"", 8).await;
    let many = format!("[{}{{}}]", "{\"m\":1},".repeat(200));
    let (code, body) = request(s.addr, "POST", "/logs", "", many.as_bytes()).await;
    assert_eq!(code, 413, "{body}");
    assert!(
        body.contains("201 events") && body.contains("max_events_per_request"),
        "{body}"
    );
    // One request holds the whole in-flight budget while its body trickles in: the next
    // is told to retry.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (code, body) = request(s.addr, "POST", "/logs", "", b"{\"m\":1}\n").await;
    assert_eq!(code, 429, "{body}");
    assert!(body.contains("max_inflight_bytes"), "{body}");
    drop(slow);
}
