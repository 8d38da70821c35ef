//! The zip side of a 1PUX archive: which entries matter (`export.data`, `export.attributes`,
//! `files/…`), and reads of them that stop at a size limit whatever the zip headers claim.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Seek};

use serde_json::Value;
use zip::ZipArchive;

use crate::sync::source::SourceError;

/// The largest `export.data` or single file read from an archive (a guard against zip bombs).
pub(super) const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// `export.attributes` is a few dozen bytes.
const MAX_ATTRIBUTES_BYTES: u64 = 1 << 20;

/// Checks that `export.attributes`, when the archive has one, is a JSON object (nothing in it is
/// used).
pub(super) fn check_attributes<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    name: &str,
) -> Result<(), SourceError> {
    let bytes = read_entry(
        archive,
        index,
        MAX_ATTRIBUTES_BYTES,
        "export.attributes",
        name,
    )?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(_)) => Ok(()),
        Ok(_) => Err(SourceError::Invalid(format!(
            "{name}: export.attributes is not a JSON object"
        ))),
        Err(e) => Err(SourceError::Invalid(format!(
            "{name}: export.attributes is not valid JSON: {e}"
        ))),
    }
}

/// Reads a whole zip entry, refusing more than `limit` bytes whatever its header claims.
pub(super) fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    limit: u64,
    what: &str,
    name: &str,
) -> Result<Vec<u8>, SourceError> {
    let unreadable = |e: &dyn fmt::Display| {
        SourceError::Unavailable(format!("cannot read {what} from {name}: {e}"))
    };
    let too_big =
        || SourceError::Invalid(format!("{name}: {what} is larger than {} MiB", limit >> 20));
    let entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
    if entry.size() > limit {
        return Err(too_big());
    }
    let capacity = usize::try_from(entry.size().min(64 << 20)).unwrap_or(0);
    let mut content = Vec::with_capacity(capacity);
    entry
        .take(limit + 1)
        .read_to_end(&mut content)
        .map_err(|e| unreadable(&e))?;
    if content.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(content)
}

/// A reader that fails once more than `limit` bytes were read through it.
pub(super) struct Limited<R> {
    inner: R,
    left: u64,
    pub(super) exceeded: bool,
}

impl<R> Limited<R> {
    pub(super) fn new(inner: R, limit: u64) -> Self {
        Limited {
            inner,
            left: limit,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.exceeded = true;
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "entry too large",
                ))
            }
        }
    }
}

/// The archive's entries that matter, by name.
#[derive(Default)]
pub(super) struct Entries {
    pub(super) export_data: Option<usize>,
    pub(super) export_attributes: Option<usize>,
    /// `files/…` entry name → index.
    files: HashMap<String, usize>,
    /// `documentId` → indexes of the `files/<documentId>__…` entries.
    by_document: HashMap<String, Vec<usize>>,
    /// Index → name, for the files that are read.
    pub(super) names: HashMap<usize, String>,
}

impl Entries {
    pub(super) fn index<R: Read + Seek>(archive: &ZipArchive<R>) -> Self {
        let mut entries = Entries::default();
        for (index, name) in archive.file_names().enumerate() {
            // A name that cannot be decoded cannot be one the export refers to.
            let Ok(name) = name else { continue };
            match name.as_ref() {
                "export.data" => {
                    entries.export_data.get_or_insert(index);
                }
                "export.attributes" => {
                    entries.export_attributes.get_or_insert(index);
                }
                other => {
                    let Some(rest) = other.strip_prefix("files/") else {
                        continue;
                    };
                    if rest.is_empty() || rest.ends_with('/') {
                        continue;
                    }
                    if let Some((document, _)) = rest.split_once("__") {
                        entries
                            .by_document
                            .entry(document.to_string())
                            .or_default()
                            .push(index);
                    }
                    entries.names.insert(index, other.to_string());
                    entries.files.entry(other.to_string()).or_insert(index);
                }
            }
        }
        entries
    }

    /// The entry holding a document's bytes.
    pub(super) fn find(&self, document_id: &str, file_name: &str) -> Option<usize> {
        self.files
            .get(&format!("files/{document_id}__{file_name}"))
            .copied()
            .or_else(
                || match self.by_document.get(document_id).map(Vec::as_slice) {
                    Some([only]) => Some(*only),
                    _ => None,
                },
            )
            .or_else(|| self.files.get(&format!("files/{document_id}")).copied())
    }
}
