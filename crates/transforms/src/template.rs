//! `template`: the message's shape, mined as the events pass (★ `type = "template"`),
//! with Drain ([`sluice_parse::drain`]): `log.template` (`Login failed for user <*> from
//! <*>`) and `log.template_id` (16 hex digits, stable as the template generalises).
//!
//! So `new_term` on `[log][template_id]` alerts on a message shape never seen before,
//! and reports group errors by template instead of by text that carries request ids.
//!
//! Keys: `field` (default `message`), `masks` (regexes whose matches become `<*>` before
//! mining, for variables with no digit in them), `mask_digits` (default true: a token
//! with a digit is a variable), `similarity` (0.5), `depth` (4), `max_children` (100),
//! `max_clusters` (10 000; past it the least recently used tenth is forgotten). What it
//! learned is snapshotted by the runtime under `data_dir/state/<id>.json`.

use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{EventBatch, FieldPath, Value};
use sluice_parse::drain::{id_hex, Drain, Params};
use std::sync::Mutex;

/// Characters of a message mined at most (the rest is not part of its shape).
const MAX_MESSAGE: usize = 4096;

/// `type = "template"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "message")]
    field: String,
    #[serde(default)]
    masks: Vec<String>,
    #[serde(default = "yes")]
    mask_digits: bool,
    #[serde(default = "half")]
    similarity: f64,
    #[serde(default = "four")]
    depth: usize,
    #[serde(default = "hundred")]
    max_children: usize,
    #[serde(default = "ten_thousand")]
    max_clusters: usize,
}

fn message() -> String {
    "message".into()
}
fn yes() -> bool {
    true
}
fn half() -> f64 {
    0.5
}
fn four() -> usize {
    4
}
fn hundred() -> usize {
    100
}
fn ten_thousand() -> usize {
    10_000
}

/// A built template transform.
#[derive(Debug)]
pub struct Template {
    field: FieldPath,
    masks: Option<regex::Regex>,
    drain: Mutex<Drain>,
    template: FieldPath,
    template_id: FieldPath,
}

impl Config {
    /// Checks the parameters and compiles the masks.
    pub fn build(self, b: &mut Build<'_>) -> Option<Template> {
        let mark = b.mark();
        let field = b.path(&self.field, "field");
        // Each mask alone first, so that an error names the one at fault; then all of them
        // as one alternation, one pass over the message (which can still exceed the
        // regex size limit: a config error too).
        let bad = self
            .masks
            .iter()
            .filter(|m| b.regex(m, "masks").is_none())
            .count();
        let masks = if bad == 0 && !self.masks.is_empty() {
            let alt: Vec<String> = self.masks.iter().map(|m| format!("(?:{m})")).collect();
            b.regex(&alt.join("|"), "masks")
        } else {
            None
        };
        if !(0.0..=1.0).contains(&self.similarity) {
            b.push("similarity", "must be between 0 and 1");
        }
        if self.depth < 3 {
            b.push(
                "depth",
                "must be at least 3 (root, length, one token level)",
            );
        }
        if self.max_children < 2 {
            b.push("max_children", "must be at least 2");
        }
        b.at_least_one("max_clusters", self.max_clusters);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Template {
            field: field?,
            masks,
            drain: Mutex::new(Drain::new(Params {
                depth: self.depth,
                similarity: self.similarity,
                max_children: self.max_children,
                max_clusters: self.max_clusters,
                mask_digits: self.mask_digits,
                masked_match: true,
            })),
            template: FieldPath::from_segments(["log", "template"]),
            template_id: FieldPath::from_segments(["log", "template_id"]),
        })
    }
}

impl Transform for Template {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let Ok(mut drain) = self.drain.lock() else {
            return;
        };
        run.each(batch, |e| {
            let Some(Value::String(m)) = e.get(&self.field) else {
                return;
            };
            let mut end = m.len().min(MAX_MESSAGE);
            while !m.is_char_boundary(end) {
                end -= 1;
            }
            let text = &m[..end];
            let found = match &self.masks {
                Some(r) => drain.add(&r.replace_all(text, "<*>")),
                None => drain.add(text),
            };
            e.insert(&self.template, Value::from(found.template));
            e.insert(&self.template_id, Value::from(id_hex(found.id)));
        });
    }

    fn ordered(&self) -> bool {
        true
    }

    fn stateful(&self) -> bool {
        true
    }

    fn snapshot(&self) -> Option<Vec<u8>> {
        let d = self.drain.lock().ok()?;
        serde_json::to_vec(&*d).ok()
    }

    fn restore(&self, state: &[u8]) -> Result<(), String> {
        let saved: Drain = serde_json::from_slice(state).map_err(|e| e.to_string())?;
        let mut d = self.drain.lock().map_err(|_| "poisoned lock".to_owned())?;
        if saved.params() != d.params() {
            return Err("the template settings changed".into());
        }
        *d = saved;
        Ok(())
    }
}
