//! Beats frames to events: the client's JSON kept, plus where it came from.

use super::SourceContext;
use bytes::Bytes;
use sluice_core::ErrorType;
use sluice_event::{Event, Key, Map, Value};
use sluice_parse::json_event::{event_from_json, event_from_map};
use std::net::SocketAddr;
use std::sync::Arc;

pub(super) struct Builder {
    peer: SocketAddr,
    ip: Key,
    source: Arc<str>,
    parse_errors: sluice_core::Noted,
}

impl Builder {
    pub(crate) fn new(ctx: &SourceContext, peer: SocketAddr) -> Self {
        Builder {
            peer,
            ip: Key::from(peer.ip().to_string()),
            source: ctx.id.clone(),
            parse_errors: ctx.metrics.noted(ErrorType::Parse),
        }
    }

    fn now() -> sluice_event::Timestamp {
        chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3)
    }

    /// A `J` frame. A document that is not a JSON object is kept, tagged and counted.
    pub(crate) fn json(&self, doc: &[u8]) -> Event {
        let ev = event_from_json(doc, Self::now()).unwrap_or_else(|e| {
            self.parse_errors.note(1, &format_args!(
                "A Beats document from {} is not a JSON object; it is kept in `message`, tagged _jsonparsefailure.",
                self.peer
            ));
            e
        });
        self.finish(ev)
    }

    /// A legacy `D` frame: string pairs; `line` becomes `message` as Logstash does.
    pub(crate) fn pairs(&self, pairs: &[(Bytes, Bytes)]) -> Event {
        let mut m: Map = pairs
            .iter()
            .map(|(k, v)| {
                (
                    Key::from(String::from_utf8_lossy(k)),
                    Value::from(String::from_utf8_lossy(v).as_ref()),
                )
            })
            .collect();
        if !m.contains_key("message") {
            if let Some(line) = m.remove("line") {
                m.insert(Key::const_new("message"), line);
            }
        }
        self.finish(event_from_map(m, Self::now()))
    }

    /// `host.ip` from the peer, unless the client's `host` is a plain string (the
    /// pre-ECS form), which is kept as sent. `[@metadata][ip_address]` always, as
    /// Logstash's Beats input sets it.
    fn finish(&self, mut ev: Event) -> Event {
        let fields = ev.fields_mut();
        match fields.get_mut("host") {
            None => {
                let mut host = Map::with_capacity(1);
                host.insert(Key::const_new("ip"), Value::String(self.ip.clone()));
                fields.insert(Key::const_new("host"), Value::Object(host));
            }
            Some(Value::Object(host)) if !host.contains_key("ip") => {
                host.insert(Key::const_new("ip"), Value::String(self.ip.clone()));
            }
            Some(_) => {}
        }
        let meta = ev.meta_mut();
        meta.peer = Some(self.peer);
        meta.source = Some(self.source.clone());
        meta.metadata
            .insert(Key::const_new("ip_address"), Value::String(self.ip.clone()));
        ev
    }
}
