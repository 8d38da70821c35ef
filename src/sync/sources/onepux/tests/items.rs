//! Items: states, categories, ids, login fields and built-ins, URLs.

use std::collections::HashSet;

use serde_json::json;

use super::{field_ids, one_item, testgen, value};
use crate::ids;
use crate::model::{Category, FieldType, Purpose, StoredUrl, VaultType};
use crate::sync::sources::onepux::parse;

#[test]
fn trashed_deleted_and_tombstones_are_not_imported() {
    let item = |uuid: &str, state: &str, category: &str| {
        json!({"uuid": uuid, "state": state, "categoryUuid": category,
            "overview": {"title": uuid}})
    };
    let bytes = testgen::archive(
        &testgen::export_with_items(vec![
            item("aaaaaaaaaaaaaaaaaaaaaaaaa1", "active", "001"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa2", "trashed", "001"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa3", "deleted", "003"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa4", "Archived", "003"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa5", "active", "099"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa6", "someday", "003"),
            item("aaaaaaaaaaaaaaaaaaaaaaaaa7", "TRASHED", "003"),
        ]),
        &[],
    );
    let items = &parse(&bytes).unwrap().vaults[0].items;
    let got: Vec<_> = items
        .iter()
        .map(|i| (i.id.as_str(), i.state.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("aaaaaaaaaaaaaaaaaaaaaaaaa1", None),
            ("aaaaaaaaaaaaaaaaaaaaaaaaa4", Some("ARCHIVED")),
            ("aaaaaaaaaaaaaaaaaaaaaaaaa6", None),
        ]
    );
}

#[test]
fn ids_are_derived_when_the_export_has_none_of_connect_shape() {
    let export = json!({"accounts": [
        {"attrs": {"uuid": "ACCOUNTONE"}, "vaults": [
            {"attrs": {"uuid": "UPPERCASEVAULTUUID00000000", "name": "Upper"}, "items": [
                {"uuid": "UPPERCASEITEMUUID000000000", "overview": {"title": "upper"}},
                {"uuid": "short", "overview": {"title": "short"}},
                {"uuid": "short", "overview": {"title": "duplicate uuid"}},
                {"overview": {"title": "no uuid"}},
                {"overview": {"title": "no uuid"}},
                {"categoryUuid": "001", "details": {}, "overview": {}}
            ]},
            {"attrs": {"uuid": "not-a-connect-id", "name": "Odd"}},
            {"attrs": {"name": "Nameless uuid"}},
            {"items": []}
        ]},
        {"attrs": {"uuid": "ACCOUNTTWO"}, "vaults": [
            {"attrs": {"uuid": "not-a-connect-id", "name": "Same uuid, other account"}},
            {"attrs": {"uuid": "uppercasevaultuuid00000000", "name": "Clash"}}
        ]}
    ]});
    let bytes = testgen::archive(&export, &[]);
    let snapshot = parse(&bytes).unwrap();
    assert_eq!(snapshot, parse(&bytes).unwrap(), "stable");
    let vault_ids: Vec<_> = snapshot
        .vaults
        .iter()
        .map(|v| v.vault.id.as_str())
        .collect();
    assert_eq!(vault_ids[0], "uppercasevaultuuid00000000");
    assert_eq!(
        vault_ids[1],
        ids::derived_id("1pux-vault", "ACCOUNTONE/not-a-connect-id")
    );
    assert_eq!(
        vault_ids[4],
        ids::derived_id("1pux-vault", "ACCOUNTTWO/not-a-connect-id")
    );
    assert_eq!(
        vault_ids.iter().collect::<HashSet<_>>().len(),
        vault_ids.len()
    );
    assert!(
        vault_ids.iter().all(|id| ids::is_valid_id(id)),
        "{vault_ids:?}"
    );
    assert_eq!(snapshot.vaults[3].vault.name, "");
    assert_eq!(snapshot.vaults[3].vault.vault_type, VaultType::UserCreated);

    let items = &snapshot.vaults[0].items;
    assert_eq!(items.len(), 6);
    assert_eq!(items[0].id, "uppercaseitemuuid000000000");
    assert_eq!(
        items[1].id,
        ids::derived_id("1pux-item", "uppercasevaultuuid00000000/short")
    );
    let item_ids: HashSet<_> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(item_ids.len(), 6, "duplicates get their own ids");
    assert!(item_ids.iter().all(|id| ids::is_valid_id(id)));
    assert_eq!(items[0].category, Category::Custom, "no categoryUuid");
    assert_eq!(items[5].category, Category::Login);
    assert_eq!(items[5].data.summary.title, "");
    assert_eq!(field_ids(&items[5]), ["username", "password", "notesPlain"]);
    assert!(items[5].data.body.fields.iter().all(|f| f.value.is_none()));
}

#[test]
fn login_fields_and_built_ins() {
    let items = one_item(json!({
        "uuid": "bbbbbbbbbbbbbbbbbbbbbbbbbb", "categoryUuid": "001",
        "details": {
            "loginFields": [
                {"value": {"email_address": "linked@example.test", "string": "x"}, "designation": "username", "fieldType": "E"},
                {"value": "second", "designation": "username", "name": "other user", "fieldType": "T"},
                {"value": "pin", "name": "pin", "fieldType": "P"},
                {"value": "a@b.test", "id": "mail", "name": "email", "fieldType": "E"},
                {"value": 12345, "id": "num", "name": "number", "fieldType": "N"},
                {"value": "", "name": "blank"}
            ],
            "password": "from details",
            "sections": [{"title": "s", "name": "S1", "fields": [
                {"title": "clash", "id": "password", "value": {"concealed": "section pw"}},
                {"title": "dup", "id": "mail", "value": {"string": "dup"}},
                {"title": "same", "id": "same", "value": {"string": "1"}}
            ]}, {"title": "t", "name": "S1", "fields": [
                {"title": "same", "id": "same", "value": {"string": "2"}}
            ]}]
        },
        "overview": {"title": "linked", "urls": [
            {"label": "", "url": "https://one.test"}, {"url": ""}, "https://two.test"]}
    }))
    .unwrap();
    let item = &items[0];
    assert_eq!(value(item, "username"), Some("linked@example.test"));
    assert_eq!(value(item, "password"), Some("from details"));
    let ids = field_ids(item);
    assert_eq!(&ids[..3], ["username", "password", "notesPlain"]);
    assert_eq!(value(item, "notesPlain"), None);
    let by_label = |label: &str| {
        item.data
            .body
            .fields
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("{label}"))
    };
    assert_eq!(by_label("other user").value.as_deref(), Some("second"));
    assert_eq!(by_label("other user").purpose, Purpose::None);
    assert_eq!(by_label("pin").field_type, FieldType::Concealed);
    assert_eq!(by_label("email").field_type, FieldType::Email);
    assert_eq!(by_label("email").id, "mail");
    assert_eq!(by_label("number").value.as_deref(), Some("12345"));
    assert!(item.data.body.fields.iter().all(|f| f.label != "blank"));
    let clash = by_label("clash");
    assert_ne!(clash.id, "password");
    assert_eq!(clash.purpose, Purpose::None);
    assert_eq!(clash.value.as_deref(), Some("section pw"));
    assert_ne!(by_label("dup").id, "mail");
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "field ids are unique: {ids:?}");
    let sections: Vec<_> = item.data.body.sections.iter().map(|s| &s.id).collect();
    assert_eq!(sections[0], "S1");
    assert_ne!(sections[1], "S1");
    assert_eq!(
        item.data.summary.urls,
        [
            StoredUrl {
                label: None,
                primary: true,
                href: "https://one.test".into()
            },
            StoredUrl {
                label: None,
                primary: false,
                href: "https://two.test".into()
            },
        ]
    );
}

#[test]
fn primary_url_missing_from_the_list_is_prepended() {
    let items = one_item(json!({"overview": {"url": "https://main.test",
        "urls": [{"label": "other", "url": "https://other.test"}]}}))
    .unwrap();
    let urls = &items[0].data.summary.urls;
    assert_eq!(urls.len(), 2);
    assert_eq!(
        (urls[0].href.as_str(), urls[0].primary),
        ("https://main.test", true)
    );
    assert_eq!(
        (urls[1].href.as_str(), urls[1].primary),
        ("https://other.test", false)
    );
}
#[test]
fn unknown_categories_become_custom() {
    for code in ["115", "999", "", "abc", "1"] {
        let items = one_item(json!({"categoryUuid": code})).unwrap();
        assert_eq!(items[0].category, Category::Custom, "{code:?}");
        assert_eq!(field_ids(&items[0]), ["notesPlain"]);
    }
}
