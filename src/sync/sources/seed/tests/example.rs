//! The shipped `examples/seed.yaml` and its copy in `docs/seed-format.md`.

use super::*;

// ----- the shipped example, schema and documentation -----

#[test]
fn example_parses_and_uses_every_category_and_field_type() {
    let snapshot = parse(
        &example_text(),
        SeedFormat::Yaml,
        &example_dir(),
        &example_env,
        &KEY,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vault_types: Vec<_> = snapshot.vaults.iter().map(|v| v.vault.vault_type).collect();
    for t in VaultType::ALL {
        assert!(vault_types.contains(t), "no {t} vault");
    }
    let items: Vec<&SourceItem> = snapshot.vaults.iter().flat_map(|v| &v.items).collect();
    for category in Category::ALL {
        assert!(
            items.iter().any(|i| i.category == *category),
            "no {category} item"
        );
    }
    let fields: Vec<&StoredField> = items.iter().flat_map(|i| &i.data.body.fields).collect();
    for field_type in FieldType::ALL {
        assert!(
            fields.iter().any(|f| f.field_type == *field_type),
            "no {field_type} field"
        );
    }
    let postgres = items
        .iter()
        .find(|i| i.data.summary.title == "Postgres")
        .unwrap();
    assert_eq!(value(postgres, "password"), "example-db-password");
    assert_eq!(value(postgres, "port"), "5432");
    assert_eq!(postgres.files[0].name, "ca.pem");
    assert_eq!(postgres.files[0].section.as_deref(), Some("conn"));
    assert!(String::from_utf8_lossy(&postgres.files[0].content).contains("BEGIN CERTIFICATE"));
    let stripe = items
        .iter()
        .find(|i| i.data.summary.title == "Stripe API")
        .unwrap();
    assert_eq!(
        value(stripe, "credential"),
        "example-api-token-0123456789abcdef"
    );
    assert!(items.iter().any(|i| i.state.as_deref() == Some("ARCHIVED")));
    assert!(fields.iter().any(|f| f.field_type == FieldType::Otp));
    assert!(
        fields.iter().any(|f| f.entropy.is_some()),
        "a generated field"
    );
    let scan = items
        .iter()
        .flat_map(|i| &i.files)
        .find(|f| f.name == "scan.png")
        .unwrap();
    assert!(scan.content.starts_with(b"\x89PNG"));
    let card = items
        .iter()
        .flat_map(|i| &i.files)
        .find(|f| f.name == "card.png")
        .unwrap();
    assert_eq!(card.content, scan.content);
    let runbook = items
        .iter()
        .find(|i| i.data.summary.title == "Database runbook")
        .unwrap();
    assert!(value(runbook, "notesPlain").contains("${DB_HOST}"));
}

#[test]
fn docs_contain_the_complete_example() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/seed-format.md"))
            .unwrap();
    assert!(
        docs.contains(&format!("```yaml\n{}```", example_text())),
        "docs/seed-format.md must embed examples/seed.yaml verbatim"
    );
}
