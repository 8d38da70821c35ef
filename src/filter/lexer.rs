//! Splits a filter string into words, quoted strings and parentheses, with the
//! character position of each.

use super::{FilterError, MAX_QUOTED_CHARS};
use crate::text::quote_excerpt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A maximal run of characters that are not whitespace, parentheses or
    /// quotes: an attribute name, operator, keyword or bare value.
    Word(String),
    /// A double-quoted string, already unescaped.
    Str(String),
    LParen,
    RParen,
    End,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    /// 0-based character offset of the token's first character.
    pub(super) pos: usize,
}

pub(super) fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(w) => quote_excerpt(w, MAX_QUOTED_CHARS),
        TokenKind::Str(s) => format!("the string {}", quote_excerpt(s, MAX_QUOTED_CHARS)),
        TokenKind::LParen => "\"(\"".to_string(),
        TokenKind::RParen => "\")\"".to_string(),
        TokenKind::End => "the end of the filter".to_string(),
    }
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().enumerate().peekable();
    let mut total = 0;
    while let Some((pos, c)) = chars.next() {
        total = pos + 1;
        if c.is_whitespace() {
            continue;
        }
        let kind = match c {
            // Connect answers a single-quoted value with a 400 (its 1.5.2 changelog). Inside a
            // double-quoted value an apostrophe is ordinary text (`"Bob's Server"`): clients
            // interpolate titles raw, so refusing it there would make such items unreachable.
            '\'' => {
                return Err(FilterError::new(format_args!(
                    "single quotes are not supported in filters; use double quotes (found a single quote at position {pos})"
                )));
            }
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '"' => {
                let mut value = String::new();
                let mut closed = false;
                while let Some((epos, e)) = chars.next() {
                    total = epos + 1;
                    match e {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((npos, n @ ('"' | '\\'))) => {
                                total = npos + 1;
                                value.push(n);
                            }
                            // Clients interpolate titles raw (`DOMAIN\admin`), so a backslash
                            // before any other character is taken literally.
                            Some((npos, n)) => {
                                total = npos + 1;
                                value.push('\\');
                                value.push(n);
                            }
                            None => break,
                        },
                        other => value.push(other),
                    }
                }
                if !closed {
                    return Err(FilterError::new(format_args!(
                        "unterminated string starting at position {pos}"
                    )));
                }
                TokenKind::Str(value)
            }
            first => {
                let mut word = String::from(first);
                while let Some(&(wpos, w)) = chars.peek() {
                    if w.is_whitespace() || matches!(w, '(' | ')' | '"' | '\'') {
                        break;
                    }
                    total = wpos + 1;
                    word.push(w);
                    chars.next();
                }
                TokenKind::Word(word)
            }
        };
        tokens.push(Token { kind, pos });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        pos: total,
    });
    Ok(tokens)
}
