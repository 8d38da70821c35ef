//! Zip bombs and oversized exports: an entry may inflate only so far beyond its compressed size
//! (counted as the bytes come out, whatever the zip header declares), and the export's data and
//! files have absolute caps.

use std::io::{Cursor, Write};

use serde_json::json;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::testgen;
use crate::config::SourceLimits;
use crate::sync::source::{Snapshot, SourceError};
use crate::sync::sources::onepux::{parse, parse_with};

const DOC: &str = "dddddddddddddddddddddddddd";

/// A DOCUMENT item whose file is `files/<DOC>__<name>`.
fn document(name: &str, uuid: &str) -> serde_json::Value {
    json!({"uuid": uuid, "categoryUuid": "006", "overview": {"title": "doc"},
        "details": {"documentAttributes": {"fileName": name, "documentId": DOC}}})
}

/// A 1PUX archive whose one document holds `mib` MiB of zeros: a few dozen KiB compressed.
fn bomb(mib: usize) -> Vec<u8> {
    let data = testgen::export_with_items(vec![document("big.bin", "cccccccccccccccccccccccccc")]);
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("export.data", options).unwrap();
    zip.write_all(data.to_string().as_bytes()).unwrap();
    zip.start_file(format!("files/{DOC}__big.bin"), options)
        .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size that the headers of entry `name` declare (its local header and
/// its central directory record), as a forged archive would.
fn declare_size(archive: &mut [u8], name: &str, size: u32) {
    let named = |archive: &[u8], len_at: usize, name_at: usize| {
        let len = usize::from(u16::from_le_bytes([archive[len_at], archive[len_at + 1]]));
        archive.get(name_at..name_at + len) == Some(name.as_bytes())
    };
    let mut patched = 0;
    for at in 0..archive.len().saturating_sub(46) {
        let field = match &archive[at..at + 4] {
            b"PK\x03\x04" if named(archive, at + 26, at + 30) => at + 22,
            b"PK\x01\x02" if named(archive, at + 28, at + 46) => at + 24,
            _ => continue,
        };
        archive[field..field + 4].copy_from_slice(&size.to_le_bytes());
        patched += 1;
    }
    assert_eq!(
        patched, 2,
        "the local header and the central record of {name}"
    );
}

/// The message of an archive refused as invalid (without printing a snapshot of megabytes).
fn refused(result: Result<Snapshot, SourceError>) -> String {
    match result {
        Err(SourceError::Invalid(message)) => message,
        Err(other) => panic!("expected Invalid, got {other:?}"),
        Ok(snapshot) => panic!(
            "expected Invalid, the archive was accepted ({} vaults)",
            snapshot.vaults.len()
        ),
    }
}

/// Bytes that deflate does not compress.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn an_entry_that_inflates_far_beyond_its_compressed_size_is_refused() {
    let archive = bomb(64);
    assert!(archive.len() < 1 << 20, "{} bytes", archive.len());
    let message = refused(parse(&archive));
    assert!(
        message.contains(
            "the attachment of vault #1, item #1, file #1 inflates to more than 100 times"
        ),
        "{message}"
    );
    // The header's declared size is not what is trusted: a forged small size changes nothing.
    let mut forged = archive.clone();
    declare_size(&mut forged, &format!("files/{DOC}__big.bin"), 10);
    match parse(&forged) {
        Err(SourceError::Invalid(e) | SourceError::Unavailable(e)) => {
            assert!(
                e.contains("the attachment of vault #1, item #1, file #1"),
                "{e}"
            );
        }
        Ok(_) => panic!("a forged archive was accepted"),
    }
    // A lower ratio refuses what a higher one lets through.
    let small = bomb(2);
    let roomy = SourceLimits {
        max_archive_ratio: 10_000,
        ..SourceLimits::default()
    };
    assert_eq!(
        parse_with(&small, &roomy).unwrap().vaults[0].items[0].files[0]
            .content
            .len(),
        2 << 20
    );
    assert!(refused(parse(&small)).contains("inflates to more than 100 times"));
}

#[test]
fn a_small_entry_may_compress_well() {
    // 512 KiB of spaces is far beyond 100:1 but under the floor every entry is allowed.
    let items = super::one_item_with_files(
        document("blank.txt", "cccccccccccccccccccccccccc"),
        &[(format!("files/{DOC}__blank.txt"), vec![b' '; 512 << 10])],
    )
    .unwrap();
    assert_eq!(items[0].files[0].content.len(), 512 << 10);
}

#[test]
fn export_data_beyond_the_ratio_or_the_cap_is_refused() {
    // `{"accounts":[]` + 32 MiB of spaces + `}`: valid JSON, a bomb all the same.
    let mut data = b"{\"accounts\":[]".to_vec();
    data.resize(32 << 20, b' ');
    data.push(b'}');
    let archive = testgen::zip_entries(&[("export.data", &data)]);
    assert!(refused(parse(&archive)).contains("export.data inflates to more than 100 times"));

    let data = testgen::export_with_items(vec![json!({"overview": {"title": "x"},
        "details": {"notesPlain": String::from_utf8(noise(300 << 10, 7).iter().map(|b| b'a' + b % 26).collect()).unwrap()}})]);
    let archive = testgen::archive(&data, &[]);
    let tight = SourceLimits {
        max_data_bytes: 200 << 10,
        ..SourceLimits::default()
    };
    let message = refused(parse_with(&archive, &tight));
    assert!(
        message.contains("export.data is larger than 204800 bytes (LATCHKEY_MAX_SOURCE_DATA_MB)"),
        "{message}"
    );
    assert!(parse(&archive).is_ok());
}

#[test]
fn files_over_the_per_file_or_the_total_cap_are_refused() {
    let items: Vec<_> = (0..3)
        .map(|i| {
            let mut doc = document(
                &format!("f{i}.bin"),
                &format!("{i}ccccccccccccccccccccccccc"),
            );
            doc["details"]["documentAttributes"]["documentId"] = json!(format!("DOC{i}"));
            doc
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("files/DOC{i}__f{i}.bin"), noise(400 << 10, i + 1)))
        .collect();
    let archive = testgen::archive(&testgen::export_with_items(items), &files);
    assert_eq!(parse(&archive).unwrap().vaults[0].items.len(), 3);

    let per_file = SourceLimits {
        max_file_bytes: 300 << 10,
        ..SourceLimits::default()
    };
    let message = refused(parse_with(&archive, &per_file));
    assert!(
        message.contains(
            "the attachment of vault #1, item #1, file #1 is larger than 307200 bytes (LATCHKEY_MAX_SOURCE_FILE_MB)"
        ),
        "{message}"
    );
    let total = SourceLimits {
        max_files_bytes: 1 << 20,
        ..SourceLimits::default()
    };
    let message = refused(parse_with(&archive, &total));
    assert!(
        message.contains(
            "the files in the export add up to more than 1 MiB (LATCHKEY_MAX_SOURCE_FILES_MB)"
        ),
        "{message}"
    );
}
