//! The reader thread: hands the sink chunks of records with acknowledgement tokens of
//! its own, skips damaged records (counted), and keeps the ledger up with what the sink
//! has finished, deleting the segments behind it once the ledger is durable.

use crate::ledger::Pos;
use crate::writer::until_ok;
use crate::{ledger, record, scan, Shared, CHUNK_BYTES, CHUNK_EVENTS};
use sluice_event::{AckToken, BatchStatus, EventBatch};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Keeps the ledger up with the acknowledged position and deletes the segments behind it.
struct Keeper {
    saved: Pos,
    last_save: Instant,
}

/// The ledger is written at most this often (and whenever a segment can go).
const LEDGER_EVERY: Duration = Duration::from_millis(100);

impl Keeper {
    /// Whether the ledger should be written for `acked` now.
    fn due(&self, acked: Pos) -> bool {
        acked != self.saved
            && (acked.segment > self.saved.segment || self.last_save.elapsed() >= LEDGER_EVERY)
    }

    fn keep(&mut self, sh: &Shared, acked: Pos, force: bool) {
        if acked == self.saved || !(force || self.due(acked)) {
            return;
        }
        // Durable before any segment behind it goes.
        until_ok(sh, "write the ledger", || ledger::store(&sh.dir, acked));
        for id in self.saved.segment..acked.segment {
            let _ = std::fs::remove_file(scan::segment_path(&sh.dir, id));
        }
        self.saved = acked;
        self.last_save = Instant::now();
    }
}

pub(crate) fn reader(
    sh: Arc<Shared>,
    mut pos: Pos,
    tx: mpsc::Sender<EventBatch>,
    corrupt: prometheus::IntCounter,
) {
    let mut keeper = Keeper {
        saved: sh.lock().acked,
        last_save: Instant::now(),
    };
    let mut file: Option<(u64, File)> = None;
    let mut buf = Vec::new();
    loop {
        let (written, closed, acked) = {
            let mut st = sh.lock();
            while st.written == pos && !st.closed && !keeper.due(st.acked) {
                st = sh
                    .cv
                    .wait_timeout(st, Duration::from_millis(50))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            (st.written, st.closed, st.acked)
        };
        keeper.keep(&sh, acked, false);
        if pos == written {
            if closed {
                // Nothing more comes: the sink's input closes, so that it finishes what
                // it has; the ledger follows its acknowledgements until then.
                drop(tx);
                let mut st = sh.lock();
                while st.acked != pos && !st.failed {
                    st = sh
                        .cv
                        .wait_timeout(st, Duration::from_millis(200))
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
                let acked = st.acked;
                drop(st);
                keeper.keep(&sh, acked, true);
                return;
            }
            continue;
        }
        if file.as_ref().is_none_or(|(id, _)| *id != pos.segment) {
            match File::open(scan::segment_path(&sh.dir, pos.segment)) {
                Ok(f) => file = Some((pos.segment, f)),
                Err(e) => {
                    tracing::error!(component = %sh.metrics.id, segment = pos.segment, error = %e, "Disk buffer segment missing; going on with the next.");
                    let next = Pos {
                        segment: pos.segment + 1,
                        offset: 0,
                    };
                    sh.finish(pos, next, 0, 0, BatchStatus::Delivered);
                    pos = next;
                    continue;
                }
            }
        }
        let Some((_, f)) = file.as_ref() else {
            continue;
        };
        // The end of what may be read in this segment.
        let end = if pos.segment == written.segment {
            written.offset
        } else {
            f.metadata().map(|m| m.len()).unwrap_or(0)
        };
        if pos.offset >= end {
            // The writer has moved on: this segment is read to its end.
            let next = Pos {
                segment: pos.segment + 1,
                offset: 0,
            };
            sh.finish(pos, next, 0, 0, BatchStatus::Delivered);
            pos = next;
            continue;
        }
        let want = ((end - pos.offset) as usize).min(CHUNK_BYTES);
        buf.resize(want, 0);
        if let Err(e) = f.read_exact_at(&mut buf, pos.offset) {
            tracing::error!(component = %sh.metrics.id, error = %e, "Cannot read the disk buffer; retrying.");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let now = chrono::Utc::now();
        let mut events = Vec::new();
        let mut at = 0usize;
        let mut bad = 0u64;
        while at < buf.len() && events.len() < CHUNK_EVENTS {
            match record::frame(&buf[at..]) {
                record::Frame::Record(payload, n) => {
                    events.push(record::decode(payload, now));
                    at += n;
                }
                record::Frame::Corrupt(n) => {
                    bad += 1;
                    at += n;
                }
                record::Frame::Torn if at > 0 => break,
                record::Frame::Torn if want < (end - pos.offset) as usize => {
                    // One record larger than a chunk: read it whole.
                    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                    buf.resize((record::HEADER + len).min((end - pos.offset) as usize), 0);
                    if f.read_exact_at(&mut buf, pos.offset).is_err() {
                        break;
                    }
                    continue;
                }
                record::Frame::Torn | record::Frame::Garbage => {
                    // Nothing after this can be framed: the rest of the segment is lost.
                    bad += 1;
                    at = (end - pos.offset) as usize;
                    break;
                }
            }
        }
        if bad > 0 {
            corrupt.inc_by(bad);
            tracing::warn!(component = %sh.metrics.id, segment = pos.segment, corrupt = bad, "Disk buffer records damaged; skipped.");
        }
        let next = Pos {
            segment: pos.segment,
            offset: pos.offset + at as u64,
        };
        let (start, n, bytes) = (pos, events.len() as u64, at as u64);
        pos = next;
        if events.is_empty() {
            sh.finish(start, next, bytes, 0, BatchStatus::Delivered);
            continue;
        }
        let owner = sh.clone();
        let token = AckToken::new(move |status| owner.finish(start, next, bytes, n, status));
        for e in &mut events {
            e.meta_mut().ack = Some(token.clone());
        }
        drop(token);
        // The sink's take of this batch counts its memory size out of the gauge.
        sh.metrics
            .buffer_bytes
            .add(sluice_core::approx_bytes(&events));
        if tx.blocking_send(events).is_err() {
            // The sink is gone (shutdown): what it did not finish stays on disk.
            return;
        }
    }
}
