//! `redact`: replace secrets and personal data in string fields.

use sluice_config::RedactSpec;
use sluice_event::{Event, Value};

fn scrub(v: &mut Value, spec: &RedactSpec, counts: &mut [u64]) {
    match v {
        Value::String(s) => {
            if let Some(clean) = spec.redactor.redact(s, counts) {
                *s = clean.into();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scrub(x, spec, counts)),
        Value::Object(m) => m.values_mut().for_each(|x| scrub(x, spec, counts)),
        _ => {}
    }
}

/// Redacts the configured fields (or every string) of one event; `counts[i]` grows by the
/// findings of detector `i`.
pub fn apply_redact(spec: &RedactSpec, e: &mut Event, counts: &mut [u64]) {
    if spec.fields.is_empty() {
        for v in e.fields_mut().values_mut() {
            scrub(v, spec, counts);
        }
    } else {
        for p in &spec.fields {
            if let Some(v) = e.get_mut(p) {
                scrub(v, spec, counts);
            }
        }
    }
}
