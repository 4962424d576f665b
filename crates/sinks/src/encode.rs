//! One event to one line, as JSON or through a text template.

use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::Event;
use sluice_parse::template::Template;

/// `encoding = "json" | "text"` as written.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum EncodingKind {
    /// One JSON object per line.
    #[default]
    Json,
    /// A sprintf `template` per line.
    Text,
}

/// How each event becomes one line.
#[derive(Clone, Debug)]
pub enum Encoding {
    /// One JSON object per line.
    Json,
    /// The template, rendered.
    Text(Template),
}

impl Encoding {
    /// `encoding` with its `template` (only text takes one; it defaults to `%{message}`).
    pub fn build(kind: EncodingKind, template: Option<&str>, b: &mut Build<'_>) -> Option<Self> {
        match (kind, template) {
            (EncodingKind::Json, None) => Some(Encoding::Json),
            (EncodingKind::Json, Some(_)) => {
                b.push("template", "`template` needs `encoding = \"text\"`");
                None
            }
            (EncodingKind::Text, Some(t)) => b.template(t, "template").map(Encoding::Text),
            (EncodingKind::Text, None) => b.template("%{message}", "template").map(Encoding::Text),
        }
    }
}

/// Appends the encoded event and a newline to `out`.
pub fn encode_line(e: &Event, encoding: &Encoding, out: &mut Vec<u8>, scratch: &mut String) {
    match encoding {
        Encoding::Json => e.write_json(out),
        Encoding::Text(t) => {
            scratch.clear();
            t.render_into(e, scratch);
            // A line-oriented file must not get extra lines from a field's content.
            for b in scratch.bytes() {
                out.push(if b == b'\n' || b == b'\r' { b' ' } else { b });
            }
        }
    }
    out.push(b'\n');
}
