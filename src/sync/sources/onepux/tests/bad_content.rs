//! Invalid export.data and items: errors say where, and never echo values.

use serde_json::json;

use super::{invalid, one_item, testgen};
use crate::sync::source::Snapshot;
use crate::sync::sources::onepux::parse;

#[test]
fn bad_export_data_is_invalid() {
    let data = |text: &str| {
        testgen::zip_entries(&[
            ("export.attributes", br#"{"version":3}"#),
            ("export.data", text.as_bytes()),
        ])
    };
    let cases: &[(&str, &str)] = &[
        ("", "not valid JSON"),
        ("{\"accounts\": [", "not valid JSON"),
        ("{\"accounts\": []} trailing", "not valid JSON"),
        ("[]", "expected an object with an \"accounts\" list"),
        ("{}", "no \"accounts\" list"),
        ("{\"accounts\": null}", "no \"accounts\" list"),
        (
            "{\"accounts\": [{\"vaults\": [{\"items\": null}]}], \"x\": {\"y\": [1]}}",
            "ok",
        ),
        ("{\"accounts\": {}}", "\"accounts\" to be a list"),
        ("{\"accounts\": [1]}", "accounts[0] to be an object"),
        (
            "{\"accounts\": [{\"vaults\": 1}]}",
            "accounts[0].vaults to be a list",
        ),
        (
            "{\"accounts\": [{\"attrs\": []}]}",
            "accounts[0].attrs: expected an object",
        ),
        (
            "{\"accounts\": [{\"attrs\": {\"uuid\": {}}}]}",
            "accounts[0].attrs.uuid: expected a string",
        ),
        (
            "{\"accounts\": [{\"vaults\": [\"v\"]}]}",
            "accounts[0].vaults[0] to be an object",
        ),
        (
            "{\"accounts\": [{\"vaults\": [{\"items\": {}}]}]}",
            "accounts[0].vaults[0].items to be a list",
        ),
        (
            "{\"accounts\": [{\"vaults\": [{\"attrs\": {\"name\": []}}]}]}",
            "accounts[0].vaults[0].attrs.name: expected a string",
        ),
        (
            "{\"accounts\": [{\"vaults\": [{\"items\": [1, 2]}]}]}",
            "items[0]: expected an object, found a number",
        ),
    ];
    for (text, expected) in cases {
        if *expected == "ok" {
            assert_eq!(parse(&data(text)).unwrap().vaults[0].items, []);
            continue;
        }
        let message = invalid(parse(&data(text)));
        assert!(message.contains(expected), "{text}: {message}");
    }
    let deep = format!(
        "{{\"accounts\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(invalid(parse(&data(&deep))).contains("accounts[0] to be an object"));
    let deep = format!(
        "{{\"accounts\": [{{\"vaults\": [{{\"items\": [{{\"details\": {}{}}}]}}]}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let message = invalid(parse(&data(&deep)));
    assert!(message.contains("recursion limit"), "{message}");

    let bad_attributes = testgen::zip_entries(&[
        ("export.attributes", b"nope"),
        ("export.data", b"{\"accounts\": []}"),
    ]);
    assert!(invalid(parse(&bad_attributes)).contains("export.attributes"));
    let list_attributes = testgen::zip_entries(&[
        ("export.attributes", b"[]"),
        ("export.data", b"{\"accounts\": []}"),
    ]);
    assert!(invalid(parse(&list_attributes)).contains("export.attributes"));
    let no_attributes = testgen::zip_entries(&[("export.data", b"{\"accounts\": []}")]);
    assert_eq!(parse(&no_attributes).unwrap(), Snapshot::default());
}

#[test]
fn bad_items_are_invalid_and_named() {
    let cases = [
        (
            json!("string item"),
            "items[0]: expected an object, found a string",
        ),
        (
            json!({"overview": {"title": {}}}),
            "overview.title: expected a string",
        ),
        (
            json!({"overview": {"title": "T", "tags": "x"}}),
            "items[0]: overview.tags: expected a list",
        ),
        (
            json!({"overview": {"title": "T", "tags": [[]]}}),
            "overview.tags[0]: expected a string",
        ),
        (
            json!({"overview": {"urls": [true]}}),
            "overview.urls[0]: expected an object",
        ),
        (json!({"overview": "x"}), "overview: expected an object"),
        (json!({"details": []}), "details: expected an object"),
        (
            json!({"state": 3.5, "categoryUuid": []}),
            "categoryUuid: expected a string",
        ),
        (json!({"favIndex": "yes"}), "favIndex: expected a number"),
        (
            json!({"details": {"loginFields": {}}}),
            "details.loginFields: expected a list",
        ),
        (
            json!({"details": {"loginFields": [3]}}),
            "details.loginFields[0]: expected an object",
        ),
        (
            json!({"details": {"loginFields": [{"value": []}]}}),
            "details.loginFields[0].value: expected a string",
        ),
        (
            json!({"details": {"notesPlain": {}}}),
            "details.notesPlain: expected a string",
        ),
        (
            json!({"details": {"sections": {}}}),
            "details.sections: expected a list",
        ),
        (
            json!({"details": {"sections": [{"fields": [1]}]}}),
            "details.sections[0].fields[0]: expected an object",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": 1}]}]}}),
            "details.sections[0].fields[0].value: expected an object",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"string": []}}]}]}}),
            "fields[0].value.string: expected a string, found a list",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"date": "tomorrow"}}]}]}}),
            "value.date: not a date in Unix seconds or YYYY-MM-DD",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"date": 1e30}}]}]}}),
            "value.date: not a date in Unix seconds",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"date": 9_223_372_036_854_775_807_i64}}]}]}}),
            "value.date: not a date in Unix seconds",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"date": u64::MAX}}]}]}}),
            "not a date in Unix seconds",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"monthYear": 202_213}}]}]}}),
            "value.monthYear: not a month in the form YYYYMM",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"monthYear": -1}}]}]}}),
            "not a month in the form YYYYMM",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"monthYear": 1e300}}]}]}}),
            "not a month in the form YYYYMM",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"file": "x"}}]}]}}),
            "value.file: expected an object",
        ),
        (
            json!({"details": {"sections": [{"fields": [{"value": {"email": {"email_address": 1.5e300, "provider": []}}}]}]}}),
            "ignored",
        ),
        (
            json!({"details": {"documentAttributes": "x"}}),
            "details.documentAttributes: expected an object",
        ),
    ];
    for (item, expected) in cases {
        let result = one_item(item.clone());
        if expected == "ignored" {
            assert!(result.is_ok(), "{item}: {result:?}");
            continue;
        }
        let message = invalid(result);
        assert!(message.contains(expected), "{item}: {message}");
        assert!(
            message.contains("accounts[0].vaults[0].items[0]"),
            "{message}"
        );
    }
}

