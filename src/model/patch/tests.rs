//! Tests of PATCH application: Connect's operations, `-`, what a request is said to have set, and
//! which refusals depend on the stored item.

use serde_json::json;

use super::*;
use crate::model::{build_item, BuildMode};

fn item() -> ItemData {
    let input: ItemInput = serde_json::from_value(json!({
        "category": "LOGIN", "title": "Old", "tags": ["a", "b", "c"],
        "sections": [{"id": "s", "label": "S"}],
        "fields": [{"purpose": "USERNAME", "value": "me"}, {"id": "custom", "label": "L", "value": "v"}]
    }))
    .unwrap();
    build_item(input, &BuildMode::Create, &Limits::default())
        .unwrap()
        .1
}

fn ops(ops: serde_json::Value) -> Vec<PatchOp> {
    serde_json::from_value(ops).unwrap()
}

fn patched(list: serde_json::Value) -> Result<Patched, PatchError> {
    patch_item(&item(), Category::Login, &ops(list), &Limits::default())
}

fn patch(list: serde_json::Value) -> Result<ItemData, String> {
    let current = item();
    let input = apply_patch(&current, Category::Login, &ops(list))?;
    let mode = BuildMode::Replace {
        category: Category::Login,
        previous: &current,
    };
    build_item(input, &mode, &Limits::default()).map(|(_, i)| i)
}

#[test]
fn replaces_title_favorite_and_removes_tag() {
    let out = patch(json!([
        {"op": "replace", "path": "/title", "value": "New"},
        {"op": "replace", "path": "/favorite", "value": true},
        {"op": "remove", "path": "/tags/1"}
    ]))
    .unwrap();
    assert_eq!(out.summary.title, "New");
    assert!(out.summary.favorite);
    assert_eq!(out.summary.tags, ["a", "c"]);
}

#[test]
fn fields_by_id_and_append() {
    let out = patch(json!([
        {"op": "add", "path": "/fields", "value": {"label": "added", "value": "1"}},
        {"op": "replace", "path": "/fields/username", "value": {"purpose": "USERNAME", "value": "patched"}},
        {"op": "replace", "path": "/fields/custom/value", "value": "v2"},
        {"op": "add", "path": "/fields/custom/label", "value": "L2"}
    ]))
    .unwrap();
    let username = out.body.fields.iter().find(|f| f.id == "username").unwrap();
    assert_eq!(username.value.as_deref(), Some("patched"));
    let custom = out.body.fields.iter().find(|f| f.id == "custom").unwrap();
    assert_eq!(
        (custom.label.as_str(), custom.value.as_deref()),
        ("L2", Some("v2"))
    );
    assert!(out.body.fields.iter().any(|f| f.label == "added"));
    let out = patch(json!([{"op": "remove", "path": "/fields/custom"}])).unwrap();
    assert!(!out.body.fields.iter().any(|f| f.id == "custom"));
}

#[test]
fn dash_appends_and_names_nothing_else() {
    let out = patch(json!([
        {"op": "add", "path": "/fields/-", "value": {"label": "one"}},
        {"op": "add", "path": "/fields/-", "value": {"id": "", "label": "two"}},
        {"op": "add", "path": "/sections/-", "value": {"label": "T"}}
    ]))
    .unwrap();
    let added: Vec<_> = out
        .body
        .fields
        .iter()
        .filter(|f| f.label != "L")
        .skip(3)
        .collect();
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|f| crate::ids::is_valid_id(&f.id)));
    assert_ne!(added[0].id, added[1].id);
    assert_eq!(out.body.sections.len(), 2);
    for bad in [
        json!([{"op": "replace", "path": "/fields/-", "value": {}}]),
        json!([{"op": "remove", "path": "/sections/-"}]),
        json!([{"op": "add", "path": "/fields/-/label", "value": "x"}]),
    ] {
        let err = patched(bad).err().unwrap();
        assert!(err.message().contains("append"), "{}", err.message());
        assert!(!err.about_item());
    }
}

#[test]
fn rejects_unsupported_ops_and_paths() {
    for ops in [
        json!([{"op": "move", "path": "/title", "from": "/x"}]),
        json!([{"op": "test", "path": "/title", "value": "x"}]),
        json!([{"op": "replace", "path": "/nope", "value": 1}]),
        json!([{"op": "replace", "path": "/fields/missing", "value": {}}]),
        json!([{"op": "remove", "path": "/tags/9"}]),
        json!([{"op": "replace", "path": "/title"}]),
        json!([{"op": "replace", "path": "/title", "value": 5}]),
        json!([{"op": "remove", "path": "/"}]),
        json!([{"op": "replace", "path": "/fields", "value": 5}, {"op": "add", "path": "/fields/-", "value": {}}]),
    ] {
        assert!(patch(ops.clone()).is_err(), "{ops}");
    }
}

