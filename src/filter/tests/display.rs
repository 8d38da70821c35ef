//! Rendering filters back to text, and the error type.

use super::*;

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
