//! Grok: named, reusable regular expressions, as Logstash's grok filter has them.
//!
//! Why a crate of its own: grok brings a C regex engine (PCRE2) and the pattern library.
//! Config validation compiles patterns at load time, and the transform runs them, so both
//! need it without pulling each other in.
//!
//! Decisions:
//! - **Engine: PCRE2 with JIT** (`pcre2` crate). The standard library uses lookaround and
//!   atomic groups, which Rust's `regex` cannot run. PCRE2's JIT was measured fastest here.
//! - **A step budget, not a thread per match.** A running PCRE2 match cannot be
//!   interrupted, so every expression starts with `(*LIMIT_MATCH=n)`. A match that takes
//!   more than `n` backtracking steps fails with a limit error, and the transform tags the
//!   event `_groktimeout`. The budget is deterministic and costs nothing per match.
//!   docs/BENCHMARKS.md relates steps to time. The transform also stops trying further
//!   patterns once an event has used its wall-clock budget.
//! - **The library** is logstash-patterns-core as bundled by the maintained `grok` crate
//!   (legacy field names). `patterns_dir` adds or overrides definitions, for example
//!   logstash-patterns-core's `patterns/ecs-v1` for ECS names ([`Library::load_dir`]).
//! - **Ruby regex dialect:** Logstash runs grok on Oniguruma (Ruby syntax, MULTILINE).
//!   The expansion translates what PCRE2 reads differently: nested character classes
//!   are flattened, `[:alnum:]`/`[:alpha:]` become Unicode properties, `x?*` becomes
//!   `x*`, and the pattern is compiled dot-all with line anchors.
//! - **Captures:** `%{SYNTAX}`, `%{SYNTAX:SEMANTIC}`, `%{SYNTAX:SEMANTIC:int|float}` and raw
//!   `(?<name>...)`. Names may be field paths (`[http][request][method]`, `a.b`). Each
//!   becomes a PCRE2 group `gN`, so names need not be valid PCRE2 group names.

#![warn(unreachable_pub, missing_docs)]

mod compile;
mod library;
mod matcher;

pub use compile::{compile, CompileError, Conversion, Field};
pub use library::{Library, LibraryError};
pub use matcher::{Grok, MatchError, Scratch};

#[cfg(test)]
mod tests;
