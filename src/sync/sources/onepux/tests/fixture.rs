//! The synthetic fixture in tests/fixtures, read from a file and from bytes.

use std::path::Path;

use super::testgen::{self, Spec};
use super::{field, field_ids, value, FIXTURE};
use crate::config::SourceLimits;
use crate::model::{Category, FieldType, Purpose, StoredSection, StoredUrl, VaultType};
use crate::sync::source::SourceFile;
use crate::sync::sources::onepux::{parse, parse_file};

#[test]
fn reads_the_synthetic_fixture() {
    let snapshot =
        parse_file(Path::new(FIXTURE), &SourceLimits::default()).expect("fixture parses");
    assert_eq!(snapshot.vaults.len(), 1);
    let vault = &snapshot.vaults[0];
    assert_eq!(vault.vault.id, "fixturevault00000000000000");
    assert_eq!(vault.vault.name, "Private");
    assert_eq!(vault.vault.description, "");
    assert_eq!(vault.vault.vault_type, VaultType::Personal);
    assert_eq!(vault.items.len(), 3);

    let login = &vault.items[0];
    assert_eq!(login.id, "fixtureitemlogin0000000000");
    assert_eq!(login.category, Category::Login);
    assert_eq!(login.state, None);
    assert_eq!(login.data.summary.title, "Example Login");
    assert!(login.data.summary.favorite);
    assert_eq!(login.data.summary.tags, ["fixture"]);
    assert_eq!(
        login.data.summary.urls,
        [StoredUrl {
            label: Some("website".into()),
            primary: true,
            href: "https://example.test/login".into(),
        }]
    );
    assert_eq!(
        field_ids(login),
        [
            "username",
            "password",
            "notesPlain",
            "TOTP_fixture1",
            "fixturefieldconcealed00000"
        ]
    );
    let username = field(login, "username");
    assert_eq!(
        (
            username.purpose,
            username.field_type,
            username.label.as_str()
        ),
        (Purpose::Username, FieldType::String, "username")
    );
    assert_eq!(username.value.as_deref(), Some("alice"));
    let password = field(login, "password");
    assert_eq!(
        (password.purpose, password.field_type),
        (Purpose::Password, FieldType::Concealed)
    );
    assert_eq!(password.value.as_deref(), Some("s3cret-pass"));
    assert_eq!(field(login, "notesPlain").purpose, Purpose::Notes);
    assert_eq!(value(login, "notesPlain"), Some("synthetic login"));
    assert_eq!(
        login.data.body.sections,
        [StoredSection {
            id: "Section_fixture".into(),
            label: Some("Security".into()),
        }]
    );
    let otp = field(login, "TOTP_fixture1");
    assert_eq!(otp.field_type, FieldType::Otp);
    assert_eq!(otp.label, "one-time password");
    assert_eq!(otp.section.as_deref(), Some("Section_fixture"));
    assert_eq!(
        otp.value.as_deref(),
        Some("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
    );
    let recovery = field(login, "fixturefieldconcealed00000");
    assert_eq!(recovery.field_type, FieldType::Concealed);
    assert_eq!(recovery.value.as_deref(), Some("1111-2222"));
    assert!(login.files.is_empty());

    let archived = &vault.items[1];
    assert_eq!(archived.id, "fixtureitempassword0000000");
    assert_eq!(archived.category, Category::Password);
    assert_eq!(archived.state.as_deref(), Some("ARCHIVED"));
    assert!(!archived.data.summary.favorite);
    assert!(archived.data.summary.urls.is_empty());
    assert_eq!(field_ids(archived), ["password", "notesPlain"]);
    assert_eq!(value(archived, "password"), Some("just-a-password"));
    assert_eq!(value(archived, "notesPlain"), None);

    let document = &vault.items[2];
    assert_eq!(document.id, "fixtureitemdocument0000000");
    assert_eq!(document.category, Category::Document);
    assert_eq!(document.data.summary.title, "Example Document");
    assert_eq!(field_ids(document), ["notesPlain"]);
    assert!(
        document.data.body.files.is_empty(),
        "the engine fills files"
    );
    assert_eq!(
        document.files,
        [SourceFile {
            id: "q7x2fixturedoc000000000000".into(),
            name: "hello.txt".into(),
            section: None,
            content: b"hello from a synthetic attachment\n".to_vec(),
        }]
    );
}

#[test]
fn parse_and_parse_file_agree_and_are_stable() {
    let bytes = std::fs::read(FIXTURE).expect("fixture");
    let from_bytes = parse(&bytes).expect("parses");
    assert_eq!(
        from_bytes,
        parse_file(Path::new(FIXTURE), &SourceLimits::default()).expect("parses")
    );
    assert_eq!(from_bytes, parse(&bytes).expect("parses again"));

    let spec = Spec {
        vaults: 2,
        archived_every: 4,
        trashed_every: 5,
        ..Spec::default()
    };
    let generated = testgen::generate(&spec);
    assert_eq!(parse(&generated).unwrap(), parse(&generated).unwrap());
}
