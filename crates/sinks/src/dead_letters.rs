//! Dead letters: JSON lines under `<data_dir>/dead_letters/<sink id>/` (★), one record per
//! event that will not be delivered as it is: the event, its index, the status, the
//! error's type and reason, the attempts and the time. Size-bounded: past `MAX_BYTES`
//! the file is rotated, and `BACKUPS` rotated files are kept.

use sluice_event::Event;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAX_BYTES: u64 = 100 << 20;
const BACKUPS: usize = 5;

pub(crate) struct DeadLetters {
    path: PathBuf,
    sink: String,
    /// One writer at a time (requests in flight finish concurrently).
    lock: std::sync::Mutex<()>,
}

/// Why one event is dead-lettered.
pub(crate) struct Why<'a> {
    pub(crate) index: String,
    pub(crate) status: Option<u16>,
    pub(crate) error_type: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) attempts: u32,
}

impl DeadLetters {
    pub(crate) fn new(data_dir: &Path, sink: &str) -> Self {
        DeadLetters {
            path: data_dir
                .join("dead_letters")
                .join(sink)
                .join("dead_letters.jsonl"),
            sink: sink.to_owned(),
            lock: std::sync::Mutex::new(()),
        }
    }

    fn rotate(&self) {
        for i in (1..BACKUPS).rev() {
            let from = self.path.with_extension(format!("jsonl.{i}"));
            let _ = std::fs::rename(&from, self.path.with_extension(format!("jsonl.{}", i + 1)));
        }
        let _ = std::fs::rename(&self.path, self.path.with_extension("jsonl.1"));
    }

    /// Appends one record per `(event, why)`, durably (fsync).
    pub(crate) fn write<'a>(
        &self,
        records: impl Iterator<Item = (&'a Event, Why<'a>)>,
    ) -> std::io::Result<usize> {
        let mut out = Vec::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut n = 0;
        for (e, why) in records {
            let head = serde_json::json!({
                "@timestamp": now,
                "sink": self.sink,
                "index": why.index,
                "status": why.status,
                "error": { "type": why.error_type, "reason": why.reason },
                "attempts": why.attempts,
            })
            .to_string();
            // The event as it was, spliced in as `event`.
            out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
            out.extend_from_slice(b",\"event\":");
            e.write_json(&mut out);
            out.extend_from_slice(b"}\n");
            n += 1;
        }
        // Most batches have no dead letter: no file system work for them.
        if n == 0 {
            return Ok(0);
        }
        let _one = self.lock.lock();
        if let Some(d) = self.path.parent() {
            std::fs::create_dir_all(d)?;
        }
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() > MAX_BYTES) {
            self.rotate();
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&out)?;
        f.sync_data()?;
        Ok(n)
    }
}
