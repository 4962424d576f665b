//! Compiling the Logstash-style filters (`mutate`, `grok`, `date`) at load time, so that a
//! bad pattern, path, regex or date format is a config error with its key.

use crate::error::Sink;
use crate::load::{field_name, path, template};
use crate::model::{
    CaseChange, ConvertType, DateSpec, GrokDestination, GrokSpec, JsonSpec, KvSpec, MutateRaw,
    MutateSpec, RedactSpec, RouteSpec, UNMATCHED,
};
use crate::units::HumanDuration;
use serde::Deserialize;
use sluice_event::FieldPath;
use sluice_grok::{Grok, Library};
use sluice_parse::date::DateFormat;
use sluice_parse::kv::Split;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn paths(list: &[String], key: &str, s: &mut Sink<'_>) -> Vec<FieldPath> {
    list.iter().filter_map(|f| path(f, key, s)).collect()
}

fn path_pairs(
    map: &BTreeMap<String, String>,
    key: &str,
    s: &mut Sink<'_>,
) -> Vec<(FieldPath, FieldPath)> {
    map.iter()
        .filter_map(|(a, b)| Some((path(a, key, s)?, path(b, key, s)?)))
        .collect()
}

fn path_strings(
    map: &BTreeMap<String, String>,
    key: &str,
    s: &mut Sink<'_>,
) -> Vec<(FieldPath, String)> {
    map.iter()
        .filter_map(|(a, b)| Some((path(a, key, s)?, b.clone())))
        .collect()
}

/// The add/remove options every filter has, applied when it succeeds.
fn common(
    add_field: &BTreeMap<String, String>,
    add_tag: &[String],
    remove_field: &[String],
    remove_tag: &[String],
    m: &mut MutateSpec,
    s: &mut Sink<'_>,
) {
    for (k, v) in add_field {
        if let (Some(a), Some(b)) = (field_name(k, "add_field", s), template(v, "add_field", s)) {
            m.add_field.push((a, b));
        }
    }
    m.add_tag = add_tag
        .iter()
        .filter_map(|t| template(t, "add_tag", s))
        .collect();
    m.remove_field = remove_field
        .iter()
        .filter_map(|t| field_name(t, "remove_field", s))
        .collect();
    m.remove_tag = remove_tag
        .iter()
        .filter_map(|t| template(t, "remove_tag", s))
        .collect();
}

