//! One event to one line.

use sluice_config::Encoding;
use sluice_event::Event;

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
