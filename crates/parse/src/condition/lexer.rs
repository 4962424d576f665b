//! Tokens of the condition language, each with its 1-based column.

use super::parser::ConditionError;
use sluice_event::FieldPath;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Field(FieldPath),
    Str(String),
    Int(i64),
    Float(f64),
    Regex(String),
    LBracket,
    RBracket,
    Comma,
    LParen,
    RParen,
    Op(&'static str),
    Word(String),
}

pub(super) fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ConditionError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Whether a `/` here starts a regex (after `=~`/`!~`) rather than being an error.
    while i < b.len() {
        let c = b[i];
        let col = i + 1;
        let err = |msg: String| ConditionError {
            column: col,
            message: msg,
        };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, col));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, col));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, col));
                i += 1;
            }
            b']' => {
                out.push((Tok::RBracket, col));
                i += 1;
            }
            b'[' => {
                // `[name][sub]` is a field reference; `[` before a quote/number is a list.
                let mut j = i + 1;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                let list = j >= b.len() || matches!(b[j], b'"' | b'\'' | b'-' | b'0'..=b'9' | b']');
                if list {
                    out.push((Tok::LBracket, col));
                    i += 1;
                } else {
                    let mut end = i;
                    while end < b.len() && b[end] == b'[' {
                        let close = src[end..]
                            .find(']')
                            .ok_or_else(|| err("unclosed `[` in field reference".into()))?;
                        end += close + 1;
                    }
                    let path = FieldPath::parse(&src[i..end]).map_err(|e| err(e.to_string()))?;
                    out.push((Tok::Field(path), col));
                    i = end;
                }
            }
            b'"' | b'\'' => {
                let q = c;
                let mut s = String::new();
                let mut j = i + 1;
                let mut closed = false;
                while j < b.len() {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        let n = b[j + 1];
                        match n {
                            b'n' => s.push('\n'),
                            b't' => s.push('\t'),
                            b'r' => s.push('\r'),
                            _ if n == q || n == b'\\' => s.push(n as char),
                            _ => {
                                s.push('\\');
                                // Not an escape we know: keep both characters.
                                let ch = src[j + 1..].chars().next().unwrap_or('\\');
                                s.push(ch);
                                j += 1 + ch.len_utf8();
                                continue;
                            }
                        }
                        j += 2;
                    } else if b[j] == q {
                        closed = true;
                        j += 1;
                        break;
                    } else {
                        let ch = src[j..].chars().next().unwrap_or(' ');
                        s.push(ch);
                        j += ch.len_utf8();
                    }
                }
                if !closed {
                    return Err(err("unterminated string".into()));
                }
                out.push((Tok::Str(s), col));
                i = j;
            }
            b'/' => {
                let mut j = i + 1;
                let mut s = String::new();
                let mut closed = false;
                while j < b.len() {
                    if b[j] == b'\\' && j + 1 < b.len() && b[j + 1] == b'/' {
                        s.push('/');
                        j += 2;
                    } else if b[j] == b'/' {
                        closed = true;
                        j += 1;
                        break;
                    } else {
                        let ch = src[j..].chars().next().unwrap_or(' ');
                        s.push(ch);
                        j += ch.len_utf8();
                    }
                }
                if !closed {
                    return Err(err("unterminated regex `/.../`".into()));
                }
                out.push((Tok::Regex(s), col));
                i = j;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = b.get(i + 1).copied();
                let (op, n) = match (c, two) {
                    (b'=', Some(b'=')) => ("==", 2),
                    (b'=', Some(b'~')) => ("=~", 2),
                    (b'!', Some(b'=')) => ("!=", 2),
                    (b'!', Some(b'~')) => ("!~", 2),
                    (b'<', Some(b'=')) => ("<=", 2),
                    (b'>', Some(b'=')) => (">=", 2),
                    (b'<', _) => ("<", 1),
                    (b'>', _) => (">", 1),
                    (b'!', _) => ("!", 1),
                    _ => return Err(err("`=` is not an operator; did you mean `==`?".into())),
                };
                out.push((Tok::Op(op), col));
                i += n;
            }
            b'-' | b'0'..=b'9' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                let t = &src[i..j];
                let tok = if t.contains('.') {
                    Tok::Float(t.parse().map_err(|_| err(format!("bad number `{t}`")))?)
                } else {
                    Tok::Int(t.parse().map_err(|_| err(format!("bad number `{t}`")))?)
                };
                out.push((tok, col));
                i = j;
            }
            c if c.is_ascii_alphabetic() => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                out.push((Tok::Word(src[i..j].to_owned()), col));
                i = j;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(format!("unexpected character `{ch}`")));
            }
        }
    }
    Ok(out)
}
