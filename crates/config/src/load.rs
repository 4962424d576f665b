//! Reading TOML into component configs, one component at a time, so that one bad
//! component does not hide the errors of the next.

use crate::error::{ConfigError, ConfigErrors, Sink};
use crate::filters::{
    compile_date, compile_grok, compile_json, compile_kv, compile_mutate, compile_redact,
    compile_route, DateRaw, GrokRaw, JsonRaw, KvRaw, RedactRaw, RouteRaw,
};
use crate::model::*;
use crate::units::{parse_duration, ByteSize, HumanDuration};
use serde::de::DeserializeOwned;
use sluice_event::FieldPath;
use sluice_parse::condition::Condition;
use sluice_parse::template::{FieldName, Template};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Loads and validates one or more files; components from all files form one pipeline.
pub fn load_files<P: AsRef<Path>>(paths: &[P]) -> Result<Pipeline, ConfigErrors> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let name = p.as_ref().display().to_string();
        match std::fs::read_to_string(p.as_ref()) {
            Ok(text) => docs.push((name, text)),
            Err(e) => errors.push(ConfigError {
                file: name,
                component: String::new(),
                key: String::new(),
                message: format!("cannot read the file: {e}"),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    load_docs(&docs)
}

/// Loads configuration text; `name` is how errors refer to it.
pub fn load_str(name: &str, text: &str) -> Result<Pipeline, ConfigErrors> {
    load_docs(&[(name.to_owned(), text.to_owned())])
}

pub(crate) fn de<T: DeserializeOwned>(
    table: toml::Table,
    sink: &mut Sink<'_>,
    prefix: &str,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(toml::Value::Table(table)) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            let msg = e.inner().to_string();
            let mut key = if path == "." { String::new() } else { path };
            if key.is_empty() {
                // serde names an unknown or missing key only in its message.
                if let Some(k) = msg.split('`').nth(1) {
                    key = k.to_owned();
                }
            }
            if !prefix.is_empty() {
                key = if key.is_empty() {
                    prefix.to_owned()
                } else {
                    format!("{prefix}.{key}")
                };
            }
            sink.push(key, msg);
            None
        }
    }
}

fn take_str_list(t: &mut toml::Table, key: &str, sink: &mut Sink<'_>) -> Vec<String> {
    match t.remove(key) {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => {
            let mut out = Vec::new();
            for v in a {
                match v {
                    toml::Value::String(s) => out.push(s),
                    other => sink.push(
                        key,
                        format!("expected a list of strings, found {}", other.type_str()),
                    ),
                }
            }
            out
        }
        Some(toml::Value::String(s)) => vec![s],
        Some(other) => {
            sink.push(
                key,
                format!("expected a list of strings, found {}", other.type_str()),
            );
            Vec::new()
        }
    }
}

fn take_condition(t: &mut toml::Table, sink: &mut Sink<'_>) -> Option<Condition> {
    match t.remove("if")? {
        toml::Value::String(s) => match Condition::parse(&s) {
            Ok(c) => Some(c),
            Err(e) => {
                sink.push("if", format!("{e} in `{s}`"));
                None
            }
        },
        other => {
            sink.push(
                "if",
                format!("expected a condition string, found {}", other.type_str()),
            );
            None
        }
    }
}

/// `parsed`, or its error reported at `key` as "... in {what} `{src}`".
fn reported<T, E: std::fmt::Display>(
    parsed: Result<T, E>,
    what: &str,
    src: &str,
    key: &str,
    sink: &mut Sink<'_>,
) -> Option<T> {
    parsed
        .map_err(|e| sink.push(key, format!("{e} in {what} `{src}`")))
        .ok()
}

pub(crate) fn template(s: &str, key: &str, sink: &mut Sink<'_>) -> Option<Template> {
    reported(Template::parse(s), "template", s, key, sink)
}

pub(crate) fn field_name(s: &str, key: &str, sink: &mut Sink<'_>) -> Option<FieldName> {
    reported(FieldName::parse(s), "field name", s, key, sink)
}

pub(crate) fn path(s: &str, key: &str, sink: &mut Sink<'_>) -> Option<FieldPath> {
    match FieldPath::parse(s) {
        Ok(p) => Some(p),
        Err(e) => {
            sink.push(key, e.to_string());
            None
        }
    }
}

fn take_type(t: &mut toml::Table, sink: &mut Sink<'_>) -> Option<String> {
    match t.remove("type") {
        Some(toml::Value::String(s)) => Some(s),
        Some(other) => {
            sink.push(
                "type",
                format!("expected a string, found {}", other.type_str()),
            );
            None
        }
        None => {
            sink.push("type", "missing `type`");
            None
        }
    }
}

