//! The writer thread: takes every batch waiting, appends them to the current segment,
//! and makes them durable with one fsync (group commit) before their acknowledgements
//! fire; rolls segments; waits for room or drops (counted) when the buffer is full.

use crate::ledger::Pos;
use crate::{record, scan, DiskBufferConfig, Shared, GROUP_EVENTS};
use sluice_core::config::WhenFull;
use sluice_core::{DropReason, ErrorType};
use sluice_event::{BatchStatus, EventBatch};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn open_segment(dir: &Path, id: u64) -> std::io::Result<File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(scan::segment_path(dir, id))?;
    // The new file's name must survive a crash too.
    File::open(dir)?.sync_all()?;
    Ok(f)
}

/// Retries `op` every second until it works, logging (rate-limited) and showing the
/// problem in /health meanwhile: a full disk holds the pipeline, it never loses events.
pub(crate) fn until_ok(sh: &Shared, what: &str, mut op: impl FnMut() -> std::io::Result<()>) {
    let noted = sh.metrics.noted(ErrorType::Io);
    loop {
        match op() {
            Ok(()) => {
                sh.metrics.health.clear();
                return;
            }
            Err(e) => {
                let msg = format!(
                    "cannot {what} in the disk buffer {}: {e}; retrying every second",
                    sh.dir.display()
                );
                noted.note(1, &format_args!("{msg}"));
                sh.metrics.health.set_problem(msg);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

fn segment_bytes(max: u64) -> u64 {
    (max / 4).clamp(1 << 20, 128 << 20)
}

pub(crate) fn writer(
    sh: Arc<Shared>,
    cfg: DiskBufferConfig,
    mut input: mpsc::Receiver<EventBatch>,
    mut at: Pos,
    rt: tokio::runtime::Handle,
) {
    let seg_max = segment_bytes(cfg.max_bytes);
    let mut file: Option<File> = None;
    let mut buf = Vec::new();
    let mut dirty = false;
    let mut last_sync = Instant::now();
    let dropped = sh.metrics.noted_drop(DropReason::BufferFull);
    let syncs = sh.metrics.buffer_syncs_counter();
    loop {
        let next = if dirty {
            let wait = cfg.fsync_interval.saturating_sub(last_sync.elapsed());
            match rt.block_on(async { tokio::time::timeout(wait, input.recv()).await }) {
                Ok(b) => b,
                Err(_) => {
                    if let Some(f) = &file {
                        until_ok(&sh, "sync", || f.sync_data());
                        syncs.inc();
                    }
                    dirty = false;
                    last_sync = Instant::now();
                    continue;
                }
            }
        } else {
            input.blocking_recv()
        };
        let Some(first) = next else { break };
        let mut group = vec![first];
        let mut n: usize = group[0].len();
        while n < GROUP_EVENTS {
            match input.try_recv() {
                Ok(b) => {
                    n += b.len();
                    group.push(b);
                }
                Err(_) => break,
            }
        }
        for b in &group {
            sluice_core::taken(&sh.metrics, b);
        }
        buf.clear();
        let mut needs_sync = false;
        for e in group.iter().flatten() {
            record::encode(e, &mut buf);
            needs_sync |= e.meta().ack.is_some();
        }
        // Room: block until the sink has made some, or drop what does not fit.
        {
            let mut st = sh.lock();
            let mut blocked = false;
            while st.bytes > 0 && st.bytes + buf.len() as u64 > cfg.max_bytes {
                if cfg.when_full == WhenFull::DropNewest {
                    break;
                }
                if !blocked {
                    tracing::debug!(component = %sh.metrics.id, "Disk buffer full; waiting for the sink.");
                    blocked = true;
                }
                st = sh
                    .cv
                    .wait_timeout(st, Duration::from_millis(200))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            if st.bytes > 0 && st.bytes + buf.len() as u64 > cfg.max_bytes {
                drop(st);
                // A source that waits for these learns that they were not kept.
                for e in group.iter().flatten() {
                    if let Some(t) = &e.meta().ack {
                        t.update(BatchStatus::Errored);
                    }
                }
                dropped.note(
                    n as u64,
                    &format_args!("the disk buffer is full (max_bytes); {n} events dropped (when_full = \"drop_newest\")"),
                );
                continue;
            }
        }
        if file.is_none() || (at.offset > 0 && at.offset + buf.len() as u64 > seg_max) {
            if let Some(f) = file.take() {
                until_ok(&sh, "sync", || f.sync_data());
                syncs.inc();
                at = Pos {
                    segment: at.segment + 1,
                    offset: 0,
                };
            }
            let mut opened = None;
            until_ok(&sh, "open a segment", || {
                opened = Some(open_segment(&sh.dir, at.segment)?);
                Ok(())
            });
            file = opened;
        }
        let Some(f) = file.as_mut() else { break };
        until_ok(&sh, "write", || {
            let r = f.write_all(&buf);
            if r.is_err() {
                // A partial write is cut back, so the next try appends whole records.
                let _ = f.set_len(at.offset);
            }
            r
        });
        at.offset += buf.len() as u64;
        if needs_sync || last_sync.elapsed() >= cfg.fsync_interval {
            until_ok(&sh, "sync", || f.sync_data());
            syncs.inc();
            dirty = false;
            last_sync = Instant::now();
        } else {
            dirty = true;
        }
        {
            let mut st = sh.lock();
            st.written = at;
            st.bytes += buf.len() as u64;
            st.events += n as u64;
        }
        sh.metrics.buffer_bytes.add(buf.len() as i64);
        sh.metrics.buffer_events.add(n as i64);
        sh.cv.notify_all();
        // Durable: the sources' acknowledgements may fire.
        drop(group);
    }
    if let Some(f) = &file {
        let _ = f.sync_data();
    }
    let mut st = sh.lock();
    st.closed = true;
    if st.events > 0 {
        tracing::info!(component = %sh.metrics.id, events = st.events, bytes = st.bytes, "Input closed; what the sink has not delivered stays in the disk buffer and is delivered after the next start.");
    }
    drop(st);
    sh.cv.notify_all();
}
