//! `type = "stdin"`: lines from standard input, Logstash's `stdin` input.
//!
//! `codec = "line"` (the default) keeps each line as `message`; `codec = "json_lines"`
//! reads each line as a JSON object (a line that is not one is kept in `message` with
//! `_jsonparsefailure`, as the `json_lines` source does). An over-long line is cut at
//! `max_line_bytes`, tagged `_truncated` and counted. At the end of input the source
//! finishes; when every source has finished, `sluice run` drains and exits, as Logstash
//! does when its stdin input reaches EOF.

use futures_util::StreamExt;
use serde::Deserialize;
use sluice_codec::{Framing, SyslogFramer};
use sluice_core::config::{Build, ByteSize};
use sluice_core::ErrorType;
use sluice_event::{Event, EventBatch, Value};
use sluice_parse::json_event::event_from_json;
use tokio::io::AsyncRead;
use tokio_util::codec::FramedRead;

/// How each line is read.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    /// The line is the event's `message`.
    #[default]
    Line,
    /// The line is a JSON object.
    JsonLines,
}

/// `type = "stdin"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// How each line is read.
    pub codec: Codec,
    /// Longer lines are cut here, tagged `_truncated` and counted.
    pub max_line_bytes: ByteSize,
    /// Events per batch handed to the pipeline.
    pub batch_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            codec: Codec::Line,
            max_line_bytes: ByteSize(1 << 20),
            batch_size: crate::DEFAULT_BATCH,
        }
    }
}

impl Config {
    /// Checks the limits.
    pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
        b.at_least_one("batch_size", self.batch_size);
        if self.max_line_bytes.0 < 64 {
            b.push("max_line_bytes", "must be at least 64 bytes");
        }
        Some(self)
    }
}

/// What a stdin source serves with.
pub type SourceContext = crate::SourceContext<Config>;

/// Reads standard input to its end (or until shutdown), then returns.
pub(crate) async fn serve(ctx: SourceContext) {
    read(tokio::io::stdin(), &ctx).await;
}

/// Reads `input` line by line into batches until its end or shutdown. Lines already
/// readable join one batch; waiting for room in the pipeline is the back-pressure.
pub(crate) async fn read(input: impl AsyncRead + Unpin, ctx: &SourceContext) {
    let framer = SyslogFramer::new(Framing::Newline, ctx.config.max_line_bytes.0 as usize);
    let mut lines = FramedRead::with_capacity(input, framer, 64 * 1024);
    let oversize = ctx.metrics.noted(ErrorType::Oversize);
    let parse_errors = ctx.metrics.noted(ErrorType::Parse);
    let host = Value::from(hostname());
    loop {
        let first = tokio::select! {
            f = lines.next() => f,
            _ = ctx.shutdown.cancelled() => None,
        };
        let Some(Ok(mut frame)) = first else {
            return;
        };
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
        let mut batch: EventBatch = Vec::new();
        let mut bytes = 0u64;
        loop {
            let line = frame.bytes.strip_suffix(b"\r").unwrap_or(&frame.bytes);
            bytes += frame.bytes.len() as u64;
            let mut ev = match ctx.config.codec {
                Codec::Line => Event::from_message(String::from_utf8_lossy(line), now),
                Codec::JsonLines => event_from_json(line, now).unwrap_or_else(|e| {
                    parse_errors.note(1, &"A line from standard input is not a JSON object; it is kept in `message`, tagged _jsonparsefailure.");
                    e
                }),
            };
            if frame.truncated {
                oversize.note(1, &"A line from standard input is longer than the limit; it is cut and tagged _truncated.");
                ev.add_tag("_truncated");
            }
            ev.fields_mut().get_or_insert_with("host", || host.clone());
            ev.meta_mut().source = Some(ctx.id.clone());
            batch.push(ev);
            if batch.len() >= ctx.config.batch_size {
                break;
            }
            match futures_util::FutureExt::now_or_never(lines.next()) {
                Some(Some(Ok(f))) => frame = f,
                _ => break,
            }
        }
        ctx.metrics.bytes_received.inc_by(bytes);
        ctx.metrics.events_received.inc_by(batch.len() as u64);
        if ctx.output.send(batch).await.is_err() {
            return;
        }
    }
}

/// This machine's name, for `host` (as Logstash's stdin input sets it).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
