//! `data_stream = { type, dataset, namespace }`: events go to the data stream
//! `<type>-<dataset>-<namespace>` with `create` (data streams are append-only), as
//! Logstash's `data_stream => true` does.
//!
//! - Auto-routing (on by default, as in Logstash): an event's own `[data_stream][type]`,
//!   `[data_stream][dataset]` and `[data_stream][namespace]` choose its stream; the
//!   configured values fill in what the event does not say.
//! - Field sync (on by default): the event's `data_stream.*` fields are set to the stream
//!   it is written to, so that Elasticsearch's `constant_keyword` mapping never rejects it.
//!
//! A value from an event that is not a valid name part is not used: the configured value
//! is, so a bad field never sends an event to a stream that cannot exist.

use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, Value};

/// `data_stream`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataStreamConfig {
    #[serde(rename = "type")]
    kind: String,
    dataset: String,
    namespace: String,
    auto_routing: bool,
    sync_fields: bool,
}

impl Default for DataStreamConfig {
    fn default() -> Self {
        DataStreamConfig {
            kind: "logs".into(),
            dataset: "generic".into(),
            namespace: "default".into(),
            auto_routing: true,
            sync_fields: true,
        }
    }
}

/// The stream settings, checked.
#[derive(Clone, Debug)]
pub struct DataStream {
    parts: [String; 3],
    auto_routing: bool,
    sync_fields: bool,
}

const KINDS: [&str; 4] = ["logs", "metrics", "synthetics", "traces"];
const PARTS: [&str; 3] = ["type", "dataset", "namespace"];

/// Whether `s` may be the `part` (0: type, 1: dataset, 2: namespace) of a stream name:
/// Elasticsearch's naming scheme, as Logstash checks it.
fn valid(part: usize, s: &str) -> Result<(), String> {
    if part == 0 {
        return if KINDS.contains(&s) {
            Ok(())
        } else {
            Err(format!("`{s}` is not one of {}", KINDS.join(", ")))
        };
    }
    if s.is_empty() || s.len() > 100 {
        return Err("must have 1 to 100 characters".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_uppercase() || c.is_whitespace() || "\\/*?\"<>|,#:-".contains(*c))
    {
        return Err(format!(
            "`{s}` has `{c}`: lowercase, without \\ / * ? \" < > | , # : - or spaces"
        ));
    }
    Ok(())
}

impl DataStreamConfig {
    pub(crate) fn build(self, b: &mut Build<'_>) -> Option<DataStream> {
        let parts = [self.kind, self.dataset, self.namespace];
        let mut ok = true;
        for (i, p) in parts.iter().enumerate() {
            if let Err(e) = valid(i, p) {
                b.push(format!("data_stream.{}", PARTS[i]), e);
                ok = false;
            }
        }
        ok.then_some(DataStream {
            parts,
            auto_routing: self.auto_routing,
            sync_fields: self.sync_fields,
        })
    }
}

impl DataStream {
    /// The parts of the stream `e` goes to.
    fn parts<'a>(&'a self, e: &'a Event) -> [&'a str; 3] {
        let mut chosen = [
            self.parts[0].as_str(),
            self.parts[1].as_str(),
            self.parts[2].as_str(),
        ];
        if !self.auto_routing {
            return chosen;
        }
        if let Some(Value::Object(ds)) = e.fields().get("data_stream") {
            for (i, name) in PARTS.iter().enumerate() {
                if let Some(v) = ds.get(*name).and_then(Value::as_str) {
                    if valid(i, v).is_ok() {
                        chosen[i] = v;
                    }
                }
            }
        }
        chosen
    }

    /// Writes the name of the stream `e` goes to into `out`.
    pub(crate) fn name_into(&self, e: &Event, out: &mut String) {
        for (i, p) in self.parts(e).iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push_str(p);
        }
    }

    /// Sets `e`'s `data_stream.*` fields to its stream, when `sync_fields` is on.
    pub(crate) fn sync(&self, e: &mut Event) {
        if !self.sync_fields {
            return;
        }
        let parts = self.parts(e).map(|p| Value::String(p.into()));
        let ds = e
            .fields_mut()
            .get_or_insert_with("data_stream", || Value::Object(Default::default()));
        if !matches!(ds, Value::Object(_)) {
            *ds = Value::Object(Default::default());
        }
        if let Value::Object(m) = ds {
            for (name, v) in PARTS.iter().zip(parts) {
                m.insert((*name).into(), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(toml: &str) -> Result<DataStream, Vec<String>> {
        let c: DataStreamConfig = toml::from_str(toml).unwrap();
        let mut b = Build::new("test.toml");
        let built = c.build(&mut b);
        let problems = b.into_problems();
        built.ok_or_else(|| {
            problems
                .iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect()
        })
    }

    fn event(json: &str) -> Event {
        match Value::from_json(json.as_bytes()).unwrap() {
            Value::Object(m) => Event::from_map(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_are_logs_generic_default_and_fields_are_synced() {
        let d = built("").unwrap();
        let mut e = event(r#"{"message":"a"}"#);
        let mut out = String::new();
        d.sync(&mut e);
        d.name_into(&e, &mut out);
        assert_eq!(out, "logs-generic-default");
        let mut json = Vec::new();
        e.write_json(&mut json);
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["data_stream"]["type"], "logs");
        assert_eq!(v["data_stream"]["dataset"], "generic");
        assert_eq!(v["data_stream"]["namespace"], "default");
    }

    #[test]
    fn an_events_own_fields_route_it_unless_they_are_not_valid() {
        let d = built(r#"dataset = "studio""#).unwrap();
        let mut e = event(r#"{"data_stream":{"dataset":"nginx","namespace":"prod"}}"#);
        let mut out = String::new();
        d.sync(&mut e);
        d.name_into(&e, &mut out);
        assert_eq!(out, "logs-nginx-prod");
        let mut e = event(r#"{"data_stream":{"dataset":"Bad-Name","type":"nope"}}"#);
        out.clear();
        d.sync(&mut e);
        d.name_into(&e, &mut out);
        assert_eq!(out, "logs-studio-default");
        assert_eq!(
            e.fields()
                .get("data_stream")
                .unwrap()
                .as_object()
                .unwrap()
                .get("dataset")
                .unwrap()
                .as_str(),
            Some("studio")
        );
        let d = built("auto_routing = false\nsync_fields = false").unwrap();
        let mut e = event(r#"{"data_stream":{"dataset":"nginx"}}"#);
        out.clear();
        d.sync(&mut e);
        d.name_into(&e, &mut out);
        assert_eq!(out, "logs-generic-default");
        assert_eq!(
            e.fields()
                .get("data_stream")
                .unwrap()
                .as_object()
                .unwrap()
                .get("dataset")
                .unwrap()
                .as_str(),
            Some("nginx")
        );
    }

    #[test]
    fn names_are_checked_with_their_key() {
        let errs = built("type = \"log\"\ndataset = \"my-app\"\nnamespace = \"\"").unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].starts_with("data_stream.type: `log` is not one of logs"),
            "{errs:?}"
        );
        assert!(
            errs[1].starts_with("data_stream.dataset: `my-app` has `-`"),
            "{errs:?}"
        );
        assert!(
            errs[2].starts_with("data_stream.namespace: must have"),
            "{errs:?}"
        );
    }
}
