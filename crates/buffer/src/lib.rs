//! sluice's disk buffer: a write-ahead log of events between the pipeline and one sink,
//! so that what a source acknowledged survives a crash, a kill -9 or a long outage of
//! the sink's destination.
//!
//! `buffer = { type = "disk", max_bytes = "1GiB" }` on a sink puts one under
//! `<data_dir>/buffers/<sink id>/`:
//! - **Segments** (`NNN.seg`) of checksummed records ([`record`]), appended in groups: the
//!   writer takes every batch waiting, writes them in one go, and one fsync covers them
//!   all (group commit) before any of their acknowledgements fire. Batches whose events
//!   no source waits for (UDP, plain TCP syslog) are synced every `fsync_interval`
//!   instead. A record never spans two segments.
//! - **The ledger** (`ledger.json`, [`ledger`]): the position up to which the sink has
//!   finished with the events, written by write-then-rename and made durable before the
//!   segments behind it are deleted.
//! - **Recovery** ([`scan`]) never refuses to start and never loops: a torn or corrupt
//!   tail is cut off and counted (`sluice_buffer_corrupt_records_total`), a bad record is
//!   skipped and counted, a missing or empty ledger means reading from the oldest segment
//!   (events may then be sent twice, never lost), and sizes are rebuilt from disk.
//!
//! The sink reads from the buffer with acknowledgements of its own: a chunk of records
//! is done once the sink has delivered (or durably dead-lettered) every event of it, and
//! the ledger moves over the chunks that are done, in order.

pub mod ledger;
mod reader;
pub mod record;
pub mod scan;
mod writer;

