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
//! `not` binds tighter than `and`, which binds tighter than `or`; `and` and
//! `or` chains are left-associative. Whitespace is optional around
//! parentheses and string values and required between words.
//!
//! Every error message starts with `Invalid filter: ` and is meant to be shown
//! to API clients. Positions in messages are 0-based character (not byte)
//! offsets into the filter string.

use std::fmt;

/// Maximum accepted filter length, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// Maximum nesting depth: the number of open parentheses plus `not`
/// operators enclosing any sub-expression.
pub const MAX_DEPTH: usize = 64;

/// Longest excerpt of user input quoted back in an error message.
const MAX_QUOTED_CHARS: usize = 40;

const OPERATOR_LIST: &str = "eq, ne, co, sw, ew, pr, gt, ge, lt, le";

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

/// Parses a filter expression. Empty or whitespace-only input is an error
/// (callers treat a missing filter as "match everything" themselves).
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError::new(format_args!(
            "the filter is too long ({} bytes; the maximum is {MAX_FILTER_LEN})",
            input.len()
        )));
    }
    if let Some(pos) = input.chars().position(|c| c == '\'') {
        return Err(FilterError::new(format_args!(
            "single quotes are not supported in filters; use double quotes (found a single quote at position {pos})"
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

impl Filter {
    /// Checks that every attribute used is in `allowed` (lowercase names).
    /// `what` names the listed resource ("items", "vaults") for the message,
    /// e.g. `Invalid filter: unknown attribute "color"; items can be filtered
    /// by title or tag`. The first unknown attribute (left to right) is
    /// reported.
    pub fn check_attributes(&self, allowed: &[&str], what: &str) -> Result<(), FilterError> {
        match self {
            Filter::Compare { attr, .. } | Filter::Present { attr } => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(attr)) {
                    Ok(())
                } else {
                    Err(FilterError::new(format_args!(
                        "unknown attribute {}; {}",
                        quote(attr),
                        allowed_phrase(allowed, what)
                    )))
                }
            }
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.check_attributes(allowed, what)?;
                b.check_attributes(allowed, what)
            }
            Filter::Not(a) => a.check_attributes(allowed, what),
        }
    }

    /// Evaluates the filter against one candidate.
    ///
    /// `values(attr)` is called with a lowercase attribute name and returns
    /// every value of that attribute on the candidate (a title gives one
    /// value, tags zero or more, an unknown attribute none), e.g.
    ///
    /// ```ignore
    /// filter.matches(|attr| match attr {
    ///     "title" => vec![item.title.as_str()],
    ///     "tag" => item.tags.iter().map(String::as_str).collect(),
    ///     _ => Vec::new(),
    /// })
    /// ```
    ///
    /// Semantics: a comparison is true if ANY value satisfies it, except
    /// `ne`, which is exactly the negation of `eq` (true when no value is
    /// equal, including when there are no values). `pr` is true when at least
    /// one value is non-empty. All comparisons are made between the
    /// [`fold_case`]d value and the [`fold_case`]d filter string; `gt`, `ge`,
    /// `lt` and `le` compare them lexicographically (by Unicode code point).
    pub fn matches<'a, F>(&self, values: F) -> bool
    where
        F: Fn(&str) -> Vec<&'a str>,
    {
        self.eval(&values)
    }

    fn eval<'a, F>(&self, values: &F) -> bool
    where
        F: Fn(&str) -> Vec<&'a str>,
    {
        match self {
            Filter::Compare { attr, op, value } => {
                let wanted = fold_case(value);
                let candidates = values(attr);
                let any =
                    |pred: &dyn Fn(&str) -> bool| candidates.iter().any(|v| pred(&fold_case(v)));
                match op {
                    Op::Eq => any(&|v| v == wanted),
                    Op::Ne => !any(&|v| v == wanted),
                    Op::Co => any(&|v| v.contains(wanted.as_str())),
                    Op::Sw => any(&|v| v.starts_with(wanted.as_str())),
                    Op::Ew => any(&|v| v.ends_with(wanted.as_str())),
                    Op::Gt => any(&|v| v > wanted.as_str()),
                    Op::Ge => any(&|v| v >= wanted.as_str()),
                    Op::Lt => any(&|v| v < wanted.as_str()),
                    Op::Le => any(&|v| v <= wanted.as_str()),
                }
            }
            Filter::Present { attr } => values(attr).iter().any(|v| !v.is_empty()),
            Filter::And(a, b) => a.eval(values) && b.eval(values),
            Filter::Or(a, b) => a.eval(values) || b.eval(values),
            Filter::Not(a) => !a.eval(values),
        }
    }

    /// If the whole filter is a single `attr eq "value"` comparison (any
    /// redundant parentheses are already gone after parsing), returns
    /// `(attr, value)`. `attr` is lowercase; `value` is as written, so apply
    /// [`fold_case`] before an index lookup.
    pub fn as_single_eq(&self) -> Option<(&str, &str)> {
        match self {
            Filter::Compare {
                attr,
                op: Op::Eq,
                value,
            } => Some((attr.as_str(), value.as_str())),
            _ => None,
        }
    }

    /// If the filter is a single `eq` comparison or an `or`-tree made only of
    /// `eq` comparisons, returns them left to right as `(attr, value)` pairs
    /// (values as written; apply [`fold_case`] for index lookups). The filter
    /// then matches exactly the candidates that match at least one pair.
    pub fn eq_alternatives(&self) -> Option<Vec<(&str, &str)>> {
        let mut out = Vec::new();
        if self.collect_eq_alternatives(&mut out) {
            Some(out)
        } else {
            None
        }
    }

    fn collect_eq_alternatives<'s>(&'s self, out: &mut Vec<(&'s str, &'s str)>) -> bool {
        match self {
            Filter::Or(a, b) => a.collect_eq_alternatives(out) && b.collect_eq_alternatives(out),
            other => match other.as_single_eq() {
                Some(pair) => {
                    out.push(pair);
                    true
                }
                None => false,
            },
        }
    }
}

