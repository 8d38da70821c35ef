//! Matching a filter against a candidate's attribute values, and the shapes
//! the store can answer from its blind index instead.

use super::{fold_case, Filter, Op};

impl Filter {
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