#[derive(Default)]
struct Acc {
    data_dir: Option<PathBuf>,
    admin: Option<AdminConfig>,
    grace: Option<Duration>,
    sources: BTreeMap<String, (String, SourceNode)>,
    transforms: BTreeMap<String, (String, TransformNode)>,
    sinks: BTreeMap<String, (String, SinkNode)>,
    /// Components declared but not loaded because of errors already reported; inputs
    /// naming them are not reported again as unknown.
    broken: std::collections::HashSet<String>,
}

fn load_docs(docs: &[(String, String)]) -> Result<Pipeline, ConfigErrors> {
    let mut errors = Vec::new();
    let mut acc = Acc::default();
    for (file, text) in docs {
        load_doc(file, text, &mut acc, &mut errors);
    }
    let pipeline = Pipeline {
        data_dir: acc.data_dir.unwrap_or_else(|| PathBuf::from("./data")),
        admin: acc.admin.unwrap_or_default(),
        shutdown_grace: acc.grace.unwrap_or(Duration::from_secs(30)),
        sources: acc.sources.into_iter().map(|(k, v)| (k, v.1)).collect(),
        transforms: acc.transforms.into_iter().map(|(k, v)| (k, v.1)).collect(),
        sinks: acc.sinks.into_iter().map(|(k, v)| (k, v.1)).collect(),
        files: docs.iter().map(|d| d.0.clone()).collect(),
    };
    crate::validate::validate(&pipeline, &acc.broken, &mut errors);
    if errors.is_empty() {
        Ok(pipeline)
    } else {
        Err(ConfigErrors(errors))
    }
}

fn section(
    file: &str,
    name: &str,
    v: toml::Value,
    errors: &mut Vec<ConfigError>,
) -> Vec<(String, toml::Table)> {
    let mut sink = Sink {
        errors,
        file,
        component: name.into(),
    };
    let toml::Value::Table(t) = v else {
        sink.push("", format!("`{name}` must be a table of components"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, body) in t {
        let mut s = Sink {
            errors: sink.errors,
            file,
            component: format!("{name}.{id}"),
        };
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            s.push(
                "",
                "component ids may contain only letters, digits, `_` and `-`",
            );
            continue;
        }
        match body {
            toml::Value::Table(b) => out.push((id, b)),
            other => s.push("", format!("expected a table, found {}", other.type_str())),
        }
    }
    out
}

fn load_doc(file: &str, text: &str, acc: &mut Acc, errors: &mut Vec<ConfigError>) {
    let root: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            errors.push(ConfigError {
                file: file.into(),
                component: String::new(),
                key: String::new(),
                message: format!("not valid TOML: {}", e.to_string().trim()),
            });
            return;
        }
    };
    for (key, value) in root {
        let mut top = Sink {
            errors,
            file,
            component: String::new(),
        };
        match key.as_str() {
            "data_dir" => match value {
                toml::Value::String(s) => acc.data_dir = Some(PathBuf::from(s)),
                other => top.push("data_dir", format!("expected a path string, found {}", other.type_str())),
            },
            "shutdown_grace" => match value {
                toml::Value::String(s) => match parse_duration(&s) {
                    Ok(d) => acc.grace = Some(d),
                    Err(e) => top.push("shutdown_grace", e),
                },
                toml::Value::Integer(n) if n >= 0 => acc.grace = Some(Duration::from_secs(n as u64)),
                other => top.push("shutdown_grace", format!("expected a duration like \"30s\", found {}", other.type_str())),
            },
            "admin" => {
                let mut s = Sink { errors, file, component: "admin".into() };
                match value {
                    toml::Value::Table(t) => acc.admin = de(t, &mut s, "").or(acc.admin.take()),
                    other => s.push("", format!("expected a table, found {}", other.type_str())),
                }
            }
            "sources" => load_section(
                file,
                "sources",
                value,
                errors,
                &mut acc.sources,
                &mut acc.broken,
                load_source,
            ),
            "transforms" => load_section(
                file,
                "transforms",
                value,
                errors,
                &mut acc.transforms,
                &mut acc.broken,
                load_transform,
            ),
            "sinks" => load_section(
                file,
                "sinks",
                value,
                errors,
                &mut acc.sinks,
                &mut acc.broken,
                load_sink,
            ),
            other => top.push(
                other,
                "unknown top-level key (expected data_dir, shutdown_grace, admin, sources, transforms, sinks)",
            ),
        }
    }
}

