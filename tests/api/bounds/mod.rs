//! Bounded memory: the activity buffer while the database refuses writes, and file contents
//! served chunk by chunk from separately sealed chunks.

mod activity;
mod archive;
mod files;

/// Every limit flag is in the README's configuration table.
#[test]
fn every_limit_is_documented() {
    let args = include_str!("../../../src/config/args.rs");
    let readme = include_str!("../../../README.md");
    let limits: Vec<&str> = args
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| name.starts_with("LATCHKEY_MAX_"))
        .collect();
    assert!(limits.len() >= 6, "{limits:?}");
    for name in limits {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "{name} is not in the README"
        );
    }
}
