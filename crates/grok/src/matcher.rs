//! A compiled grok expression and matching with a step budget.

use crate::compile::{compile, CompileError, Field};
use crate::Library;
use pcre2::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::sync::Mutex;

/// A match that could not be completed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// The step budget (`match_limit`) ran out: the pattern backtracks too much on this
    /// input.
    #[error("match abandoned after its step budget")]
    Budget,
    #[error("PCRE2 match error: {0}")]
    /// Any other PCRE2 error.
    Other(String),
}

/// A compiled grok expression.
#[derive(Debug)]
pub struct Grok {
    pattern: String,
    regex: Regex,
    /// (PCRE2 group index, field) for every capture.
    fields: Vec<(usize, Field)>,
    /// Reused match data. Creating it allocates a JIT stack, which costs far more than
    /// the match itself (5 µs against 0.1 µs, measured).
    scratch: Mutex<Vec<CaptureLocations>>,
}

const PCRE2_ERROR_MATCHLIMIT: i32 = -47;
const PCRE2_ERROR_DEPTHLIMIT: i32 = -53;
const PCRE2_ERROR_HEAPLIMIT: i32 = -63;

impl Grok {
    /// Compiles `pattern`; a match may take at most `match_limit` PCRE2 steps.
    pub fn new(pattern: &str, lib: &Library, match_limit: u32) -> Result<Grok, CompileError> {
        let (source, fields) = compile(pattern, lib)?;
        let full = format!("(*LIMIT_MATCH={})(?:{source})", match_limit.max(1));
        // Logstash compiles grok with Ruby's Regexp::MULTILINE (a dot matches a newline)
        // and Ruby's `^`/`$` always anchor at line boundaries.
        let regex = RegexBuilder::new()
            .utf(true)
            .dotall(true)
            .multi_line(true)
            .jit_if_available(true)
            .max_jit_stack_size(Some(4 << 20))
            .build(&full)
            .map_err(|e| CompileError::Regex {
                message: format!(
                    "{e} (in the expansion of `{pattern}`; {} bytes expanded)",
                    full.len()
                ),
            })?;
        let names = regex.capture_names();
        let fields = fields
            .into_iter()
            .filter_map(|f| {
                let idx = names
                    .iter()
                    .position(|n| n.as_deref() == Some(f.group.as_str()))?;
                Some((idx, f))
            })
            .collect();
        Ok(Grok {
            pattern: pattern.to_owned(),
            regex,
            fields,
            scratch: Mutex::new(Vec::new()),
        })
    }

    /// The expression as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The captures, in the order they appear in the expansion.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().map(|(_, f)| f)
    }

    /// Capture `i` of [`Grok::fields`].
    pub fn field(&self, i: usize) -> Option<&Field> {
        self.fields.get(i).map(|(_, f)| f)
    }

    /// Matches `subject` and calls `each(field, text)` for every capture that took part,
    /// in expansion order. Returns whether it matched. The field's position in
    /// [`Grok::fields`] is `field.index`. For many matches in a row, [`Grok::scratch`]
    /// saves a pool round trip per match.
    pub fn matches<'s>(
        &self,
        subject: &'s str,
        each: impl FnMut(&Field, &'s str),
    ) -> Result<bool, MatchError> {
        self.scratch().matches(subject, each)
    }

    /// Match data taken from this pattern's pool for a run of matches (a batch); it goes
    /// back to the pool when dropped.
    pub fn scratch(&self) -> Scratch<'_> {
        let pooled = self.scratch.lock().ok().and_then(|mut p| p.pop());
        Scratch {
            locs: Some(pooled.unwrap_or_else(|| self.regex.capture_locations())),
            grok: self,
        }
    }

    fn matches_with<'s>(
        &self,
        subject: &'s str,
        locs: &mut CaptureLocations,
        mut each: impl FnMut(&Field, &'s str),
    ) -> Result<bool, MatchError> {
        match self.regex.captures_read(locs, subject.as_bytes()) {
            Ok(None) => Ok(false),
            Ok(Some(_)) => {
                for (idx, f) in &self.fields {
                    if let Some((s, e)) = locs.get(*idx) {
                        // Group boundaries fall on char boundaries in UTF mode.
                        if let Some(text) = subject.get(s..e) {
                            each(f, text);
                        }
                    }
                }
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.code(),
                    PCRE2_ERROR_MATCHLIMIT | PCRE2_ERROR_DEPTHLIMIT | PCRE2_ERROR_HEAPLIMIT
                ) =>
            {
                Err(MatchError::Budget)
            }
            Err(e) => Err(MatchError::Other(e.to_string())),
        }
    }
}

/// A pattern with match data of its own: see [`Grok::scratch`].
pub struct Scratch<'g> {
    grok: &'g Grok,
    /// Always `Some` until dropped.
    locs: Option<CaptureLocations>,
}

impl Scratch<'_> {
    /// [`Grok::matches`] with this scratch's match data.
    pub fn matches<'s>(
        &mut self,
        subject: &'s str,
        each: impl FnMut(&Field, &'s str),
    ) -> Result<bool, MatchError> {
        let grok = self.grok;
        let locs = self
            .locs
            .get_or_insert_with(|| grok.regex.capture_locations());
        grok.matches_with(subject, locs, each)
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        if let (Some(locs), Ok(mut pool)) = (self.locs.take(), self.grok.scratch.lock()) {
            pool.push(locs);
        }
    }
}