use ledger::Pos;
use sluice_core::config::WhenFull;
use sluice_core::ComponentMetrics;
use sluice_event::{BatchStatus, EventBatch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// A disk buffer's settings.
#[derive(Clone, Debug)]
pub struct DiskBufferConfig {
    /// Bytes of undelivered records at most; then `when_full`.
    pub max_bytes: u64,
    /// Block the pipeline, or drop (counted) what does not fit.
    pub when_full: WhenFull,
    /// How long written records may wait for an fsync when no source waits for them.
    pub fsync_interval: Duration,
}

/// Records the reader hands to the sink at once, at most.
const CHUNK_EVENTS: usize = 1000;
const CHUNK_BYTES: usize = 1 << 20;
/// Events the writer takes into one group commit, at most.
const GROUP_EVENTS: usize = 10_000;

/// The directory of `sink`'s disk buffer.
pub fn dir(data_dir: &Path, sink: &str) -> PathBuf {
    data_dir.join("buffers").join(sink)
}

#[derive(Default)]
struct State {
    /// The end of what is written; the reader reads up to here.
    written: Pos,
    /// The writer has finished.
    closed: bool,
    /// Up to here, the sink is done.
    acked: Pos,
    /// Chunks done out of order: start -> end.
    done: BTreeMap<Pos, Pos>,
    /// A chunk the sink could not finish: the ledger stops before it.
    failed: bool,
    /// Bytes and events written and not yet done.
    bytes: u64,
    events: u64,
}

struct Shared {
    dir: PathBuf,
    state: Mutex<State>,
    cv: Condvar,
    metrics: ComponentMetrics,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sink is done with `[start, end)`, holding `bytes` and `events`.
    fn finish(&self, start: Pos, end: Pos, bytes: u64, events: u64, status: BatchStatus) {
        let mut st = self.lock();
        if status == BatchStatus::Errored {
            // Not delivered and not dead-lettered: it must be read again, so the ledger
            // never passes it (after a restart it is sent again).
            if !st.failed {
                tracing::error!(component = %self.metrics.id, "The sink could not finish events of the disk buffer; they stay on disk and are sent again after a restart.");
            }
            st.failed = true;
        }
        st.done.insert(start, end);
        st.bytes = st.bytes.saturating_sub(bytes);
        st.events = st.events.saturating_sub(events);
        self.metrics.buffer_bytes.sub(bytes as i64);
        while !st.failed {
            let acked = st.acked;
            match st.done.remove(&acked) {
                Some(next) => st.acked = next,
                None => break,
            }
        }
        drop(st);
        self.cv.notify_all();
    }
}

/// A running disk buffer: what the sink reads from.
pub struct DiskBuffer {
    /// Batches for the sink, each event carrying the buffer's acknowledgement.
    pub output: mpsc::Receiver<EventBatch>,
    /// Completes once the input has closed and everything it brought is on disk: at
    /// shutdown nothing more needs waiting for (what the sink has not delivered is
    /// delivered after the next start).
    pub durable: tokio::sync::oneshot::Receiver<()>,
    /// Stops the ledger where it is (see [`LedgerHold`]).
    pub ledger: LedgerHold,
}

/// Stops a disk buffer's ledger from moving on: what the sink acknowledges afterwards
/// is read and sent again after the next start. Shutdown uses it when the sink is still
/// holding events once its grace is over: the runtime's teardown drops those events,
/// and a dropped event acknowledges as delivered, which would move the ledger past
/// events that never arrived.
#[derive(Clone)]
pub struct LedgerHold(Arc<Shared>);

impl LedgerHold {
    /// From now on the ledger stays where it is.
    pub fn hold(&self) {
        self.0.lock().failed = true;
    }
}

impl DiskBuffer {
    /// Opens (and recovers) the buffer in `dir`, and starts its writer, which takes the
    /// batches of `input`, and its reader. Fails only when the directory cannot be
    /// created or read.
    pub fn start(
        dir: PathBuf,
        config: DiskBufferConfig,
        input: mpsc::Receiver<EventBatch>,
        metrics: ComponentMetrics,
    ) -> std::io::Result<DiskBuffer> {
        std::fs::create_dir_all(&dir)?;
        let found = scan::scan(&dir)?;
        let corrupt = metrics.buffer_corrupt_counter();
        if let Some(why) = &found.ledger_problem {
            tracing::warn!(component = %metrics.id, dir = %dir.display(), "Disk buffer ledger not usable: {why}");
        }
        if found.corrupt() > 0 {
            tracing::warn!(component = %metrics.id, dir = %dir.display(), corrupt = found.corrupt(), "Disk buffer damaged: damaged records are cut off or skipped; the rest is delivered.");
            // Cut tails are counted here; records skipped inside a segment are counted
            // by the reader when it passes them.
            let cuts = found.segments.iter().filter(|s| s.cut_at.is_some()).count();
            corrupt.inc_by(cuts as u64);
        }
        scan::repair(&dir, &found)?;
        for id in scan::segments(&dir) {
            if id < found.start.segment {
                let _ = std::fs::remove_file(scan::segment_path(&dir, id));
            }
        }
        let start = found.start;
        let last = found.segments.last();
        let written = match last {
            Some(s) => Pos {
                segment: s.id,
                offset: s.cut_at.unwrap_or(s.bytes),
            },
            None => Pos {
                segment: start.segment.max(1),
                offset: 0,
            },
        };
        // The reader starts at the ledger's position, or where reading can start.
        let start = if found.segments.is_empty() {
            written
        } else {
            start.min(written)
        };
        if found.records() > 0 {
            tracing::info!(component = %metrics.id, events = found.records(), bytes = found.bytes(), "Disk buffer recovered; delivering what it holds.");
        }
        metrics.buffer_events.add(found.records() as i64);
        metrics.buffer_bytes.add(found.bytes() as i64);
        let shared = Arc::new(Shared {
            dir: dir.clone(),
            state: Mutex::new(State {
                written,
                acked: start,
                bytes: found.bytes(),
                events: found.records(),
                ..State::default()
            }),
            cv: Condvar::new(),
            metrics: metrics.clone(),
        });
        let (tx, output) = mpsc::channel(4);
        let (durable_tx, durable) = tokio::sync::oneshot::channel();
        let handle = tokio::runtime::Handle::current();
        let w = shared.clone();
        std::thread::Builder::new()
            .name(format!("buffer-w-{}", metrics.id))
            .spawn(move || {
                writer::writer(w, config, input, written, handle);
                let _ = durable_tx.send(());
            })?;
        let ledger = LedgerHold(shared.clone());
        let r = shared;
        std::thread::Builder::new()
            .name(format!("buffer-r-{}", metrics.id))
            .spawn(move || reader::reader(r, start, tx, corrupt))?;
        Ok(DiskBuffer {
            output,
            durable,
            ledger,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::{ComponentKind, Telemetry};
    use sluice_event::Event;

    fn batch(from: usize, n: usize) -> EventBatch {
        (from..from + n)
            .map(|i| Event::from_message(format!("event {i}"), chrono::Utc::now()))
            .collect()
    }

    fn message(e: &Event) -> String {
        e.fields()
            .get("message")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn open(dir: &Path) -> (mpsc::Sender<EventBatch>, DiskBuffer, ComponentMetrics) {
        let m = Telemetry::new().component("s", "file", ComponentKind::Sink);
        let (tx, rx) = mpsc::channel(8);
        let cfg = DiskBufferConfig {
            max_bytes: 1 << 30,
            when_full: WhenFull::Block,
            fsync_interval: Duration::from_millis(50),
        };
        let b = DiskBuffer::start(dir.to_owned(), cfg, rx, m.clone()).unwrap();
        (tx, b, m)
    }

    async fn take(b: &mut DiskBuffer, n: usize) -> Vec<Event> {
        let mut out = Vec::new();
        while out.len() < n {
            let got = tokio::time::timeout(Duration::from_secs(10), b.output.recv())
                .await
                .expect("events within 10 s")
                .expect("buffer open");
            out.extend(got);
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_the_sink_finished_is_not_read_again_and_the_rest_is() {
        let d = tempfile::tempdir().unwrap();
        {
            let (tx, mut b, _) = open(d.path()).await;
            tx.send(batch(0, 10)).await.unwrap();
            tx.send(batch(10, 10)).await.unwrap();
            let got = take(&mut b, 20).await;
            assert_eq!(message(&got[19]), "event 19");
            // The sink finishes the first 20; 5 more arrive and are not finished.
            drop(got);
            tx.send(batch(20, 5)).await.unwrap();
            let unfinished = take(&mut b, 5).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            std::mem::forget(unfinished); // a crash: never finished
        }
        let (_tx, mut b, m) = open(d.path()).await;
        let again = take(&mut b, 5).await;
        let got: Vec<String> = again.iter().map(message).collect();
        assert_eq!(
            got,
            ["event 20", "event 21", "event 22", "event 23", "event 24"]
        );
        assert_eq!(m.buffer_events.get(), 5);
    }

    /// Events dropped after the ledger is held (a shutdown's teardown) do not count as
    /// delivered: they are read again after the next start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_dropped_after_the_ledger_is_held_are_read_again() {
        let d = tempfile::tempdir().unwrap();
        {
            let (tx, mut b, _) = open(d.path()).await;
            tx.send(batch(0, 10)).await.unwrap();
            let first = take(&mut b, 10).await;
            drop(first); // delivered
            tx.send(batch(10, 5)).await.unwrap();
            let held = take(&mut b, 5).await;
            b.ledger.hold();
            drop(held); // dropped at teardown: not delivered
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        let (_tx, mut b, _) = open(d.path()).await;
        let again: Vec<String> = take(&mut b, 5).await.iter().map(message).collect();
        assert_eq!(
            again,
            ["event 10", "event 11", "event 12", "event 13", "event 14"]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn segments_roll_and_are_deleted_once_delivered() {
        let d = tempfile::tempdir().unwrap();
        let m = Telemetry::new().component("s", "file", ComponentKind::Sink);
        let (tx, rx) = mpsc::channel(8);
        let cfg = DiskBufferConfig {
            // 1 MiB segments.
            max_bytes: 4 << 20,
            when_full: WhenFull::Block,
            fsync_interval: Duration::from_millis(50),
        };
        let mut b = DiskBuffer::start(d.path().to_owned(), cfg, rx, m).unwrap();
        let big = "x".repeat(10_000);
        let sender = tokio::spawn(async move {
            // 20 MiB through a 4 MiB buffer: the writer must wait for the reader.
            for i in 0..2000 {
                let e = Event::from_message(format!("{i} {big}"), chrono::Utc::now());
                tx.send(vec![e]).await.unwrap();
            }
        });
        let mut seen = 0;
        while seen < 2000 {
            let got = take(&mut b, 1).await;
            seen += got.len();
        }
        sender.await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let left = scan::segments(d.path());
        assert!(left.len() <= 2, "segments left: {left:?}");
        assert!(left[0] > 10, "{left:?}");
    }
}
