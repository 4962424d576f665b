//! Logstash's condition language (★): `==`, `!=`, `<`, `>`, `<=`, `>=`, `=~ /re/`, `!~`,
//! `in`, `not in`, `and`, `or`, `xor`, `nand`, `!`, parentheses, and a bare `[field]`
//! that tests truthiness.
//!
//! Compiled once ([`Condition::parse`]) into a tree with regexes already built, then
//! evaluated per event without allocation in the common cases. Precedence, loosest
//! first: `or`, `xor`, `and`/`nand`, `!`.

mod eval;
mod lexer;
mod parser;

use sluice_event::{FieldPath, Value};

pub use parser::ConditionError;

/// A value position in a comparison.
#[derive(Clone, Debug)]
pub enum Operand {
    Field(FieldPath),
    Literal(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// A compiled condition tree.
#[derive(Clone, Debug)]
pub enum Expr {
    Truthy(Operand),
    Compare(Operand, CmpOp, Operand),
    Match(Operand, regex::Regex, bool),
    In(Operand, Operand, bool),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Xor(Box<Expr>, Box<Expr>),
    Nand(Box<Expr>, Box<Expr>),
}

/// A compiled condition with its source text.
#[derive(Clone, Debug)]
pub struct Condition {
    source: String,
    expr: Expr,
}

impl Condition {
    /// Compiles `src`; errors carry the column (1-based).
    pub fn parse(src: &str) -> Result<Self, ConditionError> {
        let expr = parser::parse(src)?;
        Ok(Condition {
            source: src.to_owned(),
            expr,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// True when the condition holds for `event`.
    pub fn matches(&self, event: &sluice_event::Event) -> bool {
        eval::eval(&self.expr, event)
    }
}

#[cfg(test)]
mod tests;
