//! Generated exports: every category and value kind, and a large export.

use std::collections::HashSet;

use super::testgen::{self, Spec};
use super::{field, field_ids, value};
use crate::ids;
use crate::model::{Category, FieldType, Purpose, StoredUrl, VaultType};
use crate::sync::source::{SourceFile, SourceItem};
use crate::sync::sources::onepux::parse;

#[test]
fn every_category_and_value_kind_round_trips() {
    let spec = Spec {
        vaults: 4,
        items_per_vault: testgen::CATEGORIES.len() * 2,
        attachments: true,
        archived_every: 5,
        trashed_every: 7,
    };
    let snapshot = parse(&testgen::generate(&spec)).expect("generated export parses");
    assert_eq!(snapshot.vaults.len(), spec.vaults);
    let types = [
        VaultType::Personal,
        VaultType::Everyone,
        VaultType::UserCreated,
        VaultType::Transfer,
    ];
    let mut seen_categories = HashSet::new();
    for (v, vault) in snapshot.vaults.iter().enumerate() {
        assert_eq!(vault.vault.id, testgen::vault_uuid(v));
        assert_eq!(vault.vault.name, testgen::vault_name(v));
        assert_eq!(vault.vault.description, format!("Vault {v}"));
        assert_eq!(vault.vault.vault_type, types[v]);
        assert_eq!(vault.items.len(), spec.imported_per_vault());
        let mut items = vault.items.iter();
        for i in 0..spec.items_per_vault {
            if spec.is_trashed(i) {
                assert!(vault
                    .items
                    .iter()
                    .all(|it| it.id != testgen::item_uuid(v, i)));
                continue;
            }
            let item = items.next().expect("one item per non-trashed entry");
            check_generated_item(&spec, v, i, item);
            seen_categories.insert(item.category);
        }
    }
    assert_eq!(seen_categories.len(), Category::ALL.len(), "every category");
}

fn check_generated_item(spec: &Spec, v: usize, i: usize, item: &SourceItem) {
    let (code, category) = testgen::category_of(i);
    let what = format!("item {v}/{i} ({code})");
    assert_eq!(item.id, testgen::item_uuid(v, i), "{what}");
    assert_eq!(item.category, category, "{what}");
    let archived = spec.is_archived(i).then(|| "ARCHIVED".to_string());
    assert_eq!(item.state, archived, "{what}");
    let summary = &item.data.summary;
    assert_eq!(summary.title, testgen::title(v, i));
    assert_eq!(summary.favorite, i % 3 == 0);
    assert_eq!(summary.tags, ["generated", &format!("category-{code}")]);
    assert_eq!(
        summary.urls,
        [
            StoredUrl {
                label: Some("backup".into()),
                primary: false,
                href: format!("https://backup.example.test/{i}"),
            },
            StoredUrl {
                label: Some("website".into()),
                primary: true,
                href: testgen::primary_url(v, i),
            },
        ]
    );

    let fields = &item.data.body.fields;
    let built_ins: &[&str] = match category {
        Category::Login => &["username", "password", "notesPlain", "remember"],
        Category::Password => &["password", "notesPlain"],
        _ => &["notesPlain"],
    };
    assert_eq!(&field_ids(item)[..built_ins.len()], built_ins, "{what}");
    for f in fields {
        let expected_purpose = match f.id.as_str() {
            "username" => Purpose::Username,
            "password" => Purpose::Password,
            "notesPlain" => Purpose::Notes,
            _ => Purpose::None,
        };
        assert_eq!(f.purpose, expected_purpose, "{what} {}", f.id);
        assert_eq!(
            f.section.is_none(),
            built_ins.contains(&f.id.as_str()),
            "{what} {}",
            f.id
        );
    }
    assert_eq!(
        value(item, "notesPlain"),
        Some(testgen::notes(v, i).as_str())
    );
    if category == Category::Login {
        assert_eq!(
            value(item, "username"),
            Some(testgen::username(v, i).as_str())
        );
        assert_eq!(
            value(item, "password"),
            Some(testgen::password(v, i).as_str())
        );
        let remember = field(item, "remember");
        assert_eq!(remember.label, "remember me");
        assert_eq!(remember.field_type, FieldType::String);
        assert_eq!(remember.value.as_deref(), Some("✓"));
        assert!(
            fields.iter().all(|f| f.label != "submit"),
            "empty form fields are dropped"
        );
    }
    if category == Category::Password {
        assert_eq!(
            value(item, "password"),
            Some(testgen::password(v, i).as_str())
        );
    }

    let sections = &item.data.body.sections;
    assert_eq!(
        sections.len(),
        2,
        "{what}: the empty template section is dropped"
    );
    assert_eq!(sections[0].id, testgen::KINDS_SECTION);
    assert_eq!(sections[0].label.as_deref(), Some("Every kind"));
    assert!(ids::is_valid_id(&sections[1].id), "derived section id");
    assert_eq!(sections[1].label, None);
    let anonymous = fields
        .iter()
        .find(|f| f.label == "no id")
        .expect("the id-less field");
    assert!(ids::is_valid_id(&anonymous.id));
    assert_eq!(anonymous.section.as_deref(), Some(sections[1].id.as_str()));
    assert_eq!(anonymous.value.as_deref(), Some("anonymous"));

    for case in testgen::kind_cases(spec, v, i) {
        let f = field(item, case.id);
        assert_eq!(f.field_type, case.field_type, "{what} {}", case.id);
        assert_eq!(f.value, case.expected, "{what} {}", case.id);
        assert_eq!(f.label, case.title);
        assert_eq!(f.section.as_deref(), Some(testgen::KINDS_SECTION));
    }

    let mut expected_files = Vec::new();
    let attachment = testgen::attachment(v, i);
    expected_files.push(SourceFile {
        id: attachment.document_id,
        name: attachment.name,
        section: Some(testgen::KINDS_SECTION.into()),
        content: attachment.content,
    });
    if category == Category::Document {
        let document = testgen::document(v, i);
        expected_files.push(SourceFile {
            id: document.document_id,
            name: document.name,
            section: None,
            content: document.content,
        });
    }
    assert_eq!(item.files, expected_files, "{what}");
    assert!(item.data.body.files.is_empty());
}

#[test]
fn large_export_parses() {
    let spec = Spec {
        vaults: 2,
        items_per_vault: 1_000,
        attachments: true,
        archived_every: 10,
        trashed_every: 10,
    };
    let bytes = testgen::generate(&spec);
    let snapshot = parse(&bytes).expect("parses");
    let items: usize = snapshot.vaults.iter().map(|v| v.items.len()).sum();
    assert_eq!(items, 2 * spec.imported_per_vault());
    let ids: HashSet<_> = snapshot.vaults[0].items.iter().map(|i| &i.id).collect();
    assert_eq!(ids.len(), spec.imported_per_vault());
}
