//! A dissect pattern: parsed once, matched without regexes. Pure; no I/O.
//!
//! `%{a} - %{b}` is a list of fields, each followed by the delimiter that ends it. A
//! field's value is the text up to the first occurrence of its delimiter; the last field
//! without a delimiter takes the rest of the line.

/// What a field does with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `%{name}`: sets the field.
    Set(String),
    /// `%{+name}` or `%{+name/N}`: joined with the other parts of `name`, by ordinal.
    Append(String, u32),
    /// `%{}` or `%{?name}`: matched and thrown away; a named skip may be the key of an
    /// indirect field.
    Skip(Option<String>),
    /// `%{&name}`: the field named by the value of the `%{?name}` skip.
    Indirect(String),
}

/// One `%{...}` and the delimiter after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// What to do with the value.
    pub kind: Kind,
    /// `->`: repeats of the delimiter after the value are skipped (padding).
    pub padded: bool,
    /// The text that ends the value; empty only for the last field.
    pub delimiter: String,
}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Text before the first field, which the line must start with.
    pub prefix: String,
    /// The fields in order.
    pub fields: Vec<Field>,
}

/// Why a pattern does not parse, with the byte offset where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct PatternError {
    /// Byte offset into the pattern.
    pub at: usize,
    /// What is wrong.
    pub what: &'static str,
}

fn kind(spec: &str, at: usize) -> Result<Kind, PatternError> {
    let bad = |what| PatternError { at, what };
    let name = |s: &str| -> Result<String, PatternError> {
        if s.is_empty() {
            Err(bad("a field needs a name after its modifier"))
        } else {
            Ok(s.to_owned())
        }
    };
    Ok(match spec.as_bytes().first() {
        None => Kind::Skip(None),
        Some(b'?') => Kind::Skip(Some(name(&spec[1..])?)),
        Some(b'&') => Kind::Indirect(name(&spec[1..])?),
        Some(b'+') => match spec[1..].rsplit_once('/') {
            Some((n, ord)) => {
                let ord = ord
                    .parse()
                    .map_err(|_| bad("an append ordinal (`/N`) must be a whole number"))?;
                Kind::Append(name(n)?, ord)
            }
            None => Kind::Append(name(&spec[1..])?, 0),
        },
        Some(_) => Kind::Set(spec.to_owned()),
    })
}

impl Pattern {
    /// Parses `%{a} %{+a} %{?k}=%{&k} %{b->} %{}`.
    pub fn parse(p: &str) -> Result<Pattern, PatternError> {
        let mut prefix = String::new();
        let mut fields: Vec<Field> = Vec::new();
        let mut rest = p;
        loop {
            let at = p.len() - rest.len();
            let (text, after) = match rest.find("%{") {
                Some(i) => (&rest[..i], Some(&rest[i + 2..])),
                None => (rest, None),
            };
            match fields.last_mut() {
                Some(f) => f.delimiter = text.to_owned(),
                None => prefix = text.to_owned(),
            }
            let Some(after) = after else { break };
            let open = at + text.len();
            let close = after.find('}').ok_or(PatternError {
                at: open,
                what: "`%{` is not closed by `}`",
            })?;
            if let Some(prev) = fields.last() {
                if prev.delimiter.is_empty() {
                    return Err(PatternError {
                        at: open,
                        what: "two fields need a delimiter between them",
                    });
                }
            }
            let mut spec = &after[..close];
            let padded = spec.ends_with("->");
            if padded {
                spec = &spec[..spec.len() - 2];
            }
            fields.push(Field {
                kind: kind(spec, open)?,
                padded,
                delimiter: String::new(),
            });
            rest = &after[close + 1..];
        }
        if fields.is_empty() {
            return Err(PatternError {
                at: 0,
                what: "a pattern needs at least one %{field}",
            });
        }
        for f in &fields {
            if let Kind::Indirect(k) = &f.kind {
                let keyed = fields
                    .iter()
                    .any(|g| matches!(&g.kind, Kind::Skip(Some(n)) if n == k));
                if !keyed {
                    return Err(PatternError {
                        at: 0,
                        what: "an indirect field `%{&name}` needs a `%{?name}` to name it",
                    });
                }
            }
        }
        Ok(Pattern { prefix, fields })
    }

    /// The value of each field in `text`, or `None` when a delimiter is missing (then
    /// nothing is to be changed).
    pub fn split<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let mut rest = text.strip_prefix(self.prefix.as_str())?;
        let mut values = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            if f.delimiter.is_empty() {
                values.push(rest);
                rest = "";
                continue;
            }
            let end = rest.find(f.delimiter.as_str())?;
            values.push(&rest[..end]);
            rest = &rest[end + f.delimiter.len()..];
            if f.padded {
                while let Some(r) = rest.strip_prefix(f.delimiter.as_str()) {
                    rest = r;
                }
            }
        }
        Some(values)
    }
}
