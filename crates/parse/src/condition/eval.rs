//! Evaluation with Logstash's comparison rules.

use super::{CmpOp, Expr, Operand};
use sluice_event::{Event, Value};
use std::cmp::Ordering;

fn resolve<'a>(o: &'a Operand, e: &'a Event) -> Option<&'a Value> {
    match o {
        Operand::Field(p) => e.get(p),
        Operand::Literal(v) => Some(v),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Float(y)) | (Value::Float(y), Value::Integer(x)) => {
            (*x as f64) == *y
        }
        (Value::Timestamp(t), Value::String(s)) | (Value::String(s), Value::Timestamp(t)) => {
            sluice_event::timestamp::format_rfc3339(t) == *s
        }
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Integer(x), Value::Integer(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn contains(hay: &Value, needle: &Value) -> bool {
    match hay {
        Value::Array(items) => items.iter().any(|v| equal(v, needle)),
        Value::String(s) => match needle {
            Value::String(n) => s.contains(n.as_str()),
            _ => false,
        },
        Value::Object(m) => needle.as_str().is_some_and(|k| m.contains_key(k)),
        _ => false,
    }
}

pub(super) fn eval(expr: &Expr, e: &Event) -> bool {
    match expr {
        Expr::Truthy(o) => resolve(o, e).is_some_and(Value::is_truthy),
        Expr::Compare(l, op, r) => {
            let (Some(a), Some(b)) = (resolve(l, e), resolve(r, e)) else {
                // A missing field equals nothing and differs from everything.
                return *op == CmpOp::Ne;
            };
            match op {
                CmpOp::Eq => equal(a, b),
                CmpOp::Ne => !equal(a, b),
                CmpOp::Lt => order(a, b) == Some(Ordering::Less),
                CmpOp::Gt => order(a, b) == Some(Ordering::Greater),
                CmpOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
                CmpOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
            }
        }
        Expr::Match(o, re, positive) => {
            let hit = match resolve(o, e) {
                Some(Value::String(s)) => re.is_match(s),
                Some(Value::Null) | None => false,
                Some(v) => re.is_match(&v.to_string_lossy()),
            };
            hit == *positive
        }
        Expr::In(needle, hay, positive) => {
            let hit = match (resolve(needle, e), resolve(hay, e)) {
                (Some(n), Some(h)) => contains(h, n),
                _ => false,
            };
            hit == *positive
        }
        Expr::Not(x) => !eval(x, e),
        Expr::And(a, b) => eval(a, e) && eval(b, e),
        Expr::Or(a, b) => eval(a, e) || eval(b, e),
        Expr::Xor(a, b) => eval(a, e) != eval(b, e),
        Expr::Nand(a, b) => !(eval(a, e) && eval(b, e)),
    }
}
