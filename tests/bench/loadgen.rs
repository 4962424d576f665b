//! Load generator for the whole-process benchmark. Loopback only.
//!
//! usage: sluice-loadgen HOST:PORT COUNT [rfc5424|rfc3164|django]
//!        sluice-loadgen HOST:PORT COUNT beats [WINDOW]
//!
//! `django` wraps Django's verbose format (with request IDs, response times and an e-mail
//! address to redact) in RFC 5424, for the studio pipeline.
//!
//! Syslog modes: N varied ~200-byte messages over one TCP connection (newline framing),
//! written in 1 MiB chunks. Beats mode: Filebeat-like JSON events (~300 bytes) in zlib
//! windows of WINDOW (default 2048, Filebeat's bulk_max_size) at level 3, sequence numbers
//! restarting at 1 per window like go-lumber, two windows in flight (Filebeat's default
//! pipelining); it returns once the last window is ACKed, so the time covers writing.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

fn line(i: u64, fmt: &str, out: &mut Vec<u8>) {
    const APPS: [&str; 6] = ["django", "celery", "nginx", "sshd", "cron", "postgres"];
    const WORDS: [&str; 8] = [
        "request",
        "completed",
        "user",
        "login",
        "failed",
        "cache",
        "miss",
        "query",
    ];
    let app = APPS[(i % 6) as usize];
    let host = i % 17;
    let pri = 128 + (i % 8) as u8 + if i.is_multiple_of(5) { 0 } else { 8 };
    let ms = i % 1000;
    let (m, s) = ((i / 60) % 60, i % 60);
    let w1 = WORDS[(i % 8) as usize];
    let w2 = WORDS[((i / 8) % 8) as usize];
    match fmt {
        "django" => {
            const LEVELS: [&str; 5] = ["INFO", "INFO", "WARNING", "ERROR", "DEBUG"];
            let level = LEVELS[(i % 5) as usize];
            let _ = writeln!(out, "<{pri}>1 2026-11-24T12:{m:02}:{s:02}.{ms:03}Z web-{host:02} django {} - - {level} 2026-11-24 12:{m:02}:{s:02},{ms:03} views {} 1402{:02} {w1} {w2} path=/api/v1/items/{} request_id=r-{i:08x} response_time:{}ms user=u{}@example.com", 1000 + i % 5000, 1000 + i % 5000, i % 100, i % 9973, i % 3000, i % 50);
        }
        "rfc3164" => {
            let _ = writeln!(out, "<{pri}>Nov 24 12:{m:02}:{s:02} web-{host:02} {app}[{}]: {w1} {w2} id={i:010} response_time:{}ms path=/api/v1/items/{} status=200 bytes=5120 ua=Mozilla/5.0", 1000 + i % 5000, i % 3000, i % 9973);
        }
        _ => {
            let _ = writeln!(out, "<{pri}>1 2026-11-24T12:{m:02}:{s:02}.{ms:03}Z web-{host:02}.example.com {app} {} REQ{} [req@32473 id=\"r-{i:08x}\" seq=\"{i}\"] {w1} {w2} response_time:{}ms path=/api/v1/items/{} status=200", 1000 + i % 5000, i % 10, i % 3000, i % 9973);
        }
    }
}

fn beats_doc(i: u64) -> Vec<u8> {
    let mut l = Vec::with_capacity(256);
    line(i, "rfc3164", &mut l);
    let msg = String::from_utf8_lossy(&l);
    let msg = msg.trim_end().split_once(": ").map_or("", |x| x.1);
    format!(
        r#"{{"@timestamp":"2026-11-24T12:{:02}:{:02}.{:03}Z","@metadata":{{"beat":"filebeat","type":"_doc","version":"8.15.0"}},"message":"INFO 2026-11-24 12:00:00,123 views {msg}","log":{{"file":{{"path":"/var/log/studio/studio.log"}},"offset":{}}},"input":{{"type":"filestream"}},"host":{{"name":"web-{:02}"}},"agent":{{"type":"filebeat","version":"8.15.0"}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 1000,
        i * 300,
        i % 17
    )
    .into_bytes()
}

fn beats(addr: SocketAddr, count: u64, window: u64) {
    use sluice_codec::lumberjack::{encode_window, WindowEncoding};
    use std::io::Read;
    // Pre-build a cycle of compressed windows.
    let windows_needed = count.div_ceil(window);
    let cycle = windows_needed.min(64);
    let mut wires = Vec::new();
    for w in 0..cycle {
        let docs: Vec<Vec<u8>> = (0..window).map(|k| beats_doc(w * window + k)).collect();
        let events: Vec<(u32, &[u8])> = docs
            .iter()
            .enumerate()
            .map(|(k, d)| (k as u32 + 1, d.as_slice()))
            .collect();
        let mut wire = Vec::new();
        encode_window(&mut wire, &events, WindowEncoding::Compressed(3));
        wires.push(wire);
    }
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).ok();
    let t0 = Instant::now();
    let (mut sent, mut acked, mut bytes) = (0u64, 0u64, 0u64);
    let mut ack = [0u8; 6];
    while acked < windows_needed {
        while sent < windows_needed && sent < acked + 2 {
            let w = &wires[(sent % cycle) as usize];
            s.write_all(w).expect("send");
            bytes += w.len() as u64;
            sent += 1;
        }
        s.read_exact(&mut ack).expect("ack");
        assert_eq!(&ack[..2], b"2A", "not an ACK");
        if u32::from_be_bytes([ack[2], ack[3], ack[4], ack[5]]) as u64 == window {
            acked += 1;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    let n = windows_needed * window;
    println!("{{\"count\": {n}, \"bytes\": {bytes}, \"send_seconds\": {dt:.3}, \"acked_seconds\": {dt:.3}}}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: sluice-loadgen HOST:PORT COUNT [rfc5424|rfc3164|django] | beats [WINDOW]"
        );
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("HOST:PORT");
    assert!(addr.ip().is_loopback(), "loopback only");
    let count: u64 = args[2].parse().expect("COUNT");
    let fmt = args.get(3).map(String::as_str).unwrap_or("rfc5424");
    if fmt == "beats" {
        let window = args.get(4).map_or(2048, |w| w.parse().expect("WINDOW"));
        beats(addr, count, window);
        return;
    }
    // Pre-build a cycle of distinct lines so generation costs nothing during the send.
    let cycle = 100_000u64.min(count.max(1));
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(cycle as usize);
    for i in 0..cycle {
        let mut l = Vec::with_capacity(256);
        line(i, fmt, &mut l);
        lines.push(l);
    }
    let mut s = TcpStream::connect(addr).expect("connect");
    let t0 = Instant::now();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut bytes = 0u64;
    for i in 0..count {
        buf.extend_from_slice(&lines[(i % cycle) as usize]);
        if buf.len() >= (1 << 20) - 512 {
            s.write_all(&buf).expect("send");
            bytes += buf.len() as u64;
            buf.clear();
        }
    }
    s.write_all(&buf).expect("send");
    bytes += buf.len() as u64;
    s.flush().expect("flush");
    drop(s);
    let dt = t0.elapsed().as_secs_f64();
    println!("{{\"count\": {count}, \"bytes\": {bytes}, \"send_seconds\": {dt:.3}}}");
}
