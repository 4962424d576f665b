//! Recursive descent over the tokens; every error names its column.

use super::lexer::{lex, Tok};
use super::{CmpOp, Expr, Operand};
use sluice_event::Value;

/// A condition that did not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ConditionError {
    /// 1-based column in the condition text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// How deep `(`, `!` may nest, and how many operators one condition may hold: bounds
/// on the parser's and the evaluator's recursion, so that no config can overflow the
/// stack (10,000 nested parentheses used to abort `sluice validate`).
const MAX_DEPTH: usize = 64;
const MAX_OPERATORS: usize = 1024;

struct P {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end_col: usize,
    depth: usize,
    operators: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |t| t.1)
    }
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ConditionError> {
        Err(ConditionError {
            column: self.col(),
            message: msg.into(),
        })
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }
    /// Counts one more operator node; refuses past the bound.
    fn operator(&mut self) -> Result<(), ConditionError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return self.err(format!(
                "more than {MAX_OPERATORS} operators in one condition; split it up"
            ));
        }
        Ok(())
    }
    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone());
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut l = self.xor()?;
        while self.word("or") {
            self.operator()?;
            self.pos += 1;
            l = Expr::Or(Box::new(l), Box::new(self.xor()?));
        }
        Ok(l)
    }
    fn xor(&mut self) -> Result<Expr, ConditionError> {
        let mut l = self.and()?;
        while self.word("xor") {
            self.operator()?;
            self.pos += 1;
            l = Expr::Xor(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut l = self.unary()?;
        loop {
            if self.word("and") {
                self.operator()?;
                self.pos += 1;
                l = Expr::And(Box::new(l), Box::new(self.unary()?));
            } else if self.word("nand") {
                self.operator()?;
                self.pos += 1;
                l = Expr::Nand(Box::new(l), Box::new(self.unary()?));
            } else {
                return Ok(l);
            }
        }
    }
    fn unary(&mut self) -> Result<Expr, ConditionError> {
        let nests = matches!(self.peek(), Some(Tok::Op("!")) | Some(Tok::LParen));
        if nests {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return self.err(format!(
                    "`(` and `!` nested more than {MAX_DEPTH} levels deep"
                ));
            }
            self.operator()?;
        }
        let e = self.unary_inner();
        if nests {
            self.depth -= 1;
        }
        e
    }
    fn unary_inner(&mut self) -> Result<Expr, ConditionError> {
        if self.peek() == Some(&Tok::Op("!")) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return self.err("expected `)`");
            }
            self.pos += 1;
            return Ok(e);
        }
        let left = self.operand()?;
        let op_col = self.col();
        match self.peek().cloned() {
            Some(Tok::Op(op @ ("==" | "!=" | "<" | ">" | "<=" | ">="))) => {
                self.pos += 1;
                let right = self.operand()?;
                let op = match op {
                    "==" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    ">" => CmpOp::Gt,
                    "<=" => CmpOp::Le,
                    _ => CmpOp::Ge,
                };
                Ok(Expr::Compare(left, op, right))
            }
            Some(Tok::Op(op @ ("=~" | "!~"))) => {
                self.pos += 1;
                let col = self.col();
                let pat = match self.bump() {
                    Some(Tok::Regex(r)) | Some(Tok::Str(r)) => r,
                    _ => {
                        self.pos -= 1;
                        return self.err(format!("expected `/regex/` after `{op}`"));
                    }
                };
                let re = regex::Regex::new(&literal_braces(&pat)).map_err(|e| ConditionError {
                    column: col,
                    message: format!("invalid regex: {e}"),
                })?;
                Ok(Expr::Match(left, re, op == "=~"))
            }
            Some(Tok::Word(w)) if w == "in" => {
                self.pos += 1;
                Ok(Expr::In(left, self.operand()?, true))
            }
            Some(Tok::Word(w)) if w == "not" => {
                self.pos += 1;
                if !self.word("in") {
                    return self.err("expected `in` after `not`");
                }
                self.pos += 1;
                Ok(Expr::In(left, self.operand()?, false))
            }
            _ => {
                let _ = op_col;
                match left {
                    Operand::Field(_) => Ok(Expr::Truthy(left)),
                    Operand::Literal(ref v) => Ok(Expr::Truthy(Operand::Literal(v.clone()))),
                }
            }
        }
    }
    fn operand(&mut self) -> Result<Operand, ConditionError> {
        match self.peek().cloned() {
            // A regex on its own is a value, as in Logstash (always truthy).
            Some(Tok::Regex(r)) => {
                self.pos += 1;
                Ok(Operand::Literal(Value::from(r)))
            }
            Some(Tok::Field(p)) => {
                self.pos += 1;
                Ok(Operand::Field(p))
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Operand::Literal(Value::from(s)))
            }
            Some(Tok::Int(i)) => {
                self.pos += 1;
                Ok(Operand::Literal(Value::Integer(i)))
            }
            Some(Tok::Float(f)) => {
                self.pos += 1;
                Ok(Operand::Literal(Value::Float(f)))
            }
            Some(Tok::LBracket) => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.peek() == Some(&Tok::RBracket) {
                    self.pos += 1;
                    return Ok(Operand::Literal(Value::Array(items)));
                }
                loop {
                    match self.operand()? {
                        Operand::Literal(v) => items.push(v),
                        Operand::Field(_) => {
                            return self.err("a list holds literals, not field references")
                        }
                    }
                    match self.bump() {
                        Some(Tok::Comma) => continue,
                        Some(Tok::RBracket) => break,
                        _ => {
                            self.pos -= 1;
                            return self.err("expected `,` or `]` in list");
                        }
                    }
                }
                Ok(Operand::Literal(Value::Array(items)))
            }
            Some(Tok::Word(w)) => self.err(format!(
                "unexpected `{w}`: field references are written `[field]`, strings in quotes"
            )),
            Some(_) => self.err("expected a field reference, string, number or list"),
            None => self.err("unexpected end of condition"),
        }
    }
}