/// Renders a canonical filter string that [`parse`] turns back into an equal
/// `Filter` (for filters produced by `parse`). Useful for logging.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn child(f: &mut fmt::Formatter<'_>, node: &Filter, paren: bool) -> fmt::Result {
            if paren {
                write!(f, "({node})")
            } else {
                write!(f, "{node}")
            }
        }
        match self {
            Filter::Compare { attr, op, value } => {
                write!(f, "{attr} {op} \"")?;
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
            Filter::Present { attr } => write!(f, "{attr} pr"),
            Filter::Or(a, b) => {
                child(f, a, false)?;
                f.write_str(" or ")?;
                child(f, b, matches!(**b, Filter::Or(..)))
            }
            Filter::And(a, b) => {
                child(f, a, matches!(**a, Filter::Or(..)))?;
                f.write_str(" and ")?;
                child(f, b, matches!(**b, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Not(a) => {
                f.write_str("not ")?;
                child(f, a, matches!(**a, Filter::Or(..) | Filter::And(..)))
            }
        }
    }
}

/// "items can be filtered by title or tag"
fn allowed_phrase(allowed: &[&str], what: &str) -> String {
    match allowed {
        [] => format!("{what} cannot be filtered"),
        [only] => format!("{what} can only be filtered by {only}"),
        [init @ .., last] => format!("{what} can be filtered by {} or {last}", init.join(", ")),
    }
}

/// Quotes user-supplied text for an error message, escaping control
/// characters and quotes and truncating long excerpts.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_QUOTED_CHARS) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out.push('"');
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenKind {
    /// A maximal run of characters that are not whitespace, parentheses or
    /// double quotes: an attribute name, operator, keyword or bare value.
    Word(String),
    /// A double-quoted string, already unescaped.
    Str(String),
    LParen,
    RParen,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    /// 0-based character offset of the token's first character.
    pos: usize,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(w) => quote(w),
        TokenKind::Str(s) => format!("the string {}", quote(s)),
        TokenKind::LParen => "\"(\"".to_string(),
        TokenKind::RParen => "\")\"".to_string(),
        TokenKind::End => "the end of the filter".to_string(),
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().enumerate().peekable();
    let mut total = 0;
    while let Some((pos, c)) = chars.next() {
        total = pos + 1;
        if c.is_whitespace() {
            continue;
        }
        let kind = match c {
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
                    if w.is_whitespace() || matches!(w, '(' | ')' | '"') {
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
                        quote(&word),
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
                    quote(&attr),
                    op_tok.pos
                )));
            }
            other => {
                return Err(FilterError::new(format_args!(
                    "expected an operator ({OPERATOR_LIST}) after {} at position {}, but found {}",
                    quote(&attr),
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
                quote(&op_word),
                quote(&attr),
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
                quote(&w)
            ))),
            other => Err(FilterError::new(format_args!(
                "expected a double-quoted value after \"{op}\" at position {}, but found {}",
                value_tok.pos,
                describe(&other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(attr: &str, op: Op, value: &str) -> Filter {
        Filter::Compare {
            attr: attr.to_string(),
            op,
            value: value.to_string(),
        }
    }

    fn pr(attr: &str) -> Filter {
        Filter::Present {
            attr: attr.to_string(),
        }
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    fn ok(input: &str) -> Filter {
        match parse(input) {
            Ok(f) => f,
            Err(e) => panic!("expected {input:?} to parse, got {e}"),
        }
    }

    fn err(input: &str) -> String {
        match parse(input) {
            Ok(f) => panic!("expected {input:?} to fail, got {f:?}"),
            Err(e) => {
                assert!(e.0.starts_with("Invalid filter: "), "bad prefix: {e}");
                e.0
            }
        }
    }

    fn assert_err_contains(input: &str, parts: &[&str]) {
        let msg = err(input);
        for part in parts {
            assert!(
                msg.contains(part),
                "error for {input:?} should contain {part:?}, got: {msg}"
            );
        }
    }

    /// Parses `filter` and matches it against an item with `title` and `tags`.
    fn item_matches(filter: &str, title: &str, tags: &[&str]) -> bool {
        ok(filter).matches(|attr| match attr {
            "title" => vec![title],
            "tag" => tags.to_vec(),
            _ => Vec::new(),
        })
    }

    // ---- parsing: valid input ----

    #[test]
    fn parses_every_comparison_operator() {
        let ops = [
            ("eq", Op::Eq),
            ("ne", Op::Ne),
            ("co", Op::Co),
            ("sw", Op::Sw),
            ("ew", Op::Ew),
            ("gt", Op::Gt),
            ("ge", Op::Ge),
            ("lt", Op::Lt),
            ("le", Op::Le),
        ];
        for (word, op) in ops {
            let input = format!("title {word} \"Example Item\"");
            assert_eq!(ok(&input), cmp("title", op.clone(), "Example Item"));
            assert_eq!(op.as_str(), word);
            assert_eq!(Op::from_keyword(&word.to_uppercase()), Some(op));
        }
        assert_eq!(Op::from_keyword("pr"), None);
    }

    #[test]
    fn parses_connect_examples() {
        assert_eq!(ok(r#"name eq "Demo""#), cmp("name", Op::Eq, "Demo"));
        assert_eq!(
            ok(r#"title eq "Example Item""#),
            cmp("title", Op::Eq, "Example Item")
        );
        assert_eq!(ok(r#"tag eq "banking""#), cmp("tag", Op::Eq, "banking"));
    }

    #[test]
    fn parses_presence() {
        assert_eq!(ok("title pr"), pr("title"));
        assert_eq!(ok("  tag   PR  "), pr("tag"));
        assert_eq!(ok("(tag pr)"), pr("tag"));
    }

    #[test]
    fn empty_string_value_is_allowed() {
        assert_eq!(ok(r#"title eq """#), cmp("title", Op::Eq, ""));
    }

    #[test]
    fn attribute_names_are_lowercased_and_may_use_punctuation() {
        assert_eq!(ok(r#"TiTlE eq "X""#), cmp("title", Op::Eq, "X"));
        assert_eq!(
            ok(r#"Meta.Created_At-2 eq "x""#),
            cmp("meta.created_at-2", Op::Eq, "x")
        );
        assert_eq!(ok("a pr"), pr("a"));
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(
            ok(r#"TITLE EQ "X" AND Tag Pr OR NOT name Sw "y""#),
            or(
                and(cmp("title", Op::Eq, "X"), pr("tag")),
                not(cmp("name", Op::Sw, "y"))
            )
        );
        assert_eq!(
            ok(r#"title eQ "a" oR tag Ne "b" AnD tag gE "c""#),
            or(
                cmp("title", Op::Eq, "a"),
                and(cmp("tag", Op::Ne, "b"), cmp("tag", Op::Ge, "c"))
            )
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            ok("a pr or b pr and c pr"),
            or(pr("a"), and(pr("b"), pr("c")))
        );
        assert_eq!(
            ok("a pr and b pr or c pr"),
            or(and(pr("a"), pr("b")), pr("c"))
        );
        assert_eq!(
            ok("a pr and b pr or c pr and d pr"),
            or(and(pr("a"), pr("b")), and(pr("c"), pr("d")))
        );
    }

    #[test]
    fn chains_are_left_associative() {
        assert_eq!(
            ok("a pr or b pr or c pr"),
            or(or(pr("a"), pr("b")), pr("c"))
        );
        assert_eq!(
            ok("a pr and b pr and c pr"),
            and(and(pr("a"), pr("b")), pr("c"))
        );
    }

    #[test]
    fn parentheses_group_and_may_omit_whitespace() {
        assert_eq!(
            ok("(a pr or b pr) and c pr"),
            and(or(pr("a"), pr("b")), pr("c"))
        );
        assert_eq!(
            ok("a pr and (b pr or c pr)"),
            and(pr("a"), or(pr("b"), pr("c")))
        );
        assert_eq!(
            ok(r#"(title eq "x")and(tag eq "y")"#),
            and(cmp("title", Op::Eq, "x"), cmp("tag", Op::Eq, "y"))
        );
        assert_eq!(ok(r#"((((title eq "x"))))"#), cmp("title", Op::Eq, "x"));
        assert_eq!(
            ok(r#"( ( a pr ) or ( ( b pr ) and ( c eq "1" ) ) )"#),
            or(pr("a"), and(pr("b"), cmp("c", Op::Eq, "1")))
        );
    }

    #[test]
    fn whitespace_is_flexible() {
        assert_eq!(ok("\t title\n\neq\r\n\"x\"  "), cmp("title", Op::Eq, "x"));
        // Whitespace is not needed around string values either.
        assert_eq!(ok(r#"title eq"x""#), cmp("title", Op::Eq, "x"));
        assert_eq!(
            ok(r#"title eq "x"or tag eq "y""#),
            or(cmp("title", Op::Eq, "x"), cmp("tag", Op::Eq, "y"))
        );
        // Unicode whitespace counts as whitespace.
        assert_eq!(ok("title\u{3000}pr"), pr("title"));
    }

    #[test]
    fn not_forms() {
        assert_eq!(ok(r#"not title eq "x""#), not(cmp("title", Op::Eq, "x")));
        assert_eq!(ok("not (a pr or b pr)"), not(or(pr("a"), pr("b"))));
        assert_eq!(ok("not(a pr)"), not(pr("a")));
        assert_eq!(ok("NOT not a pr"), not(not(pr("a"))));
        // not binds tighter than and/or.
        assert_eq!(ok("not a pr and b pr"), and(not(pr("a")), pr("b")));
        assert_eq!(ok("a pr or not b pr"), or(pr("a"), not(pr("b"))));
        assert_eq!(
            ok("not (not (a pr) and not b pr)"),
            not(and(not(pr("a")), not(pr("b"))))
        );
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            ok(r#"title eq "say \"hi\"""#),
            cmp("title", Op::Eq, "say \"hi\"")
        );
        assert_eq!(
            ok(r#"title eq "back\\slash""#),
            cmp("title", Op::Eq, "back\\slash")
        );
        assert_eq!(ok(r#"title eq "\\\"""#), cmp("title", Op::Eq, "\\\""));
        assert_eq!(ok(r#"title eq "\\""#), cmp("title", Op::Eq, "\\"));
        // Keywords and parentheses inside strings are just text.
        assert_eq!(
            ok(r#"title eq "(a) and not b or""#),
            cmp("title", Op::Eq, "(a) and not b or")
        );
    }

    #[test]
    fn unicode_values() {
        assert_eq!(
            ok("title eq \"Ünïcødé 🔑 日本語\""),
            cmp("title", Op::Eq, "Ünïcødé 🔑 日本語")
        );
        assert_eq!(
            ok("title co \"\u{0}\u{7f}\u{200b}\""),
            cmp("title", Op::Co, "\u{0}\u{7f}\u{200b}")
        );
    }

    // ---- parsing: errors ----

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(err(""), "Invalid filter: the filter is empty");
        assert_eq!(err("  \t\n "), "Invalid filter: the filter is empty");
    }

    #[test]
    fn missing_operator() {
        assert_eq!(
            err(r#"title "x""#),
            r#"Invalid filter: expected an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le) after "title" at position 6, but found the string "x""#
        );
        assert_eq!(
            err("title"),
            r#"Invalid filter: expected an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le) after "title" at position 5, but the filter ends there"#
        );
        assert_err_contains(
            "(title)",
            &[
                "expected an operator",
                "after \"title\"",
                "position 6",
                "\")\"",
            ],
        );
    }

    #[test]
    fn unknown_operator() {
        assert_eq!(
            err(r#"title is "x""#),
            r#"Invalid filter: unknown operator "is" after "title" at position 6; expected one of eq, ne, co, sw, ew, pr, gt, ge, lt, le"#
        );
        assert_err_contains(
            r#"title == "x""#,
            &["unknown operator \"==\"", "position 6"],
        );
        assert_err_contains(r#"title eqq "x""#, &["unknown operator \"eqq\""]);
    }

    #[test]
    fn missing_value() {
        assert_eq!(
            err("title eq"),
            r#"Invalid filter: expected a double-quoted value after "eq" at position 8, but the filter ends there"#
        );
        assert_err_contains(
            "title EQ   ",
            &["double-quoted value", "\"eq\"", "position 11"],
        );
        assert_err_contains(
            "(title eq) or a pr",
            &["double-quoted value", "position 9", "found \")\""],
        );
        assert_err_contains(
            r#"title eq ("x")"#,
            &["double-quoted value", "position 9", "found \"(\""],
        );
    }

    #[test]
    fn bare_word_values_are_rejected() {
        assert_eq!(
            err("title eq foo"),
            r#"Invalid filter: expected a double-quoted value after "eq" at position 9, but found the bare word "foo"; values must be enclosed in double quotes"#
        );
        assert_err_contains("tag eq 42", &["bare word \"42\"", "position 7"]);
        assert_err_contains("tag eq true", &["bare word \"true\""]);
    }

    #[test]
    fn unterminated_strings() {
        assert_eq!(
            err(r#"title eq "abc"#),
            "Invalid filter: unterminated string starting at position 9"
        );
        assert_eq!(
            err(r#"title eq "abc\"#),
            "Invalid filter: unterminated string starting at position 9"
        );
        assert_eq!(
            err(r#"title eq "abc\""#),
            "Invalid filter: unterminated string starting at position 9"
        );
        assert_eq!(
            err(r#"title eq "a" or tag eq "b"#),
            "Invalid filter: unterminated string starting at position 23"
        );
        assert_eq!(
            err("\""),
            "Invalid filter: unterminated string starting at position 0"
        );
    }

    #[test]
    fn other_backslashes_are_literal() {
        let f = parse(r#"title eq "DOMAIN\admin""#).unwrap();
        assert_eq!(f.as_single_eq(), Some(("title", r"DOMAIN\admin")));
        let f = parse(r#"title eq "a\nb""#).unwrap();
        assert_eq!(f.as_single_eq(), Some(("title", r"a\nb")));
        let f = parse("title eq \"\\é\"").unwrap();
        assert_eq!(f.as_single_eq(), Some(("title", "\\é")));
        assert!(parse(r#"title eq "trailing\"#).is_err());
    }

    #[test]
    fn value_on_pr_is_rejected() {
        assert_eq!(
            err(r#"title pr "x""#),
            "Invalid filter: the \"pr\" operator takes no value, but a value was given at position 9"
        );
        assert_err_contains("title pr foo", &["unexpected \"foo\"", "position 9"]);
    }

    #[test]
    fn trailing_garbage() {
        assert_eq!(
            err(r#"title eq "x" foo"#),
            r#"Invalid filter: unexpected "foo" at position 13; expected "and", "or" or the end of the filter"#
        );
        assert_err_contains(
            r#"title eq "x" "y""#,
            &["unexpected the string \"y\"", "position 13"],
        );
        assert_err_contains(
            r#"title eq "x" (a pr)"#,
            &["unexpected \"(\"", "position 13"],
        );
        assert_err_contains(
            r#"title eq "x" not a pr"#,
            &["unexpected \"not\"", "position 13"],
        );
    }

    #[test]
    fn dangling_and_misplaced_logical_operators() {
        assert_eq!(
            err(r#"title eq "x" and"#),
            r#"Invalid filter: expected an attribute name, "not" or "(" at position 16, but found the end of the filter"#
        );
        assert_err_contains(
            "and title pr",
            &["expected an attribute name", "position 0", "\"and\""],
        );
        assert_err_contains(
            "or",
            &["expected an attribute name", "position 0", "\"or\""],
        );
        assert_err_contains("a pr or or b pr", &["position 8", "found \"or\""]);
        assert_err_contains(
            "not",
            &[
                "expected an attribute name",
                "position 3",
                "end of the filter",
            ],
        );
        assert_err_contains("a pr and not", &["position 12", "end of the filter"]);
    }

    #[test]
    fn unbalanced_parentheses() {
        assert_eq!(
            err(r#"(title eq "x""#),
            "Invalid filter: unbalanced parentheses: \"(\" at position 0 is never closed"
        );
        assert_eq!(
            err(r#"title eq "x")"#),
            "Invalid filter: unbalanced parentheses: \")\" at position 12 has no matching \"(\""
        );
        assert_err_contains("((title pr)", &["\"(\" at position 0 is never closed"]);
        assert_err_contains(
            "(a pr and (title pr)",
            &["\"(\" at position 0 is never closed"],
        );
        assert_err_contains("(title pr))", &["\")\" at position 10 has no matching"]);
        assert_err_contains(")", &["expected an attribute name", "position 0", "\")\""]);
        assert_err_contains(
            "()",
            &["expected an attribute name", "position 1", "found \")\""],
        );
        assert_err_contains("(", &["position 1", "end of the filter"]);
        assert_err_contains(
            "(a pr b pr)",
            &[
                "unexpected \"b\" at position 6",
                "to close the \"(\" at position 0",
            ],
        );
    }

    #[test]
    fn invalid_attribute_names() {
        assert_eq!(
            err(r#"1abc eq "x""#),
            r#"Invalid filter: invalid attribute name "1abc" at position 0; attribute names start with a letter and contain only letters, digits, "_", "." and "-""#
        );
        assert_err_contains(
            r#"a pr or ti$tle eq "x""#,
            &["invalid attribute name \"ti$tle\"", "position 8"],
        );
        assert_err_contains(r#"tïtle eq "x""#, &["invalid attribute name \"tïtle\""]);
        assert_err_contains(r#"_x eq "x""#, &["invalid attribute name \"_x\""]);
        assert_err_contains(r#"title[eq] "x""#, &["invalid attribute name"]);
    }

    #[test]
    fn single_quotes_are_rejected() {
        assert_eq!(
            err("title eq 'x'"),
            "Invalid filter: single quotes are not supported in filters; use double quotes (found a single quote at position 9)"
        );
        // Even inside a double-quoted value (Connect >= 1.5.2 behaviour).
        assert_err_contains(
            r#"title eq "it's""#,
            &["single quotes are not supported", "position 12"],
        );
        assert_err_contains("'", &["single quotes", "position 0"]);
        // Reported even when the filter has other problems.
        assert_err_contains("(((title 'x", &["single quotes", "position 9"]);
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        // "é" and "🔑" are multi-byte, but count as one position each.
        assert_err_contains(
            r#"title eq "é🔑" foo"#,
            &["unexpected \"foo\" at position 14"],
        );
        assert_err_contains("title eq \"日本\" 'x'", &["single quote at position 14"]);
    }

    #[test]
    fn long_quoted_excerpts_are_truncated() {
        let word = "x".repeat(500);
        let msg = err(&format!("title eq {word}"));
        assert!(msg.contains(&format!("\"{}…\"", "x".repeat(MAX_QUOTED_CHARS))));
        assert!(msg.len() < 300, "{msg}");
        // Control characters are escaped in messages.
        let msg = err("title eq \u{1b}[31m");
        assert!(msg.contains("\\u{1b}[31m"), "{msg}");
        assert!(!msg.contains('\u{1b}'));
    }

    #[test]
    fn length_limit() {
        let prefix = "title eq \"";
        let fill = MAX_FILTER_LEN - prefix.len() - 1;
        let at_limit = format!("{prefix}{}\"", "a".repeat(fill));
        assert_eq!(at_limit.len(), MAX_FILTER_LEN);
        assert_eq!(ok(&at_limit), cmp("title", Op::Eq, &"a".repeat(fill)));

        let over = format!("{prefix}{}\"", "a".repeat(fill + 1));
        assert_eq!(
            err(&over),
            "Invalid filter: the filter is too long (4097 bytes; the maximum is 4096)"
        );
        // The limit is in bytes, so multi-byte characters count for more.
        let multibyte = format!("{prefix}{}\"", "é".repeat(fill / 2 + 1));
        assert_err_contains(&multibyte, &["too long"]);
        // Huge inputs are rejected quickly without inspecting them.
        assert_err_contains(&"(".repeat(1_000_000), &["too long"]);
    }

    #[test]
    fn depth_limit_for_parentheses() {
        let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ok(&nested(MAX_DEPTH)), pr("a"));
        assert_eq!(
            err(&nested(MAX_DEPTH + 1)),
            "Invalid filter: the filter is nested too deeply at position 64 (at most 64 levels of parentheses and \"not\" are allowed)"
        );
        // Deep but unbalanced or garbage inputs still fail cleanly.
        assert_err_contains(&"(".repeat(4000), &["nested too deeply"]);
        assert_err_contains(&")".repeat(4000), &["expected an attribute name"]);
    }

    #[test]
    fn depth_limit_for_not_and_mixed() {
        let nots = |n: usize| format!("{}a pr", "not ".repeat(n));
        let mut expected = pr("a");
        for _ in 0..MAX_DEPTH {
            expected = not(expected);
        }
        assert_eq!(ok(&nots(MAX_DEPTH)), expected);
        assert_err_contains(&nots(MAX_DEPTH + 1), &["nested too deeply", "position 256"]);
        assert_err_contains(&"not ".repeat(1000), &["nested too deeply"]);

        let mixed = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(parse(&mixed(MAX_DEPTH / 2)).is_ok());
        assert_err_contains(&mixed(MAX_DEPTH / 2 + 1), &["nested too deeply"]);

        // Sequential (non-nested) groups do not accumulate depth.
        let wide = vec!["(a pr)"; 200].join(" or ");
        assert!(parse(&wide).is_ok());
    }

    #[test]
    fn long_flat_chains_are_fine() {
        // The longest chains that fit in the length limit build deep
        // left-leaning trees; evaluating, rendering and dropping them must
        // not overflow the stack.
        let input = vec!["a pr"; 512].join(" or ");
        assert!(input.len() <= MAX_FILTER_LEN);
        let f = ok(&input);
        assert!(f.matches(|_| vec!["x"]));
        assert!(!f.matches(|_| vec![""]));
        assert_eq!(ok(&f.to_string()), f);

        let input = vec!["(title eq \"x\")"; 200].join(" and ");
        assert!(input.len() <= MAX_FILTER_LEN);
        let f = ok(&input);
        assert!(f.matches(|_| vec!["X"]));
        assert!(!f.matches(|_| vec!["y"]));
    }

    // ---- check_attributes ----

    #[test]
    fn check_attributes_accepts_known_attributes() {
        let f = ok(r#"Title eq "x" or not (tag co "y" and TAG pr)"#);
        assert_eq!(f.check_attributes(&["title", "tag"], "items"), Ok(()));
        let v = ok(r#"name eq "Demo""#);
        assert_eq!(v.check_attributes(&["name", "title"], "vaults"), Ok(()));
    }

    #[test]
    fn check_attributes_reports_first_unknown_attribute() {
        let f = ok(r#"title eq "x" and (color eq "red" or size pr)"#);
        assert_eq!(
            f.check_attributes(&["title", "tag"], "items")
                .unwrap_err()
                .0,
            r#"Invalid filter: unknown attribute "color"; items can be filtered by title or tag"#
        );
        let f = ok("not Tags pr");
        assert_eq!(
            f.check_attributes(&["name", "title"], "vaults")
                .unwrap_err()
                .0,
            r#"Invalid filter: unknown attribute "tags"; vaults can be filtered by name or title"#
        );
        let f = ok("x pr");
        assert_eq!(
            f.check_attributes(&["a", "b", "c"], "things")
                .unwrap_err()
                .to_string(),
            r#"Invalid filter: unknown attribute "x"; things can be filtered by a, b or c"#
        );
        assert_eq!(
            f.check_attributes(&["name"], "vaults").unwrap_err().0,
            r#"Invalid filter: unknown attribute "x"; vaults can only be filtered by name"#
        );
        assert_eq!(
            f.check_attributes(&[], "vaults").unwrap_err().0,
            r#"Invalid filter: unknown attribute "x"; vaults cannot be filtered"#
        );
    }

    // ---- matches ----

    #[test]
    fn eq_and_ne_are_case_insensitive() {
        assert!(item_matches(
            r#"title eq "example item""#,
            "Example Item",
            &[]
        ));
        assert!(item_matches(
            r#"TITLE EQ "EXAMPLE ITEM""#,
            "example item",
            &[]
        ));
        assert!(!item_matches(r#"title eq "Example""#, "Example Item", &[]));
        assert!(!item_matches(
            r#"title ne "EXAMPLE item""#,
            "Example Item",
            &[]
        ));
        assert!(item_matches(r#"title ne "Example""#, "Example Item", &[]));
    }

    #[test]
    fn substring_operators() {
        let t = "Example Item";
        assert!(item_matches(r#"title co "PLE IT""#, t, &[]));
        assert!(!item_matches(r#"title co "items""#, t, &[]));
        assert!(item_matches(r#"title sw "exa""#, t, &[]));
        assert!(!item_matches(r#"title sw "item""#, t, &[]));
        assert!(item_matches(r#"title ew "ITEM""#, t, &[]));
        assert!(!item_matches(r#"title ew "exa""#, t, &[]));
        // The empty string is contained in / a prefix of every value.
        assert!(item_matches(r#"title co """#, t, &[]));
        assert!(item_matches(r#"title sw """#, t, &[]));
    }

    #[test]
    fn ordering_operators_compare_folded_strings() {
        assert!(item_matches(r#"title gt "apple""#, "Banana", &[]));
        assert!(!item_matches(r#"title gt "banana""#, "Banana", &[]));
        assert!(item_matches(r#"title ge "BANANA""#, "banana", &[]));
        assert!(item_matches(r#"title lt "cherry""#, "Banana", &[]));
        assert!(!item_matches(r#"title lt "BANANA""#, "banana", &[]));
        assert!(item_matches(r#"title le "banana""#, "BANANA", &[]));
        assert!(!item_matches(r#"title le "apple""#, "banana", &[]));
        // Lexicographic, not numeric.
        assert!(item_matches(r#"title gt "10""#, "9", &[]));
        // Case folding happens before comparing: "B" < "a" by code point,
        // but "b" > "a".
        assert!(item_matches(r#"title gt "a""#, "B", &[]));
    }

    #[test]
    fn multi_valued_attributes_match_any_value() {
        let tags = ["Banking", "personal"];
        assert!(item_matches(r#"tag eq "banking""#, "x", &tags));
        assert!(item_matches(r#"tag eq "PERSONAL""#, "x", &tags));
        assert!(!item_matches(r#"tag eq "work""#, "x", &tags));
        assert!(item_matches(r#"tag sw "pers""#, "x", &tags));
        assert!(item_matches(r#"tag gt "c""#, "x", &tags));
        assert!(!item_matches(r#"tag gt "q""#, "x", &tags));
        // ne is the negation of eq: false as soon as any tag is equal.
        assert!(!item_matches(r#"tag ne "banking""#, "x", &tags));
        assert!(item_matches(r#"tag ne "work""#, "x", &tags));
        assert!(item_matches(
            r#"tag eq "banking" and tag eq "personal""#,
            "x",
            &tags
        ));
    }

    #[test]
    fn attributes_without_values() {
        assert!(!item_matches(r#"tag eq "banking""#, "x", &[]));
        assert!(item_matches(r#"tag ne "banking""#, "x", &[]));
        assert!(!item_matches(r#"tag co """#, "x", &[]));
        assert!(!item_matches("tag pr", "x", &[]));
        assert!(item_matches("not tag pr", "x", &[]));
        // Unknown attributes have no values.
        assert!(!item_matches(r#"color eq "red""#, "red", &["red"]));
    }

    #[test]
    fn presence_requires_a_non_empty_value() {
        assert!(item_matches("title pr", "Example", &[]));
        assert!(!item_matches("title pr", "", &[]));
        assert!(item_matches("tag pr", "", &["", "x"]));
        assert!(!item_matches("tag pr", "", &["", ""]));
    }

    #[test]
    fn logical_operators_evaluate() {
        let (t, tags) = ("Bank Login", &["banking", "work"][..]);
        assert!(item_matches(
            r#"title sw "bank" and tag eq "work""#,
            t,
            tags
        ));
        assert!(!item_matches(
            r#"title sw "bank" and tag eq "home""#,
            t,
            tags
        ));
        assert!(item_matches(r#"title sw "x" or tag eq "work""#, t, tags));
        assert!(!item_matches(r#"title sw "x" or tag eq "home""#, t, tags));
        assert!(item_matches(r#"not tag eq "home""#, t, tags));
        assert!(!item_matches(
            r#"not (title co "login" or tag eq "home")"#,
            t,
            tags
        ));
        // Precedence matters for the result: true or (false and false).
        assert!(item_matches(
            r#"title pr or tag eq "home" and tag eq "nope""#,
            t,
            tags
        ));
        assert!(!item_matches(
            r#"(title pr or tag eq "home") and tag eq "nope""#,
            t,
            tags
        ));
    }

    #[test]
    fn matching_values_with_escapes_and_unicode() {
        assert!(item_matches(r#"title eq "say \"HI\"""#, "Say \"hi\"", &[]));
        assert!(item_matches(r#"title ew "\\tmp""#, "C:\\TMP", &[]));
        assert!(item_matches(
            "title eq \"ÅNGSTRÖM Ωμέγα\"",
            "ångström ωΜΈΓΑ",
            &[]
        ));
        assert!(item_matches("title co \"🔑\"", "my 🔑 key", &[]));
        assert!(item_matches("title sw \"日本\"", "日本語", &[]));
        assert!(!item_matches("title eq \"é\"", "e", &[]));
    }

    #[test]
    fn fold_case_is_full_unicode_lowercase() {
        assert_eq!(fold_case("Example ITEM"), "example item");
        assert_eq!(fold_case("ÀÉÎÕÜ"), "àéîõü");
        assert_eq!(fold_case("ΑΒΓ"), "αβγ");
        // Full (not per-char simple) mapping: İ lowercases to "i̇" (2 chars).
        assert_eq!(fold_case("İ"), "i\u{307}");
        assert_eq!(fold_case("日本🔑"), "日本🔑");
    }

    #[test]
    fn matches_accepts_owned_data_through_a_closure() {
        struct Item {
            title: String,
            tags: Vec<String>,
        }
        let items = [
            Item {
                title: "Demo".into(),
                tags: vec!["a".into()],
            },
            Item {
                title: "Other".into(),
                tags: vec![],
            },
        ];
        let f = ok(r#"title eq "demo" or tag eq "b""#);
        let hits: Vec<&str> = items
            .iter()
            .filter(|item| {
                f.matches(|attr| match attr {
                    "title" => vec![item.title.as_str()],
                    "tag" => item.tags.iter().map(String::as_str).collect(),
                    _ => Vec::new(),
                })
            })
            .map(|item| item.title.as_str())
            .collect();
        assert_eq!(hits, ["Demo"]);
    }

    // ---- index helpers ----

    #[test]
    fn as_single_eq() {
        assert_eq!(
            ok(r#"title eq "Demo""#).as_single_eq(),
            Some(("title", "Demo"))
        );
        assert_eq!(
            ok(r#" (( NAME EQ "My \"Vault\"" )) "#).as_single_eq(),
            Some(("name", "My \"Vault\""))
        );
        assert_eq!(ok(r#"title ne "x""#).as_single_eq(), None);
        assert_eq!(ok(r#"title co "x""#).as_single_eq(), None);
        assert_eq!(ok("title pr").as_single_eq(), None);
        assert_eq!(ok(r#"not title eq "x""#).as_single_eq(), None);
        assert_eq!(ok(r#"title eq "x" or tag eq "y""#).as_single_eq(), None);
        assert_eq!(ok(r#"title eq "x" and tag eq "y""#).as_single_eq(), None);
    }

    #[test]
    fn eq_alternatives() {
        assert_eq!(
            ok(r#"title eq "a""#).eq_alternatives(),
            Some(vec![("title", "a")])
        );
        assert_eq!(
            ok(r#"title eq "a" or (tag eq "b" or (TAG EQ "c"))"#).eq_alternatives(),
            Some(vec![("title", "a"), ("tag", "b"), ("tag", "c")])
        );
        assert_eq!(ok(r#"title eq "a" or tag ne "b""#).eq_alternatives(), None);
        assert_eq!(ok(r#"title eq "a" or tag pr"#).eq_alternatives(), None);
        assert_eq!(ok(r#"title eq "a" and tag eq "b""#).eq_alternatives(), None);
        assert_eq!(
            ok(r#"title eq "a" or (tag eq "b" and tag eq "c")"#).eq_alternatives(),
            None
        );
        assert_eq!(
            ok(r#"not (title eq "a" or tag eq "b")"#).eq_alternatives(),
            None
        );
    }

    // ---- Display / error type ----

    #[test]
    fn display_renders_canonical_reparsable_form() {
        let cases = [
            (r#"TITLE  EQ "x""#, r#"title eq "x""#),
            (
                r#"title eq "say \"hi\" \\o/""#,
                r#"title eq "say \"hi\" \\o/""#,
            ),
            ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
            ("(a pr or b pr) or c pr", "a pr or b pr or c pr"),
            ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
            ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
            ("a pr and b pr or c pr", "a pr and b pr or c pr"),
            ("not (a pr and b pr)", "not (a pr and b pr)"),
            ("not not a pr", "not not a pr"),
            ("not(a pr)", "not a pr"),
        ];
        for (input, expected) in cases {
            let f = ok(input);
            assert_eq!(f.to_string(), expected, "rendering {input:?}");
            assert_eq!(ok(&f.to_string()), f, "reparsing {input:?}");
        }
    }

    #[test]
    fn filter_error_is_a_std_error() {
        let e = parse("title").unwrap_err();
        assert_eq!(e.to_string(), e.0);
        assert_eq!(e.message(), e.0);
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), e.0);
    }

    // ---- robustness ----

    /// Small deterministic xorshift generator for the fuzz loops.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    /// Parses `input` (must never panic) and checks the invariants that hold
    /// for every outcome. Returns whether it parsed.
    fn check_invariants(input: &str) -> bool {
        match parse(input) {
            Ok(f) => {
                let rendered = f.to_string();
                assert_eq!(parse(&rendered).as_ref(), Ok(&f), "round trip of {input:?}");
                // Evaluation and the helpers must not panic either.
                let _ = f.matches(|attr| {
                    if attr == "title" {
                        vec!["Ab"]
                    } else {
                        vec!["", "x"]
                    }
                });
                let _ = f.check_attributes(&["title", "tag"], "items");
                if let Some((_, value)) = f.as_single_eq() {
                    assert_eq!(f.eq_alternatives().map(|v| v.len()), Some(1));
                    let _ = fold_case(value);
                }
                true
            }
            Err(e) => {
                assert!(e.0.starts_with("Invalid filter: "), "{input:?} -> {e}");
                assert!(e.0.len() < 400, "overlong message for {input:?}: {e}");
                false
            }
        }
    }

    const SEEDS: &[&str] = &[
        r#"name eq "Demo""#,
        r#"title eq "Example Item""#,
        r#"tag eq "banking" or (title sw "Bank" and not tag eq "old")"#,
        r#"(title co "say \"hi\"" or tag ew "\\x") and not(tag pr)"#,
        r#"not (a pr or b gt "é🔑") and (c le "z" or d ne "")"#,
        "TITLE Eq \"日本\"or(tag Lt \"m\")",
    ];

    #[test]
    fn fuzz_prefixes_deletions_and_insertions_never_panic() {
        let inserts = ['"', '\\', '(', ')', ' ', '\'', 'x', 'é', '\0'];
        let mut parsed = 0;
        let mut rejected = 0;
        for seed in SEEDS {
            assert!(check_invariants(seed), "seed must parse: {seed}");
            let chars: Vec<char> = seed.chars().collect();
            for i in 0..=chars.len() {
                // Every prefix and suffix.
                let prefix: String = chars[..i].iter().collect();
                let suffix: String = chars[i..].iter().collect();
                // Every single-character deletion.
                let deleted: String = chars
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, c)| c)
                    .collect();
                for input in [prefix, suffix, deleted] {
                    if check_invariants(&input) {
                        parsed += 1;
                    } else {
                        rejected += 1;
                    }
                }
                // Every single-character insertion of a syntax character.
                for c in inserts {
                    let mut inserted = chars.clone();
                    inserted.insert(i, c);
                    let input: String = inserted.into_iter().collect();
                    if check_invariants(&input) {
                        parsed += 1;
                    } else {
                        rejected += 1;
                    }
                }
                // Adjacent swaps.
                if i + 1 < chars.len() {
                    let mut swapped = chars.clone();
                    swapped.swap(i, i + 1);
                    let input: String = swapped.into_iter().collect();
                    if check_invariants(&input) {
                        parsed += 1;
                    } else {
                        rejected += 1;
                    }
                }
            }
        }
        // Both outcomes must actually be exercised.
        assert!(parsed > 50, "parsed {parsed}");
        assert!(rejected > 500, "rejected {rejected}");
    }

    #[test]
    fn fuzz_random_token_soup_never_panics() {
        let pieces = [
            "title",
            "tag",
            "name",
            "eq",
            "ne",
            "co",
            "sw",
            "ew",
            "gt",
            "ge",
            "lt",
            "le",
            "pr",
            "and",
            "or",
            "not",
            "AND",
            "Or",
            "NOT",
            "(",
            ")",
            "\"x\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\\\\"",
            "\"",
            "\\",
            "'",
            " ",
            "  ",
            "\t",
            "é",
            "🔑",
            "1",
            "$",
            "foo",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut parsed = 0;
        for _ in 0..20_000 {
            let len = (rng.next() % 16) as usize;
            let mut input = String::new();
            for _ in 0..len {
                input.push_str(rng.pick(&pieces));
                if rng.next() % 3 != 0 {
                    input.push(' ');
                }
            }
            if check_invariants(&input) {
                parsed += 1;
            }
        }
        assert!(parsed > 0, "the token soup should sometimes be valid");
    }

    #[test]
    fn fuzz_structured_random_filters_round_trip() {
        // Generate valid filters from the grammar and check they parse.
        fn gen(rng: &mut Rng, depth: u32, out: &mut String) {
            let choice = if depth == 0 {
                rng.next() % 2
            } else {
                rng.next() % 5
            };
            match choice {
                0 => {
                    out.push_str(rng.pick(&["title", "TAG", "name"]));
                    out.push(' ');
                    out.push_str(rng.pick(&["eq", "NE", "co", "sw", "ew", "gt", "ge", "lt", "le"]));
                    out.push_str(rng.pick(&[
                        " \"x\"",
                        "\"Y\"",
                        " \"a\\\"b\"",
                        " \"\\\\\"",
                        " \"é🔑\"",
                    ]));
                }
                1 => out.push_str(rng.pick(&["title pr", "tag PR"])),
                2 => {
                    out.push_str(rng.pick(&["not ", "NOT(", "not ("]));
                    let close = out.ends_with('(');
                    gen(rng, depth - 1, out);
                    if close {
                        out.push(')');
                    }
                }
                3 => {
                    out.push('(');
                    gen(rng, depth - 1, out);
                    out.push_str(rng.pick(&[" and ", ")or(", " OR "]));
                    gen(rng, depth - 1, out);
                    out.push(')');
                }
                _ => {
                    gen(rng, depth - 1, out);
                    out.push_str(rng.pick(&[" and ", " or "]));
                    gen(rng, depth - 1, out);
                }
            }
        }
        let mut rng = Rng(42);
        for _ in 0..2_000 {
            let mut input = String::new();
            gen(&mut rng, 4, &mut input);
            assert!(
                check_invariants(&input),
                "generated filter should parse: {input}"
            );
        }
    }
}
