//! `type = "json_lines"`: one JSON object per line over TCP, as python-logstash and
//! python-logstash-async's TCP transport send it (Logstash's `tcp` input with the
//! `json_lines` codec).
//!
//! A line that is not a JSON object is kept as `message` with `_jsonparsefailure`; an
//! over-long line is cut at `max_line_bytes`, tagged `_truncated`, counted, and the stream
//! goes on. `@timestamp`, when valid, becomes the event time.

use crate::framed::{read_frames, StreamSettings};
use crate::listener::serve_connections;
use sluice_codec::{Framing, SyslogFramer};
use sluice_config::JsonLinesSourceConfig;
use sluice_event::{Event, Key, Timestamp, Value};
use sluice_parse::json_event::event_from_json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

pub type SourceContext = crate::SourceContext<JsonLinesSourceConfig>;

pub(crate) async fn serve(listener: TcpListener, ctx: SourceContext) {
    let max = ctx.config.max_connections;
    serve_connections(listener, &ctx, max, connection).await;
}

async fn connection(stream: TcpStream, peer: SocketAddr, ctx: SourceContext) {
    let framer = SyslogFramer::new(Framing::Newline, ctx.config.max_line_bytes.0 as usize);
    let settings = StreamSettings {
        idle_timeout: ctx.config.idle_timeout.0,
        batch_size: ctx.config.batch_size,
    };
    let dec = LineDecoder {
        peer,
        ip: Value::from(peer.ip().to_string()),
        source: ctx.id.clone(),
        parse_errors: ctx.metrics.error_counter("parse"),
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
    parse_errors: prometheus::IntCounter,
}

impl LineDecoder {
    /// One line to one event, with the peer's address in `[@metadata][ip_address]`.
    fn decode(&self, line: &[u8], truncated: bool, now: Timestamp) -> Event {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        let mut ev = event_from_json(line, now).unwrap_or_else(|e| {
            self.parse_errors.inc();
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
