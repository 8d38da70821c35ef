//! Attribute checks, evaluation against candidates, and the index helpers.

use super::*;

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
