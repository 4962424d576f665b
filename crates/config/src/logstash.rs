//! Logstash pipelines (`.conf`), unchanged: parsed by `sluice-lscl`, then turned into
//! the same TOML document a user would write, which the ordinary loader checks and
//! builds. `sluice convert` prints that document.
//!
//! - Files are read in the order given (a directory: its `*.conf` in lexical order, as
//!   Logstash's `path.config`), their sections joined in that order.
//! - Inputs become sources; the filters, in order, one chain of transforms; outputs,
//!   sinks fed by the chain's end.
//! - Component ids are `<plugin>_<line>` (or the plugin's `id`), so that every error the
//!   loader reports names a line of the `.conf`; `convert` writes the source line above
//!   each component.
//! - `if` / `else if` / `else` around filters: Logstash evaluates a branch's conditions
//!   once, when the event reaches it, and a plugin inside may change the fields a
//!   condition reads. So each case first sets a marker in `@metadata` (in order: a case's
//!   marker only when no earlier case's is set), and the plugins inside run on their
//!   case's marker. A branch of one case holding one plugin takes the condition directly.
//!   Around outputs, which change nothing, each sink gets the whole condition.
//! - Every plugin sluice does not have is reported, each with its place and what to use
//!   instead, all in one run.
//!
//! Measured on `shared/corpus/logstash-configs` (129 real pipelines of other projects;
//! `tests/logstash_corpus.rs`): every one parses, and **3 load fully**. What stops the
//! rest, by number of files: the `stdin` input (39: most examples read stdin), `geoip`
//! and `ruby` (14 each), `useragent` (9), `translate` and `tcp` inputs with codecs other
//! than JSON lines (8 each), `cidr` and `csv` (5 each), then `file`, `generator`,
//! `heartbeat` and `pipeline` inputs, `pipeline` outputs (4 each) and a long tail; among
//! files whose plugins all exist, grok patterns from a `patterns_dir` that is not on this
//! machine (14) or in Oniguruma syntax the regex engine refuses (16), and pipelines split
//! over several files (a file without inputs or outputs, loaded alone).

use crate::error::{ConfigError, ConfigErrors};
use sluice_lscl::{Attribute, Item, Plugin, SectionKind, Value};
use toml::Value as T;

/// A `.conf` file's name and text.
pub type Source = (String, String);

/// The TOML document for the pipelines in `files`, with a comment naming the source of
/// each component; and warnings (settings that sluice ignores).
pub fn to_toml(files: &[Source]) -> Result<(String, Vec<String>), ConfigErrors> {
    convert(files, false)
}

/// Only the filters of `files`, between a placeholder input (JSON lines on a port the
/// system picks) and a blackhole output: what `sluice test` runs, as
/// logstash-filter-verifier replaces a pipeline's inputs and outputs.
pub fn filters_to_toml(files: &[Source]) -> Result<(String, Vec<String>), ConfigErrors> {
    convert(files, true)
}

fn convert(files: &[Source], filters_only: bool) -> Result<(String, Vec<String>), ConfigErrors> {
    let mut c = Conv::default();
    for (name, text) in files {
        match sluice_lscl::parse(text) {
            Ok(cfg) => {
                c.file = name.clone();
                for s in &cfg.sections {
                    match s.kind {
                        SectionKind::Input if filters_only => {}
                        SectionKind::Input => {
                            for i in &s.items {
                                c.input(i);
                            }
                        }
                        SectionKind::Filter => c.filters(&s.items, None),
                        SectionKind::Output if filters_only => {}
                        SectionKind::Output => c.outputs(&s.items, None),
                    }
                }
            }
            Err(e) => c.errors.push(ConfigError {
                file: name.clone(),
                component: String::new(),
                key: String::new(),
                message: e.render(name, text),
            }),
        }
    }
    if !c.errors.is_empty() {
        return Err(ConfigErrors(c.errors));
    }
    if filters_only {
        let mut src = toml::Table::new();
        src.insert("type".into(), s("json_lines"));
        src.insert("address".into(), s("127.0.0.1:0"));
        c.sources.push((
            "test_input".into(),
            T::Table(src),
            "placeholder input".into(),
        ));
        let mut sink = toml::Table::new();
        sink.insert("type".into(), s("blackhole"));
        c.sinks.push((
            "test_output".into(),
            T::Table(sink),
            "placeholder output".into(),
        ));
    }
    let warnings = std::mem::take(&mut c.warnings);
    Ok((c.render(), warnings))
}

