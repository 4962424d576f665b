//! Decoding one component: the keys the graph owns (`type`, `inputs`, `if`, `buffer`,
//! `when_full`), then the component's own keys through its kind's serde registry, then
//! its build step.

use crate::error::Report;
use crate::pipeline::{SinkNode, SourceNode, TransformNode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sluice_core::config::{BufferConfig, Build, ByteSize, DiskConfig, HumanDuration, WhenFull};
use sluice_parse::condition::Condition;
use sluice_sinks::SinkConfig;
use sluice_sources::SourceConfig;
use sluice_transforms::TransformConfig;

/// Decodes `table` as `T`, reporting a failure at its key (under `prefix`).
pub(crate) fn de<T: DeserializeOwned>(
    table: toml::Table,
    r: &mut Report<'_>,
    prefix: &str,
) -> Option<T> {
    decoded(toml::Value::Table(table), r, prefix, false)
}

/// serde's error at the key it names. `tagged`: the value is `{ <type> = { ... } }`,
/// whose first path segment is the type, not a key of the user's.
fn decoded<T: DeserializeOwned>(
    value: toml::Value,
    r: &mut Report<'_>,
    prefix: &str,
    tagged: bool,
) -> Option<T> {
    let e = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => return Some(v),
        Err(e) => e,
    };
    // toml repeats the key after a custom error ("...\nin `timezone`\n"); the key is
    // reported on its own.
    let msg = e.inner().to_string();
    let msg = msg
        .split("\nin `")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let msg = crate::suggest::serde_message(&msg);
    let mut path = e.path().to_string();
    if tagged {
        path = match path.split_once('.') {
            Some((_, rest)) => rest.to_owned(),
            None if msg.starts_with("unknown variant") => {
                r.push("type", msg.replace("unknown variant", "unknown type"));
                return None;
            }
            None => String::new(),
        };
    }
    let mut key = if path == "." || path == "?" {
        String::new()
    } else {
        path
    };
    if key.is_empty() {
        // serde names an unknown or missing key only in its message
        // ("unknown field `adress`, expected one of ...").
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
    r.push(key, msg);
    None
}

/// `{ <type> = <the rest> }` decoded as the kind's registry enum: serde picks the
/// component by its type and names the known ones when it is unknown.
fn typed<T: DeserializeOwned>(ty: &str, body: toml::Table, r: &mut Report<'_>) -> Option<T> {
    let mut outer = toml::Table::new();
    outer.insert(ty.to_owned(), toml::Value::Table(body));
    decoded(toml::Value::Table(outer), r, "", true)
}

fn take_type(t: &mut toml::Table, r: &mut Report<'_>) -> Option<String> {
    match t.remove("type") {
        Some(toml::Value::String(s)) => Some(s),
        Some(other) => {
            r.push(
                "type",
                format!("expected a string, found {}", other.type_str()),
            );
            None
        }
        None => {
            r.push("type", "missing `type`");
            None
        }
    }
}

fn take_inputs(t: &mut toml::Table, r: &mut Report<'_>) -> Vec<String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Inputs {
        One(String),
        Many(Vec<String>),
    }
    let Some(v) = t.remove("inputs") else {
        return Vec::new();
    };
    match Inputs::deserialize(v) {
        Ok(Inputs::One(s)) => vec![s],
        Ok(Inputs::Many(v)) => v,
        Err(_) => {
            r.push("inputs", "expected a list of strings");
            Vec::new()
        }
    }
}

fn take_condition(t: &mut toml::Table, r: &mut Report<'_>) -> Option<Condition> {
    match t.remove("if")? {
        toml::Value::String(s) => match Condition::parse(&s) {
            Ok(c) => Some(c),
            Err(e) => {
                r.push("if", format!("{e} in `{s}`"));
                None
            }
        },
        other => {
            r.push(
                "if",
                format!("expected a condition string, found {}", other.type_str()),
            );
            None
        }
    }
}

