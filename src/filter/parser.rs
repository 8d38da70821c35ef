//! Recursive-descent parser from tokens to a [`Filter`] tree, with the depth
//! limit and the error messages clients see.

use super::lexer::{describe, tokenize, Token, TokenKind};
use super::{Filter, FilterError, Op, MAX_DEPTH, MAX_FILTER_LEN, MAX_QUOTED_CHARS};
use crate::text::quote_excerpt;

const OPERATOR_LIST: &str = "eq, ne, co, sw, ew, pr, gt, ge, lt, le";

/// Parses a filter expression. Empty or whitespace-only input is an error
/// (callers treat a missing filter as "match everything" themselves).
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError::new(format_args!(
            "the filter is too long ({} bytes; the maximum is {MAX_FILTER_LEN})",
            input.len()
        )));
    }
    if input.trim().is_empty() {
        return Err(FilterError::new("the filter is empty"));
    }
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    let filter = parser.parse_or()?;
    let tok = parser.peek();
    match &tok.kind {
        TokenKind::End => Ok(filter),
        TokenKind::RParen => Err(FilterError::new(format_args!(
            "unbalanced parentheses: \")\" at position {} has no matching \"(\"",
            tok.pos
        ))),
        _ => Err(FilterError::new(format_args!(
            "unexpected {} at position {}; expected \"and\", \"or\" or the end of the filter",
            describe(&tok.kind),
            tok.pos
        ))),
    }
}

fn is_attribute_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

struct Parser {
    /// Always ends with a single `End` token.
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // `next` never moves past the final `End` token.
        &self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let tok = self.peek().clone();
        if self.next < self.tokens.len() - 1 {
            self.next += 1;
        }
        tok
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if is_keyword(w, keyword))
    }

    fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(format_args!(
                "the filter is nested too deeply at position {pos} (at most {MAX_DEPTH} levels of parentheses and \"not\" are allowed)"
            )));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.parse_and()?;
        while self.peek_keyword("or") {
            self.advance();
            let right = self.parse_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.parse_unary()?;
        while self.peek_keyword("and") {
            self.advance();
            let right = self.parse_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Filter, FilterError> {
        if self.peek_keyword("not") {
            let tok = self.advance();
            self.enter(tok.pos)?;
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<Filter, FilterError> {
        let tok = self.advance();
        match tok.kind {
            TokenKind::LParen => {
                self.enter(tok.pos)?;
                let inner = self.parse_or()?;
                let close = self.advance();
                match close.kind {
                    TokenKind::RParen => {}
                    TokenKind::End => {
                        return Err(FilterError::new(format_args!(
                            "unbalanced parentheses: \"(\" at position {} is never closed",
                            tok.pos
                        )));
                    }
                    other => {
                        return Err(FilterError::new(format_args!(
                            "unexpected {} at position {}; expected \"and\", \"or\" or \")\" to close the \"(\" at position {}",
                            describe(&other),
                            close.pos,
                            tok.pos
                        )));
                    }
                }
                self.depth -= 1;
                Ok(inner)
            }
            TokenKind::Word(word) if !is_keyword(&word, "and") && !is_keyword(&word, "or") => {
                if !is_attribute_name(&word) {
                    return Err(FilterError::new(format_args!(
                        "invalid attribute name {} at position {}; attribute names start with a letter and contain only letters, digits, \"_\", \".\" and \"-\"",
                        quote_excerpt(&word, MAX_QUOTED_CHARS),
                        tok.pos
                    )));
                }
                self.parse_attribute_expr(word.to_ascii_lowercase())
            }
            other => Err(FilterError::new(format_args!(
                "expected an attribute name, \"not\" or \"(\" at position {}, but found {}",
                tok.pos,
                describe(&other)
            ))),
        }
    }

    /// Parses what follows an attribute name: `pr` or `op "value"`.
    fn parse_attribute_expr(&mut self, attr: String) -> Result<Filter, FilterError> {
        let op_tok = self.advance();
        let op_word = match op_tok.kind {
            TokenKind::Word(w) => w,
            TokenKind::End => {
                return Err(FilterError::new(format_args!(
                    "expected an operator ({OPERATOR_LIST}) after {} at position {}, but the filter ends there",
                    quote_excerpt(&attr, MAX_QUOTED_CHARS),
                    op_tok.pos
                )));
            }
            other => {
                return Err(FilterError::new(format_args!(
                    "expected an operator ({OPERATOR_LIST}) after {} at position {}, but found {}",
                    quote_excerpt(&attr, MAX_QUOTED_CHARS),
                    op_tok.pos,
                    describe(&other)
                )));
            }
        };
        if is_keyword(&op_word, "pr") {
            let after = self.peek();
            if let TokenKind::Str(_) = after.kind {
                return Err(FilterError::new(format_args!(
                    "the \"pr\" operator takes no value, but a value was given at position {}",
                    after.pos
                )));
            }
            return Ok(Filter::Present { attr });
        }
        let Some(op) = Op::from_keyword(&op_word) else {
            return Err(FilterError::new(format_args!(
                "unknown operator {} after {} at position {}; expected one of {OPERATOR_LIST}",
                quote_excerpt(&op_word, MAX_QUOTED_CHARS),
                quote_excerpt(&attr, MAX_QUOTED_CHARS),
                op_tok.pos
            )));
        };
        let value_tok = self.advance();
        match value_tok.kind {
            TokenKind::Str(value) => Ok(Filter::Compare { attr, op, value }),
            TokenKind::End => Err(FilterError::new(format_args!(
                "expected a double-quoted value after \"{op}\" at position {}, but the filter ends there",
                value_tok.pos
            ))),
            TokenKind::Word(w) => Err(FilterError::new(format_args!(
                "expected a double-quoted value after \"{op}\" at position {}, but found the bare word {}; values must be enclosed in double quotes",
                value_tok.pos,
                quote_excerpt(&w, MAX_QUOTED_CHARS)
            ))),
            other => Err(FilterError::new(format_args!(
                "expected a double-quoted value after \"{op}\" at position {}, but found {}",
                value_tok.pos,
                describe(&other)
            ))),
        }
    }
}