#[derive(Default)]
struct Conv {
    file: String,
    sources: Vec<(String, T, String)>,
    transforms: Vec<(String, T, String)>,
    sinks: Vec<(String, T, String)>,
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
    used: std::collections::HashSet<String>,
    markers: usize,
}

/// Settings every Logstash plugin has that mean nothing to sluice.
const IGNORED: &[&str] = &["enable_metric", "periodic_flush", "ecs_compatibility"];

/// Keys whose value is a list in sluice, which Logstash also takes as one value.
const LISTS: &[&str] = &[
    "add_tag",
    "remove_tag",
    "remove_field",
    "overwrite",
    "tag_on_failure",
    "patterns_dir",
    "lowercase",
    "uppercase",
    "capitalize",
    "strip",
    "include_keys",
    "exclude_keys",
];

fn value(v: &Value) -> T {
    match v {
        Value::Bareword(w) if w == "true" => T::Boolean(true),
        Value::Bareword(w) if w == "false" => T::Boolean(false),
        Value::Bareword(w) | Value::String(w) => T::String(w.clone()),
        Value::Number(_) => match v.as_i64() {
            Some(i) => T::Integer(i),
            None => T::Float(v.as_f64().unwrap_or(0.0)),
        },
        Value::Array(a) => T::Array(a.iter().map(value).collect()),
        Value::Hash(h) => {
            let mut t = toml::Table::new();
            for (k, _, v) in h {
                merge_into(&mut t, k, value(v));
            }
            T::Table(t)
        }
        Value::Plugin(p) => T::String(p.name.clone()),
    }
}

/// Logstash's rule for a repeated setting: hashes merge, anything else gathers into a
/// list.
fn merge_into(t: &mut toml::Table, k: &str, v: T) {
    match (t.get_mut(k), v) {
        (None, v) => {
            t.insert(k.to_owned(), v);
        }
        (Some(T::Table(old)), T::Table(new)) => {
            for (k2, v2) in new {
                merge_into(old, &k2, v2);
            }
        }
        (Some(old), v) => {
            let mut list = match std::mem::replace(old, T::Boolean(false)) {
                T::Array(a) => a,
                other => vec![other],
            };
            match v {
                T::Array(a) => list.extend(a),
                other => list.push(other),
            }
            *old = T::Array(list);
        }
    }
}

/// A plugin's attributes as a table, repeated ones merged, `id` and ignored ones out.
fn table(p: &Plugin) -> toml::Table {
    let mut t = toml::Table::new();
    for a in &p.attributes {
        if a.name == "id" || IGNORED.contains(&a.name.as_str()) {
            continue;
        }
        merge_into(&mut t, &a.name, value(&a.value));
    }
    for k in LISTS {
        if let Some(v) = t.get_mut(*k) {
            if !matches!(v, T::Array(_)) {
                *v = T::Array(vec![v.clone()]);
            }
        }
    }
    t
}

fn attr<'a>(p: &'a Plugin, name: &str) -> Option<&'a Attribute> {
    p.attributes.iter().find(|a| a.name == name)
}

/// The name of a plugin's `codec`, when it has one (`codec => json` or `json { }`).
fn codec(p: &Plugin) -> Option<String> {
    attr(p, "codec").map(|a| match &a.value {
        Value::Plugin(c) => c.name.clone(),
        v => v.as_str().unwrap_or("").to_owned(),
    })
}

fn s(v: &str) -> T {
    T::String(v.to_owned())
}

