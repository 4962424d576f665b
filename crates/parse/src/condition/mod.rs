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

pub use parser::{literal_braces, ConditionError};

/// A value position in a comparison.
#[derive(Clone, Debug)]
pub enum Operand {
    /// `[field]`.
    Field(FieldPath),
    /// A string, number, boolean or list.
    Literal(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A comparison operator.
pub enum CmpOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
}

/// A compiled condition tree.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A bare operand: true when it is truthy.
    Truthy(Operand),
    /// `a OP b`.
    Compare(Operand, CmpOp, Operand),
    /// `a =~ /re/` (`false`: `!~`).
    Match(Operand, regex::Regex, bool),
    /// `a in b` (`false`: `not in`).
    In(Operand, Operand, bool),
    /// `!e`.
    Not(Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a xor b`.
    Xor(Box<Expr>, Box<Expr>),
    /// `a nand b`.
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

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed expression.
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