pub(super) fn parse(src: &str) -> Result<Expr, ConditionError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(ConditionError {
            column: 1,
            message: "empty condition".into(),
        });
    }
    let mut p = P {
        toks,
        pos: 0,
        end_col: src.len() + 1,
        depth: 0,
        operators: 0,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return p.err("unexpected text after the condition; missing `and`/`or`?");
    }
    Ok(e)
}

/// Logstash's regexes are Ruby's (Onigmo), where a `{` that does not start a repetition
/// (`{2}`, `{2,}`, `{2,5}`, `{,5}`) is a literal brace: `/^{.*}$/` matches a JSON
/// object. The `regex` crate refuses that, so such braces are escaped first.
pub fn literal_braces(pat: &str) -> String {
    let b = pat.as_bytes();
    let mut out = String::with_capacity(pat.len() + 4);
    let mut i = 0;
    let mut open_quantifier = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && i + 1 < b.len() {
            // An escape, copied whole (its second character may be multi-byte).
            let n = pat[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&pat[i..i + 1 + n]);
            i += 1 + n;
            continue;
        }
        if c == b'{' {
            let rest = &pat[i + 1..];
            let end = rest.find('}');
            let body = end.map(|e| &rest[..e]);
            let quantifier = body.is_some_and(|q| {
                let (a, bnd) = q.split_once(',').unwrap_or((q, ""));
                !q.is_empty()
                    && a.bytes().all(|d| d.is_ascii_digit())
                    && bnd.bytes().all(|d| d.is_ascii_digit())
                    && (!a.is_empty() || !bnd.is_empty())
            });
            if quantifier && i > 0 {
                open_quantifier = true;
                // Ruby's `{,n}` is `{0,n}`.
                out.push_str(if rest.starts_with(',') { "{0" } else { "{" });
            } else {
                out.push_str("\\{");
            }
            i += 1;
            continue;
        }
        if c == b'}' {
            if open_quantifier {
                open_quantifier = false;
                out.push('}');
            } else {
                out.push_str("\\}");
            }
            i += 1;
            continue;
        }
        let n = pat[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&pat[i..i + n]);
        i += n;
    }
    out
}

#[cfg(test)]
mod braces {
    #[test]
    fn braces_that_are_not_repetitions_are_literal() {
        for (pat, want) in [
            ("^{.*}$", "^\\{.*\\}$"),
            ("a{2}", "a{2}"),
            ("a{2,}b{,3}c{1,5}", "a{2,}b{0,3}c{1,5}"),
            ("${BIG}", "$\\{BIG\\}"),
            ("\\{x\\}", "\\{x\\}"),
            ("é{", "é\\{"),
        ] {
            assert_eq!(super::literal_braces(pat), want, "{pat}");
            assert!(
                regex::Regex::new(&super::literal_braces(pat)).is_ok(),
                "{pat}"
            );
        }
        let re = regex::Regex::new(&super::literal_braces("^{.*}$")).unwrap();
        assert!(re.is_match("{\"a\":1}"));
    }
}
