//! Parser and evaluator for the SCIM-style `?filter=` expressions accepted by
//! the Connect list endpoints (`GET /v1/vaults` and `GET /v1/vaults/{v}/items`).
//!
//! Supported grammar (keywords and attribute names are case-insensitive):
//!
//! ```text
//! filter     := or_expr
//! or_expr    := and_expr ( "or" and_expr )*
//! and_expr   := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" or_expr ")" | attr "pr" | attr op string
//! op         := "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le"
//! attr       := [A-Za-z][A-Za-z0-9_.-]*
//! string     := '"' ( any char except '"' and '\' | '\"' | '\\' )* '"'
//! ```
//!
//! An apostrophe inside a string is an ordinary character (`title eq "Bob's Server"`); a single
//! quote anywhere else is an error, as Connect refuses single-quoted values.
//!
//! `not` binds tighter than `and`, which binds tighter than `or`; `and` and
//! `or` chains are left-associative. Whitespace is optional around
//! parentheses and string values and required between words.
//!
//! Every error message starts with `Invalid filter: ` and is meant to be shown
//! to API clients. Positions in messages are 0-based character (not byte)
//! offsets into the filter string.

use std::fmt;

mod attributes;
mod display;
mod eval;
mod lexer;
mod parser;

pub use parser::parse;

/// Maximum accepted filter length, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// Maximum nesting depth: the number of open parentheses plus `not`
/// operators enclosing any sub-expression.
pub const MAX_DEPTH: usize = 64;

/// Longest excerpt of user input quoted back in an error message.
const MAX_QUOTED_CHARS: usize = 40;

/// A comparison operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    /// The lowercase keyword for this operator (`"eq"`, `"ne"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }

    /// Parses an operator keyword, ignoring ASCII case. `pr` is not a
    /// comparison operator and returns `None`.
    pub fn from_keyword(word: &str) -> Option<Op> {
        let op = match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        };
        Some(op)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `attr op "value"`; `attr` is lowercased, `value` is the unescaped
    /// string exactly as given (not case-folded).
    Compare {
        attr: String,
        op: Op,
        value: String,
    },
    /// `attr pr`; `attr` is lowercased.
    Present {
        attr: String,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

/// A filter that could not be parsed or is not acceptable for an endpoint.
/// The message starts with `Invalid filter: ` and is suitable for a 400 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl FilterError {
    fn new(detail: impl fmt::Display) -> Self {
        FilterError(format!("Invalid filter: {detail}"))
    }

    /// The full message (including the `Invalid filter: ` prefix).
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

/// Full Unicode lowercase, used for every case-insensitive comparison. The
/// store must use the same folding for its blind index so that
/// [`Filter::as_single_eq`] lookups agree with [`Filter::matches`].
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests;
