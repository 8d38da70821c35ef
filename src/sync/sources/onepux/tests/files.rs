//! Documents and attachments: finding their bytes in the archive.

use serde_json::json;

use super::{invalid, one_item, one_item_with_files};
use crate::ids;

#[test]
fn attachments_are_found_and_missing_ones_are_errors() {
    let doc = |id: &str, name: &str| {
        json!({"uuid": "cccccccccccccccccccccccccc", "categoryUuid": "006",
            "overview": {"title": "My document"},
            "details": {"documentAttributes": {"fileName": name, "documentId": id}}})
    };
    // Exact name.
    let items = one_item_with_files(
        doc("dddddddddddddddddddddddddd", "a.txt"),
        &[(
            "files/dddddddddddddddddddddddddd__a.txt".into(),
            b"A".to_vec(),
        )],
    )
    .unwrap();
    assert_eq!(items[0].files[0].content, b"A");
    assert_eq!(items[0].files[0].id, "dddddddddddddddddddddddddd");
    // The only entry for that document, although the name differs (e.g. normalised).
    let items = one_item_with_files(
        doc("DOC-1", "résumé.pdf"),
        &[("files/DOC-1__resume.pdf".into(), b"R".to_vec())],
    )
    .unwrap();
    let file = &items[0].files[0];
    assert_eq!(
        (file.name.as_str(), file.content.as_slice()),
        ("résumé.pdf", &b"R"[..])
    );
    assert_eq!(file.id, ids::derived_id("1pux-file", "DOC-1/résumé.pdf"));
    // Missing.
    let message = invalid(one_item(doc("eeeeeeeeeeeeeeeeeeeeeeeeee", "gone.txt")));
    assert!(
        message.contains("items[0]: details.documentAttributes"),
        "{message}"
    );
    assert!(
        message.contains("the attachment of document eeeeeeeeeeeeeeeeeeeeeeeeee is missing"),
        "{message}"
    );
    // No document id.
    let message = invalid(one_item(doc("", "x.txt")));
    assert!(message.contains("documentId"), "{message}");
    // Two file fields with the same document get distinct ids, same bytes.
    let items = one_item_with_files(
        json!({"details": {"sections": [{"name": "f", "title": "files", "fields": [
            {"id": "f1", "value": {"file": {"fileName": "x", "documentId": "ffffffffffffffffffffffffff"}}},
            {"id": "f2", "value": {"file": {"fileName": "x", "documentId": "ffffffffffffffffffffffffff"}}}
        ]}]}}),
        &[("files/ffffffffffffffffffffffffff__x".into(), b"X".to_vec())],
    )
    .unwrap();
    let files = &items[0].files;
    assert_eq!(files.len(), 2);
    assert_ne!(files[0].id, files[1].id);
    assert!(files
        .iter()
        .all(|f| f.content == b"X" && f.section.as_deref() == Some("f")));
}
