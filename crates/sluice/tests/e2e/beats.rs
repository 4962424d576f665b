//! Beats and JSON lines with real third-party clients against the real binary:
//! pylogbeat, python-logstash-async (Beats and TCP transports), python-logstash.

use crate::support::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const PIPE: &str = r#"
[sources.beats]
type = "beats"
address = "127.0.0.1:{PORT}"
max_frame_bytes = "1MiB"
max_inflated_bytes = "8MiB"
[sources.json]
type = "json_lines"
address = "127.0.0.1:{JSON_PORT}"
[sinks.out]
type = "file"
inputs = ["beats", "json"]
path = "out.log"
"#;

fn start() -> (Server, u16) {
    let json_port = free_port();
    let s = Server::start(&PIPE.replace("{JSON_PORT}", &json_port.to_string()));
    (s, json_port)
}

fn wait_lines(s: &Server, n: usize) -> Vec<Value> {
    s.wait_for(30, &format!("{n} lines"), || {
        read_json_lines(&s.data("out.log")).len() >= n
    });
    // A moment more, so that duplicates (if any) would show up too.
    std::thread::sleep(Duration::from_millis(300));
    read_json_lines(&s.data("out.log"))
}

/// Every (client, seq) pair of `clients` x 1..=count exactly once.
fn assert_exactly_once(lines: &[Value], clients: u64, count: u64) {
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    for l in lines {
        if let (Some(c), Some(q)) = (l["client"].as_u64(), l["seq"].as_u64()) {
            *seen.entry((c, q)).or_default() += 1;
        }
    }
    for c in 0..clients {
        for q in 1..=count {
            assert_eq!(
                seen.get(&(c, q)).copied().unwrap_or(0),
                1,
                "client {c} seq {q}"
            );
        }
    }
    assert_eq!(lines.len() as u64, clients * count, "no extra lines");
}

