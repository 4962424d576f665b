//! Reading TOML into component configs, one component at a time, so that one bad
//! component does not hide the errors of the next.

use crate::component::{self, de};
use crate::error::{ConfigError, ConfigErrors, Report};
use crate::pipeline::{AdminConfig, Pipeline, SinkNode, SourceNode, TransformNode};
use serde::Deserialize;
use sluice_core::config::HumanDuration;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Whether `paths` name Logstash pipelines: `.conf` files, directories or globs of
/// them, or a `pipelines.yml`.
pub fn is_logstash<P: AsRef<Path>>(paths: &[P]) -> bool {
    paths.iter().any(|p| {
        let p = p.as_ref();
        p.is_dir()
            || p.extension().is_some_and(|e| e == "conf" || is_yml(e))
            || p.to_str().is_some_and(|s| s.contains(['*', '?', '[']))
    })
}

fn is_yml(ext: &std::ffi::OsStr) -> bool {
    ext == "yml" || ext == "yaml"
}

fn read_error(file: &Path, message: String) -> ConfigError {
    ConfigError {
        file: file.display().to_string(),
        component: String::new(),
        key: String::new(),
        message,
    }
}

/// The `.conf` files `paths` name, read, in Logstash's order: each path in turn, a
/// directory's `*.conf` in lexical order, a glob's matches in lexical order (`**`
/// descends into directories, as in Logstash's `path.config`).
pub fn read_logstash<P: AsRef<Path>>(
    paths: &[P],
) -> Result<Vec<crate::logstash::Source>, ConfigErrors> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let mut list = Vec::new();
        let pattern = p
            .to_str()
            .filter(|s| s.contains(['*', '?', '[']) && !p.exists());
        if let Some(pattern) = pattern {
            match glob::glob(pattern) {
                Ok(found) => {
                    list.extend(found.flatten().filter(|f| f.is_file()));
                    list.sort();
                    if list.is_empty() {
                        errors.push(read_error(p, "the pattern matches no file".into()));
                    }
                }
                Err(e) => errors.push(read_error(p, format!("not a valid pattern: {e}"))),
            }
        } else if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    list.extend(
                        rd.flatten()
                            .map(|e| e.path())
                            .filter(|f| f.is_file() && f.extension().is_some_and(|e| e == "conf")),
                    );
                    list.sort();
                }
                Err(e) => errors.push(read_error(p, format!("cannot read the directory: {e}"))),
            }
        } else {
            list.push(p.to_owned());
        }
        for f in list {
            match std::fs::read_to_string(&f) {
                Ok(text) => files.push((f.display().to_string(), text)),
                Err(e) => errors.push(read_error(&f, format!("cannot read the file: {e}"))),
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The pipelines `paths` name: those of a `pipelines.yml` (a relative `path.config`
/// resolved from `base`, by default the yml's directory), or else every `.conf` given
/// as the one pipeline `main`. Also warnings about settings sluice ignores.
pub fn read_pipelines<P: AsRef<Path>>(
    paths: &[P],
    base: Option<&Path>,
) -> Result<(Vec<crate::logstash::PipelineSource>, Vec<String>), ConfigErrors> {
    use crate::logstash::PipelineSource;
    use crate::pipelines_yml::EntryConfig;
    let (yml, conf): (Vec<&P>, Vec<&P>) = paths
        .iter()
        .partition(|p| p.as_ref().extension().is_some_and(is_yml));
    match (yml.as_slice(), conf.is_empty()) {
        ([], _) => Ok((
            vec![PipelineSource {
                id: "main".into(),
                files: read_logstash(&conf)?,
            }],
            Vec::new(),
        )),
        ([one], true) => {
            let path = one.as_ref();
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigErrors(vec![read_error(path, format!("cannot read the file: {e}"))])
            })?;
            let (entries, warnings) =
                crate::pipelines_yml::parse(&name, &text).map_err(ConfigErrors)?;
            let base = base.unwrap_or(path.parent().unwrap_or(Path::new(".")));
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for e in entries {
                let files = match e.config {
                    EntryConfig::String(s) => {
                        Ok(vec![(format!("{name} (pipeline `{}`)", e.id), s)])
                    }
                    EntryConfig::Path(p) => read_logstash(&[base.join(p)]),
                };
                match files {
                    Ok(files) => out.push(PipelineSource { id: e.id, files }),
                    Err(ConfigErrors(mut es)) => {
                        for x in &mut es {
                            x.component = format!("pipeline `{}` (path.config in {name})", e.id);
                        }
                        errors.append(&mut es);
                    }
                }
            }
            if errors.is_empty() {
                Ok((out, warnings))
            } else {
                Err(ConfigErrors(errors))
            }
        }
        _ => Err(ConfigErrors(vec![read_error(
            yml[0].as_ref(),
            "give one pipelines.yml alone: its pipelines name their own .conf files".into(),
        )])),
    }
}

/// Loads and validates one or more files; components from all files form one pipeline.
/// `.conf` files (and directories of them) are Logstash pipelines.
pub fn load_files<P: AsRef<Path>>(paths: &[P]) -> Result<Pipeline, ConfigErrors> {
    let (conf, toml_paths): (Vec<&P>, Vec<&P>) = paths
        .iter()
        .partition(|p| is_logstash(std::slice::from_ref(*p)));
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    if !conf.is_empty() {
        // Logstash pipelines, beside TOML files that may hold the settings (data_dir,
        // admin) and more components.
        let (pipelines, mut warnings) = read_pipelines(&conf, None)?;
        let (toml, more) = crate::logstash::pipelines_to_toml(&pipelines)?;
        warnings.extend(more);
        for w in warnings {
            tracing::warn!("{w}");
        }
        let name = pipelines
            .iter()
            .flat_map(|p| p.files.iter().map(|(n, _)| n.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        docs.push((name, toml));
    }
    for p in toml_paths {
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
    /// A file was not valid TOML.
    unreadable: bool,
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
    // A file that is not TOML leaves the graph incomplete: checking it would only add
    // errors that follow from the first ("no sources", unknown inputs).
    if !acc.unreadable {
        crate::validate::validate(&pipeline, &acc.broken, &mut errors);
    }
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
    let mut sink = Report {
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
        let mut s = Report {
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
    let root: toml::Table = match toml::from_str::<toml::Table>(text) {
        Ok(mut t) => {
            let mut env_errors = Vec::new();
            for (k, v) in t.iter_mut() {
                crate::env::interpolate_value(v, k, &mut env_errors);
            }
            for (key, message) in env_errors {
                let (component, key) = match key.splitn(3, '.').collect::<Vec<_>>().as_slice() {
                    [kind, id, rest] => (format!("{kind}.{id}"), (*rest).to_owned()),
                    _ => (String::new(), key.clone()),
                };
                errors.push(ConfigError {
                    file: file.into(),
                    component,
                    key,
                    message,
                });
            }
            t
        }
        Err(e) => {
            errors.push(ConfigError {
                file: file.into(),
                component: String::new(),
                key: String::new(),
                message: format!("not valid TOML: {}", e.to_string().trim()),
            });
            acc.unreadable = true;
            return;
        }
    };
    for (key, value) in root {
        let mut top = Report {
            errors,
            file,
            component: String::new(),
        };
        match key.as_str() {
            "data_dir" => match value {
                toml::Value::String(s) => acc.data_dir = Some(PathBuf::from(s)),
                other => top.push(
                    "data_dir",
                    format!("expected a path string, found {}", other.type_str()),
                ),
            },
            "shutdown_grace" => match HumanDuration::deserialize(value) {
                Ok(d) => acc.grace = Some(d.0),
                Err(e) => top.push("shutdown_grace", e.to_string()),
            },
            "admin" => {
                let mut s = Report {
                    errors,
                    file,
                    component: "admin".into(),
                };
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
                component::source,
            ),
            "transforms" => load_section(
                file,
                "transforms",
                value,
                errors,
                &mut acc.transforms,
                &mut acc.broken,
                component::transform,
            ),
            "sinks" => load_section(
                file,
                "sinks",
                value,
                errors,
                &mut acc.sinks,
                &mut acc.broken,
                component::sink,
            ),
            other => {
                const KEYS: [&str; 6] = [
                    "data_dir",
                    "shutdown_grace",
                    "admin",
                    "sources",
                    "transforms",
                    "sinks",
                ];
                let hint = crate::suggest::closest(other, KEYS)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                top.push(
                    other,
                    format!("unknown top-level key (expected {}){hint}", KEYS.join(", ")),
                )
            }
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
    load: fn(&str, toml::Table, &mut Report<'_>) -> Option<T>,
) {
    for (id, t) in section(file, name, value, errors) {
        let mut s = Report {
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
    s: &mut Report<'_>,
) {
    if let Some((first, _)) = map.get(&id) {
        s.push("", format!("defined twice (first in {first})"));
        return;
    }
    map.insert(id, (file.to_owned(), node));
}
