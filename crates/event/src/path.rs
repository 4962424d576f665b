//! Field references: Logstash's `[a][b]` and the dotted `a.b`.

use std::fmt;

/// How many levels a field reference may name. Events nest deeper only through data
/// (JSON), which their own limits bound; a config that names a field 100,000 levels
/// deep would overflow the stack on the first event.
pub(crate) const MAX_DEPTH: usize = 64;

/// A parsed field reference. Parse once at config load; use many times per event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segments: Vec<String>,
}

/// Why a field reference did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field reference `{}`: {reason}", abbreviated(path))]
pub struct PathError {
    /// The reference as written.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// `s`, or its first 80 characters and how long it was: an error message stays a line.
fn abbreviated(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= 100 {
        return s.into();
    }
    let mut end = 80;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len()).into()
}

impl FieldPath {
    /// Parses `[a][b]`, `a.b`, or a plain `name`.
    ///
    /// In bracket form a dot is part of the name (`[host.name]` is one key), as in Logstash.
    pub fn parse(s: &str) -> Result<Self, PathError> {
        let err = |reason| PathError {
            path: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(err("empty"));
        }
        let mut segments = Vec::new();
        if s.starts_with('[') {
            let mut rest = s;
            while !rest.is_empty() {
                let inner = rest.strip_prefix('[').ok_or(err("expected `[`"))?;
                let end = inner.find(']').ok_or(err("missing `]`"))?;
                let name = &inner[..end];
                if name.is_empty() {
                    return Err(err("empty segment `[]`"));
                }
                if name.contains('[') {
                    return Err(err("nested `[` inside a segment"));
                }
                segments.push(name.to_owned());
                rest = &inner[end + 1..];
            }
        } else {
            if s.contains('[') || s.contains(']') {
                return Err(err("mixes `a.b` and `[a][b]` syntax"));
            }
            for part in s.split('.') {
                if part.is_empty() {
                    return Err(err("empty segment between dots"));
                }
                segments.push(part.to_owned());
            }
        }
        if segments.len() > MAX_DEPTH {
            return Err(err("nested more than 64 levels deep"));
        }
        Ok(FieldPath { segments })
    }

    /// A path from segments that are already split.
    pub fn from_segments<I, S>(segs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        FieldPath {
            segments: segs.into_iter().map(Into::into).collect(),
        }
    }

    /// The path's segments, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// True when the path starts at `@metadata`.
    pub fn is_metadata(&self) -> bool {
        self.segments.first().map(String::as_str) == Some("@metadata")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.segments {
            write!(f, "[{s}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn depth_is_bounded_and_long_paths_are_abbreviated_in_errors() {
        let ok = "[a]".repeat(64);
        assert_eq!(FieldPath::parse(&ok).unwrap().segments().len(), 64);
        let e = FieldPath::parse(&"[a]".repeat(100_000)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("64 levels") && msg.contains("(300000 bytes)"),
            "{msg}"
        );
        assert!(msg.len() < 200, "{msg}");
        assert!(FieldPath::parse(&vec!["a"; 65].join(".")).is_err());
    }
    use super::*;

    #[test]
    fn both_syntaxes_give_the_same_path() {
        assert_eq!(
            FieldPath::parse("[log][syslog][priority]").unwrap(),
            FieldPath::parse("log.syslog.priority").unwrap()
        );
        assert_eq!(
            FieldPath::parse("[host.name]").unwrap().segments(),
            ["host.name"]
        );
        assert_eq!(
            FieldPath::parse("@timestamp").unwrap().segments(),
            ["@timestamp"]
        );
    }

    #[test]
    fn malformed_paths_are_rejected() {
        for bad in ["", "[a", "[]", "a..b", "a[b]", "[a]b", ".a"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad} should fail");
        }
    }
}
