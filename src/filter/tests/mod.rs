//! Unit tests of the filter parser, matcher and helpers, by topic; the shared
//! builders and assertions live here.

use super::*;

mod display;
mod matching;
mod parse_errors;
mod parse_valid;
mod robustness;

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
