//! `filter` keeps the events where its `if` holds; `drop` drops the events where it holds
//! (all of them, without one).

use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::EventBatch;

/// `type = "filter"`: only `if`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {}

/// `type = "drop"`: only `if`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropConfig {}

/// Keeps the events where `if` holds.
#[derive(Debug)]
pub struct Filter;

/// Drops the events where `if` holds.
#[derive(Debug)]
pub struct Drop;

impl FilterConfig {
    /// Nothing to compile.
    pub fn build(self, _: &mut Build<'_>) -> Option<Filter> {
        Some(Filter)
    }
}

impl DropConfig {
    /// Nothing to compile.
    pub fn build(self, _: &mut Build<'_>) -> Option<Drop> {
        Some(Drop)
    }
}

impl Transform for Filter {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        if let Some(c) = run.when {
            batch.retain(|e| c.matches(e));
        }
    }

    fn needs_condition(&self) -> Option<&'static str> {
        Some("a filter needs an `if` condition: it keeps the events where it holds")
    }
}

impl Transform for Drop {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        match run.when {
            Some(c) => batch.retain(|e| !c.matches(e)),
            None => batch.clear(),
        }
    }
}
