//! Reading a buffer directory back: the segments, their records, and the damage. Used at
//! start (recovery) and by `sluice buffer inspect|verify|repair`.
//!
//! Damage is never fatal. A frame whose checksum fails is skipped and counted; a frame
//! that cannot be read (a torn tail, a length no record has) ends its segment there: the
//! rest of that segment is cut off (counted as one corrupt record) and reading goes on
//! with the next segment.

use crate::ledger::{self, Pos};
use crate::record::{frame, Frame};
use std::path::{Path, PathBuf};

/// The file of segment `n`.
pub fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:020}.seg"))
}

/// The segment numbers in `dir`, oldest first.
pub fn segments(dir: &Path) -> Vec<u64> {
    let mut out: Vec<u64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".seg")?.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out
}

/// One segment, as read from the start position on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Its number.
    pub id: u64,
    /// Its size on disk.
    pub bytes: u64,
    /// Where unread records start (the ledger's offset in the first segment, else 0).
    pub from: u64,
    /// Good records from `from` on.
    pub records: u64,
    /// Bad frames skipped, plus one for a cut tail.
    pub corrupt: u64,
    /// Where the readable part ends, when a tail is cut there.
    pub cut_at: Option<u64>,
}

/// A whole buffer directory, read.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Where reading starts.
    pub start: Pos,
    /// Why the ledger was not used, when it was not.
    pub ledger_problem: Option<String>,
    /// The segments from the start on.
    pub segments: Vec<Segment>,
}

impl Scan {
    /// Records waiting to be delivered.
    pub fn records(&self) -> u64 {
        self.segments.iter().map(|s| s.records).sum()
    }

    /// Bytes waiting, from the start position on.
    pub fn bytes(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.cut_at.unwrap_or(s.bytes).saturating_sub(s.from))
            .sum()
    }

    /// Damage found.
    pub fn corrupt(&self) -> u64 {
        self.segments.iter().map(|s| s.corrupt).sum()
    }
}

/// Reads one segment file from `from` on.
pub fn scan_segment(dir: &Path, id: u64, from: u64) -> std::io::Result<Segment> {
    let data = std::fs::read(segment_path(dir, id))?;
    let mut s = Segment {
        id,
        bytes: data.len() as u64,
        from: from.min(data.len() as u64),
        ..Segment::default()
    };
    let mut at = s.from as usize;
    while at < data.len() {
        match frame(&data[at..]) {
            Frame::Record(_, n) => {
                s.records += 1;
                at += n;
            }
            Frame::Corrupt(n) => {
                s.corrupt += 1;
                at += n;
            }
            Frame::Torn | Frame::Garbage => {
                s.corrupt += 1;
                s.cut_at = Some(at as u64);
                break;
            }
        }
    }
    Ok(s)
}

/// Reads a buffer directory: the ledger, then every segment from its position on.
pub fn scan(dir: &Path) -> std::io::Result<Scan> {
    let ids = segments(dir);
    let first = ids.first().copied().unwrap_or(1);
    let (start, ledger_problem) = match ledger::load(dir) {
        Ok(p) if p.segment >= first => (p, None),
        // Segments up to the ledger's were all delivered and deleted.
        Ok(p) if ids.is_empty() => (p, None),
        Ok(p) => (
            Pos {
                segment: first,
                offset: 0,
            },
            Some(format!(
                "the ledger points at segment {}, which is gone; reading from {first}",
                p.segment
            )),
        ),
        Err(why) if ids.is_empty() => (
            Pos::default(),
            Some(why).filter(|_| dir.join("ledger.json").exists()),
        ),
        Err(why) => (
            Pos {
                segment: first,
                offset: 0,
            },
            Some(format!(
                "{why}; reading every segment from the oldest (some events may be sent twice)"
            )),
        ),
    };
    let mut segments = Vec::new();
    for id in ids.into_iter().filter(|&id| id >= start.segment) {
        let from = if id == start.segment { start.offset } else { 0 };
        segments.push(scan_segment(dir, id, from)?);
    }
    Ok(Scan {
        start,
        ledger_problem,
        segments,
    })
}

/// Cuts every damaged tail found by `scan` off its file, so that a writer may append
/// after the last good record; returns how many files were cut.
pub fn repair(dir: &Path, scan: &Scan) -> std::io::Result<usize> {
    let mut n = 0;
    for s in &scan.segments {
        if let Some(at) = s.cut_at {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(segment_path(dir, s.id))?;
            f.set_len(at)?;
            f.sync_all()?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::encode;
    use sluice_event::Event;

    fn write_segment(dir: &Path, id: u64, n: usize) -> Vec<usize> {
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        for i in 0..n {
            encode(
                &Event::from_message(
                    format!("event {i}"),
                    "2026-11-30T10:00:00Z".parse().unwrap(),
                ),
                &mut buf,
            );
            ends.push(buf.len());
        }
        std::fs::write(segment_path(dir, id), &buf).unwrap();
        ends
    }

    #[test]
    fn torn_tails_flipped_bytes_and_a_bad_ledger_are_survived() {
        let d = tempfile::tempdir().unwrap();
        let ends1 = write_segment(d.path(), 1, 10);
        let ends2 = write_segment(d.path(), 2, 10);
        // A byte flipped in record 4 of segment 1; segment 2 torn inside record 8.
        let p1 = segment_path(d.path(), 1);
        let mut b = std::fs::read(&p1).unwrap();
        b[ends1[3] + 12] ^= 0xff;
        std::fs::write(&p1, b).unwrap();
        let p2 = segment_path(d.path(), 2);
        let b = std::fs::read(&p2).unwrap();
        std::fs::write(&p2, &b[..ends2[7] + 5]).unwrap();
        // A 0-byte ledger.
        std::fs::write(d.path().join("ledger.json"), b"").unwrap();

        let s = scan(d.path()).unwrap();
        assert!(s.ledger_problem.as_deref().unwrap().contains("empty"));
        assert_eq!(
            s.start,
            Pos {
                segment: 1,
                offset: 0
            }
        );
        assert_eq!(s.records(), 9 + 8);
        assert_eq!(s.corrupt(), 2);
        assert_eq!(s.segments[1].cut_at, Some(ends2[7] as u64));
        assert_eq!(repair(d.path(), &s).unwrap(), 1);
        let again = scan(d.path()).unwrap();
        assert_eq!((again.records(), again.corrupt()), (17, 1));
        assert_eq!(std::fs::metadata(&p2).unwrap().len(), ends2[7] as u64);
    }

    #[test]
    fn the_ledger_says_where_reading_starts() {
        let d = tempfile::tempdir().unwrap();
        let ends = write_segment(d.path(), 5, 10);
        crate::ledger::store(
            d.path(),
            Pos {
                segment: 5,
                offset: ends[5] as u64,
            },
        )
        .unwrap();
        let s = scan(d.path()).unwrap();
        assert_eq!((s.records(), s.ledger_problem.clone()), (4, None));
        assert_eq!(s.bytes(), (ends[9] - ends[5]) as u64);
        // A ledger behind the oldest segment (deleted after it was written) reads it all.
        crate::ledger::store(
            d.path(),
            Pos {
                segment: 2,
                offset: 7,
            },
        )
        .unwrap();
        let s = scan(d.path()).unwrap();
        assert_eq!(s.records(), 10);
        assert!(s.ledger_problem.is_some());
    }
}
