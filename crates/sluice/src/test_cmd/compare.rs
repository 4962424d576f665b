//! Comparing the events a case produced with those it expected.

use serde_json::Value as J;

/// `v` without the `ignore`d fields (Logstash field references or top-level names).
pub(crate) fn without(mut v: J, ignore: &[String]) -> J {
    for f in ignore {
        let segs: Vec<String> = match sluice_event::FieldPath::parse(f) {
            Ok(p) => p.segments().to_vec(),
            Err(_) => vec![f.clone()],
        };
        let mut cur = &mut v;
        for (i, s) in segs.iter().enumerate() {
            let Some(obj) = cur.as_object_mut() else {
                break;
            };
            if i + 1 == segs.len() {
                obj.remove(s);
                break;
            }
            match obj.get_mut(s) {
                Some(next) => cur = next,
                None => break,
            }
        }
    }
    v
}

/// The differences between `want` and `got`, one line per field.
pub(crate) fn diff(want: &J, got: &J, path: &str, out: &mut Vec<String>) {
    match (want, got) {
        (J::Object(a), J::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}[{k}]");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(x, y, &p, out),
                    (Some(x), None) => out.push(format!("  - {p}: {x}   (expected, missing)")),
                    (None, Some(y)) => out.push(format!("  + {p}: {y}   (not expected)")),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!("  ~ {path}: expected {a}, got {b}")),
        _ => {}
    }
}

/// The lines describing how `got` differs from `want`; empty when they agree.
pub(crate) fn report(want: &[J], got: &[J]) -> Vec<String> {
    let mut lines = Vec::new();
    if got.len() != want.len() {
        lines.push(format!(
            "  expected {} events, got {}",
            want.len(),
            got.len()
        ));
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let mut d = Vec::new();
        diff(w, g, "", &mut d);
        if !d.is_empty() {
            lines.push(format!("  event {}:", i + 1));
            lines.extend(d.into_iter().map(|l| format!("  {l}")));
        }
    }
    lines
}
