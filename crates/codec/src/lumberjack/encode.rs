//! The client side of the protocol, for tests and the load generator, and the server's
//! ACK frame.

use flate2::write::ZlibEncoder;
use flate2::Compression;
use std::io::Write;

/// How [`encode_window`] packs the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowEncoding {
    /// `J` frames, uncompressed.
    Plain,
    /// One `C` block of `J` frames at this zlib level (Filebeat's default is 3).
    Compressed(u32),
}

/// `2A <seq>`: everything up to `seq` is accepted.
pub fn encode_ack(seq: u32) -> [u8; 6] {
    encode_ack_version(b'2', seq)
}

/// `<version>A <seq>`: the ACK of a window sent with protocol `version` (`b'1'`, `b'2'`);
/// a Lumberjack v1 client does not understand a `2A`.
pub fn encode_ack_version(version: u8, seq: u32) -> [u8; 6] {
    let s = seq.to_be_bytes();
    [version, b'A', s[0], s[1], s[2], s[3]]
}

fn json_frame(out: &mut Vec<u8>, seq: u32, doc: &[u8]) {
    out.extend_from_slice(b"2J");
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&(doc.len() as u32).to_be_bytes());
    out.extend_from_slice(doc);
}

/// Appends a `W` frame and the window's events (sequence number, JSON document).
pub fn encode_window(out: &mut Vec<u8>, events: &[(u32, &[u8])], encoding: WindowEncoding) {
    out.extend_from_slice(b"2W");
    out.extend_from_slice(&(events.len() as u32).to_be_bytes());
    match encoding {
        WindowEncoding::Plain => {
            for (seq, doc) in events {
                json_frame(out, *seq, doc);
            }
        }
        WindowEncoding::Compressed(level) => {
            let mut plain = Vec::new();
            for (seq, doc) in events {
                json_frame(&mut plain, *seq, doc);
            }
            let mut z = ZlibEncoder::new(Vec::new(), Compression::new(level));
            // Writing into a Vec cannot fail.
            let _ = z.write_all(&plain);
            let block = z.finish().unwrap_or_default();
            out.extend_from_slice(b"2C");
            out.extend_from_slice(&(block.len() as u32).to_be_bytes());
            out.extend_from_slice(&block);
        }
    }
}
