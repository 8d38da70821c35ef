//! Archives that cannot be read, and entries over the size limit.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{invalid, testgen, unavailable, FIXTURE};
use crate::config::SourceLimits;
use crate::sync::sources::onepux::archive::{read_entry, Budget, Cap, Limited, Rule};
use crate::sync::sources::onepux::{parse, parse_file};

#[test]
fn malformed_archives_are_unavailable() {
    assert!(unavailable(parse(b"")).contains("is not a 1PUX archive"));
    assert!(unavailable(parse(b"not a zip at all")).contains("is not a 1PUX archive"));
    let no_data = testgen::zip_entries(&[("export.attributes", b"{}")]);
    assert!(unavailable(parse(&no_data)).contains("no export.data"));
    let nested = testgen::zip_entries(&[("export/export.data", b"{\"accounts\":[]}")]);
    assert!(unavailable(parse(&nested)).contains("no export.data"));

    let bytes = std::fs::read(FIXTURE).expect("fixture");
    for len in (0..bytes.len()).step_by(7) {
        assert!(parse(&bytes[..len]).is_err(), "truncated to {len}");
    }
    // Flipped bytes anywhere: an error or a snapshot, never a panic.
    for at in (0..bytes.len()).step_by(3) {
        let mut corrupt = bytes.clone();
        corrupt[at] ^= 0x5a;
        let _ = parse(&corrupt);
    }
}

#[test]
fn files_that_cannot_be_read_are_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.1pux");
    let message = unavailable(parse_file(&missing, &SourceLimits::default()));
    assert!(message.contains("missing.1pux"), "{message}");
    assert!(
        unavailable(parse_file(dir.path(), &SourceLimits::default()))
            .contains("not a regular file (a directory)")
    );
    // A FIFO is refused without being opened (opening it would wait for a writer forever).
    let fifo = dir.path().join("pipe.1pux");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let message = unavailable(parse_file(&fifo, &SourceLimits::default()));
    assert!(message.contains("not a regular file (a FIFO)"), "{message}");
    let text = dir.path().join("notes.1pux");
    std::fs::write(&text, "plain text").unwrap();
    let message = unavailable(parse_file(&text, &SourceLimits::default()));
    assert!(message.starts_with(&format!("{} is not a 1PUX archive: ", text.display())));
}

#[test]
fn entries_larger_than_the_limit_are_refused() {
    let entry = Cursor::new(vec![b' '; 100]);
    let mut limited = Limited::new(entry, 10);
    let mut sink = Vec::new();
    assert!(limited.read_to_end(&mut sink).is_err());
    assert!(limited.exceeded);
    let bytes = testgen::zip_entries(&[("files/big", &[0u8; 4096])]);
    let mut archive = ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let budget = Budget::new(&SourceLimits::default(), bytes.len() as u64);
    let cap = |bytes| Cap {
        bytes,
        rule: Rule::Absolute("SETTING"),
    };
    let message = invalid(read_entry(
        &mut archive,
        0,
        &budget,
        cap(1024),
        "files/big",
        "x",
    ));
    assert_eq!(message, "x: files/big is larger than 1024 bytes (SETTING)");
    let read = read_entry(&mut archive, 0, &budget, cap(4096), "files/big", "x");
    assert_eq!(read.unwrap().len(), 4096);
}
