//! The `?filter=` parser: any text parses or is refused with a client message; what parses
//! renders back to the same tree and evaluates without panicking.

use latchkey::filter::{fold_case, parse, Filter, MAX_FILTER_LEN};

/// Whether the filter parsed.
pub fn run(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let filter = match parse(text) {
        Ok(filter) => filter,
        Err(e) => {
            assert!(e.message().starts_with("Invalid filter: "), "{e}");
            return false;
        }
    };
    let rendered = filter.to_string();
    // The canonical form escapes quotes and backslashes, so it may outgrow the length limit.
    if rendered.len() <= MAX_FILTER_LEN {
        assert_eq!(parse(&rendered).as_ref(), Ok(&filter), "{rendered}");
    }
    let _ = filter.matches(|attr| match attr {
        "title" => vec!["Bob's Server"],
        "tag" => vec!["", "a", "\u{130}"],
        _ => Vec::new(),
    });
    let _ = filter.check_attributes(&["title", "tag"], "items");
    if let Some((attr, value)) = filter.as_single_eq() {
        assert_eq!(filter.eq_alternatives(), Some(vec![(attr, value)]));
    }
    check_eq_alternatives(&filter);
    true
}

/// The store answers an `or` of `eq`s from its blind index instead of evaluating the filter, so
/// the two must agree: an item matches exactly when one of its values folds to one of the pairs'.
fn check_eq_alternatives(filter: &Filter) {
    let Some(pairs) = filter.eq_alternatives() else {
        return;
    };
    assert!(!pairs.is_empty());
    for (attr, value) in pairs.iter().take(8) {
        for candidate in [value.to_string(), value.to_uppercase(), format!("{value}x")] {
            let expected = pairs
                .iter()
                .any(|(a, v)| a == attr && fold_case(v) == fold_case(&candidate));
            let matched = filter.matches(|a| {
                if a == *attr {
                    vec![candidate.as_str()]
                } else {
                    Vec::new()
                }
            });
            assert_eq!(matched, expected, "{attr} = {candidate:?}");
        }
    }
}
