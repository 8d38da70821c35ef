//! Parsing well-formed documents: derived ids, API defaults, every item feature, categories,
//! field types, YAML and JSON syntax.

use super::*;

// ----- the basics -----

#[test]
fn minimal_item_gets_derived_ids_and_api_defaults() {
    let snapshot = ok("vaults:\n  - name: Infra\n    items:\n      - title: Postgres\n");
    let vault = &snapshot.vaults[0].vault;
    assert_eq!(vault.id, ids::derived_id("seed-vault", "Infra"));
    assert_eq!(vault.name, "Infra");
    assert_eq!(vault.description, "");
    assert_eq!(vault.vault_type, VaultType::UserCreated);
    let item = only_item(&snapshot);
    assert_eq!(
        item.id,
        ids::derived_id("seed-item", &format!("{}/Postgres", vault.id))
    );
    assert!(ids::is_valid_id(&item.id));
    assert_eq!(item.category, Category::Login);
    assert_eq!(item.state, None);
    assert_eq!(item.data.summary.title, "Postgres");
    let field_ids: Vec<_> = item.data.body.fields.iter().map(|f| &f.id).collect();
    assert_eq!(field_ids, ["username", "password", "notesPlain"]);
    assert!(item.data.body.files.is_empty());
    assert!(item.files.is_empty());
}

#[test]
fn empty_vault_list_and_vault_without_items() {
    assert_eq!(ok("vaults: []\n"), Snapshot::default());
    let snapshot = ok("version: 1\nvaults:\n  - name: Empty\n    items:\n");
    assert!(snapshot.vaults[0].items.is_empty());
}

#[test]
fn every_item_feature() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), b"PEM\x00bytes").unwrap();
    std::fs::write(dir.path().join("key.txt"), "from-a-file\r\n").unwrap();
    let doc = r#"
vaults:
  - name: Infra
    id: abcdefghijklmnopqrstuvwxyz
    description: Production
    type: EVERYONE
    items:
      - title: Postgres
        id: aaaaaaaaaaaaaaaaaaaaaaaaaa
        category: DATABASE
        tags: [db, prod, db, 2024]
        favorite: true
        archived: true
        urls:
          - "https://one.example"
          - {href: "https://two.example", label: admin, primary: true}
        username: app
        password: "pw-${env:SECRET_VAR}-end"
        notes: some notes
        sections:
          - id: conn
            label: Connection
            fields:
              - label: host
                value: db.internal
              - {label: port, value: 5432}
              - {label: tls, value: true}
          - label: Extra
        fields:
          - {id: api_key, label: API key, type: CONCEALED, value: {file: key.txt}}
          - {label: in extra, value: x, section: Extra}
          - {label: by id, value: y, section: {id: conn}}
          - {label: expires, type: DATE, value: 2030-01-01}
          - {label: card expiry, type: MONTH_YEAR, value: 2029/12}
          - {label: one-time password, type: OTP, value: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}
          - {label: empty}
        files:
          - {name: cert.pem, path: ./cert.pem, section: conn}
          - {path: cert.pem, name: copy.pem}
          - {name: hello.txt, content: "inline text"}
          - {name: bin, base64: "AAEC\n/w=="}
"#;
    let snapshot = parse_in(doc, dir.path(), &secret_env);
    let vault = &snapshot.vaults[0].vault;
    assert_eq!(vault.id, "abcdefghijklmnopqrstuvwxyz");
    assert_eq!(vault.description, "Production");
    assert_eq!(vault.vault_type, VaultType::Everyone);
    let item = only_item(&snapshot);
    assert_eq!(item.id, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(item.category, Category::Database);
    assert_eq!(item.state.as_deref(), Some("ARCHIVED"));
    let summary = &item.data.summary;
    assert_eq!(summary.tags, ["db", "prod", "2024"]);
    assert!(summary.favorite);
    assert_eq!(
        summary.urls,
        [
            StoredUrl {
                label: None,
                primary: false,
                href: "https://one.example".into()
            },
            StoredUrl {
                label: Some("admin".into()),
                primary: true,
                href: "https://two.example".into()
            }
        ]
    );
    let body = &item.data.body;
    assert_eq!(body.sections.len(), 2);
    assert_eq!(body.sections[0].id, "conn");
    assert_eq!(
        body.sections[1].id,
        ids::derived_id("seed-section", "Extra")
    );
    assert_eq!(body.sections[1].label.as_deref(), Some("Extra"));
    // DATABASE has only notesPlain built in; username and password keep their fixed ids.
    assert_eq!(body.fields[0].id, "notesPlain");
    assert_eq!(value(item, "notesPlain"), "some notes");
    assert_eq!(field(item, "username").id, "username");
    assert_eq!(value(item, "username"), "app");
    let password = field(item, "password");
    assert_eq!(password.field_type, FieldType::Concealed);
    assert_eq!(password.purpose, Purpose::Password);
    assert_eq!(
        password.value.as_deref(),
        Some(&*format!("pw-{SECRET}-end"))
    );
    let host = field(item, "host");
    assert_eq!(host.section.as_deref(), Some("conn"));
    assert_eq!(host.id, ids::derived_id("seed-field", "conn/host"));
    assert_eq!(host.field_type, FieldType::String);
    assert_eq!(value(item, "port"), "5432");
    assert_eq!(value(item, "tls"), "true");
    let api_key = field(item, "API key");
    assert_eq!(api_key.id, "api_key");
    assert_eq!(api_key.field_type, FieldType::Concealed);
    assert_eq!(api_key.section, None);
    assert_eq!(api_key.value.as_deref(), Some("from-a-file"));
    assert_eq!(
        field(item, "in extra").section.as_deref(),
        Some(&*body.sections[1].id)
    );
    assert_eq!(field(item, "by id").section.as_deref(), Some("conn"));
    assert_eq!(value(item, "expires"), "1893456000");
    assert_eq!(value(item, "card expiry"), "202912");
    assert_eq!(field(item, "one-time password").field_type, FieldType::Otp);
    assert_eq!(field(item, "empty").value, None);

    assert!(
        body.files.is_empty(),
        "the sync engine fills data.body.files"
    );
    let files: Vec<_> = item
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.section.as_deref(), f.content.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            ("cert.pem", Some("conn"), &b"PEM\x00bytes"[..]),
            ("copy.pem", None, &b"PEM\x00bytes"[..]),
            ("hello.txt", None, &b"inline text"[..]),
            ("bin", None, &[0u8, 1, 2, 255][..]),
        ]
    );
    assert_eq!(
        item.files[0].id,
        ids::derived_id("seed-file", &format!("{}/cert.pem", item.id))
    );
    assert!(item.files.iter().all(|f| ids::is_valid_id(&f.id)));
}

