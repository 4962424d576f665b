//! `grok`: match a field against patterns and capture into fields, with
//! logstash-filter-grok's options and capture rules. Every pattern is expanded and
//! compiled at load time.

mod run;

pub use run::{GrokRun, Outcome};

use crate::common::{Common, CommonConfig};
use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_event::{EventBatch, FieldPath};
use sluice_grok::{Grok as Pattern, Library};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
enum Ecs {
    #[default]
    V1,
    Disabled,
}

/// `type = "grok"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "crate::common::defaults::message")]
    field: String,
    patterns: Vec<String>,
    #[serde(default)]
    pattern_definitions: BTreeMap<String, String>,
    #[serde(default)]
    patterns_dir: Vec<PathBuf>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(default = "crate::common::defaults::yes")]
    break_on_match: bool,
    #[serde(default)]
    overwrite: Vec<String>,
    /// Captures go under this field instead of the event's root.
    #[serde(default)]
    target: Option<String>,
    /// Which files of a `patterns_dir` are read (Logstash's default: all).
    #[serde(default = "all_files")]
    patterns_files_glob: String,
    #[serde(default)]
    keep_empty_captures: bool,
    #[serde(default = "grok_failure")]
    tag_on_failure: Vec<String>,
    #[serde(default = "grok_timeout")]
    tag_on_timeout: String,
    /// Wall-clock budget per event (Logstash's `timeout_millis`, in our units).
    #[serde(default = "default_timeout")]
    timeout: HumanDuration,
    /// PCRE2 backtracking steps one match may take.
    #[serde(default = "default_match_limit")]
    match_limit: u32,
    #[serde(flatten)]
    common: CommonConfig,
}

fn all_files() -> String {
    "*".into()
}
fn grok_failure() -> Vec<String> {
    vec!["_grokparsefailure".into()]
}
fn grok_timeout() -> String {
    "_groktimeout".into()
}
fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(1))
}
fn default_match_limit() -> u32 {
    1_000_000
}

/// A built grok transform.
#[derive(Debug)]
pub struct Grok {
    /// The field matched (`field`, default `message`).
    field: FieldPath,
    /// Tried in order; the first match wins unless `break_on_match = false`.
    patterns: Vec<Pattern>,
    break_on_match: bool,
    /// Where each capture of each pattern goes (`[pattern][capture]`).
    destinations: Vec<Vec<Destination>>,
    keep_empty_captures: bool,
    tag_on_failure: Vec<String>,
    tag_on_timeout: String,
    /// Wall-clock budget per event across all patterns.
    timeout: Duration,
    /// add_field / add_tag / remove_field / remove_tag, applied when a pattern matched.
    on_success: Common,
}

/// Where one capture goes.
#[derive(Clone, Debug)]
struct Destination {
    /// Its field, under `target` when one is set.
    path: FieldPath,
    /// In `overwrite`: replaced, instead of made an array.
    overwrite: bool,
    /// The matched field itself, overwritten, by the only capture of its pattern that
    /// writes there (`%{GREEDYDATA:message}` with `overwrite = ["message"]`): the field
    /// can be cut down to the capture in place, without a copy.
    in_place: bool,
}

/// A `patterns_dir` entry; relative paths resolve against the config file's directory.
/// A logstash-patterns-core style tree (`legacy/` and `ecs-v1/`) loads the side that
/// `ecs_compatibility` selects.
fn pattern_dir(dir: &Path, ecs: Ecs, config_file: &str) -> PathBuf {
    let base = if dir.is_relative() {
        Path::new(config_file)
            .parent()
            .map_or_else(|| dir.to_owned(), |p| p.join(dir))
    } else {
        dir.to_owned()
    };
    let side = base.join(match ecs {
        Ecs::V1 => "ecs-v1",
        Ecs::Disabled => "legacy",
    });
    if side.is_dir() {
        side
    } else {
        base
    }
}

