//! PATCH: operations applied to an item, then the result validated like a PUT body, as
//! `PATCH /v1/vaults/{v}/items/{i}` does. The input is JSON: an array of operations, applied to a
//! fixed item with every kind of field, or `{"item": <POST body>, "ops": [<operations>]}`.

use latchkey::model::{
    apply_patch, build_item, to_document, BuildMode, Category, ItemData, ItemInput, Limits, PatchOp,
};
use serde_json::{json, Value};

/// Longer lists are cut: the cost of one input stays small, so a slow unit is a real finding.
const MAX_OPS: usize = 256;

/// Whether the patched item was accepted.
pub fn run(data: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return false;
    };
    let (item, ops) = match value {
        Value::Object(mut o) => (
            o.remove("item").unwrap_or_else(default_item),
            o.remove("ops").unwrap_or_default(),
        ),
        ops => (default_item(), ops),
    };
    let Ok(mut ops) = serde_json::from_value::<Vec<PatchOp>>(ops) else {
        return false;
    };
    ops.truncate(MAX_OPS);
    let Ok(input) = serde_json::from_value::<ItemInput>(item) else {
        return false;
    };
    let limits = Limits::default();
    let Ok((category, current)) = build_item(input, &BuildMode::Create, &limits) else {
        return false;
    };
    let Ok(patched) = apply_patch(&current, category, &ops) else {
        return false;
    };
    let mode = BuildMode::Replace {
        category,
        previous: &current,
    };
    let Ok((kept, updated)) = build_item(patched, &mode, &limits) else {
        return false;
    };
    assert_eq!(kept, category, "PATCH changed the category");
    check_resubmit(&updated, category, &limits);
    true
}

/// The item in the form PATCH works on, sent back unchanged, is accepted and changes nothing: a
/// PATCH that only touches the title must not rewrite the other fields.
fn check_resubmit(item: &ItemData, category: Category, limits: &Limits) {
    let document = to_document(item, category);
    let input: ItemInput = serde_json::from_value(document).expect("to_document is an item body");
    let mode = BuildMode::Replace {
        category,
        previous: item,
    };
    match build_item(input, &mode, limits) {
        Ok((_, again)) => assert_eq!(&again, item, "resubmitting the item changed it"),
        Err(e) => panic!("the item's own document was refused: {e}"),
    }
}

/// A login with a section, tags, URLs and one field of each kind that has rules of its own.
fn default_item() -> Value {
    json!({
        "category": "LOGIN",
        "title": "Bob's Server",
        "tags": ["a", "b"],
        "urls": [
            {"href": "https://example.test/", "primary": true},
            {"label": "alt", "href": "https://alt.example.test/"}
        ],
        "sections": [{"id": "sec", "label": "Section"}],
        "fields": [
            {"purpose": "USERNAME", "value": "me"},
            {"purpose": "PASSWORD", "value": "pw"},
            {"id": "otp", "type": "OTP", "section": {"id": "sec"},
             "value": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"},
            {"id": "date", "type": "DATE", "value": "2024-01-02"},
            {"id": "month", "type": "MONTH_YEAR", "value": "202401"},
            {"id": "url", "type": "URL", "value": "https://x.test/"},
            {"id": "email", "type": "EMAIL", "value": "a@b.test"},
            {"id": "secret", "type": "CONCEALED", "section": {"id": "sec"}, "value": "s"}
        ]
    })
}