#[test]
fn first_url_is_primary_when_none_is_marked() {
    let snapshot = ok(&item_doc("title: t\nurls: [\"https://a\", \"https://b\"]"));
    let urls = &only_item(&snapshot).data.summary.urls;
    assert!(urls[0].primary);
    assert!(!urls[1].primary);
    let e = err(&item_doc(
        "title: t\nurls: [{href: a, primary: true}, {href: b, primary: true}]",
    ));
    assert!(e.contains("only one URL can be `primary`"), "{e}");
}

#[test]
fn every_category_including_custom_and_document() {
    for category in Category::ALL {
        let snapshot = ok(&item_doc(&format!("title: t\ncategory: {category}")));
        let item = only_item(&snapshot);
        assert_eq!(item.category, *category);
        let built_ins: Vec<_> = item.data.body.fields.iter().map(|f| &f.id).collect();
        match category {
            Category::Login => assert_eq!(built_ins, ["username", "password", "notesPlain"]),
            Category::Password => assert_eq!(built_ins, ["password", "notesPlain"]),
            _ => assert_eq!(built_ins, ["notesPlain"], "{category}"),
        }
    }
}

#[test]
fn every_field_type() {
    for field_type in FieldType::ALL {
        let value = match field_type {
            FieldType::Otp => "JBSWY3DPEHPK3PXP",
            FieldType::Date => "2024-02-29",
            FieldType::MonthYear => "202402",
            _ => "text",
        };
        let snapshot = ok(&item_doc(&format!(
            "title: t\nfields: [{{label: f, type: {field_type}, value: \"{value}\"}}]"
        )));
        assert_eq!(field(only_item(&snapshot), "f").field_type, *field_type);
    }
}

#[test]
fn purpose_fields_are_the_built_in_fields() {
    let snapshot = ok(&item_doc(
        "title: t\nfields:\n  - {purpose: PASSWORD, value: a}\n  - {purpose: USERNAME, label: login, value: b}\n  - {purpose: NOTES, value: c}",
    ));
    let item = only_item(&snapshot);
    let fields: Vec<_> = item
        .data
        .body
        .fields
        .iter()
        .map(|f| (f.id.as_str(), f.label.as_str(), f.value.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [
            ("username", "login", Some("b")),
            ("password", "password", Some("a")),
            ("notesPlain", "notesPlain", Some("c"))
        ]
    );
}

#[test]
fn scalars_in_text_positions_take_their_text_form() {
    let snapshot = ok("vaults:\n  - name: 2024\n    items:\n      - {title: 42, tags: [1.5, true], fields: [{label: 7, value: 0x1F}, {label: f, value: 1.50}, {label: b, value: false}, {label: n, value: null}]}\n");
    assert_eq!(snapshot.vaults[0].vault.name, "2024");
    let item = only_item(&snapshot);
    assert_eq!(item.data.summary.title, "42");
    assert_eq!(item.data.summary.tags, ["1.5", "true"]);
    assert_eq!(value(item, "7"), "31");
    assert_eq!(value(item, "f"), "1.5");
    assert_eq!(value(item, "b"), "false");
    assert_eq!(field(item, "n").value, None);
}

#[test]
fn json_format_and_x_keys() {
    let json = r#"{"$schema": "./seed.schema.json", "x-note": [1, 2],
            "vaults": [{"name": "V", "x-owner": "me", "items": [
                {"title": "T", "category": "PASSWORD", "password": "p", "x-anything": {"a": 1}}]}]}"#;
    let from_json = parse(json, SeedFormat::Json, Path::new("."), &no_env, &KEY).unwrap();
    let from_yaml = parse(
        "vaults:\n  - name: V\n    items:\n      - {title: T, category: PASSWORD, password: p}\n",
        SeedFormat::Yaml,
        Path::new("."),
        &no_env,
        &KEY,
    )
    .unwrap();
    assert_eq!(from_json, from_yaml);
    // JSON is YAML, too.
    let json_as_yaml = parse(json, SeedFormat::Yaml, Path::new("."), &no_env, &KEY).unwrap();
    assert_eq!(json_as_yaml, from_json);
}

#[test]
fn yaml_anchors_aliases_and_merge_keys() {
    let doc = r#"
x-login: &login
  category: LOGIN
  tags: [shared]
  username: admin
vaults:
  - name: V
    items:
      - <<: *login
        title: One
      - <<: *login
        title: Two
        username: root
"#;
    let snapshot = ok(doc);
    let items = &snapshot.vaults[0].items;
    assert_eq!(items[0].data.summary.tags, ["shared"]);
    assert_eq!(value(&items[0], "username"), "admin");
    assert_eq!(value(&items[1], "username"), "root");
}