/// Refusals that depend on the stored item are marked, so that a token that cannot read it gets
/// [`WITHHELD`] instead; those that depend on the operations alone keep their reason.
#[test]
fn refusals_say_whether_the_stored_item_decided_them() {
    for (list, decided_by_item) in [
        (json!([{"op": "remove", "path": "/tags/9"}]), true),
        (
            json!([{"op": "replace", "path": "/urls/0", "value": {}}]),
            true,
        ),
        (json!([{"op": "remove", "path": "/fields/nope"}]), true),
        (
            json!([{"op": "replace", "path": "/sections/nope/label", "value": "x"}]),
            true,
        ),
        (
            json!([{"op": "add", "path": "/tags", "value": vec!["t"; 101]}]),
            true,
        ),
        (json!([{"op": "move", "path": "/title"}]), false),
        (json!([{"op": "replace", "path": "/title"}]), false),
        (
            json!([{"op": "replace", "path": "/nope", "value": 1}]),
            false,
        ),
        (
            json!([{"op": "replace", "path": "/title", "value": 5}]),
            false,
        ),
        (json!([{"op": "remove", "path": "/tags/x"}]), false),
    ] {
        let err = patched(list.clone()).err().unwrap();
        assert_eq!(
            err.about_item(),
            decided_by_item,
            "{list}: {}",
            err.message()
        );
    }
}

#[test]
fn the_operation_count_is_checked_first() {
    let limits = Limits {
        max_patch_ops: 2,
        ..Limits::default()
    };
    let three = ops(json!([
        {"op": "replace", "path": "/title", "value": "a"},
        {"op": "replace", "path": "/title", "value": "b"},
        {"op": "replace", "path": "/title", "value": "c"}
    ]));
    let err = patch_item(&item(), Category::Login, &three, &limits)
        .err()
        .unwrap();
    assert!(err.message().contains("at most 2"), "{}", err.message());
    assert!(check_op_count(&three[..2], &limits).is_ok());
}

#[test]
fn written_names_only_what_the_operations_set() {
    let p = patched(json!([])).unwrap();
    let w = &p.written;
    assert!(!w.title() && !w.tags() && !w.urls() && !w.favorite());
    assert!(!w.field("username") && !w.field("custom") && !w.section("s"));

    let p = patched(json!([
        {"op": "replace", "path": "/title", "value": "T"},
        {"op": "add", "path": "/tags", "value": "appended"},
        {"op": "replace", "path": "/fields/custom/value", "value": "v"},
        {"op": "replace", "path": "/fields/username", "value": {"purpose": "USERNAME"}},
        {"op": "add", "path": "/fields", "value": {"label": "new"}}
    ]))
    .unwrap();
    let w = &p.written;
    assert!(w.title() && !w.tags());
    assert!(w.field("username") && !w.field("custom"));
    let new_id = p
        .input
        .fields
        .as_ref()
        .unwrap()
        .last()
        .unwrap()
        .id
        .clone()
        .unwrap();
    assert!(w.field(&new_id));

    let p = patched(json!([{"op": "replace", "path": "/tags", "value": ["x"]},
        {"op": "remove", "path": "/fields"}]))
    .unwrap();
    assert!(p.written.tags() && p.written.field("username") && !p.written.section("s"));
    let p = patched(json!([{"op": "replace", "path": "/", "value": {"title": "w"}}])).unwrap();
    assert!(p.written.urls() && p.written.field("custom") && p.written.section("s"));
}

#[test]
fn a_type_change_must_come_with_the_value() {
    let keeps = patched(json!([{"op": "replace", "path": "/fields/custom/type", "value": "DATE"}]))
        .unwrap();
    assert_eq!(keeps.written.type_change_keeping_value(), Some("custom"));
    for list in [
        json!([{"op": "replace", "path": "/fields/custom/type", "value": "DATE"},
            {"op": "replace", "path": "/fields/custom/value", "value": "2024-01-01"}]),
        json!([{"op": "remove", "path": "/fields/custom/value"},
            {"op": "replace", "path": "/fields/custom/type", "value": "DATE"}]),
        json!([{"op": "add", "path": "/fields", "value": {"id": "d", "label": "d"}},
            {"op": "replace", "path": "/fields/d/type", "value": "DATE"}]),
        json!([{"op": "replace", "path": "/fields/custom", "value": {"type": "DATE"}},
            {"op": "replace", "path": "/fields/custom/type", "value": "MONTH_YEAR"}]),
    ] {
        let p = patched(list.clone()).unwrap();
        assert_eq!(p.written.type_change_keeping_value(), None, "{list}");
    }
}

#[test]
fn tags_and_urls_stay_within_the_limits_while_applying() {
    let limits = Limits {
        max_tags: 4,
        ..Limits::default()
    };
    let grow = ops(json!([{"op": "add", "path": "/tags/0", "value": "x"},
        {"op": "add", "path": "/tags/-", "value": "y"}]));
    let err = patch_item(&item(), Category::Login, &grow, &limits)
        .err()
        .unwrap();
    assert!(err.message().contains("Too many tags"), "{}", err.message());
    assert!(patch_item(&item(), Category::Login, &grow[..1], &limits).is_ok());
}
