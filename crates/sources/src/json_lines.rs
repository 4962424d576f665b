//! `type = "json_lines"`: one JSON object per line over TCP, as python-logstash and
//! python-logstash-async's TCP transport send it (Logstash's `tcp` input with the
//! `json_lines` codec).
//!
//! A line that is not a JSON object is kept as `message` with `_jsonparsefailure`; an
//! over-long line is cut at `max_line_bytes`, tagged `_truncated`, counted, and the stream
//! goes on. `@timestamp`, when valid, becomes the event time.

use crate::framed::{read_frames, StreamSettings};
use crate::listener::serve_connections;
use crate::tls::Stream;
use serde::Deserialize;
use sluice_codec::{Framing, SyslogFramer};
use sluice_core::config::{Build, ByteSize, HumanDuration};
use sluice_core::ErrorType;
use sluice_event::{Event, Key, Timestamp, Value};
use sluice_parse::json_event::event_from_json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// `type = "json_lines"`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen.
    pub address: SocketAddr,
    /// Longer lines are cut here, tagged `_truncated` and counted; the stream goes on.
    pub max_line_bytes: ByteSize,
    /// Open connections at most.
    pub max_connections: usize,
    /// Close a connection that sends nothing for this long.
    pub idle_timeout: HumanDuration,
    /// Events per batch handed to the pipeline.
    pub batch_size: usize,
    /// TLS: `{ crt_file, key_file, ca_file, verify_client }` (certificates reloaded when
    /// their files change).
    pub tls: Option<sluice_core::tls::ServerTlsConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: SocketAddr::from(([0, 0, 0, 0], 5170)),
            max_line_bytes: ByteSize(1 << 20),
            max_connections: crate::DEFAULT_MAX_CONNECTIONS,
            idle_timeout: HumanDuration(crate::DEFAULT_IDLE),
            batch_size: crate::DEFAULT_BATCH,
            tls: None,
        }
    }
}

impl Config {
    /// Checks the limits.
    pub fn build(self, b: &mut Build<'_>) -> Option<Self> {
        crate::tls::check(self.tls.as_ref(), b);
        b.at_least_one("max_connections", self.max_connections);
        b.at_least_one("batch_size", self.batch_size);
        if self.max_line_bytes.0 < 64 {
            b.push("max_line_bytes", "must be at least 64 bytes");
        }
        // Kept even with problems, so that the graph checks (listener clashes) still
        // run and report in the same pass.
        Some(self)
    }
}

/// What a JSON-lines source serves with.
pub type SourceContext = crate::SourceContext<Config>;

pub(crate) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    let tls = ctx.config.tls.clone();
    serve_connections(listener, &ctx, max, tls.as_ref(), connection).await;
}

async fn connection(stream: Stream, peer: SocketAddr, ctx: SourceContext) {
    let framer = SyslogFramer::new(Framing::Newline, ctx.config.max_line_bytes.0 as usize);
    let settings = StreamSettings {
        idle_timeout: ctx.config.idle_timeout.0,
        batch_size: ctx.config.batch_size,
    };
    let dec = LineDecoder {
        peer,
        ip: Value::from(peer.ip().to_string()),
        source: ctx.id.clone(),
        parse_errors: ctx.metrics.noted(ErrorType::Parse),
    };
    read_frames(
        stream,
        peer,
        framer,
        settings,
        &ctx,
        |line, truncated, now| dec.decode(line, truncated, now),
    )
    .await;
}

/// What every line of one connection shares.
struct LineDecoder {
    peer: SocketAddr,
    /// The peer's address, formatted once per connection.
    ip: Value,
    source: Arc<str>,
    parse_errors: sluice_core::Noted,
}

impl LineDecoder {
    /// One line to one event, with the peer's address in `[@metadata][ip_address]`.
    fn decode(&self, line: &[u8], truncated: bool, now: Timestamp) -> Event {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        let mut ev = event_from_json(line, now).unwrap_or_else(|e| {
            self.parse_errors.note(1, &format_args!(
                "A line from {} is not a JSON object; it is kept in `message`, tagged _jsonparsefailure.",
                self.peer
            ));
            e
        });
        if truncated {
            ev.add_tag("_truncated");
        }
        let meta = ev.meta_mut();
        meta.peer = Some(self.peer);
        meta.source = Some(self.source.clone());
        meta.metadata
            .insert(Key::const_new("ip_address"), self.ip.clone());
        ev
    }
}

#[cfg(test)]
mod tests;
