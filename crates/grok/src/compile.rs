//! Expanding a grok expression into one PCRE2 pattern and its table of captures.

use crate::Library;
use sluice_event::{FieldPath, Value};

/// `:int` or `:float` after a semantic name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// `:int`.
    Int,
    /// `:float`.
    Float,
}

impl Conversion {
    /// Ruby's `to_i` / `to_f`, as Logstash applies them: the longest numeric prefix,
    /// 0 when there is none.
    pub fn apply(self, s: &str) -> Value {
        let t = s.trim_start();
        let sign = usize::from(t.starts_with(['-', '+']));
        let digits = t[sign..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(t.len(), |i| i + sign);
        match self {
            Conversion::Int => Value::Integer(t[..digits].parse().unwrap_or(0)),
            Conversion::Float => {
                let mut end = digits;
                let rest = &t[digits..];
                if let Some(frac) = rest.strip_prefix('.') {
                    end += 1 + frac
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(frac.len());
                    let after = &t[end..];
                    if let Some(exp) = after.strip_prefix(['e', 'E']) {
                        let s = usize::from(exp.starts_with(['-', '+']));
                        let n = exp[s..]
                            .find(|c: char| !c.is_ascii_digit())
                            .unwrap_or(exp.len() - s);
                        if n > 0 {
                            end += 1 + s + n;
                        }
                    }
                }
                Value::Float(t[..end].parse().unwrap_or(0.0))
            }
        }
    }
}

/// One capture of the expression: PCRE2 group `group` fills field `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Position among the expression's captures.
    pub index: usize,
    /// The PCRE2 group that holds it.
    pub group: String,
    /// The semantic name as written: `pid`, `[process][pid]`, `process.pid`.
    pub name: String,
    /// Where the capture goes. A name that is not a valid field reference (the standard
    /// library has `[apache][error][proxy][error][code]?`) is one literal key.
    pub path: FieldPath,
    /// `:int` or `:float`, if given.
    pub conversion: Option<Conversion>,
    /// The built-in library definition that declares this capture, if any. The built-in
    /// library names fields the legacy way (`program`, not `[process][name]`).
    pub builtin: Option<String>,
    /// The pattern the expression itself names (`SYSLOGLINE` in `%{SYSLOGLINE}`) that this
    /// capture comes through; `None` for a capture written in the expression.
    pub via: Option<String>,
}

/// Why an expression does not compile. Positions are byte offsets into `pattern`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("unknown pattern %{{{name}}} at position {pos} of `{pattern}`")]
    /// A `%{NAME}` that the library does not define.
    Unknown {
        /// The pattern name.
        name: String,
        /// Its byte offset in the pattern.
        pos: usize,
        /// The pattern as written.
        pattern: String,
    },
    #[error("`%{{` at position {pos} of `{pattern}` is never closed")]
    /// A `%{` without its `}`.
    Unclosed {
        /// Byte offset of the `%{`.
        pos: usize,
        /// The pattern as written.
        pattern: String,
    },
    #[error("unknown type `{ty}` in %{{{spec}}} (use int or float)")]
    /// A conversion other than `int` or `float`.
    BadType {
        /// The type given.
        ty: String,
        /// The whole `%{...}`.
        spec: String,
    },
    #[error("patterns nest deeper than {max} levels through %{{{name}}} (a cycle?)")]
    /// Pattern references nested deeper than `max` (or a cycle).
    TooDeep {
        /// The pattern where expansion stopped.
        name: String,
        /// The depth limit.
        max: usize,
    },
    #[error("invalid regular expression: {message}")]
    /// The expanded regex does not compile.
    Regex {
        /// PCRE2's message.
        message: String,
    },
}

const MAX_DEPTH: usize = 64;

struct Expander<'l> {
    lib: &'l Library,
    out: String,
    fields: Vec<Field>,
    /// The reference of the expression itself being expanded.
    via: Option<String>,
}

