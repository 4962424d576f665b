//! A `_bulk` endpoint that accepts everything and keeps nothing: what the Elasticsearch
//! sink costs without Elasticsearch's own cost. `GET /count` answers how many items it
//! has accepted. Loopback only.
//!
//! usage: sluice-null-es PORT

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn serve(conn: TcpStream, total: &AtomicU64) -> std::io::Result<()> {
    // Head and body go out in one write, without Nagle: otherwise each answer waits
    // for a delayed ACK (40 ms), and that would be measured instead of the sink.
    conn.set_nodelay(true)?;
    let mut r = BufReader::new(conn.try_clone()?);
    let mut w = conn;
    let mut answer = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_owned();
        let (mut len, mut gzip) = (0usize, false);
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 {
                return Ok(());
            }
            if h == "\r\n" {
                break;
            }
            let l = h.to_ascii_lowercase();
            if let Some(v) = l.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if l.starts_with("content-encoding:") && l.contains("gzip") {
                gzip = true;
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        answer.clear();
        if path.starts_with("/count") {
            answer.extend_from_slice(total.load(Ordering::Relaxed).to_string().as_bytes());
        } else if path.starts_with("/_bulk") {
            let lines = if gzip {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain)?;
                memchr_count(&plain)
            } else {
                memchr_count(&body)
            };
            let items = lines / 2;
            answer.extend_from_slice(b"{\"errors\":false,\"items\":[");
            for i in 0..items {
                if i > 0 {
                    answer.push(b',');
                }
                answer.extend_from_slice(b"{\"index\":{\"status\":201}}");
            }
            answer.extend_from_slice(b"]}");
            total.fetch_add(items as u64, Ordering::Relaxed);
        } else {
            answer.extend_from_slice(b"{\"version\":{\"number\":\"8.15.0\"}}");
        }
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        )
        .into_bytes();
        out.extend_from_slice(&answer);
        w.write_all(&out)?;
    }
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: sluice-null-es PORT");
    let l = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
    let total = Arc::new(AtomicU64::new(0));
    for c in l.incoming().flatten() {
        let t = total.clone();
        std::thread::spawn(move || {
            let _ = serve(c, &t);
        });
    }
}
