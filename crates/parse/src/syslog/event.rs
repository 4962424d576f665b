//! Turning a parsed message into an [`Event`] with the ★ ECS field names.

use super::{facility_name, parse, severity_name, trim_trailer, ParseOptions, SyslogMessage};
use sluice_event::{Event, Map, Value};
use std::net::IpAddr;

/// The tag a line gets when it fits no syslog grammar.
pub const PARSE_FAILURE_TAG: &str = "_syslogparsefailure";

/// Per-message inputs besides the bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    pub parse: ParseOptions,
    /// Copy the raw line into `event.original`.
    pub keep_original: bool,
    /// The sender, for `host.ip`.
    pub peer_ip: Option<IpAddr>,
}

fn obj() -> Map {
    Map::new()
}

fn put(m: &mut Map, k: &str, v: impl Into<Value>) {
    m.insert(k.into(), v.into());
}

/// Decodes one framed message. Never fails: a line that does not parse keeps its raw
/// text in `message` and is tagged [`PARSE_FAILURE_TAG`]. The `Err` side of the result
/// carries that event too, so the caller can count the failure.
pub fn decode(line: &[u8], opts: &DecodeOptions) -> Result<Event, Event> {
    let mut fields = Map::new();
    if let Some(ip) = opts.peer_ip {
        let mut host = obj();
        put(&mut host, "ip", ip.to_string());
        fields.insert("host".into(), Value::Object(host));
    }
    if opts.keep_original {
        let mut ev = obj();
        put(
            &mut ev,
            "original",
            String::from_utf8_lossy(trim_trailer(line)).into_owned(),
        );
        fields.insert("event".into(), Value::Object(ev));
    }
    match parse(line, &opts.parse) {
        Ok(m) => {
            fill(&mut fields, m, opts);
            Ok(Event::from_map(fields))
        }
        Err(_) => {
            put(
                &mut fields,
                "message",
                String::from_utf8_lossy(trim_trailer(line)).into_owned(),
            );
            put(&mut fields, "@timestamp", opts.parse.now);
            put(
                &mut fields,
                "tags",
                vec![Value::from(super::PARSE_FAILURE_TAG)],
            );
            Err(Event::from_map(fields))
        }
    }
}

fn fill(fields: &mut Map, m: SyslogMessage<'_>, opts: &DecodeOptions) {
    let mut sys = obj();
    if let Some(p) = m.priority {
        put(&mut sys, "priority", i64::from(p));
        let (f, s) = (p >> 3, p & 7);
        let mut fac = obj();
        put(&mut fac, "code", i64::from(f));
        if let Some(n) = facility_name(f) {
            put(&mut fac, "name", n);
        }
        sys.insert("facility".into(), Value::Object(fac));
        let mut sev = obj();
        put(&mut sev, "code", i64::from(s));
        if let Some(n) = severity_name(s) {
            put(&mut sev, "name", n);
        }
        sys.insert("severity".into(), Value::Object(sev));
    }
    if let Some(v) = m.version {
        put(&mut sys, "version", i64::from(v));
    }
    if let Some(h) = m.hostname {
        put(&mut sys, "hostname", h);
        let host = fields
            .entry("host".into())
            .or_insert_with(|| Value::Object(obj()));
        if let Value::Object(host) = host {
            put(host, "hostname", h);
        }
    }
    if let Some(a) = m.appname {
        put(&mut sys, "appname", a);
    }
    if let Some(p) = m.procid {
        put(&mut sys, "procid", p);
    }
    if let Some(id) = m.msgid {
        put(&mut sys, "msgid", id);
    }
    if !m.structured_data.is_empty() {
        let mut sd = obj();
        for el in m.structured_data {
            let mut params = obj();
            for (k, v) in el.params {
                put(&mut params, k, v.into_owned());
            }
            // Duplicate SD-IDs (forbidden, but seen) merge rather than overwrite.
            match sd.get_mut(el.id) {
                Some(Value::Object(existing)) => existing.extend(params),
                _ => {
                    sd.insert(el.id.into(), Value::Object(params));
                }
            }
        }
        sys.insert("structured_data".into(), Value::Object(sd));
    }
    if m.appname.is_some() || m.procid.is_some() {
        let mut proc_ = obj();
        if let Some(a) = m.appname {
            put(&mut proc_, "name", a);
        }
        if let Some(p) = m.procid {
            if let Ok(n) = p.parse::<i64>() {
                put(&mut proc_, "pid", n);
            }
        }
        fields.insert("process".into(), Value::Object(proc_));
    }
    let mut log = obj();
    log.insert("syslog".into(), Value::Object(sys));
    fields.insert("log".into(), Value::Object(log));
    put(fields, "message", m.message.into_owned());
    put(fields, "@timestamp", m.timestamp.unwrap_or(opts.parse.now));
}