impl Expander<'_> {
    /// A capture named `name`, written in `within` (a definition's name, or the
    /// expression itself at depth 0).
    fn group(
        &mut self,
        name: &str,
        conversion: Option<Conversion>,
        within: &str,
        depth: usize,
    ) -> String {
        let group = format!("g{}", self.fields.len() + 1);
        let builtin = (depth > 0 && self.lib.is_builtin(within)).then(|| within.to_owned());
        self.fields.push(Field {
            index: self.fields.len(),
            group: group.clone(),
            name: name.to_owned(),
            path: semantic_path(name),
            conversion,
            builtin,
            via: self.via.clone(),
        });
        group
    }

    fn expand(&mut self, src: &str, depth: usize, within: &str) -> Result<(), CompileError> {
        let mut i = 0;
        let b = src.as_bytes();
        while i < b.len() {
            if b[i] == b'\\' {
                // An escape and the character it escapes, copied whole.
                let len = src[i + 1..].chars().next().map_or(0, char::len_utf8);
                self.out.push_str(&src[i..i + 1 + len]);
                i += 1 + len;
            } else if b[i] == b'[' {
                i += self.class(&src[i..]);
            } else if src[i..].starts_with("%{") {
                let Some(close) = src[i..].find('}') else {
                    return Err(CompileError::Unclosed {
                        pos: i,
                        pattern: within.to_owned(),
                    });
                };
                let spec = &src[i + 2..i + close];
                self.reference(spec, i, depth, within)?;
                i += close + 1;
            } else if let Some(name_len) = raw_capture(&src[i..]) {
                let prefix = if src[i..].starts_with("(?P<") { 4 } else { 3 };
                let name = &src[i + prefix..i + prefix + name_len];
                let g = self.group(name, None, within, depth);
                self.out.push_str("(?<");
                self.out.push_str(&g);
                self.out.push('>');
                i += prefix + name_len + 1;
            } else if src[i..].starts_with("?*") && !self.out.ends_with('(') {
                // Oniguruma reads `x?*` as `(?:x?)*`, which matches what `x*` matches;
                // PCRE2 rejects a quantifier on a quantifier (SHOREWALL has `.?*`).
                self.out.push('*');
                i += 2;
            } else {
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                self.out.push_str(&src[i..i + len]);
                i += len;
            }
        }
        Ok(())
    }

    /// Copies the character class at the start of `s` and returns its length. Ruby
    /// (Oniguruma) allows a class inside a class as a union, `[[[:alnum:]]_%]`; PCRE2 reads
    /// that differently, so nested brackets are flattened. POSIX `[:name:]` stays.
    fn class(&mut self, s: &str) -> usize {
        let b = s.as_bytes();
        let mut i = 1;
        self.out.push('[');
        if b.get(i) == Some(&b'^') {
            self.out.push('^');
            i += 1;
        }
        if b.get(i) == Some(&b']') {
            self.out.push_str("\\]");
            i += 1;
        }
        let mut depth = 1;
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                let len = s[i + 1..].chars().next().map_or(0, char::len_utf8);
                self.out.push_str(&s[i..i + 1 + len]);
                i += 1 + len;
            } else if s[i..].starts_with("[:") {
                match s[i + 2..].find(":]") {
                    Some(end) => {
                        // Ruby's POSIX brackets are Unicode-aware; PCRE2's are ASCII
                        // without UCP (which would widen `\w` and `\d` as well).
                        match &s[i..i + end + 4] {
                            "[:alnum:]" => self.out.push_str("\\p{L}\\p{M}\\p{Nd}"),
                            "[:alpha:]" => self.out.push_str("\\p{L}\\p{M}"),
                            posix => self.out.push_str(posix),
                        }
                        i += end + 4;
                    }
                    None => {
                        self.out.push_str("\\[");
                        i += 1;
                    }
                }
            } else if c == b'[' {
                // A nested class: its members join the outer one.
                depth += 1;
                i += 1;
            } else if c == b']' {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    self.out.push(']');
                    return i;
                }
            } else {
                let len = s[i..].chars().next().map_or(1, char::len_utf8);
                self.out.push_str(&s[i..i + len]);
                i += len;
            }
        }
        // Unclosed: PCRE2 reports it at compile time.
        i
    }

    fn reference(
        &mut self,
        spec: &str,
        pos: usize,
        depth: usize,
        within: &str,
    ) -> Result<(), CompileError> {
        // Logstash ignores anything after the name that follows a space.
        let spec_trimmed = spec.split(' ').next().unwrap_or("");
        let mut parts = spec_trimmed.splitn(3, ':');
        let name = parts.next().unwrap_or("");
        let semantic = parts.next().filter(|s| !s.is_empty());
        let conversion = match parts.next() {
            None => None,
            Some("int") | Some("integer") => Some(Conversion::Int),
            Some("float") => Some(Conversion::Float),
            Some(other) => {
                return Err(CompileError::BadType {
                    ty: other.to_owned(),
                    spec: spec.to_owned(),
                })
            }
        };
        let Some(def) = self.lib.get(name) else {
            return Err(CompileError::Unknown {
                name: name.to_owned(),
                pos,
                pattern: within.to_owned(),
            });
        };
        if depth >= MAX_DEPTH {
            return Err(CompileError::TooDeep {
                name: name.to_owned(),
                max: MAX_DEPTH,
            });
        }
        let def = def.to_owned();
        match semantic {
            Some(sem) => {
                let g = self.group(sem, conversion, within, depth);
                self.out.push_str("(?<");
                self.out.push_str(&g);
                self.out.push('>');
            }
            None => self.out.push_str("(?:"),
        }
        if depth == 0 {
            self.via = Some(name.to_owned());
        }
        self.expand(&def, depth + 1, name)?;
        if depth == 0 {
            self.via = None;
        }
        self.out.push(')');
        Ok(())
    }
}

/// The field a semantic name writes to. Like Logstash, text after the last `]` of a
/// bracketed reference is ignored (the standard library has `[apache][error][proxy][error][code]?`);
/// a name that is no reference at all is one literal key.
fn semantic_path(name: &str) -> FieldPath {
    if let Ok(p) = FieldPath::parse(name) {
        return p;
    }
    if name.starts_with('[') {
        if let Some(end) = name.rfind(']') {
            if let Ok(p) = FieldPath::parse(&name[..=end]) {
                return p;
            }
        }
    }
    FieldPath::from_segments([name])
}

/// The length of the name when `s` starts a named group `(?<name>` or `(?P<name>`
/// (not a lookbehind `(?<=` / `(?<!`).
fn raw_capture(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("(?P<").or_else(|| s.strip_prefix("(?<"))?;
    if rest.starts_with(['=', '!']) {
        return None;
    }
    let end = rest.find('>')?;
    (end > 0).then_some(end)
}

/// Expands `pattern` against `lib` into a PCRE2 source and its captures.
pub fn compile(pattern: &str, lib: &Library) -> Result<(String, Vec<Field>), CompileError> {
    let mut e = Expander {
        lib,
        out: String::with_capacity(pattern.len() * 4),
        fields: Vec::new(),
        via: None,
    };
    e.expand(pattern, 0, pattern)?;
    Ok((e.out, e.fields))
}