/// Runs a build step, reporting its problems. A component may come back despite
/// problems (the load fails anyway) so that the graph checks can still run on it.
fn build<T>(
    file: &str,
    r: &mut Report<'_>,
    f: impl FnOnce(&mut Build<'_>) -> Option<T>,
) -> Option<T> {
    let mut b = Build::new(file);
    let built = f(&mut b);
    r.problems(b.into_problems());
    built
}

pub(crate) fn source(id: &str, mut t: toml::Table, r: &mut Report<'_>) -> Option<SourceNode> {
    let ty = take_type(&mut t, r)?;
    let config: SourceConfig = typed(&ty, t, r)?;
    let file = r.file;
    let config = build(file, r, |b| config.build(b))?;
    Some(SourceNode {
        id: id.into(),
        config,
    })
}

pub(crate) fn transform(id: &str, mut t: toml::Table, r: &mut Report<'_>) -> Option<TransformNode> {
    let ty = take_type(&mut t, r)?;
    let inputs = take_inputs(&mut t, r);
    let condition = take_condition(&mut t, r);
    let config: TransformConfig = typed(&ty, t, r)?;
    let type_name = config.type_name();
    let file = r.file;
    let transform = build(file, r, |b| config.build(b))?;
    if let (Some(why), None) = (transform.needs_condition(), &condition) {
        r.push("if", why);
        return None;
    }
    Some(TransformNode {
        id: id.into(),
        type_name,
        inputs,
        condition,
        transform,
    })
}

/// `buffer = { type = "memory", max_events = N }` (★); disk buffers come later.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum BufferRaw {
    Memory {
        #[serde(default = "default_buffer_events")]
        max_events: usize,
    },
    Disk {
        max_bytes: ByteSize,
        #[serde(default = "default_fsync_interval")]
        fsync_interval: HumanDuration,
    },
}

fn default_fsync_interval() -> HumanDuration {
    HumanDuration(std::time::Duration::from_millis(200))
}

fn default_buffer_events() -> usize {
    BufferConfig::default().max_events
}

fn take_buffer(t: &mut toml::Table, r: &mut Report<'_>) -> Option<BufferConfig> {
    let mut buffer = BufferConfig::default();
    if let Some(v) = t.remove("buffer") {
        match v {
            toml::Value::Table(bt) => match de::<BufferRaw>(bt, r, "buffer")? {
                BufferRaw::Memory { max_events } if max_events > 0 => {
                    buffer.max_events = max_events
                }
                BufferRaw::Memory { .. } => r.push("buffer.max_events", "must be at least 1"),
                BufferRaw::Disk {
                    max_bytes,
                    fsync_interval,
                } => {
                    if max_bytes.0 < (1 << 20) {
                        r.push("buffer.max_bytes", "must be at least 1MiB");
                    }
                    buffer.disk = Some(DiskConfig {
                        max_bytes: max_bytes.0,
                        fsync_interval: fsync_interval.0,
                    });
                }
            },
            other => r.push(
                "buffer",
                format!("expected a table, found {}", other.type_str()),
            ),
        }
    }
    if let Some(v) = t.remove("when_full") {
        match WhenFull::deserialize(v.clone()) {
            Ok(w) => buffer.when_full = w,
            Err(_) => r.push(
                "when_full",
                format!("expected \"block\" or \"drop_newest\", found {v}"),
            ),
        }
    }
    Some(buffer)
}

pub(crate) fn sink(id: &str, mut t: toml::Table, r: &mut Report<'_>) -> Option<SinkNode> {
    let ty = take_type(&mut t, r)?;
    let inputs = take_inputs(&mut t, r);
    let condition = take_condition(&mut t, r);
    let buffer = take_buffer(&mut t, r)?;
    let config: SinkConfig = typed(&ty, t, r)?;
    let type_name = config.type_name();
    let file = r.file;
    let sink = build(file, r, |b| config.build(b))?;
    Some(SinkNode {
        id: id.into(),
        type_name,
        inputs,
        condition,
        buffer,
        sink,
    })
}
