//! Section field value kinds and their variants.

use serde_json::json;

use super::{field, one_item};
use crate::model::{Category, FieldType};

#[test]
fn value_kind_variants() {
    let items = one_item(
        json!({"categoryUuid": 3, "favIndex": 7, "details": {"sections": [
        {"title": "x", "name": "x", "fields": [
            {"id": "d1", "value": {"date": "2024-01-15"}},
            {"id": "d2", "value": {"date": -86_400}},
            {"id": "d3", "value": {"date": null}},
            {"id": "m1", "value": {"monthYear": 0}},
            {"id": "m2", "value": {"monthYear": "2027/03"}},
            {"id": "e1", "value": {"email": "plain@example.test"}},
            {"id": "s1", "value": {"sshKey": {"privateKey": "only top-level"}}},
            {"id": "s2", "value": {"sshKey": "as text"}},
            {"id": "a1", "value": {"address": {"city": "Paris", "country": "fr"}}},
            {"id": "u1", "value": {"passkey": {"rpId": "example.test"}}},
            {"id": "u2", "value": {"somethingNew": "text"}},
            {"id": "n1", "value": {}},
            {"id": "n2"},
            {"id": "n3", "value": {"string": 42}},
            {"id": "t1", "value": {"totp": "not base32 !!!"}}
        ]}]}}),
    )
    .unwrap();
    let item = &items[0];
    assert_eq!(item.category, Category::SecureNote, "numeric category code");
    assert!(item.data.summary.favorite);
    let check = |id: &str, field_type: FieldType, expected: Option<&str>| {
        let f = field(item, id);
        assert_eq!(
            (f.field_type, f.value.as_deref()),
            (field_type, expected),
            "{id}"
        );
    };
    check("d1", FieldType::Date, Some("1705276800"));
    check("d2", FieldType::Date, Some("-86400"));
    check("d3", FieldType::Date, None);
    check("m1", FieldType::MonthYear, None);
    check("m2", FieldType::MonthYear, Some("202703"));
    check("e1", FieldType::Email, Some("plain@example.test"));
    check("s1", FieldType::SshKey, Some("only top-level"));
    check("s2", FieldType::SshKey, Some("as text"));
    check("a1", FieldType::Address, Some("Paris\nfr"));
    check("u1", FieldType::Unknown, Some(r#"{"rpId":"example.test"}"#));
    check("u2", FieldType::Unknown, Some("text"));
    check("n1", FieldType::String, None);
    check("n2", FieldType::String, None);
    check("n3", FieldType::String, Some("42"));
    // An unusable OTP value is kept; the API simply computes no code for it.
    check("t1", FieldType::Otp, Some("not base32 !!!"));
}
