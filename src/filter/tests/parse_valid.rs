//! Parsing valid filters: operators, precedence, whitespace, escapes.

use super::*;

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
fn apostrophes_inside_double_quotes_are_ordinary_characters() {
    // Clients interpolate titles raw (`title eq "{title}"`), so "Bob's Server" must be found.
    assert_eq!(
        ok(r#"title eq "Bob's Server""#),
        cmp("title", Op::Eq, "Bob's Server")
    );
    assert_eq!(ok(r#"title co "'""#), cmp("title", Op::Co, "'"));
    assert_eq!(
        ok(r#"title eq "O'Brien's" or tag eq "'quoted'""#),
        or(
            cmp("title", Op::Eq, "O'Brien's"),
            cmp("tag", Op::Eq, "'quoted'")
        )
    );
    assert_eq!(
        ok(r#"title eq "it's \"a\" test\\""#),
        cmp("title", Op::Eq, "it's \"a\" test\\")
    );
    let f = ok(r#"title eq "Bob's Server""#);
    assert_eq!(f.as_single_eq(), Some(("title", "Bob's Server")));
    assert_eq!(ok(&f.to_string()), f);
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
