//! Load generator for the whole-process benchmark: N varied ~200-byte RFC 5424 messages
//! over one TCP connection (newline framing), written in 1 MiB chunks. Loopback only.
//!
//! usage: sluice-loadgen HOST:PORT COUNT [rfc5424|rfc3164]

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
        "rfc3164" => {
            let _ = writeln!(out, "<{pri}>Nov 24 12:{m:02}:{s:02} web-{host:02} {app}[{}]: {w1} {w2} id={i:010} response_time:{}ms path=/api/v1/items/{} status=200 bytes=5120 ua=Mozilla/5.0", 1000 + i % 5000, i % 3000, i % 9973);
        }
        _ => {
            let _ = writeln!(out, "<{pri}>1 2026-11-24T12:{m:02}:{s:02}.{ms:03}Z web-{host:02}.example.com {app} {} REQ{} [req@32473 id=\"r-{i:08x}\" seq=\"{i}\"] {w1} {w2} response_time:{}ms path=/api/v1/items/{} status=200", 1000 + i % 5000, i % 10, i % 3000, i % 9973);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: sluice-loadgen HOST:PORT COUNT [rfc5424|rfc3164]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("HOST:PORT");
    assert!(addr.ip().is_loopback(), "loopback only");
    let count: u64 = args[2].parse().expect("COUNT");
    let fmt = args.get(3).map(String::as_str).unwrap_or("rfc5424");
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
