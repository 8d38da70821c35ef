//! Value files and attachments that are not regular files (a device, a FIFO, a directory) are
//! refused at once instead of being read forever or blocking the sync.

use super::*;

/// A FIFO in `dir` (nothing ever writes to it: opening it for reading would block forever).
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    path
}

fn special_paths(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    vec![
        (PathBuf::from("/dev/zero"), "a device"),
        (fifo(dir), "a FIFO"),
        (dir.to_path_buf(), "a directory"),
    ]
}

#[test]
fn value_files_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    for (path, kind) in special_paths(dir.path()) {
        let doc = item_doc(&format!(
            "title: t\nfields:\n  - {{label: a, value: {{file: {}}}}}",
            path.display()
        ));
        let message = err_in(&doc, dir.path(), &no_env);
        assert!(message.contains("field #1"), "{message}");
        assert!(
            message.contains(&format!("not a regular file ({kind})")),
            "{message}"
        );
    }
}

#[test]
fn attachments_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    for (path, kind) in special_paths(dir.path()) {
        let doc = item_doc(&format!(
            "title: t\nfiles:\n  - {{name: f.bin, path: {}}}",
            path.display()
        ));
        let message = err_in(&doc, dir.path(), &no_env);
        assert!(message.contains("file #1"), "{message}");
        assert!(
            message.contains(&format!("not a regular file ({kind})")),
            "{message}"
        );
    }
}

#[test]
fn the_seed_file_itself_must_be_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    for (path, kind) in special_paths(dir.path()) {
        match parse_file(&path, &KEY, &SourceLimits::default()) {
            Err(SourceError::Unavailable(message)) => assert!(
                message.contains(&format!("not a regular file ({kind})")),
                "{message}"
            ),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}

#[test]
fn attachments_and_the_seed_file_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![1u8; 2000]).unwrap();
    std::fs::write(dir.path().join("half.bin"), vec![2u8; 800]).unwrap();
    let seed = dir.path().join("seed.yaml");
    let bounds = SourceLimits {
        max_file_bytes: 1000,
        max_files_bytes: 1500,
        ..SourceLimits::default()
    };
    let parse_with = |files: &str| {
        std::fs::write(&seed, item_doc(&format!("title: t\nfiles:\n{files}"))).unwrap();
        parse_file(&seed, &KEY, &bounds)
    };
    let invalid = |result: Result<Snapshot, SourceError>| match result {
        Err(SourceError::Invalid(message)) => message,
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("accepted"),
    };
    let message = invalid(parse_with("  - {path: big.bin}"));
    assert!(
        message
            .contains("file #1: the file is larger than 1000 bytes (LATCHKEY_MAX_SOURCE_FILE_MB)"),
        "{message}"
    );
    let inline = format!("  - {{name: x, base64: {}}}", "AAAA".repeat(400));
    assert!(invalid(parse_with(&inline)).contains("larger than 1000 bytes"));
    let message = invalid(parse_with(
        "  - {path: half.bin}\n  - {path: half.bin, name: again}",
    ));
    assert!(
        message.contains("file #2: the files of the seed file add up to more than 1500 bytes (LATCHKEY_MAX_SOURCE_FILES_MB)"),
        "{message}"
    );
    let snapshot = parse_with("  - {path: half.bin}").unwrap();
    assert_eq!(only_item(&snapshot).files[0].content.len(), 800);

    let small = SourceLimits {
        max_data_bytes: 50,
        ..SourceLimits::default()
    };
    let message = invalid(parse_file(&seed, &KEY, &small));
    assert!(
        message.contains("the seed file is larger than 50 bytes (LATCHKEY_MAX_SOURCE_DATA_MB)"),
        "{message}"
    );
}
