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

mod filters;
mod inputs;
mod outputs;
mod values;

use crate::error::{ConfigError, ConfigErrors};
use sluice_lscl::{Attribute, Plugin, SectionKind};
use toml::Value as T;
use values::{attr, codec, duplicate_keys, s, table};

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

    /// What converting an input or an output starts with: Logstash's checks, the
    /// plugin's settings without `codec`, its codec, its id and its place.
    fn prepare(&mut self, p: &Plugin) -> (toml::Table, Option<String>, String, String) {
        self.check(p);
        let mut t = table(p);
        let codec = codec(p);
        t.remove("codec");
        (t, codec, self.id(p), self.at(p))
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
