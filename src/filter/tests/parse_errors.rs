//! Parsing invalid filters: every error message and the limits.

use super::*;

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
    // Only outside a double-quoted value: inside one an apostrophe is an ordinary character
    // (see parse_valid.rs), so a quote after a valid string is still found and placed.
    assert_err_contains(
        r#"title eq "it's" or tag eq 'x'"#,
        &["single quotes are not supported", "position 26"],
    );
    assert_err_contains("'", &["single quotes", "position 0"]);
    assert_err_contains(r#"ti'tle eq "x""#, &["single quote at position 2"]);
    assert_err_contains(r#"title eq "a"'b'"#, &["single quote at position 12"]);
    // Reported even when the filter has other problems.
    assert_err_contains("(((title 'x", &["single quotes", "position 9"]);
    // An unterminated double-quoted value is reported as such, apostrophe or not.
    assert_eq!(
        err(r#"title eq "it's"#),
        "Invalid filter: unterminated string starting at position 9"
    );
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