/// Loads every component of section `name` into `into`; a component that fails to load
/// is recorded in `broken`, its errors already reported.
fn load_section<T>(
    file: &str,
    name: &str,
    value: toml::Value,
    errors: &mut Vec<ConfigError>,
    into: &mut BTreeMap<String, (String, T)>,
    broken: &mut std::collections::HashSet<String>,
    load: fn(&str, toml::Table, &mut Sink<'_>) -> Option<T>,
) {
    for (id, t) in section(file, name, value, errors) {
        let mut s = Sink {
            errors,
            file,
            component: format!("{name}.{id}"),
        };
        match load(&id, t, &mut s) {
            Some(node) => insert_unique(into, id, file, node, &mut s),
            None => {
                broken.insert(id);
            }
        }
    }
}

fn insert_unique<T>(
    map: &mut BTreeMap<String, (String, T)>,
    id: String,
    file: &str,
    node: T,
    s: &mut Sink<'_>,
) {
    if let Some((first, _)) = map.get(&id) {
        s.push("", format!("defined twice (first in {first})"));
        return;
    }
    map.insert(id, (file.to_owned(), node));
}

fn at_least_one(s: &mut Sink<'_>, key: &str, n: usize) {
    if n == 0 {
        s.push(key, "must be at least 1");
    }
}

fn load_source(id: &str, mut t: toml::Table, s: &mut Sink<'_>) -> Option<SourceNode> {
    let ty = take_type(&mut t, s)?;
    let config = match ty.as_str() {
        "syslog" => {
            let c: SyslogSourceConfig = de(t, s, "")?;
            if c.timezone.parse::<chrono_tz::Tz>().is_err() {
                s.push("timezone", format!("unknown time zone `{}` (use an IANA name like \"Europe/Berlin\" or \"UTC\")", c.timezone));
                return None;
            }
            if c.mode == SyslogMode::Tls {
                s.push(
                    "mode",
                    "mode \"tls\" is not implemented yet; use \"tcp\" or \"udp\"",
                );
                return None;
            }
            if c.max_message_bytes.0 < 64 {
                s.push("max_message_bytes", "must be at least 64 bytes");
            }
            if c.batch_size == 0 || c.max_connections == 0 {
                s.push(
                    if c.batch_size == 0 {
                        "batch_size"
                    } else {
                        "max_connections"
                    },
                    "must be at least 1",
                );
            }
            SourceConfig::Syslog(c)
        }
        "beats" => {
            let c: BeatsSourceConfig = de(t, s, "")?;
            at_least_one(s, "max_connections", c.max_connections);
            at_least_one(s, "max_window", c.max_window as usize);
            if c.max_frame_bytes.0 < 1024 {
                s.push("max_frame_bytes", "must be at least 1KiB");
            }
            if c.max_inflated_bytes.0 < c.max_frame_bytes.0 {
                s.push(
                    "max_inflated_bytes",
                    "must be at least max_frame_bytes (a block inflates to more than it takes on the wire)",
                );
            }
            if c.ack_keepalive.0.is_zero() {
                s.push("ack_keepalive", "must be longer than 0s");
            }
            SourceConfig::Beats(c)
        }
        "json_lines" => {
            let c: JsonLinesSourceConfig = de(t, s, "")?;
            at_least_one(s, "max_connections", c.max_connections);
            at_least_one(s, "batch_size", c.batch_size);
            if c.max_line_bytes.0 < 64 {
                s.push("max_line_bytes", "must be at least 64 bytes");
            }
            SourceConfig::JsonLines(c)
        }
        "http" => {
            let c: HttpSourceConfig = de(t, s, "")?;
            at_least_one(s, "max_connections", c.max_connections);
            if !c.path.starts_with('/') {
                s.push("path", format!("must start with `/` (got `{}`)", c.path));
            }
            if c.auth.as_ref().is_some_and(|a| a.bearer_token.is_empty()) {
                s.push("auth.bearer_token", "must not be empty");
            }
            SourceConfig::Http(c)
        }
        other => {
            s.push(
                "type",
                format!(
                    "unknown source type `{other}` (expected: syslog, beats, json_lines, http)"
                ),
            );
            return None;
        }
    };
    Some(SourceNode {
        id: id.into(),
        config,
    })
}

fn load_transform(id: &str, mut t: toml::Table, s: &mut Sink<'_>) -> Option<TransformNode> {
    let ty = take_type(&mut t, s)?;
    let inputs = take_str_list(&mut t, "inputs", s);
    let condition = take_condition(&mut t, s);
    let config = match ty.as_str() {
        "mutate" => {
            let raw: MutateRaw = de(t, s, "")?;
            TransformConfig::Mutate(compile_mutate(raw, s)?)
        }
        "filter" => {
            let _: Empty = de(t, s, "")?;
            if condition.is_none() {
                s.push(
                    "if",
                    "a filter needs an `if` condition: it keeps the events where it holds",
                );
                return None;
            }
            TransformConfig::Filter
        }
        "drop" => {
            let _: Empty = de(t, s, "")?;
            TransformConfig::Drop
        }
        "grok" => {
            let raw: GrokRaw = de(t, s, "")?;
            TransformConfig::Grok(compile_grok(raw, s)?)
        }
        "date" => {
            let raw: DateRaw = de(t, s, "")?;
            TransformConfig::Date(compile_date(raw, s)?)
        }
        "route" => {
            let raw: RouteRaw = de(t, s, "")?;
            TransformConfig::Route(compile_route(raw, s)?)
        }
        "json" => {
            let raw: JsonRaw = de(t, s, "")?;
            TransformConfig::Json(compile_json(raw, s)?)
        }
        "kv" => {
            let raw: KvRaw = de(t, s, "")?;
            TransformConfig::Kv(compile_kv(raw, s)?)
        }
        "redact" => {
            let raw: RedactRaw = de(t, s, "")?;
            TransformConfig::Redact(compile_redact(raw, s)?)
        }
        other => {
            s.push(
                "type",
                format!(
                    "unknown transform type `{other}` (expected: grok, date, json, kv, mutate, redact, route, filter, drop)"
                ),
            );
            return None;
        }
    };
    Some(TransformNode {
        id: id.into(),
        inputs,
        condition,
        config,
    })
}

fn encoding(kind: EncodingKind, tpl: Option<String>, s: &mut Sink<'_>) -> Option<Encoding> {
    match (kind, tpl) {
        (EncodingKind::Json, None) => Some(Encoding::Json),
        (EncodingKind::Json, Some(_)) => {
            s.push("template", "`template` needs `encoding = \"text\"`");
            None
        }
        (EncodingKind::Text, Some(t)) => template(&t, "template", s).map(Encoding::Text),
        (EncodingKind::Text, None) => Some(Encoding::Text(Template::parse("%{message}").ok()?)),
    }
}

fn load_sink(id: &str, mut t: toml::Table, s: &mut Sink<'_>) -> Option<SinkNode> {
    let ty = take_type(&mut t, s)?;
    let inputs = take_str_list(&mut t, "inputs", s);
    let condition = take_condition(&mut t, s);
    let mut buffer = BufferConfig::default();
    if let Some(v) = t.remove("buffer") {
        match v {
            toml::Value::Table(bt) => match de::<BufferRaw>(bt, s, "buffer")? {
                BufferRaw::Memory { max_events } if max_events > 0 => {
                    buffer.max_events = max_events
                }
                BufferRaw::Memory { .. } => s.push("buffer.max_events", "must be at least 1"),
                BufferRaw::Disk {
                    max_bytes: ByteSize(_),
                } => {
                    s.push(
                        "buffer.type",
                        "disk buffers are not implemented yet; use type = \"memory\"",
                    );
                    return None;
                }
            },
            other => s.push(
                "buffer",
                format!("expected a table, found {}", other.type_str()),
            ),
        }
    }
    if let Some(v) = t.remove("when_full") {
        match v.as_str() {
            Some("block") => buffer.when_full = WhenFull::Block,
            Some("drop_newest") => buffer.when_full = WhenFull::DropNewest,
            _ => s.push(
                "when_full",
                format!("expected \"block\" or \"drop_newest\", found {v}"),
            ),
        }
    }
    let config = match ty.as_str() {
        "file" => {
            let raw: FileSinkRaw = de(t, s, "")?;
            let path = template(&raw.path, "path", s)?;
            let encoding = encoding(raw.encoding, raw.template, s)?;
            if raw.max_bytes.is_some_and(|b| b.0 == 0) {
                s.push(
                    "max_bytes",
                    "must be more than 0 (leave it out to disable size rotation)",
                );
            }
            let rotate_every = raw.rotate_every.map(|HumanDuration(d)| d);
            if rotate_every.is_some_and(|d| d < Duration::from_secs(1)) {
                s.push("rotate_every", "must be at least 1s");
            }
            SinkConfig::File(FileSinkConfig {
                path,
                encoding,
                max_bytes: raw.max_bytes.map(|b| b.0),
                backup_count: raw.backup_count,
                rotate_every,
                max_age: raw.max_age.map(|d| d.0),
                compress: raw.compress,
                fsync: raw.fsync,
                max_open_files: raw.max_open_files.max(1),
            })
        }
        "console" => {
            let raw: ConsoleSinkRaw = de(t, s, "")?;
            SinkConfig::Console(ConsoleSinkConfig {
                encoding: encoding(raw.encoding, raw.template, s)?,
                target: raw.target,
            })
        }
        "blackhole" => {
            let _: Empty = de(t, s, "")?;
            SinkConfig::Blackhole
        }
        other => {
            s.push(
                "type",
                format!("unknown sink type `{other}` (expected: file, console, blackhole)"),
            );
            return None;
        }
    };
    Some(SinkNode {
        id: id.into(),
        inputs,
        condition,
        buffer,
        config,
    })
}
