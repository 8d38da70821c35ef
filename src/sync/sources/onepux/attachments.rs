//! Documents and attachments: a `file` field or a DOCUMENT's `documentAttributes` becomes a
//! [`SourceFile`] pointing at its `files/<documentId>__<fileName>` entry, whose bytes are read
//! once the whole of `export.data` has been parsed.

use std::io::{Read, Seek};

use serde_json::{Map, Value};
use zip::ZipArchive;

use super::archive::{read_entry, Budget};
use super::item_body::ItemBuilder;
use super::json::text;
use super::snapshot::FileRead;
use super::unique_ids::{source_id, unique_id};
use crate::sync::source::{Snapshot, SourceError, SourceFile};

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
        let key = format!("{document_id}/{name}");
        let preferred = source_id(&document_id, "1pux-file", &key);
        let id = unique_id(&mut self.file_ids, "1pux-file", Some(preferred), &key);
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

/// Fills in the content of every file listed in `reads`. They stay in memory with the snapshot,
/// so each is bounded (`budget.file()`, and the ratio rule) and so is their total.
pub(super) fn read_files<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    reads: Vec<FileRead>,
    snapshot: &mut Snapshot,
    budget: &mut Budget,
    name: &str,
) -> Result<(), SourceError> {
    for read in reads {
        // Entry names carry the attachment's file name, which is user data: errors go to the
        // unauthenticated /health, so the attachment is named by its position.
        let what = format!(
            "the attachment of vault #{}, item #{}, file #{}",
            read.vault + 1,
            read.item + 1,
            read.file + 1
        );
        let cap = budget.file();
        let content = read_entry(archive, read.entry, budget, cap, &what, name)?;
        budget.count_file(content.len() as u64);
        snapshot.vaults[read.vault].items[read.item].files[read.file].content = content;
    }
    Ok(())
}