#[test]
fn errors_never_echo_secret_values() {
    let message = invalid(one_item(json!({"overview": {"title": "Bank"}, "details": {
    "loginFields": [{"value": "hunter2", "designation": "password"}],
    "sections": [{"fields": [
        {"value": {"concealed": "hunter2"}},
        {"value": {"concealed": ["hunter3"]}}
    ]}]}})));
    // The message goes to the unauthenticated /health: the item's position, not its title.
    assert!(
        message.contains("accounts[0].vaults[0].items[0]"),
        "{message}"
    );
    assert!(!message.contains("Bank"), "{message}");
    assert!(!message.contains("hunter"), "{message}");
}

#[test]
fn unreadable_dates_and_months_are_not_repeated() {
    for (kind, value) in [
        ("date", json!("31337-hunter2")),
        ("date", json!(313_370_000_000_000_i64)),
        ("date", json!(3.1337e30)),
        ("monthYear", json!("hunter2")),
        ("monthYear", json!(313_399)),
        ("monthYear", json!(3.1337e300)),
    ] {
        let message = invalid(one_item(
            json!({"details": {"sections": [{"fields": [{"value": {kind: value}}]}]}}),
        ));
        assert!(
            message.contains(&format!("value.{kind}: not a")),
            "{message}"
        );
        assert!(
            !message.contains("hunter") && !message.contains("3133"),
            "{message}"
        );
    }
}
