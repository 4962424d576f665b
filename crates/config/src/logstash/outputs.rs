//! Logstash outputs as sluice sinks, each under its whole condition.

use super::values::*;
use super::Conv;
use sluice_lscl::{Item, Plugin};
use toml::Value as T;

impl Conv {
    /// The outputs of `items`, each under `cond` (the whole condition: outputs change
    /// nothing, so it can be evaluated at the sink).
    pub(super) fn outputs(&mut self, items: &[Item], cond: Option<&str>) {
        for item in items {
            match item {
                Item::Plugin(p) => self.output(p, cond),
                Item::Branch(b) => {
                    let mut earlier: Vec<String> = Vec::new();
                    let count = b.cases.len() + usize::from(b.otherwise.is_some());
                    for k in 0..count {
                        let mut parts: Vec<String> =
                            cond.iter().map(|c| format!("({c})")).collect();
                        parts.extend(earlier.iter().map(|c| format!("!({c})")));
                        let body: &[Item] = match b.cases.get(k) {
                            Some((c, body)) => {
                                parts.push(format!("({})", c.text));
                                earlier.push(c.text.clone());
                                body
                            }
                            None => b.otherwise.as_deref().unwrap_or(&[]),
                        };
                        let whole = parts.join(" and ");
                        self.outputs(body, (!whole.is_empty()).then_some(whole.as_str()));
                    }
                }
            }
        }
    }

