//! The zip side of a 1PUX archive: which entries matter (`export.data`, `export.attributes`,
//! `files/…`), and reads of them that stop at a size limit whatever the zip headers claim.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Seek};

use serde_json::Value;
use zip::ZipArchive;

use crate::config::{size_text, SourceLimits, ARCHIVE_RATIO_FLOOR};
use crate::sync::source::SourceError;

/// `export.attributes` is a few dozen bytes.
const MAX_ATTRIBUTES_BYTES: u64 = 1 << 20;

/// Why an entry may inflate only so far (for the message when it goes beyond).
#[derive(Clone, Copy, Debug)]
pub(super) enum Rule {
    /// This many times its compressed size (`LATCHKEY_MAX_ARCHIVE_RATIO`).
    Ratio(u64),
    /// An absolute cap set by the named setting.
    Absolute(&'static str),
    /// What is left of the total for the export's files (`LATCHKEY_MAX_SOURCE_FILES_MB`).
    Total(u64),
    /// A limit of the format, not a setting.
    Fixed,
}

/// The most an entry may inflate to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cap {
    pub(super) bytes: u64,
    pub(super) rule: Rule,
}

impl Cap {
    /// The source error for an entry that went beyond the cap.
    pub(super) fn exceeded(&self, what: &str, name: &str) -> SourceError {
        SourceError::Invalid(match self.rule {
            Rule::Ratio(ratio) => format!(
                "{name}: {what} inflates to more than {ratio} times its compressed size \
                 (LATCHKEY_MAX_ARCHIVE_RATIO); refusing a likely zip bomb"
            ),
            Rule::Absolute(setting) => format!(
                "{name}: {what} is larger than {} ({setting})",
                size_text(self.bytes)
            ),
            Rule::Total(total) => format!(
                "{name}: the files in the export add up to more than {} \
                 (LATCHKEY_MAX_SOURCE_FILES_MB)",
                size_text(total)
            ),
            Rule::Fixed => format!("{name}: {what} is larger than {}", size_text(self.bytes)),
        })
    }
}

/// How far the entries of one archive may inflate: each relative to its compressed size, and
/// `export.data` and the files in absolute terms. Counted on the bytes that come out of the
/// decompressor, never on the sizes the zip headers declare.
pub(super) struct Budget {
    bounds: SourceLimits,
    /// No entry's compressed data can be larger than the archive, whatever its header says.
    archive_len: u64,
    files_read: u64,
}

impl Budget {
    pub(super) fn new(bounds: &SourceLimits, archive_len: u64) -> Self {
        Budget {
            bounds: *bounds,
            archive_len,
            files_read: 0,
        }
    }

    /// The tighter of `absolute` and the ratio rule for an entry of `compressed` bytes.
    pub(super) fn cap(&self, compressed: u64, absolute: Cap) -> Cap {
        let ratio = self.bounds.max_archive_ratio;
        let relative = ratio
            .saturating_mul(compressed.min(self.archive_len))
            .max(ARCHIVE_RATIO_FLOOR);
        if relative < absolute.bytes {
            Cap {
                bytes: relative,
                rule: Rule::Ratio(ratio),
            }
        } else {
            absolute
        }
    }

    /// `export.data`'s absolute cap.
    pub(super) fn data(&self) -> Cap {
        Cap {
            bytes: self.bounds.max_data_bytes,
            rule: Rule::Absolute("LATCHKEY_MAX_SOURCE_DATA_MB"),
        }
    }

    /// The next file's absolute cap: one file's limit, or what is left of the total.
    pub(super) fn file(&self) -> Cap {
        let left = self.bounds.max_files_bytes.saturating_sub(self.files_read);
        if left < self.bounds.max_file_bytes {
            Cap {
                bytes: left,
                rule: Rule::Total(self.bounds.max_files_bytes),
            }
        } else {
            Cap {
                bytes: self.bounds.max_file_bytes,
                rule: Rule::Absolute("LATCHKEY_MAX_SOURCE_FILE_MB"),
            }
        }
    }

    pub(super) fn count_file(&mut self, bytes: u64) {
        self.files_read = self.files_read.saturating_add(bytes);
    }
}

/// Checks that `export.attributes`, when the archive has one, is a JSON object (nothing in it is
/// used).
pub(super) fn check_attributes<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    budget: &Budget,
    name: &str,
) -> Result<(), SourceError> {
    let fixed = Cap {
        bytes: MAX_ATTRIBUTES_BYTES,
        rule: Rule::Fixed,
    };
    let bytes = read_entry(archive, index, budget, fixed, "export.attributes", name)?;
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

/// Reads a whole zip entry, refusing more than the tighter of `absolute` and the ratio rule
/// allows, whatever its header claims: at most that many bytes (plus one) are ever inflated.
pub(super) fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    budget: &Budget,
    absolute: Cap,
    what: &str,
    name: &str,
) -> Result<Vec<u8>, SourceError> {
    let unreadable = |e: &dyn fmt::Display| {
        SourceError::Unavailable(format!("cannot read {what} from {name}: {e}"))
    };
    let entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
    let cap = budget.cap(entry.compressed_size(), absolute);
    // A declared size beyond the cap is refused at once; a smaller one is not believed.
    if entry.size() > cap.bytes {
        return Err(cap.exceeded(what, name));
    }
    let capacity = usize::try_from(entry.size().min(cap.bytes).min(64 << 20)).unwrap_or(0);
    let mut content = Vec::with_capacity(capacity);
    let mut limited = Limited::new(entry, cap.bytes);
    if let Err(e) = limited.read_to_end(&mut content) {
        return Err(if limited.exceeded {
            cap.exceeded(what, name)
        } else {
            unreadable(&e)
        });
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
