//! `mutate`: rename, replace, case, add/remove fields and tags.

use sluice_config::MutateSpec;
use sluice_event::{Event, FieldPath, Value};

fn map_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s).into(),
        Value::Array(a) => a.iter_mut().for_each(|x| map_strings(x, f)),
        _ => {}
    }
}

fn case(e: &mut Event, paths: &[FieldPath], f: &dyn Fn(&str) -> String) {
    for p in paths {
        if let Some(v) = e.remove(p) {
            let mut v = v;
            map_strings(&mut v, f);
            e.insert(p, v);
        }
    }
}

/// Applies `m` to one event.
pub fn apply_mutate(m: &MutateSpec, e: &mut Event) {
    for (from, to) in &m.rename {
        if let Some(v) = e.remove(from) {
            e.insert(to, v);
        }
    }
    for (path, tpl) in &m.replace {
        if e.get(path).is_some() {
            let v = tpl.render(e);
            e.insert(path, v);
        }
    }
    case(e, &m.lowercase, &|s| s.to_lowercase());
    case(e, &m.uppercase, &|s| s.to_uppercase());
    let mut buf = String::new();
    for (k, v) in &m.add_field {
        buf.clear();
        k.render_into(e, &mut buf);
        let Ok(path) = FieldPath::parse(&buf) else {
            continue;
        };
        let value = v.render(e);
        // Adding to an existing field makes it an array, as in Logstash.
        match e.remove(&path) {
            None => {
                e.insert(&path, value);
            }
            Some(Value::Array(mut a)) => {
                a.push(Value::from(value));
                e.insert(&path, Value::Array(a));
            }
            Some(old) => {
                e.insert(&path, Value::Array(vec![old, Value::from(value)]));
            }
        }
    }
    for t in &m.add_tag {
        let tag = t.render(e);
        e.add_tag(&tag);
    }
    for f in &m.remove_field {
        let name = f.render(e);
        if let Ok(p) = FieldPath::parse(&name) {
            e.remove(&p);
        }
    }
    for t in &m.remove_tag {
        let tag = t.render(e);
        e.remove_tag(&tag);
    }
}