pub(crate) fn compile_mutate(raw: MutateRaw, s: &mut Sink<'_>) -> Option<MutateSpec> {
    let before = s.errors.len();
    let mut m = MutateSpec {
        rename: path_pairs(&raw.rename, "rename", s),
        lowercase: paths(&raw.lowercase, "lowercase", s),
        uppercase: paths(&raw.uppercase, "uppercase", s),
        capitalize: paths(&raw.capitalize, "capitalize", s),
        strip: paths(&raw.strip, "strip", s),
        split: path_strings(&raw.split, "split", s),
        join: path_strings(&raw.join, "join", s),
        merge: path_pairs(&raw.merge, "merge", s),
        copy: path_pairs(&raw.copy, "copy", s),
        ..MutateSpec::default()
    };
    for (key, map, out) in [
        ("replace", &raw.replace, &mut m.replace),
        ("update", &raw.update, &mut m.update),
        ("coerce", &raw.coerce, &mut m.coerce),
    ] {
        for (k, v) in map {
            if let (Some(a), Some(b)) = (path(k, key, s), template(v, key, s)) {
                out.push((a, b));
            }
        }
    }
    for (k, ty) in &raw.convert {
        let t = match ty.as_str() {
            "integer" | "int" => ConvertType::Integer,
            "float" => ConvertType::Float,
            "integer_eu" => ConvertType::IntegerEu,
            "float_eu" => ConvertType::FloatEu,
            "string" => ConvertType::String,
            "boolean" | "bool" => ConvertType::Boolean,
            other => {
                s.push(
                    format!("convert.{k}"),
                    format!("unknown type `{other}` (use integer, float, string, boolean)"),
                );
                continue;
            }
        };
        if let Some(p) = path(k, "convert", s) {
            m.convert.push((p, t));
        }
    }
    for (i, g) in raw.gsub.iter().enumerate() {
        let [field, re, rep] = g.as_slice() else {
            s.push(format!("gsub[{i}]"), "expected [field, regex, replacement]");
            continue;
        };
        match regex::Regex::new(re) {
            Ok(r) => {
                if let Some(p) = path(field, "gsub", s) {
                    m.gsub.push((p, r, rep.clone()));
                }
            }
            Err(e) => s.push(format!("gsub[{i}]"), format!("invalid regex `{re}`: {e}")),
        }
    }
    common(
        &raw.add_field,
        &raw.add_tag,
        &raw.remove_field,
        &raw.remove_tag,
        &mut m,
        s,
    );
    (s.errors.len() == before).then_some(m)
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
enum Ecs {
    #[default]
    V1,
    Disabled,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrokRaw {
    #[serde(default = "message")]
    field: String,
    patterns: Vec<String>,
    #[serde(default)]
    pattern_definitions: BTreeMap<String, String>,
    #[serde(default)]
    patterns_dir: Vec<PathBuf>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(default = "yes")]
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
    #[serde(default = "default_grok_timeout")]
    timeout: HumanDuration,
    /// PCRE2 backtracking steps one match may take.
    #[serde(default = "default_match_limit")]
    match_limit: u32,
    #[serde(flatten)]
    common: Common,
}

fn message() -> String {
    "message".into()
}
fn yes() -> bool {
    true
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
fn default_grok_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(1))
}
fn default_match_limit() -> u32 {
    1_000_000
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
fn legacy_names(g: &Grok) -> Option<String> {
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

pub(crate) fn compile_grok(raw: GrokRaw, s: &mut Sink<'_>) -> Option<GrokSpec> {
    let before = s.errors.len();
    let mut lib = Library::builtin();
    let glob = match glob::Pattern::new(&raw.patterns_files_glob) {
        Ok(g) => Some(g),
        Err(e) => {
            s.push("patterns_files_glob", format!("invalid glob: {e}"));
            None
        }
    };
    for d in &raw.patterns_dir {
        let dir = pattern_dir(d, raw.ecs_compatibility, s.file);
        let wanted = |name: &str| glob.as_ref().is_none_or(|g| g.matches(name));
        if let Err(e) = lib.load_dir(&dir, wanted) {
            s.push("patterns_dir", e.to_string());
        }
    }
    for (name, re) in &raw.pattern_definitions {
        lib.insert(name, re);
    }
    if raw.patterns.is_empty() {
        s.push("patterns", "needs at least one pattern");
    }
    let mut patterns = Vec::new();
    for (i, p) in raw.patterns.iter().enumerate() {
        match Grok::new(p, &lib, raw.match_limit) {
            Ok(g) => {
                if raw.ecs_compatibility == Ecs::V1 {
                    if let Some(why) = legacy_names(&g) {
                        s.push(format!("patterns[{i}]"), why);
                    }
                }
                patterns.push(Arc::new(g))
            }
            Err(e) => s.push(format!("patterns[{i}]"), e.to_string()),
        }
    }
    let field = path(&raw.field, "field", s);
    let overwrite = paths(&raw.overwrite, "overwrite", s);
    let target = raw.target.as_deref().and_then(|t| path(t, "target", s));
    let on_success = on_success(&raw.common, s);
    if s.errors.len() != before {
        return None;
    }
    let field = field?;
    let destinations = patterns
        .iter()
        .map(|g| {
            let mut dests: Vec<GrokDestination> = g
                .fields()
                .map(|f| {
                    let path = match &target {
                        Some(t) => {
                            FieldPath::from_segments(t.segments().iter().chain(f.path.segments()))
                        }
                        None => f.path.clone(),
                    };
                    let overwrite = overwrite.contains(&path) || overwrite.contains(&f.path);
                    GrokDestination {
                        overwrite,
                        in_place: false,
                        path,
                    }
                })
                .collect();
            let into_source: Vec<usize> = dests
                .iter()
                .enumerate()
                .filter(|(_, d)| d.path == field)
                .map(|(i, _)| i)
                .collect();
            if let [only] = into_source[..] {
                let plain = g.field(only).is_some_and(|f| f.conversion.is_none());
                dests[only].in_place = dests[only].overwrite && raw.break_on_match && plain;
            }
            dests
        })
        .collect();
    Some(GrokSpec {
        field,
        patterns,
        break_on_match: raw.break_on_match,
        destinations,
        keep_empty_captures: raw.keep_empty_captures,
        tag_on_failure: raw.tag_on_failure,
        tag_on_timeout: raw.tag_on_timeout,
        timeout: raw.timeout.0,
        on_success,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DateRaw {
    field: String,
    formats: Vec<String>,
    #[serde(default = "utc")]
    timezone: String,
    #[serde(default = "timestamp")]
    target: String,
    #[serde(default = "date_failure")]
    tag_on_failure: Vec<String>,
    /// Month and weekday names are read in English; an English locale is accepted so that
    /// Logstash configs carry over, any other is an error.
    #[serde(default)]
    locale: Option<String>,
    #[serde(flatten)]
    common: Common,
}

fn utc() -> String {
    "UTC".into()
}
fn timestamp() -> String {
    "@timestamp".into()
}
fn date_failure() -> Vec<String> {
    vec!["_dateparsefailure".into()]
}

pub(crate) fn compile_date(raw: DateRaw, s: &mut Sink<'_>) -> Option<DateSpec> {
    let before = s.errors.len();
    let mut formats = Vec::new();
    for (i, f) in raw.formats.iter().enumerate() {
        match DateFormat::parse(f) {
            Ok(d) => formats.push(d),
            Err(e) => s.push(format!("formats[{i}]"), format!("{e} in `{f}`")),
        }
    }
    if raw.formats.is_empty() {
        s.push("formats", "needs at least one format");
    }
    if let Some(l) = &raw.locale {
        let lang = l.split(['-', '_']).next().unwrap_or("");
        if !lang.eq_ignore_ascii_case("en") && !l.eq_ignore_ascii_case("root") {
            s.push(
                "locale",
                format!("`{l}`: month and weekday names are read in English only (use an `en` locale or leave it out)"),
            );
        }
    }
    let timezone = match raw.timezone.parse::<chrono_tz::Tz>() {
        Ok(t) => Some(t),
        Err(_) => {
            s.push(
                "timezone",
                format!(
                    "unknown time zone `{}` (use an IANA name like \"Europe/Berlin\")",
                    raw.timezone
                ),
            );
            None
        }
    };
    let field = path(&raw.field, "field", s);
    let target = path(&raw.target, "target", s);
    let on_success = on_success(&raw.common, s);
    if s.errors.len() != before {
        return None;
    }
    Some(DateSpec {
        field: field?,
        formats,
        timezone: timezone?,
        target: target?,
        tag_on_failure: raw.tag_on_failure,
        on_success,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteRaw {
    routes: BTreeMap<String, String>,
}

pub(crate) fn compile_route(raw: RouteRaw, s: &mut Sink<'_>) -> Option<RouteSpec> {
    let before = s.errors.len();
    if raw.routes.is_empty() {
        s.push("routes", "needs at least one named condition");
    }
    let mut routes = Vec::new();
    for (name, cond) in &raw.routes {
        let key = format!("routes.{name}");
        if name == UNMATCHED || name.contains('.') || name.is_empty() {
            s.push(
                key,
                format!("`{name}` cannot name a route (no dots; `{UNMATCHED}` is taken)"),
            );
            continue;
        }
        match sluice_parse::condition::Condition::parse(cond) {
            Ok(c) => routes.push((name.clone(), c)),
            Err(e) => s.push(key, format!("{e} in `{cond}`")),
        }
    }
    (s.errors.len() == before).then_some(RouteSpec { routes })
}

/// The add/remove options, as every filter spells them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Common {
    #[serde(default)]
    add_field: BTreeMap<String, String>,
    #[serde(default)]
    add_tag: Vec<String>,
    #[serde(default)]
    remove_field: Vec<String>,
    #[serde(default)]
    remove_tag: Vec<String>,
}

fn on_success(c: &Common, s: &mut Sink<'_>) -> MutateSpec {
    let mut m = MutateSpec::default();
    common(
        &c.add_field,
        &c.add_tag,
        &c.remove_field,
        &c.remove_tag,
        &mut m,
        s,
    );
    m
}

fn json_failure() -> Vec<String> {
    vec!["_jsonparsefailure".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonRaw {
    #[serde(default = "message")]
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    skip_on_invalid_json: bool,
    #[serde(default = "json_failure")]
    tag_on_failure: Vec<String>,
    #[serde(flatten)]
    common: Common,
}

pub(crate) fn compile_json(raw: JsonRaw, s: &mut Sink<'_>) -> Option<JsonSpec> {
    let before = s.errors.len();
    let source = path(&raw.source, "source", s);
    let target = raw.target.as_deref().map(|t| path(t, "target", s));
    let on_success = on_success(&raw.common, s);
    if s.errors.len() != before {
        return None;
    }
    Some(JsonSpec {
        source: source?,
        target: target.flatten(),
        skip_on_invalid_json: raw.skip_on_invalid_json,
        tag_on_failure: raw.tag_on_failure,
        on_success,
    })
}

fn space() -> String {
    " ".into()
}
fn equals() -> String {
    "=".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KvRaw {
    #[serde(default = "message")]
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default = "space")]
    field_split: String,
    #[serde(default = "equals")]
    value_split: String,
    /// A regex separating pairs, instead of `field_split`'s characters.
    #[serde(default)]
    field_split_pattern: Option<String>,
    /// A regex separating a key from its value, instead of `value_split`'s characters.
    #[serde(default)]
    value_split_pattern: Option<String>,
    #[serde(default)]
    trim_key: String,
    #[serde(default)]
    trim_value: String,
    #[serde(default)]
    include_keys: Vec<String>,
    #[serde(default)]
    exclude_keys: Vec<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    remove_char_key: String,
    #[serde(default)]
    remove_char_value: String,
    #[serde(default)]
    allow_empty_values: bool,
    #[serde(default = "yes")]
    allow_duplicate_values: bool,
    #[serde(default)]
    default_keys: BTreeMap<String, String>,
    #[serde(default)]
    transform_key: Option<CaseChange>,
    #[serde(default)]
    transform_value: Option<CaseChange>,
    #[serde(default)]
    recursive: bool,
    #[serde(flatten)]
    common: Common,
}

pub(crate) fn compile_kv(raw: KvRaw, s: &mut Sink<'_>) -> Option<KvSpec> {
    let before = s.errors.len();
    if raw.field_split.is_empty() {
        s.push("field_split", "must name at least one character");
    }
    if raw.value_split.is_empty() {
        s.push("value_split", "must name at least one character");
    }
    let mut split = |chars: &str, pattern: &Option<String>, key: &str| match pattern {
        None => Some(Split::chars(chars)),
        Some(p) => match regex::Regex::new(p) {
            Ok(re) => Some(Split::Pattern(re)),
            Err(e) => {
                s.push(key, format!("invalid regex `{p}`: {e}"));
                None
            }
        },
    };
    let field_split = split(
        &raw.field_split,
        &raw.field_split_pattern,
        "field_split_pattern",
    );
    let value_split = split(
        &raw.value_split,
        &raw.value_split_pattern,
        "value_split_pattern",
    );
    let source = path(&raw.source, "source", s);
    let target = raw.target.as_deref().map(|t| path(t, "target", s));
    let on_success = on_success(&raw.common, s);
    let (Some(field_split), Some(value_split)) = (field_split, value_split) else {
        return None;
    };
    if s.errors.len() != before {
        return None;
    }
    Some(KvSpec {
        source: source?,
        target: target.flatten(),
        options: sluice_parse::kv::KvOptions {
            field_split,
            value_split,
            trim_key: raw.trim_key.chars().collect(),
            trim_value: raw.trim_value.chars().collect(),
            remove_char_key: raw.remove_char_key.chars().collect(),
            remove_char_value: raw.remove_char_value.chars().collect(),
            allow_empty_values: raw.allow_empty_values,
        },
        include_keys: raw.include_keys,
        exclude_keys: raw.exclude_keys,
        prefix: raw.prefix,
        allow_duplicate_values: raw.allow_duplicate_values,
        default_keys: raw.default_keys.into_iter().collect(),
        transform_key: raw.transform_key,
        transform_value: raw.transform_value,
        recursive: raw.recursive,
        on_success,
    })
}

fn redacted() -> String {
    "[REDACTED]".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedactRaw {
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default = "redacted")]
    replacement: String,
    /// When set, secrets become a keyed hash instead of `replacement`.
    #[serde(default)]
    hash_key: Option<String>,
    /// Switches for the built-in detectors; all are on unless turned off here.
    #[serde(default)]
    detectors: BTreeMap<String, bool>,
    /// Custom detectors: name -> regex (a group named `secret` limits what is replaced).
    #[serde(default)]
    patterns: BTreeMap<String, String>,
}

pub(crate) fn compile_redact(raw: RedactRaw, s: &mut Sink<'_>) -> Option<RedactSpec> {
    use sluice_parse::redact::{Redactor, Replacement, DETECTORS};
    let before = s.errors.len();
    for name in raw.detectors.keys() {
        if !DETECTORS.contains(&name.as_str()) {
            s.push(
                format!("detectors.{name}"),
                format!("unknown detector (known: {})", DETECTORS.join(", ")),
            );
        }
    }
    let enabled: Vec<&str> = DETECTORS
        .iter()
        .copied()
        .filter(|d| raw.detectors.get(*d).copied().unwrap_or(true))
        .collect();
    let mut custom = Vec::new();
    for (name, re) in &raw.patterns {
        match regex::Regex::new(re) {
            Ok(_) => custom.push((name.clone(), re.clone())),
            Err(e) => s.push(format!("patterns.{name}"), format!("invalid regex: {e}")),
        }
    }
    let replacement = match raw.hash_key {
        Some(k) if k.len() < 16 => {
            s.push("hash_key", "must be at least 16 characters");
            Replacement::Text(raw.replacement)
        }
        Some(k) => Replacement::KeyedHash(k.into_bytes()),
        None => Replacement::Text(raw.replacement),
    };
    let fields = paths(&raw.fields, "fields", s);
    if s.errors.len() != before {
        return None;
    }
    match Redactor::new(&enabled, &custom, replacement) {
        Ok(r) => Some(RedactSpec {
            redactor: Arc::new(r),
            fields,
        }),
        Err(e) => {
            s.push("patterns", e.to_string());
            None
        }
    }
}
