//! `parse_file`: reading from disk, relative paths, and picking the format from the extension.

use super::*;

// ----- parse_file -----

#[test]
fn parse_file_reads_relative_paths_and_picks_the_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "from file\n").unwrap();
    let yaml = "vaults:\n  - name: V\n    items:\n      - {title: t, notes: {file: note.txt}}\n";
    let json =
        r#"{"vaults": [{"name": "V", "items": [{"title": "t", "notes": {"file": "note.txt"}}]}]}"#;
    let mut results = Vec::new();
    for (name, text) in [
        ("seed.yaml", yaml),
        ("seed.YML", yaml),
        ("seed.json", json),
        ("seed.conf", json),
        ("seed", yaml),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let snapshot = parse_file(&path, &KEY, &SourceLimits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(value(only_item(&snapshot), "notesPlain"), "from file");
        results.push(snapshot);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));

    std::fs::write(dir.path().join("broken.yaml"), "vaults: [").unwrap();
    match parse_file(
        &dir.path().join("broken.yaml"),
        &KEY,
        &SourceLimits::default(),
    ) {
        Err(SourceError::Invalid(e)) => {
            assert!(
                e.starts_with(&dir.path().join("broken.yaml").display().to_string()),
                "{e}"
            );
            assert!(e.contains("invalid YAML") && e.contains("line 2"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(dir.path().join("broken.json"), "vaults: []").unwrap();
    assert!(matches!(
        parse_file(&dir.path().join("broken.json"), &KEY, &SourceLimits::default()),
        Err(SourceError::Invalid(e)) if e.contains("invalid JSON")
    ));
}

#[test]
fn parse_file_missing_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.yaml");
    match parse_file(&path, &KEY, &SourceLimits::default()) {
        Err(SourceError::Unavailable(e)) => {
            assert!(
                e.contains("absent.yaml") && e.contains("cannot read"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(&path, [0xff, 0xfe]).unwrap();
    assert!(matches!(
        parse_file(&path, &KEY, &SourceLimits::default()),
        Err(SourceError::Invalid(_))
    ));
}

#[test]
fn format_from_path() {
    assert_eq!(
        SeedFormat::from_path(Path::new("a.yml")),
        Some(SeedFormat::Yaml)
    );
    assert_eq!(
        SeedFormat::from_path(Path::new("a/b.YAML")),
        Some(SeedFormat::Yaml)
    );
    assert_eq!(
        SeedFormat::from_path(Path::new("a.json")),
        Some(SeedFormat::Json)
    );
    assert_eq!(SeedFormat::from_path(Path::new("a.txt")), None);
    assert_eq!(SeedFormat::from_path(Path::new("json")), None);
}
