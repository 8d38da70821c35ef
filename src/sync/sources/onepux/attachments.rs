//! Documents and attachments: a `file` field or a DOCUMENT's `documentAttributes` becomes a
//! [`SourceFile`] pointing at its `files/<documentId>__<fileName>` entry, whose bytes are read
//! when the item is built (`import`).

use serde_json::{Map, Value};

use super::item_body::ItemBuilder;
use super::json::text;
use super::unique_ids::{source_id, unique_id};
use crate::sync::source::SourceFile;

impl ItemBuilder<'_> {
    /// Adds a file from `{fileName, documentId}`; returns its name.
    pub(super) fn file(
        &mut self,
        document: &Map<String, Value>,
        section: Option<&str>,
    ) -> Result<String, String> {
        let document_id = text(document, "documentId")?
            .unwrap_or_default()
            .trim()
            .to_string();
        let name = text(document, "fileName")?.unwrap_or_default();
        if document_id.is_empty() {
            return Err("documentId: missing".into());
        }
        let Some(entry) = self.entries.find(&document_id, &name) else {
            return Err(format!(
                "fileName: the attachment of document {document_id} is missing from the archive"
            ));
        };
        let key = || format!("{document_id}/{name}");
        let preferred = source_id(&document_id, "1pux-file", key);
        let id = unique_id(&mut self.file_ids, "1pux-file", Some(preferred), key);
        self.files.push(SourceFile {
            id,
            name: if name.is_empty() {
                document_id
            } else {
                name.clone()
            },
            section: section.map(str::to_string),
            content: Vec::new(),
        });
        self.file_entries.push(entry);
        Ok(name)
    }
}
