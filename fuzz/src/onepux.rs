//! The 1PUX reader: any bytes as an archive, and any text as the `export.data` of an otherwise
//! well-formed archive (mutating a zip mostly breaks its checksums, so the second target is the
//! one that reaches the item conversion).

use std::io::{Cursor, Write};

use latchkey::sync::sources::onepux::parse;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const ATTRIBUTES: &str =
    r#"{"version":3,"description":"1Password Unencrypted Export","timestamp":1700000000}"#;

/// An attachment that `export.data` may reference (`documentId` "fuzzdocument00000000000000").
const FILE_ENTRY: &str = "files/fuzzdocument00000000000000__note.txt";

/// Whether the bytes read as an archive.
pub fn run(data: &[u8]) -> bool {
    check(data)
}

/// Whether the archive around `export.data` read.
pub fn run_export_data(data: &[u8]) -> bool {
    check(&archive(data))
}

fn check(archive: &[u8]) -> bool {
    let first = parse(archive);
    let second = parse(archive);
    match (first, second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "two reads of one archive differ");
            true
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            false
        }
        (a, b) => panic!("two reads of one archive differ: {a:?} / {b:?}"),
    }
}

/// A stored (uncompressed) zip with `export.attributes`, the given `export.data` and one file.
fn archive(export_data: &[u8]) -> Vec<u8> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let entries: [(&str, &[u8]); 3] = [
        ("export.attributes", ATTRIBUTES.as_bytes()),
        ("export.data", export_data),
        (FILE_ENTRY, b"attached text\n"),
    ];
    for (name, bytes) in entries {
        zip.start_file(name, options).expect("zip");
        zip.write_all(bytes).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}
