use crate::test_support::{collect, source_config};
use crate::SourceConfig;
use sluice_core::ComponentMetrics;
use sluice_core::ErrorType;
use sluice_event::{EventBatch, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn cfg(mode: &str, extra: &str) -> SourceConfig {
    source_config(&format!(
        "type=\"syslog\"\nmode=\"{mode}\"\naddress=\"127.0.0.1:0\"\n{extra}"
    ))
}

async fn start(
    c: SourceConfig,
) -> (
    SocketAddr,
    mpsc::Receiver<EventBatch>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
    ComponentMetrics,
) {
    let s = crate::test_support::start(c, 1024).await;
    (s.addr, s.rx, s.shutdown, s.handle, s.metrics)
}

/// RFC 6587 octet-counted frame.
fn oc(m: &str) -> String {
    format!("{} {m}", m.len())
}

fn msg(e: &sluice_event::Event) -> &str {
    e.fields()["message"].as_str().unwrap()
}

#[tokio::test]
async fn tcp_mixed_framing_oversize_and_drain_on_shutdown() {
    let (addr, mut rx, shutdown, h, metrics) = start(cfg("tcp", "max_message_bytes = 100")).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let long = format!("<13>Nov 24 21:09:25 h app: {}\n", "y".repeat(300));
    let stream = format!(
        "{}<158>pyapp: two\x00<13>three\n{long}<13>four\n<999>bad pri\n",
        oc("<14>1 - h a - - - one\n")
    );
    s.write_all(stream.as_bytes()).await.unwrap();
    s.flush().await.unwrap();
    // Shutdown right after sending: everything sent must still arrive.
    tokio::time::sleep(Duration::from_millis(50)).await;
    shutdown.cancel();
    drop(h.await);
    let evs = collect(&mut rx).await;
    let msgs: Vec<&str> = evs.iter().map(msg).collect();
    assert_eq!(msgs.len(), 6, "{msgs:?}");
    assert_eq!(&msgs[..3], ["one", "two", "three"]);
    assert!(
        evs[3].has_tag("_truncated") && msgs[3].len() < 100,
        "{:?}",
        msgs[3]
    );
    assert_eq!(msgs[4], "four");
    assert!(evs[5].has_tag("_syslogparsefailure"));
    assert_eq!(msgs[5], "<999>bad pri");
    assert_eq!(metrics.events_received.get(), 6);
    assert_eq!(metrics.events_sent.get(), 6);
    assert_eq!(metrics.error_counter(ErrorType::Parse).get(), 1);
    assert_eq!(metrics.error_counter(ErrorType::Oversize).get(), 1);
    assert_eq!(
        evs[0].fields()["host"].as_object().unwrap()["ip"],
        Value::from("127.0.0.1")
    );
}

#[tokio::test]
async fn tcp_garbage_does_not_stop_the_listener() {
    let (addr, mut rx, shutdown, h, _m) = start(cfg("tcp", "framing = \"octet_counting\"")).await;
    let mut bad = tokio::net::TcpStream::connect(addr).await.unwrap();
    bad.write_all(b"\xff\xfe garbage without a count\n")
        .await
        .unwrap();
    let mut good = tokio::net::TcpStream::connect(addr).await.unwrap();
    good.write_all(oc("<13>1 - - - -").as_bytes())
        .await
        .unwrap();
    good.write_all(oc("<13>1 - h a p m - ok").as_bytes())
        .await
        .unwrap();
    good.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();
    drop(h.await);
    let evs = collect(&mut rx).await;
    assert_eq!(
        evs.iter().map(msg).collect::<Vec<_>>(),
        ["<13>1 - - - -", "ok"]
    );
    assert!(evs[0].has_tag("_syslogparsefailure"));
}

#[tokio::test]
async fn udp_datagrams_and_truncation() {
    let (addr, mut rx, shutdown, h, metrics) = start(cfg("udp", "max_message_bytes = 64")).await;
    let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    s.send_to(
        b"<134>1 2026-11-24T12:00:00.123Z web1 django 42 - - hello",
        addr,
    )
    .await
    .unwrap();
    s.send_to(&[b'x'; 200], addr).await.unwrap();
    s.send_to(b"<13>Nov 24 21:09:25 host app[7]: 3164", addr)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();
    drop(h.await);
    let evs = collect(&mut rx).await;
    assert_eq!(evs.len(), 3);
    assert_eq!(msg(&evs[0]), "hello");
    assert_eq!(
        evs[0].fields()["@timestamp"],
        Value::Timestamp("2026-11-24T12:00:00.123Z".parse().unwrap())
    );
    assert!(evs[1].has_tag("_truncated") && evs[1].has_tag("_syslogparsefailure"));
    assert_eq!(msg(&evs[1]).len(), 64);
    assert_eq!(msg(&evs[2]), "3164");
    assert_eq!(metrics.events_received.get(), 3);
}

/// Issue 10: idle sockets up to `max_connections` locked every new sender out until
/// `idle_timeout` (10 min), with no log and no metric. Now the idlest one is shed to make
/// room, and it is counted.
#[tokio::test]
async fn idle_connections_are_shed_to_make_room_for_a_sender() {
    let (addr, mut rx, shutdown, h, metrics) = start(cfg("tcp", "max_connections = 2")).await;
    let mut idle1 = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut idle2 = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"<13>Nov 24 12:00:00 h app: gets in\n")
        .await
        .unwrap();
    let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the new sender is served within 5 s")
        .unwrap();
    assert_eq!(msg(&batch[0]), "gets in");
    assert!(metrics.error_counter(ErrorType::ConnectionLimit).get() >= 1);
    // One of the idle connections was closed by the server (EOF).
    let eof = |c: &mut tokio::net::TcpStream| {
        let mut b = [0u8; 1];
        let r = c.try_read(&mut b);
        matches!(r, Ok(0))
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        eof(&mut idle1) || eof(&mut idle2),
        "no idle connection was shed"
    );
    drop(s);
    shutdown.cancel();
    drop(h.await);
}