/// Why a pattern cannot run under `ecs_compatibility = "v1"` with the built-in library:
/// Logstash would capture ECS field names, and the built-in definitions have the legacy
/// ones. Producing other field names than Logstash silently would break dashboards.
fn legacy_names(g: &Pattern) -> Option<String> {
    let legacy: Vec<&sluice_grok::Field> = g.fields().filter(|f| f.builtin.is_some()).collect();
    let first = legacy.first()?;
    let via = first
        .via
        .as_deref()
        .or(first.builtin.as_deref())
        .unwrap_or_default();
    let mut names: Vec<&str> = Vec::new();
    for f in legacy.iter().filter(|f| f.via == first.via) {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    Some(format!(
        "%{{{via}}} captures fields named the legacy way ({}) in the built-in pattern \
         library, which has no ECS names; with ecs_compatibility = \"v1\" (the default) \
         Logstash would use ECS names. Set patterns_dir to logstash-patterns-core's \
         `patterns` directory for the ECS definitions, or ecs_compatibility = \"disabled\" \
         for the legacy names",
        names.join(", ")
    ))
}

impl Config {
    /// Loads the pattern library, compiles every pattern and works out where each
    /// capture goes.
    pub fn build(self, b: &mut Build<'_>) -> Option<Grok> {
        let mark = b.mark();
        let mut lib = Library::builtin();
        let glob = match glob::Pattern::new(&self.patterns_files_glob) {
            Ok(g) => Some(g),
            Err(e) => {
                b.push("patterns_files_glob", format!("invalid glob: {e}"));
                None
            }
        };
        for d in &self.patterns_dir {
            let dir = pattern_dir(d, self.ecs_compatibility, b.file());
            let wanted = |name: &str| glob.as_ref().is_none_or(|g| g.matches(name));
            if let Err(e) = lib.load_dir(&dir, wanted) {
                b.push("patterns_dir", e.to_string());
            }
        }
        for (name, re) in &self.pattern_definitions {
            lib.insert(name, re);
        }
        if self.patterns.is_empty() {
            b.push("patterns", "needs at least one pattern");
        }
        let mut patterns = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            match Pattern::new(p, &lib, self.match_limit) {
                Ok(g) => {
                    if self.ecs_compatibility == Ecs::V1 {
                        if let Some(why) = legacy_names(&g) {
                            b.push(format!("patterns[{i}]"), why);
                        }
                    }
                    patterns.push(g)
                }
                Err(e) => b.push(format!("patterns[{i}]"), e.to_string()),
            }
        }
        let field = b.path(&self.field, "field");
        let overwrite = b.paths(&self.overwrite, "overwrite");
        let target = self.target.as_deref().and_then(|t| b.path(t, "target"));
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        let field = field?;
        let destinations = patterns
            .iter()
            .map(|g| destinations(g, &field, target.as_ref(), &overwrite, self.break_on_match))
            .collect();
        Some(Grok {
            field,
            patterns,
            break_on_match: self.break_on_match,
            destinations,
            keep_empty_captures: self.keep_empty_captures,
            tag_on_failure: self.tag_on_failure,
            tag_on_timeout: self.tag_on_timeout,
            timeout: self.timeout.0,
            on_success,
        })
    }
}

/// Where each capture of `g` goes.
fn destinations(
    g: &Pattern,
    field: &FieldPath,
    target: Option<&FieldPath>,
    overwrite: &[FieldPath],
    break_on_match: bool,
) -> Vec<Destination> {
    let mut dests: Vec<Destination> = g
        .fields()
        .map(|f| {
            let path = match target {
                Some(t) => FieldPath::from_segments(t.segments().iter().chain(f.path.segments())),
                None => f.path.clone(),
            };
            let overwrite = overwrite.contains(&path) || overwrite.contains(&f.path);
            Destination {
                overwrite,
                in_place: false,
                path,
            }
        })
        .collect();
    let into_source: Vec<usize> = dests
        .iter()
        .enumerate()
        .filter(|(_, d)| d.path == *field)
        .map(|(i, _)| i)
        .collect();
    if let [only] = into_source[..] {
        let plain = g.field(only).is_some_and(|f| f.conversion.is_none());
        dests[only].in_place = dests[only].overwrite && break_on_match && plain;
    }
    dests
}

impl Transform for Grok {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let mut g = GrokRun::new(self);
        let mut timeouts = 0;
        run.each(batch, |e| {
            if g.apply(e) == Outcome::TimedOut {
                timeouts += 1;
            }
        });
        if let Some(n) = run.errors.first_mut() {
            *n += timeouts;
        }
    }

    /// Events that ran out of the time or step budget (`_groktimeout`).
    fn error_kinds(&self) -> &'static [sluice_core::ErrorType] {
        &[sluice_core::ErrorType::Timeout]
    }
}
