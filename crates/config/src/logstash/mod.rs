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
//! `tests/logstash_corpus.rs`): every one parses, and **22 load fully** alone. What
//! stops the rest, by number of files: the `ruby` filter (14); the `file`, `generator`
//! and `heartbeat` inputs (4 each); codecs sluice does not decode (`cef`, `edn`,
//! `graphite`, `multiline`, `netflow`: 7); `twitter`, `kafka`, `tcp` outputs and a
//! long tail of one or two files each. Among files whose plugins all exist: a geoip
//! `database`, grok `patterns_dir` or translate `dictionary_path` that exists on the
//! projects' machines, not in the corpus (16, 15 and 7 files), and pipelines split over
//! several files (a file without inputs or outputs, loaded alone: about 20). Loaded
//! whole, 1 of the 17 directories of several files loads.

mod filters;
mod inputs;
mod links;
mod outputs;
mod values;

use crate::error::{ConfigError, ConfigErrors};
use sluice_lscl::{Attribute, Plugin, SectionKind};
use toml::Value as T;
use values::{attr, codec, duplicate_keys, s, table};

/// A `.conf` file's name and text.
pub type Source = (String, String);

/// One pipeline of a `pipelines.yml`: its `pipeline.id` and its files (or its
/// `config.string`, named after the yml).
#[derive(Clone, Debug)]
pub struct PipelineSource {
    /// `pipeline.id`.
    pub id: String,
    /// Its `.conf` files, in order.
    pub files: Vec<Source>,
}

/// The TOML document for the pipelines in `files`, with a comment naming the source of
/// each component; and warnings (settings that sluice ignores).
pub fn to_toml(files: &[Source]) -> Result<(String, Vec<String>), ConfigErrors> {
    pipelines_to_toml(&[PipelineSource {
        id: "main".into(),
        files: files.to_vec(),
    }])
}

/// The TOML document for several pipelines (a `pipelines.yml`): each pipeline's
/// components get its id as a prefix, and `pipeline` outputs feed the pipelines whose
/// `pipeline` input has their address.
pub fn pipelines_to_toml(
    pipelines: &[PipelineSource],
) -> Result<(String, Vec<String>), ConfigErrors> {
    convert(pipelines, false)
}

/// The pipelines as `sluice test` runs them, as logstash-filter-verifier does: every
/// input becomes a placeholder with the input's id (JSON lines on a port the system
/// picks; its `type`, `tags` and `add_field` still apply), every output a blackhole
/// with the output's id and condition, whatever the plugins are; `pipeline` links stay.
/// A pipeline without inputs gets `test_input`, one without outputs `test_output`.
pub fn test_toml(pipelines: &[PipelineSource]) -> Result<(String, Vec<String>), ConfigErrors> {
    convert(pipelines, true)
}

fn convert(
    pipelines: &[PipelineSource],
    test: bool,
) -> Result<(String, Vec<String>), ConfigErrors> {
    let mut c = Conv {
        test,
        ..Conv::default()
    };
    let several = pipelines.len() > 1;
    for pl in pipelines {
        c.chain = Chain {
            pipeline: pl.id.clone(),
            ..Chain::default()
        };
        c.prefix = if several {
            format!(
                "{}_",
                pl.id
                    .replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-', "_")
            )
        } else {
            String::new()
        };
        for (name, text) in &pl.files {
            c.file = name.clone();
            match sluice_lscl::parse(text) {
                Ok(cfg) => {
                    for s in &cfg.sections {
                        match s.kind {
                            SectionKind::Input => {
                                for i in &s.items {
                                    c.input(i);
                                }
                            }
                            SectionKind::Filter => c.filters(&s.items, None),
                            SectionKind::Output => c.outputs(&s.items, None),
                        }
                    }
                }
                Err(e) => c.error(String::new(), e.render(name, text)),
            }
        }
        if test && c.chain.sources.is_empty() && c.chain.address.is_none() {
            let id = format!("{}test_input", c.prefix);
            c.chain
                .sources
                .push((id, placeholder_input(), "placeholder input".into()));
        }
        if test && c.chain.sinks.is_empty() && c.chain.sends.is_empty() {
            let id = format!("{}test_output", c.prefix);
            c.chain
                .sinks
                .push((id, placeholder_output(None), "placeholder output".into()));
        }
        let done = std::mem::take(&mut c.chain);
        c.done.push(done);
    }
    let doc = links::render(&mut c);
    if !c.errors.is_empty() {
        return Err(ConfigErrors(c.errors));
    }
    let warnings = std::mem::take(&mut c.warnings);
    Ok((doc, warnings))
}

/// What `sluice test` puts in place of an input: a source nothing is sent to.
fn placeholder_input() -> T {
    T::Table(placeholder_input_table(false))
}

/// A source nothing is sent to, that reads plain text or (`json`) JSON: `sluice test`
/// decodes its lines the same way.
fn placeholder_input_table(json: bool) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("type".into(), s("syslog"));
    t.insert("mode".into(), s("udp"));
    t.insert("codec".into(), s(if json { "json" } else { "plain" }));
    t.insert("address".into(), s("127.0.0.1:0"));
    t
}

/// What `sluice test` puts in place of an output: a blackhole under its condition.
fn placeholder_output(cond: Option<&str>) -> T {
    let mut t = toml::Table::new();
    t.insert("type".into(), s("blackhole"));
    if let Some(c) = cond {
        t.insert("if".into(), s(c));
    }
    T::Table(t)
}

/// A component as converted: its id, its table and where it comes from.
type Component = (String, T, String);

/// One pipeline as converted.
#[derive(Default)]
struct Chain {
    pipeline: String,
    sources: Vec<Component>,
    transforms: Vec<Component>,
    sinks: Vec<Component>,
    /// Transforms that add an input's `type`, `tags` and `add_field`, inputs set.
    decorations: Vec<Component>,
    /// A source's last decoration, which the chain reads instead of the source.
    outlets: std::collections::HashMap<String, String>,
    /// The address of its `pipeline` input, and where that is.
    address: Option<(String, String)>,
    /// Its `pipeline` outputs: addresses, condition, id, place.
    sends: Vec<links::Send>,
}

#[derive(Default)]
struct Conv {
    /// Converting for `sluice test`: inputs and outputs become placeholders.
    test: bool,
    file: String,
    /// The pipeline being converted.
    chain: Chain,
    /// The pipelines converted.
    done: Vec<Chain>,
    /// Put before every id of the pipeline being converted (several pipelines).
    prefix: String,
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
    used: std::collections::HashSet<String>,
    markers: usize,
}

/// What converting any plugin shares.
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

    /// The component id: the plugin's own `id` when it has one (as the user named it,
    /// in every pipeline), else `<plugin>_<line>` after the pipeline's prefix.
    fn id(&mut self, p: &Plugin) -> String {
        let base = attr(p, "id")
            .and_then(|a| a.value.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!("{}{}_{}", self.prefix, p.name.replace('-', "_"), p.pos.line)
            });
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
        self.error(
            String::new(),
            format!(
                "line {}, column {}: the {section} plugin `{}` is not available in sluice; {advice}",
                p.pos.line, p.pos.column, p.name
            ),
        );
    }

    /// An error in the file being converted.
    fn error(&mut self, key: String, message: String) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            component: String::new(),
            key,
            message,
        });
    }
}

#[cfg(test)]
mod tests;
