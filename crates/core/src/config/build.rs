//! [`Build`]: where a component's build step reports what is wrong, key by key.

use sluice_event::FieldPath;
use sluice_parse::condition::Condition;
use sluice_parse::template::{FieldName, Template};

/// One problem in one component's config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The key within the component (`patterns[1]`, `buffer.max_events`), or empty.
    pub key: String,
    /// What is wrong, and where possible how to fix it.
    pub message: String,
}

/// Collects the problems of one component's build step. Building goes on after a problem
/// so that one run reports every problem, not only the first.
#[derive(Debug)]
pub struct Build<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl<'a> Build<'a> {
    /// A build of a component declared in `file` (relative paths in its config, such as a
    /// grok `patterns_dir`, resolve against that file's directory).
    pub fn new(file: &'a str) -> Self {
        Build {
            file,
            problems: Vec::new(),
        }
    }

    /// The config file the component comes from.
    pub fn file(&self) -> &'a str {
        self.file
    }

    /// Reports a problem at `key`.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// How many problems so far: compare with [`Build::clean_since`] to tell whether one
    /// part of a build went wrong.
    pub fn mark(&self) -> usize {
        self.problems.len()
    }

    /// True when nothing was reported since `mark`.
    pub fn clean_since(&self, mark: usize) -> bool {
        self.problems.len() == mark
    }

    /// The problems, in the order they were found.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// `parsed`, or its error reported at `key` as "... in {what} `{src}`".
    fn reported<T, E: std::fmt::Display>(
        &mut self,
        parsed: Result<T, E>,
        what: &str,
        src: &str,
        key: &str,
    ) -> Option<T> {
        parsed
            .map_err(|e| self.push(key, format!("{e} in {what} `{src}`")))
            .ok()
    }

    /// A field reference (`[a][b]` or `a.b`).
    pub fn path(&mut self, s: &str, key: &str) -> Option<FieldPath> {
        FieldPath::parse(s)
            .map_err(|e| self.push(key, e.to_string()))
            .ok()
    }

    /// Every field reference of a list that parses; the others are reported.
    pub fn paths(&mut self, list: &[String], key: &str) -> Vec<FieldPath> {
        list.iter().filter_map(|f| self.path(f, key)).collect()
    }

    /// A sprintf template (`%{[a][b]}`, `%{+YYYY.MM.dd}`).
    pub fn template(&mut self, s: &str, key: &str) -> Option<Template> {
        self.reported(Template::parse(s), "template", s, key)
    }

    /// A field name that may be a template (`add_field`, `remove_field`).
    pub fn field_name(&mut self, s: &str, key: &str) -> Option<FieldName> {
        self.reported(FieldName::parse(s), "field name", s, key)
    }

    /// A condition in Logstash's language.
    pub fn condition(&mut self, s: &str, key: &str) -> Option<Condition> {
        Condition::parse(s)
            .map_err(|e| self.push(key, format!("{e} in `{s}`")))
            .ok()
    }

    /// A regular expression (Rust's `regex` syntax; a `{` that starts no repetition is
    /// a literal brace, as in Ruby's regexes that Logstash configs are written in).
    pub fn regex(&mut self, s: &str, key: &str) -> Option<regex::Regex> {
        regex::Regex::new(&sluice_parse::condition::literal_braces(s))
            .map_err(|e| self.push(key, format!("invalid regex `{s}`: {e}")))
            .ok()
    }

    /// Reports `key` when a count is zero.
    pub fn at_least_one(&mut self, key: &str, n: usize) {
        if n == 0 {
            self.push(key, "must be at least 1");
        }
    }
}
