//! `type = "console"` (stdout/stderr) and `type = "blackhole"` (count and discard).

use crate::encode::{encode_line, Encoding, EncodingKind};
use crate::{received, Sink, SinkContext};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_core::{DropReason, ErrorType};
use sluice_event::EventBatch;
use std::io::Write;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Which stream the console sink writes.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleTarget {
    /// Standard output.
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
}

/// `type = "console"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    encoding: EncodingKind,
    template: Option<String>,
    #[serde(default)]
    target: ConsoleTarget,
}

/// A built console sink.
#[derive(Clone, Debug)]
pub struct Console {
    encoding: Encoding,
    target: ConsoleTarget,
}

impl Config {
    /// Compiles the encoding.
    pub fn build(self, b: &mut Build<'_>) -> Option<Console> {
        Some(Console {
            encoding: Encoding::build(self.encoding, self.template.as_deref(), b)?,
            target: self.target,
        })
    }
}

impl Sink for Console {
    fn start(&self, rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) -> JoinHandle<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.run(rx, ctx))
    }
}

impl Console {
    /// Runs until the input closes. Blocking: run it on a blocking thread.
    pub fn run(&self, mut rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) {
        let metrics = &ctx.metrics;
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut scratch = String::new();
        while let Some(batch) = rx.blocking_recv() {
            received(&batch, metrics);
            buf.clear();
            for e in &batch {
                encode_line(e, &self.encoding, &mut buf, &mut scratch);
            }
            let res = match self.target {
                ConsoleTarget::Stdout => std::io::stdout()
                    .lock()
                    .write_all(&buf)
                    .and_then(|_| std::io::stdout().flush()),
                ConsoleTarget::Stderr => std::io::stderr().lock().write_all(&buf),
            };
            match res {
                Ok(()) => metrics.events_sent.inc_by(batch.len() as u64),
                Err(_) => {
                    metrics.error(ErrorType::Io);
                    metrics.dropped(DropReason::IoError, batch.len() as u64);
                }
            }
        }
    }
}

/// `type = "blackhole"`: no settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackholeConfig {}

/// Counts and discards.
#[derive(Clone, Debug)]
pub struct Blackhole;

impl BlackholeConfig {
    /// Nothing to compile.
    pub fn build(self, _: &mut Build<'_>) -> Option<Blackhole> {
        Some(Blackhole)
    }
}

impl Sink for Blackhole {
    fn start(&self, mut rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) -> JoinHandle<()> {
        tokio::spawn(async move {
            while let Some(batch) = rx.recv().await {
                received(&batch, &ctx.metrics);
                ctx.metrics.events_sent.inc_by(batch.len() as u64);
            }
        })
    }
}
