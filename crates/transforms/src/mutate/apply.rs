//! Applying a built [`Mutate`] to one event.

use super::{CaseChange, ConvertType, Mutate};
use sluice_event::{Event, FieldPath, Value};

/// Applies `f` to every string of `v` (the value or the strings of an array).
fn map_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s).into(),
        Value::Array(a) => a.iter_mut().for_each(|x| map_strings(x, f)),
        _ => {}
    }
}

fn each_string(e: &mut Event, paths: &[FieldPath], f: &dyn Fn(&str) -> String) {
    for p in paths {
        if let Some(v) = e.get_mut(p) {
            map_strings(v, f);
        }
    }
}

/// Logstash's conversion of one scalar. Values that do not convert are left as they are.
fn convert(v: &Value, t: ConvertType) -> Option<Value> {
    let text = match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string_lossy(),
    };
    // Digit grouping as Logstash reads it: `1,000.5`, or `1.000,5` for the `_eu` types.
    let number = |eu: bool| -> String {
        if !matches!(v, Value::String(_)) {
            return text.clone();
        }
        if eu {
            text.replace('.', "").replace(',', ".")
        } else {
            text.replace(',', "")
        }
    };
    let integer = |s: String| -> Option<Value> {
        s.parse::<i64>()
            .ok()
            .or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc() as i64)
            })
            .map(Value::Integer)
    };
    let float = |s: String| {
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float)
    };
    Some(match t {
        ConvertType::String => Value::from(text),
        ConvertType::Integer | ConvertType::IntegerEu => match v {
            Value::Float(f) => Value::Integer(f.trunc() as i64),
            Value::Bool(b) => Value::Integer(i64::from(*b)),
            _ => integer(number(t == ConvertType::IntegerEu))?,
        },
        ConvertType::Float | ConvertType::FloatEu => match v {
            Value::Integer(i) => Value::Float(*i as f64),
            Value::Bool(b) => Value::Float(f64::from(u8::from(*b))),
            _ => float(number(t == ConvertType::FloatEu))?,
        },
        ConvertType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => Value::Bool(true),
            "false" | "f" | "no" | "n" | "0" | "0.0" => Value::Bool(false),
            _ => return None,
        },
    })
}

fn convert_in_place(v: &mut Value, t: ConvertType) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| convert_in_place(x, t)),
        Value::Object(_) | Value::Null => {}
        other => {
            if let Some(n) = convert(other, t) {
                *other = n;
            }
        }
    }
}

impl Mutate {
    /// Applies `m` to one event.
    pub fn apply_one(&self, e: &mut Event) {
        for (path, tpl) in &self.coerce {
            if matches!(e.get(path), Some(Value::Null)) {
                let v = tpl.render(e);
                e.insert(path, v);
            }
        }
        for (from, to) in &self.rename {
            if let Some(v) = e.remove(from) {
                e.insert(to, v);
            }
        }
        for (path, tpl) in &self.update {
            if e.get(path).is_some() {
                let v = tpl.render(e);
                e.insert(path, v);
            }
        }
        // Logstash's replace also creates the field.
        for (path, tpl) in &self.replace {
            let v = tpl.render(e);
            e.insert(path, v);
        }
        for (path, t) in &self.convert {
            if let Some(v) = e.get_mut(path) {
                convert_in_place(v, *t);
            }
        }
        for (path, re, rep) in &self.gsub {
            if let Some(v) = e.get_mut(path) {
                map_strings(v, &|s| re.replace_all(s, rep.as_str()).into_owned());
            }
        }
        each_string(e, &self.uppercase, &|s| CaseChange::Uppercase.apply(s));
        each_string(e, &self.capitalize, &|s| CaseChange::Capitalize.apply(s));
        each_string(e, &self.lowercase, &|s| CaseChange::Lowercase.apply(s));
        each_string(e, &self.strip, &|s| s.trim().to_owned());
        for (path, sep) in &self.split {
            if let Some(v) = e.get_mut(path) {
                if let Value::String(s) = v {
                    let parts = s.split(sep.as_str()).map(Value::from).collect();
                    *v = Value::Array(parts);
                }
            }
        }
        for (path, sep) in &self.join {
            if let Some(v) = e.get_mut(path) {
                if let Value::Array(a) = v {
                    let joined = a
                        .iter()
                        .map(Value::to_string_lossy)
                        .collect::<Vec<_>>()
                        .join(sep);
                    *v = Value::from(joined);
                }
            }
        }
        for (dest, src) in &self.merge {
            let Some(add) = e.get(src).cloned() else {
                continue;
            };
            let items = match add {
                Value::Array(a) => a,
                other => vec![other],
            };
            match e.get_mut(dest) {
                Some(Value::Array(a)) => a.extend(items),
                Some(old) => {
                    let first = std::mem::take(old);
                    let mut all = vec![first];
                    all.extend(items);
                    *old = Value::Array(all);
                }
                None => {}
            }
        }
        for (src, dest) in &self.copy {
            if let Some(v) = e.get(src).cloned() {
                e.insert(dest, v);
            }
        }
        self.common.apply(e);
    }
}
