//! Messages go to the unauthenticated `/health` and to the logs: they name where the mistake is
//! by position (`vault #1, item #2, section #1, field #3`), never by a vault name, item title,
//! section label or field label.

use super::*;

const VAULT: &str = "Canary-Vault-1f2e";
const ITEM: &str = "Canary-Item-3d4c";
const SECTION: &str = "Canary-Section-5b6a";
const FIELD: &str = "Canary-Field-7988";

/// A document whose second vault's second item is `item` (YAML lines, indented by 8).
fn doc(item: &str) -> String {
    let mut doc =
        format!("vaults:\n  - name: First\n  - name: {VAULT}\n    items:\n      - title: Fine\n");
    for (i, line) in item.lines().enumerate() {
        doc.push_str(if i == 0 { "      - " } else { "        " });
        doc.push_str(line);
        doc.push('\n');
    }
    doc
}

fn assert_positional(e: &str, position: &str) {
    assert!(e.contains(position), "expected {position:?} in {e:?}");
    for name in [VAULT, ITEM, SECTION, FIELD] {
        assert!(!e.contains(name), "{name} in {e:?}");
    }
}

#[test]
fn messages_name_positions_not_names() {
    let t = format!("title: {ITEM}");
    let cases = [
        (format!("{t}\ncategory: NOPE"), "vault #2, item #2: unknown category"),
        (format!("{t}\nfields: [{{label: {FIELD}, type: DATE, value: x}}]"), "vault #2, item #2, field #1: not a valid DATE"),
        (format!("{t}\nfields: [{{label: a}}, {{label: {FIELD}, type: NOPE}}]"), "item #2, field #2: unknown field type"),
        (format!("{t}\nfields: [{{label: {FIELD}, purpose: NOPE}}]"), "field #1: unknown purpose"),
        (format!("{t}\nsections: [{{label: {SECTION}, fields: [{{label: a}}, {{label: {FIELD}, type: OTP, value: bad}}]}}]"), "item #2, section #1, field #2: not a valid one-time password"),
        (format!("{t}\nsections: [{{label: {SECTION}}}, {{label: {SECTION}}}]"), "item #2: sections #1 and #2"),
        (format!("{t}\nfields: [{{label: {FIELD}, section: {SECTION}}}]"), "field #1: `section` names no section"),
        (format!("{t}\nfields: [{{label: {FIELD}}}, {{label: {FIELD}}}]"), "item #2: field #1 and field #2 have the same label"),
        (format!("{t}\nfields: [{{id: k, label: {FIELD}}}, {{id: k, label: b}}]"), "field #1 and field #2 have the same id"),
        (format!("{t}\nsections: [{{label: {SECTION}, fields: [{{label: {FIELD}}}, {{label: {FIELD}}}]}}]"), "section #1, field #1 and section #1, field #2"),
        (format!("{t}\npassword: \"${{env:MISSING}}\""), "vault #2, item #2, `password`: environment variable MISSING"),
        (format!("{t}\nurls: [{{href: a, primary: true}}, {{href: b, primary: true}}]"), "vault #2, item #2: only one URL"),
        (format!("{t}\n{}", "tags: [a, a, a]\nfavorite: 3"), "vault #2, item #2: `favorite`"),
        (format!("{t}\nid: NOPE"), "vault #2, item #2: the item id"),
    ];
    for (item, position) in cases {
        let e = err(&doc(&item));
        assert_positional(&e, position);
    }
}

#[test]
fn clashes_of_vaults_and_items_name_positions() {
    let e = err(&format!("vaults:\n  - name: {VAULT}\n  - name: {VAULT}\n"));
    assert_positional(&e, "vaults #1 and #2 have the same name");
    let e = err(&doc("title: Fine"));
    assert_positional(&e, "vault #2: items #1 and #2 have the same title");
    let e = err(&format!(
        "vaults:\n  - {{name: {VAULT}, items: [{{title: {ITEM}, id: cccccccccccccccccccccccccc}}, {{title: b, id: cccccccccccccccccccccccccc}}]}}\n"
    ));
    assert_positional(&e, "vault #1: items #1 and #2 have the same id");
    let e = err(&format!("vaults:\n  - {{name: {VAULT}, id: NOPE}}\n"));
    assert_positional(&e, "vault #1: the vault id");
}

#[test]
fn messages_from_the_item_rules_do_not_repeat_names() {
    // Blank text passes the seed's own OTP check and reaches the API's rules, whose message
    // names the field by its id (derived, not the label) and never by its label.
    let item = format!("title: {ITEM}\nfields: [{{label: {FIELD}, type: OTP, value: \"   \"}}]");
    let e = err(&doc(&item));
    assert_positional(&e, "vault #2, item #2: Field");
    assert_positional(&e, "Invalid OTP value");
}