    fn output(&mut self, p: &Plugin, cond: Option<&str>) {
        let (mut t, codec, id, at) = self.prepare(p);
        if self.test && p.name != "pipeline" {
            // `sluice test` replaces every output, whatever it is, keeping its condition.
            self.chain
                .sinks
                .push((id, super::placeholder_output(cond), at));
            return;
        }
        let mut out = toml::Table::new();
        match p.name.as_str() {
            "elasticsearch" => {
                out.insert("type".into(), s("elasticsearch"));
                let ssl = matches!(
                    t.remove("ssl").or(t.remove("ssl_enabled")),
                    Some(T::Boolean(true))
                );
                let hosts = match t.remove("hosts") {
                    Some(T::Array(a)) => a,
                    Some(one) => vec![one],
                    None => vec![s("127.0.0.1:9200")],
                };
                let endpoints: Vec<T> = hosts
                    .iter()
                    .filter_map(|h| h.as_str())
                    .map(|h| {
                        let h = h.trim_start_matches("//");
                        if h.contains("://") {
                            s(h)
                        } else {
                            s(&format!("{}://{h}", if ssl { "https" } else { "http" }))
                        }
                    })
                    .collect();
                out.insert("endpoints".into(), T::Array(endpoints));
                let user = as_text(t.remove("user"));
                let password = as_text(t.remove("password"));
                if let Some(key) = as_text(t.remove("api_key")) {
                    let mut a = toml::Table::new();
                    a.insert("api_key".into(), s(&key));
                    out.insert("auth".into(), T::Table(a));
                } else if let (Some(u), Some(pw)) = (user, password) {
                    let mut a = toml::Table::new();
                    a.insert("user".into(), s(&u));
                    a.insert("password".into(), s(&pw));
                    out.insert("auth".into(), T::Table(a));
                }
                let mut tls = toml::Table::new();
                for k in ["cacert", "ssl_certificate_authorities"] {
                    if let Some(v) = t.remove(k) {
                        let first = match v {
                            T::Array(a) => a.into_iter().next(),
                            other => Some(other),
                        };
                        if let Some(f) = first {
                            tls.insert("ca_file".into(), f);
                        }
                    }
                }
                if matches!(
                    as_text(t.remove("ssl_verification_mode")).as_deref(),
                    Some("none")
                ) || matches!(
                    t.remove("ssl_certificate_verification"),
                    Some(T::Boolean(false))
                ) {
                    tls.insert("verify".into(), T::Boolean(false));
                }
                if !tls.is_empty() {
                    out.insert("tls".into(), T::Table(tls));
                }
                if matches!(t.remove("http_compression"), Some(T::Boolean(true))) {
                    out.insert("compression".into(), s("gzip"));
                }
                let ds = as_text(t.remove("data_stream"));
                let mut d = toml::Table::new();
                for (from, to) in [
                    ("data_stream_type", "type"),
                    ("data_stream_dataset", "dataset"),
                    ("data_stream_namespace", "namespace"),
                    ("data_stream_auto_routing", "auto_routing"),
                    ("data_stream_sync_fields", "sync_fields"),
                ] {
                    if let Some(v) = t.remove(from) {
                        d.insert(to.into(), v);
                    }
                }
                if ds.as_deref() == Some("true") {
                    out.insert("data_stream".into(), T::Table(d));
                }
                let mut retry = toml::Table::new();
                for (from, to) in [
                    ("retry_initial_interval", "initial"),
                    ("retry_max_interval", "max"),
                ] {
                    if let Some(v) = as_text(t.remove(from)) {
                        retry.insert(to.into(), s(&format!("{v}s")));
                    }
                }
                if !retry.is_empty() {
                    out.insert("retry".into(), T::Table(retry));
                }
                for k in [
                    "manage_template",
                    "template",
                    "template_name",
                    "template_overwrite",
                    "ilm_enabled",
                    "ilm_rollover_alias",
                    "ilm_pattern",
                    "ilm_policy",
                    "sniffing",
                    "document_type",
                ] {
                    if t.remove(k).is_some() {
                        self.warnings.push(format!(
                            "{at}: `{k}` on the elasticsearch output is ignored: sluice does not manage index templates, ILM or sniffing"
                        ));
                    }
                }
            }
            "file" => {
                out.insert("type".into(), s("file"));
                for k in [
                    "flush_interval",
                    "write_behavior",
                    "create_if_deleted",
                    "dir_mode",
                    "file_mode",
                    "filename_failure",
                    "stale_cleanup_interval",
                ] {
                    if t.remove(k).is_some() {
                        self.warnings.push(format!("{at}: `{k}` on the file output is ignored: sluice's file sink flushes each batch and manages its own files"));
                    }
                }
                match codec.as_deref() {
                    None | Some("json_lines" | "json") => {
                        out.insert("encoding".into(), s("json"));
                    }
                    Some("line" | "plain") => line_encoding(p, &mut out),
                    Some(other) => return self.refuse(p, "output", &format!("its codec `{other}` is not available; the file output writes JSON lines (codec => json_lines) or text lines (codec => line {{ format => \"...\" }})")),
                }
            }
            "stdout" => {
                out.insert("type".into(), s("console"));
                match codec.as_deref() {
                    // rubydebug's Ruby hash and dots' dots are shown as JSON lines.
                    None | Some("rubydebug" | "json_lines" | "json" | "dots") => {
                        out.insert("encoding".into(), s("json"));
                    }
                    Some("line" | "plain") => line_encoding(p, &mut out),
                    Some(other) => {
                        return self.refuse(
                            p,
                            "output",
                            &format!(
                                "its codec `{other}` is not available; stdout writes JSON lines or text lines (codec => line)"
                            ),
                        )
                    }
                }
            }
            "pipeline" => {
                let targets: Vec<String> = match t.remove("send_to") {
                    Some(T::Array(a)) => a
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    Some(T::String(one)) => vec![one],
                    _ => Vec::new(),
                };
                if targets.is_empty() {
                    return self.error("send_to".into(), format!(
                        "line {}, column {}: the `pipeline` output needs `send_to => [\"address\", ...]`",
                        p.pos.line, p.pos.column
                    ));
                }
                t.remove("ensure_delivery");
                self.chain.sends.push(super::links::Send {
                    targets,
                    cond: cond.map(str::to_owned),
                    id,
                    at,
                });
                return;
            }
            _ => {
                return self.refuse(
                    p,
                    "output",
                    "sluice's outputs are elasticsearch, file and stdout",
                )
            }
        }
        if let Some(c) = cond {
            out.insert("if".into(), s(c));
        }
        out.extend(t);
        self.chain.sinks.push((id, T::Table(out), at));
    }
}

/// The `line` / `plain` codec as a text encoding: its `format`, or Logstash's default
/// rendering of an event (`@timestamp host message`).
fn line_encoding(p: &Plugin, out: &mut toml::Table) {
    let format = match attr(p, "codec").map(|a| &a.value) {
        Some(sluice_lscl::Value::Plugin(c)) => attr(c, "format")
            .and_then(|f| f.value.as_str())
            .map(str::to_owned),
        _ => None,
    };
    out.insert("encoding".into(), s("text"));
    out.insert(
        "template".into(),
        s(format
            .as_deref()
            .unwrap_or("%{@timestamp} %{host} %{message}")),
    );
}
