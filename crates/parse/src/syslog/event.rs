//! Turning a parsed message into an [`Event`] with the ★ ECS field names.

use super::{facility_name, parse, severity_name, trim_trailer, ParseOptions, SyslogMessage};
use compact_str::ToCompactString;
use sluice_event::{Event, Key, Map, Value};
use std::borrow::Cow;
use std::net::IpAddr;

/// The tag a line gets when it fits no syslog grammar.
pub const PARSE_FAILURE_TAG: &str = "_syslogparsefailure";

/// Per-message inputs besides the bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    /// How the line is parsed.
    pub parse: ParseOptions,
    /// Copy the raw line into `event.original`.
    pub keep_original: bool,
    /// The sender, for `host.ip`.
    pub peer_ip: Option<IpAddr>,
}

/// Adds a fixed key; every object here is built in key order.
fn put(m: &mut Map, k: &'static str, v: impl Into<Value>) {
    m.push_in_order(Key::const_new(k), v.into());
}

/// The sender's address as text. A connection's messages share one sender, so the last
/// formatting is kept per thread: formatting an address was 5% of decoding.
fn peer_text(ip: IpAddr) -> Key {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(IpAddr, Key)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((seen, text)) if *seen == ip => text.clone(),
            _ => {
                let text = ip.to_compact_string();
                *last = Some((ip, text.clone()));
                text
            }
        }
    })
}

fn text(s: Cow<'_, str>) -> Value {
    Value::String(Key::from(s))
}

/// Decodes one framed message. Never fails: a line that does not parse keeps its raw
/// text in `message` and is tagged [`PARSE_FAILURE_TAG`]. The `Err` side of the result
/// carries that event too, so the caller can count the failure.
///
/// Every object is built in key order and sized up front: [`Map`] appends in order without
/// a search, and nothing reallocates. This function is the hot path of every syslog source.
pub fn decode(line: &[u8], opts: &DecodeOptions) -> Result<Event, Event> {
    let parsed = parse(line, &opts.parse);
    let mut fields = Map::with_capacity(6);
    let timestamp = match &parsed {
        Ok(m) => m.timestamp.unwrap_or(opts.parse.now),
        Err(_) => opts.parse.now,
    };
    put(&mut fields, "@timestamp", timestamp);
    if opts.keep_original {
        let mut ev = Map::with_capacity(1);
        put(
            &mut ev,
            "original",
            text(String::from_utf8_lossy(trim_trailer(line))),
        );
        put(&mut fields, "event", ev);
    }
    let hostname = parsed.as_ref().ok().and_then(|m| m.hostname);
    if hostname.is_some() || opts.peer_ip.is_some() {
        let mut host = Map::with_capacity(2);
        if let Some(h) = hostname {
            put(&mut host, "hostname", h);
        }
        if let Some(ip) = opts.peer_ip {
            put(&mut host, "ip", peer_text(ip));
        }
        put(&mut fields, "host", host);
    }
    match parsed {
        Ok(m) => {
            fill(&mut fields, m);
            Ok(Event::from_map(fields))
        }
        Err(_) => {
            put(
                &mut fields,
                "message",
                text(String::from_utf8_lossy(trim_trailer(line))),
            );
            put(
                &mut fields,
                "tags",
                vec![Value::from(super::PARSE_FAILURE_TAG)],
            );
            Err(Event::from_map(fields))
        }
    }
}

/// `log`, `message` and `process`, in that (sorted) order, after `host`.
fn fill(fields: &mut Map, m: SyslogMessage<'_>) {
    let mut sys = Map::with_capacity(9);
    if let Some(a) = m.appname {
        put(&mut sys, "appname", a);
    }
    let pri = m.priority.map(|p| (p, p >> 3, p & 7));
    if let Some((_, f, _)) = pri {
        let mut fac = Map::with_capacity(2);
        put(&mut fac, "code", i64::from(f));
        if let Some(n) = facility_name(f) {
            put(&mut fac, "name", Key::const_new(n));
        }
        put(&mut sys, "facility", fac);
    }
    if let Some(h) = m.hostname {
        put(&mut sys, "hostname", h);
    }
    if let Some(id) = m.msgid {
        put(&mut sys, "msgid", id);
    }
    if let Some((p, _, s)) = pri {
        put(&mut sys, "priority", i64::from(p));
        if let Some(procid) = m.procid {
            put(&mut sys, "procid", procid);
        }
        let mut sev = Map::with_capacity(2);
        put(&mut sev, "code", i64::from(s));
        if let Some(n) = severity_name(s) {
            put(&mut sev, "name", Key::const_new(n));
        }
        put(&mut sys, "severity", sev);
    } else if let Some(procid) = m.procid {
        put(&mut sys, "procid", procid);
    }
    if !m.structured_data.is_empty() {
        let mut sd = Map::with_capacity(m.structured_data.len());
        for el in m.structured_data {
            let params: Map = el.params.into_iter().map(|(k, v)| (k, text(v))).collect();
            // Duplicate SD-IDs (forbidden, but seen) merge rather than overwrite.
            match sd.get_mut(el.id) {
                Some(Value::Object(existing)) => existing.extend(params),
                _ => {
                    sd.insert(el.id.into(), Value::Object(params));
                }
            }
        }
        put(&mut sys, "structured_data", sd);
    }
    if let Some(v) = m.version {
        put(&mut sys, "version", i64::from(v));
    }
    let mut log = Map::with_capacity(1);
    put(&mut log, "syslog", sys);
    put(fields, "log", log);
    put(fields, "message", text(m.message));
    if m.appname.is_some() || m.procid.is_some() {
        let mut proc_ = Map::with_capacity(2);
        if let Some(a) = m.appname {
            put(&mut proc_, "name", a);
        }
        if let Some(n) = m.procid.and_then(|p| p.parse::<i64>().ok()) {
            put(&mut proc_, "pid", n);
        }
        put(fields, "process", proc_);
    }
}
