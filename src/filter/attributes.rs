//! Checks a parsed filter against the attributes an endpoint can filter by.

use super::{Filter, FilterError, MAX_QUOTED_CHARS};
use crate::text::quote_excerpt;

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
                        quote_excerpt(attr, MAX_QUOTED_CHARS),
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
}

/// "items can be filtered by title or tag"
fn allowed_phrase(allowed: &[&str], what: &str) -> String {
    match allowed {
        [] => format!("{what} cannot be filtered"),
        [only] => format!("{what} can only be filtered by {only}"),
        [init @ .., last] => format!("{what} can be filtered by {} or {last}", init.join(", ")),
    }
}
