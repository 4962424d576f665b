//! `redact`: replace secrets and personal data in string fields before anything is
//! written.

use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, EventBatch, FieldPath, Value};
use sluice_parse::redact::{Redactor, Replacement, DETECTORS};
use std::collections::BTreeMap;

/// `type = "redact"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The fields scanned; empty means every string anywhere in the event.
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

fn redacted() -> String {
    "[REDACTED]".into()
}

/// A built redact transform.
#[derive(Debug)]
pub struct Redact {
    redactor: Redactor,
    fields: Vec<FieldPath>,
}

impl Config {
    /// Checks detector names and compiles the detectors.
    pub fn build(self, b: &mut Build<'_>) -> Option<Redact> {
        let mark = b.mark();
        for name in self.detectors.keys() {
            if !DETECTORS.contains(&name.as_str()) {
                b.push(
                    format!("detectors.{name}"),
                    format!("unknown detector (known: {})", DETECTORS.join(", ")),
                );
            }
        }
        let enabled: Vec<&str> = DETECTORS
            .iter()
            .copied()
            .filter(|d| self.detectors.get(*d).copied().unwrap_or(true))
            .collect();
        let mut custom = Vec::new();
        for (name, re) in &self.patterns {
            match regex::Regex::new(re) {
                Ok(_) => custom.push((name.clone(), re.clone())),
                Err(e) => b.push(format!("patterns.{name}"), format!("invalid regex: {e}")),
            }
        }
        let replacement = match self.hash_key {
            Some(k) if k.len() < 16 => {
                b.push("hash_key", "must be at least 16 characters");
                Replacement::Text(self.replacement)
            }
            Some(k) => Replacement::KeyedHash(k.into_bytes()),
            None => Replacement::Text(self.replacement),
        };
        let fields = b.paths(&self.fields, "fields");
        if !b.clean_since(mark) {
            return None;
        }
        match Redactor::new(&enabled, &custom, replacement) {
            Ok(redactor) => Some(Redact { redactor, fields }),
            Err(e) => {
                b.push("patterns", e.to_string());
                None
            }
        }
    }
}

impl Redact {
    fn scrub(&self, v: &mut Value, counts: &mut [u64]) {
        match v {
            Value::String(s) => {
                if let Some(clean) = self.redactor.redact(s, counts) {
                    *s = clean.into();
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub(x, counts)),
            Value::Object(m) => m.values_mut().for_each(|x| self.scrub(x, counts)),
            _ => {}
        }
    }

    /// Redacts the configured fields (or every string) of one event; `counts[i]` grows
    /// by the findings of detector `i`.
    pub fn redact(&self, e: &mut Event, counts: &mut [u64]) {
        if self.fields.is_empty() {
            for v in e.fields_mut().values_mut() {
                self.scrub(v, counts);
            }
        } else {
            for p in &self.fields {
                if let Some(v) = e.get_mut(p) {
                    self.scrub(v, counts);
                }
            }
        }
    }
}

impl Transform for Redact {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let counts = &mut *run.findings;
        let when = run.when;
        for e in batch.iter_mut() {
            if when.is_none_or(|c| c.matches(e)) {
                self.redact(e, counts);
            }
        }
    }

    fn findings(&self) -> Vec<String> {
        self.redactor.names().map(str::to_owned).collect()
    }
}