#[test]
fn pylogbeat_3000_events_in_windows_of_250_are_acked_and_written_once() {
    if !have_py("pylogbeat") {
        return;
    }
    let (s, _) = start();
    let out = py_client("beats_send.py", &format!("{} 3000 250", s.port));
    assert!(out.contains("\"sent\": 3000"), "{out}");
    let lines = wait_lines(&s, 3000);
    assert_exactly_once(&lines, 1, 3000);
    let first = &lines[0];
    assert_eq!(first["@timestamp"], "2026-11-24T12:00:00.000Z");
    assert_eq!(first["host"]["ip"], "127.0.0.1");
    assert!(
        first.get("@metadata").is_none(),
        "@metadata is never written"
    );
    // pylogbeat returns only after the ACK of each window: 12 windows, 12 ACKs.
    assert_eq!(
        s.metric(r#"sluice_acks_sent_total{component="beats",component_type="beats",kind="ack"}"#),
        12.0
    );
    assert_eq!(
        s.metric(r#"sluice_events_received_total{component="beats",component_type="beats"}"#),
        3000.0
    );
}

#[test]
fn parallel_clients_and_a_cut_window_deliver_exactly_once() {
    if !have_py("pylogbeat") {
        return;
    }
    let (s, _) = start();
    py_client(
        "beats_send.py",
        &format!("{} 500 100 --connections 3 --cut-first", s.port),
    );
    let lines = wait_lines(&s, 1500);
    assert_exactly_once(&lines, 3, 500);
    s.wait_for(10, "the cut window counted", || {
        s.metric(r#"sluice_events_dropped_total{component="beats",component_type="beats",reason="unacked_window"}"#) == 50.0
    });
}

#[test]
fn python_logstash_async_beats_and_tcp_transports() {
    if !have_py("logstash_async") {
        return;
    }
    let (s, json_port) = start();
    py_client("logstash_async_send.py", &format!("{} 200 beats", s.port));
    py_client("logstash_async_send.py", &format!("{json_port} 200 tcp"));
    let lines = wait_lines(&s, 400);
    assert_eq!(lines.len(), 400);
    for kind in ["beats", "tcp"] {
        let mine: Vec<&Value> = lines
            .iter()
            .filter(|l| l["extra"]["test_run"] == kind)
            .collect();
        let mut seqs: Vec<u64> = mine
            .iter()
            .map(|l| l["extra"]["seq"].as_u64().unwrap())
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>(), "{kind}");
        let l = mine[0];
        assert!(l["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("logstash-async {kind} ")));
        assert_eq!(l["level"], "INFO");
        assert!(l["@timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(l
            .get("tags")
            .is_some_and(|t| t.to_string().contains("client-test")));
    }
}

#[test]
fn json_lines_keep_what_is_not_json() {
    let (s, json_port) = start();
    let mut c = TcpStream::connect(("127.0.0.1", json_port)).unwrap();
    c.write_all(
        b"{\"message\":\"good\",\"n\":1}\nplain text line\n[1,2,3]\n{\"message\":\"last\"}\n",
    )
    .unwrap();
    drop(c);
    let lines = wait_lines(&s, 4);
    let tagged: Vec<&Value> = lines
        .iter()
        .filter(|l| l["tags"].to_string().contains("_jsonparsefailure"))
        .collect();
    assert_eq!(tagged.len(), 2, "{lines:#?}");
    assert!(lines.iter().any(|l| l["message"] == "plain text line"));
    assert!(lines.iter().any(|l| l["message"] == "good" && l["n"] == 1));
    assert_eq!(
        s.metric(r#"sluice_component_errors_total{component="json",component_type="json_lines",error_type="parse"}"#),
        2.0
    );
}

fn zlib_block(plain: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(plain).unwrap();
    let block = z.finish().unwrap();
    let mut w = b"2W\0\0\0\x01\x32C".to_vec();
    w.extend_from_slice(&(block.len() as u32).to_be_bytes());
    w.extend_from_slice(&block);
    w
}

/// Sends `bytes` and reports whether the server then closed the connection.
fn closes_after(port: u16, bytes: &[u8]) -> bool {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = c.write_all(bytes);
    let mut b = [0u8; 16];
    matches!(c.read(&mut b), Ok(0) | Err(_)) && !matches!(c.read(&mut b), Ok(n) if n > 0)
}

#[test]
fn bomb_nested_block_and_4gib_claim_close_only_their_connection() {
    if !have_py("pylogbeat") {
        return;
    }
    let (s, _) = start();
    // A zlib bomb: 64 MiB of zeros behind a J header, about 64 KiB on the wire, against
    // max_inflated_bytes = 8MiB.
    let mut bomb_plain = b"2J\0\0\0\x01\x04\0\0\0".to_vec();
    bomb_plain.resize(64 << 20, 0);
    let bomb = zlib_block(&bomb_plain);
    drop(bomb_plain);
    assert!(bomb.len() < 1 << 20, "bomb is {} bytes", bomb.len());
    let nested = zlib_block(&zlib_block(b"2J\0\0\0\x01\0\0\0\x02{}")[6..]);
    let claim = b"2W\0\0\0\x01\x32J\0\0\0\x01\xff\xff\xff\xff".to_vec();
    for (name, attack) in [("bomb", &bomb), ("nested", &nested), ("4GiB", &claim)] {
        assert!(
            closes_after(s.port, attack),
            "{name}: connection not closed"
        );
    }
    assert_eq!(
        s.metric(r#"sluice_component_errors_total{component="beats",component_type="beats",error_type="protocol"}"#),
        3.0
    );
    let rss = s.metric("process_resident_memory_bytes");
    assert!(rss < 256.0 * 1024.0 * 1024.0, "RSS {rss} after the attacks");
    // And the server still serves a real client.
    py_client("beats_send.py", &format!("{} 10 5", s.port));
    assert_exactly_once(&wait_lines(&s, 10), 1, 10);
}
