//! The canonical text form of a filter, which parses back to the same tree.

use std::fmt;

use super::Filter;

/// Renders a canonical filter string that [`parse`](super::parse) turns back into an equal
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