fn as_text(v: Option<T>) -> Option<String> {
    match v? {
        T::String(s) => Some(s),
        T::Integer(i) => Some(i.to_string()),
        T::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Duplicate keys inside one hash literal, with their place, nested hashes included
/// (Logstash refuses them when it compiles the pipeline; repeating a whole setting
/// merges instead).
fn duplicate_keys(v: &Value, out: &mut Vec<(String, sluice_lscl::Pos)>) {
    match v {
        Value::Hash(h) => {
            let mut seen = std::collections::HashSet::new();
            for (k, pos, inner) in h {
                if !seen.insert(k.as_str()) {
                    out.push((k.clone(), *pos));
                }
                duplicate_keys(inner, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| duplicate_keys(x, out)),
        Value::Plugin(p) => p
            .attributes
            .iter()
            .for_each(|a| duplicate_keys(&a.value, out)),
        _ => {}
    }
}

impl Conv {
    /// What Logstash refuses when it compiles a plugin, whatever the plugin: duplicate
    /// keys in a hash, and more than one codec.
    fn check(&mut self, p: &Plugin) {
        let mut dups = Vec::new();
        for a in &p.attributes {
            duplicate_keys(&a.value, &mut dups);
        }
        for (k, pos) in dups {
            self.errors.push(ConfigError {
                file: self.file.clone(),
                component: String::new(),
                key: String::new(),
                message: format!(
                    "line {}, column {}: duplicate key `{k}` in a hash of `{}` (Logstash refuses it too)",
                    pos.line, pos.column, p.name
                ),
            });
        }
        let codecs: Vec<&Attribute> = p.attributes.iter().filter(|a| a.name == "codec").collect();
        if let Some(second) = codecs.get(1) {
            self.errors.push(ConfigError {
                file: self.file.clone(),
                component: String::new(),
                key: String::new(),
                message: format!(
                    "line {}, column {}: `{}` has more than one codec",
                    second.pos.line, second.pos.column, p.name
                ),
            });
        }
    }

    fn id(&mut self, p: &Plugin) -> String {
        let base = attr(p, "id")
            .and_then(|a| a.value.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}_{}", p.name.replace('-', "_"), p.pos.line));
        let mut id = base.clone();
        let mut k = 2;
        while !self.used.insert(id.clone()) {
            id = format!("{base}_{k}");
            k += 1;
        }
        id
    }

    fn at(&self, p: &Plugin) -> String {
        format!("{}:{}", self.file, p.pos.line)
    }

    fn refuse(&mut self, p: &Plugin, section: &str, advice: &str) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            component: String::new(),
            key: String::new(),
            message: format!(
                "line {}, column {}: the {section} plugin `{}` is not available in sluice; {advice}",
                p.pos.line, p.pos.column, p.name
            ),
        });
    }

    fn address(p: &Plugin, t: &mut toml::Table, default_port: i64) -> T {
        let host = as_text(t.remove("host")).unwrap_or_else(|| "0.0.0.0".into());
        let port = as_text(t.remove("port")).unwrap_or_else(|| default_port.to_string());
        let _ = p;
        s(&format!("{host}:{port}"))
    }

    fn input(&mut self, item: &Item) {
        let p = match item {
            Item::Plugin(p) => p,
            Item::Branch(b) => {
                let pos = &b.cases[0].0.pos;
                self.errors.push(ConfigError {
                    file: self.file.clone(),
                    component: String::new(),
                    key: String::new(),
                    message: format!(
                        "line {}, column {}: conditionals are not allowed in an input section (as in Logstash)",
                        pos.line, pos.column
                    ),
                });
                return;
            }
        };
        self.check(p);
        let mut t = table(p);
        let codec = codec(p);
        t.remove("codec");
        let id = self.id(p);
        let at = self.at(p);
        match p.name.as_str() {
            "beats" => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("beats"));
                out.insert("address".into(), Self::address(p, &mut t, 5044));
                self.pass_rest(p, &mut out, t, &["ssl", "ssl_enabled"]);
                self.sources.push((id, T::Table(out), at));
            }
            "syslog" => {
                for mode in ["udp", "tcp"] {
                    let mut tt = t.clone();
                    let mut out = toml::Table::new();
                    out.insert("type".into(), s("syslog"));
                    out.insert("mode".into(), s(mode));
                    out.insert("address".into(), Self::address(p, &mut tt, 514));
                    if mode == "udp" {
                        self.pass_rest(p, &mut out, tt, &[]);
                    }
                    self.sources.push((format!("{id}_{mode}"), T::Table(out), at.clone()));
                }
            }
            "tcp" if matches!(codec.as_deref(), Some("json_lines" | "json")) => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("json_lines"));
                out.insert("address".into(), Self::address(p, &mut t, 0));
                self.pass_rest(p, &mut out, t, &["mode"]);
                self.sources.push((id, T::Table(out), at));
            }
            "http" => {
                let mut out = toml::Table::new();
                out.insert("type".into(), s("http"));
                out.insert("address".into(), Self::address(p, &mut t, 8080));
                self.pass_rest(p, &mut out, t, &[]);
                self.sources.push((id, T::Table(out), at));
            }
            "tcp" | "udp" => self.refuse(p, "input", "sluice takes JSON lines over TCP (`codec => json_lines`), syslog over TCP and UDP (`syslog { }`), Beats and HTTP"),
            "file" => self.refuse(p, "input", "sluice has no file-tailing input yet: ship the file with Filebeat to a `beats` input"),
            "stdin" => self.refuse(p, "input", "sluice reads no standard input; use `sluice test` to run lines through the filters"),
            "pipeline" => self.refuse(p, "input", "pipeline-to-pipeline links (pipelines.yml) are not built yet: put the pipelines in one file"),
            _ => self.refuse(p, "input", "sluice's inputs are beats, syslog, tcp with codec => json_lines, and http"),
        }
    }

    /// The rest of a plugin's settings go to the component as they are (the loader
    /// reports what it does not know, by key), but for the ones listed, which are
    /// dropped when false and refused when true.
    fn pass_rest(&mut self, p: &Plugin, out: &mut toml::Table, t: toml::Table, off_only: &[&str]) {
        for (k, v) in t {
            if off_only.contains(&k.as_str()) {
                if v != T::Boolean(false) && v != s("false") {
                    self.errors.push(ConfigError {
                        file: self.file.clone(),
                        component: String::new(),
                        key: k.clone(),
                        message: format!(
                            "line {}: `{k} => {v}` on `{}` is not available yet (TLS on listeners is a later issue)",
                            p.pos.line, p.name
                        ),
                    });
                }
                continue;
            }
            out.insert(k, v);
        }
    }

    /// The filters of `items`; `guard` is the marker (or condition) every one of them
    /// runs under.
    fn filters(&mut self, items: &[Item], guard: Option<&str>) {
        for item in items {
            match item {
                Item::Plugin(p) => self.filter(p, guard.map(str::to_owned)),
                Item::Branch(b) => {
                    let single = b.cases.len() == 1
                        && b.otherwise.is_none()
                        && matches!(b.cases[0].1.as_slice(), [Item::Plugin(_)]);
                    if single {
                        let cond = match guard {
                            Some(g) => format!("({g}) and ({})", b.cases[0].0.text),
                            None => b.cases[0].0.text.clone(),
                        };
                        if let [Item::Plugin(p)] = b.cases[0].1.as_slice() {
                            self.filter(p, Some(cond));
                        }
                        continue;
                    }
                    self.markers += 1;
                    let n = self.markers;
                    let line = b.cases[0].0.pos.line;
                    let mut earlier: Vec<String> = Vec::new();
                    let mut cases: Vec<(String, &[Item])> = Vec::new();
                    let count = b.cases.len() + usize::from(b.otherwise.is_some());
                    for k in 0..count {
                        let marker = format!("[@metadata][_sluice_branch_{n}_{k}]");
                        let mut parts: Vec<String> =
                            guard.iter().map(|g| format!("({g})")).collect();
                        parts.extend(earlier.iter().map(|m| format!("!{m}")));
                        let body: &[Item] = match b.cases.get(k) {
                            Some((c, body)) => {
                                parts.push(format!("({})", c.text));
                                body
                            }
                            None => b.otherwise.as_deref().unwrap_or(&[]),
                        };
                        let cond = if parts.is_empty() {
                            "true".to_owned()
                        } else {
                            parts.join(" and ")
                        };
                        let mut m = toml::Table::new();
                        m.insert("type".into(), s("mutate"));
                        if cond != "true" {
                            m.insert("if".into(), s(&cond));
                        }
                        let mut add = toml::Table::new();
                        add.insert(marker.clone(), s("1"));
                        m.insert("add_field".into(), T::Table(add));
                        let id = format!("branch_{line}_{k}");
                        self.used.insert(id.clone());
                        self.transforms.push((
                            id,
                            T::Table(m),
                            format!("{}:{} (condition)", self.file, line),
                        ));
                        earlier.push(marker.clone());
                        cases.push((marker, body));
                    }
                    for (marker, body) in cases {
                        self.filters(body, Some(&marker));
                    }
                }
            }
        }
    }

    fn filter(&mut self, p: &Plugin, cond: Option<String>) {
        self.check(p);
        let mut t = table(p);
        let id = self.id(p);
        let at = self.at(p);
        let ty = match p.name.as_str() {
            "grok" => {
                match t.remove("match") {
                    Some(T::Table(m)) if m.len() == 1 => {
                        let Some((field, pats)) = m.into_iter().next() else {
                            return;
                        };
                        t.insert("field".into(), s(&field));
                        t.insert(
                            "patterns".into(),
                            match pats {
                                T::Array(a) => T::Array(a),
                                other => T::Array(vec![other]),
                            },
                        );
                    }
                    Some(T::Array(a)) if a.len() >= 2 && a.len() % 2 == 0 => {
                        let fields: Vec<&T> = a.iter().step_by(2).collect();
                        if fields.iter().any(|f| *f != fields[0]) {
                            return self.refuse(p, "filter", "one grok here matches several fields: write one grok per field");
                        }
                        t.insert("field".into(), fields[0].clone());
                        t.insert("patterns".into(), T::Array(a.iter().skip(1).step_by(2).cloned().collect()));
                    }
                    Some(T::Table(_)) => {
                        return self.refuse(p, "filter", "one grok here matches several fields: write one grok per field");
                    }
                    Some(_) | None => {
                        return self.refuse(p, "filter", "its `match` must be a hash { \"field\" => \"pattern\" } or an array [\"field\", \"pattern\", ...]");
                    }
                }
                "grok"
            }
            "date" => {
                match t.remove("match") {
                    Some(T::Array(a)) if a.len() >= 2 => {
                        t.insert("field".into(), a[0].clone());
                        t.insert("formats".into(), T::Array(a[1..].to_vec()));
                    }
                    _ => return self.refuse(p, "filter", "its `match` must be [\"field\", \"format\", ...]"),
                }
                "date"
            }
            "mutate" => {
                if let Some(T::Array(a)) = t.remove("gsub") {
                    if a.len() % 3 != 0 {
                        return self.refuse(p, "filter", "its `gsub` must hold field, pattern, replacement triples");
                    }
                    t.insert("gsub".into(), T::Array(a.chunks(3).map(|c| T::Array(c.to_vec())).collect()));
                }
                "mutate"
            }
            "json" | "kv" | "dissect" => p.name.as_str(),
            "drop" => "drop",
            "ruby" => return self.refuse(p, "filter", "sluice runs no embedded code: use mutate, grok, dissect or kv, or open an issue with what the script does"),
            "aggregate" | "throttle" | "elapsed" => return self.refuse(p, "filter", "sluice keeps no state across events here yet; the alerting transform (a later issue) covers counting in windows"),
            "clone" => return self.refuse(p, "filter", "use two sinks (every sink gets its own copy) or a route transform"),
            "split" => return self.refuse(p, "filter", "splitting an array into events is not built yet"),
            "fingerprint" | "translate" | "csv" | "cidr" | "useragent" | "geoip" | "syslog_pri" | "prune" | "xml" | "dns" | "urldecode" | "de_dot" | "truncate" | "uuid" | "metrics" | "environment" | "http" | "jdbc_streaming" | "jdbc_static" | "memcached" | "elasticsearch" => {
                return self.refuse(p, "filter", "it is not built yet (see docs/LOGSTASH.md for what is)")
            }
            _ => return self.refuse(p, "filter", "sluice's filters are grok, date, mutate, json, kv, dissect and drop (see docs/LOGSTASH.md)"),
        };
        let mut out = toml::Table::new();
        out.insert("type".into(), s(ty));
        if let Some(c) = cond {
            out.insert("if".into(), s(&c));
        }
        out.extend(t);
        self.transforms.push((id, T::Table(out), at));
    }

    /// The outputs of `items`, each under `cond` (the whole condition: outputs change
    /// nothing, so it can be evaluated at the sink).
    fn outputs(&mut self, items: &[Item], cond: Option<&str>) {
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
        self.check(p);
        let mut t = table(p);
        let codec = codec(p);
        t.remove("codec");
        let id = self.id(p);
        let at = self.at(p);
        let mut out = toml::Table::new();
        match p.name.as_str() {
            "elasticsearch" => {
                out.insert("type".into(), s("elasticsearch"));
                let ssl = matches!(t.remove("ssl").or(t.remove("ssl_enabled")), Some(T::Boolean(true)));
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
                if matches!(as_text(t.remove("ssl_verification_mode")).as_deref(), Some("none"))
                    || matches!(t.remove("ssl_certificate_verification"), Some(T::Boolean(false)))
                {
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
                for (from, to) in [("retry_initial_interval", "initial"), ("retry_max_interval", "max")] {
                    if let Some(v) = as_text(t.remove(from)) {
                        retry.insert(to.into(), s(&format!("{v}s")));
                    }
                }
                if !retry.is_empty() {
                    out.insert("retry".into(), T::Table(retry));
                }
                for k in ["manage_template", "template", "template_name", "template_overwrite", "ilm_enabled", "ilm_rollover_alias", "ilm_pattern", "ilm_policy", "sniffing", "document_type"] {
                    if t.remove(k).is_some() {
                        self.warnings.push(format!(
                            "{at}: `{k}` on the elasticsearch output is ignored: sluice does not manage index templates, ILM or sniffing"
                        ));
                    }
                }
            }
            "file" => {
                out.insert("type".into(), s("file"));
                match codec.as_deref() {
                    None | Some("json_lines" | "json") => {
                        out.insert("encoding".into(), s("json"));
                    }
                    Some(other) => return self.refuse(p, "output", &format!("its codec `{other}` is not available; the file output writes JSON lines (codec => json_lines)")),
                }
            }
            "stdout" => {
                out.insert("type".into(), s("console"));
                match codec.as_deref() {
                    None | Some("rubydebug" | "json_lines" | "json" | "line" | "dots") => {
                        out.insert("encoding".into(), s("json"));
                    }
                    Some(other) => return self.refuse(p, "output", &format!("its codec `{other}` is not available; stdout writes JSON lines")),
                }
            }
            "pipeline" => return self.refuse(p, "output", "pipeline-to-pipeline links (pipelines.yml) are not built yet: put the pipelines in one file"),
            _ => return self.refuse(p, "output", "sluice's outputs are elasticsearch, file and stdout"),
        }
        if let Some(c) = cond {
            out.insert("if".into(), s(c));
        }
        out.extend(t);
        self.sinks.push((id, T::Table(out), at));
    }

    /// The document: sources, the chain of transforms, sinks after it; each component
    /// with its source line as a comment.
    fn render(mut self) -> String {
        let sources: Vec<T> = self.sources.iter().map(|(id, _, _)| s(id)).collect();
        let mut prev = sources.clone();
        for (id, t, _) in &mut self.transforms {
            if let T::Table(t) = t {
                t.insert("inputs".into(), T::Array(prev.clone()));
            }
            prev = vec![s(id)];
        }
        for (_, t, _) in &mut self.sinks {
            if let T::Table(t) = t {
                t.insert("inputs".into(), T::Array(prev.clone()));
            }
        }
        let mut out = String::from(
            "# Converted from a Logstash pipeline by `sluice convert`; each component names the\n# line it comes from.\n",
        );
        for (section, list) in [
            ("sources", &self.sources),
            ("transforms", &self.transforms),
            ("sinks", &self.sinks),
        ] {
            for (id, t, at) in list {
                let mut doc = toml::Table::new();
                let mut inner = toml::Table::new();
                inner.insert(id.clone(), t.clone());
                doc.insert(section.to_owned(), T::Table(inner));
                out.push_str(&format!("\n# {at}\n"));
                out.push_str(&toml::to_string(&doc).unwrap_or_default());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(src: &str) -> String {
        to_toml(&[("t.conf".into(), src.into())]).unwrap().0
    }

    #[test]
    fn a_branch_of_several_filters_evaluates_its_condition_once() {
        let t = conv(
            r#"input { beats { port => 5044 } }
filter {
  if [type] == "x" {
    mutate { replace => { "type" => "y" } }
    mutate { add_tag => "was_x" }
  } else {
    mutate { add_tag => "other" }
  }
}
output { stdout { } }"#,
        );
        let p = crate::load_str("t.toml", &t.replace("0.0.0.0:5044", "127.0.0.1:0"))
            .unwrap_or_else(|e| panic!("{e}\n{t}"));
        assert_eq!(p.transforms.len(), 5, "{t}");
        assert!(t.contains("[@metadata][_sluice_branch_1_0]"), "{t}");
        assert!(
            t.contains(r#"if = "!([@metadata][_sluice_branch_1_0])"#)
                || t.contains("![@metadata][_sluice_branch_1_0]"),
            "{t}"
        );
    }

    #[test]
    fn unsupported_plugins_are_each_reported_with_their_place() {
        let e = to_toml(&[(
            "t.conf".into(),
            "input { stdin { } }\nfilter { ruby { code => \"x\" }\n  clone { clones => [\"a\"] } }\noutput { stdout {} }".into(),
        )])
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("line 1, column 9: the input plugin `stdin`"),
            "{text}"
        );
        assert!(
            text.contains("line 2, column 10: the filter plugin `ruby`"),
            "{text}"
        );
        assert!(
            text.contains("line 3, column 3: the filter plugin `clone`"),
            "{text}"
        );
    }
}
