//! The README's seed example is a real, complete seed file.

use latchkey::model::Category;
use latchkey::sync::sources::seed::{parse, SeedFormat};

fn readme_seed_example() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- seed-example:start -->")
        .expect("start marker");
    let end = readme
        .find("<!-- seed-example:end -->")
        .expect("end marker");
    let block = &readme[start..end];
    let yaml_start = block.find("```yaml\n").expect("yaml block") + 8;
    let yaml_end = block.rfind("```").unwrap();
    block[yaml_start..yaml_end].to_string()
}

#[test]
fn the_readme_seed_example_parses_with_every_feature_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("certs")).unwrap();
    std::fs::create_dir_all(dir.path().join("secrets")).unwrap();
    std::fs::write(
        dir.path().join("certs/ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("secrets/stripe.txt"), "sk_live_example\n").unwrap();
    let env = |name: &str| (name == "PG_PASSWORD").then(|| "pg-secret".to_string());
    let snapshot = parse(
        &readme_seed_example(),
        SeedFormat::Yaml,
        dir.path(),
        &env,
        &[7; 32],
    )
    .unwrap();
    assert_eq!(snapshot.vaults.len(), 2);
    let infra = &snapshot.vaults[0];
    assert_eq!(infra.vault.name, "Infra");
    let categories: Vec<Category> = infra.items.iter().map(|i| i.category).collect();
    assert_eq!(
        categories,
        [
            Category::Database,
            Category::Login,
            Category::ApiCredential,
            Category::SecureNote
        ]
    );
    let postgres = &infra.items[0];
    let values: Vec<&str> = postgres
        .data
        .body
        .fields
        .iter()
        .filter_map(|f| f.value.as_deref())
        .collect();
    assert!(values.contains(&"pg-secret"), "{values:?}");
    assert_eq!(postgres.files[0].name, "ca.pem");
    let github = &infra.items[1];
    let password = github
        .data
        .body
        .fields
        .iter()
        .find(|f| f.id == "password")
        .unwrap();
    assert_eq!(password.value.as_deref().unwrap().len(), 40);
    assert!(github
        .data
        .body
        .fields
        .iter()
        .any(|f| f.field_type == latchkey::model::FieldType::Otp));
    assert_eq!(infra.items[3].state.as_deref(), Some("ARCHIVED"));
    let stripe = &infra.items[2];
    assert!(stripe
        .data
        .body
        .fields
        .iter()
        .any(|f| f.value.as_deref() == Some("sk_live_example")));
    assert_eq!(
        snapshot.vaults[1].items[0].files[0].content,
        b"Ask IT for the guest network."
    );
}
