//! `type = "console"` (stdout/stderr) and `type = "blackhole"` (count and discard).

use crate::{encode_line, received};
use sluice_config::{ConsoleSinkConfig, ConsoleTarget};
use sluice_core::ComponentMetrics;
use sluice_event::EventBatch;
use std::io::Write;
use tokio::sync::mpsc;

/// Runs until the input closes. Blocking: run it on a blocking thread.
pub fn run_console(
    mut rx: mpsc::Receiver<EventBatch>,
    cfg: ConsoleSinkConfig,
    metrics: ComponentMetrics,
) {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut scratch = String::new();
    while let Some(batch) = rx.blocking_recv() {
        received(&batch, &metrics);
        buf.clear();
        for e in &batch {
            encode_line(e, &cfg.encoding, &mut buf, &mut scratch);
        }
        let res = match cfg.target {
            ConsoleTarget::Stdout => std::io::stdout()
                .lock()
                .write_all(&buf)
                .and_then(|_| std::io::stdout().flush()),
            ConsoleTarget::Stderr => std::io::stderr().lock().write_all(&buf),
        };
        match res {
            Ok(()) => metrics.events_sent.inc_by(batch.len() as u64),
            Err(_) => {
                metrics.error("io");
                metrics.dropped("io_error", batch.len() as u64);
            }
        }
    }
}

/// Counts and discards.
pub async fn run_blackhole(mut rx: mpsc::Receiver<EventBatch>, metrics: ComponentMetrics) {
    while let Some(batch) = rx.recv().await {
        received(&batch, &metrics);
        metrics.events_sent.inc_by(batch.len() as u64);
    }
}
