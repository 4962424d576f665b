//! Logstash's pipeline configuration language, the `.conf` files users already have.
//!
//! Why a crate of its own: the grammar (logstash-core's `grammar.treetop`) is a language
//! apart from sluice's TOML, and a parser with no I/O can be tested on its own against
//! other projects' pipelines (`shared/corpus/logstash-configs`) and Logstash's own spec
//! cases. It produces a syntax tree with the position of everything in it; turning that
//! tree into sluice components is the loader's job.
//!
//! What it reads, as Logstash does:
//! - `input`, `filter` and `output` sections, any number of each, in any order;
//! - plugins with attributes; values: barewords (two characters at least), single- and
//!   double-quoted strings (escapes kept as written, as with Logstash's default
//!   `config.support_escapes: false`; [`unescape`] gives the other reading), numbers
//!   (`010` is octal, as Ruby's `Integer()` reads it), arrays, hashes (entries apart by
//!   whitespace, commas allowed), and plugins as values (`codec => json { ... }`);
//! - comments anywhere whitespace may be;
//! - `if` / `else if` / `else` nested to any depth; the condition's text is kept with
//!   its position, and compiled by sluice's condition language (the same as a TOML
//!   `if`), so that both mean the same.
//!
//! Errors carry the line and column, and render with the offending line and a caret.

mod parser;

pub use parser::parse;

/// A place in the source: 1-based line and column (in characters), and the byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset.
    pub offset: usize,
}

/// A syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Where.
    pub pos: Pos,
    /// What was expected, or what is wrong.
    pub message: String,
}

impl Error {
    /// `file:line:column: message`, then the line and a caret under the column.
    pub fn render(&self, file: &str, src: &str) -> String {
        let line = src.lines().nth(self.pos.line - 1).unwrap_or("");
        let caret: String = line
            .chars()
            .take(self.pos.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "{file}:{}:{}: {}\n  {line}\n  {caret}^",
            self.pos.line, self.pos.column, self.message
        )
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.pos.line, self.pos.column, self.message
        )
    }
}

impl std::error::Error for Error {}

/// `input`, `filter` or `output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// `input { }`.
    Input,
    /// `filter { }`.
    Filter,
    /// `output { }`.
    Output,
}

impl SectionKind {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Input => "input",
            SectionKind::Filter => "filter",
            SectionKind::Output => "output",
        }
    }
}

/// A whole file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// `input { ... }` and the like.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Which.
    pub kind: SectionKind,
    /// Where its keyword is.
    pub pos: Pos,
    /// Plugins and branches, in order.
    pub items: Vec<Item>,
}

/// What a section or a branch holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A plugin.
    Plugin(Plugin),
    /// `if ... else if ... else`.
    Branch(Branch),
}

/// `name { attributes }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plugin {
    /// The plugin's name.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// Its attributes, in order (a name may repeat, as Logstash allows).
    pub attributes: Vec<Attribute>,
}

/// `name => value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// Its value.
    pub value: Value,
}

/// A value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An unquoted word: `true`, `syslog`.
    Bareword(String),
    /// A quoted string's text, escapes as written.
    String(String),
    /// A number as written (see [`Value::as_i64`]).
    Number(String),
    /// `[a, b]`.
    Array(Vec<Value>),
    /// `{ key => value ... }`; keys as written (a bareword, a string or a number).
    Hash(Vec<(String, Pos, Value)>),
    /// `name { ... }` in a value position (a codec with settings).
    Plugin(Plugin),
}

impl Value {
    /// A number's integer value: a leading `0` means octal, as Ruby's `Integer()` reads
    /// Logstash configs (`010` is 8).
    pub fn as_i64(&self) -> Option<i64> {
        let Value::Number(n) = self else { return None };
        let (neg, digits) = match n.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, n.as_str()),
        };
        if digits.contains('.') {
            return None;
        }
        let v = if digits.len() > 1 && digits.starts_with('0') {
            i64::from_str_radix(&digits[1..], 8).ok()?
        } else {
            digits.parse().ok()?
        };
        Some(if neg { -v } else { v })
    }

    /// A number's value as a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) if n.contains('.') => n.parse().ok(),
            Value::Number(_) => self.as_i64().map(|i| i as f64),
            _ => None,
        }
    }

    /// A bareword's or a string's text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Bareword(s) | Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// `if c { } else if c { } else { }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    /// Each `if` and `else if`: its condition and what it holds.
    pub cases: Vec<(Cond, Vec<Item>)>,
    /// The `else`, when there is one.
    pub otherwise: Option<Vec<Item>>,
}

/// A condition's text and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    /// The text between `if` and `{`, trimmed.
    pub text: String,
    /// Where it starts.
    pub pos: Pos,
}

/// A string as Logstash reads it with `config.support_escapes: true`: `\"`, `\'`, `\\`,
/// `\n`, `\r`, `\t` and `\0` are replaced; other backslashes stay.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
