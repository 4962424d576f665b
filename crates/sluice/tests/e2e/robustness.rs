//! Bad input, load, rotation, shutdown: what must never lose data or crash the server.

use crate::support::*;
use std::collections::HashSet;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};

#[test]
fn random_bytes_invalid_utf8_and_bad_pri_leave_it_serving() {
    let mut s = Server::start(
        r#"
[sources.udp]
type = "syslog"
mode = "udp"
address = "127.0.0.1:{PORT}"
max_message_bytes = 1024
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
max_message_bytes = 1024
[sinks.out]
type = "file"
inputs = ["udp", "tcp"]
path = "out.log"
"#,
    );
    let mut rng = Lcg(42);
    // A burst of garbage over several TCP connections, with every framing mode's bytes.
    for c in 0..20 {
        let mut t = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        let junk: Vec<u8> = (0..20_000 + c * 997).map(|_| rng.next_byte()).collect();
        let _ = t.write_all(&junk);
        let _ = t.write_all(b"\n99999999999 <13>x\n<999>bad pri\n<13>\xff\xfe\xfd invalid utf8\n");
    }
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..200 {
        let n = (i * 37) % 3000;
        let junk: Vec<u8> = (0..n).map(|_| rng.next_byte()).collect();
        u.send_to(&junk, ("127.0.0.1", s.port)).unwrap();
    }
    // Still serving: a valid message afterwards arrives intact.
    let mut t = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    t.write_all(b"<134>1 2026-11-24T12:00:00.123Z web1 app 1 - - still alive\n")
        .unwrap();
    drop(t);
    s.wait_for(30, "the valid message", || {
        std::fs::read_to_string(s.data("out.log"))
            .unwrap_or_default()
            .contains("still alive")
    });
    let lines = read_json_lines(&s.data("out.log"));
    let failures = lines
        .iter()
        .filter(|l| {
            l["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "_syslogparsefailure"))
        })
        .count();
    assert!(
        failures > 100,
        "garbage is kept and tagged, not dropped: {failures}"
    );
    assert!(lines.iter().any(|l| l["message"] == "<999>bad pri"));
    assert!(lines.iter().any(|l| l["message"]
        .as_str()
        .is_some_and(|m| m.contains("invalid utf8"))));
    assert!(
        lines
            .iter()
            .all(|l| l["message"].as_str().is_some_and(|m| m.len() <= 1024 * 3)),
        "oversize cut at the limit"
    );
    let errs = s.metric(r#"sluice_component_errors_total{component="tcp",component_type="syslog",error_type="parse"}"#)
        + s.metric(r#"sluice_component_errors_total{component="udp",component_type="syslog",error_type="parse"}"#);
    assert_eq!(errs as usize, failures, "every failure counted once");
    assert_eq!(s.stop(), 0);
    assert!(!s.stderr().contains("panicked"), "{}", s.stderr());
}

const ROTATE: &str = r#"
[sources.tcp]
type = "syslog"
mode = "tcp"
address = "127.0.0.1:{PORT}"
[sinks.out]
type = "file"
inputs = ["tcp"]
path = "logs/studio.log"
max_bytes = "256KiB"
backup_count = 1000
"#;

fn send_numbered(port: u16, from: usize, to: usize) {
    let mut t = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut buf = Vec::with_capacity(1 << 20);
    for i in from..to {
        writeln!(
            buf,
            "<134>1 2026-11-24T12:00:00.000Z web1 django {i} - - request {i:07} done in 12ms"
        )
        .unwrap();
        if buf.len() > 512 * 1024 {
            t.write_all(&buf).unwrap();
            buf.clear();
        }
    }
    t.write_all(&buf).unwrap();
}

fn check_exactly_once(lines: &[serde_json::Value], n: usize) {
    let mut seen = HashSet::new();
    for l in lines {
        let pid = l["process"]["pid"]
            .as_i64()
            .unwrap_or_else(|| panic!("bad line {l}"));
        assert!(seen.insert(pid), "duplicate {pid}");
    }
    assert_eq!(seen.len(), n, "lost {} events", n - seen.len());
}

#[test]
fn sigterm_right_after_sending_writes_everything_and_exits_0() {
    let mut s = Server::start(ROTATE);
    // Four connections at once, then SIGTERM without waiting for the output.
    let port = s.port;
    let senders: Vec<_> = (0..4)
        .map(|k| std::thread::spawn(move || send_numbered(port, k * 25_000, (k + 1) * 25_000)))
        .collect();
    for h in senders {
        h.join().unwrap();
    }
    assert_eq!(s.stop(), 0, "{}", s.stderr());
    let lines = read_json_lines(&s.data("logs/studio.log"));
    check_exactly_once(&lines, 100_000);
    // Rotation happened, and no file grew past the limit.
    let files: Vec<_> = std::fs::read_dir(s.data("logs"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        files.len() > 10,
        "expected many rotations, got {}",
        files.len()
    );
    for f in files {
        assert!(f.metadata().unwrap().len() <= 256 * 1024);
    }
}

#[test]
fn metrics_pass_promtool_and_agree_with_what_was_sent() {
    let mut s = Server::start(ROTATE);
    send_numbered(s.port, 0, 5000);
    s.wait_for(20, "5000 written", || {
        s.metric(r#"sluice_events_sent_total{component="out",component_type="file"}"#) >= 5000.0
    });
    let m = s.metrics();
    for name in [
        "sluice_events_received_total",
        "sluice_bytes_received_total",
        "sluice_events_sent_total",
        "sluice_buffer_events",
        "sluice_connections_active",
        "sluice_sink_request_duration_seconds_bucket",
        "process_resident_memory_bytes",
    ] {
        assert!(m.contains(name), "{name} missing from /metrics");
    }
    assert_eq!(
        s.metric(r#"sluice_events_received_total{component="tcp",component_type="syslog"}"#),
        5000.0
    );
    assert_eq!(
        s.metric(r#"sluice_events_received_total{component="out",component_type="file"}"#),
        5000.0
    );
    assert_eq!(
        s.metric(r#"sluice_events_sent_total{component="out",component_type="file"}"#),
        5000.0
    );
    assert_eq!(
        s.metric(r#"sluice_buffer_events{component="out",component_type="file"}"#),
        0.0
    );
    if have("promtool") {
        let path = s.dir.path().join("metrics.txt");
        std::fs::write(&path, &m).unwrap();
        sh(&format!("promtool check metrics < {}", path.display()));
    }
    let (code, body) = http_get(s.admin, "/api/components").unwrap();
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["components"].as_array().unwrap().len(), 2);
    assert_eq!(http_get(s.admin, "/health").unwrap().0, 200);
    assert_eq!(s.stop(), 0);
}
