//! `pipelines.yml`: Logstash's list of pipelines, each with `pipeline.id` and either
//! `path.config` (a file, directory or glob of `.conf` files) or `config.string`.
//!
//! Pure: text in, entries or errors (naming the file, the pipeline and the key) out.
//! Settings of Logstash's own engine (`pipeline.workers`, `queue.type`, ...) have no
//! meaning in sluice; each is a warning, not an error. Keys may be written flat
//! (`pipeline.id: x`) or nested (`pipeline: { id: x }`), as Logstash reads them.

use crate::error::ConfigError;
use serde_norway::Value;

/// One pipeline as `pipelines.yml` declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `pipeline.id`.
    pub id: String,
    /// Where its configuration is.
    pub config: EntryConfig,
}

/// A pipeline's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryConfig {
    /// `path.config`: a file, a directory or a glob.
    Path(String),
    /// `config.string`: the pipeline itself.
    String(String),
}

/// The entries of `text` (the file `file`), and warnings about settings sluice ignores.
pub fn parse(file: &str, text: &str) -> Result<(Vec<Entry>, Vec<String>), Vec<ConfigError>> {
    let err = |component: &str, key: &str, message: String| ConfigError {
        file: file.to_owned(),
        component: component.to_owned(),
        key: key.to_owned(),
        message,
    };
    let doc: Value = serde_norway::from_str(text)
        .map_err(|e| vec![err("", "", format!("not valid YAML: {e}"))])?;
    let Value::Sequence(list) = doc else {
        return Err(vec![err(
            "",
            "",
            "must be a list of pipelines (`- pipeline.id: main` ...)".into(),
        )]);
    };
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (n, item) in list.iter().enumerate() {
        let mut flat = Vec::new();
        flatten("", item, &mut flat);
        let get = |k: &str| {
            flat.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let here = format!("pipeline {}", n + 1);
        let Some(id) = get("pipeline.id") else {
            errors.push(err(
                &here,
                "pipeline.id",
                "every pipeline needs a `pipeline.id`".into(),
            ));
            continue;
        };
        let at = format!("pipeline `{id}`");
        if entries.iter().any(|e: &Entry| e.id == id) {
            errors.push(err(&at, "pipeline.id", "is declared twice".into()));
            continue;
        }
        let config = match (get("path.config"), get("config.string")) {
            (Some(p), None) => EntryConfig::Path(p),
            (None, Some(s)) => EntryConfig::String(s),
            (Some(_), Some(_)) => {
                errors.push(err(
                    &at,
                    "config.string",
                    "set either `path.config` or `config.string`, not both".into(),
                ));
                continue;
            }
            (None, None) => {
                errors.push(err(
                    &at,
                    "path.config",
                    "needs `path.config` or `config.string`".into(),
                ));
                continue;
            }
        };
        for (k, _) in &flat {
            if !matches!(k.as_str(), "pipeline.id" | "path.config" | "config.string") {
                warnings.push(format!(
                    "{file}: {at}: `{k}` is a setting of Logstash's engine and is ignored (sluice sizes its own workers, batches and buffers)"
                ));
            }
        }
        entries.push(Entry { id, config });
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(err("", "", "declares no pipeline".into()));
    }
    if errors.is_empty() {
        Ok((entries, warnings))
    } else {
        Err(errors)
    }
}

/// `{a: {b: 1}}` and `{a.b: 1}` alike as `[("a.b", "1")]`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = scalar(k);
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => serde_norway::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_nested_keys_read_alike_and_engine_settings_warn() {
        let (e, w) = parse(
            "p.yml",
            "- pipeline.id: intake\n  path.config: \"/etc/ls/intake/*.conf\"\n  pipeline.workers: 4\n- pipeline:\n    id: out\n  config:\n    string: \"input { pipeline { address => es } } output { stdout {} }\"\n",
        )
        .unwrap();
        assert_eq!(
            e[0],
            Entry {
                id: "intake".into(),
                config: EntryConfig::Path("/etc/ls/intake/*.conf".into())
            }
        );
        assert_eq!(e[1].id, "out");
        assert!(matches!(&e[1].config, EntryConfig::String(s) if s.contains("address => es")));
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("pipeline `intake`: `pipeline.workers`"),
            "{w:?}"
        );
    }

    #[test]
    fn missing_ids_and_configs_name_the_pipeline_and_key() {
        let e = parse("p.yml", "- path.config: a.conf\n- pipeline.id: b\n- pipeline.id: c\n  path.config: x\n- pipeline.id: c\n  path.config: y\n").unwrap_err();
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            text[0].contains("p.yml")
                && text[0].contains("pipeline 1")
                && text[0].contains("pipeline.id"),
            "{text:?}"
        );
        assert!(
            text[1].contains("pipeline `b`") && text[1].contains("path.config"),
            "{text:?}"
        );
        assert!(text[2].contains("declared twice"), "{text:?}");
        assert!(parse("p.yml", "a: [").unwrap_err()[0]
            .to_string()
            .contains("not valid YAML"));
    }
}
