//! sprintf templates: `%{field}`, `%{[a][b]}`, `%{+YYYY.MM.dd}` (★, as in Logstash).
//!
//! Compiled once into segments. A reference to a missing field renders as the original
//! `%{...}` text, which is what Logstash does and makes the problem visible in output.

use crate::joda::{JodaError, JodaFormat};
use sluice_event::{Event, FieldPath, PathError};

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Field { path: FieldPath, raw: String },
    Time(JodaFormat),
    EpochSeconds,
}

/// A compiled template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

/// A template that did not compile.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed `%{{` at column {column}")]
    /// `%{` without its `}`.
    Unclosed {
        /// Where the `%{` starts.
        column: usize,
    },
    #[error("at column {column}: {source}")]
    /// A field reference that does not parse.
    Path {
        /// Where the reference starts.
        column: usize,
        /// What is wrong with it.
        source: PathError,
    },
    #[error("at column {column}: {source}")]
    /// A `%{+FORMAT}` that is not a valid Joda pattern.
    Date {
        /// Where the format starts.
        column: usize,
        /// What is wrong with it.
        source: JodaError,
    },
}

impl Template {
    /// Parses a template; errors give the column.
    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        let mut segments = Vec::new();
        let mut lit = String::new();
        let mut rest = src;
        let mut col = 1;
        while let Some(start) = rest.find("%{") {
            lit.push_str(&rest[..start]);
            let inner_start = start + 2;
            let end = rest[inner_start..]
                .find('}')
                .map(|e| e + inner_start)
                .ok_or(TemplateError::Unclosed {
                    column: col + start,
                })?;
            // `%{[a][b]}`: the closing brace is after the last `]`.
            let inner = &rest[inner_start..end];
            let column = col + start;
            if !lit.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut lit)));
            }
            if let Some(fmt) = inner.strip_prefix('+') {
                if fmt == "%s" {
                    segments.push(Segment::EpochSeconds);
                } else {
                    let f = JodaFormat::parse(fmt)
                        .map_err(|source| TemplateError::Date { column, source })?;
                    segments.push(Segment::Time(f));
                }
            } else {
                let path = FieldPath::parse(inner)
                    .map_err(|source| TemplateError::Path { column, source })?;
                segments.push(Segment::Field {
                    path,
                    raw: rest[start..=end].to_owned(),
                });
            }
            col += end + 1;
            rest = &rest[end + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            segments.push(Segment::Literal(lit));
        }
        Ok(Template {
            source: src.to_owned(),
            segments,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the template has no references (a constant).
    pub fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// The text of a template without references, which renders without an allocation.
    pub fn literal(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [] => Some(""),
            [Segment::Literal(l)] => Some(l),
            _ => None,
        }
    }

    /// The rendered text; a constant is borrowed from the template, not copied.
    pub fn rendered(&self, event: &Event) -> std::borrow::Cow<'_, str> {
        match self.literal() {
            Some(l) => std::borrow::Cow::Borrowed(l),
            None => std::borrow::Cow::Owned(self.render(event)),
        }
    }

    /// Renders into `out`; returns false when a referenced field was missing.
    pub fn render_into(&self, event: &Event, out: &mut String) -> bool {
        self.render_into_with(event, out, &mut |v, out| out.push_str(v))
    }

    /// Like [`Template::render_into`], but every value taken from the event goes through
    /// `value` on its way into `out` (the literal parts of the template do not): a file
    /// path confines what a sender controls this way.
    pub fn render_into_with(
        &self,
        event: &Event,
        out: &mut String,
        value: &mut dyn FnMut(&str, &mut String),
    ) -> bool {
        let mut complete = true;
        let mut text = String::new();
        for s in &self.segments {
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Field { path, raw } => match event.get(path) {
                    Some(v) => {
                        text.clear();
                        v.render(&mut text);
                        value(&text, out);
                    }
                    None => {
                        complete = false;
                        out.push_str(raw);
                    }
                },
                Segment::Time(f) => {
                    let t = event.timestamp().unwrap_or_else(chrono::Utc::now);
                    f.format_into(&t, out);
                }
                Segment::EpochSeconds => {
                    let t = event.timestamp().unwrap_or_else(chrono::Utc::now);
                    out.push_str(&t.timestamp().to_string());
                }
            }
        }
        complete
    }

    /// The rendered text, owned.
    pub fn render(&self, event: &Event) -> String {
        let mut s = String::new();
        self.render_into(event, &mut s);
        s
    }
}

/// A field name given as a template (`add_field`'s keys, `remove_field`): parsed into a
/// path once when it has no references, per event otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldName {
    template: Template,
    fixed: Option<FieldPath>,
}

impl FieldName {
    /// A constant name must be a valid field reference; that is checked here, once.
    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        let template = Template::parse(src)?;
        let fixed = match template.literal() {
            Some(l) => Some(
                FieldPath::parse(l).map_err(|source| TemplateError::Path { column: 1, source })?,
            ),
            None => None,
        };
        Ok(FieldName { template, fixed })
    }

    /// The path for `event`; `None` when a rendered name is not a field reference.
    pub fn resolve(&self, event: &Event) -> Option<std::borrow::Cow<'_, FieldPath>> {
        match &self.fixed {
            Some(p) => Some(std::borrow::Cow::Borrowed(p)),
            None => FieldPath::parse(&self.template.render(event))
                .ok()
                .map(std::borrow::Cow::Owned),
        }
    }

    /// The name as written.
    pub fn source(&self) -> &str {
        self.template.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sluice_event::Value;

    fn ev() -> Event {
        let mut e = Event::new();
        e.insert(&FieldPath::parse("host.hostname").unwrap(), "web1");
        e.insert(&FieldPath::parse("level").unwrap(), "ERROR");
        e.insert(
            &FieldPath::parse("@timestamp").unwrap(),
            Value::Timestamp(
                chrono::Utc
                    .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
                    .unwrap(),
            ),
        );
        e
    }

    #[test]
    fn renders_fields_dates_and_literals() {
        let t = Template::parse("logs/%{+YYYY.MM.dd}/%{[host][hostname]}-%{level}.log").unwrap();
        assert_eq!(t.render(&ev()), "logs/2026.11.24/web1-ERROR.log");
        assert_eq!(
            Template::parse("%{+%s}").unwrap().render(&ev()),
            "1795521600"
        );
        assert!(Template::parse("plain").unwrap().is_static());
        assert_eq!(Template::parse("plain").unwrap().literal(), Some("plain"));
        assert_eq!(Template::parse("a%{level}").unwrap().literal(), None);
    }

    #[test]
    fn field_names_resolve_once_or_per_event() {
        let fixed = FieldName::parse("[labels][category]").unwrap();
        assert_eq!(
            fixed.resolve(&ev()).unwrap().segments(),
            ["labels", "category"]
        );
        let dynamic = FieldName::parse("by_%{level}").unwrap();
        assert_eq!(dynamic.resolve(&ev()).unwrap().segments(), ["by_ERROR"]);
        assert!(FieldName::parse("[a][").is_err());
    }

    #[test]
    fn missing_fields_stay_visible() {
        let t = Template::parse("x-%{nope}-y").unwrap();
        let mut out = String::new();
        assert!(!t.render_into(&ev(), &mut out));
        assert_eq!(out, "x-%{nope}-y");
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(
            Template::parse("ab%{x").unwrap_err(),
            TemplateError::Unclosed { column: 3 }
        );
        assert!(matches!(
            Template::parse("a %{[x}").unwrap_err(),
            TemplateError::Path { column: 3, .. }
        ));
    }
}
