//! One record of a segment file, pure: no I/O.
//!
//! `len: u32 LE | crc32: u32 LE | payload (len bytes)`. The payload is
//! `fields_len: u32 LE | the event's fields as JSON | its @metadata as JSON`. The CRC
//! (CRC-32, IEEE) covers the payload. A record never spans two segment files.

use sluice_event::{Event, Map, Value};

/// The frame header's size.
pub const HEADER: usize = 8;
/// A length above this is not a record but damage.
pub const MAX_RECORD: usize = 256 << 20;

/// Appends `e` as one record.
pub fn encode(e: &Event, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER + 4]);
    let fields_at = out.len();
    e.write_json(out);
    let fields_len = (out.len() - fields_at) as u32;
    if !e.meta().metadata.is_empty() {
        sluice_event::write_map(&e.meta().metadata, out);
    }
    let payload = &out[start + HEADER..];
    let len = payload.len() as u32;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&fields_len.to_le_bytes());
    crc.update(&payload[4..]);
    let crc = crc.finalize();
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out[start + 8..start + 12].copy_from_slice(&fields_len.to_le_bytes());
}

/// What lies at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole record, checked: its payload and its size on disk.
    Record(&'a [u8], usize),
    /// The bytes end inside a record (a torn write at the end of a file).
    Torn,
    /// A whole frame whose checksum does not match: `skip` bytes to the next frame.
    Corrupt(usize),
    /// A length no record can have: what follows cannot be framed.
    Garbage,
}

/// Reads the frame at the start of `buf`.
pub fn frame(buf: &[u8]) -> Frame<'_> {
    if buf.len() < HEADER {
        return Frame::Torn;
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    if !(4..=MAX_RECORD).contains(&len) {
        return Frame::Garbage;
    }
    let Some(payload) = buf.get(HEADER..HEADER + len) else {
        return Frame::Torn;
    };
    if crc32fast::hash(payload) != crc {
        return Frame::Corrupt(HEADER + len);
    }
    Frame::Record(payload, HEADER + len)
}

/// The event of a checked payload. A payload that does not decode (it cannot, when the
/// checksum matched, unless written by another version) is kept as a tagged event.
pub fn decode(payload: &[u8], now: sluice_event::Timestamp) -> Event {
    let fields_len = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    let rest = &payload[4..];
    let (fields, meta) = rest.split_at(fields_len.min(rest.len()));
    let mut e = sluice_parse::json_event::event_from_json(fields, now).unwrap_or_else(|e| e);
    if !meta.is_empty() {
        if let Ok(Value::Object(m)) = Value::from_json(meta) {
            e.meta_mut().metadata = m;
        } else {
            e.meta_mut().metadata = Map::new();
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let mut e = Event::from_message("hello", chrono_now());
        e.meta_mut()
            .metadata
            .insert("beat".into(), Value::from("filebeat"));
        e
    }

    fn chrono_now() -> sluice_event::Timestamp {
        "2026-11-30T10:00:00.123Z".parse().unwrap()
    }

    #[test]
    fn a_record_round_trips_with_its_metadata_and_timestamp() {
        let mut buf = Vec::new();
        encode(&event(), &mut buf);
        let Frame::Record(payload, n) = frame(&buf) else {
            panic!("{:?}", frame(&buf))
        };
        assert_eq!(n, buf.len());
        let e = decode(payload, chrono_now());
        assert_eq!(e.timestamp(), Some(chrono_now()));
        assert_eq!(e.fields().get("message").unwrap().as_str(), Some("hello"));
        assert_eq!(
            e.meta().metadata.get("beat").unwrap().as_str(),
            Some("filebeat")
        );
    }

    #[test]
    fn torn_corrupt_and_garbage_frames_are_told_apart() {
        let mut buf = Vec::new();
        encode(&event(), &mut buf);
        let whole = buf.len();
        for cut in 0..whole {
            assert_eq!(frame(&buf[..cut]), Frame::Torn, "cut at {cut}");
        }
        let mut flipped = buf.clone();
        flipped[whole - 3] ^= 0x20;
        assert_eq!(frame(&flipped), Frame::Corrupt(whole));
        let mut garbage = buf.clone();
        garbage[3] = 0xff;
        assert_eq!(frame(&garbage), Frame::Garbage);
        assert_eq!(frame(&[0; 16]), Frame::Garbage);
    }
}
